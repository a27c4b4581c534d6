/*
 * mac_seal64 - compact sealed tokens for URLs; see mac.h.
 *
 * The base32 tokens of mac.c survive a local part whose case an MTA may
 * change; a URL path keeps its case, so tokens that travel only in URLs
 * (tracking links) use base64url, a quarter shorter, with a longer tag.
 *
 * Diagnostics: none; a token that does not open is only a result.
 */
#include "autoconf.h"

#include <string.h>

#include "base64.h"
#include "mac.h"
#include "strbuf.h"

static const char mac_b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

void mac_base64url_encode(const void *data, size_t len, struct strbuf *out)
{
	const unsigned char *p = data;
	unsigned long acc = 0;
	unsigned bits = 0;
	size_t i;

	for (i = 0; i < len; i++) {
		acc = (acc << 8) | p[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			strbuf_appendc(out, mac_b64_alphabet[(acc >> bits) & 63]);
		}
	}
	if (bits > 0)
		strbuf_appendc(out, mac_b64_alphabet[(acc << (6 - bits)) & 63]);
}

int mac_base64url_decode(const char *s, size_t len, struct strbuf *out)
{
	unsigned long acc = 0;
	unsigned bits = 0;
	size_t i;

	if (len % 4 == 1)
		return -1;	/* 6 bits cannot end a byte */
	for (i = 0; i < len; i++) {
		int v = base64_value((unsigned char)s[i], true);

		if (v < 0)
			return -1;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			strbuf_appendc(out, (char)((acc >> bits) & 0xff));
		}
	}
	/* strict: the bits left over must be zero, so one spelling per payload */
	return (acc & ((1ul << bits) - 1)) == 0 ? 0 : -1;
}

/* The MAC64_TAG_LEN-byte tag of (purpose, payload). */
static void mac_tag64(const struct mac_key *key, const char *purpose, const void *payload,
		      size_t len, unsigned char tag[MAC64_TAG_LEN])
{
	struct mac_field f[2] = { { purpose, strlen(purpose) }, { payload, len } };
	unsigned char full[MAC_LEN];

	mac_hmac(key, f, 2, full);
	memcpy(tag, full, MAC64_TAG_LEN);
}

void mac_seal64(const struct mac_key *key, const char *purpose, const void *payload,
		size_t len, struct strbuf *out)
{
	struct strbuf raw = STRBUF_INIT;
	unsigned char tag[MAC64_TAG_LEN];

	mac_tag64(key, purpose, payload, len, tag);
	strbuf_append(&raw, payload, len);
	strbuf_append(&raw, tag, sizeof tag);
	mac_base64url_encode(raw.data, raw.len, out);
	strbuf_free(&raw);
}

enum mac_open_result mac_open64(const struct mac_key *key, const char *purpose,
				const char *token, size_t len, struct strbuf *out)
{
	struct strbuf raw = STRBUF_INIT;
	unsigned char want[MAC64_TAG_LEN];
	enum mac_open_result r = MAC_OPEN_MALFORMED;
	size_t plen;

	if (mac_base64url_decode(token, len, &raw) != 0 || raw.len <= MAC64_TAG_LEN)
		goto out;
	plen = raw.len - MAC64_TAG_LEN;
	mac_tag64(key, purpose, raw.data, plen, want);
	r = mac_equal(want, raw.data + plen, MAC64_TAG_LEN) ? MAC_OPEN_OK : MAC_OPEN_FORGED;
	if (r == MAC_OPEN_OK)
		strbuf_append(out, raw.data, plen);
out:
	strbuf_free(&raw);
	return r;
}

unsigned char mac_key_id(const struct mac_key *key)
{
	unsigned char id;

	mac_short_hash(key, "key-id", "", 0, &id, 1);
	return id;
}
