/*
 * strbuf - a length-tracked, growable byte buffer.
 *
 * Holds message data, which may contain NUL bytes; the buffer is always
 * NUL-terminated after the last byte so text users can read data directly.
 * Allocation failure aborts the process (see xalloc.h): a mail filter that
 * cannot allocate a few bytes cannot give a meaningful reply either.
 *
 * Folder policy/util/ (its main header is this one): the small tools every
 * other folder uses and that know nothing of mail policy: strbuf, xalloc
 * (allocation that cannot fail), durable (crash-safe file writes), diag
 * (load diagnostics), plog (the logger the library is handed), address,
 * netmask, rfc2047, punycode, dns (a resolver of our own) and mac (keyed
 * tokens).  util/ includes no other folder of policy/ (the arrows are
 * kept by tests/arch/check-layers).
 */
#ifndef SES_STRBUF_H
#define SES_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

struct strbuf {
	char *data;	/* NUL-terminated; NULL until the first append */
	size_t len;	/* bytes in use, excluding the terminator */
	size_t cap;	/* bytes allocated */
};

#define STRBUF_INIT { NULL, 0, 0 }

void strbuf_init(struct strbuf *sb);
void strbuf_free(struct strbuf *sb);
void strbuf_reset(struct strbuf *sb);
void strbuf_reserve(struct strbuf *sb, size_t extra);
void strbuf_append(struct strbuf *sb, const void *data, size_t len);
void strbuf_appends(struct strbuf *sb, const char *s);
void strbuf_appendc(struct strbuf *sb, char c);
void strbuf_appendf(struct strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void strbuf_vappendf(struct strbuf *sb, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));
/* Never NULL: "" for an empty buffer. */
const char *strbuf_cstr(const struct strbuf *sb);
/* Hands the data to the caller (caller frees) and empties the buffer. */
char *strbuf_detach(struct strbuf *sb);

#endif
