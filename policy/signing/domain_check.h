/*
 * domain_check - the DNS records a sender domain publishes (SPEC section
 * 5) and whether DNS matches them.  "sesctl domain records|verify" and
 * the daemon's periodic re-check (domain_recheck.h) both use it, so the
 * operator and the daemon judge a domain alike.
 *
 * The records: one DKIM TXT at SELECTOR._domainkey.DOMAIN per key of the
 * domain in the key ring, SPF "v=spf1 include:ServiceSpfInclude ~all" at
 * the domain, DMARC "v=DMARC1; p=none" at _dmarc.DOMAIN and an MX to
 * ServiceMx.  An unset ServiceSpfInclude or ServiceMx gives a placeholder
 * value ("<ServiceMx>") and marks the record unset: it cannot be checked.
 *
 * Each record is judged on what matters, not byte for byte: DKIM by the
 * p= tag (whitespace and other tags tolerated) of some TXT at its name;
 * SPF by exactly one "v=spf1" TXT at the domain holding
 * include:ServiceSpfInclude; DMARC by a "v=DMARC1" TXT at _dmarc; MX by
 * some MX host equal to ServiceMx (case and a final dot ignored).  The
 * answers that count (TXT of the record's version, all TXT at a DKIM
 * name, all MX hosts) are kept as the record's current values: none
 * means MISSING, some that do not match mean WRONG.
 *
 * Lookups go through struct domain_check_lookup, so tests can answer
 * from a table; domain_check_resolver() asks a dns_resolver.
 *
 * Diagnostics (appended to err): "cannot read the public key of NAME"
 * from domain_check_build; a failed lookup's reason from dns.h
 * ("no answer from DNS server X for NAME (timed out)", "... answered
 * REFUSED for NAME") from domain_check_run.
 */
#ifndef SES_DOMAIN_CHECK_H
#define SES_DOMAIN_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "dkim_sign.h"
#include "dns.h"
#include "strbuf.h"

/* What a record is for; each kind is judged its own way. */
enum domain_check_kind {
	DOMAIN_CHECK_DKIM,
	DOMAIN_CHECK_SPF,
	DOMAIN_CHECK_DMARC,
	DOMAIN_CHECK_MX,
};

enum domain_check_verdict {
	DOMAIN_CHECK_UNCHECKED, /* not looked up (yet) */
	DOMAIN_CHECK_OK,
	DOMAIN_CHECK_MISSING, /* no answer of the record's kind */
	DOMAIN_CHECK_WRONG,   /* answers, none (or, for SPF, not exactly one) right */
};

/* One DNS record a sender domain publishes, and what DNS had for it. */
struct domain_check_record {
	enum domain_check_kind kind;
	char *name;	 /* owner name, lower case, without the final dot */
	char *value;	 /* TXT: the text; MX: the host, without the final dot */
	char *want;	 /* what is judged: DKIM p=, SPF include domain, MX host */
	bool unset;	 /* the config key is unset: value holds a placeholder */
	const char *key; /* that config key ("ServiceMx"), or NULL */
	enum domain_check_verdict verdict;
	struct dns_answers current; /* the answers that count, once checked */
};

struct domain_check_records {
	char *domain;
	struct domain_check_record *v;
	size_t n;
	size_t checked; /* records judged by domain_check_run; v[checked] failed */
};

/* The outcome of checking every record of a domain. */
enum domain_check_result {
	DOMAIN_CHECK_MATCH,  /* every record is ok */
	DOMAIN_CHECK_DRIFT,  /* every record was looked up, some are not ok */
	DOMAIN_CHECK_FAILED, /* a lookup failed: says nothing about the records */
};

/* How records are looked up: dns_query, or a test's table. */
struct domain_check_lookup {
	/* As dns_query: out always initialised, err says why on a failure. */
	enum dns_status (*query)(void *arg, const char *name, enum dns_rrtype type,
				 struct dns_answers *out, struct strbuf *err);
	void *arg;
};

/* A lookup that asks r (which must outlive it). */
struct domain_check_lookup domain_check_resolver(struct dns_resolver *r);

/*
 * Fills recs with the records domain (lower case) publishes, given the
 * config's ServiceSpfInclude and ServiceMx and the DKIM keys of ring:
 * DKIM records in the ring's order, then SPF, DMARC, MX.  0, or -1 with
 * why in err.  recs is always initialised; free with domain_check_free.
 */
int domain_check_build(const struct ses_config *conf, const struct dkim_keyring *ring,
		       const char *domain, struct domain_check_records *recs, struct strbuf *err);
void domain_check_free(struct domain_check_records *recs);

/* The number of records of kind in recs. */
size_t domain_check_count(const struct domain_check_records *recs, enum domain_check_kind kind);

/*
 * Looks up and judges each record in order, setting its verdict and
 * current values, and stops at the first lookup that fails (NXDOMAIN and
 * no data are answers: MISSING).  On DOMAIN_CHECK_FAILED, err says why
 * and recs->checked indexes the record whose lookup failed.
 */
enum domain_check_result domain_check_run(struct domain_check_records *recs,
					  const struct domain_check_lookup *dns,
					  struct strbuf *err);

/* The number of records judged WRONG or MISSING. */
size_t domain_check_bad(const struct domain_check_records *recs);

/* Appends r's expected value: TXT quoted, non-printing bytes as '?'. */
void domain_check_show_expected(struct strbuf *out, const struct domain_check_record *r);

/* Appends r's current values as above, joined by " | ", or "(none)". */
void domain_check_show_current(struct strbuf *out, const struct domain_check_record *r);

/* "DKIM", "SPF", "DMARC", "MX". */
const char *domain_check_kind_name(enum domain_check_kind kind);

/* The DNS type of kind: "TXT" or "MX". */
const char *domain_check_type_name(enum domain_check_kind kind);

/* "unchecked", "ok", "MISSING", "WRONG" (as sesctl prints them). */
const char *domain_check_verdict_name(enum domain_check_verdict v);

/*
 * The value of tag in a DKIM-style tag list ("v=DKIM1; k=rsa; p=..."),
 * whitespace removed; NULL when absent.  Caller frees.
 */
char *domain_check_txt_tag(const char *txt, const char *tag);

#endif
