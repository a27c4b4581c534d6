/*
 * fuzz_dkim_field - libFuzzer target: a DKIM-Signature field of an inbound
 * message through the tag-list check that runs before libopendkim sees it,
 * and the "name: value" line writer.
 *
 * Input: NAME NUL VALUE (without a NUL: the value of a DKIM-Signature).
 */
#include "autoconf.h"

#include <string.h>

#include "dkim_field.h"
#include "fuzzutil.h"
#include "strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *f[2];
	const char *name, *value;
	struct strbuf line = STRBUF_INIT, why = STRBUF_INIT;

	fuzz_fields(data, size, f, 2);
	name = f[1] != NULL ? f[0] : "DKIM-Signature";
	value = f[1] != NULL ? f[1] : f[0];
	(void)dkim_field_is_signature(name);
	dkim_field_line(&line, name, value);
	(void)dkim_field_check_signature(value, line.len, &why);
	strbuf_free(&line);
	strbuf_free(&why);
	fuzz_fields_free(f, 2);
	return 0;
}
