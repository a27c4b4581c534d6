/*
 * dmarc_align - the DMARC author domain and identifier alignment
 * (RFC 7489 sections 3.1, 6.6.1 and 6.6.3).
 *
 * libopendmarc 1.4.2 gets strict alignment wrong when a public suffix list
 * is loaded, mis-aligns single-letter labels and parses From weakly, so the
 * project parses From and computes alignment here; libopendmarc is left
 * with record parsing.
 *
 * Diagnostics: dmarc_from_domain explains a refusal through *why, a
 * static English phrase suitable for a log line or an A-R comment.
 */
#ifndef SES_DMARC_ALIGN_H
#define SES_DMARC_ALIGN_H

#include <stdbool.h>

#include "psl.h"
#include "strbuf.h"

/*
 * Parses an RFC 5322 From header value (display names, quoted strings,
 * comments, RFC 2047 encoded words, angle addresses, group syntax, obsolete
 * empty list elements) and appends the one author domain, lower-cased
 * without a trailing dot.  Returns 0, or -1 with *why set (domain
 * unchanged) when there is no address, a malformed one, a domain literal,
 * or addresses in more than one domain (RFC 7489 6.6.1: no single author
 * domain, so the message cannot pass DMARC).
 */
int dmarc_from_domain(const char *from_header_value, struct strbuf *domain,
		      const char **why);

/*
 * True when auth_domain (the SPF or DKIM d= domain) is aligned with
 * from_domain.  strict: the same name (ASCII case and a trailing dot
 * ignored); relaxed: the same organisational domain according to p.  With
 * p NULL relaxed alignment falls back to strict.  Invalid names never align.
 */
bool dmarc_aligned(const struct psl *p, const char *from_domain, const char *auth_domain,
		   bool strict);

/*
 * The policy that applies to from_domain (RFC 7489 6.6.3): p when the
 * record was found at from_domain itself (from_domain equals org_domain),
 * otherwise sp when the record has one, else p.  Returns one of p and sp.
 */
const char *dmarc_policy_for(const char *from_domain, const char *org_domain, const char *p,
			     const char *sp);

#endif
