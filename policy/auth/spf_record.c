/*
 * spf_record - SPF record syntax (RFC 7208 12, collected ABNF); see
 * spf_record.h.
 */
#include "autoconf.h"

#include "spf_record.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>

#include "strbuf.h"

#define SPF_RECORD_TERM_MAX 1024

bool spf_record_is_spf(const char *txt)
{
	return strncasecmp(txt, "v=spf1", 6) == 0 && (txt[6] == ' ' || txt[6] == '\0');
}

/*
 * Length of the macro-expand at s ("%{...}", "%%", "%_", "%-"), 0 if none.
 * The letters c, r and t only when exp_letters (RFC 7208 7.3: exp text).
 */
static size_t spf_record_macro(const char *s, bool exp_letters)
{
	size_t i = 2;

	if (s[0] != '%')
		return 0;
	if (s[1] == '%' || s[1] == '_' || s[1] == '-')
		return 2;
	if (s[1] != '{' || s[2] == '\0' ||
	    strchr(exp_letters ? "slodiphcrtvSLODIPHCRTV" : "slodiphvSLODIPHV", s[2]) == NULL)
		return 0;
	i = 3;
	while (isdigit((unsigned char)s[i]))
		i++;
	if (s[i] == 'r' || s[i] == 'R')
		i++;
	while (s[i] != '\0' && strchr(".-+,/_=", s[i]) != NULL)
		i++;
	return s[i] == '}' ? i + 1 : 0;
}

/* True if s[0..len) is a macro-string (RFC 7208 7.1); exp_letters as above. */
static bool spf_record_macro_string(const char *s, size_t len, bool exp_letters)
{
	size_t i = 0, m;

	while (i < len) {
		unsigned char c = (unsigned char)s[i];

		if (c == '%') {
			m = spf_record_macro(s + i, exp_letters);
			if (m == 0 || i + m > len)
				return false;
			i += m;
		} else if (c < 0x21 || c > 0x7e) {
			return false;
		} else {
			i++;
		}
	}
	return true;
}

/* True if s[0..len) is a toplabel: alphanumerics with a letter, or with an inner '-'. */
static bool spf_record_toplabel(const char *s, size_t len)
{
	bool alpha = false;
	size_t i;

	if (len == 0 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[len - 1]))
		return false;
	for (i = 0; i < len; i++) {
		if (isalpha((unsigned char)s[i]) || s[i] == '-')
			alpha = true;
		else if (!isdigit((unsigned char)s[i]))
			return false;
	}
	return alpha;
}

/* True if s[0..len) is a domain-spec: a macro-string ending in a top label or macro. */
static bool spf_record_domain_spec(const char *s, size_t len)
{
	size_t end = len, dot;

	if (len == 0 || !spf_record_macro_string(s, len, false))
		return false;
	if (s[len - 1] == '}')
		return true;
	if (s[end - 1] == '.')
		end--;
	for (dot = end; dot > 0 && s[dot - 1] != '.'; dot--)
		;
	if (dot == 0)
		return false;
	return spf_record_toplabel(s + dot, end - dot);
}

/* Parses a CIDR length "N" (no leading zero) at most max; -1 if bad. */
static int spf_record_cidr(const char *s, size_t len, int max)
{
	int v = 0;
	size_t i;

	if (len == 0 || len > 3 || (s[0] == '0' && len > 1))
		return -1;
	for (i = 0; i < len; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v <= max ? v : -1;
}

/* Strips a trailing "/N" or "//N" or "/N//M" from *len; false if one is bad. */
static bool spf_record_dual_cidr(const char *s, size_t *len)
{
	size_t n = *len, i;

	for (i = n; i > 0 && isdigit((unsigned char)s[i - 1]); i--)
		;
	if (i >= 2 && i < n && s[i - 1] == '/' && s[i - 2] == '/') {
		if (spf_record_cidr(s + i, n - i, 128) < 0)
			return false;
		n = i - 2;
		for (i = n; i > 0 && isdigit((unsigned char)s[i - 1]); i--)
			;
	}
	if (i >= 1 && s[i - 1] == '/' && (i < 2 || s[i - 2] != '/')) {
		if (spf_record_cidr(s + i, n - i, 32) < 0)
			return false;
		n = i - 1;
	}
	*len = n;
	return memchr(s, '/', n) == NULL || spf_record_macro_string(s, n, false);
}

/* True if s[0..len) is an IPv4 address in dotted-quad form, no leading zeros. */
static bool spf_record_ip4(const char *s, size_t len)
{
	size_t i = 0, start;
	int octets = 0;

	while (i <= len && octets < 4) {
		start = i;
		while (i < len && isdigit((unsigned char)s[i]))
			i++;
		if (spf_record_cidr(s + start, i - start, 255) < 0)
			return false;
		octets++;
		if (i == len)
			break;
		if (s[i++] != '.')
			return false;
	}
	return octets == 4 && i == len;
}

/* Checks ip4:/ip6: arguments with their CIDR length. */
static const char *spf_record_ip(const char *arg, bool v6)
{
	char buf[64];
	const char *slash = strchr(arg, '/');
	size_t len = slash != NULL ? (size_t)(slash - arg) : strlen(arg);
	struct in6_addr a6;

	if (slash != NULL && spf_record_cidr(slash + 1, strlen(slash + 1), v6 ? 128 : 32) < 0)
		return "bad CIDR length";
	if (!v6)
		return spf_record_ip4(arg, len) ? NULL : "bad ip4 address";
	if (len >= sizeof buf)
		return "bad ip6 address";
	memcpy(buf, arg, len);
	buf[len] = '\0';
	return inet_pton(AF_INET6, buf, &a6) == 1 ? NULL : "bad ip6 address";
}

/* Checks the rest of a mechanism after its name; NULL if good. */
static const char *spf_record_mechanism(const char *name, size_t nlen, const char *rest)
{
	size_t len = strlen(rest);

#define SPF_RECORD_IS(m) (nlen == strlen(m) && strncasecmp(name, m, nlen) == 0)
	if (SPF_RECORD_IS("all"))
		return len == 0 ? NULL : "all takes no argument";
	if (SPF_RECORD_IS("include") || SPF_RECORD_IS("exists"))
		return rest[0] == ':' && spf_record_domain_spec(rest + 1, len - 1)
			       ? NULL
			       : "bad domain in include or exists";
	if (SPF_RECORD_IS("ip4") || SPF_RECORD_IS("ip6"))
		return rest[0] == ':' ? spf_record_ip(rest + 1, name[2] == '6')
				      : "ip4 or ip6 without an address";
	if (SPF_RECORD_IS("ptr"))
		return len == 0 || (rest[0] == ':' && spf_record_domain_spec(rest + 1, len - 1))
			       ? NULL
			       : "bad ptr argument";
	if (SPF_RECORD_IS("a") || SPF_RECORD_IS("mx")) {
		if (!spf_record_dual_cidr(rest, &len))
			return "bad CIDR length";
		if (len == 0)
			return NULL;
		return rest[0] == ':' && spf_record_domain_spec(rest + 1, len - 1)
			       ? NULL
			       : "bad domain in a or mx";
	}
#undef SPF_RECORD_IS
	return "unknown mechanism";
}

/* Checks one term; *redirects and *exps count those modifiers. */
static const char *spf_record_term(const char *t, unsigned *redirects, unsigned *exps)
{
	const char *q = t;
	size_t nlen = 0;

	if (strchr("+-~?", t[0]) != NULL)
		t++;
	while (isalnum((unsigned char)t[nlen]) || (t == q && nlen > 0 && t[nlen] != '\0' && strchr("-_.", t[nlen]) != NULL))
		nlen++;
	if (t == q && nlen > 0 && isalpha((unsigned char)t[0]) && t[nlen] == '=') {
		const char *v = t + nlen + 1;

		if (nlen == 8 && strncasecmp(t, "redirect", 8) == 0) {
			(*redirects)++;
			return spf_record_domain_spec(v, strlen(v)) ? NULL : "bad redirect domain";
		}
		if (nlen == 3 && strncasecmp(t, "exp", 3) == 0) {
			(*exps)++;
			return spf_record_domain_spec(v, strlen(v)) ? NULL : "bad exp domain";
		}
		return spf_record_macro_string(v, strlen(v), true) ? NULL : "bad modifier value";
	}
	if (nlen == 0 || !isalpha((unsigned char)t[0]))
		return "bad term";
	return spf_record_mechanism(t, nlen, t + nlen);
}

const char *spf_record_check(const char *txt)
{
	char term[SPF_RECORD_TERM_MAX + 1];
	unsigned redirects = 0, exps = 0;
	const char *p = txt + 6, *why;
	size_t len;

	if (!spf_record_is_spf(txt))
		return "not an SPF record";
	for (;;) {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			break;
		len = strcspn(p, " ");
		if (len > SPF_RECORD_TERM_MAX)
			return "over-long term";
		memcpy(term, p, len);
		term[len] = '\0';
		why = spf_record_term(term, &redirects, &exps);
		if (why != NULL)
			return why;
		p += len;
	}
	if (redirects > 1 || exps > 1)
		return "redirect= or exp= given twice";
	return NULL;
}

/* Appends q, then the term text s[0..len), then a blank. */
static void spf_record_put(struct strbuf *b, char q, const char *s, size_t len)
{
	if (q != '\0')
		strbuf_appendc(b, q);
	strbuf_append(b, s, len);
	strbuf_appendc(b, ' ');
}

/*
 * Writes the a or mx term t (name of nlen, rest after it) for a client of
 * the given family: the CIDR length of the other family dropped, and a
 * length of 0 as an exists: of a name spf_dns.c answers (see spf_record.h).
 */
static void spf_record_rewrite_amx(struct strbuf *b, char q, const char *t, size_t nlen,
				   bool ipv6)
{
	const char *rest = t + nlen, *c4 = NULL, *c6 = NULL, *dom = "%{d}";
	size_t len = strlen(rest), dlen = 4;
	bool mx = nlen == 2;

	c6 = strstr(rest, "//");
	if (c6 != NULL)
		len = (size_t)(c6 - rest);
	for (c4 = rest + len; c4 > rest && isdigit((unsigned char)c4[-1]); c4--)
		;
	if (c4 > rest && c4[-1] == '/' && c4 < rest + len)
		len = (size_t)(c4 - 1 - rest);
	else
		c4 = NULL;
	if (rest[0] == ':') {
		dom = rest + 1;
		dlen = len - 1;
	}
	if (q != '\0')
		strbuf_appendc(b, q);
	if (ipv6 ? (c6 != NULL && strcmp(c6, "//0") == 0)
		 : (c4 != NULL && strncmp(c4, "0", 1) == 0 && (c4[1] == '\0' || c4[1] == '/'))) {
		strbuf_appends(b, "exists:");
		strbuf_append(b, dom, dlen);
		if (ipv6 || mx)
			strbuf_appends(b, ipv6 ? (mx ? SPF_RECORD_ZERO_MX6 : SPF_RECORD_ZERO_AAAA)
					       : SPF_RECORD_ZERO_MX4);
	} else {
		strbuf_append(b, t, nlen + len);
		if (ipv6 && c6 != NULL)
			strbuf_appends(b, c6);
		if (!ipv6 && c4 != NULL)
			strbuf_append(b, c4 - 1, strcspn(c4 - 1, " ") - (c6 != NULL ? strlen(c6) : 0));
	}
	strbuf_appendc(b, ' ');
}

/* True if the record has an "all" mechanism. */
static bool spf_record_has_all(const char *txt)
{
	const char *p = txt + 6;
	size_t len;

	for (;;) {
		while (*p == ' ')
			p++;
		len = strcspn(p, " ");
		if (len == 0)
			return false;
		if (strchr("+-~?", *p) != NULL && len > 1) {
			p++;
			len--;
		}
		if (len == 3 && strncasecmp(p, "all", 3) == 0)
			return true;
		p += len;
	}
}

/*
 * Writes term (a modifier "name=value", nlen the name) unless libspf2
 * must not see it: a redirect= beside "all" (RFC 7208 6.1: ignored) and
 * unknown modifiers (6: ignored; libspf2 refuses some names).  A
 * redirect= goes to redirect, written last: libspf2 follows it where it
 * stands, RFC 7208 6.1 only when no mechanism matched.  True if written.
 */
static bool spf_record_put_modifier(struct strbuf *b, struct strbuf *redirect, const char *term,
				    size_t nlen, bool all)
{
	if (nlen == 8 && strncasecmp(term, "redirect", 8) == 0 && !all) {
		spf_record_put(redirect, '\0', term, strlen(term));
		return true;
	}
	if (nlen == 3 && strncasecmp(term, "exp", 3) == 0) {
		spf_record_put(b, '\0', term, strlen(term));
		return true;
	}
	return false;
}

char *spf_record_rewrite(const char *txt, bool ipv6)
{
	struct strbuf b = STRBUF_INIT, redirect = STRBUF_INIT;
	const char *p = txt + 6;
	char term[SPF_RECORD_TERM_MAX + 1], q;
	size_t len, nlen;
	bool all = spf_record_has_all(txt), changed = false;

	strbuf_appends(&b, "v=spf1 ");
	for (;;) {
		while (*p == ' ')
			p++;
		len = strcspn(p, " ");
		if (len == 0 || len > SPF_RECORD_TERM_MAX)
			break;
		memcpy(term, p, len);
		term[len] = '\0';
		p += len;
		q = strchr("+-~?", term[0]) != NULL ? term[0] : '\0';
		nlen = strspn(term + (q != '\0'), "abcdefghijklmnopqrstuvwxyz"
						  "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789");
		if (q == '\0' && strcspn(term, "=:/") < len && term[strcspn(term, "=:/")] == '=') {
			changed |= !spf_record_put_modifier(&b, &redirect, term, strcspn(term, "="),
							    all);
			continue;
		}
		changed |= redirect.len > 0; /* a term after redirect= */
		if (strstr(term, "/0") == NULL) {
			spf_record_put(&b, '\0', term, len);
			continue;
		}
		changed = true;
		if (nlen == 3 && strncasecmp(term + (q != '\0'), "ip4", 3) == 0)
			strbuf_appendf(&b, "%.1sip4:0.0.0.0/1 %.1sip4:128.0.0.0/1 ", &q, &q);
		else if (nlen == 3 && strncasecmp(term + (q != '\0'), "ip6", 3) == 0)
			strbuf_appendf(&b, "%.1sip6:::/1 %.1sip6:8000::/1 ", &q, &q);
		else if ((nlen == 1 && tolower((unsigned char)term[q != '\0']) == 'a') ||
			 (nlen == 2 && strncasecmp(term + (q != '\0'), "mx", 2) == 0))
			spf_record_rewrite_amx(&b, q, term + (q != '\0'), nlen, ipv6);
		else
			spf_record_put(&b, '\0', term, len);
	}
	strbuf_append(&b, strbuf_cstr(&redirect), redirect.len);
	strbuf_free(&redirect);
	if (!changed) {
		strbuf_free(&b);
		return NULL;
	}
	return strbuf_detach(&b);
}
