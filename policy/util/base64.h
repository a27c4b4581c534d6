/*
 * base64 - the digits of base64 (RFC 4648 section 4) and of its URL-safe
 * alphabet (section 5), for the decoders that need their own framing:
 * RFC 2047 B encoded-text (util/rfc2047) and sealed URL tokens
 * (util/mac_seal64).
 */
#ifndef SES_BASE64_H
#define SES_BASE64_H

#include <stdbool.h>

/*
 * The value (0 to 63) of base64 digit c: '+' and '/' are 62 and 63, or
 * with url '-' and '_'; -1 for any other character, '=' included.
 */
int base64_value(unsigned char c, bool url);

#endif
