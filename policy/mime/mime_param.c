/*
 * mime_param - strict parsing of raw Content-Type and Content-Disposition
 * values; see mime_guard.h.
 *
 * Only raw bytes are read: nothing is decoded or converted, so a hostile
 * value costs one pass over its bytes.  What RFC 2045 and RFC 2231 do not
 * allow is refused with the reason, instead of being repaired the way
 * GMime repairs it (which may differ from what a reader of our answer
 * expects, e.g. which of two boundary parameters counts).
 */
#include "autoconf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "mime_guard.h"
#include "rfc2047.h"

#define MIME_MAX_COMMENT_DEPTH 8
#define MIME_MAX_CHARSET 40

/* Sets v to st with a printable reason. */
void mime_guard_set(struct mime_guard_verdict *v, enum mime_guard_status st, const char *fmt, ...)
{
	va_list ap;
	char *p;

	v->status = st;
	va_start(ap, fmt);
	vsnprintf(v->why, sizeof v->why, fmt, ap);
	va_end(ap);
	for (p = v->why; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e || *p == '%')
			*p = '?';
}

static bool mime_tchar(unsigned char c)
{
	return c > 0x20 && c < 0x7f && strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

/* Skips white space and comments; false on an unterminated or too deep comment. */
static bool mime_cfws(const char *s, size_t len, size_t *i)
{
	int depth = 0;

	for (; *i < len; (*i)++) {
		char c = s[*i];

		if (depth == 0 && (c == ' ' || c == '\t' || c == '\r' || c == '\n'))
			continue;
		if (c == '(') {
			if (++depth > MIME_MAX_COMMENT_DEPTH)
				return false;
		} else if (depth > 0 && c == '\\' && *i + 1 < len) {
			(*i)++;
		} else if (depth > 0 && c == ')') {
			depth--;
		} else if (depth == 0) {
			break;
		}
	}
	return depth == 0;
}

static size_t mime_token(const char *s, size_t len, size_t i)
{
	size_t n = 0;

	while (i + n < len && mime_tchar((unsigned char)s[i + n]))
		n++;
	return n;
}

/* Splits an RFC 2231 name "base", "base*", "base*N" or "base*N*" into p.  0 or -1. */
static int mime_param_name(const char *name, size_t nlen, struct mime_param *p)
{
	const char *star = memchr(name, '*', nlen);
	size_t i;

	p->name = name;
	p->nlen = star != NULL ? (size_t)(star - name) : nlen;
	p->section = -1;
	p->extended = false;
	if (star == NULL)
		return p->nlen > 0 ? 0 : -1;
	i = p->nlen + 1;
	if (i == nlen) {
		p->extended = true;
		return p->nlen > 0 ? 0 : -1;
	}
	if (name[i] < '0' || name[i] > '9' || (name[i] == '0' && i + 1 < nlen && name[i + 1] != '*'))
		return -1;
	for (p->section = 0; i < nlen && name[i] >= '0' && name[i] <= '9'; i++) {
		p->section = p->section * 10 + (name[i] - '0');
		if (p->section >= MIME_GUARD_MAX_PARAMS)
			return -1;
	}
	if (i < nlen && name[i] == '*' && i + 1 == nlen) {
		p->extended = true;
		i++;
	}
	return i == nlen && p->nlen > 0 ? 0 : -1;
}

/* Reads one "name=value" at s[*i]; fills p.  Returns v->status. */
static enum mime_guard_status mime_param_one(const char *s, size_t len, size_t *i,
					     struct mime_param *p, struct mime_guard_verdict *v)
{
	size_t n = mime_token(s, len, *i), j;
	const char *name = s + *i;

	if (n == 0)
		return mime_guard_set(v, MIME_GUARD_MALFORMED, "a parameter without a name"), v->status;
	if (mime_param_name(name, n, p) == 0 && p->nlen > MIME_GUARD_MAX_NAME)
		return mime_guard_set(v, MIME_GUARD_MALFORMED, "a parameter name over %d bytes",
				      MIME_GUARD_MAX_NAME), v->status;
	if (mime_param_name(name, n, p) != 0)
		return mime_guard_set(v, MIME_GUARD_MALFORMED, "bad parameter name %.*s", (int)n,
				      name), v->status;
	*i += n;
	if (!mime_cfws(s, len, i) || *i >= len || s[*i] != '=')
		return mime_guard_set(v, MIME_GUARD_MALFORMED, "parameter %.*s has no value",
				      (int)n, name), v->status;
	(*i)++;
	if (!mime_cfws(s, len, i))
		return mime_guard_set(v, MIME_GUARD_MALFORMED, "unterminated comment"), v->status;
	p->val = s + *i;
	if (*i < len && s[*i] == '"') {
		for (j = *i + 1; j < len && s[j] != '"'; j++)
			if (s[j] == '\\')
				j++;
		if (j >= len)
			return mime_guard_set(v, MIME_GUARD_MALFORMED, "parameter %.*s: unterminated "
					      "quoted string", (int)n, name), v->status;
		p->vlen = j + 1 - *i;
	} else {
		p->vlen = mime_token(s, len, *i);
		if (p->vlen == 0)
			return mime_guard_set(v, MIME_GUARD_MALFORMED, "parameter %.*s has an empty "
					      "or bad value", (int)n, name), v->status;
	}
	*i += p->vlen;
	return MIME_GUARD_OK;
}

static bool mime_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* True when an extended (RFC 2231) value is charset'lang'%XX... (first) or %XX... */
static bool mime_ext_value_ok(const struct mime_param *p)
{
	const char *s = p->val, *q1, *q2;
	size_t len = p->vlen, i;

	if (s[0] == '"')
		return false;
	if (p->section <= 0) {
		q1 = memchr(s, '\'', len);
		q2 = q1 != NULL ? memchr(q1 + 1, '\'', len - (size_t)(q1 + 1 - s)) : NULL;
		if (q2 == NULL || q1 - s > MIME_MAX_CHARSET)
			return false;
		i = (size_t)(q2 + 1 - s);
	} else {
		i = 0;
	}
	for (; i < len; i++) {
		if (s[i] == '\'' ||
		    (s[i] == '%' && (i + 2 >= len || !mime_hex(s[i + 1]) || !mime_hex(s[i + 2]))))
			return false;
		if (s[i] == '%')
			i += 2;
	}
	return true;
}

/* Sections 0..N once each, no name both plain and in sections, good encodings. */
static enum mime_guard_status mime_params_check(const struct mime_field *f,
						struct mime_guard_verdict *v)
{
	size_t a, b, count;
	int max;

	for (a = 0; a < f->np; a++) {
		const struct mime_param *p = &f->p[a];

		count = 0;
		max = -1;
		for (b = 0; b < f->np; b++) {
			const struct mime_param *q = &f->p[b];

			if (q->nlen != p->nlen || strncasecmp(q->name, p->name, p->nlen) != 0)
				continue;
			if (b != a && (q->section == p->section || q->section < 0 || p->section < 0))
				return mime_guard_set(v, MIME_GUARD_MALFORMED, "parameter %.*s given twice",
						      (int)p->nlen, p->name), v->status;
			count++;
			max = q->section > max ? q->section : max;
		}
		if (p->section >= 0 && count != (size_t)max + 1)
			return mime_guard_set(v, MIME_GUARD_MALFORMED, "parameter %.*s: RFC 2231 "
					      "sections not 0..%d", (int)p->nlen, p->name, max), v->status;
		if (p->extended && !mime_ext_value_ok(p))
			return mime_guard_set(v, MIME_GUARD_MALFORMED, "parameter %.*s: bad RFC 2231 "
					      "encoding", (int)p->nlen, p->name), v->status;
	}
	return MIME_GUARD_OK;
}

/* Bytes: valid UTF-8, no control characters but folding white space. */
static enum mime_guard_status mime_field_bytes(const char *s, size_t len,
					       struct mime_guard_verdict *v)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7f)
			return mime_guard_set(v, MIME_GUARD_MALFORMED, "control character 0x%02x",
					      c), v->status;
	}
	if (!utf8_valid(s, len))
		return mime_guard_set(v, MIME_GUARD_MALFORMED, "invalid UTF-8"), v->status;
	return MIME_GUARD_OK;
}

/* Reads "type/subtype" or "type" at s[*i] into f. */
static enum mime_guard_status mime_field_type(const char *s, size_t len, size_t *i,
					      bool with_subtype, struct mime_field *f,
					      struct mime_guard_verdict *v)
{
	if (!mime_cfws(s, len, i))
		return mime_guard_set(v, MIME_GUARD_MALFORMED, "unterminated comment"), v->status;
	f->type = s + *i;
	f->tlen = mime_token(s, len, *i);
	*i += f->tlen;
	if (f->tlen == 0)
		return mime_guard_set(v, MIME_GUARD_MALFORMED, "no type"), v->status;
	if (!with_subtype)
		return MIME_GUARD_OK;
	if (*i >= len || s[*i] != '/')
		return mime_guard_set(v, MIME_GUARD_MALFORMED, "type %.*s has no subtype",
				      (int)f->tlen, f->type), v->status;
	(*i)++;
	f->subtype = s + *i;
	f->slen = mime_token(s, len, *i);
	*i += f->slen;
	if (f->slen == 0)
		return mime_guard_set(v, MIME_GUARD_MALFORMED, "type %.*s has no subtype",
				      (int)f->tlen, f->type), v->status;
	return MIME_GUARD_OK;
}

enum mime_guard_status mime_field_parse(const char *s, size_t len, bool with_subtype,
					struct mime_field *f, struct mime_guard_verdict *v)
{
	size_t i = 0;

	memset(f, 0, sizeof *f);
	v->status = MIME_GUARD_OK;
	v->why[0] = '\0';
	if (mime_field_bytes(s, len, v) != MIME_GUARD_OK ||
	    mime_field_type(s, len, &i, with_subtype, f, v) != MIME_GUARD_OK)
		return v->status;
	for (;;) {
		if (!mime_cfws(s, len, &i))
			return mime_guard_set(v, MIME_GUARD_MALFORMED, "unterminated comment"), v->status;
		if (i >= len)
			break;
		if (s[i] != ';')
			return mime_guard_set(v, MIME_GUARD_MALFORMED, "junk at byte %zu", i), v->status;
		i++;
		if (!mime_cfws(s, len, &i))
			return mime_guard_set(v, MIME_GUARD_MALFORMED, "unterminated comment"), v->status;
		if (i >= len || s[i] == ';')
			continue;	/* an empty parameter: harmless, common */
		if (f->np == MIME_GUARD_MAX_PARAMS)
			return mime_guard_set(v, MIME_GUARD_TOO_COMPLEX, "more than %d parameters",
					      MIME_GUARD_MAX_PARAMS), v->status;
		if (mime_param_one(s, len, &i, &f->p[f->np], v) != MIME_GUARD_OK)
			return v->status;
		f->np++;
	}
	return mime_params_check(f, v);
}

bool mime_field_has_param(const char *s, size_t len, bool with_subtype, const char *name)
{
	struct mime_guard_verdict v;
	struct mime_field f;
	size_t i, n = strlen(name);

	if (mime_field_parse(s, len, with_subtype, &f, &v) != MIME_GUARD_OK)
		return false;
	for (i = 0; i < f.np; i++)
		if (f.p[i].nlen == n && strncasecmp(f.p[i].name, name, n) == 0)
			return true;
	return false;
}

/* RFC 2046 bchars. */
static bool mime_bchar(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c != '\0' && strchr("'()+_,-./:=? ", c) != NULL);
}

/* The boundary of multipart field f into out; reasons in v.  Returns v->status. */
enum mime_guard_status mime_field_boundary_why(const struct mime_field *f,
					       char out[MIME_GUARD_MAX_BOUNDARY + 1],
					       struct mime_guard_verdict *v)
{
	const struct mime_param *p = NULL;
	const char *b;
	size_t i, n;

	for (i = 0; i < f->np && p == NULL; i++)
		if (f->p[i].nlen == 8 && strncasecmp(f->p[i].name, "boundary", 8) == 0)
			p = &f->p[i];
	if (p == NULL)
		return mime_guard_set(v, MIME_GUARD_MALFORMED, "multipart/%.*s without a boundary",
				      (int)f->slen, f->subtype), v->status;
	if (p->section >= 0 || p->extended)
		return mime_guard_set(v, MIME_GUARD_MALFORMED, "an RFC 2231 encoded boundary"),
		       v->status;
	b = p->val;
	n = p->vlen;
	if (b[0] == '"') {
		b++;
		n -= 2;
	}
	if (n == 0)
		return mime_guard_set(v, MIME_GUARD_MALFORMED, "an empty boundary"), v->status;
	if (n > MIME_GUARD_MAX_BOUNDARY)
		return mime_guard_set(v, MIME_GUARD_MALFORMED, "a boundary over %d characters",
				      MIME_GUARD_MAX_BOUNDARY), v->status;
	for (i = 0; i < n; i++)
		if (!mime_bchar(b[i]))
			return mime_guard_set(v, MIME_GUARD_MALFORMED, "a boundary with characters "
					      "outside RFC 2046"), v->status;
	if (b[n - 1] == ' ')
		return mime_guard_set(v, MIME_GUARD_MALFORMED, "a boundary ending in a space"),
		       v->status;
	memcpy(out, b, n);
	out[n] = '\0';
	return MIME_GUARD_OK;
}

int mime_field_boundary(const char *s, size_t len, char out[MIME_GUARD_MAX_BOUNDARY + 1])
{
	struct mime_guard_verdict v;
	struct mime_field f;

	if (mime_field_parse(s, len, true, &f, &v) != MIME_GUARD_OK)
		return -1;
	return mime_field_boundary_why(&f, out, &v) == MIME_GUARD_OK ? 0 : -1;
}
