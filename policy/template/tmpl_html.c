/*
 * tmpl_html - words, images, links and external CSS of a template's parts;
 * see tmpl_html.h.
 *
 * UTF-8 is decoded here rather than with a library: the review only needs
 * code point ranges (CJK or not, punctuation or not), and a byte that is
 * not UTF-8 simply separates words (the loader has already refused such
 * parts).
 *
 * Diagnostics: none.
 */
#include "autoconf.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "template.h"
#include "tmpl_html.h"

/* Decodes the code point at s[0..len) into *cp; returns its bytes (>= 1). */
static size_t tmpl_utf8_next(const unsigned char *s, size_t len, uint32_t *cp)
{
	size_t n, i;
	uint32_t c;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	n = s[0] >= 0xF0 ? 4 : s[0] >= 0xE0 ? 3 : s[0] >= 0xC0 ? 2 : 0;
	c = n == 4 ? s[0] & 0x07u : n == 3 ? s[0] & 0x0Fu : s[0] & 0x1Fu;
	if (n == 0 || n > len || s[0] > 0xF4) {
		*cp = 0xFFFD;
		return 1;
	}
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80) {
			*cp = 0xFFFD;
			return 1;
		}
		c = c << 6 | (s[i] & 0x3Fu);
	}
	*cp = c;
	return n;
}

/* True for a CJK ideograph, kana, bopomofo or hangul code point. */
static bool tmpl_is_cjk(uint32_t c)
{
	return (c >= 0x1100 && c <= 0x11FF) || (c >= 0x2E80 && c <= 0x2FDF) ||
	       (c >= 0x3040 && c <= 0x31FF) || (c >= 0x3400 && c <= 0x4DBF) ||
	       (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0xA960 && c <= 0xA97F) ||
	       (c >= 0xAC00 && c <= 0xD7FF) || (c >= 0xF900 && c <= 0xFAFF) ||
	       (c >= 0xFF66 && c <= 0xFFDC) || (c >= 0x20000 && c <= 0x3FFFF);
}

/* True for a code point that separates words (not a letter or digit). */
static bool tmpl_is_sep(uint32_t c)
{
	if (c < 0x80)
		return !isalnum((int)c);
	if (c <= 0xBF)
		return c != 0xAA && c != 0xB5 && c != 0xBA;	/* ª µ º are letters */
	return c == 0xD7 || c == 0xF7 || (c >= 0x2000 && c <= 0x2BFF) ||
	       (c >= 0x2E00 && c <= 0x2E7F) || (c >= 0x3000 && c <= 0x303F) ||
	       (c >= 0xFE00 && c <= 0xFE6F) || c == 0xFEFF || (c >= 0xFF00 && c <= 0xFF0F) ||
	       (c >= 0xFF1A && c <= 0xFF20) || (c >= 0xFF3B && c <= 0xFF40) ||
	       (c >= 0xFF5B && c <= 0xFF65) || (c >= 0xFFF0 && c <= 0xFFFF) ||
	       (c >= 0x1F000 && c <= 0x1FAFF) || (c >= 0xE0000 && c <= 0xE007F);
}

size_t tmpl_count_words(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, n, words = 0, vlen, name_len;
	bool in_word = false;
	const char *name;
	uint32_t c;

	while (i < len) {
		if (s[i] == '{' && tmpl_var_match(s + i, &vlen, &name, &name_len)) {
			in_word = false;	/* a variable separates words, is none */
			i += vlen;
			continue;
		}
		n = tmpl_utf8_next(u + i, len - i, &c);
		i += n;
		if (tmpl_is_cjk(c)) {
			words++;
			in_word = false;
		} else if (tmpl_is_sep(c)) {
			in_word = false;
		} else if (!in_word) {
			words++;
			in_word = true;
		}
	}
	return words;
}

/* Length of the URL at p: up to a blank, quote, bracket or 60 bytes. */
static int tmpl_url_len(const char *p)
{
	int n = 0;

	while (n < 60 && p[n] != '\0' && !isspace((unsigned char)p[n]) &&
	       strchr("\"'<>()", p[n]) == NULL)
		n++;
	return n;
}

void tmpl_find_url(const char *s, char *what, size_t len)
{
	static const char *const schemes[] = { "http://", "https://", "ftp://", "www." };
	const char *p;
	size_t i;

	for (p = s; *p != '\0'; p++)
		for (i = 0; i < sizeof schemes / sizeof schemes[0]; i++) {
			if (strncasecmp(p, schemes[i], strlen(schemes[i])) != 0)
				continue;
			/* "www." inside a word ("awww.") is no host name */
			if (i == 3 && p > s && (isalnum((unsigned char)p[-1]) || p[-1] == '.'))
				continue;
			(void)snprintf(what, len, "link \"%.*s\"", tmpl_url_len(p), p);
			return;
		}
}

/* Appends code point c as UTF-8. */
static void tmpl_utf8_put(struct strbuf *out, uint32_t c)
{
	if (c < 0x80) {
		strbuf_appendc(out, (char)c);
	} else if (c < 0x800) {
		strbuf_appendc(out, (char)(0xC0 | c >> 6));
		strbuf_appendc(out, (char)(0x80 | (c & 0x3F)));
	} else if (c < 0x10000) {
		strbuf_appendc(out, (char)(0xE0 | c >> 12));
		strbuf_appendc(out, (char)(0x80 | (c >> 6 & 0x3F)));
		strbuf_appendc(out, (char)(0x80 | (c & 0x3F)));
	} else {
		strbuf_appendc(out, (char)(0xF0 | c >> 18));
		strbuf_appendc(out, (char)(0x80 | (c >> 12 & 0x3F)));
		strbuf_appendc(out, (char)(0x80 | (c >> 6 & 0x3F)));
		strbuf_appendc(out, (char)(0x80 | (c & 0x3F)));
	}
}

/* Decodes a numeric entity body ("#65", "#x41") into *c; false if invalid. */
static bool tmpl_entity_number(const char *p, size_t n, uint32_t *c)
{
	bool hex = n > 1 && (p[1] == 'x' || p[1] == 'X');
	size_t i = hex ? 2 : 1;
	uint32_t v = 0;

	if (i >= n)
		return false;
	for (; i < n; i++) {
		if (hex ? !isxdigit((unsigned char)p[i]) : !isdigit((unsigned char)p[i]))
			return false;
		v = v * (hex ? 16 : 10) +
		    (uint32_t)(isdigit((unsigned char)p[i]) ? p[i] - '0'
							    : tolower((unsigned char)p[i]) - 'a' + 10);
		if (v > 0x10FFFF)
			return false;
	}
	*c = v;
	return v != 0 && (v < 0xD800 || v > 0xDFFF);
}

/* Decodes the entity at p ('&') into out; returns the bytes it spans. */
static size_t tmpl_entity(const char *p, struct strbuf *out)
{
	static const struct {
		const char *name;
		const char *text;
	} names[] = { { "amp", "&" }, { "lt", "<" }, { "gt", ">" }, { "quot", "\"" },
		      { "apos", "'" }, { "nbsp", " " } };
	const char *semi = p + 1;
	size_t n, i;
	uint32_t c;

	while (semi - p < 12 && (isalnum((unsigned char)*semi) || *semi == '#'))
		semi++;
	n = (size_t)(semi - p - 1);
	if (*semi == ';' && n > 0 && p[1] == '#' && tmpl_entity_number(p + 1, n, &c)) {
		tmpl_utf8_put(out, c);
		return n + 2;
	}
	for (i = 0; *semi == ';' && i < sizeof names / sizeof names[0]; i++)
		if (strlen(names[i].name) == n && strncasecmp(p + 1, names[i].name, n) == 0) {
			strbuf_appends(out, names[i].text);
			return n + 2;
		}
	strbuf_appendc(out, '&');
	return 1;
}

void tmpl_html_decode(const char *s, size_t len, struct strbuf *out)
{
	size_t i = 0;

	while (i < len) {
		if (s[i] == '&')
			i += tmpl_entity(s + i, out);
		else
			strbuf_appendc(out, s[i++]);
	}
}

/* Records external CSS in style text s (a <style> body or style=). */
static void tmpl_css_check(struct tmpl_html *h, const char *s)
{
	const char *p, *q;

	for (p = s; *p != '\0' && h->css[0] == '\0'; p++) {
		if (strncasecmp(p, "@import", 7) == 0) {
			(void)snprintf(h->css, sizeof h->css, "@import");
			return;
		}
		if (strncasecmp(p, "url(", 4) != 0)
			continue;
		for (q = p + 4; isspace((unsigned char)*q) || *q == '"' || *q == '\''; q++)
			;
		if (strncasecmp(q, "http", 4) == 0 || strncmp(q, "//", 2) == 0)
			(void)snprintf(h->css, sizeof h->css, "url(%.*s)", tmpl_url_len(q), q);
	}
}

/* Records a link for an href value that is not local, mailto: or {{var}}. */
static void tmpl_href_check(struct tmpl_html *h, const char *v)
{
	const char *name, *end = v + strlen(v);
	size_t len, name_len;

	while (isspace((unsigned char)*v))
		v++;
	while (end > v && isspace((unsigned char)end[-1]))
		end--;
	if (end == v || *v == '#' || strncasecmp(v, "mailto:", 7) == 0)
		return;
	if (tmpl_var_match(v, &len, &name, &name_len) && v + len == end)
		return;
	(void)snprintf(h->link, sizeof h->link, "href \"%.*s\"",
		       (int)(end - v > 60 ? 60 : end - v), v);
}

/* Checks one decoded attribute of tag. */
static void tmpl_attr(struct tmpl_html *h, const char *tag, const char *name, const char *value)
{
	if (strncasecmp(name, "xmlns", 5) == 0)
		return;
	if (strcasecmp(tag, "link") == 0 && strcasecmp(name, "rel") == 0 &&
	    strcasestr(value, "stylesheet") != NULL && h->css[0] == '\0')
		(void)snprintf(h->css, sizeof h->css, "<link rel=\"%.60s\">", value);
	if (strcasecmp(name, "style") == 0) {
		tmpl_css_check(h, value);
		return;
	}
	if (h->link[0] != '\0')
		return;
	if (strcasecmp(name, "href") == 0)
		tmpl_href_check(h, value);
	else
		tmpl_find_url(value, h->link, sizeof h->link);
}

/* Parses the attributes of tag from p; returns the byte after '>'. */
static const char *tmpl_attrs(struct tmpl_html *h, const char *tag, const char *p)
{
	struct strbuf name = STRBUF_INIT, value = STRBUF_INIT;
	const char *v;
	size_t n;

	while (*p != '\0' && *p != '>') {
		if (isspace((unsigned char)*p) || *p == '/') {
			p++;
			continue;
		}
		n = strcspn(p, " \t\r\n/>=");
		strbuf_reset(&name);
		strbuf_reset(&value);
		strbuf_append(&name, p, n ? n : 1);
		p += n ? n : 1;
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '=') {
			for (p++; isspace((unsigned char)*p); p++)
				;
			v = *p == '"' || *p == '\'' ? p + 1 : p;
			n = v > p ? strcspn(v, *p == '"' ? "\"" : "'") : strcspn(v, " \t\r\n>");
			tmpl_html_decode(v, n, &value);
			p = v + n + (v > p && v[n] != '\0');
		}
		tmpl_attr(h, tag, strbuf_cstr(&name), strbuf_cstr(&value));
	}
	strbuf_free(&name);
	strbuf_free(&value);
	return *p == '>' ? p + 1 : p;
}

/* Handles the body of a <script> or <style> at p; returns the byte after it. */
static const char *tmpl_raw_body(struct tmpl_html *h, const char *tag, const char *p)
{
	struct strbuf body = STRBUF_INIT;
	size_t tlen = strlen(tag);
	const char *end = p;

	while (*end != '\0' && !(end[0] == '<' && end[1] == '/' &&
				 strncasecmp(end + 2, tag, tlen) == 0))
		end++;
	strbuf_append(&body, p, (size_t)(end - p));
	if (strcasecmp(tag, "style") == 0)
		tmpl_css_check(h, strbuf_cstr(&body));
	else if (h->link[0] == '\0')
		tmpl_find_url(strbuf_cstr(&body), h->link, sizeof h->link);
	strbuf_free(&body);
	end += strcspn(end, ">");
	return *end == '>' ? end + 1 : end;
}

/* Handles the start tag at p ('<' and a letter); returns where text resumes. */
static const char *tmpl_tag(struct tmpl_html *h, const char *p)
{
	char tag[16];
	size_t n = 1;

	while (n < sizeof tag && isalnum((unsigned char)p[n]))
		n++;
	(void)snprintf(tag, sizeof tag, "%.*s", (int)(n - 1), p + 1);
	if (strcasecmp(tag, "img") == 0)
		h->images++;
	p += n;
	while (isalnum((unsigned char)*p))
		p++;	/* a name too long to matter */
	p = tmpl_attrs(h, tag, p);
	if (strcasecmp(tag, "script") == 0 || strcasecmp(tag, "style") == 0)
		p = tmpl_raw_body(h, tag, p);
	return p;
}

/* Skips a comment, declaration, end tag or processing instruction at p. */
static const char *tmpl_skip_markup(const char *p)
{
	const char *end;

	if (strncmp(p, "<!--", 4) == 0) {
		end = strstr(p + 4, "-->");
		return end != NULL ? end + 3 : p + strlen(p);
	}
	end = strchr(p, '>');
	return end != NULL ? end + 1 : p + strlen(p);
}

void tmpl_html_scan(const char *html, struct tmpl_html *h)
{
	const char *p = html;

	memset(h, 0, sizeof *h);
	while (p != NULL && *p != '\0') {
		if (p[0] == '<' && isalpha((unsigned char)p[1])) {
			p = tmpl_tag(h, p);
			strbuf_appendc(&h->text, ' ');	/* a tag ends a word */
		} else if (p[0] == '<' && (p[1] == '!' || p[1] == '?' || p[1] == '/')) {
			p = tmpl_skip_markup(p);
			strbuf_appendc(&h->text, ' ');
		} else if (p[0] == '&') {
			p += tmpl_entity(p, &h->text);
		} else {
			strbuf_appendc(&h->text, *p++);
		}
	}
	h->words = tmpl_count_words(strbuf_cstr(&h->text), h->text.len);
	if (h->link[0] == '\0')
		tmpl_find_url(strbuf_cstr(&h->text), h->link, sizeof h->link);
}

void tmpl_html_free(struct tmpl_html *h)
{
	strbuf_free(&h->text);
}
