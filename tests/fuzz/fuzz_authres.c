/*
 * fuzz_authres - libFuzzer target: an Authentication-Results field of an
 * inbound message through authres_claims_id (is it forged in our name?),
 * and values a client chose (envelope sender, HELO, a header's d=) through
 * the Authentication-Results writer.
 *
 * Input: HEADER-VALUE NUL RESULT NUL PROPERTY-VALUE NUL COMMENT.
 */
#include "autoconf.h"

#include <stddef.h>

#include "authres.h"
#include "fuzzutil.h"
#include "strbuf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *f[4];
	struct authres ar;
	struct strbuf out = STRBUF_INIT;

	fuzz_fields(data, size, f, 4);
	(void)authres_claims_id(f[0], "mx.example.test");
	(void)authres_claims_id(f[0], "\"mx example\"");
	if (f[1] != NULL && authres_init(&ar, f[0]) == 0) {
		(void)authres_add(&ar, "spf", f[1], f[3], "smtp.mailfrom",
				  f[2] != NULL ? f[2] : "", (const char *)NULL);
		(void)authres_add(&ar, "dkim", "pass", NULL, "header.d", f[1],
				  "header.s", f[0], (const char *)NULL);
		if (f[3] != NULL)
			(void)authres_comment(&ar, f[3]);
		authres_format(&ar, &out);
		authres_free(&ar);
	}
	strbuf_free(&out);
	fuzz_fields_free(f, 4);
	return 0;
}
