/*
 * rule_blocklist - RCPT: the recipient is not on the global blocklist of
 * hard-bounced addresses (SPEC section 3; entries last BlocklistDays).
 *
 * Refusal: 550 5.7.1 FailedOperation.EmailAddrInBlacklist; the lookup
 * failing is a rule error (OnFailure).
 */
#include "autoconf.h"

#include "policy_msg.h"
#include "entries.h"
#include "prefetch.h"
#include "rule.h"

static void blocklist_prefetch(struct policy_msg *m, const struct rule_event *ev,
			       struct prefetch *p)
{
	struct entry_id id = { ENTRY_BLOCKLIST, "", ev->rcpt_norm };

	prefetch_add_entry(p, &id);
}

static enum rule_result blocklist_check(struct policy_msg *m, const struct rule_event *ev,
					struct policy_decision *d)
{
	struct entry_id id = { ENTRY_BLOCKLIST, "", ev->rcpt_norm };
	bool present;

	if (prefetch_entry_lookup(m, &id, &present) != STORE_OK) {
		decision_ses(d, "blocklist", SES_ERR_SERVICE_UNAVAILABLE, "blocklist lookup failed");
		return RULE_ERROR;
	}
	if (!present)
		return RULE_PASS;
	decision_ses(d, "blocklist", SES_ERR_BLACKLISTED, "%s is on the blocklist", ev->rcpt_norm);
	return RULE_MATCH;
}

const struct rule rule_blocklist = {
	.name = "blocklist",
	.stages = RULE_STAGE_RCPT,
	.check = blocklist_check,
	.prefetch = blocklist_prefetch,
};
