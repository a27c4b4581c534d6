/*
 * mime_build - the MIME body of a rendered template (SPEC section 4).
 *
 * Builds what replaces the client's message body: the text and/or HTML
 * part (both: multipart/alternative), UTF-8, quoted-printable for text
 * that is mostly ASCII and base64 otherwise, lines within RFC 5322's 78
 * characters; when the client's message carried attachments, a
 * multipart/mixed around the alternative part and each attachment part
 * copied as the client sent it.  Boundaries are random and checked not to
 * occur in any part, so no value can end a part early.
 */
#ifndef SES_MIME_BUILD_H
#define SES_MIME_BUILD_H

#include <stdbool.h>
#include <stddef.h>

#include "strbuf.h"

struct mime_built {
	struct strbuf content_type;	/* value of the top Content-Type header */
	struct strbuf transfer_encoding; /* value of Content-Transfer-Encoding, or "" */
	struct strbuf body;		/* the new body, CRLF line ends */
	unsigned attachments;		/* attachment parts carried over */
};

/*
 * Builds the body from text and html (either may be NULL or "", not both)
 * and the attachments of the original message orig[0..orig_len) (headers
 * and body as received; may be NULL).  0, or -1 when the original cannot
 * be parsed, when text and html are both empty, or when no random boundary
 * can be drawn (out is then empty).  Free out with mime_built_free.
 */
int mime_build(const char *text, const char *html, const char *orig, size_t orig_len,
	       struct mime_built *out);
/*
 * mime_build() with the original already parsed (mime_count.h), so a
 * caller that counted its attachments does not parse it again; parsed
 * must be of orig[0..orig_len) and stays the caller's.
 */
struct mime_parsed;
int mime_build_parsed(const char *text, const char *html, const struct mime_parsed *parsed,
		      const char *orig, size_t orig_len, struct mime_built *out);
void mime_built_free(struct mime_built *out);

/* Appends NUL-terminated src with every line break (CRLF, CR, LF) made LF. */
void mime_build_to_lf(const char *src, struct strbuf *out);
/*
 * Appends s[0..len) (LF line ends, no CR) encoded as base64 or, when
 * base64 is false, quoted-printable (lines within 76 characters, a final
 * soft line break when s does not end in LF), with CRLF line ends.
 */
void mime_encode_lf(const char *s, size_t len, bool base64, struct strbuf *out);

#endif
