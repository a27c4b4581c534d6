/*
 * rfc2047 - strict decoding of header text (RFC 2047 encoded-words) to UTF-8.
 *
 * Unlike a display-oriented decoder, this one reports problems instead of
 * repairing them, because the policy must refuse a Subject that is not
 * valid UTF-8 after decoding rather than guess a charset.  Charsets are
 * converted with iconv(3).
 *
 * Rules:
 *  - Raw (unencoded) 8-bit bytes must be valid UTF-8 (RFC 6532).
 *  - An encoded-word =?charset[*lang]?B|Q?text?= is decoded when it is
 *    well-formed (RFC 2047 section 2, at most 75 characters is NOT enforced:
 *    real mail breaks it); a malformed one is kept literally, as RFC 2047
 *    section 6.3 says.
 *  - Linear white space between two adjacent encoded-words is dropped.
 *  - An unknown charset, base64 that does not decode, or bytes invalid in
 *    the declared charset are errors.
 *  - The decoded text must be valid UTF-8 without NUL.
 *  - Adjacent encoded-words in the same charset are joined before
 *    conversion, so a character split between them decodes.
 *  - Conversion is strict: no //TRANSLIT, no //IGNORE, no fallback charset.
 */
#ifndef SES_RFC2047_H
#define SES_RFC2047_H

#include <stdbool.h>
#include <stddef.h>

#include "strbuf.h"

enum rfc2047_status {
	RFC2047_OK = 0,
	RFC2047_BAD_RAW_UTF8,	/* unencoded 8-bit bytes that are not UTF-8 */
	RFC2047_BAD_CHARSET,	/* encoded-word names a charset iconv lacks */
	RFC2047_BAD_ENCODING,	/* B or Q payload that does not decode */
	RFC2047_BAD_DECODED,	/* decoded bytes invalid in their charset */
	RFC2047_HAS_NUL,	/* a NUL byte, raw or decoded */
	RFC2047_INTERNAL,	/* iconv could not start (memory, descriptors) */
};

/*
 * Decodes len bytes of unfolded header text into out (appended, UTF-8).
 * Returns RFC2047_OK or the first problem found; out is then incomplete.
 */
enum rfc2047_status rfc2047_decode(const char *in, size_t len, struct strbuf *out);

/* A short English phrase completing "Subject ...": "is not valid UTF-8". */
const char *rfc2047_status_text(enum rfc2047_status status);

/* True when s[0..len) is well-formed UTF-8 (no overlongs, no surrogates). */
bool utf8_valid(const char *s, size_t len);

/* Number of code points in valid UTF-8 s[0..len). */
size_t utf8_chars(const char *s, size_t len);

/* Appends header value with folding (CRLF or LF before WSP) removed. */
void rfc2047_unfold(const char *in, size_t len, struct strbuf *out);

#endif
