/*
 * verp - VERP envelope senders; see verp.h for the format and the
 * handling of long recipients.
 *
 * Diagnostics: verp_encode's reasons, listed in verp.h.  Decoding reports
 * only its result: a bounce address is input from anyone.
 */
#include "autoconf.h"

#include <string.h>

#include "account.h"
#include "address.h"
#include "entries.h"
#include "mac.h"
#include "punycode.h"
#include "strbuf.h"
#include "verp.h"

#define VERP_PURPOSE "verp"
#define VERP_RCPT_PURPOSE "verp-rcpt"
#define VERP_VERSION 0x10

int verp_norm_domain(const char *domain, struct strbuf *out)
{
	struct strbuf low = STRBUF_INIT;
	size_t start = out->len, n = strlen(domain), i;
	int rc = -1;

	if (n > 0 && domain[n - 1] == '.')
		n--;
	for (i = 0; i < n; i++) {
		char c = domain[i];

		strbuf_appendc(&low, c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c);
	}
	if (punycode_domain_to_ascii(strbuf_cstr(&low), out) == 0 &&
	    account_domain_name_valid(out->data + start))
		rc = 0;
	strbuf_free(&low);
	return rc;
}

void verp_norm_rcpt(const char *rcpt, struct strbuf *out)
{
	entry_normalize_addr(rcpt, out);
}

void verp_rcpt_hash(const struct mac_key *key, const char *norm_rcpt,
		    unsigned char out[VERP_RCPT_HASH_LEN])
{
	mac_short_hash(key, VERP_RCPT_PURPOSE, norm_rcpt, strlen(norm_rcpt), out,
		       VERP_RCPT_HASH_LEN);
}

/* Builds the payload for (msgid, normalised rcpt); returns the form. */
static enum verp_rcpt_form verp_payload(const struct mac_key *key, const char *msgid,
					const struct strbuf *rcpt, struct strbuf *payload)
{
	size_t idlen = strlen(msgid);
	enum verp_rcpt_form form = VERP_RCPT_HASHED;
	unsigned char hash[VERP_RCPT_HASH_LEN];

	if (rcpt->len == 0)
		form = VERP_RCPT_NONE;
	else if (2 + idlen + rcpt->len <= VERP_PAYLOAD_MAX)
		form = VERP_RCPT_INLINE;
	strbuf_appendc(payload, (char)(VERP_VERSION | form));
	strbuf_appendc(payload, (char)idlen);
	strbuf_append(payload, msgid, idlen);
	if (form == VERP_RCPT_INLINE) {
		strbuf_append(payload, rcpt->data, rcpt->len);
	} else if (form == VERP_RCPT_HASHED) {
		verp_rcpt_hash(key, rcpt->data, hash);
		strbuf_append(payload, hash, sizeof hash);
	}
	return form;
}

int verp_encode(const struct mac_key *key, const char *domain, const char *msgid,
		const char *rcpt, struct strbuf *out, enum verp_rcpt_form *form,
		struct strbuf *err)
{
	struct strbuf dom = STRBUF_INIT, addr = STRBUF_INIT, payload = STRBUF_INIT;
	size_t idlen = strlen(msgid);
	enum verp_rcpt_form f;

	if (verp_norm_domain(domain, &dom) != 0) {
		strbuf_appendf(err, "sender domain \"%s\" is not a valid domain name", domain);
		strbuf_free(&dom);
		return -1;
	}
	if (idlen == 0 || idlen > VERP_MSGID_MAX) {
		strbuf_appendf(err, "message id of %zu bytes (want 1..%d)", idlen, VERP_MSGID_MAX);
		strbuf_free(&dom);
		return -1;
	}
	verp_norm_rcpt(rcpt != NULL && strcmp(rcpt, "<>") != 0 ? rcpt : "", &addr);
	f = verp_payload(key, msgid, &addr, &payload);
	mac_seal(key, VERP_PURPOSE, dom.data, payload.data, payload.len, VERP_PREFIX, out);
	strbuf_appendc(out, '@');
	strbuf_append(out, dom.data, dom.len);
	if (form != NULL)
		*form = f;
	strbuf_free(&dom);
	strbuf_free(&addr);
	strbuf_free(&payload);
	return 0;
}

/* Fills info from an authenticated payload; false when its shape is wrong. */
static bool verp_parse_payload(const struct mac_key *key, const struct strbuf *p,
			       struct verp_info *info)
{
	const unsigned char *b = (const unsigned char *)p->data;
	size_t idlen, rest;

	if (p->len < 3 || p->len > VERP_PAYLOAD_MAX || (b[0] & 0xf0) != VERP_VERSION)
		return false;
	idlen = b[1];
	if (idlen == 0 || idlen > VERP_MSGID_MAX || 2 + idlen > p->len ||
	    memchr(b + 2, '\0', idlen) != NULL)
		return false;
	memcpy(info->msgid, b + 2, idlen);
	rest = p->len - 2 - idlen;
	info->form = (enum verp_rcpt_form)(b[0] & 0x0f);
	switch (info->form) {
	case VERP_RCPT_NONE:
		return rest == 0;
	case VERP_RCPT_INLINE:
		if (rest == 0 || memchr(b + 2 + idlen, '\0', rest) != NULL)
			return false;
		memcpy(info->rcpt, b + 2 + idlen, rest);
		verp_rcpt_hash(key, info->rcpt, info->rcpt_hash);
		return true;
	case VERP_RCPT_HASHED:
		if (rest != VERP_RCPT_HASH_LEN)
			return false;
		memcpy(info->rcpt_hash, b + 2 + idlen, rest);
		return true;
	}
	return false;
}

enum verp_result verp_decode(const struct mac_key *key, const char *address,
			     struct verp_info *info)
{
	struct strbuf local = STRBUF_INIT, domain = STRBUF_INIT, dom = STRBUF_INIT;
	struct strbuf payload = STRBUF_INIT;
	enum verp_result r = VERP_NOT_VERP;
	enum mac_open_result o;

	memset(info, 0, sizeof *info);
	if (address_split(address, &local, &domain) != ADDRESS_OK ||
	    !mac_has_prefix(local.data, local.len, VERP_PREFIX))
		goto out;
	r = VERP_MALFORMED;
	if (verp_norm_domain(domain.data, &dom) != 0)
		goto out;
	o = mac_open(key, VERP_PURPOSE, dom.data, local.data, local.len, VERP_PREFIX, &payload);
	if (o != MAC_OPEN_OK) {
		r = o == MAC_OPEN_FORGED ? VERP_FORGED : VERP_MALFORMED;
		goto out;
	}
	if (!verp_parse_payload(key, &payload, info)) {
		memset(info, 0, sizeof *info);
		goto out;
	}
	memcpy(info->domain, dom.data, dom.len);
	r = VERP_OK;
out:
	strbuf_free(&local);
	strbuf_free(&domain);
	strbuf_free(&dom);
	strbuf_free(&payload);
	return r;
}

bool verp_rcpt_matches(const struct mac_key *key, const struct verp_info *info,
		       const char *candidate)
{
	struct strbuf norm = STRBUF_INIT;
	unsigned char hash[VERP_RCPT_HASH_LEN];

	if (info->form != VERP_RCPT_INLINE && info->form != VERP_RCPT_HASHED)
		return false;
	verp_norm_rcpt(candidate, &norm);
	verp_rcpt_hash(key, strbuf_cstr(&norm), hash);
	strbuf_free(&norm);
	return mac_equal(hash, info->rcpt_hash, sizeof hash);
}

const char *verp_result_name(enum verp_result r)
{
	switch (r) {
	case VERP_OK:
		return "ok";
	case VERP_NOT_VERP:
		return "not VERP";
	case VERP_MALFORMED:
		return "malformed";
	case VERP_FORGED:
		return "forged";
	}
	return "unknown";
}
