/*
 * domfix - the fixture of the sender-domain tests (test_domain_check,
 * test_domain_recheck): a fake DNS that answers from a table of rows, and
 * DKIM keys made at test time.
 *
 * Diagnostics: domfix_make_key fails the running cmocka test with the
 * generator's reason when it cannot make a key.
 */
#ifndef SES_DOMFIX_H
#define SES_DOMFIX_H

#include <stddef.h>

#include "dkim_sign.h"
#include "dns.h"
#include "domain_check.h"

#define DOMFIX_MAX_ANSWERS 4

/* One name and type the fake DNS knows; a row with a NULL name is skipped. */
struct domfix_rr {
	const char *name;
	enum dns_rrtype type;
	enum dns_status status;
	const char *answers[DOMFIX_MAX_ANSWERS]; /* "@P@" is replaced by the fake's p */
};

struct domfix_dns {
	const struct domfix_rr *rrs;
	size_t n;
	const char *p;	  /* what "@P@" stands for: a key's p= */
	unsigned queries; /* counted by domfix_query */
	/* When set, called before each query; true makes it fail as a stopped lookup. */
	int (*before)(struct domfix_dns *dns);
	void *arg;
};

/*
 * Answers from dns->rrs: the row's status and answers; a name and type no
 * row lists is NXDOMAIN.  A failure (DNS_TEMPFAIL, DNS_BADNAME) says
 * "fake failure for NAME" in err.
 */
enum dns_status domfix_query(void *arg, const char *name, enum dns_rrtype type,
			     struct dns_answers *out, struct strbuf *err);

/* A lookup through domfix_query on dns. */
struct domain_check_lookup domfix_lookup(struct domfix_dns *dns);

/*
 * Makes a key file dir/keys/DOMAIN/FILE (RSA keys of 1024 bits) and
 * returns the p= of its TXT record.  Caller frees.
 */
char *domfix_make_key(const char *dir, const char *domain, const char *file,
		      enum dkim_key_type type);

#endif
