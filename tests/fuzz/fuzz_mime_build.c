/*
 * fuzz_mime_build - libFuzzer target: a customer's templated message (its
 * headers, Content-Type and all, and its attachments) through the attachment
 * counter and the builder of the rendered body.
 *
 * Input: TEXT NUL HTML NUL MESSAGE.
 *
 * Property: a message the guard calls one plain part (the end of message
 * then skips the parse) has no attachment by GMime's count either.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "fuzzutil.h"
#include "mime_build.h"
#include "mime_count.h"
#include "mime_guard.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	mime_count_init();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *f[3];
	struct mime_built out;
	unsigned count;
	size_t orig_len = 0;

	fuzz_fields(data, size, f, 3);
	if (f[2] != NULL) {
		/* the message may hold NULs: its length is what is left */
		orig_len = size - (size_t)(strlen(f[0]) + 1 + strlen(f[1]) + 1);
		struct mime_guard_verdict v;

		if (mime_count_attachments(f[2], orig_len, &count) == 0 &&
		    mime_guard_check(f[2], orig_len, &v) == MIME_GUARD_OK && v.single && count != 0)
			abort();	/* the guard's claim would lose attachments */
	}
	if (mime_build(f[0], f[1], f[2], orig_len, &out) == 0)
		(void)count;
	mime_built_free(&out);
	fuzz_fields_free(f, 3);
	return 0;
}
