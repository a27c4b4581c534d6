/*
 * fuzz_milter_macros - libFuzzer target: an SMFIC_MACRO packet's data as it
 * arrives from the MTA, cut by mpacket_macro_safe_len() (what the daemon's
 * packet reader does), then decoded and searched the way libmilter's
 * st_macros() and smfi_getsymval() do: one pointer per NUL-ended string
 * plus a final NULL, walked two at a time.  AddressSanitizer reports any
 * read past that array, which is the crash the cut prevents.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "fuzzutil.h"
#include "mpacket.h"

/* The strings of data[1..len) in libmilter's layout; caller frees. */
static char **fuzz_macro_argv(char *data, size_t len)
{
	size_t n = 0, i, k = 0;
	char **argv;

	for (i = 1; i < len; i++)
		if (data[i] == '\0')
			n++;
	argv = calloc(n + 1, sizeof *argv);
	if (argv == NULL)
		abort();
	for (i = 1; i < len && k < n; i++) {
		argv[k++] = &data[i];
		i += strlen(&data[i]);
	}
	return argv;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *copy = malloc(size + 1);
	size_t keep = mpacket_macro_safe_len((const char *)data, size);
	char **argv, **s;

	if (copy == NULL)
		abort();
	if (keep > size)
		abort();	/* never longer than the packet */
	memcpy(copy, data, size);
	copy[size] = '\0';
	argv = fuzz_macro_argv(copy, keep);
	for (s = argv; *s != NULL; s += 2)	/* smfi_getsymval's walk */
		if (strcmp(s[0], "{auth_authen}") == 0 && s[1] != NULL)
			(void)strlen(s[1]);
	free(argv);
	free(copy);
	return 0;
}
