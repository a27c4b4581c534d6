/*
 * mime_rewrite - rewrites the HTML parts of a message from outside in
 * place (open and click tracking of custom content, SPEC section 7).
 *
 * The parts rewritten are the text/html leaves of the message: the body
 * itself, or inside multiparts (alternative, mixed, related...), never an
 * attachment (mime_count's rule) nor anything inside a message/rfc822.
 * Each is decoded (quoted-printable, base64; 7bit, 8bit and binary as
 * they are), handed to the caller's function as bytes in its own charset,
 * and encoded again with its own transfer encoding, except that a 7bit
 * or 8bit part whose lines would pass 998 octets becomes
 * quoted-printable.  Left as they are: parts in a charset that is not
 * ASCII-compatible (UTF-16, UTF-32, UTF-7, ISO-2022-*...), starting with
 * a UTF-16 byte order mark or holding a NUL byte, in another transfer
 * encoding, or that the function leaves alone.  Every other byte of the
 * message is kept.
 */
#ifndef SES_MIME_REWRITE_H
#define SES_MIME_REWRITE_H

#include <stddef.h>

#include "mime_count.h"
#include "strbuf.h"

/*
 * Appends to out the rewritten html[0..len) (NUL-terminated); 0, or -1 to
 * leave the part as it is.
 */
typedef int (*mime_rewrite_fn)(void *arg, const char *html, size_t len, struct strbuf *out);

struct mime_rewritten {
	struct strbuf body;	/* the new body (what follows the header block) */
	const char *top_cte;	/* the message's new Content-Transfer-Encoding, or NULL */
	unsigned parts;		/* HTML parts rewritten */
	unsigned left;		/* HTML parts left as they are */
};

/*
 * Rewrites the HTML parts of msg[0..len) (headers and body, parsed as p;
 * the body starts at body_off) with fn.  Returns the number of parts
 * rewritten (out->body then holds the new body), 0 when there is nothing
 * to change, -1 when the parse does not match msg.  Free out with
 * mime_rewritten_free in every case.
 */
int mime_rewrite_html(const struct mime_parsed *p, const char *msg, size_t len, size_t body_off,
		      mime_rewrite_fn fn, void *arg, struct mime_rewritten *out);
void mime_rewritten_free(struct mime_rewritten *out);

#endif
