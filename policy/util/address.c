/*
 * address - envelope address splitting; see address.h.
 */
#include "autoconf.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>

#include "address.h"

/* Strips the angle brackets and a source route; returns the mailbox span. */
static enum address_status address_unwrap(const char *addr, const char **start,
					  size_t *len)
{
	size_t n = strlen(addr);
	const char *p = addr, *colon;

	while (n > 0 && isspace((unsigned char)*p)) {
		p++;
		n--;
	}
	while (n > 0 && isspace((unsigned char)p[n - 1]))
		n--;
	if (n > 0 && p[0] == '<') {
		if (n < 2 || p[n - 1] != '>')
			return ADDRESS_BAD;
		p++;
		n -= 2;
		while (n > 0 && isspace((unsigned char)*p)) {
			p++;
			n--;
		}
		while (n > 0 && isspace((unsigned char)p[n - 1]))
			n--;
	}
	if (n == 0)
		return ADDRESS_NULL;
	if (p[0] == '<' || p[n - 1] == '>')	/* unbalanced or doubled brackets */
		return ADDRESS_BAD;
	if (p[0] == '@') {	/* source route: @a,@b:mailbox */
		colon = memchr(p, ':', n);
		if (colon == NULL)
			return ADDRESS_BAD;
		n -= (size_t)(colon + 1 - p);
		p = colon + 1;
		if (n == 0)
			return ADDRESS_BAD;
	}
	*start = p;
	*len = n;
	return ADDRESS_OK;
}

enum address_status address_split(const char *addr, struct strbuf *local,
				  struct strbuf *domain)
{
	const char *p, *at = NULL;
	size_t n, i, dlen;
	bool quoted = false;
	enum address_status st;

	st = address_unwrap(addr, &p, &n);
	if (st != ADDRESS_OK)
		return st;
	for (i = 0; i < n; i++) {
		if (p[i] == '\\' && quoted && i + 1 < n)
			i++;
		else if (p[i] == '"')
			quoted = !quoted;
		else if (p[i] == '@' && !quoted)
			at = p + i;	/* the last unquoted '@' */
	}
	if (quoted)
		return ADDRESS_BAD;
	if (at == NULL)
		return ADDRESS_NO_DOMAIN;
	dlen = n - (size_t)(at + 1 - p);
	if (at == p || dlen == 0)
		return ADDRESS_BAD;
	if (at[dlen] == '.')	/* absolute name: drop the dot */
		dlen--;
	if (dlen == 0)
		return ADDRESS_BAD;
	strbuf_append(local, p, (size_t)(at - p));
	for (i = 1; i <= dlen; i++)
		strbuf_appendc(domain, (char)tolower((unsigned char)at[i]));
	return ADDRESS_OK;
}

void address_normalize(const char *addr, struct strbuf *out)
{
	const char *p = addr, *end = addr + strlen(addr);

	while (p < end && isspace((unsigned char)*p))
		p++;
	while (end > p && isspace((unsigned char)end[-1]))
		end--;
	if (end - p >= 2 && *p == '<' && end[-1] == '>') {
		p++;
		end--;
	}
	for (; p < end; p++)
		strbuf_appendc(out, (char)tolower((unsigned char)*p));
}
