/*
 * mac - HMAC-SHA256, base32 and sealed tokens; see mac.h.
 *
 * Uses OpenSSL's one-shot HMAC() over a framed copy of the fields: the
 * inputs are a few hundred bytes, and a one-shot call keeps no state
 * between threads.
 *
 * Diagnostics: none; the functions here cannot fail except by running
 * out of memory, which aborts like every strbuf allocation.
 */
#include "autoconf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "mac.h"
#include "strbuf.h"

static const char mac_b32_alphabet[] = "abcdefghijklmnopqrstuvwxyz234567";

/* Appends n as 4 bytes, most significant first. */
static void mac_put_len(struct strbuf *sb, size_t n)
{
	unsigned char b[4];

	b[0] = (unsigned char)(n >> 24);
	b[1] = (unsigned char)(n >> 16);
	b[2] = (unsigned char)(n >> 8);
	b[3] = (unsigned char)n;
	strbuf_append(sb, b, sizeof b);
}

void mac_hmac(const struct mac_key *key, const struct mac_field *fields, size_t n,
	      unsigned char out[MAC_LEN])
{
	struct strbuf msg = STRBUF_INIT;
	unsigned int outlen = MAC_LEN;
	size_t i;

	for (i = 0; i < n; i++) {
		mac_put_len(&msg, fields[i].len);
		strbuf_append(&msg, fields[i].data, fields[i].len);
	}
	if (HMAC(EVP_sha256(), key->bytes, MAC_KEY_LEN, (const unsigned char *)strbuf_cstr(&msg),
		 msg.len, out, &outlen) == NULL || outlen != MAC_LEN)
		abort(); /* only on allocation failure inside OpenSSL */
	strbuf_free(&msg);
}

bool mac_equal(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) == 0;
}

void mac_short_hash(const struct mac_key *key, const char *purpose, const void *data,
		    size_t len, unsigned char *out, size_t outlen)
{
	struct mac_field f[2] = { { purpose, strlen(purpose) }, { data, len } };
	unsigned char full[MAC_LEN];

	mac_hmac(key, f, 2, full);
	memcpy(out, full, outlen < MAC_LEN ? outlen : MAC_LEN);
}

/* ---- base32 --------------------------------------------------------------- */

size_t mac_base32_len(size_t len)
{
	return (len * 8 + 4) / 5;
}

void mac_base32_encode(const void *data, size_t len, struct strbuf *out)
{
	const unsigned char *p = data;
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t i;

	strbuf_reserve(out, mac_base32_len(len) + 1);
	for (i = 0; i < len; i++) {
		acc = (acc << 8) | p[i];
		bits += 8;
		while (bits >= 5) {
			bits -= 5;
			strbuf_appendc(out, mac_b32_alphabet[(acc >> bits) & 31]);
		}
	}
	if (bits > 0)
		strbuf_appendc(out, mac_b32_alphabet[(acc << (5 - bits)) & 31]);
}

/* The value of a base32 character in either case, or -1. */
static int mac_b32_value(unsigned char c)
{
	if (c >= 'a' && c <= 'z')
		return c - 'a';
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= '2' && c <= '7')
		return c - '2' + 26;
	return -1;
}

int mac_base32_decode(const char *s, size_t len, struct strbuf *out)
{
	uint32_t acc = 0;
	unsigned bits = 0;
	size_t i;

	/* 1, 3 and 6 characters past a multiple of 8 carry no whole byte */
	switch (len % 8) {
	case 1:
	case 3:
	case 6:
		return -1;
	default:
		break;
	}
	for (i = 0; i < len; i++) {
		int v = mac_b32_value((unsigned char)s[i]);

		if (v < 0)
			return -1;
		acc = (acc << 5) | (uint32_t)v;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			strbuf_appendc(out, (char)((acc >> bits) & 0xff));
		}
	}
	/* what is left must be padding bits of zero */
	return (acc & ((1u << bits) - 1)) == 0 ? 0 : -1;
}

/* ---- sealed tokens -------------------------------------------------------- */

/* Writes the MAC_TAG_CHARS-character tag of (purpose, domain, payload). */
static void mac_tag(const struct mac_key *key, const char *purpose, const char *domain,
		    const void *payload, size_t len, char tag[MAC_TAG_CHARS])
{
	struct mac_field f[3] = {
		{ purpose, strlen(purpose) }, { domain, strlen(domain) }, { payload, len }
	};
	struct strbuf b32 = STRBUF_INIT;
	unsigned char full[MAC_LEN];

	mac_hmac(key, f, 3, full);
	mac_base32_encode(full, 7, &b32); /* 56 bits: the first 50 are the tag */
	memcpy(tag, b32.data, MAC_TAG_CHARS);
	strbuf_free(&b32);
}

void mac_seal(const struct mac_key *key, const char *purpose, const char *domain,
	      const void *payload, size_t len, const char *prefix, struct strbuf *out)
{
	char tag[MAC_TAG_CHARS];

	mac_tag(key, purpose, domain, payload, len, tag);
	strbuf_appends(out, prefix);
	mac_base32_encode(payload, len, out);
	strbuf_appendc(out, '-');
	strbuf_append(out, tag, MAC_TAG_CHARS);
}

bool mac_has_prefix(const char *s, size_t len, const char *prefix)
{
	size_t i, n = strlen(prefix);

	if (len < n)
		return false;
	for (i = 0; i < n; i++) {
		unsigned char a = (unsigned char)s[i], b = (unsigned char)prefix[i];

		if (a >= 'A' && a <= 'Z')
			a = (unsigned char)(a - 'A' + 'a');
		if (b >= 'A' && b <= 'Z')
			b = (unsigned char)(b - 'A' + 'a');
		if (a != b)
			return false;
	}
	return true;
}

enum mac_open_result mac_open(const struct mac_key *key, const char *purpose,
			      const char *domain, const char *token, size_t len,
			      const char *prefix, struct strbuf *out)
{
	struct strbuf payload = STRBUF_INIT;
	char want[MAC_TAG_CHARS], got[MAC_TAG_CHARS];
	size_t plen = strlen(prefix), b32len, i;
	enum mac_open_result r;

	if (!mac_has_prefix(token, len, prefix))
		return MAC_OPEN_NOT_OURS;
	if (len < plen + 2 + MAC_TAG_CHARS || token[len - MAC_TAG_CHARS - 1] != '-')
		return MAC_OPEN_MALFORMED;
	b32len = len - plen - MAC_TAG_CHARS - 1;
	for (i = 0; i < MAC_TAG_CHARS; i++) {
		int v = mac_b32_value((unsigned char)token[len - MAC_TAG_CHARS + i]);

		if (v < 0)
			return MAC_OPEN_MALFORMED;
		got[i] = mac_b32_alphabet[v];
	}
	if (mac_base32_decode(token + plen, b32len, &payload) != 0) {
		strbuf_free(&payload);
		return MAC_OPEN_MALFORMED;
	}
	mac_tag(key, purpose, domain, payload.data, payload.len, want);
	r = mac_equal(want, got, MAC_TAG_CHARS) ? MAC_OPEN_OK : MAC_OPEN_FORGED;
	if (r == MAC_OPEN_OK)
		strbuf_append(out, payload.data, payload.len);
	strbuf_free(&payload);
	return r;
}

const char *mac_open_result_name(enum mac_open_result r)
{
	switch (r) {
	case MAC_OPEN_OK:
		return "ok";
	case MAC_OPEN_NOT_OURS:
		return "not ours";
	case MAC_OPEN_MALFORMED:
		return "malformed";
	case MAC_OPEN_FORGED:
		return "forged";
	}
	return "unknown";
}
