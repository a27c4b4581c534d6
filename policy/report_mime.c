/*
 * report_mime - finding a report's parts with GMime; see report.h.
 *
 * Only two levels are looked at (the top and its direct children), and a
 * multipart's children only up to REPORT_CHILDREN_MAX, so a hostile
 * structure costs GMime's parse (linear, and GMime bounds nesting itself)
 * plus a constant.  A returned message is not descended into: a bounce
 * forwarded inside another message is not a report.
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

/* True when obj is a multipart/report with a part of a wanted type. */
static bool report_is_container(GMimeObject *obj, const char *const *types, int *idx)
{
	static const char *const report[] = { "multipart/report", NULL };

	if (!GMIME_IS_MULTIPART(obj) || !report_type_in(obj, report))
		return false;
	*idx = report_child_of_type(GMIME_MULTIPART(obj), types, true);
	return *idx >= 0;
}

/* The report container at the top or just below it, or NULL. */
static GMimeMultipart *report_container(GMimeObject *top, const char *const *types, int *idx)
{
	int i, n;

	if (report_is_container(top, types, idx))
		return GMIME_MULTIPART(top);
	if (!GMIME_IS_MULTIPART(top))
		return NULL;
	n = g_mime_multipart_get_count(GMIME_MULTIPART(top));
	for (i = 0; i < n && i < REPORT_CHILDREN_MAX; i++) {
		GMimeObject *c = g_mime_multipart_get_part(GMIME_MULTIPART(top), i);

		if (report_is_container(c, types, idx))
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

bool report_find(const char *msg, size_t len, const char *const *part_types,
		 struct report_msg *out)
{
	GMimeMessage *message;
	GMimeMultipart *mp;
	GMimeObject *top;
	int idx = -1;

	report_msg_init(out);
	if (len > REPORT_SCAN_MAX) {
		len = REPORT_SCAN_MAX;
		out->input_truncated = true;
	}
	message = report_parse(msg, len);
	if (message == NULL)
		return false;
	top = g_mime_message_get_mime_part(message);
	mp = top != NULL ? report_container(top, part_types, &idx) : NULL;
	if (mp != NULL)
		report_fill(mp, idx, out);
	g_object_unref(message);
	return mp != NULL;
}

void report_msg_free(struct report_msg *m)
{
	if (m == NULL)
		return;
	free(m->report_type);
	free(m->part_type);
	strbuf_free(&m->part);
	report_orig_free(&m->orig);
	memset(m, 0, sizeof *m);
}
