/*
 * dmarc_align - author domain and alignment; see dmarc_align.h.
 *
 * From is parsed in three passes over the header value: comments are
 * replaced by blanks (they may hold any special), the rest is split into
 * list elements at top-level ',' ':' ';' (outside quoted strings, angle
 * brackets and encoded words, so a group name or a "Doe, John" display
 * name does not split an address), and each element yields its domain.
 */
#include "autoconf.h"

#include <ctype.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "dmarc_align.h"

/* Appends s without comments (each becomes one blank); false when unbalanced. */
static bool dmarc_strip_comments(const char *s, struct strbuf *out, const char **why)
{
	bool quoted = false;
	int depth;

	for (; *s != '\0'; s++) {
		if (quoted) {
			strbuf_appendc(out, *s);
			if (*s == '\\' && s[1] != '\0')
				strbuf_appendc(out, *++s);
			else if (*s == '"')
				quoted = false;
		} else if (*s == '(') {
			for (depth = 1, s++; *s != '\0' && depth > 0; s++) {
				if (*s == '\\' && s[1] != '\0')
					s++;
				else if (*s == '(' || *s == ')')
					depth += *s == '(' ? 1 : -1;
			}
			if (depth > 0) {
				*why = "From has an unterminated comment";
				return false;
			}
			s--;
			strbuf_appendc(out, ' ');
		} else if (*s == ')') {
			*why = "From has an unbalanced ')'";
			return false;
		} else {
			quoted = *s == '"';
			strbuf_appendc(out, *s);
		}
	}
	if (quoted)
		*why = "From has an unterminated quoted string";
	return !quoted;
}

/* Returns the end of an RFC 2047 encoded word starting at s[i], or i. */
static size_t dmarc_encoded_word_end(const char *s, size_t len, size_t i)
{
	size_t j = i + 2, q = 0;

	if (i + 1 >= len || s[i] != '=' || s[i + 1] != '?')
		return i;
	for (; j + 1 < len && !isspace((unsigned char)s[j]); j++) {
		if (s[j] != '?')
			continue;
		if (++q == 3 && s[j + 1] == '=')
			return j + 2;
		if (q == 3)
			return i;
	}
	return i;
}

/* Index of the first byte of stops at top level from i (quotes, encoded words skipped). */
static size_t dmarc_scan(const char *s, size_t len, size_t i, const char *stops)
{
	bool quoted = false;

	for (; i < len; i++) {
		size_t end;

		if (quoted) {
			if (s[i] == '\\' && i + 1 < len)
				i++;
			else if (s[i] == '"')
				quoted = false;
		} else if (s[i] == '"') {
			quoted = true;
		} else if (strchr(stops, s[i]) != NULL) {
			return i;
		} else if ((end = dmarc_encoded_word_end(s, len, i)) > i) {
			i = end - 1;
		}
	}
	return len;
}

/* True when s[0..len) holds only blanks. */
static bool dmarc_blank(const char *s, size_t len)
{
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	while (len > 0 && isspace((unsigned char)*s)) {
		s++;
		len--;
	}
	return len == 0;
}

/* True when a[lo..hi) holds a blank outside quoted strings. */
static bool dmarc_unquoted_blank(const char *a, size_t lo, size_t hi)
{
	bool quoted = false;

	for (; lo < hi; lo++) {
		if (quoted && a[lo] == '\\' && lo + 1 < hi)
			lo++;
		else if (a[lo] == '"')
			quoted = !quoted;
		else if (!quoted && isspace((unsigned char)a[lo]))
			return true;
	}
	return false;
}

/* Appends the normalised domain of addr-spec a[0..len); -1 with *why when bad. */
static int dmarc_addr_domain(const char *a, size_t len, struct strbuf *dom, const char **why)
{
	struct strbuf raw = STRBUF_INIT;
	size_t at = len, i, lo, hi;
	bool ok;

	for (i = dmarc_scan(a, len, 0, "@"); i < len; i = dmarc_scan(a, len, i + 1, "@"))
		at = i;	/* the last unquoted '@' */
	if (at == len)
		return (*why = "From has an address without a domain", -1);
	for (lo = 0; lo < at && isspace((unsigned char)a[lo]); lo++)
		;
	for (hi = at; hi > lo && isspace((unsigned char)a[hi - 1]); hi--)
		;
	if (lo == hi)
		return (*why = "From has an address without a local part", -1);
	if (dmarc_unquoted_blank(a, lo, hi))
		return (*why = "From has a display name outside angle brackets", -1);
	for (lo = at + 1; lo < len && isspace((unsigned char)a[lo]); lo++)
		;
	for (hi = len; hi > lo && isspace((unsigned char)a[hi - 1]); hi--)
		;
	if (lo < hi && a[lo] == '[')
		return (*why = "From has a domain literal, not a domain name", -1);
	strbuf_append(&raw, a + lo, hi - lo);
	ok = psl_normalize(strbuf_cstr(&raw), dom);
	strbuf_free(&raw);
	if (!ok)
		*why = "From has an invalid domain name";
	return ok ? 0 : -1;
}

/*
 * Appends the domain of one mailbox e[0..len): "name <addr>" or a bare
 * addr-spec.  Returns 0, 1 for an empty (obsolete) list element, -1.
 */
static int dmarc_mailbox_domain(const char *e, size_t len, struct strbuf *dom,
				const char **why)
{
	size_t lt, gt;

	if (dmarc_blank(e, len))
		return 1;
	lt = dmarc_scan(e, len, 0, "<>");
	if (lt == len)
		return dmarc_addr_domain(e, len, dom, why);
	gt = dmarc_scan(e, len, lt + 1, "<>");
	if (e[lt] != '<' || gt == len || e[gt] != '>')
		return (*why = "From has unbalanced angle brackets", -1);
	if (!dmarc_blank(e + gt + 1, len - gt - 1))
		return (*why = "From has text after an angle address", -1);
	e += lt + 1;
	len = gt - lt - 1;
	while (len > 0 && isspace((unsigned char)*e)) {
		e++;
		len--;
	}
	if (len > 0 && *e == '@') {	/* obsolete source route "@a,@b:" */
		size_t colon = dmarc_scan(e, len, 0, ":");

		if (colon == len)
			return (*why = "From has a source route without ':'", -1);
		e += colon + 1;
		len -= colon + 1;
	}
	return dmarc_addr_domain(e, len, dom, why);
}

/* Records dom as the author domain in *author; -1 when another domain is there. */
static int dmarc_note_domain(struct strbuf *author, const struct strbuf *dom, const char **why)
{
	if (author->len == 0) {
		strbuf_appends(author, strbuf_cstr(dom));
		return 0;
	}
	if (strcmp(strbuf_cstr(author), strbuf_cstr(dom)) == 0)
		return 0;
	*why = "From has addresses in more than one domain";
	return -1;
}

/* Splits the comment-free value s into mailboxes; appends the one domain to author. */
static int dmarc_walk(const char *s, size_t len, struct strbuf *author, const char **why)
{
	struct strbuf dom = STRBUF_INIT;
	size_t i = 0, j;
	bool group = false;
	int rc = 0, r;

	while (rc == 0 && i <= len) {
		j = dmarc_scan(s, len, i, ",:;<");
		if (j < len && s[j] == '<')	/* the rest of an angle address */
			j = dmarc_scan(s, len, dmarc_scan(s, len, j + 1, ">") + 1, ",:;<");
		if (j < len && s[j] == ':') {
			if (group)
				rc = (*why = "From has a nested group", -1);
			group = true;
		} else {
			if (j < len && s[j] == ';' && !group)
				rc = (*why = "From has ';' outside a group", -1);
			else if (j < len && s[j] == '<')
				rc = (*why = "From has unbalanced angle brackets", -1);
			else if ((r = dmarc_mailbox_domain(s + i, j - i, &dom, why)) == 0)
				rc = dmarc_note_domain(author, &dom, why);
			else if (r < 0)
				rc = -1;
			if (j < len && s[j] == ';')
				group = false;
		}
		strbuf_reset(&dom);
		i = j + 1;
	}
	strbuf_free(&dom);
	if (rc == 0 && group)
		rc = (*why = "From has a group without ';'", -1);
	return rc;
}

int dmarc_from_domain(const char *from_header_value, struct strbuf *domain, const char **why)
{
	struct strbuf clean = STRBUF_INIT, author = STRBUF_INIT;
	const char *dummy;
	int rc = -1;

	if (why == NULL)
		why = &dummy;
	if (dmarc_strip_comments(from_header_value, &clean, why) &&
	    dmarc_walk(strbuf_cstr(&clean), clean.len, &author, why) == 0) {
		if (author.len == 0) {
			*why = "From has no address";
		} else {
			strbuf_appends(domain, strbuf_cstr(&author));
			rc = 0;
		}
	}
	strbuf_free(&clean);
	strbuf_free(&author);
	return rc;
}

bool dmarc_aligned(const struct psl *p, const char *from_domain, const char *auth_domain,
		   bool strict)
{
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
	bool ok;

	if (p == NULL || strict)
		ok = psl_normalize(from_domain, &a) && psl_normalize(auth_domain, &b);
	else
		ok = psl_org_domain(p, from_domain, &a) != PSL_BAD &&
		     psl_org_domain(p, auth_domain, &b) != PSL_BAD;
	ok = ok && strcmp(strbuf_cstr(&a), strbuf_cstr(&b)) == 0;
	strbuf_free(&a);
	strbuf_free(&b);
	return ok;
}

const char *dmarc_policy_for(const char *from_domain, const char *org_domain, const char *p,
			     const char *sp)
{
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
	bool same;

	same = psl_normalize(from_domain, &a) && psl_normalize(org_domain, &b) &&
	       strcmp(strbuf_cstr(&a), strbuf_cstr(&b)) == 0;
	strbuf_free(&a);
	strbuf_free(&b);
	return same || sp == NULL || *sp == '\0' ? p : sp;
}
