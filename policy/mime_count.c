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

#include "mime_count.h"

void mime_count_init(void)
{
	static bool done;

	if (!done) {
		g_mime_init();
		done = true;
	}
}

bool mime_count_is_attachment(GMimeObject *part)
{
	GMimeContentDisposition *disp;
	GMimeContentType *ct;

	if (GMIME_IS_MESSAGE_PART(part))
		return true;
	if (!GMIME_IS_PART(part))
		return false;
	disp = g_mime_object_get_content_disposition(part);
	if (disp != NULL && g_mime_content_disposition_is_attachment(disp))
		return true;
	if (disp != NULL && g_mime_content_disposition_get_parameter(disp, "filename") != NULL)
		return true;
	ct = g_mime_object_get_content_type(part);
	return ct != NULL && g_mime_content_type_get_parameter(ct, "name") != NULL;
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

int mime_count_attachments(const char *msg, size_t len, unsigned *count)
{
	GMimeStream *stream;
	GMimeParser *parser;
	GMimeMessage *message;
	GMimeObject *body;

	stream = g_mime_stream_mem_new_with_buffer(msg, len);
	if (stream == NULL)
		return -1;
	parser = g_mime_parser_new_with_stream(stream);
	message = g_mime_parser_construct_message(parser, NULL);
	g_object_unref(parser);
	g_object_unref(stream);
	if (message == NULL)
		return -1;
	body = g_mime_message_get_mime_part(message);
	*count = body != NULL ? mime_count_tree(body) : 0;
	g_object_unref(message);
	return 0;
}
