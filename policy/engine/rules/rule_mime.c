/*
 * rule_mime - EOM: a message's MIME structure is well formed and within
 * the bounds of mime_guard.h (nesting, parts, header fields, parameters)
 * before anything parses it with GMime (attachments, templates).
 *
 * Refusal: 550 5.6.0 InvalidParameterValue.EmailContentIsWrong with the
 * reason (e.g. "Content-Type of part 1: multipart/mixed without a
 * boundary").  A malformed message fails the same way every time, so it
 * is refused, never deferred.
 */
#include "autoconf.h"

#include "policy_msg.h"
#include "rule.h"

static enum rule_result mime_check(struct policy_msg *m, const struct rule_event *ev,
				   struct policy_decision *d)
{
	if (!m->content.buffering || m->content.mime.status == MIME_GUARD_OK)
		return RULE_PASS;
	decision_ses(d, "mime", SES_ERR_EMAIL_CONTENT_WRONG, "%s %s",
		     m->content.mime.status == MIME_GUARD_TOO_COMPLEX ? "MIME structure over limits:"
							      : "malformed MIME:",
		     m->content.mime.why);
	return RULE_MATCH;
}

const struct rule rule_mime = {
	.name = "mime",
	.stages = RULE_STAGE_EOM,
	.check = mime_check,
};
