/*
 * punycode - UTF-8 domain names to A-labels; see punycode.h.
 *
 * The encoder follows the reference algorithm of RFC 3492 section 6.3
 * with the bootstring parameters of section 5.
 */
#include "autoconf.h"

#include <stdint.h>
#include <string.h>

#include "punycode.h"

#define PUNYCODE_BASE 36
#define PUNYCODE_TMIN 1
#define PUNYCODE_TMAX 26
#define PUNYCODE_SKEW 38
#define PUNYCODE_DAMP 700
#define PUNYCODE_INITIAL_BIAS 72
#define PUNYCODE_INITIAL_N 0x80
#define PUNYCODE_MAX_CPS 64	/* a label is at most 63 octets anyway */

/* Decodes one UTF-8 sequence at s[*i]; returns the code point or -1. */
static int32_t punycode_utf8_next(const unsigned char *s, size_t len, size_t *i)
{
	unsigned char c = s[*i];
	size_t n, k;
	int32_t cp, min;

	if (c < 0x80) {
		(*i)++;
		return c;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		n = 1;
		cp = c & 0x1f;
		min = 0x80;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 2;
		cp = c & 0x0f;
		min = 0x800;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 3;
		cp = c & 0x07;
		min = 0x10000;
	} else {
		return -1;
	}
	if (*i + n >= len)
		return -1;
	for (k = 1; k <= n; k++) {
		if ((s[*i + k] & 0xc0) != 0x80)
			return -1;
		cp = (cp << 6) | (s[*i + k] & 0x3f);
	}
	if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*i += n + 1;
	return cp;
}

/* RFC 3492 section 6.1: the bias adaptation function. */
static uint32_t punycode_adapt(uint32_t delta, uint32_t numpoints, int first)
{
	uint32_t k = 0;

	delta = first ? delta / PUNYCODE_DAMP : delta / 2;
	delta += delta / numpoints;
	while (delta > ((PUNYCODE_BASE - PUNYCODE_TMIN) * PUNYCODE_TMAX) / 2) {
		delta /= PUNYCODE_BASE - PUNYCODE_TMIN;
		k += PUNYCODE_BASE;
	}
	return k + (PUNYCODE_BASE - PUNYCODE_TMIN + 1) * delta / (delta + PUNYCODE_SKEW);
}

/* Appends the base-36 digit d ("a".."z", "0".."9"). */
static void punycode_digit(struct strbuf *out, uint32_t d)
{
	strbuf_appendc(out, (char)(d < 26 ? 'a' + d : '0' + d - 26));
}

/* Appends the variable-length integer q with threshold bias (section 6.3). */
static void punycode_emit(struct strbuf *out, uint32_t q, uint32_t bias)
{
	uint32_t k, t;

	for (k = PUNYCODE_BASE;; k += PUNYCODE_BASE) {
		t = k <= bias ? PUNYCODE_TMIN :
		    k >= bias + PUNYCODE_TMAX ? PUNYCODE_TMAX : k - bias;
		if (q < t)
			break;
		punycode_digit(out, t + (q - t) % (PUNYCODE_BASE - t));
		q = (q - t) / (PUNYCODE_BASE - t);
	}
	punycode_digit(out, q);
}

/* Encodes the n code points of cps as "xn--..." onto out. */
static int punycode_encode(const int32_t *cps, size_t n, struct strbuf *out)
{
	uint32_t cur = PUNYCODE_INITIAL_N, delta = 0, bias = PUNYCODE_INITIAL_BIAS;
	size_t i, h, b = 0, start = out->len;

	strbuf_appends(out, "xn--");
	for (i = 0; i < n; i++)
		if (cps[i] < 0x80) {
			strbuf_appendc(out, (char)cps[i]);
			b++;
		}
	if (b > 0)
		strbuf_appendc(out, '-');
	for (h = b; h < n; cur++, delta++) {
		uint32_t m = UINT32_MAX;

		for (i = 0; i < n; i++)
			if ((uint32_t)cps[i] >= cur && (uint32_t)cps[i] < m)
				m = (uint32_t)cps[i];
		delta += (m - cur) * (uint32_t)(h + 1);	/* small: labels are short */
		cur = m;
		for (i = 0; i < n; i++) {
			if ((uint32_t)cps[i] < cur) {
				delta++;
			} else if ((uint32_t)cps[i] == cur) {
				punycode_emit(out, delta, bias);
				bias = punycode_adapt(delta, (uint32_t)(h + 1), h == b);
				delta = 0;
				h++;
			}
		}
	}
	return out->len - start > 63 ? -1 : 0;
}

/* Appends one label (len bytes at s), encoded when it is not ASCII. */
static int punycode_label(const unsigned char *s, size_t len, struct strbuf *out)
{
	int32_t cps[PUNYCODE_MAX_CPS];
	size_t i = 0, n = 0;
	int ascii = 1;

	while (i < len) {
		int32_t cp = punycode_utf8_next(s, len, &i);

		if (cp < 0 || n == PUNYCODE_MAX_CPS)
			return -1;
		if (cp >= 0x80)
			ascii = 0;
		cps[n++] = cp;
	}
	if (ascii) {
		strbuf_append(out, s, len);
		return 0;
	}
	return punycode_encode(cps, n, out);
}

int punycode_domain_to_ascii(const char *name, struct strbuf *out)
{
	const char *p = name, *dot;

	for (;;) {
		dot = strchr(p, '.');
		if (punycode_label((const unsigned char *)p,
				   dot ? (size_t)(dot - p) : strlen(p), out) < 0)
			return -1;
		if (dot == NULL)
			return 0;
		strbuf_appendc(out, '.');
		p = dot + 1;
	}
}
