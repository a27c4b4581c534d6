/*
 * report_mime - finding a report's parts with GMime; see report.h.
 *
 * Only two levels are looked at (the top and its direct children), and a
 * multipart's children only up to REPORT_CHILDREN_MAX, so a hostile
 * structure costs GMime's parse (linear, and GMime bounds nesting itself)
 * plus a constant.  A returned message is not descended into, except
 * with REPORT_FIND_FORWARDED: then, when the message itself holds no
 * report, its message/rfc822 parts (top or direct children) are searched
 * the same way, at most REPORT_FORWARD_MAX levels down, and the caller
 * learns the depth and the To header of the message the report was in.
 *
 * Diagnostics: none.
 */
#include "autoconf.h"

#include <gmime/gmime.h>
#include <stdbool.h>
#include <string.h>

#include "report.h"
#include "strbuf.h"

#define REPORT_CHILDREN_MAX 32

/* Types that carry the returned message or its headers. */
static const char *const report_orig_types[] = {
	"message/rfc822", "message/global", "text/rfc822-headers", "message/global-headers", NULL
};

/* True when obj's "type/subtype" (ASCII case ignored) is one of types. */
static bool report_type_in(GMimeObject *obj, const char *const *types)
{
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	char *mt = ct != NULL ? g_mime_content_type_get_mime_type(ct) : NULL;
	bool found = false;
	size_t i;

	for (i = 0; mt != NULL && types[i] != NULL && !found; i++)
		found = g_ascii_strcasecmp(mt, types[i]) == 0;
	g_free(mt);
	return found;
}

/* The lower-cased "type/subtype" of obj.  Caller frees. */
static char *report_mime_type(GMimeObject *obj)
{
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	char *mt = ct != NULL ? g_mime_content_type_get_mime_type(ct) : NULL;
	char *r = report_strdup(mt), *p;

	g_free(mt);
	for (p = r; *p != '\0'; p++)
		*p = g_ascii_tolower(*p);
	return r;
}

/* Index of the first leaf child of mp of a type in types, or -1. */
static int report_child_of_type(GMimeMultipart *mp, const char *const *types, bool leaf)
{
	int i, n = g_mime_multipart_get_count(mp);

	for (i = 0; i < n && i < REPORT_CHILDREN_MAX; i++) {
		GMimeObject *c = g_mime_multipart_get_part(mp, i);

		if ((!leaf || GMIME_IS_PART(c)) && report_type_in(c, types))
			return i;
	}
	return -1;
}

/* True when obj is a multipart/report (or mixed) with a part of a wanted type. */
static bool report_is_container(GMimeObject *obj, const char *const *types, unsigned flags,
				int *idx)
{
	static const char *const report[] = { "multipart/report", NULL };
	static const char *const mixed[] = { "multipart/mixed", NULL };

	if (!GMIME_IS_MULTIPART(obj) ||
	    !(report_type_in(obj, report) ||
	      ((flags & REPORT_FIND_MIXED) && report_type_in(obj, mixed))))
		return false;
	*idx = report_child_of_type(GMIME_MULTIPART(obj), types, true);
	return *idx >= 0;
}

/* The report container at the top or just below it, or NULL. */
static GMimeMultipart *report_container(GMimeObject *top, const char *const *types,
					       unsigned flags, int *idx)
{
	int i, n;

	if (report_is_container(top, types, flags, idx))
		return GMIME_MULTIPART(top);
	if (!GMIME_IS_MULTIPART(top))
		return NULL;
	n = g_mime_multipart_get_count(GMIME_MULTIPART(top));
	for (i = 0; i < n && i < REPORT_CHILDREN_MAX; i++) {
		GMimeObject *c = g_mime_multipart_get_part(GMIME_MULTIPART(top), i);

		if (report_is_container(c, types, flags, idx))
			return GMIME_MULTIPART(c);
	}
	return NULL;
}

/* Appends the decoded content of a leaf part, at most max bytes. */
static void report_part_content(GMimeObject *obj, size_t max, struct strbuf *out,
				bool *truncated)
{
	GMimeDataWrapper *dw = g_mime_part_get_content(GMIME_PART(obj));
	GMimeStream *mem;
	GByteArray *a;

	if (dw == NULL)
		return;
	mem = g_mime_stream_mem_new();
	if (g_mime_data_wrapper_write_to_stream(dw, mem) >= 0) {
		a = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
		if (a->len > max && truncated != NULL)
			*truncated = true;
		strbuf_append(out, a->data, a->len > max ? max : a->len);
	}
	g_object_unref(mem);
}

/* Parses len bytes as a message; NULL if GMime makes nothing of them. */
static GMimeMessage *report_parse(const char *data, size_t len)
{
	GMimeStream *stream = g_mime_stream_mem_new_with_buffer(data, len);
	GMimeParser *parser;
	GMimeMessage *m;

	if (stream == NULL)
		return NULL;
	parser = g_mime_parser_new_with_stream(stream);
	m = g_mime_parser_construct_message(parser, NULL);
	g_object_unref(parser);
	g_object_unref(stream);
	return m;
}

/* A cleaned copy of obj's first header called name; "" if none. */
static char *report_header(GMimeObject *obj, const char *name)
{
	GMimeHeaderList *hl = g_mime_object_get_header_list(obj);
	GMimeHeader *h = hl != NULL ? g_mime_header_list_get_header(hl, name) : NULL;
	const char *v = h != NULL ? g_mime_header_get_value(h) : NULL;

	if (h != NULL && v == NULL)
		v = g_mime_header_get_raw_value(h);
	return report_strdup(v);
}

/* Fills o from the headers of a returned message. */
static void report_orig_from(GMimeObject *msg, struct report_orig *o)
{
	o->present = true;
	free(o->message_id);
	free(o->from);
	free(o->to);
	free(o->subject);
	free(o->return_path);
	free(o->list_unsubscribe);
	o->message_id = report_header(msg, "Message-ID");
	o->from = report_header(msg, "From");
	o->to = report_header(msg, "To");
	o->subject = report_header(msg, "Subject");
	o->return_path = report_header(msg, "Return-Path");
	o->list_unsubscribe = report_header(msg, "List-Unsubscribe");
}

/* Finds the returned message among mp's children (not skip) and reads it. */
static void report_find_orig(GMimeMultipart *mp, int skip, struct report_orig *o)
{
	int i, n = g_mime_multipart_get_count(mp);

	for (i = 0; i < n && i < REPORT_CHILDREN_MAX; i++) {
		GMimeObject *c = g_mime_multipart_get_part(mp, i);
		struct strbuf text = STRBUF_INIT;
		GMimeMessage *m;

		if (i == skip || !report_type_in(c, report_orig_types))
			continue;
		if (GMIME_IS_MESSAGE_PART(c)) {
			m = g_mime_message_part_get_message(GMIME_MESSAGE_PART(c));
			if (m != NULL)
				report_orig_from(GMIME_OBJECT(m), o);
			else
				o->present = true;
			return;
		}
		if (!GMIME_IS_PART(c))
			continue;
		report_part_content(c, REPORT_HEADERS_MAX, &text, NULL);
		m = report_parse(strbuf_cstr(&text), text.len);
		if (m != NULL) {
			report_orig_from(GMIME_OBJECT(m), o);
			g_object_unref(m);
		} else {
			o->present = true;
		}
		strbuf_free(&text);
		return;
	}
}

/* Sets every string of out to "" so callers never meet NULL. */
static void report_msg_init(struct report_msg *out)
{
	memset(out, 0, sizeof *out);
	strbuf_init(&out->part);
	out->report_type = report_strdup(NULL);
	out->part_type = report_strdup(NULL);
	out->to = report_strdup(NULL);
	out->orig.message_id = report_strdup(NULL);
	out->orig.from = report_strdup(NULL);
	out->orig.to = report_strdup(NULL);
	out->orig.subject = report_strdup(NULL);
	out->orig.return_path = report_strdup(NULL);
	out->orig.list_unsubscribe = report_strdup(NULL);
}

/* Fills out from the container mp whose report part is child idx. */
static void report_fill(GMimeMultipart *mp, int idx, struct report_msg *out)
{
	GMimeObject *part = g_mime_multipart_get_part(mp, idx);
	GMimeContentType *ct = g_mime_object_get_content_type(GMIME_OBJECT(mp));
	const char *rt = ct != NULL ? g_mime_content_type_get_parameter(ct, "report-type") : NULL;
	char *p;

	free(out->report_type);
	out->report_type = report_strdup(rt);
	for (p = out->report_type; *p != '\0'; p++)
		*p = g_ascii_tolower(*p);
	free(out->part_type);
	out->part_type = report_mime_type(part);
	report_part_content(part, REPORT_PART_MAX, &out->part, &out->part_truncated);
	report_find_orig(mp, idx, &out->orig);
}

/* The message inside obj when it is a message/rfc822 part, or NULL. */
static GMimeMessage *report_inner(GMimeObject *obj)
{
	static const char *const fwd[] = { "message/rfc822", NULL };

	if (!GMIME_IS_MESSAGE_PART(obj) || !report_type_in(obj, fwd))
		return NULL;
	return g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
}

/*
 * Looks for the report in message at depth levels down, then (with
 * REPORT_FIND_FORWARDED, below REPORT_FORWARD_MAX) in its forwarded
 * messages.  Recursion is bounded by REPORT_FORWARD_MAX, not the input.
 */
static bool report_search(GMimeMessage *message, const char *const *part_types, unsigned flags,
			  unsigned depth, struct report_msg *out)
{
	GMimeObject *top = g_mime_message_get_mime_part(message);
	GMimeMultipart *mp;
	GMimeMessage *inner;
	int idx = -1, i, n;

	if (top == NULL)
		return false;
	mp = report_container(top, part_types, flags, &idx);
	if (mp != NULL) {
		report_fill(mp, idx, out);
		out->depth = depth;
		free(out->to);
		out->to = report_header(GMIME_OBJECT(message), "To");
		return true;
	}
	if (!(flags & REPORT_FIND_FORWARDED) || depth >= REPORT_FORWARD_MAX)
		return false;
	if ((inner = report_inner(top)) != NULL)
		return report_search(inner, part_types, flags, depth + 1, out);
	if (!GMIME_IS_MULTIPART(top))
		return false;
	n = g_mime_multipart_get_count(GMIME_MULTIPART(top));
	for (i = 0; i < n && i < REPORT_CHILDREN_MAX; i++) {
		inner = report_inner(g_mime_multipart_get_part(GMIME_MULTIPART(top), i));
		if (inner != NULL && report_search(inner, part_types, flags, depth + 1, out))
			return true;
	}
	return false;
}

/* True when msg[0..len) has a CR that is not followed by LF. */
static bool report_has_bare_cr(const char *msg, size_t len)
{
	const char *p = msg, *end = msg + len;

	while ((p = memchr(p, '\r', (size_t)(end - p))) != NULL) {
		if (p + 1 >= end || p[1] != '\n')
			return true;
		p++;
	}
	return false;
}

/* msg with every line end (LF, CRLF, CR, CR...LF) made LF, into out. */
static void report_lf(const char *msg, size_t len, struct strbuf *out)
{
	size_t i = 0, j;

	while (i < len) {
		if (msg[i] != '\r') {
			strbuf_appendc(out, msg[i++]);
			continue;
		}
		for (j = i; j < len && msg[j] == '\r'; j++)
			;
		if (j < len && msg[j] == '\n') {	/* CR...CRLF: one end */
			strbuf_appendc(out, '\n');
			i = j + 1;
		} else {			/* each bare CR ends a line */
			for (; i < j; i++)
				strbuf_appendc(out, '\n');
		}
	}
}

bool report_find_opts(const char *msg, size_t len, const char *const *part_types,
		      unsigned flags, struct report_msg *out)
{
	struct strbuf lf = STRBUF_INIT;
	GMimeMessage *message;
	bool found = false;

	report_msg_init(out);
	if (len > REPORT_SCAN_MAX) {
		len = REPORT_SCAN_MAX;
		out->input_truncated = true;
	}
	if ((flags & REPORT_FIND_LINE_ENDS) && report_has_bare_cr(msg, len)) {
		report_lf(msg, len, &lf);
		msg = strbuf_cstr(&lf);
		len = lf.len;
	}
	message = report_parse(msg, len);
	if (message != NULL) {
		found = report_search(message, part_types, flags, 0, out);
		g_object_unref(message);
	}
	strbuf_free(&lf);
	return found;
}

bool report_find(const char *msg, size_t len, const char *const *part_types,
		 struct report_msg *out)
{
	return report_find_opts(msg, len, part_types, 0, out);
}

void report_msg_free(struct report_msg *m)
{
	if (m == NULL)
		return;
	free(m->report_type);
	free(m->part_type);
	free(m->to);
	strbuf_free(&m->part);
	report_orig_free(&m->orig);
	memset(m, 0, sizeof *m);
}
