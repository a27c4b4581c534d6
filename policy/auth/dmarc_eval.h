/*
 * dmarc_eval - the DMARC verdict for one message (RFC 7489 section 6.6):
 * author domain from From (dmarc_align.c), the policy record found at
 * _dmarc.AUTHOR or _dmarc.ORGANISATIONAL-DOMAIN and parsed by
 * libopendmarc, identifier alignment computed by the project
 * (dmarc_align.c: libopendmarc 1.4.2 gets it wrong), pct sampling.
 *
 * That is discovery by the Public Suffix List (DmarcDiscovery psl);
 * dmarc_eval_run_treewalk finds the record and the organisational domains
 * by the DNS tree walk of RFC 9989 (dmarc_discover.c) instead, honours
 * np=, psd= and t= and ignores the retired pct=.
 *
 * The record lookup is a callback so the caller chooses the resolver
 * (policy/util/dns.c in the milter, a table in the unit tests).
 *
 * Results: none (no policy record, or no single author domain to look
 * one up for), pass (an aligned SPF or DKIM pass), fail, temperror (the
 * record lookup failed, or nothing passed while an SPF or DKIM check
 * failed temporarily: it might have passed), permerror (several From
 * headers, or a record that does not parse).
 */
#ifndef SES_DMARC_EVAL_H
#define SES_DMARC_EVAL_H

#include <stdbool.h>
#include <stddef.h>

#include "dns.h"
#include "psl.h"
#include "strbuf.h"

enum dmarc_eval_result {
	DMARC_EVAL_NONE,
	DMARC_EVAL_PASS,
	DMARC_EVAL_FAIL,
	DMARC_EVAL_TEMPERROR,
	DMARC_EVAL_PERMERROR,
};

enum dmarc_eval_policy {
	DMARC_EVAL_P_NONE,
	DMARC_EVAL_P_QUARANTINE,
	DMARC_EVAL_P_REJECT,
};

/* An authentication result DMARC builds on. */
enum dmarc_eval_auth {
	DMARC_EVAL_AUTH_PASS,
	DMARC_EVAL_AUTH_OTHER,	   /* fail, softfail, neutral, none, permerror */
	DMARC_EVAL_AUTH_TEMPERROR,
};

struct dmarc_eval_dkim {
	const char *domain;	/* d= */
	enum dmarc_eval_auth result;
};

struct dmarc_eval_input {
	const char *const *from;	/* every From header value */
	size_t nfrom;
	const char *spf_domain;		/* MAIL FROM domain, or HELO for "<>" */
	enum dmarc_eval_auth spf;
	const struct dmarc_eval_dkim *dkim;
	size_t ndkim;
	unsigned sample;		/* 0..99, compared with pct= */
};

/* Looks up TXT at name: a dns_status; answers in out (caller frees). */
typedef enum dns_status (*dmarc_eval_fetch_fn)(void *arg, const char *name,
					       struct dns_answers *out);

/* Looks up the records of type at name (the tree walk's seam); as above. */
typedef enum dns_status (*dmarc_eval_query_fn)(void *arg, const char *name,
					       enum dns_rrtype type, struct dns_answers *out);

struct dmarc_eval {
	enum dmarc_eval_result result;
	char *from_domain;		/* NULL when there is none */
	char *policy_domain;		/* where the record was found; NULL: none */
	enum dmarc_eval_policy record_p; /* the record's p= */
	bool testing;			/* t=y: the disposition is one step milder */
	bool nonexistent;		/* np= applied: the author domain does not exist */
	unsigned dns_queries;		/* tree walk only: DNS queries made */
	enum dmarc_eval_policy published; /* p= (or sp=) that applies */
	enum dmarc_eval_policy disposition; /* after pct: what to do */
	bool spf_aligned, dkim_aligned;
	const char *why;		/* static English, for logs and A-R */
};

/* Initialises libopendmarc once, before threads start; 0 or -1. */
int dmarc_eval_init(void);

/* Evaluates in into out (free with dmarc_eval_free).  p may be NULL. */
void dmarc_eval_run(const struct dmarc_eval_input *in, const struct psl *p,
		    dmarc_eval_fetch_fn fetch, void *fetch_arg, struct dmarc_eval *out);
/* The same by RFC 9989's DNS tree walk, every lookup through query. */
void dmarc_eval_run_treewalk(const struct dmarc_eval_input *in, dmarc_eval_query_fn query,
			     void *query_arg, struct dmarc_eval *out);
void dmarc_eval_free(struct dmarc_eval *e);

/* "none", "pass", "fail", "temperror", "permerror". */
const char *dmarc_eval_result_name(enum dmarc_eval_result r);
/* "none", "quarantine", "reject". */
const char *dmarc_eval_policy_name(enum dmarc_eval_policy p);

#endif
