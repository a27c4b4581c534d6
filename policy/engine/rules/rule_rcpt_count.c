/*
 * rule_rcpt_count - RCPT: at most MaxRecipients accepted recipients per
 * message (SPEC section 3, default 50).
 *
 * Refusal over SMTP: 452 4.5.3 FailedOperation.TooManyRecipients, which
 * tells the client to send the rest in another transaction (RFC 5321
 * section 4.5.3.1.10).  A locally submitted message cannot be split that
 * way, so there the refusal is permanent: 550 5.5.3, and the recipients
 * that count are those that will be in the message when it is retried:
 * the accepted ones and the ones refused for now (a rate, say).
 */
#include "autoconf.h"

#include "policy_msg.h"
#include "rule.h"

static enum rule_result rcpt_count_check(struct policy_msg *m, const struct rule_event *ev,
					 struct policy_decision *d)
{
	const struct ses_error_def *e = ses_error_def(SES_ERR_TOO_MANY_RECIPIENTS);
	size_t n = m->env.naccepted, i;

	(void)ev;
	if (m->conn->local)
		for (i = 0; i + 1 < m->env.nrcpts; i++)	/* the last one is being checked */
			n += m->env.rcpts[i].refused && m->env.rcpts[i].why.action == POLICY_TEMPFAIL;
	if (n < (size_t)m->limits.max_recipients)
		return RULE_PASS;
	if (m->conn->local)
		decision_set(d, POLICY_REJECT, "rcpt_count", "550", "5.5.3",
			     "%s more than %lld recipients", e->name, m->limits.max_recipients);
	else
		decision_ses(d, "rcpt_count", SES_ERR_TOO_MANY_RECIPIENTS,
			     "at most %lld recipients per message", m->limits.max_recipients);
	return RULE_MATCH;
}

const struct rule rule_rcpt_count = {
	.name = "rcpt_count",
	.stages = RULE_STAGE_RCPT,
	.refuses_message = true,	/* 550 5.5.3: deleting the extra ones would drop them */
	.check = rcpt_count_check,
};
