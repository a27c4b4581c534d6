/*
 * tmpl_track - tracking links and the open pixel in rendered HTML; see
 * tmpl_track.h.
 *
 * The walk follows tmpl_html_scan's reading of HTML, so what the review
 * saw as a link is what is rewritten here, and it never re-serialises:
 * everything it does not change is copied from the input, so a quirk of
 * the input (an odd quote, a malformed tag) stays exactly as it was.
 *
 * Diagnostics: none; the counts say what was done.
 */
#include "autoconf.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "tmpl_html.h"
#include "tmpl_track.h"

/* One attribute of a tag: where its bytes are and its decoded value. */
struct tmpl_track_attr {
	size_t start, end;		/* the attribute from name to value end */
	size_t vstart, vend;		/* the value as written, quotes included */
	bool found;
	struct strbuf value;		/* decoded */
};

struct tmpl_track_walk {
	const char *s;
	size_t len, i;
	const struct tmpl_track_hooks *hooks;
	struct strbuf *out;
	struct tmpl_track_count *c;
	size_t body_end;		/* offset in out of the last </body>; SIZE_MAX none */
};

/* Appends s with &, " and < escaped for a double-quoted attribute value. */
static void tmpl_track_attr_escape(struct strbuf *out, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '&')
			strbuf_appends(out, "&amp;");
		else if (*s == '"')
			strbuf_appends(out, "&quot;");
		else if (*s == '<')
			strbuf_appends(out, "&lt;");
		else
			strbuf_appendc(out, *s);
	}
}

/* True for ASCII whitespace as HTML counts it. */
static bool tmpl_track_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' || ch == '\f';
}

/*
 * Parses the attributes of a tag from w->i (after the name) as
 * tmpl_html's tmpl_attrs does, noting href and data-ses-track.  Returns
 * the offset of the closing '>', or w->len when the tag is cut short.
 */
static size_t tmpl_track_attrs(const struct tmpl_track_walk *w, size_t p,
			       struct tmpl_track_attr *href, struct tmpl_track_attr *flag)
{
	const char *s = w->s;
	size_t n, start, v;
	char q;

	while (p < w->len && s[p] != '>') {
		struct tmpl_track_attr *a = NULL;

		if (tmpl_track_blank(s[p]) || s[p] == '/') {
			p++;
			continue;
		}
		start = p;
		n = strcspn(s + p, " \t\r\n\f/>=");
		n = n ? n : 1;
		if (n == 4 && strncasecmp(s + p, "href", 4) == 0 && !href->found)
			a = href;
		else if (n == strlen(TMPL_TRACK_ATTR) &&
			 strncasecmp(s + p, TMPL_TRACK_ATTR, n) == 0 && !flag->found)
			a = flag;
		p += n;
		if (a != NULL) {
			a->found = true;
			a->start = start;
			a->vstart = a->vend = p;
		}
		while (p < w->len && tmpl_track_blank(s[p]))
			p++;
		if (p >= w->len || s[p] != '=') {
			if (a != NULL)
				a->end = p;
			continue;
		}
		for (p++; p < w->len && tmpl_track_blank(s[p]); p++)
			;
		q = s[p] == '"' || s[p] == '\'' ? s[p] : '\0';
		v = q ? p + 1 : p;
		n = q ? strcspn(s + v, q == '"' ? "\"" : "'") : strcspn(s + v, " \t\r\n\f>");
		if (a != NULL) {
			a->vstart = p;
			a->vend = v + n + (q && v + n < w->len);
			a->end = a->vend;
			tmpl_html_decode(s + v, n, &a->value);
		}
		p = v + n + (q && v + n < w->len);
	}
	return p;
}

/* True when data-ses-track says the link stays untracked. */
static bool tmpl_track_off(const struct tmpl_track_attr *flag)
{
	const char *v = strbuf_cstr(&flag->value);

	return flag->found && (strcasecmp(v, "off") == 0 || strcmp(v, "0") == 0 ||
			       strcasecmp(v, "false") == 0 || strcasecmp(v, "no") == 0);
}

/* True when url holds no blank or control byte (a browser would alter it). */
static bool tmpl_track_printable(const struct strbuf *url)
{
	size_t i;

	for (i = 0; i < url->len; i++)
		if ((unsigned char)url->data[i] <= 0x20 || (unsigned char)url->data[i] == 0x7f)
			return false;
	return true;
}

/* The tracking link for href (decoded, trimmed) into link; false to leave it. */
static bool tmpl_track_href(const struct tmpl_track_walk *w, const struct tmpl_track_attr *href,
			    struct strbuf *link)
{
	const char *v = strbuf_cstr(&href->value), *end = v + href->value.len;
	struct strbuf url = STRBUF_INIT;
	bool ok;

	if (w->hooks->link == NULL)
		return false;
	while (v < end && tmpl_track_blank(*v))
		v++;
	while (end > v && tmpl_track_blank(end[-1]))
		end--;
	strbuf_append(&url, v, (size_t)(end - v));
	ok = (strncasecmp(url.data != NULL ? url.data : "", "http://", 7) == 0 ||
	      strncasecmp(url.data != NULL ? url.data : "", "https://", 8) == 0) &&
	     tmpl_track_printable(&url) && w->hooks->link(w->hooks->arg, strbuf_cstr(&url), link) == 0;
	strbuf_free(&url);
	return ok;
}

/*
 * Copies the <a> tag s[from..gt] (gt at '>') to out: the href replaced by
 * link when link is not empty, the data-ses-track attribute dropped.
 */
static void tmpl_track_emit_a(struct tmpl_track_walk *w, size_t from, size_t gt,
			      const struct tmpl_track_attr *href,
			      const struct tmpl_track_attr *flag, const struct strbuf *link)
{
	size_t p = from, tag_out = w->out->len + 2;

	while (p <= gt) {
		if (link->len > 0 && href->found && p == href->start) {
			strbuf_append(w->out, w->s + p, href->vstart - p);
			if (href->vstart == href->vend)
				strbuf_appendc(w->out, '=');	/* "href" had no value */
			strbuf_appendc(w->out, '"');
			tmpl_track_attr_escape(w->out, strbuf_cstr(link));
			strbuf_appendc(w->out, '"');
			p = href->vend;
		} else if (flag->found && p == flag->start) {
			/* drop it and the blanks before it; keep attributes apart */
			while (w->out->len > tag_out && tmpl_track_blank(w->out->data[w->out->len - 1]))
				w->out->data[--w->out->len] = '\0';
			p = flag->end;
			if (p < gt && !tmpl_track_blank(w->s[p]) && w->s[p] != '/')
				strbuf_appendc(w->out, ' ');
		} else {
			strbuf_appendc(w->out, w->s[p++]);
		}
	}
}

/* Handles the <a> tag at w->i (after "<a"); false when it is cut short. */
static bool tmpl_track_a(struct tmpl_track_walk *w, size_t from)
{
	struct tmpl_track_attr href = { 0 }, flag = { 0 };
	struct strbuf link = STRBUF_INIT;
	size_t gt;
	bool whole;

	strbuf_init(&href.value);
	strbuf_init(&flag.value);
	gt = tmpl_track_attrs(w, w->i, &href, &flag);
	whole = gt < w->len;
	if (!whole) {
		strbuf_append(w->out, w->s + from, w->len - from);
		w->i = w->len;
	} else {
		if (href.found && !tmpl_track_off(&flag) && tmpl_track_href(w, &href, &link))
			w->c->tracked++;
		else if (href.found)
			w->c->untracked++;
		tmpl_track_emit_a(w, from, gt, &href, &flag, &link);
		w->i = gt + 1;
	}
	strbuf_free(&href.value);
	strbuf_free(&flag.value);
	strbuf_free(&link);
	return whole;
}

/* Copies s[from..to) and moves on. */
static void tmpl_track_copy(struct tmpl_track_walk *w, size_t from, size_t to)
{
	strbuf_append(w->out, w->s + from, to - from);
	w->i = to;
}

/* The offset after the first case-insensitive "</tag" ... '>' from p, or len. */
static size_t tmpl_track_raw_end(const struct tmpl_track_walk *w, size_t p, const char *tag)
{
	size_t tlen = strlen(tag);

	for (; p + 2 + tlen <= w->len; p++)
		if (w->s[p] == '<' && w->s[p + 1] == '/' &&
		    strncasecmp(w->s + p + 2, tag, tlen) == 0) {
			const char *gt = memchr(w->s + p, '>', w->len - p);

			return gt != NULL ? (size_t)(gt - w->s) + 1 : w->len;
		}
	return w->len;
}

/* Handles a start tag at w->i ('<' and a letter). */
static void tmpl_track_tag(struct tmpl_track_walk *w)
{
	struct tmpl_track_attr none1 = { 0 }, none2 = { 0 };
	size_t from = w->i, n = 1, gt;
	char tag[16];

	while (from + n < w->len && isalnum((unsigned char)w->s[from + n]))
		n++;
	snprintf(tag, sizeof tag, "%.*s", (int)(n - 1 < sizeof tag ? n - 1 : 0), w->s + from + 1);
	w->i = from + n;
	if (strcasecmp(tag, "a") == 0) {
		tmpl_track_a(w, from);
		return;
	}
	strbuf_init(&none1.value);
	strbuf_init(&none2.value);
	gt = tmpl_track_attrs(w, w->i, &none1, &none2);
	strbuf_free(&none1.value);
	strbuf_free(&none2.value);
	if (gt >= w->len) {
		tmpl_track_copy(w, from, w->len);
		return;
	}
	if (strcasecmp(tag, "script") == 0 || strcasecmp(tag, "style") == 0)
		tmpl_track_copy(w, from, tmpl_track_raw_end(w, gt + 1, tag));
	else
		tmpl_track_copy(w, from, gt + 1);
}

/* Handles a comment, declaration, end tag or processing instruction. */
static void tmpl_track_markup(struct tmpl_track_walk *w)
{
	const char *p = w->s + w->i, *end;

	if (w->len - w->i >= 4 && strncmp(p, "<!--", 4) == 0) {
		end = w->len - w->i >= 7 ? strstr(p + 4, "-->") : NULL;
		tmpl_track_copy(w, w->i, end != NULL ? (size_t)(end - w->s) + 3 : w->len);
		return;
	}
	if (w->len - w->i >= 6 && strncasecmp(p, "</body", 6) == 0 &&
	    (w->len - w->i == 6 || !isalnum((unsigned char)p[6])))
		w->body_end = w->out->len;
	end = memchr(p, '>', w->len - w->i);
	tmpl_track_copy(w, w->i, end != NULL ? (size_t)(end - w->s) + 1 : w->len);
}

/* Appends the pixel for the open event. */
static void tmpl_track_pixel(struct strbuf *out, const char *url)
{
	strbuf_appends(out, "<img src=\"");
	tmpl_track_attr_escape(out, url);
	strbuf_appends(out, "\" width=\"1\" height=\"1\" alt=\"\" "
			    "style=\"display:block;border:0;width:1px;height:1px\">");
}

void tmpl_track_html(const char *input, size_t len, const struct tmpl_track_hooks *hooks,
		     struct strbuf *out, struct tmpl_track_count *c)
{
	struct tmpl_track_count dummy;
	struct strbuf copy = STRBUF_INIT;
	struct tmpl_track_walk w = { NULL, len, 0, hooks, out, c != NULL ? c : &dummy, (size_t)-1 };
	const char *html, *lt;
	size_t next;

	memset(w.c, 0, sizeof *w.c);
	if (memchr(input, '\0', len) != NULL) {
		strbuf_append(out, input, len);
		return;
	}
	/* the walk uses string functions: give it a terminated copy */
	strbuf_append(&copy, input, len);
	html = w.s = strbuf_cstr(&copy);
	while (w.i < len) {
		lt = memchr(html + w.i, '<', len - w.i);
		next = lt != NULL ? (size_t)(lt - html) : len;
		tmpl_track_copy(&w, w.i, next);
		if (w.i + 1 >= len) {
			tmpl_track_copy(&w, w.i, len);
			break;
		}
		if (isalpha((unsigned char)html[w.i + 1]))
			tmpl_track_tag(&w);
		else if (html[w.i + 1] == '!' || html[w.i + 1] == '?' || html[w.i + 1] == '/')
			tmpl_track_markup(&w);
		else
			tmpl_track_copy(&w, w.i, w.i + 1);
	}
	strbuf_free(&copy);
	if (hooks->pixel_url == NULL)
		return;
	if (w.body_end == (size_t)-1) {
		tmpl_track_pixel(out, hooks->pixel_url);
	} else {
		struct strbuf tail = STRBUF_INIT;

		strbuf_append(&tail, out->data + w.body_end, out->len - w.body_end);
		out->len = w.body_end;
		tmpl_track_pixel(out, hooks->pixel_url);
		strbuf_append(out, tail.data, tail.len);
		strbuf_free(&tail);
	}
	w.c->pixel = true;
}
