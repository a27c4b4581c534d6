/*
 * dkim_field - header fields on their way to libopendkim; see dkim_field.h.
 *
 * What libopendkim 2.11 gets wrong with a DKIM-Signature tag-list (read
 * in its source and seen with valgrind; tests/unit/test_dkim_verify*.c
 * pin each):
 *
 * - A field over 64 KB: dkim_eoh() fails for the whole message
 *   (DKIM_STAT_NORESOURCE), so one hostile field would cost every
 *   signature of the message; with DKIM_LIBFLAGS_FIXCRLF, dkim_header()
 *   instead keeps 64 KB of the field but its whole length, and reads past
 *   its copy later.  Fields over DKIM_FIELD_SIGNATURE_MAX, half of that,
 *   are unsafe.
 * - dkim_qp_decode() takes the NUL that ends an i= value for a hex digit
 *   when the value ends in "=" or "=" and one character, and reads past
 *   the end, both when it checks i= against d= at end of headers and in
 *   dkim_sig_getidentity().  i= is dkim-quoted-printable (RFC 6376
 *   section 2.11: "=" and two upper-case hex digits); any other "=" in it
 *   is unsafe.
 * - A repeated tag is no error to libopendkim (the last one wins, and
 *   names match without regard to case); RFC 6376 section 3.2 makes the
 *   tag-list invalid.  Repeats of the tags of RFC 6376 section 3.5 are
 *   bad.
 *
 * - The key record's k= is never compared with the signature's a=: an
 *   Ed25519 signature verifies against a k=rsa record (or one without
 *   k=, which means rsa) holding an Ed25519 key, and an RSA signature
 *   against a k=ed25519 record holding an RSA key.  RFC 6376 section
 *   6.1.2 makes that PERMFAIL (inappropriate key algorithm).
 *
 * libopendkim drops blanks and line ends from tag names and values
 * (dkim_collapse), so these checks skip them too.
 */
#include "autoconf.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "dkim_field.h"
#include "strbuf.h"

#define DKIM_FIELD_SIGNATURE "DKIM-Signature"

bool dkim_field_is_signature(const char *name)
{
	size_t n, len = strlen(DKIM_FIELD_SIGNATURE);

	for (n = 0; name[n] != '\0' && name[n] != ':'; n++)
		if ((unsigned char)name[n] < 32 || (unsigned char)name[n] > 126)
			return false; /* dkim_header() refuses the field */
	while (n > 0 && name[n - 1] == ' ')
		n--;
	return n == len && strncasecmp(name, DKIM_FIELD_SIGNATURE, len) == 0;
}

void dkim_field_line(struct strbuf *line, const char *name, const char *value)
{
	size_t vlen = strlen(value), i;

	while (vlen > 0 && (value[vlen - 1] == '\n' || value[vlen - 1] == '\r'))
		vlen--;
	strbuf_reset(line);
	strbuf_appends(line, name);
	strbuf_appendc(line, ':');
	for (i = 0; i < vlen; i++) {
		if (value[i] == '\n' && (i == 0 || value[i - 1] != '\r'))
			strbuf_appendc(line, '\r');
		strbuf_appendc(line, value[i]);
	}
}

/* True when the n bytes at p, blanks dropped, are dkim-quoted-printable. */
static bool dkim_field_qp_ok(const char *p, size_t n)
{
	size_t i, digits = 2; /* hex digits seen since the last "=" */

	for (i = 0; i < n; i++) {
		if (isspace((unsigned char)p[i]))
			continue;
		if (digits < 2) {
			if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'A' && p[i] <= 'F')))
				return false;
			digits++;
		} else if (p[i] == '=') {
			digits = 0;
		}
	}
	return digits == 2;
}

/* Which tag RFC 6376 section 3.5 defines the n bytes at name are; -1: none. */
static int dkim_field_tag_index(const char *name, size_t n)
{
	static const char *const tags[] = { "v", "a", "b", "c", "d", "h", "i",
					    "l", "q", "s", "t", "x", "z", "bh" };
	size_t i;

	for (i = 0; i < sizeof tags / sizeof tags[0]; i++)
		if (strlen(tags[i]) == n && strncasecmp(name, tags[i], n) == 0)
			return (int)i;
	return -1;
}

enum dkim_field_verdict dkim_field_check_signature(const char *value, size_t line_len,
						   struct strbuf *why)
{
	const char *p, *eq, *name, *repeated = NULL;
	unsigned seen = 0;
	size_t n, len;
	int tag;

	if (line_len > DKIM_FIELD_SIGNATURE_MAX) {
		strbuf_appendf(why, "a field of %zu bytes, over %d", line_len,
			       DKIM_FIELD_SIGNATURE_MAX);
		return DKIM_FIELD_UNSAFE;
	}
	for (p = value; *p != '\0'; p += n + (p[n] == ';')) {
		n = strcspn(p, ";");
		eq = memchr(p, '=', n);
		if (eq == NULL)
			continue;
		name = p + strspn(p, " \t\r\n");
		len = name < eq ? (size_t)(eq - name) : 0;
		while (len > 0 && isspace((unsigned char)name[len - 1]))
			len--;
		tag = dkim_field_tag_index(name, len);
		if (len == 1 && tolower((unsigned char)*name) == 'i' &&
		    !dkim_field_qp_ok(eq + 1, (size_t)(p + n - (eq + 1)))) {
			strbuf_appends(why, "bad quoted-printable in i=");
			return DKIM_FIELD_UNSAFE;
		}
		if (tag >= 0 && (seen & 1u << tag) != 0 && repeated == NULL)
			repeated = name;
		if (tag >= 0)
			seen |= 1u << tag;
	}
	if (repeated == NULL)
		return DKIM_FIELD_OK;
	strbuf_appends(why, "tag ");
	strbuf_append(why, repeated, strcspn(repeated, "= \t\r\n"));
	strbuf_appends(why, "= repeated");
	return DKIM_FIELD_BAD;
}

/* The key type an algorithm needs ("rsa", "ed25519"), or NULL when unknown. */
static const char *dkim_field_alg_key_type(const char *algorithm)
{
	if (strncmp(algorithm, "rsa-", 4) == 0)
		return "rsa";
	if (strncmp(algorithm, "ed25519-", 8) == 0)
		return "ed25519";
	return NULL;
}

enum dkim_field_verdict dkim_field_check_key(const char *record, const char *algorithm,
					     struct strbuf *why)
{
	const char *want = dkim_field_alg_key_type(algorithm), *type = "rsa";
	const char *p, *eq, *name, *v;
	size_t n, len;

	if (want == NULL)
		return DKIM_FIELD_OK; /* libopendkim refuses the algorithm */
	for (p = record; *p != '\0'; p += n + (p[n] == ';')) {
		n = strcspn(p, ";");
		eq = memchr(p, '=', n);
		if (eq == NULL)
			continue;
		name = p + strspn(p, " \t\r\n");
		if (!(name < eq && *name == 'k' && name + 1 + strspn(name + 1, " \t\r\n") == eq))
			continue;
		v = eq + 1 + strspn(eq + 1, " \t\r\n");
		len = (size_t)(p + n - v);
		while (len > 0 && isspace((unsigned char)v[len - 1]))
			len--;
		if (len == 3 && strncasecmp(v, "rsa", 3) == 0)
			type = "rsa";
		else if (len == 7 && strncasecmp(v, "ed25519", 7) == 0)
			type = "ed25519";
		else
			return DKIM_FIELD_OK; /* an unknown type: libopendkim refuses the key */
		if (strcmp(type, want) != 0)
			break;
	}
	if (strcmp(type, want) == 0)
		return DKIM_FIELD_OK;
	strbuf_appendf(why, "k=%s key for an %s signature", type, algorithm);
	return DKIM_FIELD_BAD;
}
