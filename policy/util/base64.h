/*
 * base64 - base64 (RFC 4648 section 4): the encoder the API's messages
 * and answers use, and the digits of it and of its URL-safe alphabet
 * (section 5) for the decoders that need their own framing: RFC 2047 B
 * encoded-text (util/rfc2047) and sealed URL tokens (util/mac_seal64).
 */
#ifndef SES_BASE64_H
#define SES_BASE64_H

#include <stdbool.h>
#include <stddef.h>

#include "strbuf.h"

/* Appends data in base64 with '=' padding, on one line, to out. */
void base64_append(struct strbuf *out, const void *data, size_t len);

/*
 * The value (0 to 63) of base64 digit c: '+' and '/' are 62 and 63, or
 * with url '-' and '_'; -1 for any other character, '=' included.
 */
int base64_value(unsigned char c, bool url);

#endif
