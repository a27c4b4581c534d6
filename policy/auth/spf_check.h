/*
 * spf_check - SPF (RFC 7208) checks of the MAIL FROM and HELO identities
 * with libspf2, results named as RFC 8601 writes them.
 *
 * A checker owns its DNS layer: SPF_CHECK_DNS_SYSTEM uses libspf2's
 * resolver layer (the system resolver); SPF_CHECK_DNS_ZONE starts with an
 * empty in-memory zone that tests fill with spf_checker_add_record() and
 * spf_checker_add_tempfail() before the first check.  After setup a
 * checker is read-only and may be used from many threads at once.
 *
 * libspf2 aborts on some malformed input and passes loopback clients
 * unconditionally; this module shields callers from both (see spf_check.c).
 *
 * Diagnostics: every check returns a result; when explanation is not NULL
 * a short reason is appended to it (the record's exp= text on fail, the
 * libspf2 error on temperror/permerror, or why the input was not
 * evaluated).
 */
#ifndef SES_SPF_CHECK_H
#define SES_SPF_CHECK_H

#include "dns.h"
#include "strbuf.h"

enum spf_check_result {
	SPF_CHECK_NONE,
	SPF_CHECK_NEUTRAL,
	SPF_CHECK_PASS,
	SPF_CHECK_FAIL,
	SPF_CHECK_SOFTFAIL,
	SPF_CHECK_TEMPERROR,
	SPF_CHECK_PERMERROR,
};

enum spf_check_dns {
	SPF_CHECK_DNS_SYSTEM, /* libspf2's resolver layer: production */
	SPF_CHECK_DNS_ZONE,   /* an in-memory zone: unit tests */
	SPF_CHECK_DNS_RESOLVER, /* policy/util/dns.c: spf_checker_new_resolver */
	SPF_CHECK_DNS_LOOKUP,	/* a caller's lookup: spf_checker_new_lookup */
};

/*
 * How SPF lookups are made: dns_query on a resolver, or a test's zone.
 * query is as dns_query (out always initialised, err says why on a
 * failure) and must be safe to call from the threads that run checks.
 */
struct spf_check_lookup {
	enum dns_status (*query)(void *arg, const char *name, enum dns_rrtype type,
				 struct dns_answers *out, struct strbuf *err);
	void *arg;
};

/* Record types a test zone can hold. */
enum spf_check_rr {
	SPF_CHECK_RR_A,
	SPF_CHECK_RR_AAAA,
	SPF_CHECK_RR_MX,
	SPF_CHECK_RR_TXT,
	SPF_CHECK_RR_PTR,
};

struct spf_checker;

/* Returns a new checker (caller frees with spf_checker_free), NULL on failure. */
struct spf_checker *spf_checker_new(enum spf_check_dns dns);
/*
 * A checker whose lookups go through policy/util/dns.c to server ("" or NULL:
 * the system's name servers, else HOST[:PORT]) with the given per-try
 * timeout and tries; each pooled libspf2 server has its own resolver.
 * NULL with why in err (a bad server).
 */
struct spf_checker *spf_checker_new_resolver(const char *server, unsigned timeout_s,
					     unsigned tries, struct strbuf *err);
/*
 * A checker whose lookups go through the same layer as a RESOLVER
 * checker's (name checks, lookup limits) but are answered by l, which
 * must outlive the checker.  NULL on failure.
 */
struct spf_checker *spf_checker_new_lookup(const struct spf_check_lookup *l);
/* Frees the checker; accepts NULL.  No check may be running. */
void spf_checker_free(struct spf_checker *c);

/*
 * Adds one record to a zone checker ("v=spf1 ..." for TXT, an address for
 * A/AAAA/PTR, a host name for MX); call again to add to the RR set.
 * Returns 0, or -1 for a SYSTEM checker, bad arguments or a libspf2 error.
 */
int spf_checker_add_record(struct spf_checker *c, const char *domain, enum spf_check_rr rr,
			   const char *value);
/* Makes lookups of domain/rr in a zone checker fail temporarily; 0 or -1. */
int spf_checker_add_tempfail(struct spf_checker *c, const char *domain, enum spf_check_rr rr);

/*
 * Checks the MAIL FROM identity of client_ip (IPv4 or IPv6 text).  A null
 * or empty mail_from ("<>") checks postmaster@helo as RFC 7208 says.
 * explanation may be NULL; otherwise a reason is appended.
 */
enum spf_check_result spf_check_mailfrom(struct spf_checker *c, const char *client_ip,
					 const char *helo, const char *mail_from,
					 struct strbuf *explanation);
/* Checks the HELO identity (postmaster@helo); explanation as above. */
enum spf_check_result spf_check_helo(struct spf_checker *c, const char *client_ip, const char *helo,
				     struct strbuf *explanation);

/* "none", "neutral", "pass", "fail", "softfail", "temperror", "permerror". */
const char *spf_check_result_name(enum spf_check_result r);

#endif
