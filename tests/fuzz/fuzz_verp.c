/*
 * fuzz_verp - libFuzzer target: the recipient of a bounce (a VERP address
 * made by this service, or a forgery) through verp_decode, and a recipient
 * and domain through the normalisers.
 *
 * An input starting with 'S' is a payload instead: sealed with the key as
 * policy/feedback/verp.c seals one (purpose "verp", domain example.com), so the
 * payload decoder behind the tag check is reached too.
 */
#include "autoconf.h"

#include <stdlib.h>

#include "fuzzutil.h"
#include "mac.h"
#include "strbuf.h"
#include "verp.h"

static void fuzz_verp_sealed(const uint8_t *data, size_t size)
{
	struct strbuf addr = STRBUF_INIT;
	struct verp_info info;

	mac_seal(fuzz_key(), "verp", "example.com", data, size, VERP_PREFIX, &addr);
	strbuf_appends(&addr, "@example.com");
	if (verp_decode(fuzz_key(), strbuf_cstr(&addr), &info) == VERP_OK)
		(void)verp_rcpt_matches(fuzz_key(), &info, "someone@example.com");
	strbuf_free(&addr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	struct verp_info info;
	struct strbuf norm = STRBUF_INIT;

	if (size > 0 && data[0] == 'S')
		fuzz_verp_sealed(data + 1, size - 1);
	if (verp_decode(fuzz_key(), s, &info) == VERP_OK)
		(void)verp_rcpt_matches(fuzz_key(), &info, "Someone@Example.COM");
	(void)verp_norm_domain(s, &norm);
	strbuf_reset(&norm);
	verp_norm_rcpt(s, &norm);
	strbuf_free(&norm);
	free(s);
	return 0;
}
