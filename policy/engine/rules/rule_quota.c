/*
 * rule_quota - RCPT: at most the daily quota of recipients per account
 * and UTC day (SPEC section 3): DailyQuota, or by reputation level
 * 1..20 (500 at level 1, the warm-up start, up to 1,000,000).
 *
 * How: a counter "dq:ACCOUNT:YYYYMMDD" incremented atomically; a value
 * over the quota is taken back at once.  The counter survives a restart
 * of its memcached server (store_tally.h: restored before the server's
 * restore mark is set; until then the rule errs).  The increment is planned
 * after the prefetch and sent with the recipient's other writes
 * (prefetch.h).  Over quota, OverQuota decides:
 * tempfail, or accept the recipient and put the message on hold (it is
 * released the next day, see sesctl(8) quota release).
 *
 * Refusal: 451 4.7.1 FailedOperation.ExceedSendLimit; a store error is a
 * rule error.
 */
#include "autoconf.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "policy_msg.h"
#include "prefetch.h"
#include "rule.h"
#include "store_tally.h"

#define QUOTA_TTL (2 * 86400)	/* the day counter outlives its UTC day */

static const long long quota_by_level[20] = {
	500, 1000, 2000, 5000, 10000, 20000, 40000, 60000, 80000, 100000,
	150000, 200000, 300000, 400000, 500000, 600000, 700000, 800000, 900000, 1000000,
};

long long rule_quota_for(const struct account *a)
{
	long long level = a->level < 1 ? 1 : a->level > 20 ? 20 : a->level;

	return a->limits.daily_quota > 0 ? a->limits.daily_quota : quota_by_level[level - 1];
}

static enum rule_result quota_over(struct policy_msg *m, long long quota,
				   struct policy_decision *d)
{
	if (m->conn->snap->conf->over_quota == CONFIG_QUOTA_HOLD) {
		decision_plain(d, POLICY_HOLD, "quota");
		snprintf(d->text, sizeof d->text, "FailedOperation.ExceedSendLimit daily quota "
			 "of %lld reached; held for the next day", quota);
		return RULE_MATCH;
	}
	decision_ses(d, "quota", SES_ERR_EXCEED_SEND_LIMIT, "daily quota of %lld reached", quota);
	return RULE_MATCH;
}

/* The day counter's key: "dq:ACCOUNT:YYYYMMDD" (UTC). */
static void quota_key(const struct policy_msg *m, struct strbuf *key)
{
	time_t now = (time_t)(policy_msg_now_us(m) / 1000000);
	char day[16];
	const char *parts[3] = { m->account->name, day, NULL };
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(day, sizeof day, "%Y%m%d", &tm);
	store_key(key, "dq", parts);
}

/*
 * Plans the increment, guarded: store_mwrite reads the counter's restore
 * mark after it in the same request and takes it back when the server
 * is not restored (store_tally.h).
 */
static void quota_reserve(struct policy_msg *m, const struct rule_event *ev, struct prefetch *p)
{
	struct strbuf key = STRBUF_INIT;
	struct store_write_item w = { .op = STORE_W_INCR, .delta = 1, .initial = 1,
				      .ttl = QUOTA_TTL, .guarded = true };

	(void)ev;
	quota_key(m, &key);
	w.key = strbuf_cstr(&key);
	prefetch_write(p, &w);
	strbuf_free(&key);
}

/* Counts the recipient: the planned increment's answer, else an increment of its own. */
static enum store_result quota_count(struct policy_msg *m, const char *key, uint64_t *value)
{
	const struct store_write_item *w = prefetch_written(m->prefetch, key);

	if (w == NULL)
		return store_count(policy_msg_store(m), key, 1, 1, QUOTA_TTL, value);
	*value = w->value;
	if (w->result == STORE_OK)
		store_tally_note(key, w->value);
	return w->result;
}

static enum rule_result quota_check(struct policy_msg *m, const struct rule_event *ev,
				    struct policy_decision *d)
{
	const struct store *st = policy_msg_store(m);
	long long quota = rule_quota_for(m->account);
	struct strbuf key = STRBUF_INIT;
	uint64_t value = 0;

	quota_key(m, &key);
	if (quota_count(m, strbuf_cstr(&key), &value) != STORE_OK) {
		strbuf_free(&key);
		decision_ses(d, "quota", SES_ERR_SERVICE_UNAVAILABLE, "quota count failed");
		return RULE_ERROR;
	}
	if (value <= (uint64_t)quota) {
		policy_msg_reserve(m, POLICY_RESV_COUNTER, strbuf_cstr(&key));
		strbuf_free(&key);
		return RULE_PASS;
	}
	store_decr(st, strbuf_cstr(&key), 1, NULL);
	strbuf_free(&key);
	return quota_over(m, quota, d);
}

const struct rule rule_quota = {
	.name = "quota",
	.stages = RULE_STAGE_RCPT,
	.check = quota_check,
	.reserve = quota_reserve,
};
