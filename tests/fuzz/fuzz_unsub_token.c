/*
 * fuzz_unsub_token - libFuzzer target: an unsubscribe token as it comes
 * back, in a mailto address or in the one-click URL, through the verifiers
 * and the base32 decoder under them.
 *
 * An input starting with 'S' is a payload instead: sealed with the key as
 * policy/feedback/unsub_token.c seals one (purpose "unsub"), so the payload decoder
 * behind the tag check is reached too.
 */
#include "autoconf.h"

#include <stdlib.h>

#include "fuzzutil.h"
#include "mac.h"
#include "strbuf.h"
#include "unsub_token.h"

static void fuzz_unsub_sealed(const uint8_t *data, size_t size)
{
	struct strbuf token = STRBUF_INIT;
	struct unsub_info info;

	mac_seal(fuzz_key(), "unsub", "", data, size, UNSUB_PREFIX, &token);
	if (unsub_url_verify(fuzz_key(), strbuf_cstr(&token), &info) == UNSUB_OK) {
		(void)unsub_rcpt_matches(fuzz_key(), &info, "someone@example.com");
		unsub_info_free(&info);
	}
	strbuf_free(&token);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	struct unsub_info info;
	struct strbuf raw = STRBUF_INIT;

	if (size > 0 && data[0] == 'S')
		fuzz_unsub_sealed(data + 1, size - 1);
	if (unsub_mailto_verify(fuzz_key(), s, &info) == UNSUB_OK) {
		(void)unsub_rcpt_matches(fuzz_key(), &info, "someone@example.com");
		unsub_info_free(&info);
	}
	if (unsub_url_verify(fuzz_key(), s, &info) == UNSUB_OK) {
		(void)unsub_rcpt_matches(fuzz_key(), &info, "someone@example.com");
		unsub_info_free(&info);
	}
	(void)mac_base32_decode(s, size, &raw);
	strbuf_free(&raw);
	free(s);
	return 0;
}
