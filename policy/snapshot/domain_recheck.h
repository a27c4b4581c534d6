/*
 * domain_recheck - looks up the records of every verified sender domain
 * again and reports drift (SPEC section 5: "the milter re-checks verified
 * domains periodically and reports drift").  The daemon runs a round
 * every DomainRecheckInterval (milter/recheck.c); this module is the
 * round, free of threads and timing.
 *
 * A round takes the domains marked verified in the snapshot's accounts,
 * builds each one's records from the snapshot's config and DKIM key ring
 * and judges DNS's answers (domain_check.h), as "sesctl domain verify"
 * does.  What it found is kept per domain between rounds, so a state is
 * logged when it changes, not every round:
 *
 *   - drift (a record WRONG or MISSING, or other current values than
 *     were last logged): a warning per record that does not match;
 *   - every record matches again after drift: a notice;
 *   - a check that cannot be made (a lookup failed, ServiceSpfInclude or
 *     ServiceMx unset, no DKIM key): a notice, once until a check works
 *     again, and never called drift; the last known state stays.
 *
 * It reports only: a drifted domain stays verified, and unverifying it
 * remains the operator's decision.
 *
 * Diagnostics, through the plog it is handed:
 *   warning "domain D drifted: KIND NAME TYPE expected E current C"
 *           (KIND DKIM, SPF, DMARC or MX; TXT values quoted; C "(none)"
 *           when the record is missing)
 *   notice  "domain D records match again"
 *   notice  "cannot re-check domain D: WHY"
 *   info    "domain D can be re-checked again"
 *   info    "re-checked N verified domains: M match, K drifted, F not
 *           checked" after a round that was not stopped
 *   debug   "domain D records match"
 */
#ifndef SES_DOMAIN_RECHECK_H
#define SES_DOMAIN_RECHECK_H

#include <stdbool.h>

#include "domain_check.h"
#include "plog.h"
#include "snapshot.h"

/* What the rounds so far found, per domain. */
struct domain_recheck;

/* What a round works with. */
struct domain_recheck_env {
	struct domain_check_lookup dns;
	const struct plog *log;
	/* Asked before each domain and after a failed check; true ends the round. */
	bool (*stopping)(void *arg); /* NULL: never */
	void *arg;
};

/* An empty memory: the first round logs every drift it finds.  Caller frees. */
struct domain_recheck *domain_recheck_new(void);
void domain_recheck_free(struct domain_recheck *rc);

/*
 * Re-checks every verified domain of snap once, logging what changed.
 * Domains no longer verified are forgotten.  Returns false when
 * env->stopping ended the round early: nothing is logged for the domain
 * it interrupted, and what was known of the others is kept.
 */
bool domain_recheck_round(struct domain_recheck *rc, const struct policy_snapshot *snap,
			  const struct domain_recheck_env *env);

#endif
