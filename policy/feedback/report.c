/*
 * report - report fields, cleaning and lists; see report.h.  The GMime
 * side (finding the parts) is in report_mime.c.
 *
 * Diagnostics: none.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "report.h"
#include "strbuf.h"
#include "xalloc.h"

/* Raw bytes of one field kept before cleaning: folds may hold many blanks. */
#define REPORT_RAW_MAX (4 * REPORT_VALUE_MAX)

/* Bytes of the UTF-8 sequence at s (at most n bytes), or 0 if invalid. */
static size_t report_utf8_len(const unsigned char *s, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	size_t need, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		need = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		need = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		need = 4;
	else
		return 0;
	if (s[0] == 0xe0)
		lo = 0xa0;	/* overlong */
	else if (s[0] == 0xed)
		hi = 0x9f;	/* surrogates */
	else if (s[0] == 0xf0)
		lo = 0x90;	/* overlong */
	else if (s[0] == 0xf4)
		hi = 0x8f;	/* above U+10FFFF */
	if (n < need || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < need; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return need;
}

/* True for bytes and sequences shown as a blank: C0, DEL, C1 controls. */
static bool report_blank(const unsigned char *s, size_t seq)
{
	if (seq == 1)
		return s[0] <= 0x20 || s[0] == 0x7f;
	return seq == 2 && s[0] == 0xc2 && s[1] < 0xa0;
}

void report_clean(const char *s, size_t len, struct strbuf *out)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t start = out->len, i = 0, seq;
	bool space = false;

	strbuf_append(out, "", 0);
	while (i < len) {
		seq = report_utf8_len(p + i, len - i);
		if (seq > 0 && report_blank(p + i, seq)) {
			space = out->len > start;
			i += seq;
			continue;
		}
		if (out->len - start + (space ? 1 : 0) + (seq ? seq : 1) > REPORT_VALUE_MAX)
			break;
		if (space)
			strbuf_appendc(out, ' ');
		space = false;
		if (seq == 0) {
			strbuf_appendc(out, '?');
			seq = 1;
		} else {
			strbuf_append(out, p + i, seq);
		}
		i += seq;
	}
}

char *report_strdup(const char *s)
{
	struct strbuf sb = STRBUF_INIT;

	if (s != NULL)
		report_clean(s, strlen(s), &sb);
	strbuf_append(&sb, "", 0);
	return strbuf_detach(&sb);
}

void report_list_add(struct report_list *l, const char *s, size_t max)
{
	char **v;

	if (l->n >= max)
		return;
	v = xrealloc(l->v, (l->n + 1) * sizeof *v);
	l->v = v;
	l->v[l->n++] = report_strdup(s);
}

void report_list_free(struct report_list *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

void report_orig_free(struct report_orig *o)
{
	if (o == NULL)
		return;
	free(o->message_id);
	free(o->from);
	free(o->to);
	free(o->subject);
	free(o->return_path);
	free(o->list_unsubscribe);
	memset(o, 0, sizeof *o);
}

/* ---- fields ------------------------------------------------------------------ */

/* The parser's state between lines. */
struct report_fp {
	struct report_fields *out;
	size_t max_groups;
	bool new_group;		/* the next field starts a group */
	bool dropping;		/* the current group is over the cap */
	bool have_field;
	struct strbuf name, raw;
};

/* Adds the field being read, if any, to the current group. */
static void report_fp_flush(struct report_fp *st)
{
	struct report_fields *out = st->out;
	struct report_group *g;
	struct strbuf value = STRBUF_INIT;

	if (!st->have_field)
		return;
	st->have_field = false;
	if (st->new_group) {
		st->new_group = false;
		st->dropping = out->n >= st->max_groups;
		if (!st->dropping) {
			g = xrealloc(out->groups, (out->n + 1) * sizeof *g);
			out->groups = g;
			memset(&g[out->n++], 0, sizeof *g);
		}
	}
	if (st->dropping || out->groups[out->n - 1].n >= REPORT_FIELDS_MAX) {
		out->truncated = true;
		return;
	}
	g = &out->groups[out->n - 1];
	g->v = xrealloc(g->v, (g->n + 1) * sizeof *g->v);
	report_clean(st->raw.data, st->raw.len, &value);
	strbuf_append(&value, "", 0);
	g->v[g->n].name = strbuf_detach(&st->name);
	g->v[g->n].value = strbuf_detach(&value);
	g->n++;
}

/* Appends bytes of a value, up to REPORT_RAW_MAX in all. */
static void report_fp_value(struct report_fp *st, const char *s, size_t len)
{
	size_t room = REPORT_RAW_MAX - st->raw.len;

	strbuf_append(&st->raw, s, len < room ? len : room);
}

/* Length of a field name at the start of line, or 0 if it holds none. */
static size_t report_field_name(const char *line, size_t len, size_t *colon)
{
	const char *c = memchr(line, ':', len);
	size_t n, i;

	if (c == NULL)
		return 0;
	*colon = (size_t)(c - line);
	for (n = *colon; n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\t'); n--)
		;
	for (i = 0; i < n; i++)
		if ((unsigned char)line[i] < 33 || (unsigned char)line[i] > 126)
			return 0;
	return n;
}

/* Handles one line (without its end). */
static void report_fp_line(struct report_fp *st, const char *line, size_t len)
{
	size_t i, n, colon = 0;

	for (i = 0; i < len && (line[i] == ' ' || line[i] == '\t'); i++)
		;
	if (i == len) {	/* blank: the group ends */
		report_fp_flush(st);
		st->new_group = true;
		return;
	}
	if (i > 0) {	/* a continuation */
		if (st->have_field) {
			report_fp_value(st, " ", 1);
			report_fp_value(st, line + i, len - i);
		}
		return;
	}
	report_fp_flush(st);
	n = report_field_name(line, len, &colon);
	if (n == 0)
		return;	/* neither field nor continuation: skipped */
	strbuf_reset(&st->name);
	strbuf_append(&st->name, line, n);
	strbuf_reset(&st->raw);
	report_fp_value(st, line + colon + 1, len - colon - 1);
	st->have_field = true;
}

void report_fields_parse(const char *text, size_t len, size_t max_groups,
			 struct report_fields *out)
{
	struct report_fp st = { out, max_groups, true, false, false, STRBUF_INIT, STRBUF_INIT };
	size_t i = 0, end;

	memset(out, 0, sizeof *out);
	while (i < len) {
		for (end = i; end < len && text[end] != '\n' && text[end] != '\r'; end++)
			;
		report_fp_line(&st, text + i, end - i);
		if (end < len && text[end] == '\r' && end + 1 < len && text[end + 1] == '\n')
			end++;
		i = end + 1;
	}
	report_fp_flush(&st);
	strbuf_free(&st.name);
	strbuf_free(&st.raw);
}

void report_fields_free(struct report_fields *f)
{
	size_t i, j;

	if (f == NULL)
		return;
	for (i = 0; i < f->n; i++) {
		for (j = 0; j < f->groups[i].n; j++) {
			free(f->groups[i].v[j].name);
			free(f->groups[i].v[j].value);
		}
		free(f->groups[i].v);
	}
	free(f->groups);
	memset(f, 0, sizeof *f);
}

const char *report_group_get(const struct report_group *g, const char *name)
{
	size_t i;

	for (i = 0; i < g->n; i++)
		if (strcasecmp(g->v[i].name, name) == 0)
			return g->v[i].value;
	return NULL;
}
