/*
 * rule_suspended - MAIL: a suspended account sends nothing until an
 * operator lifts the suspension (SPEC sections 3 and 7).
 *
 * Refusal: 550 5.7.1 FailedOperation.HighRejectionRate.
 */
#include "autoconf.h"

#include "engine.h"
#include "rule.h"

static enum rule_result suspended_check(struct policy_msg *m, const struct rule_event *ev,
					struct policy_decision *d)
{
	if (!m->account->suspended)
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
