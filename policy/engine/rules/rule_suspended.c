/*
 * rule_suspended - MAIL: a suspended account sends nothing until an
 * operator lifts the suspension (SPEC sections 3 and 7).  Suspended in
 * its account file (an operator's standing order) or in shared state
 * (sesctl account suspend, automatic suspension): both stop it.
 *
 * Refusal: 550 5.7.1 FailedOperation.HighRejectionRate; the shared-state
 * lookup failing is a rule error (OnFailure).
 */
#include "autoconf.h"

#include "policy_msg.h"
#include "entries.h"
#include "rule.h"

static enum rule_result suspended_check(struct policy_msg *m, const struct rule_event *ev,
					struct policy_decision *d)
{
	struct entry_id id = { ENTRY_SUSPENSION, m->account->name, "" };
	bool present = m->account->suspended;

	if (!present && entry_lookup(policy_msg_store(m), &id, &present) != STORE_OK) {
		decision_ses(d, "suspended", SES_ERR_SERVICE_UNAVAILABLE, "suspension lookup failed");
		return RULE_ERROR;
	}
	if (!present)
		return RULE_PASS;
	decision_ses(d, "suspended", SES_ERR_SUSPENDED,
		     "account %s is suspended", m->account->name);
	return RULE_MATCH;
}

const struct rule rule_suspended = {
	.name = "suspended",
	.stages = RULE_STAGE_MAIL,
	.check = suspended_check,
};
