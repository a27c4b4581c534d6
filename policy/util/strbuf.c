/*
 * strbuf - growable byte buffer; see strbuf.h.
 *
 * Diagnostics: none; an allocation failure aborts through xalloc_die().
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "xalloc.h"

void strbuf_init(struct strbuf *sb)
{
	sb->data = NULL;
	sb->len = 0;
	sb->cap = 0;
}

void strbuf_free(struct strbuf *sb)
{
	if (sb == NULL)
		return;
	free(sb->data);
	strbuf_init(sb);
}

void strbuf_reset(struct strbuf *sb)
{
	sb->len = 0;
	if (sb->data != NULL)
		sb->data[0] = '\0';
}

/* Makes room for extra more bytes plus the terminator. */
void strbuf_reserve(struct strbuf *sb, size_t extra)
{
	size_t need, cap;

	if (extra > ((size_t)-1) / 2 - sb->len)
		xalloc_die((size_t)-1);
	need = sb->len + extra + 1;
	if (need <= sb->cap)
		return;
	cap = sb->cap ? sb->cap : 64;
	while (cap < need)
		cap *= 2;
	sb->data = xrealloc(sb->data, cap);
	sb->cap = cap;
	sb->data[sb->len] = '\0';	/* a new buffer reads as "" too */
}

void strbuf_append(struct strbuf *sb, const void *data, size_t len)
{
	strbuf_reserve(sb, len);
	if (len > 0)
		memcpy(sb->data + sb->len, data, len);
	sb->len += len;
	sb->data[sb->len] = '\0';
}

void strbuf_appends(struct strbuf *sb, const char *s)
{
	strbuf_append(sb, s, strlen(s));
}

void strbuf_appendc(struct strbuf *sb, char c)
{
	/* byte-at-a-time writers (MIME, HTML, canonicalisation) skip the reserve */
	if (sb->len + 1 < sb->cap) {
		sb->data[sb->len++] = c;
		sb->data[sb->len] = '\0';
		return;
	}
	strbuf_append(sb, &c, 1);
}

void strbuf_vappendf(struct strbuf *sb, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	strbuf_reserve(sb, 64);
	va_copy(cp, ap);
	n = vsnprintf(sb->data + sb->len, sb->cap - sb->len, fmt, cp);
	va_end(cp);
	if (n < 0)
		return;
	if ((size_t)n >= sb->cap - sb->len) {
		strbuf_reserve(sb, (size_t)n);
		n = vsnprintf(sb->data + sb->len, sb->cap - sb->len, fmt, ap);
		if (n < 0)
			return;
	}
	sb->len += (size_t)n;
}

void strbuf_appendf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	strbuf_vappendf(sb, fmt, ap);
	va_end(ap);
}

const char *strbuf_cstr(const struct strbuf *sb)
{
	return sb->data != NULL ? sb->data : "";
}

char *strbuf_detach(struct strbuf *sb)
{
	char *p = sb->data;

	if (p == NULL)
		p = xstrdup("");
	strbuf_init(sb);
	return p;
}
