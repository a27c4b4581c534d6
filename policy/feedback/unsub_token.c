/*
 * unsub_token - unsubscribe tokens; see unsub_token.h for the format.
 *
 * Diagnostics: the make functions' reasons, listed in unsub_token.h.
 * Verification reports only its result: tokens come from anyone.
 */
#include "autoconf.h"

#include <string.h>

#include "account.h"
#include "address.h"
#include "mac.h"
#include "strbuf.h"
#include "unsub_token.h"
#include "verp.h"

#define UNSUB_PURPOSE "unsub"
#define UNSUB_RCPT_PURPOSE "unsub-rcpt"
#define UNSUB_VERSION 0x10
#define UNSUB_F_INLINE 0x01
#define UNSUB_F_HASHED 0x02
#define UNSUB_F_DOMAIN 0x04
#define UNSUB_F_ACCOUNT 0x08

/* Normalised inputs of a token. */
struct unsub_input {
	struct strbuf domain;
	struct strbuf rcpt;
	const char *account;	/* "" for none */
};

static void unsub_input_free(struct unsub_input *in)
{
	strbuf_free(&in->domain);
	strbuf_free(&in->rcpt);
}

/* Normalises and checks the inputs.  0, or -1 with err. */
static int unsub_input_make(struct unsub_input *in, const char *domain, const char *rcpt,
			    const char *account, struct strbuf *err)
{
	strbuf_init(&in->domain);
	strbuf_init(&in->rcpt);
	in->account = account != NULL ? account : "";
	if (verp_norm_domain(domain, &in->domain) != 0) {
		strbuf_appendf(err, "sender domain \"%s\" is not a valid domain name", domain);
		return -1;
	}
	verp_norm_rcpt(rcpt != NULL ? rcpt : "", &in->rcpt);
	if (in->rcpt.len == 0) {
		strbuf_appends(err, "no recipient");
		return -1;
	}
	if (in->rcpt.len > UNSUB_RCPT_MAX) {
		strbuf_appendf(err, "recipient of %zu bytes is too long (at most %d)", in->rcpt.len,
			       UNSUB_RCPT_MAX);
		return -1;
	}
	if (*in->account != '\0' && !account_name_valid(in->account)) {
		strbuf_appendf(err, "account name \"%s\" is not valid", in->account);
		return -1;
	}
	return 0;
}

/* Appends a length byte and s. */
static void unsub_put_field(struct strbuf *p, const char *s, size_t len)
{
	strbuf_appendc(p, (char)len);
	strbuf_append(p, s, len);
}

/* Builds the payload; with_domain selects the url form. */
static void unsub_payload(const struct mac_key *key, const struct unsub_input *in,
			  bool with_domain, struct strbuf *p)
{
	size_t alen = strlen(in->account), head = 1 + (alen ? 1 + alen : 0);
	unsigned flags = UNSUB_VERSION;
	unsigned char hash[UNSUB_RCPT_HASH_LEN];

	if (with_domain)
		flags |= UNSUB_F_DOMAIN | UNSUB_F_INLINE;
	else if (head + in->rcpt.len <= VERP_PAYLOAD_MAX)
		flags |= UNSUB_F_INLINE;
	else
		flags |= UNSUB_F_HASHED;
	if (alen > 0)
		flags |= UNSUB_F_ACCOUNT;
	strbuf_appendc(p, (char)flags);
	if (with_domain)
		unsub_put_field(p, in->domain.data, in->domain.len);
	if (alen > 0)
		unsub_put_field(p, in->account, alen);
	if (flags & UNSUB_F_INLINE) {
		strbuf_append(p, in->rcpt.data, in->rcpt.len);
	} else {
		mac_short_hash(key, UNSUB_RCPT_PURPOSE, in->rcpt.data, in->rcpt.len, hash,
			       sizeof hash);
		strbuf_append(p, hash, sizeof hash);
	}
}

int unsub_mailto_make(const struct mac_key *key, const char *domain, const char *rcpt,
		      const char *account, struct strbuf *out, struct strbuf *err)
{
	struct strbuf payload = STRBUF_INIT;
	struct unsub_input in;
	int rc = -1;

	if (unsub_input_make(&in, domain, rcpt, account, err) != 0)
		goto out;
	if (strlen(in.account) > UNSUB_MAILTO_ACCOUNT_MAX) {
		strbuf_appendf(err, "account name of %zu bytes is too long for a mailto token "
				    "(at most %d)", strlen(in.account), UNSUB_MAILTO_ACCOUNT_MAX);
		goto out;
	}
	unsub_payload(key, &in, false, &payload);
	mac_seal(key, UNSUB_PURPOSE, in.domain.data, payload.data, payload.len, UNSUB_PREFIX,
		 out);
	strbuf_appendc(out, '@');
	strbuf_append(out, in.domain.data, in.domain.len);
	rc = 0;
out:
	unsub_input_free(&in);
	strbuf_free(&payload);
	return rc;
}

int unsub_url_make(const struct mac_key *key, const char *domain, const char *rcpt,
		   const char *account, struct strbuf *out, struct strbuf *err)
{
	struct strbuf payload = STRBUF_INIT;
	struct unsub_input in;
	int rc = -1;

	if (unsub_input_make(&in, domain, rcpt, account, err) == 0) {
		unsub_payload(key, &in, true, &payload);
		mac_seal(key, UNSUB_PURPOSE, "", payload.data, payload.len, UNSUB_PREFIX, out);
		rc = 0;
	}
	unsub_input_free(&in);
	strbuf_free(&payload);
	return rc;
}

/* Reads a length-prefixed field into dst (size cap + 1).  False if bad. */
static bool unsub_get_field(const unsigned char **p, size_t *left, char *dst, size_t cap)
{
	size_t n;

	if (*left < 1)
		return false;
	n = (*p)[0];
	if (n == 0 || n > cap || n + 1 > *left || memchr(*p + 1, '\0', n) != NULL)
		return false;
	memcpy(dst, *p + 1, n);
	dst[n] = '\0';
	*p += n + 1;
	*left -= n + 1;
	return true;
}

/* Fills info from an authenticated payload; false when its shape is wrong. */
static bool unsub_parse_payload(const struct mac_key *key, const struct strbuf *pl,
				bool want_domain, struct unsub_info *info)
{
	const unsigned char *p = (const unsigned char *)pl->data;
	size_t left = pl->len;
	unsigned flags;

	if (left < 2 || (p[0] & 0xf0) != UNSUB_VERSION)
		return false;
	flags = p[0] & 0x0f;
	p++;
	left--;
	if (((flags & UNSUB_F_DOMAIN) != 0) != want_domain ||
	    ((flags & UNSUB_F_INLINE) != 0) == ((flags & UNSUB_F_HASHED) != 0))
		return false;
	if ((flags & UNSUB_F_DOMAIN) &&
	    !unsub_get_field(&p, &left, info->domain, VERP_DOMAIN_MAX))
		return false;
	if ((flags & UNSUB_F_ACCOUNT) &&
	    (!unsub_get_field(&p, &left, info->account, UNSUB_ACCOUNT_MAX) ||
	     !account_name_valid(info->account)))
		return false;
	if (flags & UNSUB_F_HASHED) {
		if (left != UNSUB_RCPT_HASH_LEN)
			return false;
		memcpy(info->rcpt_hash, p, left);
		info->rcpt_hashed = true;
		return true;
	}
	if (left == 0 || left > UNSUB_RCPT_MAX || memchr(p, '\0', left) != NULL)
		return false;
	strbuf_append(&info->rcpt, p, left);
	mac_short_hash(key, UNSUB_RCPT_PURPOSE, p, left, info->rcpt_hash, UNSUB_RCPT_HASH_LEN);
	return true;
}

/* Empties info for a new verification. */
static void unsub_info_init(struct unsub_info *info)
{
	memset(info, 0, sizeof *info);
	strbuf_init(&info->rcpt);
}

/* Opens token for domain d ("" for the url form) and parses the payload. */
static enum unsub_result unsub_open(const struct mac_key *key, const char *d,
				    const char *token, size_t len, struct unsub_info *info)
{
	struct strbuf payload = STRBUF_INIT;
	enum mac_open_result o;
	enum unsub_result r;

	o = mac_open(key, UNSUB_PURPOSE, d, token, len, UNSUB_PREFIX, &payload);
	if (o == MAC_OPEN_NOT_OURS)
		r = UNSUB_NOT_TOKEN;
	else if (o == MAC_OPEN_FORGED)
		r = UNSUB_FORGED;
	else if (o != MAC_OPEN_OK || !unsub_parse_payload(key, &payload, *d == '\0', info))
		r = UNSUB_MALFORMED;
	else
		r = UNSUB_OK;
	strbuf_free(&payload);
	return r;
}

enum unsub_result unsub_mailto_verify(const struct mac_key *key, const char *address,
				      struct unsub_info *info)
{
	struct strbuf local = STRBUF_INIT, domain = STRBUF_INIT, dom = STRBUF_INIT;
	enum unsub_result r = UNSUB_NOT_TOKEN;

	unsub_info_init(info);
	if (address_split(address, &local, &domain) != ADDRESS_OK ||
	    !mac_has_prefix(local.data, local.len, UNSUB_PREFIX))
		goto out;
	r = UNSUB_MALFORMED;
	if (verp_norm_domain(domain.data, &dom) != 0 || dom.len > VERP_DOMAIN_MAX)
		goto out;
	r = unsub_open(key, dom.data, local.data, local.len, info);
	if (r == UNSUB_OK)
		memcpy(info->domain, dom.data, dom.len + 1);
out:
	if (r != UNSUB_OK)
		unsub_info_free(info);
	strbuf_free(&local);
	strbuf_free(&domain);
	strbuf_free(&dom);
	return r;
}

enum unsub_result unsub_url_verify(const struct mac_key *key, const char *token,
				   struct unsub_info *info)
{
	struct strbuf dom = STRBUF_INIT;
	enum unsub_result r;

	unsub_info_init(info);
	r = unsub_open(key, "", token, strlen(token), info);
	/* the domain inside was sealed by us; normalising again only checks */
	if (r == UNSUB_OK && (verp_norm_domain(info->domain, &dom) != 0 ||
			      strcmp(dom.data, info->domain) != 0))
		r = UNSUB_MALFORMED;
	if (r != UNSUB_OK)
		unsub_info_free(info);
	strbuf_free(&dom);
	return r;
}

bool unsub_rcpt_matches(const struct mac_key *key, const struct unsub_info *info,
			const char *candidate)
{
	struct strbuf norm = STRBUF_INIT;
	unsigned char hash[UNSUB_RCPT_HASH_LEN];

	if (!info->rcpt_hashed && info->rcpt.len == 0)
		return false;
	verp_norm_rcpt(candidate, &norm);
	mac_short_hash(key, UNSUB_RCPT_PURPOSE, norm.data, norm.len, hash, sizeof hash);
	strbuf_free(&norm);
	return mac_equal(hash, info->rcpt_hash, sizeof hash);
}

void unsub_info_free(struct unsub_info *info)
{
	if (info == NULL)
		return;
	strbuf_free(&info->rcpt);
	memset(info, 0, sizeof *info);
}

const char *unsub_result_name(enum unsub_result r)
{
	switch (r) {
	case UNSUB_OK:
		return "ok";
	case UNSUB_NOT_TOKEN:
		return "not a token";
	case UNSUB_MALFORMED:
		return "malformed";
	case UNSUB_FORGED:
		return "forged";
	}
	return "unknown";
}
