/*
 * tmpl_render - template data (X-SES-Template-Data) and rendering; see
 * tmpl_render.h.
 *
 * The data is parsed with jansson: duplicate keys, NUL characters
 * (\u0000) and invalid UTF-8 are refused by the parser itself; the values
 * are checked again (UTF-8, no NUL) so nothing depends on a parser flag.
 * Nesting cannot cost stack: the 800-byte limit is checked before parsing
 * and jansson stops at its own depth limit (2048).
 *
 * Variables are found with tmpl_var_match (template.c), the same scanner
 * that collected the template's variables, so rendering and collecting
 * can never disagree on what a variable is.  Values go into bodies only:
 * any line break in a value (CR, LF or CRLF) becomes CRLF, and in the
 * HTML part values are escaped (& < > " ').
 *
 * Diagnostics: the why buffer of each function, in words the client can
 * be shown: "data is 801 bytes, more than 800", "data is not JSON: ...",
 * "data is not a JSON object", "key 'x' is not a string",
 * "missing: a, b; unknown: c".  Keys and parser messages are quoted with
 * anything outside printable ASCII replaced by '?' and cut at 64
 * characters, so why can go into an SMTP reply.
 */
#include "autoconf.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "rfc2047.h"
#include "tmpl_render.h"
#include "xalloc.h"

#define TMPL_WHY_MAX 64		/* characters of a key or message quoted in why */

/* Appends s to why, printable ASCII only and at most TMPL_WHY_MAX characters. */
static void tmpl_why_quote(struct strbuf *why, const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i < TMPL_WHY_MAX; i++)
		strbuf_appendc(why, s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?');
	if (s[i] != '\0')
		strbuf_appends(why, "...");
}

bool tmpl_uses_var(const struct tmpl *t, const char *name)
{
	size_t i;

	for (i = 0; i < t->nvars; i++)
		if (strcmp(t->vars[i], name) == 0)
			return true;
	return false;
}

void tmpl_data_set(struct tmpl_data *d, const char *key, const char *value)
{
	char *k = xstrdup(key), *v = xstrdup(value), **nk, **nv;
	size_t i, at = 0;

	for (i = 0; i < d->n; i++) {
		int c = strcmp(d->keys[i], key);

		if (c == 0) {
			free(k);
			free(d->values[i]);
			d->values[i] = v;
			return;
		}
		if (c < 0)
			at = i + 1;
	}
	nk = xrealloc(d->keys, (d->n + 1) * sizeof *nk);
	nv = xrealloc(d->values, (d->n + 1) * sizeof *nv);
	memmove(nk + at + 1, nk + at, (d->n - at) * sizeof *nk);
	memmove(nv + at + 1, nv + at, (d->n - at) * sizeof *nv);
	nk[at] = k;
	nv[at] = v;
	d->keys = nk;
	d->values = nv;
	d->n++;
}

void tmpl_data_free(struct tmpl_data *d)
{
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->n; i++) {
		free(d->keys[i]);
		free(d->values[i]);
	}
	free(d->keys);
	free(d->values);
	d->keys = d->values = NULL;
	d->n = 0;
}

/* Sorts d's pairs by key (insertion sort: at most ~200 keys fit in 800 bytes). */
static void tmpl_data_sort(struct tmpl_data *d)
{
	size_t i, j;
	char *k, *v;

	for (i = 1; i < d->n; i++) {
		k = d->keys[i];
		v = d->values[i];
		for (j = i; j > 0 && strcmp(d->keys[j - 1], k) > 0; j--) {
			d->keys[j] = d->keys[j - 1];
			d->values[j] = d->values[j - 1];
		}
		d->keys[j] = k;
		d->values[j] = v;
	}
}

/* Copies the string members of obj into out; NOT_JSON names a bad key. */
static enum tmpl_render_status tmpl_data_copy(json_t *obj, struct tmpl_data *out,
					      struct strbuf *why)
{
	size_t n = json_object_size(obj), vlen;
	const char *key, *val;
	json_t *value;

	out->keys = xcalloc(n + 1, sizeof *out->keys);
	out->values = xcalloc(n + 1, sizeof *out->values);
	json_object_foreach(obj, key, value) {
		if (!json_is_string(value)) {
			strbuf_appends(why, "key '");
			tmpl_why_quote(why, key);
			strbuf_appends(why, "' is not a string");
			return TMPL_DATA_NOT_JSON;
		}
		val = json_string_value(value);
		vlen = json_string_length(value);
		if (memchr(val, '\0', vlen) != NULL || !utf8_valid(val, vlen)) {
			strbuf_appends(why, "key '");
			tmpl_why_quote(why, key);
			strbuf_appends(why, "' is not valid UTF-8 text");
			return TMPL_DATA_NOT_JSON;
		}
		out->keys[out->n] = xstrdup(key);
		out->values[out->n++] = xstrdup(val);
	}
	tmpl_data_sort(out);
	return TMPL_RENDER_OK;
}

enum tmpl_render_status tmpl_data_parse(const char *data, size_t len, struct tmpl_data *out,
					struct strbuf *why)
{
	enum tmpl_render_status st;
	json_error_t err;
	json_t *root;

	memset(out, 0, sizeof *out);
	if (len > TMPL_DATA_MAX) {
		strbuf_appendf(why, "data is %zu bytes, more than %d", len, TMPL_DATA_MAX);
		return TMPL_DATA_TOO_LONG;
	}
	root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &err);
	if (root == NULL) {
		strbuf_appends(why, "data is not JSON: ");
		tmpl_why_quote(why, err.text);
		return TMPL_DATA_NOT_JSON;
	}
	if (!json_is_object(root)) {
		json_decref(root);
		strbuf_appends(why, "data is not a JSON object");
		return TMPL_DATA_NOT_JSON;
	}
	st = tmpl_data_copy(root, out, why);
	json_decref(root);
	if (st != TMPL_RENDER_OK)
		tmpl_data_free(out);
	return st;
}

void tmpl_html_escape(const char *s, struct strbuf *out)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&': strbuf_appends(out, "&amp;"); break;
		case '<': strbuf_appends(out, "&lt;"); break;
		case '>': strbuf_appends(out, "&gt;"); break;
		case '"': strbuf_appends(out, "&quot;"); break;
		case '\'': strbuf_appends(out, "&#39;"); break;
		default: strbuf_appendc(out, *s); break;
		}
	}
}

/* The value of key name[0..len) in d, or NULL (d->keys is sorted). */
static const char *tmpl_data_find(const struct tmpl_data *d, const char *name, size_t len)
{
	size_t lo = 0, hi = d->n, mid;
	int c;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		c = strncmp(d->keys[mid], name, len);
		if (c == 0 && d->keys[mid][len] != '\0')
			c = 1;
		if (c == 0)
			return d->values[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Appends value v, line breaks made CRLF, HTML-escaped when html. */
static void tmpl_append_value(const char *v, bool html, struct strbuf *out)
{
	struct strbuf esc = STRBUF_INIT;

	if (html) {
		tmpl_html_escape(v, &esc);
		v = strbuf_cstr(&esc);
	}
	for (; *v != '\0'; v++) {
		if (*v == '\r' || *v == '\n') {
			strbuf_append(out, "\r\n", 2);
			if (v[0] == '\r' && v[1] == '\n')
				v++;
		} else {
			strbuf_appendc(out, *v);
		}
	}
	strbuf_free(&esc);
}

/* Renders src into out; false when a variable has no value in d. */
static bool tmpl_render_part(const char *src, const struct tmpl_data *d, bool html,
			     struct strbuf *out)
{
	const char *name, *value;
	size_t len, name_len;

	while (*src != '\0') {
		if (!tmpl_var_match(src, &len, &name, &name_len)) {
			strbuf_appendc(out, *src++);
			continue;
		}
		value = tmpl_data_find(d, name, name_len);
		if (value == NULL)
			return false;
		tmpl_append_value(value, html, out);
		src += len;
	}
	return true;
}

/* Appends "label: a, b" to why for the n names; "; " first unless why->len is start. */
static void tmpl_why_list(struct strbuf *why, size_t start, const char *label, char **names,
			  size_t n)
{
	size_t i;

	if (n == 0)
		return;
	if (why->len > start)
		strbuf_appends(why, "; ");
	strbuf_appendf(why, "%s: ", label);
	for (i = 0; i < n; i++) {
		if (i > 0)
			strbuf_appends(why, ", ");
		tmpl_why_quote(why, names[i]);
	}
}

/* Compares the sorted vars of t with the sorted keys of d; why names the differences. */
static bool tmpl_render_match(const struct tmpl *t, const struct tmpl_data *d,
			      struct strbuf *why)
{
	char **missing, **unknown;
	size_t i = 0, j = 0, nm = 0, nu = 0, start = why->len;
	int c;

	missing = xcalloc(t->nvars + 1, sizeof *missing);
	unknown = xcalloc(d->n + 1, sizeof *unknown);
	while (i < t->nvars || j < d->n) {
		c = i == t->nvars ? 1 : j == d->n ? -1 : strcmp(t->vars[i], d->keys[j]);
		if (c < 0)
			missing[nm++] = t->vars[i++];
		else if (c > 0)
			unknown[nu++] = d->keys[j++];
		else
			i++, j++;
	}
	tmpl_why_list(why, start, "missing", missing, nm);
	tmpl_why_list(why, start, "unknown", unknown, nu);
	free(missing);
	free(unknown);
	return nm == 0 && nu == 0;
}

enum tmpl_render_status tmpl_render(const struct tmpl *t, const struct tmpl_data *d,
				    struct strbuf *text, struct strbuf *html, struct strbuf *why)
{
	strbuf_reset(text);
	strbuf_reset(html);
	if (!tmpl_render_match(t, d, why))
		return TMPL_DATA_NOT_MATCH;
	/*
	 * t->vars was collected with the same scanner, so every variable
	 * has a value; a template built without its vars still fails
	 * safely here instead of sending a literal {{name}}.
	 */
	if ((t->text != NULL && !tmpl_render_part(t->text, d, false, text)) ||
	    (t->html != NULL && !tmpl_render_part(t->html, d, true, html))) {
		strbuf_reset(text);
		strbuf_reset(html);
		strbuf_appends(why, "the template has variables it does not list");
		return TMPL_DATA_NOT_MATCH;
	}
	return TMPL_RENDER_OK;
}
