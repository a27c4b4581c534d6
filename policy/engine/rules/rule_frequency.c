/*
 * rule_frequency - RCPT: at most RecipientHourlyLimit sends from one
 * account to one recipient in any rolling 60 minutes (SPEC section 3,
 * default 10), exact across threads, processes and gateways.
 *
 * How: the limit is a row of slots "fq:ACCOUNT:RCPT:I" in memcached.  A
 * send takes a free slot with an atomic add that stores its time in
 * microseconds and lives 3601 seconds; a slot whose stored time is 60
 * minutes old or more is free again and is taken with compare-and-swap
 * (memcached expires items on whole seconds, the stored time makes the
 * window exact).  When every slot is taken, the send is refused.  The
 * slot is a reservation: given back if the message does not go through.
 *
 * The first FREQUENCY_WINDOW slots are read with the recipient's other
 * keys in one multi-get (prefetch.h), so the common case is one write: an
 * add on the first slot seen free, or a compare-and-swap on the first seen
 * expired, planned after the multi-get and sent with the recipient's other
 * writes.  Only when every slot of that window is taken are the rest read,
 * with a second multi-get before the write: a recipient sent to often costs
 * one round trip more, and a recipient's first sends do not cost a
 * thousand keys when the limit is a thousand.  The
 * answers are hints: a slot seen taken is skipped (it can only free up
 * within the milliseconds since, so the window is at worst that much
 * stricter), and a write that loses a race falls back to the walk above
 * from that slot on, which decides on what the store holds now.
 *
 * Refusal: 450 4.7.1 FailedOperation.FrequencyLimit; a store error is a
 * rule error (OnFailure).
 */
#include "autoconf.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy_msg.h"
#include "prefetch.h"
#include "rule.h"

#define FREQUENCY_WINDOW_S 3600
/* Slots read with the recipient's other keys; the rest when all are taken. */
#define FREQUENCY_WINDOW 16

/* Tries to take slot key; true when taken, *err on a store failure. */
static bool frequency_take(const struct store *st, const char *key, const char *stamp,
			   int64_t now_us, bool *err)
{
	struct strbuf old = STRBUF_INIT;
	enum store_result r;
	uint64_t cas = 0;
	int tries;

	for (tries = 0; tries < 3; tries++) {
		r = store_add(st, key, stamp, strlen(stamp), FREQUENCY_WINDOW_S + 1);
		if (r != STORE_EXISTS)
			break;
		strbuf_reset(&old);
		r = store_gets(st, key, &old, &cas);
		if (r == STORE_NOT_FOUND)
			continue;	/* expired meanwhile: add again */
		if (r != STORE_OK)
			break;
		if (strtoll(strbuf_cstr(&old), NULL, 10) > now_us - (int64_t)FREQUENCY_WINDOW_S * 1000000) {
			r = STORE_EXISTS;	/* taken within the window */
			break;
		}
		r = store_cas(st, key, stamp, strlen(stamp), FREQUENCY_WINDOW_S + 1, cas);
		if (r != STORE_EXISTS && r != STORE_NOT_FOUND)
			break;
	}
	strbuf_free(&old);
	*err = r == STORE_ERROR;
	return r == STORE_OK;
}

enum frequency_seen {
	FREQUENCY_TAKEN,	/* the slot is ours */
	FREQUENCY_BUSY,		/* taken within the window when prefetched */
	FREQUENCY_UNSURE,	/* no answer, or a race: walk the slot */
	FREQUENCY_FAILED,	/* the store did not answer the write */
};

/* True when the prefetch saw slot seen taken within the window. */
static bool frequency_busy(const struct store_mget_item *seen, int64_t now_us)
{
	return seen->result == STORE_OK &&
	       strtoll(strbuf_cstr(seen->val), NULL, 10) > now_us - (int64_t)FREQUENCY_WINDOW_S * 1000000;
}

/*
 * Tries to take slot key as the prefetch saw it (seen may be NULL): with
 * the answer of the write planned for it (frequency_reserve), else a
 * write of its own.
 */
static enum frequency_seen frequency_take_seen(struct policy_msg *m, const char *key,
					       const struct store_mget_item *seen,
					       const char *stamp, int64_t now_us)
{
	const struct store *st = policy_msg_store(m);
	const struct store_write_item *w;
	enum store_result r;

	if (seen == NULL || seen->result == STORE_ERROR)
		return FREQUENCY_UNSURE;
	if (frequency_busy(seen, now_us))
		return FREQUENCY_BUSY;
	if ((w = prefetch_written(m->prefetch, key)) != NULL)
		r = w->result;
	else if (seen->result == STORE_NOT_FOUND)
		r = store_add(st, key, stamp, strlen(stamp), FREQUENCY_WINDOW_S + 1);
	else
		r = store_cas(st, key, stamp, strlen(stamp), FREQUENCY_WINDOW_S + 1, seen->cas);
	if (r == STORE_OK)
		return FREQUENCY_TAKEN;
	return r == STORE_ERROR ? FREQUENCY_FAILED : FREQUENCY_UNSURE;
}

/* Slot i's key: "fq:ACCOUNT:RCPT:I". */
static void frequency_key(const struct policy_msg *m, const struct rule_event *ev, long long i,
			  struct strbuf *key)
{
	char slot[24];
	const char *parts[4] = { m->account->name, ev->rcpt_norm, slot, NULL };

	snprintf(slot, sizeof slot, "%lld", i);
	store_key(key, "fq", parts);
}

/* The slots read with the recipient's other keys: the first window. */
static long long frequency_window(const struct policy_msg *m)
{
	long long limit = m->limits.recipient_hourly_limit;

	return limit < FREQUENCY_WINDOW ? limit : FREQUENCY_WINDOW;
}

/* Adds the keys of slots [from, to) to p. */
static void frequency_add_slots(struct policy_msg *m, const struct rule_event *ev,
				struct prefetch *p, long long from, long long to)
{
	struct strbuf key = STRBUF_INIT;
	long long i;

	for (i = from; i < to; i++) {
		frequency_key(m, ev, i, &key);
		prefetch_add(p, strbuf_cstr(&key), false);
	}
	strbuf_free(&key);
}

static void frequency_prefetch(struct policy_msg *m, const struct rule_event *ev,
			       struct prefetch *p)
{
	frequency_add_slots(m, ev, p, 0, frequency_window(m));
}

enum frequency_plan {
	FREQUENCY_PLANNED,	/* a write is planned for the first slot seen free */
	FREQUENCY_ALL_BUSY,	/* every slot of the range was seen taken */
	FREQUENCY_NO_PLAN,	/* a slot has no answer: the check walks it */
};

/* Plans the write of the first slot in [from, to) the prefetch saw free. */
static enum frequency_plan frequency_plan_range(struct policy_msg *m, const struct rule_event *ev,
						struct prefetch *p, long long from, long long to)
{
	int64_t now_us = policy_msg_now_us(m);
	struct strbuf key = STRBUF_INIT;
	const struct store_mget_item *seen;
	struct store_write_item w = { .ttl = FREQUENCY_WINDOW_S + 1 };
	enum frequency_plan plan = FREQUENCY_ALL_BUSY;
	char stamp[32];
	long long i;

	snprintf(stamp, sizeof stamp, "%" PRId64, now_us);
	for (i = from; i < to; i++) {
		frequency_key(m, ev, i, &key);
		seen = prefetch_find(p, strbuf_cstr(&key));
		if (seen == NULL || seen->result == STORE_ERROR) {
			plan = FREQUENCY_NO_PLAN;
			break;
		}
		if (frequency_busy(seen, now_us))
			continue;
		w.op = seen->result == STORE_NOT_FOUND ? STORE_W_ADD : STORE_W_CAS;
		w.cas = seen->cas;
		w.key = strbuf_cstr(&key);
		w.val = stamp;
		w.len = strlen(stamp);
		prefetch_write(p, &w);
		plan = FREQUENCY_PLANNED;
		break;
	}
	strbuf_free(&key);
	return plan;
}

/*
 * Plans the write of the first slot the prefetch saw free or expired: the
 * one frequency_check will try first.  When the first window is all
 * taken, the rest of the slots are read first (one more multi-get).  None
 * when the prefetch has no answer for a slot before it (the check walks
 * it) or saw every slot taken (the check refuses).
 */
static void frequency_reserve(struct policy_msg *m, const struct rule_event *ev,
			      struct prefetch *p)
{
	long long window = frequency_window(m), limit = m->limits.recipient_hourly_limit;

	if (frequency_plan_range(m, ev, p, 0, window) != FREQUENCY_ALL_BUSY || limit <= window)
		return;
	frequency_add_slots(m, ev, p, window, limit);
	prefetch_run(p, policy_msg_store(m));
	frequency_plan_range(m, ev, p, window, limit);
}

static enum rule_result frequency_check(struct policy_msg *m, const struct rule_event *ev,
					struct policy_decision *d)
{
	const struct store *st = policy_msg_store(m);
	int64_t now_us = policy_msg_now_us(m);
	struct strbuf key = STRBUF_INIT;
	char stamp[32];
	enum frequency_seen seen;
	long long i;
	bool err = false, taken;

	snprintf(stamp, sizeof stamp, "%" PRId64, now_us);
	for (i = 0; i < m->limits.recipient_hourly_limit && !err; i++) {
		frequency_key(m, ev, i, &key);
		seen = frequency_take_seen(m, strbuf_cstr(&key),
					   prefetch_find(m->prefetch, strbuf_cstr(&key)), stamp, now_us);
		err = seen == FREQUENCY_FAILED;
		taken = seen == FREQUENCY_TAKEN;
		if (seen == FREQUENCY_UNSURE)
			taken = frequency_take(st, strbuf_cstr(&key), stamp, now_us, &err);
		if (taken) {
			policy_msg_reserve(m, POLICY_RESV_SLOT, strbuf_cstr(&key));
			strbuf_free(&key);
			return RULE_PASS;
		}
	}
	strbuf_free(&key);
	if (err) {
		decision_ses(d, "frequency", SES_ERR_SERVICE_UNAVAILABLE, "frequency count failed");
		return RULE_ERROR;
	}
	decision_ses(d, "frequency", SES_ERR_FREQUENCY_LIMIT,
		     "at most %lld messages to %s in 60 minutes", m->limits.recipient_hourly_limit,
		     ev->rcpt_norm);
	return RULE_MATCH;
}

const struct rule rule_frequency = {
	.name = "frequency",
	.stages = RULE_STAGE_RCPT,
	.check = frequency_check,
	.prefetch = frequency_prefetch,
	.reserve = frequency_reserve,
};
