/*
 * rule_sender_domain - MAIL: the sender domain belongs to the account and
 * is verified (SPEC section 3).
 *
 * Refusal: 550 5.7.1 OperationDenied.DomainNotVerified.
 */
#include "autoconf.h"

#include "policy_msg.h"
#include "rule.h"

static enum rule_result sender_domain_check(struct policy_msg *m, const struct rule_event *ev,
					    struct policy_decision *d)
{
	const struct account_domain *dom;

	if (m->env.sender_domain[0] == '\0') {
		decision_ses(d, "sender_domain", SES_ERR_DOMAIN_NOT_VERIFIED,
			     "sender %s has no domain of account %s", m->env.sender, m->account->name);
		return RULE_MATCH;
	}
	dom = account_domain(m->account, m->env.sender_domain);
	if (dom == NULL) {
		decision_ses(d, "sender_domain", SES_ERR_DOMAIN_NOT_VERIFIED,
			     "domain %s is not a sender domain of account %s",
			     m->env.sender_domain, m->account->name);
		return RULE_MATCH;
	}
	if (!dom->verified) {
		decision_ses(d, "sender_domain", SES_ERR_DOMAIN_NOT_VERIFIED,
			     "domain %s is not verified", m->env.sender_domain);
		return RULE_MATCH;
	}
	return RULE_PASS;
}

const struct rule rule_sender_domain = {
	.name = "sender_domain",
	.stages = RULE_STAGE_MAIL,
	.check = sender_domain_check,
};
