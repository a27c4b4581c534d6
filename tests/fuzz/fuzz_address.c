/*
 * fuzz_address - libFuzzer target: an envelope address (MAIL FROM, RCPT TO)
 * through address_split and address_normalize, and a From header value
 * through the parser DMARC takes the author domain with.
 */
#include "autoconf.h"

#include <stdlib.h>

#include "address.h"
#include "dmarc_align.h"
#include "fuzzutil.h"
#include "strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	struct strbuf local = STRBUF_INIT, domain = STRBUF_INIT, norm = STRBUF_INIT;
	const char *why = NULL;

	(void)address_split(s, &local, &domain);
	address_normalize(s, &norm);
	strbuf_reset(&domain);
	(void)dmarc_from_domain(s, &domain, &why);
	strbuf_free(&local);
	strbuf_free(&domain);
	strbuf_free(&norm);
	free(s);
	return 0;
}
