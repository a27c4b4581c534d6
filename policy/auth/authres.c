/*
 * authres - Authentication-Results values; see authres.h.
 */
#include "autoconf.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "authres.h"
#include "xalloc.h"

/* True for a byte of an RFC 2045 token: not SPACE, CTL, 8-bit or tspecial. */
static bool authres_token_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

/* True when s is a non-empty RFC 2045 token. */
static bool authres_is_token(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++)
		if (!authres_token_char((unsigned char)*s))
			return false;
	return true;
}

/* True when s is a non-empty letters-digits-hyphen keyword (RFC 8601 Keyword). */
static bool authres_is_keyword(const char *s, size_t len)
{
	size_t i;

	if (len == 0)
		return false;
	for (i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
			return false;
	return true;
}

/* True when s is "ptype.property". */
static bool authres_is_propname(const char *s)
{
	const char *dot = strchr(s, '.');

	return dot != NULL && authres_is_keyword(s, (size_t)(dot - s)) &&
	       authres_is_keyword(dot + 1, strlen(dot + 1));
}

/* True when s is a dot-atom of token characters (no '.' at the ends, no ".."). */
static bool authres_is_dot_token(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || s[0] == '.' || s[len - 1] == '.')
		return false;
	for (i = 0; i < len; i++)
		if (!authres_token_char((unsigned char)s[i]) || (s[i] == '.' && s[i + 1] == '.'))
			return false;
	return true;
}

/* True when v may be written bare: a token or [local-part]@domain. */
static bool authres_bare_value(const char *v)
{
	const char *at = strchr(v, '@');

	if (at == NULL)
		return authres_is_token(v);
	if (strchr(at + 1, '@') != NULL)
		return false;
	return (at == v || authres_is_dot_token(v, (size_t)(at - v))) &&
	       authres_is_dot_token(at + 1, strlen(at + 1));
}

/* Appends c, or '?' for a byte a header cannot carry inside a quoted text. */
static void authres_text_char(struct strbuf *out, unsigned char c)
{
	if (c == '\t')
		c = ' ';
	strbuf_appendc(out, (char)(c < 0x20 || c == 0x7f ? '?' : c));
}

/* Appends v as a quoted-string. */
static void authres_quoted(struct strbuf *out, const char *v)
{
	strbuf_appendc(out, '"');
	for (; *v != '\0'; v++) {
		if (*v == '"' || *v == '\\')
			strbuf_appendc(out, '\\');
		authres_text_char(out, (unsigned char)*v);
	}
	strbuf_appendc(out, '"');
}

/* Appends text as a comment "(text)". */
static void authres_comment_text(struct strbuf *out, const char *text)
{
	strbuf_appendc(out, '(');
	for (; *text != '\0'; text++) {
		if (*text == '(' || *text == ')' || *text == '\\')
			strbuf_appendc(out, '\\');
		authres_text_char(out, (unsigned char)*text);
	}
	strbuf_appendc(out, ')');
}

int authres_init(struct authres *ar, const char *authserv_id)
{
	memset(ar, 0, sizeof *ar);
	if (authserv_id == NULL || !authres_is_token(authserv_id))
		return -1;
	ar->servid = xstrdup(authserv_id);
	return 0;
}

/* Frees the strings and properties of one entry. */
static void authres_entry_free(struct authres_entry *e)
{
	size_t i;

	for (i = 0; i < e->nprops; i++) {
		free(e->props[i].name);
		free(e->props[i].value);
	}
	free(e->props);
	free(e->method);
	free(e->result);
	free(e->comment);
	free(e->reason);
}

void authres_free(struct authres *ar)
{
	size_t i;

	if (ar == NULL)
		return;
	for (i = 0; i < ar->n; i++)
		authres_entry_free(&ar->entries[i]);
	free(ar->entries);
	free(ar->servid);
	memset(ar, 0, sizeof *ar);
}

/* Adds the name, value pairs of ap to e; -1 on a bad property name. */
static int authres_add_props(struct authres_entry *e, va_list ap)
{
	const char *name, *value;

	while ((name = va_arg(ap, const char *)) != NULL) {
		value = va_arg(ap, const char *);
		if (!authres_is_propname(name))
			return -1;
		if (value == NULL)
			continue;
		e->props = xrealloc(e->props, (e->nprops + 1) * sizeof *e->props);
		e->props[e->nprops].name = xstrdup(name);
		e->props[e->nprops].value = xstrdup(value);
		e->nprops++;
	}
	return 0;
}

int authres_add(struct authres *ar, const char *method, const char *result,
		const char *reason, ...)
{
	struct authres_entry e = { 0 };
	va_list ap;
	int rc;

	if (!authres_is_keyword(method, strlen(method)) ||
	    !authres_is_keyword(result, strlen(result)))
		return -1;
	va_start(ap, reason);
	rc = authres_add_props(&e, ap);
	va_end(ap);
	if (rc < 0) {
		authres_entry_free(&e);
		return -1;
	}
	e.method = xstrdup(method);
	e.result = xstrdup(result);
	e.reason = reason != NULL ? xstrdup(reason) : NULL;
	ar->entries = xrealloc(ar->entries, (ar->n + 1) * sizeof *ar->entries);
	ar->entries[ar->n++] = e;
	return 0;
}

int authres_comment(struct authres *ar, const char *comment)
{
	struct authres_entry *e;

	if (ar->n == 0 || comment == NULL)
		return -1;
	e = &ar->entries[ar->n - 1];
	free(e->comment);
	e->comment = xstrdup(comment);
	return 0;
}

/* Appends one resinfo: "method=result (comment) reason=".." p.n=v ...". */
static void authres_format_entry(const struct authres_entry *e, struct strbuf *out)
{
	size_t i;

	strbuf_appendf(out, "%s=%s", e->method, e->result);
	if (e->comment != NULL) {
		strbuf_appendc(out, ' ');
		authres_comment_text(out, e->comment);
	}
	if (e->reason != NULL) {
		strbuf_appends(out, " reason=");
		authres_quoted(out, e->reason);
	}
	for (i = 0; i < e->nprops; i++) {
		strbuf_appendf(out, " %s=", e->props[i].name);
		if (authres_bare_value(e->props[i].value))
			strbuf_appends(out, e->props[i].value);
		else
			authres_quoted(out, e->props[i].value);
	}
}

void authres_format(const struct authres *ar, struct strbuf *out)
{
	size_t i;

	strbuf_appends(out, ar->servid != NULL ? ar->servid : "");
	if (ar->n == 0)
		strbuf_appends(out, "; none");
	for (i = 0; i < ar->n; i++) {
		strbuf_appends(out, "; ");
		authres_format_entry(&ar->entries[i], out);
	}
}

/* Skips blanks and (nested) comments; returns where the next token starts. */
static const char *authres_skip_cfws(const char *s)
{
	int depth = 0;

	for (; *s != '\0'; s++) {
		if (depth > 0 && *s == '\\' && s[1] != '\0')
			s++;
		else if (*s == '(')
			depth++;
		else if (*s == ')' && depth > 0)
			depth--;
		else if (depth == 0 && !isspace((unsigned char)*s))
			break;
	}
	return s;
}

/* Compares a[0..alen) with b, ASCII case and one trailing dot ignored. */
static bool authres_same_id(const char *a, size_t alen, const char *b)
{
	size_t blen = strlen(b);

	if (alen > 0 && a[alen - 1] == '.')
		alen--;
	if (blen > 0 && b[blen - 1] == '.')
		blen--;
	return alen > 0 && alen == blen && strncasecmp(a, b, alen) == 0;
}

bool authres_claims_id(const char *header_value, const char *authserv_id)
{
	struct strbuf id = STRBUF_INIT;
	const char *s = authres_skip_cfws(header_value);
	bool same;

	if (*s == '"') {
		for (s++; *s != '\0' && *s != '"'; s++) {
			if (*s == '\\' && s[1] != '\0')
				s++;
			strbuf_appendc(&id, *s);
		}
	} else {
		for (; *s != '\0' && !isspace((unsigned char)*s) && strchr(";(\"", *s) == NULL; s++)
			strbuf_appendc(&id, *s);
	}
	same = authres_same_id(strbuf_cstr(&id), id.len, authserv_id);
	strbuf_free(&id);
	return same;
}
