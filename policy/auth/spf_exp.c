/*
 * spf_exp - SPF explanation macros (RFC 7208 7); see spf_exp.h.
 */
#include "autoconf.h"

#include "spf_exp.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SPF_EXP_MAX_PARTS 128
#define SPF_EXP_MAX_LEN 1024

/* %{i}: dotted IPv4, or the 32 nibbles of IPv6 separated by dots. */
static void spf_exp_ip(const struct spf_exp_env *env, struct strbuf *out)
{
	struct in6_addr a6;
	size_t i;

	if (!env->ipv6 || inet_pton(AF_INET6, env->ip, &a6) != 1) {
		strbuf_appends(out, env->ip);
		return;
	}
	for (i = 0; i < 16; i++)
		strbuf_appendf(out, "%s%x.%x", i > 0 ? "." : "", a6.s6_addr[i] >> 4,
			       a6.s6_addr[i] & 0xf);
}

/* The value of macro letter c (lower case) into out; false if unknown. */
static bool spf_exp_letter(char c, const struct spf_exp_env *env, struct strbuf *out)
{
	const char *at = strrchr(env->sender, '@');

	switch (c) {
	case 's':
		strbuf_appends(out, env->sender);
		return true;
	case 'l':
		strbuf_append(out, env->sender, at != NULL ? (size_t)(at - env->sender) : 0);
		return true;
	case 'o':
		strbuf_appends(out, at != NULL ? at + 1 : env->sender);
		return true;
	case 'd':
		strbuf_appends(out, env->domain);
		return true;
	case 'i':
		spf_exp_ip(env, out);
		return true;
	case 'c':
		strbuf_appends(out, env->ip);
		return true;
	case 'v':
		strbuf_appends(out, env->ipv6 ? "ip6" : "in-addr");
		return true;
	case 'h':
		strbuf_appends(out, env->helo);
		return true;
	case 'p': /* not validated here: RFC 7208 7.3 allows "unknown" */
	case 'r':
		strbuf_appends(out, "unknown");
		return true;
	case 't':
		strbuf_appendf(out, "%lld", (long long)time(NULL));
		return true;
	default:
		return false;
	}
}

/* Splits v at delims, keeps the rightmost keep parts (0: all), reversed if asked. */
static void spf_exp_transform(const char *v, const char *delims, unsigned keep, bool reverse,
			      struct strbuf *out)
{
	const char *part[SPF_EXP_MAX_PARTS];
	size_t plen[SPF_EXP_MAX_PARTS], n = 0, i, first;
	const char *p = v;

	while (n < SPF_EXP_MAX_PARTS) {
		size_t len = strcspn(p, delims);

		part[n] = p;
		plen[n++] = len;
		if (p[len] == '\0')
			break;
		p += len + 1;
	}
	if (reverse)
		for (i = 0; i < n / 2; i++) {
			const char *tp = part[i];
			size_t tl = plen[i];

			part[i] = part[n - 1 - i];
			plen[i] = plen[n - 1 - i];
			part[n - 1 - i] = tp;
			plen[n - 1 - i] = tl;
		}
	first = keep > 0 && keep < n ? n - keep : 0;
	for (i = first; i < n; i++) {
		if (i > first)
			strbuf_appendc(out, '.');
		strbuf_append(out, part[i], plen[i]);
	}
}

/* Expands "%{...}" at s into out; its length, 0 if bad. */
static size_t spf_exp_macro(const char *s, const struct spf_exp_env *env, struct strbuf *out)
{
	struct strbuf v = STRBUF_INIT, t = STRBUF_INIT;
	char delims[8] = "", letter = s[2];
	unsigned keep = 0;
	bool reverse = false;
	size_t i = 3, nd = 0;

	while (isdigit((unsigned char)s[i]) && keep < 1000)
		keep = keep * 10 + (unsigned)(s[i++] - '0');
	if (s[i] == 'r' || s[i] == 'R') {
		reverse = true;
		i++;
	}
	while (s[i] != '\0' && strchr(".-+,/_=", s[i]) != NULL && nd < sizeof delims - 1)
		delims[nd++] = s[i++];
	if (s[i] != '}' || (isdigit((unsigned char)s[3]) && keep == 0) ||
	    !spf_exp_letter((char)tolower((unsigned char)letter), env, &v)) {
		strbuf_free(&v);
		return 0;
	}
	spf_exp_transform(strbuf_cstr(&v), nd > 0 ? delims : ".", keep, reverse, &t);
	for (nd = 0; nd < t.len; nd++) {
		unsigned char c = (unsigned char)strbuf_cstr(&t)[nd];

		if (isupper((unsigned char)letter) && !isalnum(c) && strchr("-._~", c) == NULL)
			strbuf_appendf(out, "%%%02X", c);
		else
			strbuf_appendc(out, (char)c);
	}
	strbuf_free(&v);
	strbuf_free(&t);
	return i + 1;
}

bool spf_exp_expand(const char *text, const struct spf_exp_env *env, struct strbuf *out)
{
	struct strbuf b = STRBUF_INIT;
	size_t i = 0, m;

	while (text[i] != '\0' && b.len < SPF_EXP_MAX_LEN) {
		unsigned char c = (unsigned char)text[i];

		if (c < ' ' || c > 0x7e)
			goto bad;
		if (c != '%') {
			strbuf_appendc(&b, (char)c);
			i++;
			continue;
		}
		if (text[i + 1] == '%' || text[i + 1] == '_' || text[i + 1] == '-') {
			strbuf_appends(&b, text[i + 1] == '%' ? "%" : text[i + 1] == '_' ? " " : "%20");
			i += 2;
			continue;
		}
		m = text[i + 1] == '{' ? spf_exp_macro(text + i, env, &b) : 0;
		if (m == 0)
			goto bad;
		i += m;
	}
	strbuf_append(out, strbuf_cstr(&b), b.len);
	strbuf_free(&b);
	return true;
bad:
	strbuf_free(&b);
	return false;
}
