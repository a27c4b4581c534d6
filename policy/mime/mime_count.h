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

/*
 * A whole message parsed by GMime, only after mime_guard accepted it:
 * GMime never sees what the guard refuses.  mime_parse_open() fills p and
 * returns 0 (p->message set), or -1 with nothing to close.
 */
struct mime_parsed {
	struct _GByteArray *array;	/* msg itself, lent to the stream (not copied) */
	struct _GMimeStream *stream;
	struct _GMimeParser *parser;
	struct _GMimeMessage *message;
};
int mime_parse_open(const char *msg, size_t len, struct mime_parsed *p);
/*
 * mime_parse_open() for a caller that has just run mime_guard_check() on
 * msg[0..len) itself, v its verdict: the parse alone (the guard is not
 * run twice); -1 unless v says MIME_GUARD_OK.
 */
struct mime_guard_verdict;
int mime_parse_open_checked(const char *msg, size_t len, const struct mime_guard_verdict *v,
			    struct mime_parsed *p);
void mime_parse_close(struct mime_parsed *p);

/* The attachments of a parsed message (the rule above). */
unsigned mime_count_parsed(const struct mime_parsed *p);

/* Counts attachments in msg[0..len) (headers and body).  0 or -1. */
int mime_count_attachments(const char *msg, size_t len, unsigned *count);

#endif
