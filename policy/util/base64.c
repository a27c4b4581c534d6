/*
 * base64 - base64 encoding and digit values; see base64.h.
 *
 * Diagnostics: none.
 */
#include "autoconf.h"

#include <openssl/evp.h>

#include "base64.h"

void base64_append(struct strbuf *out, const void *data, size_t len)
{
	size_t enc = 4 * ((len + 2) / 3);

	strbuf_reserve(out, enc);	/* and the NUL EVP_EncodeBlock ends with */
	EVP_EncodeBlock((unsigned char *)out->data + out->len, data, (int)len);
	out->len += enc;
}

int base64_value(unsigned char c, bool url)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == (url ? '-' : '+'))
		return 62;
	if (c == (url ? '_' : '/'))
		return 63;
	return -1;
}
