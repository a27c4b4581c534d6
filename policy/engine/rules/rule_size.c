/*
 * rule_size - HEADER, EOH, BODY: the whole message, headers and
 * attachments included, is at most MaxMessageSize bytes (SPEC section 3,
 * default 4 MiB).  The engine counts as the message streams, so the
 * refusal comes at the first chunk that crosses the limit.
 *
 * Refusal: 552 5.3.4 FailedOperation.EmailContentToolarge.
 */
#include "autoconf.h"

#include "policy_msg.h"
#include "rule.h"

static enum rule_result size_check(struct policy_msg *m, const struct rule_event *ev,
				   struct policy_decision *d)
{
	if (m->content.size <= (unsigned long long)m->limits.max_message_size)
		return RULE_PASS;
	decision_ses(d, "size", SES_ERR_CONTENT_TOO_LARGE,
		     "message exceeds %lld bytes", m->limits.max_message_size);
	return RULE_MATCH;
}

const struct rule rule_size = {
	.name = "size",
	.stages = RULE_STAGE_HEADER | RULE_STAGE_EOH | RULE_STAGE_BODY,
	.check = size_check,
};
