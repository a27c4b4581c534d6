/*
 * xalloc - allocation that aborts on exhaustion; see xalloc.h.
 *
 * Diagnostics: "ses-milter: out of memory (N bytes)" on stderr, then
 * abort(), which leaves a core for the post-mortem.
 */
#include "autoconf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

void xalloc_die(size_t size)
{
	fprintf(stderr, "ses-milter: out of memory (%zu bytes)\n", size);
	abort();
}

void *xmalloc(size_t size)
{
	void *p = malloc(size != 0 ? size : 1);

	if (p == NULL)
		xalloc_die(size);
	return p;
}

void *xcalloc(size_t n, size_t size)
{
	void *p;

	if (size != 0 && n > SIZE_MAX / size)
		xalloc_die(SIZE_MAX);
	p = calloc(n != 0 ? n : 1, size != 0 ? size : 1);
	if (p == NULL)
		xalloc_die(n * size);
	return p;
}

void *xrealloc(void *p, size_t size)
{
	void *q = realloc(p, size != 0 ? size : 1);

	if (q == NULL)
		xalloc_die(size);
	return q;
}

char *xstrdup(const char *s)
{
	size_t len = strlen(s) + 1;

	return memcpy(xmalloc(len), s, len);
}

char *xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);

	if (p == NULL)
		xalloc_die(n + 1);
	return p;
}
