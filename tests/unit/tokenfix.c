/*
 * tokenfix - helpers shared by the VERP and unsubscribe-token tests; see
 * tokenfix.h.
 *
 * Diagnostics: through cmocka's fail_msg, "got X, want Y".
 */
#include "autoconf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mac.h"
#include "strbuf.h"
#include "verp.h"

#include "tokenfix.h"

struct mac_key test_key(unsigned char seed)
{
	struct mac_key k;
	size_t i;

	for (i = 0; i < MAC_KEY_LEN; i++)
		k.bytes[i] = (unsigned char)(seed + i * 7);
	return k;
}

/* Writes s (first 300 bytes) into buf with unprintable bytes as \xNN. */
const char *show(const char *s, char *buf, size_t len)
{
	size_t n = 0, i;

	if (s == NULL)
		return "(null)";
	for (i = 0; s[i] != '\0' && i < 300 && n + 5 < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f && c != '\\')
			buf[n++] = (char)c;
		else
			n += (size_t)snprintf(buf + n, len - n, "\\x%02x", c);
	}
	if (s[i] != '\0' && n + 4 < len)
		n += (size_t)snprintf(buf + n, len - n, "...");
	buf[n] = '\0';
	return buf;
}

/* "a..." repeated to n bytes, then "@domain". */
char *long_address(size_t local_len, const char *domain)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	for (i = 0; i < local_len; i++)
		strbuf_appendc(&sb, (char)('a' + i % 26));
	strbuf_appendf(&sb, "@%s", domain);
	return strbuf_detach(&sb);
}

/* The local part of addr (before the last '@'), as a new string. */
char *local_of(const char *addr)
{
	const char *at = strrchr(addr, '@');

	return strndup(addr, at != NULL ? (size_t)(at - addr) : strlen(addr));
}

/* Fails unless s uses only lower-case base32, '-' and the prefix. */
void expect_token_alphabet(const char *what, const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (strchr("abcdefghijklmnopqrstuvwxyz234567-", s[i]) == NULL)
			fail_msg("%s \"%s\": got character 0x%02x, want only [a-z2-7-]", what, s,
				 (unsigned char)s[i]);
}

/* Returns s with ASCII letters upper-cased (upper) or alternating case. */
char *recase(const char *s, bool alternate)
{
	char *r = strdup(s);
	size_t i;

	for (i = 0; r[i] != '\0'; i++)
		if (r[i] >= 'a' && r[i] <= 'z' && (!alternate || i % 2 == 0))
			r[i] = (char)(r[i] - 32);
	return r;
}

char *good_verp(const struct mac_key *key, const char *rcpt)
{
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;

	if (verp_encode(key, "example.com", "4Yx2kT0pQz", rcpt, &out, NULL, &err) != 0)
		fail_msg("verp_encode: got \"%s\", want an address", strbuf_cstr(&err));
	strbuf_free(&err);
	return strbuf_detach(&out);
}

