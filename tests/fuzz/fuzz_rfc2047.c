/*
 * fuzz_rfc2047 - libFuzzer target: a header value (Subject of a customer's
 * message) through unfolding, RFC 2047 decoding and the UTF-8 checks.
 */
#include "autoconf.h"

#include "fuzzutil.h"
#include "rfc2047.h"
#include "strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strbuf unfolded = STRBUF_INIT, out = STRBUF_INIT;

	rfc2047_unfold((const char *)data, size, &unfolded);
	if (rfc2047_decode(strbuf_cstr(&unfolded), unfolded.len, &out) == RFC2047_OK)
		(void)utf8_chars(strbuf_cstr(&out), out.len);
	strbuf_reset(&out);
	(void)rfc2047_decode((const char *)data, size, &out);
	if (utf8_valid((const char *)data, size))
		(void)utf8_chars((const char *)data, size);
	strbuf_free(&unfolded);
	strbuf_free(&out);
	return 0;
}
