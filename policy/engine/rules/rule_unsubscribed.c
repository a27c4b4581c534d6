/*
 * rule_unsubscribed - RCPT: the recipient has not unsubscribed from the
 * sender domain (SPEC section 3; permanent until removed).
 *
 * Refusal: 550 5.7.1 FailedOperation.ReceiverHasUnsubscribed; the lookup
 * failing is a rule error (OnFailure).
 */
#include "autoconf.h"

#include "policy_msg.h"
#include "entries.h"
#include "prefetch.h"
#include "rule.h"

static void unsubscribed_prefetch(struct policy_msg *m, const struct rule_event *ev,
				  struct prefetch *p)
{
	struct entry_id id = { ENTRY_UNSUBSCRIBE, m->env.sender_domain, ev->rcpt_norm };

	prefetch_add_entry(p, &id);
}

static enum rule_result unsubscribed_check(struct policy_msg *m, const struct rule_event *ev,
					   struct policy_decision *d)
{
	struct entry_id id = { ENTRY_UNSUBSCRIBE, m->env.sender_domain, ev->rcpt_norm };
	bool present;

	if (prefetch_entry_lookup(m, &id, &present) != STORE_OK) {
		decision_ses(d, "unsubscribed", SES_ERR_SERVICE_UNAVAILABLE,
			     "unsubscribe lookup failed");
		return RULE_ERROR;
	}
	if (!present)
		return RULE_PASS;
	decision_ses(d, "unsubscribed", SES_ERR_UNSUBSCRIBED, "%s unsubscribed from %s",
		     ev->rcpt_norm, m->env.sender_domain);
	return RULE_MATCH;
}

const struct rule rule_unsubscribed = {
	.name = "unsubscribed",
	.stages = RULE_STAGE_RCPT,
	.check = unsubscribed_check,
	.prefetch = unsubscribed_prefetch,
};
