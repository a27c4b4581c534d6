/*
 * dmarc_discover - DMARC policy records and organisational domains found
 * by the DNS tree walk of RFC 9989 (DMARCbis) instead of the Public Suffix
 * List, and the record grammar of RFC 9989.
 *
 * The walk starts at a domain and moves up one label at a time; a name of
 * 8 labels or more jumps straight to its 7 rightmost labels, so one walk
 * makes at most 8 queries, and it stops at a record with a psd= tag.  The
 * policy is the author domain's own record, else its organisational
 * domain's, else its public suffix domain's (psd=y).  The organisational
 * domain: psd=n names the organisational domain, psd=y (above the start) makes it
 * the name one label below the public suffix domain, and otherwise it is
 * the name of fewest labels that had a record (the domain itself if none).
 *
 * Lookups go through a callback (struct dmarc_walk), so the milter asks
 * policy/util/dns.c and the unit tests answer from a table; every answer is
 * kept for the walk's lifetime, so the several walks of one message (the
 * author domain, each SPF or DKIM domain) never ask the same name twice.
 *
 * The record parser follows RFC 9989: tags after v=DMARC1 in any order,
 * unknown tags and the retired pct=, rf= and ri= ignored, p= absent read
 * as p=none, and an invalid p=, sp= or np= read as p=none only when rua=
 * names a reporting URI (otherwise the record asks for nothing).
 */
#ifndef SES_DMARC_DISCOVER_H
#define SES_DMARC_DISCOVER_H

#include <stdbool.h>
#include <stddef.h>

#include "dmarc_eval.h"
#include "dns.h"
#include "strbuf.h"

/* The most DNS queries one tree walk makes (RFC 9989). */
#define DMARC_WALK_MAX_QUERIES 8
/*
 * The most DNS queries of all the walks of one message.  RFC 9989 bounds
 * each walk but not how many identifiers walk: a message with many
 * passing DKIM signatures would make the sender's DNS cost each of them.
 * Past this, relaxed alignment asks nothing more and answers "not
 * aligned" (policy discovery comes first and is never cut short).
 */
#define DMARC_WALK_MAX_MESSAGE_QUERIES 40

enum dmarc_psd { DMARC_PSD_UNKNOWN, DMARC_PSD_YES, DMARC_PSD_NO };

struct dmarc_record {
	enum dmarc_eval_policy p, sp, np;
	bool have_sp, have_np;
	bool strict_dkim, strict_spf;
	bool testing;		/* t=y */
	enum dmarc_psd psd;
};

enum dmarc_record_status {
	DMARC_RECORD_OK,
	DMARC_RECORD_NOT_DMARC,	/* does not start with v=DMARC1 */
	DMARC_RECORD_UNUSABLE,	/* invalid p=, sp= or np= and no rua=: no DMARC processing */
};

/* Parses the TXT record txt into out (always filled, defaults first). */
enum dmarc_record_status dmarc_record_parse(const char *txt, struct dmarc_record *out);

struct dmarc_walk_entry;

/* The lookups of one message's walks, and what they answered. */
struct dmarc_walk {
	dmarc_eval_query_fn query;
	void *arg;
	struct dmarc_walk_entry *v;
	size_t n;
	unsigned queries;	/* DNS queries made, for logs and tests */
};

void dmarc_walk_init(struct dmarc_walk *w, dmarc_eval_query_fn query, void *arg);
void dmarc_walk_free(struct dmarc_walk *w);

enum dmarc_walk_status {
	DMARC_WALK_FOUND,
	DMARC_WALK_NONE,
	DMARC_WALK_TEMPFAIL,	/* a lookup failed: the answer is unknown */
};

/*
 * The next name a walk asks after domain (a suffix of it), or NULL when
 * domain has one label left.  domain is normalised (lower case, no dot).
 */
const char *dmarc_walk_next(const char *domain);

/*
 * Policy discovery for the author domain: on DMARC_WALK_FOUND the
 * record's text is appended to txt and the name it was found at to at.
 */
enum dmarc_walk_status dmarc_discover_policy(struct dmarc_walk *w, const char *domain,
					     struct strbuf *at, struct strbuf *txt);

/*
 * The organisational domain of domain (normalised), appended to org.
 * Never DMARC_WALK_NONE: with no record at all it is domain itself.
 */
enum dmarc_walk_status dmarc_discover_org(struct dmarc_walk *w, const char *domain,
					  struct strbuf *org);

/*
 * True when auth_domain is aligned with from_domain: strict, the same
 * name; relaxed, the same organisational domain found by tree walks.
 * *temp is set when a failed lookup left the answer open (then false).
 */
bool dmarc_walk_aligned(struct dmarc_walk *w, const char *from_domain,
			const char *auth_domain, bool strict, bool *temp);

/*
 * True when domain does not exist (RFC 9989, as RFC 8020): a query for it
 * answers NXDOMAIN.  A name with other records only (NODATA) exists, and
 * a failed lookup counts as existing, so the milder sp= applies, not np=.
 */
bool dmarc_domain_missing(struct dmarc_walk *w, const char *domain);

#endif
