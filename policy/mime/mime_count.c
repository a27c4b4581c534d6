/*
 * mime_count - attachment counting with GMime; see mime_count.h.
 *
 * GMime's parser is tolerant: a message with a broken MIME structure still
 * parses (as one part), so a malformed message is counted rather than
 * refused here; size limits bound the work.
 */
#include "autoconf.h"

#include <gmime/gmime.h>
#include <stdbool.h>
#include <string.h>

#include "mime_count.h"
#include "mime_guard.h"

void mime_count_init(void)
{
	static bool done;

	if (!done) {
		g_mime_init();
		done = true;
	}
}

/*
 * The raw value of part's first field name, or NULL.  Raw: GMime's
 * decoded values pass through RFC 2047 and charset conversion, and its
 * parameter getters through RFC 2231 decoding; the raw bytes, already
 * checked by mime_guard, are parsed by mime_param.c instead.
 */
static const char *mime_count_raw(GMimeObject *part, const char *name)
{
	GMimeHeaderList *list = g_mime_object_get_header_list(part);
	GMimeHeader *h = list != NULL ? g_mime_header_list_get_header(list, name) : NULL;

	return h != NULL ? g_mime_header_get_raw_value(h) : NULL;
}

bool mime_count_is_attachment(GMimeObject *part)
{
	struct mime_guard_verdict v;
	struct mime_field f;
	const char *disp, *ct;
	size_t i;

	if (GMIME_IS_MESSAGE_PART(part))
		return true;
	if (!GMIME_IS_PART(part))
		return false;
	disp = mime_count_raw(part, "Content-Disposition");
	if (disp != NULL && mime_field_parse(disp, strlen(disp), false, &f, &v) == MIME_GUARD_OK) {
		if (f.tlen == 10 && g_ascii_strncasecmp(f.type, "attachment", 10) == 0)
			return true;
		for (i = 0; i < f.np; i++)
			if (f.p[i].nlen == 8 && g_ascii_strncasecmp(f.p[i].name, "filename", 8) == 0)
				return true;
	}
	ct = mime_count_raw(part, "Content-Type");
	return ct != NULL && mime_field_has_param(ct, strlen(ct), true, "name");
}

/*
 * Counts attachments under root without recursion: nesting depth is
 * chosen by the sender, so a hostile message must not cost stack.
 */
static unsigned mime_count_tree(GMimeObject *root)
{
	GPtrArray *todo = g_ptr_array_new();
	unsigned n = 0;
	int i, count;

	g_ptr_array_add(todo, root);
	while (todo->len > 0) {
		GMimeObject *part = g_ptr_array_remove_index_fast(todo, todo->len - 1);

		if (!GMIME_IS_MULTIPART(part)) {
			n += mime_count_is_attachment(part) ? 1 : 0;
			continue;
		}
		count = g_mime_multipart_get_count(GMIME_MULTIPART(part));
		for (i = 0; i < count; i++)
			g_ptr_array_add(todo, g_mime_multipart_get_part(GMIME_MULTIPART(part), i));
	}
	g_ptr_array_free(todo, TRUE);
	return n;
}

int mime_parse_open_checked(const char *msg, size_t len, const struct mime_guard_verdict *v,
			    struct mime_parsed *p)
{
	memset(p, 0, sizeof *p);
	if (v == NULL || v->status != MIME_GUARD_OK)
		return -1;
	/*
	 * The stream reads msg where it is: wrapped in a byte array the
	 * stream does not own (a copy of a message of megabytes cost more
	 * than the parse); mime_parse_close takes the wrapper back, never
	 * msg.  The parser only reads it.
	 */
	if (len > 0 && len <= G_MAXUINT) {
		p->array = g_byte_array_new_take((guint8 *)msg, len);
		p->stream = g_mime_stream_mem_new_with_byte_array(p->array);
		if (p->stream != NULL)
			g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(p->stream), FALSE);
	} else {
		p->stream = g_mime_stream_mem_new_with_buffer(msg, len);
	}
	if (p->stream == NULL) {
		mime_parse_close(p);
		return -1;
	}
	p->parser = g_mime_parser_new_with_stream(p->stream);
	p->message = g_mime_parser_construct_message(p->parser, NULL);
	if (p->message != NULL)
		return 0;
	mime_parse_close(p);
	return -1;
}

int mime_parse_open(const char *msg, size_t len, struct mime_parsed *p)
{
	struct mime_guard_verdict v;

	memset(p, 0, sizeof *p);
	if (mime_guard_check(msg, len, &v) != MIME_GUARD_OK)
		return -1;
	return mime_parse_open_checked(msg, len, &v, p);
}

void mime_parse_close(struct mime_parsed *p)
{
	if (p->message != NULL)
		g_object_unref(p->message);
	if (p->parser != NULL)
		g_object_unref(p->parser);
	if (p->stream != NULL)
		g_object_unref(p->stream);
	if (p->array != NULL)
		(void)g_byte_array_free(p->array, FALSE);	/* the wrapper; msg stays */
	memset(p, 0, sizeof *p);
}

unsigned mime_count_parsed(const struct mime_parsed *p)
{
	GMimeObject *body = p->message != NULL ? g_mime_message_get_mime_part(p->message) : NULL;

	return body != NULL ? mime_count_tree(body) : 0;
}

int mime_count_attachments(const char *msg, size_t len, unsigned *count)
{
	struct mime_parsed p;

	if (mime_parse_open(msg, len, &p) != 0)
		return -1;
	*count = mime_count_parsed(&p);
	mime_parse_close(&p);
	return 0;
}
