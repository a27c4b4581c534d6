/*
 * dkim_verify - DKIM verification with libopendkim; see dkim_verify.h.
 * What header fields libopendkim must not see is dkim_field.c.
 *
 * libopendkim 2.11 facts this module relies on or works around (read in
 * its source; tests/unit/test_dkim_verify*.c pin our side of each):
 *
 * - Keys: dkim_set_key_lookup() installs a callback that libopendkim
 *   calls instead of its resolver (res_query: not thread-safe).  The
 *   callback finds its verifier in the handle's user context.  The buffer
 *   it fills is 1025 bytes; a longer record is refused ("bad key record")
 *   rather than cut.  The query method is pointed at an empty file as
 *   well, so nothing could reach the resolver if the callback were passed
 *   over.
 * - Signatures are processed at end of headers by default, and there a
 *   key lookup that fails temporarily makes dkim_eoh() give up on the
 *   whole message.  DKIM_LIBFLAGS_DELAYSIGPROC moves the work into
 *   dkim_eom(), which goes on with the next signature, so a TEMPFAIL
 *   touches one result.  libopendkim leaves such a signature unprocessed
 *   without an error code: the callback's own record of each lookup tells.
 * - A DKIM-Signature whose tag-list does not parse is left out of the
 *   signature list unless DKIM_LIBFLAGS_BADSIGHANDLES is set.  With it,
 *   every field handed over gets a DKIM_SIGINFO, in header order: the
 *   field's slot is its index in dkim_getsiglist() (fields dkim_field
 *   finds unsafe are not handed over and have none).  dkim_header()
 *   returns DKIM_STAT_SYNTAX for such a field, whose tags are parsed up
 *   to the fault; it is a syntax error whatever else happens, and the
 *   prescreen callback has libopendkim ignore it (no key lookup).
 * - DKIM_SIG_CHECK() stays true for a signature that verified but that
 *   libopendkim then marked with an error (key t=s with an i= in a
 *   subdomain): a pass also needs DKIM_SIGERROR_OK.
 * - dkim_eom() fails before evaluating any signature ("CRLF at end of body
 *   missing") when the last body line has no line end (relaxed body
 *   canonicalization), so the verifier adds that CRLF, as RFC 6376 section
 *   3.4.3 does.  DKIM_LIBFLAGS_FIXCRLF would add it too, but makes
 *   dkim_header() read past its copy of a field over 64 KB (dkim_field.c).
 * - Verifying frees the parsed public key (RSA and Ed25519) in
 *   dkim_sig_process(), and dkim_free() the rest: unlike signing (see
 *   dkim_sign.c) no per-message leak, so no allocation arena here.
 *
 * Hostile input: at most max_signatures DKIM-Signature fields reach
 * libopendkim, each at most 32 KB, which bounds the key lookups, header
 * hashes and body hashes of one message; the rest of the input is hashed
 * once per signature, linear in its size.
 */
#include "autoconf.h"

#include <sys/types.h>
#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <dkim.h>

#include "dkim_field.h"
#include "dkim_verify.h"
#include "strbuf.h"
#include "xalloc.h"

#define DKIM_VERIFY_NAME_MAX 253 /* a DNS name without its final dot */
#define DKIM_VERIFY_TAG_MAX 255	 /* bytes of a tag value kept in a result */
#define DKIM_VERIFY_B_PREFIX 8

/* What the key lookup callback saw for one signature. */
enum dkim_verify_lookup {
	DKIM_VERIFY_LOOKUP_NONE,
	DKIM_VERIFY_LOOKUP_OK,
	DKIM_VERIFY_LOOKUP_NOKEY,
	DKIM_VERIFY_LOOKUP_TEMPFAIL,
	DKIM_VERIFY_LOOKUP_BADRECORD,
	DKIM_VERIFY_LOOKUP_KEYTYPE, /* k= is not the key type of a= (dkim_field.c) */
};

struct dkim_verify_lib {
	DKIM_LIB *lib;
	unsigned max; /* signatures handed to libopendkim per message */
};

/* One DKIM-Signature field, within the cap. */
struct dkim_verify_field {
	int slot;    /* its place in libopendkim's list; -1: not handed over */
	bool syntax; /* dkim_field or libopendkim found a syntax error */
	enum dkim_verify_lookup lookup;
	char *detail; /* why syntax, or the lookup's diagnostics; or NULL */
};

struct dkim_verifier {
	struct dkim_verify_lib *lib;
	DKIM *dkim; /* NULL when libopendkim could not make a handle */
	char *id;   /* libopendkim keeps the pointer */
	dkim_verify_fetch_fn fetch;
	void *fetch_arg;
	struct dkim_verify_field *fields; /* [lib->max] */
	unsigned nfields;
	unsigned nslots; /* fields handed over */
	bool eoh_done, eom_done;
	DKIM_STAT eoh_stat, body_stat;
	size_t body_len;
	char tail[2];	    /* the last two body bytes */
	struct strbuf line; /* scratch: one header field */
	struct dkim_verify_sig *res;
	size_t nres;
};

/* libopendkim's signature errors other than a failed check, as results. */
static const struct {
	int error;
	enum dkim_verify_status status;
	const char *reason;
} dkim_verify_errors[] = {
	{ DKIM_SIGERROR_VERSION, DKIM_VERIFY_PERMERROR, "unsupported version" },
	{ DKIM_SIGERROR_DOMAIN, DKIM_VERIFY_PERMERROR, "identity not in signing domain" },
	{ DKIM_SIGERROR_EXPIRED, DKIM_VERIFY_PERMERROR, "expired" },
	{ DKIM_SIGERROR_FUTURE, DKIM_VERIFY_NEUTRAL, "timestamp in the future" },
	{ DKIM_SIGERROR_TIMESTAMPS, DKIM_VERIFY_PERMERROR, "syntax error" },
	{ DKIM_SIGERROR_INVALID_HC, DKIM_VERIFY_PERMERROR, "unsupported canonicalization" },
	{ DKIM_SIGERROR_INVALID_BC, DKIM_VERIFY_PERMERROR, "unsupported canonicalization" },
	{ DKIM_SIGERROR_MISSING_A, DKIM_VERIFY_PERMERROR, "syntax error" },
	{ DKIM_SIGERROR_INVALID_A, DKIM_VERIFY_PERMERROR, "unsupported algorithm" },
	{ DKIM_SIGERROR_MISSING_H, DKIM_VERIFY_PERMERROR, "syntax error" },
	{ DKIM_SIGERROR_INVALID_L, DKIM_VERIFY_PERMERROR, "syntax error" },
	{ DKIM_SIGERROR_INVALID_Q, DKIM_VERIFY_PERMERROR, "syntax error" },
	{ DKIM_SIGERROR_INVALID_QO, DKIM_VERIFY_PERMERROR, "syntax error" },
	{ DKIM_SIGERROR_MISSING_D, DKIM_VERIFY_PERMERROR, "syntax error" },
	{ DKIM_SIGERROR_EMPTY_D, DKIM_VERIFY_PERMERROR, "syntax error" },
	{ DKIM_SIGERROR_MISSING_S, DKIM_VERIFY_PERMERROR, "syntax error" },
	{ DKIM_SIGERROR_EMPTY_S, DKIM_VERIFY_PERMERROR, "syntax error" },
	{ DKIM_SIGERROR_MISSING_B, DKIM_VERIFY_PERMERROR, "syntax error" },
	{ DKIM_SIGERROR_EMPTY_B, DKIM_VERIFY_PERMERROR, "syntax error" },
	{ DKIM_SIGERROR_CORRUPT_B, DKIM_VERIFY_PERMERROR, "syntax error" },
	{ DKIM_SIGERROR_MISSING_BH, DKIM_VERIFY_PERMERROR, "syntax error" },
	{ DKIM_SIGERROR_EMPTY_BH, DKIM_VERIFY_PERMERROR, "syntax error" },
	{ DKIM_SIGERROR_CORRUPT_BH, DKIM_VERIFY_PERMERROR, "syntax error" },
	{ DKIM_SIGERROR_EMPTY_H, DKIM_VERIFY_PERMERROR, "syntax error" },
	{ DKIM_SIGERROR_MISSING_V, DKIM_VERIFY_PERMERROR, "syntax error" },
	{ DKIM_SIGERROR_EMPTY_V, DKIM_VERIFY_PERMERROR, "syntax error" },
	{ DKIM_SIGERROR_INVALID_H, DKIM_VERIFY_PERMERROR, "From not signed" },
	{ DKIM_SIGERROR_TOOLARGE_L, DKIM_VERIFY_PERMERROR, "l= exceeds body length" },
	{ DKIM_SIGERROR_NOKEY, DKIM_VERIFY_PERMERROR, "no key" },
	{ DKIM_SIGERROR_KEYFAIL, DKIM_VERIFY_TEMPERROR, "key lookup failed" },
	{ DKIM_SIGERROR_KEYREVOKED, DKIM_VERIFY_PERMERROR, "key revoked" },
	{ DKIM_SIGERROR_DNSSYNTAX, DKIM_VERIFY_PERMERROR, "bad key record" },
	{ DKIM_SIGERROR_MULTIREPLY, DKIM_VERIFY_PERMERROR, "bad key record" },
	{ DKIM_SIGERROR_KEYVERSION, DKIM_VERIFY_PERMERROR, "bad key record" },
	{ DKIM_SIGERROR_KEYUNKNOWNHASH, DKIM_VERIFY_PERMERROR, "bad key record" },
	{ DKIM_SIGERROR_KEYHASHMISMATCH, DKIM_VERIFY_PERMERROR, "bad key record" },
	{ DKIM_SIGERROR_NOTEMAILKEY, DKIM_VERIFY_PERMERROR, "bad key record" },
	{ DKIM_SIGERROR_KEYTYPEMISSING, DKIM_VERIFY_PERMERROR, "bad key record" },
	{ DKIM_SIGERROR_KEYTYPEUNKNOWN, DKIM_VERIFY_PERMERROR, "bad key record" },
	{ DKIM_SIGERROR_KEYDECODE, DKIM_VERIFY_PERMERROR, "bad key record" },
	{ DKIM_SIGERROR_SUBDOMAIN, DKIM_VERIFY_PERMERROR, "identity not allowed by key" },
	{ DKIM_SIGERROR_KEYTOOSMALL, DKIM_VERIFY_POLICY, "key too small" },
};

const char *dkim_verify_status_name(enum dkim_verify_status s)
{
	switch (s) {
	case DKIM_VERIFY_PASS:
		return "pass";
	case DKIM_VERIFY_FAIL:
		return "fail";
	case DKIM_VERIFY_NEUTRAL:
		return "neutral";
	case DKIM_VERIFY_POLICY:
		return "policy";
	case DKIM_VERIFY_TEMPERROR:
		return "temperror";
	case DKIM_VERIFY_PERMERROR:
		return "permerror";
	}
	return "permerror";
}

/* ---- the library handle ---------------------------------------------------- */

static DKIM_CBSTAT dkim_verify_key_lookup(DKIM *d, DKIM_SIGINFO *sig, u_char *buf, size_t buflen);
static char *dkim_verify_tag(DKIM_SIGINFO *sig, const char *tag, bool lower, size_t max);
static DKIM_CBSTAT dkim_verify_prescreen(DKIM *d, DKIM_SIGINFO **sigs, int nsigs);

/* Sets the options every verifier relies on (see the top of this file). */
static bool dkim_verify_lib_setup(DKIM_LIB *lib)
{
	char queryinfo[] = "/dev/null"; /* copied by libopendkim */
	dkim_query_t qtype = DKIM_QUERY_FILE;
	unsigned int flags = 0;

	if (dkim_options(lib, DKIM_OP_GETOPT, DKIM_OPTS_FLAGS, &flags, sizeof flags) !=
	    DKIM_STAT_OK)
		return false;
	flags |= DKIM_LIBFLAGS_BADSIGHANDLES | DKIM_LIBFLAGS_DELAYSIGPROC;
	return dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_FLAGS, &flags, sizeof flags) ==
		       DKIM_STAT_OK &&
	       dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_QUERYMETHOD, &qtype, sizeof qtype) ==
		       DKIM_STAT_OK &&
	       dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_QUERYINFO, queryinfo,
			    sizeof queryinfo) == DKIM_STAT_OK &&
	       dkim_set_key_lookup(lib, dkim_verify_key_lookup) == DKIM_STAT_OK &&
	       dkim_set_prescreen(lib, dkim_verify_prescreen) == DKIM_STAT_OK;
}

struct dkim_verify_lib *dkim_verify_lib_new(unsigned max_signatures, struct strbuf *err)
{
	struct dkim_verify_lib *lib;

	if (max_signatures < 1 || max_signatures > DKIM_VERIFY_MAX_SIGNATURES) {
		strbuf_appendf(err, "DKIM: %u signatures per message, want 1..%u", max_signatures,
			       DKIM_VERIFY_MAX_SIGNATURES);
		return NULL;
	}
	lib = xcalloc(1, sizeof *lib);
	lib->max = max_signatures;
	lib->lib = dkim_init(NULL, NULL);
	if (lib->lib == NULL) {
		strbuf_appends(err, "DKIM: libopendkim did not initialise");
		free(lib);
		return NULL;
	}
	if (!dkim_verify_lib_setup(lib->lib)) {
		strbuf_appends(err, "DKIM: libopendkim refused the verifying options");
		dkim_verify_lib_free(lib);
		return NULL;
	}
	return lib;
}

void dkim_verify_lib_free(struct dkim_verify_lib *lib)
{
	if (lib == NULL)
		return;
	if (lib->lib != NULL)
		dkim_close(lib->lib);
	free(lib);
}

/* ---- feeding the message ------------------------------------------------------ */

struct dkim_verifier *dkim_verifier_new(struct dkim_verify_lib *lib, const char *id,
					dkim_verify_fetch_fn fetch, void *fetch_arg)
{
	struct dkim_verifier *v = xcalloc(1, sizeof *v);
	DKIM_STAT stat = DKIM_STAT_OK;

	v->lib = lib;
	v->id = xstrdup(id != NULL ? id : "");
	v->fetch = fetch;
	v->fetch_arg = fetch_arg;
	v->fields = xcalloc(lib->max, sizeof *v->fields);
	v->eoh_stat = v->body_stat = DKIM_STAT_OK;
	v->dkim = dkim_verify(lib->lib, (const unsigned char *)v->id, NULL, &stat);
	if (v->dkim != NULL)
		dkim_set_user_context(v->dkim, v);
	return v;
}

/*
 * Hands the DKIM-Signature field "name: value" over unless dkim_field
 * finds it unsafe; notes its slot and any syntax error in f.
 */
static void dkim_verify_signature_field(struct dkim_verifier *v, struct dkim_verify_field *f,
					const char *name, const char *value)
{
	struct strbuf why = STRBUF_INIT;
	enum dkim_field_verdict verdict;
	const char *text;

	f->slot = -1;
	dkim_field_line(&v->line, name, value);
	verdict = dkim_field_check_signature(value, v->line.len, &why);
	if (verdict != DKIM_FIELD_UNSAFE && v->dkim != NULL) {
		f->slot = (int)v->nslots++;
		if (dkim_header(v->dkim, (u_char *)v->line.data, v->line.len) != DKIM_STAT_OK) {
			text = dkim_geterror(v->dkim);
			strbuf_reset(&why);
			strbuf_appends(&why, text != NULL && *text != '\0'
						     ? text
						     : "libopendkim refused the field");
		}
	}
	f->syntax = why.len > 0;
	f->detail = f->syntax ? strbuf_detach(&why) : NULL;
	strbuf_free(&why);
}

int dkim_verifier_header(struct dkim_verifier *v, const char *name, const char *value)
{
	if (v->eoh_done)
		return -1;
	if (name == NULL)
		return 0;
	if (value == NULL)
		value = "";
	if (dkim_field_is_signature(name)) {
		/* beyond the cap: not handed over, see dkim_verify.h */
		if (v->nfields < v->lib->max)
			dkim_verify_signature_field(v, &v->fields[v->nfields++], name, value);
		return 0;
	}
	if (v->dkim != NULL) {
		dkim_field_line(&v->line, name, value);
		(void)dkim_header(v->dkim, (u_char *)v->line.data, v->line.len);
	}
	return 0;
}

int dkim_verifier_eoh(struct dkim_verifier *v)
{
	if (v->eoh_done)
		return 0;
	v->eoh_done = true;
	v->eoh_stat = v->dkim != NULL ? dkim_eoh(v->dkim) : DKIM_STAT_NORESOURCE;
	/* every signature ignored (see dkim_verify_prescreen): no body needed */
	if (v->eoh_stat == DKIM_STAT_NOSIG && v->nslots > 0)
		v->body_stat = DKIM_STAT_NOSIG;
	return 0;
}

int dkim_verifier_body(struct dkim_verifier *v, const unsigned char *chunk, size_t len)
{
	DKIM_STAT stat;

	if (v->eom_done)
		return -1;
	dkim_verifier_eoh(v);
	if (v->eoh_stat != DKIM_STAT_OK || v->body_stat != DKIM_STAT_OK || len == 0)
		return 0;
	stat = dkim_body(v->dkim, (u_char *)chunk, len);
	if (stat != DKIM_STAT_OK)
		v->body_stat = stat;
	v->tail[0] = len > 1 ? (char)chunk[len - 2] : v->tail[1];
	v->tail[1] = (char)chunk[len - 1];
	v->body_len += len;
	return 0;
}

/* ---- key lookup ---------------------------------------------------------------- */

/*
 * libopendkim's prescreen, at end of headers: signatures already known
 * to be syntax errors are marked to be ignored, so they cost no key
 * lookup and no verifying.
 */
static DKIM_CBSTAT dkim_verify_prescreen(DKIM *d, DKIM_SIGINFO **sigs, int nsigs)
{
	struct dkim_verifier *v = dkim_get_user_context(d);
	unsigned i;

	if (nsigs < 0 || (unsigned)nsigs != v->nslots)
		return DKIM_CBSTAT_CONTINUE; /* no match: dkim_verify_finish gives up */
	for (i = 0; i < v->nfields; i++)
		if (v->fields[i].slot >= 0 && v->fields[i].syntax)
			dkim_sig_ignore(sigs[v->fields[i].slot]);
	return DKIM_CBSTAT_CONTINUE;
}

/* The field of sig, or NULL. */
static struct dkim_verify_field *dkim_verify_field_of(struct dkim_verifier *v, DKIM_SIGINFO *sig)
{
	DKIM_SIGINFO **list;
	unsigned i;
	int n;

	if (dkim_getsiglist(v->dkim, &list, &n) != DKIM_STAT_OK)
		return NULL;
	for (i = 0; i < v->nfields; i++)
		if (v->fields[i].slot >= 0 && v->fields[i].slot < n &&
		    list[v->fields[i].slot] == sig)
			return &v->fields[i];
	return NULL;
}

/* What a lookup's status means, for details (dns.o stays out of this module). */
static const char *dkim_verify_dns_text(enum dns_status st)
{
	switch (st) {
	case DNS_OK:
		return "found";
	case DNS_NXDOMAIN:
		return "no such name";
	case DNS_NODATA:
		return "no TXT record";
	case DNS_BADNAME:
		return "not a name DNS can be asked for";
	case DNS_TEMPFAIL:
		break;
	}
	return "lookup failed";
}

/* False, with why in err, when record's k= does not suit sig's a=. */
static bool dkim_verify_key_type_ok(DKIM_SIGINFO *sig, const char *record, struct strbuf *err)
{
	char *alg = dkim_verify_tag(sig, "a", true, DKIM_VERIFY_TAG_MAX);
	bool ok = dkim_field_check_key(record, alg, err) == DKIM_FIELD_OK;

	free(alg);
	return ok;
}

/*
 * Asks the verifier's fetch function for the key record of sig and
 * copies it to buf.  Remembers the outcome in sig's field, and for
 * libopendkim maps it to: CONTINUE (buf has the record), NOTFOUND (no
 * key), TRYAGAIN (temporary failure), ERROR (a record libopendkim could
 * not take whole, or one of a key type the algorithm cannot use).
 */
static DKIM_CBSTAT dkim_verify_key_lookup(DKIM *d, DKIM_SIGINFO *sig, u_char *buf, size_t buflen)
{
	struct dkim_verifier *v = dkim_get_user_context(d);
	struct strbuf name = STRBUF_INIT, txt = STRBUF_INIT, err = STRBUF_INIT;
	struct dkim_verify_field *f = dkim_verify_field_of(v, sig);
	enum dkim_verify_lookup what;
	enum dns_status st = DNS_BADNAME;
	DKIM_CBSTAT cb;

	strbuf_appendf(&name, "%s._domainkey.%s", (const char *)dkim_sig_getselector(sig),
		       (const char *)dkim_sig_getdomain(sig));
	if (name.len <= DKIM_VERIFY_NAME_MAX)
		st = v->fetch(v->fetch_arg, name.data, &txt, &err);
	else
		strbuf_appends(&err, "name too long");
	what = DKIM_VERIFY_LOOKUP_TEMPFAIL;
	cb = DKIM_CBSTAT_TRYAGAIN;
	if (st == DNS_OK && !dkim_verify_key_type_ok(sig, strbuf_cstr(&txt), &err)) {
		what = DKIM_VERIFY_LOOKUP_KEYTYPE;
		cb = DKIM_CBSTAT_ERROR;
	} else if (st == DNS_OK && txt.len < buflen &&
		   memchr(strbuf_cstr(&txt), '\0', txt.len) == NULL) {
		memcpy(buf, strbuf_cstr(&txt), txt.len + 1);
		what = DKIM_VERIFY_LOOKUP_OK;
		cb = DKIM_CBSTAT_CONTINUE;
	} else if (st == DNS_OK) {
		strbuf_appendf(&err, "a record of %zu bytes, more than libopendkim takes", txt.len);
		what = DKIM_VERIFY_LOOKUP_BADRECORD;
		cb = DKIM_CBSTAT_ERROR;
	} else if (st == DNS_NXDOMAIN || st == DNS_NODATA || st == DNS_BADNAME) {
		what = DKIM_VERIFY_LOOKUP_NOKEY;
		cb = DKIM_CBSTAT_NOTFOUND;
	}
	if (f != NULL && !f->syntax) {
		f->lookup = what;
		free(f->detail);
		f->detail = NULL;
		if (what != DKIM_VERIFY_LOOKUP_OK) {
			strbuf_reset(&txt);
			strbuf_appendf(&txt, "%s: %s%s%s", name.data, dkim_verify_dns_text(st),
				       err.len > 0 ? ": " : "", strbuf_cstr(&err));
			f->detail = strbuf_detach(&txt);
		}
	}
	strbuf_free(&name);
	strbuf_free(&txt);
	strbuf_free(&err);
	return cb;
}

/* ---- results ------------------------------------------------------------------- */

/*
 * A copy of sig's tag (at most max bytes; blanks dropped; lower case if
 * asked), "" when absent.  Caller frees.
 */
static char *dkim_verify_tag(DKIM_SIGINFO *sig, const char *tag, bool lower, size_t max)
{
	const u_char *p = sig != NULL ? dkim_sig_gettagvalue(sig, 0, (u_char *)tag) : NULL;
	struct strbuf sb = STRBUF_INIT;

	for (; p != NULL && *p != '\0' && sb.len < max; p++)
		if (!isspace(*p))
			strbuf_appendc(&sb, (char)(lower ? tolower(*p) : *p));
	return strbuf_detach(&sb);
}

/* Fills the tags of r from sig (NULL: none known). */
static void dkim_verify_fill_tags(struct dkim_verifier *v, DKIM_SIGINFO *sig,
				  struct dkim_verify_sig *r)
{
	u_char id[DKIM_VERIFY_TAG_MAX + 1];

	r->domain = dkim_verify_tag(sig, "d", true, DKIM_VERIFY_TAG_MAX);
	r->selector = dkim_verify_tag(sig, "s", false, DKIM_VERIFY_TAG_MAX);
	r->algorithm = dkim_verify_tag(sig, "a", true, DKIM_VERIFY_TAG_MAX);
	r->b_prefix = dkim_verify_tag(sig, "b", false, DKIM_VERIFY_B_PREFIX);
	r->identity = NULL;
	if (sig == NULL || dkim_sig_gettagvalue(sig, 0, (u_char *)"i") == NULL)
		return;
	if (dkim_sig_getidentity(v->dkim, sig, id, sizeof id) == DKIM_STAT_OK)
		r->identity = xstrdup((const char *)id);
	else
		r->identity = dkim_verify_tag(sig, "i", false, DKIM_VERIFY_TAG_MAX);
}

/*
 * Judges the signature of field f from libopendkim's verdict on sig:
 * returns the reason and sets *status.
 */
static const char *dkim_verify_judge(const struct dkim_verify_field *f, DKIM_SIGINFO *sig,
				     enum dkim_verify_status *status)
{
	int error = dkim_sig_geterror(sig);
	dkim_alg_t alg = DKIM_SIGN_UNKNOWN;
	size_t i;

	*status = DKIM_VERIFY_PERMERROR;
	if (f->syntax)
		return "syntax error";
	if (f->lookup == DKIM_VERIFY_LOOKUP_BADRECORD)
		return "bad key record";
	if (f->lookup == DKIM_VERIFY_LOOKUP_KEYTYPE)
		return "inappropriate key algorithm";
	*status = DKIM_VERIFY_TEMPERROR;
	if (f->lookup == DKIM_VERIFY_LOOKUP_TEMPFAIL)
		return "key lookup failed";
	*status = DKIM_VERIFY_PASS;
	if (DKIM_SIG_CHECK(sig) && error == DKIM_SIGERROR_OK) {
		(void)dkim_sig_getsignalg(sig, &alg);
		if (alg != DKIM_SIGN_RSASHA1)
			return "signature verified";
		*status = DKIM_VERIFY_POLICY;
		return "rsa-sha1 not accepted";
	}
	*status = DKIM_VERIFY_FAIL;
	if (dkim_sig_getbh(sig) == DKIM_SIGBH_MISMATCH)
		return "body hash mismatch";
	if (error == DKIM_SIGERROR_BADSIG)
		return "signature mismatch";
	for (i = 0; i < sizeof dkim_verify_errors / sizeof dkim_verify_errors[0]; i++)
		if (dkim_verify_errors[i].error == error) {
			*status = dkim_verify_errors[i].status;
			return dkim_verify_errors[i].reason;
		}
	*status = DKIM_VERIFY_NEUTRAL;
	return "not verified";
}

/*
 * The result of field f; sig is libopendkim's signature, NULL when the
 * field was not handed over (a syntax error) or libopendkim gave up.
 */
static void dkim_verify_result(struct dkim_verifier *v, const struct dkim_verify_field *f,
			       DKIM_SIGINFO *sig, struct dkim_verify_sig *r)
{
	const char *text = NULL;
	int error;

	dkim_verify_fill_tags(v, sig, r);
	if (sig == NULL) {
		r->status = f->syntax ? DKIM_VERIFY_PERMERROR : DKIM_VERIFY_TEMPERROR;
		r->reason = f->syntax ? "syntax error" : "internal error";
		text = f->syntax ? f->detail : v->dkim != NULL ? dkim_geterror(v->dkim) : NULL;
		r->detail = xstrdup(
			text != NULL && *text != '\0' ? text : "libopendkim failed");
		return;
	}
	r->reason = dkim_verify_judge(f, sig, &r->status);
	error = dkim_sig_geterror(sig);
	if (f->lookup != DKIM_VERIFY_LOOKUP_NONE && f->lookup != DKIM_VERIFY_LOOKUP_OK)
		text = f->detail;
	else if (r->status != DKIM_VERIFY_PASS && error != DKIM_SIGERROR_OK &&
		 error != DKIM_SIGERROR_UNKNOWN)
		text = dkim_sig_geterrorstr(error);
	else if (f->detail != NULL)
		text = f->detail;
	else if (r->status == DKIM_VERIFY_NEUTRAL)
		text = dkim_geterror(v->dkim);
	r->detail = text != NULL && *text != '\0' ? xstrdup(text) : NULL;
}

/*
 * Runs libopendkim's end of message; its signature list (one per slot),
 * or NULL when there is none or it does not match the slots.
 */
static DKIM_SIGINFO **dkim_verify_run_eom(struct dkim_verifier *v)
{
	DKIM_SIGINFO **list = NULL;
	int n = 0;

	if (v->nslots == 0 || !((v->eoh_stat == DKIM_STAT_OK && v->body_stat == DKIM_STAT_OK) ||
				v->body_stat == DKIM_STAT_NOSIG))
		return NULL;
	/* a last line without its line end: see the top of this file */
	if (v->body_stat == DKIM_STAT_OK && v->body_len > 0 &&
	    !(v->tail[0] == '\r' && v->tail[1] == '\n'))
		(void)dkim_body(v->dkim, (u_char *)"\r\n", 2);
	(void)dkim_eom(v->dkim, NULL);
	if (dkim_getsiglist(v->dkim, &list, &n) != DKIM_STAT_OK || n < 0 ||
	    (unsigned)n != v->nslots)
		return NULL;
	return list;
}

/* Makes one result per field. */
static void dkim_verify_finish(struct dkim_verifier *v)
{
	DKIM_SIGINFO **list;
	const struct dkim_verify_field *f;
	unsigned i;

	if (v->nfields == 0)
		return;
	list = dkim_verify_run_eom(v);
	v->res = xcalloc(v->nfields, sizeof *v->res);
	v->nres = v->nfields;
	for (i = 0; i < v->nfields; i++) {
		f = &v->fields[i];
		dkim_verify_result(v, f, list != NULL && f->slot >= 0 ? list[f->slot] : NULL,
				   &v->res[i]);
	}
}

size_t dkim_verifier_eom(struct dkim_verifier *v, const struct dkim_verify_sig **sigs)
{
	if (!v->eom_done) {
		dkim_verifier_eoh(v);
		v->eom_done = true;
		dkim_verify_finish(v);
	}
	*sigs = v->res;
	return v->nres;
}

void dkim_verifier_free(struct dkim_verifier *v)
{
	size_t i;

	if (v == NULL)
		return;
	for (i = 0; i < v->nres; i++) {
		free(v->res[i].domain);
		free(v->res[i].selector);
		free(v->res[i].identity);
		free(v->res[i].algorithm);
		free(v->res[i].b_prefix);
		free(v->res[i].detail);
	}
	free(v->res);
	for (i = 0; i < v->nfields; i++)
		free(v->fields[i].detail);
	free(v->fields);
	if (v->dkim != NULL)
		dkim_free(v->dkim);
	strbuf_free(&v->line);
	free(v->id);
	free(v);
}
