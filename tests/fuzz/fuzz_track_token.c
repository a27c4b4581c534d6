/*
 * fuzz_track_token - libFuzzer target: a tracking token as it arrives in
 * a /o/ or /c/ request path, through the verifier and the base64url
 * decoder under it.
 *
 * An input starting with 'S' is a payload instead: sealed with the key as
 * policy/feedback/track_token.c seals one (purpose "track", key id of the
 * fuzz key in byte 1), so the payload parser behind the tag is reached.
 */
#include "autoconf.h"

#include <stdlib.h>

#include "fuzzutil.h"
#include "mac.h"
#include "strbuf.h"
#include "track_token.h"

static void fuzz_track_sealed(const uint8_t *data, size_t size)
{
	const struct mac_key *keys[] = { fuzz_key() };
	struct strbuf pl = STRBUF_INIT, token = STRBUF_INIT;
	struct track_info info;

	strbuf_append(&pl, data, size);
	if (pl.len >= 2)
		pl.data[1] = (char)mac_key_id(fuzz_key());
	mac_seal64(fuzz_key(), "track", pl.data, pl.len, &token);
	(void)track_verify(keys, 1, token.data, token.len, &info);
	strbuf_free(&pl);
	strbuf_free(&token);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct mac_key *keys[] = { fuzz_key() };
	struct strbuf raw = STRBUF_INIT;
	struct track_info info;

	if (size > 0 && data[0] == 'S')
		fuzz_track_sealed(data + 1, size - 1);
	(void)track_verify(keys, 1, (const char *)data, size, &info);
	(void)mac_base64url_decode((const char *)data, size, &raw);
	strbuf_free(&raw);
	return 0;
}
