/*
 * rule_rate - RCPT: at most MaxSendsPerSecond recipients accepted per
 * account in one second (SPEC section 3, default 20).
 *
 * How: a counter "rt:ACCOUNT:SECOND" incremented atomically (it lives two
 * seconds past its second).  A value over the limit is taken back at once;
 * since every over-limit increment is undone, no second ever holds more
 * than the limit, however many gateways count.
 *
 * Over SMTP a recipient over the limit is refused (451 4.7.1
 * RequestLimitExceeded) and the client sends it again later.  A locally
 * submitted message cannot be split: refusing it whenever it has more
 * recipients than one second allows would make it undeliverable for
 * ever.  So a local recipient that finds its second full borrows from the
 * following ones: it is counted in the first second, up to
 * ceil(MaxRecipients / MaxSendsPerSecond) seconds ahead, that has room.
 * The burst leaves at once and the account's next recipients (SMTP or
 * local) find those seconds taken: the average rate holds, and a local
 * message of up to MaxRecipients recipients always fits when nothing else
 * is sending.  Only when every one of those seconds is full is the
 * recipient refused (the whole message deferred; a retry fits).
 *
 * The increment of the first second tried is planned after the prefetch
 * and sent with the recipient's other writes (prefetch.h).
 *
 * A store error is a rule error.
 */
#include "autoconf.h"

#include <inttypes.h>
#include <stdio.h>

#include "policy_msg.h"
#include "prefetch.h"
#include "rule.h"

/* How many seconds past the current one a local recipient may be counted in. */
static int64_t rate_lookahead(const struct policy_msg *m)
{
	long long per = m->limits.sends_per_second, max = m->limits.max_recipients;

	if (!m->conn->local || per <= 0 || max <= per)
		return 0;
	return (max + per - 1) / per;
}

/* The counter of second: "rt:ACCOUNT:SECOND". */
static void rate_key(const struct policy_msg *m, int64_t second, struct strbuf *key)
{
	char text[24];
	const char *parts[3] = { m->account->name, text, NULL };

	snprintf(text, sizeof text, "%" PRId64, second);
	store_key(key, "rt", parts);
}

/* The first second worth trying: those before the one the previous recipient took are full. */
static int64_t rate_first_ahead(const struct policy_msg *m, int64_t now)
{
	int64_t last = rate_lookahead(m);

	return m->resv.rate_second > now && m->resv.rate_second - now <= last
		       ? m->resv.rate_second - now : 0;
}

/*
 * Counts the recipient in second (now + ahead), with the answer of the
 * increment planned by rate_reserve when it is for that second: 1
 * counted, 0 that second is full, -1 store error.
 */
static int rate_take(struct policy_msg *m, int64_t now, int64_t ahead)
{
	const struct store *st = policy_msg_store(m);
	const struct store_write_item *w;
	struct strbuf key = STRBUF_INIT;
	enum store_result r;
	uint64_t value = 0;
	int rc = 1;

	rate_key(m, now + ahead, &key);
	if ((w = prefetch_written(m->prefetch, strbuf_cstr(&key))) != NULL) {
		r = w->result;
		value = w->value;
	} else {
		r = store_incr(st, strbuf_cstr(&key), 1, 1, (uint32_t)(2 + ahead), &value);
	}
	if (r != STORE_OK) {
		rc = -1;
	} else if (value <= (uint64_t)m->limits.sends_per_second) {
		policy_msg_reserve(m, POLICY_RESV_COUNTER, strbuf_cstr(&key));
	} else {
		store_decr(st, strbuf_cstr(&key), 1, NULL);
		rc = 0;
	}
	strbuf_free(&key);
	return rc;
}

/* Plans the increment of the first second rate_check will try. */
static void rate_reserve(struct policy_msg *m, const struct rule_event *ev, struct prefetch *p)
{
	int64_t now = policy_msg_now_us(m) / 1000000, ahead = rate_first_ahead(m, now);
	struct strbuf key = STRBUF_INIT;
	struct store_write_item w = { .op = STORE_W_INCR, .delta = 1, .initial = 1,
				      .ttl = (uint32_t)(2 + ahead) };

	(void)ev;
	rate_key(m, now + ahead, &key);
	w.key = strbuf_cstr(&key);
	prefetch_write(p, &w);
	strbuf_free(&key);
}

static enum rule_result rate_check(struct policy_msg *m, const struct rule_event *ev,
				   struct policy_decision *d)
{
	int64_t now = policy_msg_now_us(m) / 1000000, last = rate_lookahead(m), ahead;
	int rc = 0;

	(void)ev;
	for (ahead = rate_first_ahead(m, now); ahead <= last; ahead++) {
		rc = rate_take(m, now, ahead);
		if (rc != 0)
			break;
	}
	if (rc < 0) {
		decision_ses(d, "rate", SES_ERR_SERVICE_UNAVAILABLE, "rate count failed");
		return RULE_ERROR;
	}
	if (rc > 0) {
		m->resv.rate_second = now + ahead;
		return RULE_PASS;
	}
	decision_ses(d, "rate", SES_ERR_REQUEST_LIMIT, "at most %lld recipients per second",
		     m->limits.sends_per_second);
	return RULE_MATCH;
}

const struct rule rule_rate = {
	.name = "rate",
	.stages = RULE_STAGE_RCPT,
	.check = rate_check,
	.reserve = rate_reserve,
};
