/*
 * apply_smfi - the apply_ops of libmilter: each change of the plan as the
 * smfi_* call that asks the MTA for it.  A call fails when the MTA did
 * not grant the matching action at negotiation (SMFIF_*), or when the
 * connection to it fails.
 */
#include "autoconf.h"

#include <libmilter/mfapi.h>
#include <libmilter/mfdef.h>

#include "apply.h"
#include "strbuf.h"

static int smfi_rc(int rc)
{
	return rc == MI_SUCCESS ? 0 : -1;
}

static int smfi_op_del_rcpt(void *ctx, const char *addr)
{
	return smfi_rc(smfi_delrcpt(ctx, (char *)addr));
}

static int smfi_op_add_rcpt_par(void *ctx, const char *addr, const char *esmtp_args)
{
	return smfi_rc(smfi_addrcpt_par(ctx, (char *)addr, (char *)esmtp_args));
}

static int smfi_op_chg_from(void *ctx, const char *addr)
{
	return smfi_rc(smfi_chgfrom(ctx, (char *)addr, NULL));
}

static int smfi_op_ins_header(void *ctx, const char *name, const char *value)
{
	return smfi_rc(smfi_insheader(ctx, 0, (char *)name, (char *)value));
}

static int smfi_op_add_header(void *ctx, const char *name, const char *value)
{
	return smfi_rc(smfi_addheader(ctx, (char *)name, (char *)value));
}

static int smfi_op_chg_header(void *ctx, const char *name, unsigned index, const char *value)
{
	return smfi_rc(smfi_chgheader(ctx, (char *)name, (int)index, (char *)value));
}

/* libmilter takes the body in pieces of at most 64 KB. */
static int smfi_op_replace_body(void *ctx, const char *body, size_t len)
{
	size_t off, n;

	for (off = 0; off < len; off += n) {
		n = len - off < MILTER_CHUNK_SIZE ? len - off : MILTER_CHUNK_SIZE;
		if (smfi_replacebody(ctx, (unsigned char *)body + off, (int)n) != MI_SUCCESS)
			return -1;
	}
	return 0;
}

static int smfi_op_quarantine(void *ctx, const char *reason)
{
	return smfi_rc(smfi_quarantine(ctx, (char *)reason));
}

/*
 * With SMFIP_HDR_LEADSPC negotiated the MTA writes a header it adds or
 * changes as "Name:" and the value given: the blank after the colon goes
 * with the value (in v, which the caller frees).  NULL and "" (removals of
 * a changed header) stay as they are.
 */
static const char *smfi_lead_blank(struct strbuf *v, const char *value)
{
	if (value == NULL || *value == '\0')
		return value;
	strbuf_appendc(v, ' ');
	strbuf_appends(v, value);
	return strbuf_cstr(v);
}

static int smfi_op_ins_header_lead(void *ctx, const char *name, const char *value)
{
	struct strbuf v = STRBUF_INIT;
	int rc = smfi_op_ins_header(ctx, name, smfi_lead_blank(&v, value));

	strbuf_free(&v);
	return rc;
}

static int smfi_op_add_header_lead(void *ctx, const char *name, const char *value)
{
	struct strbuf v = STRBUF_INIT;
	int rc = smfi_op_add_header(ctx, name, smfi_lead_blank(&v, value));

	strbuf_free(&v);
	return rc;
}

static int smfi_op_chg_header_lead(void *ctx, const char *name, unsigned index,
				   const char *value)
{
	struct strbuf v = STRBUF_INIT;
	int rc = smfi_op_chg_header(ctx, name, index, smfi_lead_blank(&v, value));

	strbuf_free(&v);
	return rc;
}

const struct apply_ops apply_smfi_leadspc_ops = {
	.del_rcpt = smfi_op_del_rcpt,
	.add_rcpt_par = smfi_op_add_rcpt_par,
	.chg_from = smfi_op_chg_from,
	.ins_header = smfi_op_ins_header_lead,
	.add_header = smfi_op_add_header_lead,
	.chg_header = smfi_op_chg_header_lead,
	.replace_body = smfi_op_replace_body,
	.quarantine = smfi_op_quarantine,
};

const struct apply_ops apply_smfi_ops = {
	.del_rcpt = smfi_op_del_rcpt,
	.add_rcpt_par = smfi_op_add_rcpt_par,
	.chg_from = smfi_op_chg_from,
	.ins_header = smfi_op_ins_header,
	.add_header = smfi_op_add_header,
	.chg_header = smfi_op_chg_header,
	.replace_body = smfi_op_replace_body,
	.quarantine = smfi_op_quarantine,
};
