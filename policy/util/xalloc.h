/*
 * xalloc - allocation that cannot fail, and the one place that decides what
 * running out of memory does.
 *
 * A mail filter that cannot allocate a few bytes cannot give a meaningful
 * reply either, so ses-milter and sesctl do not carry a failure path for
 * every allocation: these functions log one line to stderr naming the size
 * asked for and abort().  Allocations whose failure is reported to the
 * caller keep using malloc and friends; libraries' own allocators (GMime,
 * jansson, libmemcached, OpenSSL) are not routed here.
 */
#ifndef SES_XALLOC_H
#define SES_XALLOC_H

#include <stddef.h>

/* Logs "ses-milter: out of memory (N bytes)" to stderr and aborts. */
void xalloc_die(size_t size) __attribute__((noreturn));

/* malloc(size), never NULL (size 0 allocates one byte).  Caller frees. */
void *xmalloc(size_t size);
/* calloc(n, size), never NULL; aborts on an n * size overflow too. */
void *xcalloc(size_t n, size_t size);
/* realloc(p, size), never NULL; p is untouched only if this returns. */
void *xrealloc(void *p, size_t size);
/* strdup(s), never NULL.  Caller frees. */
char *xstrdup(const char *s);
/* strndup(s, n), never NULL.  Caller frees. */
char *xstrndup(const char *s, size_t n);

#endif
