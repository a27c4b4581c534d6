/*
 * rule_suppressed - RCPT: the recipient is not on the account's
 * suppression list (complaints and manual entries, permanent or until a
 * date; SPEC section 3).
 *
 * Refusal: 550 5.7.1 FailedOperation.EmailAddrInSuppressionList; the
 * lookup failing is a rule error (OnFailure).
 */
#include "autoconf.h"

#include "policy_msg.h"
#include "entries.h"
#include "prefetch.h"
#include "rule.h"

static void suppressed_prefetch(struct policy_msg *m, const struct rule_event *ev,
				struct prefetch *p)
{
	struct entry_id id = { ENTRY_SUPPRESSION, m->account->name, ev->rcpt_norm };

	prefetch_add_entry(p, &id);
}

static enum rule_result suppressed_check(struct policy_msg *m, const struct rule_event *ev,
					 struct policy_decision *d)
{
	struct entry_id id = { ENTRY_SUPPRESSION, m->account->name, ev->rcpt_norm };
	bool present;

	if (prefetch_entry_lookup(m, &id, &present) != STORE_OK) {
		decision_ses(d, "suppressed", SES_ERR_SERVICE_UNAVAILABLE,
			     "suppression lookup failed");
		return RULE_ERROR;
	}
	if (!present)
		return RULE_PASS;
	decision_ses(d, "suppressed", SES_ERR_SUPPRESSED, "%s is suppressed for account %s",
		     ev->rcpt_norm, m->account->name);
	return RULE_MATCH;
}

const struct rule rule_suppressed = {
	.name = "suppressed",
	.stages = RULE_STAGE_RCPT,
	.check = suppressed_check,
	.prefetch = suppressed_prefetch,
};
