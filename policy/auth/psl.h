/*
 * psl - organisational domains from the Public Suffix List (RFC 7489 3.2).
 *
 * The list (Debian: /usr/share/publicsuffix/public_suffix_list.dat) is
 * loaded once into an immutable, sorted rule table that any number of
 * threads may read.  Both the ICANN and the private sections are used;
 * wildcard ("*.ck") and exception ("!www.ck") rules are honoured, Unicode
 * rules are stored as A-labels, and a domain under an unknown TLD falls
 * back to the implicit "*" rule.
 *
 * Diagnostics: psl_load reports "path:line: ..." for each malformed rule
 * and for an unreadable or empty file, and returns NULL when it found any.
 */
#ifndef SES_PSL_H
#define SES_PSL_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"
#include "strbuf.h"

struct psl;

/* Loads the list at path; NULL on any error (each in diags).  Caller frees. */
struct psl *psl_load(const char *path, struct diag_list *diags);

/* Frees p; NULL is allowed. */
void psl_free(struct psl *p);

/* Number of rules loaded (for logging and tests). */
size_t psl_rule_count(const struct psl *p);

enum psl_status {
	PSL_OK = 0,		/* out holds the organisational domain */
	PSL_IS_SUFFIX = 1,	/* domain is itself a public suffix; out holds it */
	PSL_BAD = -1,		/* not a domain name: empty label, bad byte, too long */
};

/*
 * Appends the organisational domain of domain (lower-cased, trailing dot
 * removed): the public suffix plus one label.  domain must be made of
 * A-labels.  On PSL_BAD out is left unchanged.
 */
enum psl_status psl_org_domain(const struct psl *p, const char *domain, struct strbuf *out);

/*
 * Appends domain lower-cased without its trailing dot; returns false (out
 * unchanged) when it is not a plausible A-label domain name.
 */
bool psl_normalize(const char *domain, struct strbuf *out);

#endif
