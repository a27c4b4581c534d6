/*
 * mime_count - counts the attachments of a whole message with GMime.
 *
 * An attachment is a leaf MIME part with Content-Disposition "attachment",
 * or one that carries a file name (disposition filename= or Content-Type
 * name=), or an embedded message/rfc822 part (counted once, not descended
 * into).  Inline text and HTML bodies are not attachments.  GMime must be
 * initialised once by the process (mime_count_init) before threads start.
 */
#ifndef SES_MIME_COUNT_H
#define SES_MIME_COUNT_H

#include <stdbool.h>
#include <stddef.h>

/* Initialises GMime once; safe to call more than once from one thread. */
void mime_count_init(void);

struct _GMimeObject;

/* True when a GMime part is one the sender attached (the rule above). */
bool mime_count_is_attachment(struct _GMimeObject *part);

/* Counts attachments in msg[0..len) (headers and body).  0 or -1. */
int mime_count_attachments(const char *msg, size_t len, unsigned *count);

#endif
