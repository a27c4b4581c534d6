/*
 * fuzzutil - what the libFuzzer targets of tests/fuzz share: NUL-terminated
 * copies of the input, splitting it into fields, a scratch file, a fixed key.
 */
#ifndef SES_FUZZUTIL_H
#define SES_FUZZUTIL_H

#include <stddef.h>
#include <stdint.h>

#include "mac.h"

/* The entry point libFuzzer calls; each target defines it. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A malloc'ed NUL-terminated copy of data[0..size) (it may hold NULs). */
char *fuzz_cstr(const uint8_t *data, size_t size);

/*
 * Splits data at NUL bytes into at most n malloc'ed strings (the last one
 * takes the rest, NULs and all); fields that are not there are NULL.
 * Free with fuzz_fields_free.
 */
void fuzz_fields(const uint8_t *data, size_t size, char **out, size_t n);
void fuzz_fields_free(char **v, size_t n);

/*
 * Writes data to this process's scratch file named after what (under
 * $TMPDIR or /tmp) and returns its path (static storage), or NULL.
 */
const char *fuzz_write_file(const char *what, const uint8_t *data, size_t size);

/* The key the VERP and unsubscribe targets seal and open with. */
const struct mac_key *fuzz_key(void);

#endif
