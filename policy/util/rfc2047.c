/*
 * rfc2047 - strict decoding of an unfolded header value to UTF-8; see
 * rfc2047.h for the rules.
 *
 * The value is cut into raw spans and encoded-words.  Raw spans must be
 * UTF-8 (RFC 6532).  The payloads of adjacent encoded-words (only
 * white space between them) that name the same charset are joined before
 * conversion, because senders split long CJK subjects in the middle of a
 * multibyte character and mail readers join them back.  Every converted
 * run is checked again: the result must be UTF-8 without NUL, whatever
 * iconv(3) let through (glibc's "UTF8" decoder passes code points above
 * U+10FFFF).
 *
 * An encoded-word is recognised wherever it is well-formed, also when it
 * touches plain text ("Re:=?utf-8?Q?x?="), although RFC 2047 section 5
 * asks for white space around it: mail readers decode it there, and the
 * policy judges what the recipient will see.
 *
 * Why hand-written: a display-oriented decoder such as GMime's
 * g_mime_utils_header_decode_text() repairs what it cannot decode, trying
 * fallback charsets and replacing bad bytes, so a broken Subject comes out
 * as some readable string.  The policy must refuse such a Subject instead,
 * and needs to know why; those decoders do not report it.
 *
 * Diagnostics: none logged; rfc2047_decode() returns the first problem as
 * an enum rfc2047_status and rfc2047_status_text() names it.  A failure of
 * iconv_open(3) other than an unknown charset (out of memory, too many
 * open files) is RFC2047_INTERNAL: the caller tempfails, it is not the
 * sender's fault.
 *
 * Charset labels: mail clients label GBK text "gb2312", Windows-932 text
 * "shift_jis" and Windows-949 text "euc-kr"; every mail reader decodes
 * those labels with the superset (as the WHATWG Encoding Standard does),
 * so this decoder does too, rather than refuse what recipients can read.
 *
 * Threads: iconv descriptors are opened and closed within each call;
 * there is no static mutable state.  Cost: glibc unloads a gconv module
 * soon after its last descriptor is closed, so subjects that rotate
 * through three or more charsets make every call dlopen() modules again
 * (about 140 us instead of 1.5 us for four charsets).  A process can
 * avoid that by keeping one unused descriptor per common charset open
 * for its lifetime; that belongs to start-up, not to this module.
 */
#include "autoconf.h"

#include <errno.h>
#include <iconv.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "base64.h"
#include "rfc2047.h"

/* Longest charset name accepted, NUL included; IANA names stop at 40. */
#define RFC2047_CHARSET_MAX 64

/* A well-formed encoded-word found in the input; pointers into it. */
struct rfc2047_word {
	const char *charset;	/* not NUL-terminated, "*lang" cut off */
	size_t charset_len;
	char encoding;		/* 'B' or 'Q' */
	const char *text;	/* encoded-text */
	size_t text_len;
	size_t end;		/* offset just after "?=" */
};

/* Payload bytes of adjacent encoded-words in one charset, not converted. */
struct rfc2047_run {
	bool active;
	char charset[RFC2047_CHARSET_MAX];
	struct strbuf bytes;
};

/* True for an RFC 2047 token character: not SPACE, CTL or especial. */
static bool rfc2047_is_token(unsigned char c)
{
	if (c <= ' ' || c >= 0x7f)
		return false;
	return strchr("()<>@,;:\"/[]?.=", c) == NULL;
}

/* True for an encoded-text character: printable ASCII but '?'. */
static bool rfc2047_is_etext(unsigned char c)
{
	return c > ' ' && c < 0x7f && c != '?';
}

/* True for WSP (SPACE or HTAB), the white space of an unfolded header. */
static bool rfc2047_is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/*
 * Parses the encoded-word that in[pos] ("=?") may start; fills w and
 * returns true when it is well-formed.  The token rule keeps '/' out of
 * the charset, so no "//IGNORE" or "//TRANSLIT" can reach iconv_open().
 */
static bool rfc2047_parse_word(const char *in, size_t len, size_t pos,
			       struct rfc2047_word *w)
{
	const char *star;
	size_t p = pos + 2, start = p;

	while (p < len && rfc2047_is_token((unsigned char)in[p]))
		p++;
	if (p == start || p + 2 >= len || in[p] != '?' || in[p + 2] != '?')
		return false;
	w->charset = in + start;
	star = memchr(w->charset, '*', p - start);
	w->charset_len = star != NULL ? (size_t)(star - w->charset) : p - start;
	w->encoding = in[p + 1];
	if (w->encoding == 'b' || w->encoding == 'q')
		w->encoding = (char)(w->encoding - 'a' + 'A');
	if (w->encoding != 'B' && w->encoding != 'Q')
		return false;
	p += 3;
	start = p;
	while (p < len && rfc2047_is_etext((unsigned char)in[p]))
		p++;
	if (p == start || p + 1 >= len || in[p] != '?' || in[p + 1] != '=')
		return false;
	w->text = in + start;
	w->text_len = p - start;
	w->end = p + 2;
	return true;
}

/* Offset of the next well-formed encoded-word at or after pos, or len. */
static size_t rfc2047_next_word(const char *in, size_t len, size_t pos,
				struct rfc2047_word *w)
{
	const char *eq;

	while (pos + 1 < len) {
		eq = memchr(in + pos, '=', len - pos - 1);
		if (eq == NULL)
			break;
		pos = (size_t)(eq - in);
		if (in[pos + 1] == '?' && rfc2047_parse_word(in, len, pos, w))
			return pos;
		pos++;
	}
	return len;
}

/* Value of a hex digit in either case, or -1. */
static int rfc2047_hex(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* Appends the bytes of Q encoded-text (RFC 2047 section 4.2) to out. */
static enum rfc2047_status rfc2047_unq(const char *s, size_t n,
				       struct strbuf *out)
{
	size_t i;
	int hi, lo;

	for (i = 0; i < n; i++) {
		if (s[i] == '_') {
			strbuf_appendc(out, ' ');
		} else if (s[i] == '=') {
			if (i + 2 >= n)
				return RFC2047_BAD_ENCODING;
			hi = rfc2047_hex((unsigned char)s[i + 1]);
			lo = rfc2047_hex((unsigned char)s[i + 2]);
			if (hi < 0 || lo < 0)
				return RFC2047_BAD_ENCODING;
			strbuf_appendc(out, (char)(hi << 4 | lo));
			i += 2;
		} else {
			strbuf_appendc(out, s[i]);
		}
	}
	return RFC2047_OK;
}

/*
 * Appends the bytes of B encoded-text to out: groups of four digits, '='
 * padding only at the very end.  Non-zero bits in the last digit before
 * the padding are ignored, as RFC 4648 section 3.5 allows.
 */
static enum rfc2047_status rfc2047_unb(const char *s, size_t n,
				       struct strbuf *out)
{
	size_t i, pad = 0;
	unsigned long v;
	int d, k;

	if (n == 0 || n % 4 != 0)
		return RFC2047_BAD_ENCODING;
	if (s[n - 1] == '=')
		pad = s[n - 2] == '=' ? 2 : 1;
	for (i = 0; i < n; i += 4) {
		v = 0;
		for (k = 0; k < 4; k++) {
			if (i + (size_t)k >= n - pad)
				d = 0;
			else if ((d = base64_value((unsigned char)s[i + k], false)) < 0)
				return RFC2047_BAD_ENCODING;
			v = v << 6 | (unsigned long)d;
		}
		strbuf_appendc(out, (char)(v >> 16));
		if (i + 4 < n || pad < 2)
			strbuf_appendc(out, (char)(v >> 8 & 0xff));
		if (i + 4 < n || pad < 1)
			strbuf_appendc(out, (char)(v & 0xff));
	}
	return RFC2047_OK;
}

/* Checks converted text: UTF-8 without NUL. */
static enum rfc2047_status rfc2047_check_decoded(const char *s, size_t n)
{
	if (memchr(s, '\0', n) != NULL)
		return RFC2047_HAS_NUL;
	if (!utf8_valid(s, n))
		return RFC2047_BAD_DECODED;
	return RFC2047_OK;
}

/* Runs iconv(3) to completion into out, growing it on E2BIG; 0 or errno. */
static int rfc2047_iconv_step(iconv_t cd, char **inp, size_t *inleft,
			      struct strbuf *out)
{
	size_t room = 64 + (inleft != NULL ? *inleft * 4 : 0);
	size_t oleft, r;
	char *op;

	for (;;) {
		strbuf_reserve(out, room);
		op = out->data + out->len;
		oleft = out->cap - out->len - 1;
		r = iconv(cd, inp, inleft, &op, &oleft);
		out->len = (size_t)(op - out->data);
		out->data[out->len] = '\0';
		/* r > 0 counts irreversible conversions; fine into Unicode */
		if (r != (size_t)-1)
			return 0;
		if (errno != E2BIG)
			return errno;
		room *= 2;
	}
}

/* The charset to decode a label with: its superset where readers use one. */
static const char *rfc2047_superset(const char *charset)
{
	static const struct {
		const char *label, *decode_as;
	} supersets[] = {
		{ "gb2312", "GBK" }, { "gb_2312-80", "GBK" }, { "x-gbk", "GBK" },
		{ "shift_jis", "CP932" }, { "shift-jis", "CP932" }, { "sjis", "CP932" },
		{ "x-sjis", "CP932" }, { "euc-kr", "CP949" }, { "ks_c_5601-1987", "CP949" },
	};
	size_t i;

	for (i = 0; i < sizeof supersets / sizeof supersets[0]; i++)
		if (strcasecmp(charset, supersets[i].label) == 0)
			return supersets[i].decode_as;
	return charset;
}

/*
 * Converts n bytes in charset to UTF-8 appended to out.  iconv gets no
 * "//TRANSLIT" or "//IGNORE": EILSEQ (a byte sequence the charset lacks)
 * and EINVAL (a character cut off at the end) are errors.
 */
static enum rfc2047_status rfc2047_iconv(const char *charset, const char *in,
					 size_t n, struct strbuf *out)
{
	char *inp = (char *)in;	/* iconv(3) does not write through it */
	size_t inleft = n;
	iconv_t cd;
	int err;

	cd = iconv_open("UTF-8", rfc2047_superset(charset));
	if (cd == (iconv_t)-1)
		return errno == EINVAL ? RFC2047_BAD_CHARSET : RFC2047_INTERNAL;
	err = rfc2047_iconv_step(cd, &inp, &inleft, out);
	if (err == 0)
		err = rfc2047_iconv_step(cd, NULL, NULL, out); /* reset */
	iconv_close(cd);
	return err == 0 ? RFC2047_OK : RFC2047_BAD_DECODED;
}

/* Appends n bytes in charset to out as UTF-8, then checks the result. */
static enum rfc2047_status rfc2047_convert(const char *charset, const char *in,
					   size_t n, struct strbuf *out)
{
	enum rfc2047_status st = RFC2047_OK;
	size_t start = out->len, i;

	if (strcasecmp(charset, "utf-8") == 0) {
		strbuf_append(out, in, n);
	} else if (strcasecmp(charset, "us-ascii") == 0) {
		for (i = 0; i < n; i++)
			if ((unsigned char)in[i] >= 0x80)
				return RFC2047_BAD_DECODED;
		strbuf_append(out, in, n);
	} else {
		st = rfc2047_iconv(charset, in, n, out);
	}
	if (st != RFC2047_OK)
		return st;
	return rfc2047_check_decoded(strbuf_cstr(out) + start,
				     out->len - start);
}

/* Converts the pending run, if any, into out and empties it. */
static enum rfc2047_status rfc2047_run_flush(struct rfc2047_run *run,
					     struct strbuf *out)
{
	enum rfc2047_status st;

	if (!run->active)
		return RFC2047_OK;
	st = rfc2047_convert(run->charset, strbuf_cstr(&run->bytes),
			     run->bytes.len, out);
	run->active = false;
	strbuf_reset(&run->bytes);
	return st;
}

/* Adds word w to the run, first flushing a run in another charset. */
static enum rfc2047_status rfc2047_run_add(struct rfc2047_run *run,
					   const struct rfc2047_word *w,
					   struct strbuf *out)
{
	enum rfc2047_status st;

	if (!run->active || strlen(run->charset) != w->charset_len ||
	    strncasecmp(run->charset, w->charset, w->charset_len) != 0) {
		st = rfc2047_run_flush(run, out);
		if (st != RFC2047_OK)
			return st;
		/* "=?*en?Q?a?=": iconv_open("") would take the locale's */
		if (w->charset_len == 0 ||
		    w->charset_len >= sizeof run->charset)
			return RFC2047_BAD_CHARSET;
		memcpy(run->charset, w->charset, w->charset_len);
		run->charset[w->charset_len] = '\0';
		run->active = true;
	}
	if (w->encoding == 'B')
		return rfc2047_unb(w->text, w->text_len, &run->bytes);
	return rfc2047_unq(w->text, w->text_len, &run->bytes);
}

/* Appends a raw span after checking it is UTF-8 without NUL. */
static enum rfc2047_status rfc2047_raw(const char *s, size_t n,
				       struct strbuf *out)
{
	if (memchr(s, '\0', n) != NULL)
		return RFC2047_HAS_NUL;
	if (!utf8_valid(s, n))
		return RFC2047_BAD_RAW_UTF8;
	strbuf_append(out, s, n);
	return RFC2047_OK;
}

/* True when s[0..n) is only WSP (or empty). */
static bool rfc2047_all_wsp(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!rfc2047_is_wsp(s[i]))
			return false;
	return true;
}

/* Decodes in[0..len) into out (appended); see rfc2047.h. */
enum rfc2047_status rfc2047_decode(const char *in, size_t len,
				   struct strbuf *out)
{
	struct rfc2047_run run = { .active = false, .bytes = STRBUF_INIT };
	enum rfc2047_status st = RFC2047_OK;
	struct rfc2047_word w = { .charset = NULL };	/* for -O1 warnings */
	size_t pos = 0, at;

	while (pos < len && st == RFC2047_OK) {
		at = rfc2047_next_word(in, len, pos, &w);
		/* white space between two encoded-words goes (section 6.2) */
		if (!run.active || at == len ||
		    !rfc2047_all_wsp(in + pos, at - pos)) {
			st = rfc2047_run_flush(&run, out);
			if (st == RFC2047_OK)
				st = rfc2047_raw(in + pos, at - pos, out);
		}
		if (st == RFC2047_OK && at < len)
			st = rfc2047_run_add(&run, &w, out);
		pos = at < len ? w.end : len;
	}
	if (st == RFC2047_OK)
		st = rfc2047_run_flush(&run, out);
	strbuf_free(&run.bytes);
	return st;
}

/* Static phrase completing "Subject ..."; never NULL. */
const char *rfc2047_status_text(enum rfc2047_status status)
{
	switch (status) {
	case RFC2047_OK:
		return "is valid";
	case RFC2047_BAD_RAW_UTF8:
		return "is not valid UTF-8";
	case RFC2047_BAD_CHARSET:
		return "names an unknown charset";
	case RFC2047_BAD_ENCODING:
		return "has a broken encoded-word";
	case RFC2047_BAD_DECODED:
		return "has bytes invalid in its charset";
	case RFC2047_HAS_NUL:
		return "contains a NUL byte";
	case RFC2047_INTERNAL:
		return "could not be decoded for lack of resources";
	}
	return "has an unknown problem";
}

/*
 * Length of the well-formed UTF-8 sequence at p (Unicode table 3-7), or 0.
 * The bounds on the second byte exclude overlongs (E0, F0), surrogates
 * (ED) and code points above U+10FFFF (F4); C0, C1 and F5..FF never start one.
 */
static size_t utf8_seq_len(const unsigned char *p, size_t avail)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (p[0] < 0x80)
		return 1;
	if (p[0] < 0xc2 || p[0] > 0xf4)
		return 0;
	if (p[0] < 0xe0)
		n = 2;
	else if (p[0] < 0xf0)
		n = 3;
	else
		n = 4;
	if (p[0] == 0xe0)
		lo = 0xa0;
	else if (p[0] == 0xed)
		hi = 0x9f;
	else if (p[0] == 0xf0)
		lo = 0x90;
	else if (p[0] == 0xf4)
		hi = 0x8f;
	if (avail < n || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	return n;
}

/* Walks s sequence by sequence; false at the first ill-formed one. */

bool utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;

	while (i < len) {
		n = utf8_seq_len(p + i, len - i);
		if (n == 0)
			return false;
		i += n;
	}
	return true;
}

/* Counts lead bytes; exact for valid UTF-8 only. */
size_t utf8_chars(const char *s, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			n++;
	return n;
}

/* Appends in without folding line breaks and without a final line break. */
void rfc2047_unfold(const char *in, size_t len, struct strbuf *out)
{
	size_t i, brk, start = 0;

	if (len > 0 && in[len - 1] == '\n')
		len--;
	if (len > 0 && in[len - 1] == '\r')
		len--;
	for (i = 0; i < len; i++) {
		brk = 0;
		if (in[i] == '\n')
			brk = 1;
		else if (in[i] == '\r' && i + 1 < len && in[i + 1] == '\n')
			brk = 2;
		if (brk == 0 || i + brk >= len || !rfc2047_is_wsp(in[i + brk]))
			continue;
		strbuf_append(out, in + start, i - start);
		i += brk - 1;
		start = i + 1;
	}
	strbuf_append(out, in + start, len - start);
}
