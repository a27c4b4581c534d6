/*
 * rule_subject - HEADER, EOH: the Subject is valid UTF-8 after RFC 2047
 * decoding and has SubjectMinChars..SubjectMaxChars characters (SPEC
 * section 3, default 1..998); longer than SubjectWarnChars is logged.
 * The engine decodes the first Subject header (rfc2047.c).
 *
 * Refusal: 550 5.6.0 InvalidParameterValue.SubjectLengthError, with what
 * is wrong: missing, empty, too long, not UTF-8, twice.
 */
#include "autoconf.h"

#include <strings.h>

#include "policy_msg.h"
#include "rfc2047.h"
#include "rule.h"

#define SUBJECT_RULE "subject"

/* At a Subject header: refuse a bad encoding or an over-long text early. */
static enum rule_result subject_check_header(struct policy_msg *m, struct policy_decision *d)
{
	if (m->hdrs.subjects == 2) {
		decision_ses(d, SUBJECT_RULE, SES_ERR_SUBJECT_LENGTH,
			     "more than one Subject header");
		return RULE_MATCH;
	}
	if (m->hdrs.subjects != 1)
		return RULE_PASS;
	if (m->hdrs.subject_status == RFC2047_INTERNAL) {
		decision_ses(d, SUBJECT_RULE, SES_ERR_SERVICE_UNAVAILABLE, "Subject %s",
			     rfc2047_status_text(RFC2047_INTERNAL));
		return RULE_ERROR;
	}
	if (m->hdrs.subject_status != RFC2047_OK) {
		decision_ses(d, SUBJECT_RULE, SES_ERR_SUBJECT_LENGTH, "Subject %s",
			     rfc2047_status_text((enum rfc2047_status)m->hdrs.subject_status));
		return RULE_MATCH;
	}
	if (m->hdrs.subject_chars > (size_t)m->limits.subject_max_chars) {
		decision_ses(d, SUBJECT_RULE, SES_ERR_SUBJECT_LENGTH,
			     "Subject has %zu characters, at most %lld allowed",
			     m->hdrs.subject_chars, m->limits.subject_max_chars);
		return RULE_MATCH;
	}
	return RULE_PASS;
}

/* At end of headers: a missing or too short Subject; warn when long. */
static enum rule_result subject_check_eoh(struct policy_msg *m, struct policy_decision *d)
{
	if (m->hdrs.subjects == 0 && m->limits.subject_min_chars > 0) {
		decision_ses(d, SUBJECT_RULE, SES_ERR_SUBJECT_LENGTH, "Subject is missing");
		return RULE_MATCH;
	}
	if (m->hdrs.subject_chars < (size_t)m->limits.subject_min_chars) {
		decision_ses(d, SUBJECT_RULE, SES_ERR_SUBJECT_LENGTH,
			     "Subject has %zu characters, at least %lld required",
			     m->hdrs.subject_chars, m->limits.subject_min_chars);
		return RULE_MATCH;
	}
	if (m->hdrs.subject_chars > (size_t)m->limits.subject_warn_chars)
		policy_msg_log(m, PLOG_WARNING, "Subject has %zu characters (over %lld)",
			       m->hdrs.subject_chars, m->limits.subject_warn_chars);
	return RULE_PASS;
}

static enum rule_result subject_check(struct policy_msg *m, const struct rule_event *ev,
				      struct policy_decision *d)
{
	if (ev->stage == RULE_STAGE_EOH)
		return subject_check_eoh(m, d);
	if (strcasecmp(ev->header_name, "Subject") != 0)
		return RULE_PASS;
	return subject_check_header(m, d);
}

const struct rule rule_subject = {
	.name = SUBJECT_RULE,
	.stages = RULE_STAGE_HEADER | RULE_STAGE_EOH,
	.check = subject_check,
};
