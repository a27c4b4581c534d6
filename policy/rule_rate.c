/*
 * rule_rate - RCPT: at most MaxSendsPerSecond recipients accepted per
 * account in one second (SPEC section 3, default 20).
 *
 * How: a counter "rt:ACCOUNT:SECOND" incremented atomically (it lives two
 * seconds).  A value over the limit is taken back at once and refused;
 * since every over-limit increment is undone, no second ever holds more
 * than the limit, however many gateways count.
 *
 * Refusal: 451 4.7.1 RequestLimitExceeded; a store error is a rule error.
 */
#include "autoconf.h"

#include <inttypes.h>
#include <stdio.h>

#include "engine.h"
#include "rule.h"

static enum rule_result rate_check(struct policy_msg *m, const struct rule_event *ev,
				   struct policy_decision *d)
{
	const struct store *st = policy_msg_store(m);
	struct strbuf key = STRBUF_INIT;
	char second[24];
	const char *parts[3] = { m->account->name, second, NULL };
	uint64_t value = 0;

	snprintf(second, sizeof second, "%" PRId64, policy_msg_now_us(m) / 1000000);
	store_key(&key, "rt", parts);
	if (store_incr(st, strbuf_cstr(&key), 1, 1, 2, &value) != STORE_OK) {
		strbuf_free(&key);
		decision_ses(d, "rate", SES_ERR_SERVICE_UNAVAILABLE, "rate count failed");
		return RULE_ERROR;
	}
	if (value <= (uint64_t)m->limits.sends_per_second) {
		policy_msg_reserve(m, POLICY_RESV_COUNTER, strbuf_cstr(&key));
		strbuf_free(&key);
		return RULE_PASS;
	}
	store_decr(st, strbuf_cstr(&key), 1, NULL);
	strbuf_free(&key);
	decision_ses(d, "rate", SES_ERR_REQUEST_LIMIT, "at most %lld recipients per second",
		     m->limits.sends_per_second);
	return RULE_MATCH;
}

const struct rule rule_rate = {
	.name = "rate",
	.stages = RULE_STAGE_RCPT,
	.check = rate_check,
};
