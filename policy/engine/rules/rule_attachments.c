/*
 * rule_attachments - EOM: at most MaxAttachments attachments per message
 * (SPEC section 3, default 10).  The engine counts them with GMime once
 * the whole message is in.
 *
 * Refusal: 550 5.6.0 FailedOperation.TooManyAttachments; a message whose
 * MIME structure could not be read at all is a RULE_ERROR (OnFailure).
 */
#include "autoconf.h"

#include "policy_msg.h"
#include "rule.h"

static enum rule_result attachments_check(struct policy_msg *m, const struct rule_event *ev,
					  struct policy_decision *d)
{
	if (m->content.attachments < 0) {
		decision_set(d, POLICY_TEMPFAIL, "attachments", "451", "4.3.0",
			     "FailedOperation.ServiceNotAvailable MIME structure not readable");
		return RULE_ERROR;
	}
	if (m->content.attachments <= m->limits.max_attachments)
		return RULE_PASS;
	decision_ses(d, "attachments", SES_ERR_TOO_MANY_ATTACHMENTS,
		     "%d attachments, at most %lld allowed", m->content.attachments,
		     m->limits.max_attachments);
	return RULE_MATCH;
}

const struct rule rule_attachments = {
	.name = "attachments",
	.stages = RULE_STAGE_EOM,
	.check = attachments_check,
};
