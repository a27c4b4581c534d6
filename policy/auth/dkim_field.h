/*
 * dkim_field - header fields on their way to libopendkim, for
 * dkim_verify.c: telling a DKIM-Signature field as libopendkim does,
 * writing "name:value" with CRLF line ends, and checking a
 * DKIM-Signature tag-list for what libopendkim 2.11 does not check, or
 * cannot be shown safely (see dkim_field.c); and checking a key record's
 * type against the signature's algorithm.
 *
 * Diagnostics: dkim_field_check_signature appends why a field is
 * refused to a strbuf ("a field of N bytes, over 32768", "tag d=
 * repeated", "bad quoted-printable in i=").
 */
#ifndef SES_DKIM_FIELD_H
#define SES_DKIM_FIELD_H

#include <stdbool.h>
#include <stddef.h>

#include "strbuf.h"

/* The longest DKIM-Signature field ("name: value") handed to libopendkim. */
#define DKIM_FIELD_SIGNATURE_MAX 32768

enum dkim_field_verdict {
	DKIM_FIELD_OK,	   /* nothing found */
	DKIM_FIELD_BAD,	   /* a syntax error libopendkim may still parse */
	DKIM_FIELD_UNSAFE, /* a syntax error that must not reach libopendkim */
};

/*
 * True when libopendkim will take a field called name as a signature:
 * the name up to a colon, without trailing spaces, is DKIM-Signature in
 * any case, and has only the bytes libopendkim accepts in a name.
 */
bool dkim_field_is_signature(const char *name);

/*
 * Sets line to "name:" and value exactly as given (its leading blanks
 * are part of it), every LF of value made CRLF and no line end at the end.
 */
void dkim_field_line(struct strbuf *line, const char *name, const char *value);

/*
 * Checks the tag-list value of a DKIM-Signature field whose whole line
 * is line_len bytes long; appends why to why unless DKIM_FIELD_OK.
 */
enum dkim_field_verdict dkim_field_check_signature(const char *value, size_t line_len,
						   struct strbuf *why);

/*
 * Checks that a key record's k= (RFC 6376 section 3.6.1: "rsa" when
 * absent) is the key type of the signature algorithm (a=, lower case):
 * "rsa" for rsa-*, "ed25519" for ed25519-* (RFC 8463).  DKIM_FIELD_OK,
 * also for an algorithm or key type libopendkim refuses on its own;
 * DKIM_FIELD_BAD with why ("k=rsa key for an ed25519-sha256 signature")
 * otherwise.
 */
enum dkim_field_verdict dkim_field_check_key(const char *record, const char *algorithm,
					     struct strbuf *why);

#endif
