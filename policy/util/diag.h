/*
 * diag - a list of "file:line: message" diagnostics.
 *
 * Loaders (config, account data) report every problem they find instead of
 * stopping at the first, so `ses-milter -n` can show an operator all of them.
 */
#ifndef SES_DIAG_H
#define SES_DIAG_H

#include <stddef.h>

struct diag_list {
	char **msgs;
	size_t n;
};

#define DIAG_LIST_INIT { NULL, 0 }

/* Adds "file:line: message" (line 0 omits the line number). */
void diag_add(struct diag_list *dl, const char *file, unsigned line,
	      const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void diag_free(struct diag_list *dl);

#endif
