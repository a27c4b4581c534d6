/*
 * test_limits - the shared-state rules through the engine with an
 * in-memory store: blocklist, unsubscribes, suppressions, shared
 * suspension, the rolling hourly cap per recipient, the per-second rate,
 * the daily quota (tempfail and hold), giving counts back, and what a
 * store failure does.
 */
#include "autoconf.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "entries.h"
#include "mime_count.h"
#include "prefetch.h"
#include "rule.h"
#include "rulefix.h"
#include "store_mem.h"

#define SECOND_US 1000000LL

/* Writes a present (or removed) entry stamped now by the fixture clock. */
static void put_entry(struct fixture *f, enum entry_kind kind, const char *scope,
		      const char *addr, bool present)
{
	struct entry_id id = { kind, scope, addr };
	struct entry_record rec = { present, fx_time_us, 0, "test" };

	fx_time_us += 1;	/* later writes win */
	assert_int_equal(entry_put(&f->snap->store, &id, &rec), STORE_OK);
}

/* One whole message to rcpt; returns the RCPT action (EOM when it passes). */
static enum policy_action send_one(struct fixture *f, const char *rcpt)
{
	enum policy_action a;

	policy_msg_free(f->msg);
	f->msg = policy_msg_new(f->conn);
	expect_action(policy_mail(f->msg, "<news@example.com>", NULL, &f->d), POLICY_CONTINUE);
	a = policy_rcpt(f->msg, rcpt, &f->d);
	if (a != POLICY_CONTINUE)
		return a;
	expect_action(fx_headers(f, "Subject", "hello", NULL), POLICY_CONTINUE);
	return fx_eom(f);
}

/* ---- entries ----------------------------------------------------------------- */

static void blocklisted_recipient_is_refused_whatever_its_case(void **state)
{
	struct fixture *f = *state;

	put_entry(f, ENTRY_BLOCKLIST, "", "bounced@example.net", true);
	expect_action(send_one(f, "<Bounced@EXAMPLE.net>"), POLICY_REJECT);
	expect_reply(&f->d, "550", "5.7.1", "FailedOperation.EmailAddrInBlacklist");
	expect_action(send_one(f, "<other@example.net>"), POLICY_ACCEPT);
}

static void removed_blocklist_entry_no_longer_refuses(void **state)
{
	struct fixture *f = *state;

	put_entry(f, ENTRY_BLOCKLIST, "", "bounced@example.net", true);
	put_entry(f, ENTRY_BLOCKLIST, "", "bounced@example.net", false);
	expect_action(send_one(f, "<bounced@example.net>"), POLICY_ACCEPT);
}

static void unsubscribed_recipient_is_refused_for_that_domain_only(void **state)
{
	struct fixture *f = *state;

	put_entry(f, ENTRY_UNSUBSCRIBE, "example.com", "reader@example.net", true);
	expect_action(send_one(f, "<reader@example.net>"), POLICY_REJECT);
	expect_reply(&f->d, "550", "5.7.1", "FailedOperation.ReceiverHasUnsubscribed");
	put_entry(f, ENTRY_UNSUBSCRIBE, "example.com", "reader@example.net", false);
	put_entry(f, ENTRY_UNSUBSCRIBE, "other.example", "reader@example.net", true);
	expect_action(send_one(f, "<reader@example.net>"), POLICY_ACCEPT);
}

static void suppressed_recipient_is_refused_for_that_account_only(void **state)
{
	struct fixture *f = *state;

	put_entry(f, ENTRY_SUPPRESSION, "acme", "angry@example.net", true);
	expect_action(send_one(f, "<angry@example.net>"), POLICY_REJECT);
	expect_reply(&f->d, "550", "5.7.1", "FailedOperation.EmailAddrInSuppressionList");
	put_entry(f, ENTRY_SUPPRESSION, "acme", "angry@example.net", false);
	put_entry(f, ENTRY_SUPPRESSION, "sleepy", "angry@example.net", true);
	expect_action(send_one(f, "<angry@example.net>"), POLICY_ACCEPT);
}

static void shared_suspension_refuses_at_mail(void **state)
{
	struct fixture *f = *state;

	put_entry(f, ENTRY_SUSPENSION, "acme", "", true);
	expect_action(policy_mail(f->msg, "<news@example.com>", NULL, &f->d), POLICY_REJECT);
	expect_reply(&f->d, "550", "5.7.1", "FailedOperation.HighRejectionRate");
}

/* ---- the rolling hourly cap ---------------------------------------------------- */

static void eleventh_send_within_hour_is_refused(void **state)
{
	struct fixture *f = *state;
	int i;

	for (i = 0; i < 10; i++) {
		expect_action(send_one(f, "<fan@example.net>"), POLICY_ACCEPT);
		fx_time_us += 60 * SECOND_US;
	}
	expect_action(send_one(f, "<fan@example.net>"), POLICY_TEMPFAIL);
	expect_reply(&f->d, "450", "4.7.1", "FailedOperation.FrequencyLimit");
	expect_action(send_one(f, "<someone.else@example.net>"), POLICY_ACCEPT);
}

static void send_is_allowed_again_exactly_60_minutes_after_the_oldest(void **state)
{
	struct fixture *f = *state;
	int64_t first = fx_time_us;
	int i;

	for (i = 0; i < 10; i++) {
		expect_action(send_one(f, "<fan@example.net>"), POLICY_ACCEPT);
		fx_time_us += SECOND_US;
	}
	fx_time_us = first + 3600 * SECOND_US - 1;
	expect_action(send_one(f, "<fan@example.net>"), POLICY_TEMPFAIL);
	fx_time_us = first + 3600 * SECOND_US;
	expect_action(send_one(f, "<fan@example.net>"), POLICY_ACCEPT);
	expect_action(send_one(f, "<fan@example.net>"), POLICY_TEMPFAIL);
}

/* RCPT TO fan@example.net, as the race cases give it to the frequency rule. */
static const struct rule_event fan_rcpt = { .stage = RULE_STAGE_RCPT, .rcpt = "<fan@example.net>",
					    .rcpt_norm = "fan@example.net" };

/* Writes the key of fan@example.net's frequency slot (account acme) to key. */
static void fan_slot_key(struct strbuf *key, int slot)
{
	const char *parts[4] = { "acme", "fan@example.net", NULL, NULL };
	char num[4];

	snprintf(num, sizeof num, "%d", slot);
	parts[2] = num;
	store_key(key, "fq", parts);
}

/* Another gateway takes fan@example.net's frequency slots 0 to n - 1. */
static void fan_slots_taken_elsewhere(struct fixture *f, int n)
{
	struct strbuf key = STRBUF_INIT;
	char stamp[32];
	int i;

	snprintf(stamp, sizeof stamp, "%lld", (long long)fx_time_us);
	for (i = 0; i < n; i++) {
		fan_slot_key(&key, i);
		assert_int_equal(store_add(&f->snap->store, strbuf_cstr(&key), stamp, strlen(stamp), 3601),
				 STORE_OK);
	}
	strbuf_free(&key);
}

/* Asserts that fan@example.net's frequency slot is held in the store. */
static void assert_fan_slot_held(struct fixture *f, int slot)
{
	struct strbuf key = STRBUF_INIT, val = STRBUF_INIT;

	fan_slot_key(&key, slot);
	assert_int_equal(store_get(&f->snap->store, strbuf_cstr(&key), &val), STORE_OK);
	strbuf_free(&key);
	strbuf_free(&val);
}

/* MAIL from news@example.com, then the frequency rule's prefetch for fan run into p. */
static void fan_prefetched(struct fixture *f, struct prefetch *p)
{
	expect_action(policy_mail(f->msg, "<news@example.com>", NULL, &f->d), POLICY_CONTINUE);
	rule_frequency.prefetch(f->msg, &fan_rcpt, p);
	prefetch_run(p, &f->snap->store);
}

/*
 * The prefetch saw every slot free; another gateway took slots 0 and 1 since.
 * The add on slot 0 loses the race and the walk takes slot 2.
 */
static void slot_taken_after_the_prefetch_sends_the_rule_walking(void **state)
{
	struct fixture *f = *state;
	struct prefetch p = PREFETCH_INIT;

	fan_prefetched(f, &p);
	fan_slots_taken_elsewhere(f, 2);
	f->msg->prefetch = &p;
	assert_int_equal(rule_frequency.check(f->msg, &fan_rcpt, &f->d), RULE_PASS);
	f->msg->prefetch = NULL;
	assert_fan_slot_held(f, 2);
	prefetch_free(&p);
}

/*
 * The same race with the slot's write planned after the prefetch (as the
 * engine runs it): the planned add on slot 0 loses, the walk takes slot 2
 * and nothing is left to give back.
 */
static void planned_slot_lost_to_a_race_walks_on(void **state)
{
	struct fixture *f = *state;
	struct prefetch p = PREFETCH_INIT;

	fan_prefetched(f, &p);
	f->msg->prefetch = &p;
	rule_frequency.reserve(f->msg, &fan_rcpt, &p);
	assert_int_equal(p.nw, 1);
	fan_slots_taken_elsewhere(f, 2);
	assert_int_equal(rule_frequency.check(f->msg, &fan_rcpt, &f->d), RULE_PASS);
	assert_true(p.written);
	prefetch_settle(&p);
	f->msg->prefetch = NULL;
	assert_fan_slot_held(f, 2);
	assert_int_equal(store_mem_count(&f->snap->store), 3);	/* slots 0-2, nothing else */
	prefetch_free(&p);
}

static void aborted_transactions_give_the_count_back(void **state)
{
	struct fixture *f = *state;
	int i;

	for (i = 0; i < 15; i++) {
		policy_msg_free(f->msg);
		f->msg = policy_msg_new(f->conn);
		expect_action(policy_mail(f->msg, "<news@example.com>", NULL, &f->d), POLICY_CONTINUE);
		expect_action(policy_rcpt(f->msg, "<fan@example.net>", &f->d), POLICY_CONTINUE);
		policy_msg_abort(f->msg);
		fx_time_us += SECOND_US;
	}
	for (i = 0; i < 10; i++) {
		expect_action(send_one(f, "<fan@example.net>"), POLICY_ACCEPT);
		fx_time_us += SECOND_US;
	}
}

static void message_refused_after_rcpt_gives_the_count_back(void **state)
{
	struct fixture *f = *state;
	int i;

	for (i = 0; i < 12; i++) {
		policy_msg_free(f->msg);
		f->msg = policy_msg_new(f->conn);
		expect_action(policy_mail(f->msg, "<news@example.com>", NULL, &f->d), POLICY_CONTINUE);
		expect_action(policy_rcpt(f->msg, "<fan@example.net>", &f->d), POLICY_CONTINUE);
		expect_action(fx_headers(f, "Subject", "", NULL), POLICY_REJECT);
		fx_time_us += SECOND_US;
	}
	for (i = 0; i < 10; i++) {
		expect_action(send_one(f, "<fan@example.net>"), POLICY_ACCEPT);
		fx_time_us += SECOND_US;
	}
}

static void connection_closed_mid_transaction_gives_the_count_back(void **state)
{
	struct fixture *f = *state;
	int i;

	for (i = 0; i < 12; i++) {
		policy_msg_free(f->msg);
		f->msg = policy_msg_new(f->conn);
		expect_action(policy_mail(f->msg, "<news@example.com>", NULL, &f->d), POLICY_CONTINUE);
		expect_action(policy_rcpt(f->msg, "<fan@example.net>", &f->d), POLICY_CONTINUE);
		/* close without abort or end: the adapter ends it so */
		policy_msg_abort(f->msg);
		policy_msg_free(f->msg);
		f->msg = NULL;
	}
	for (i = 0; i < 10; i++)
		expect_action(send_one(f, "<fan@example.net>"), POLICY_ACCEPT);
}

/* ---- rate and quota -------------------------------------------------------------- */

static void twenty_first_recipient_in_one_second_is_refused(void **state)
{
	struct fixture *f = *state;
	char rcpt[64];
	int i;

	fx_time_us = (fx_time_us / SECOND_US) * SECOND_US;	/* start of a second */
	for (i = 0; i < 20; i++) {
		snprintf(rcpt, sizeof rcpt, "<r%d@example.net>", i);
		expect_action(send_one(f, rcpt), POLICY_ACCEPT);
	}
	expect_action(send_one(f, "<r20@example.net>"), POLICY_TEMPFAIL);
	expect_reply(&f->d, "451", "4.7.1", "RequestLimitExceeded");
	fx_time_us += SECOND_US;
	expect_action(send_one(f, "<r20@example.net>"), POLICY_ACCEPT);
}

static void refusal_by_a_later_rule_gives_back_earlier_counts(void **state)
{
	struct fixture *f = *state;
	int i;

	f->snap->accounts->accounts[0]->limits.sends_per_second = 1;
	fx_time_us = (fx_time_us / SECOND_US) * SECOND_US;
	expect_action(send_one(f, "<a@example.net>"), POLICY_ACCEPT);
	for (i = 0; i < 12; i++)	/* each takes then returns a frequency slot */
		expect_action(send_one(f, "<b@example.net>"), POLICY_TEMPFAIL);
	f->snap->accounts->accounts[0]->limits.sends_per_second = 20;
	for (i = 0; i < 10; i++)
		expect_action(send_one(f, "<b@example.net>"), POLICY_ACCEPT);
}

/*
 * The day counter's increment is sent with the rate's: a recipient the
 * rate refuses gives it back, so refusals use up no quota.
 */
static void rate_refusal_gives_back_the_quota_increment_sent_with_it(void **state)
{
	struct fixture *f = *state;
	char rcpt[64];
	int i;

	f->snap->accounts->accounts[0]->limits.sends_per_second = 1;
	f->snap->accounts->accounts[0]->limits.daily_quota = 2;
	fx_time_us = 1795305600LL * SECOND_US + 10 * SECOND_US;
	expect_action(send_one(f, "<q0@example.net>"), POLICY_ACCEPT);
	for (i = 1; i <= 5; i++) {
		snprintf(rcpt, sizeof rcpt, "<q%d@example.net>", i);
		expect_action(send_one(f, rcpt), POLICY_TEMPFAIL);
		expect_reply(&f->d, "451", "4.7.1", "RequestLimitExceeded");
	}
	fx_time_us += SECOND_US;
	expect_action(send_one(f, "<q6@example.net>"), POLICY_ACCEPT);
	fx_time_us += SECOND_US;
	expect_action(send_one(f, "<q7@example.net>"), POLICY_TEMPFAIL);
	expect_reply(&f->d, "451", "4.7.1", "FailedOperation.ExceedSendLimit");
}

static void daily_quota_refuses_the_next_recipient_until_the_next_day(void **state)
{
	struct fixture *f = *state;
	char rcpt[64];
	int i;

	f->snap->accounts->accounts[0]->limits.daily_quota = 3;
	fx_time_us = 1795305600LL * SECOND_US;	/* 00:00 UTC */
	for (i = 0; i < 3; i++) {
		snprintf(rcpt, sizeof rcpt, "<q%d@example.net>", i);
		expect_action(send_one(f, rcpt), POLICY_ACCEPT);
		fx_time_us += SECOND_US;
	}
	expect_action(send_one(f, "<q3@example.net>"), POLICY_TEMPFAIL);
	expect_reply(&f->d, "451", "4.7.1", "FailedOperation.ExceedSendLimit");
	fx_time_us += 86400 * SECOND_US;
	expect_action(send_one(f, "<q3@example.net>"), POLICY_ACCEPT);
}

static void over_quota_with_hold_accepts_and_holds(void **state)
{
	struct fixture *f = *state;

	f->snap->accounts->accounts[0]->limits.daily_quota = 1;
	f->snap->conf->over_quota = CONFIG_QUOTA_HOLD;
	expect_action(send_one(f, "<h0@example.net>"), POLICY_ACCEPT);
	expect_action(send_one(f, "<h1@example.net>"), POLICY_HOLD);
	assert_non_null(strstr(f->d.text, "ExceedSendLimit"));
}

static void quota_follows_reputation_level(void **state)
{
	struct account a;

	(void)state;
	memset(&a, 0, sizeof a);
	a.level = 1;
	assert_int_equal(rule_quota_for(&a), 500);
	a.level = 10;
	assert_int_equal(rule_quota_for(&a), 100000);
	a.level = 20;
	assert_int_equal(rule_quota_for(&a), 1000000);
	a.limits.daily_quota = 7;
	assert_int_equal(rule_quota_for(&a), 7);
}

/* ---- round trips ---------------------------------------------------------------- */

/* A store that counts the requests made to the fixture's store behind it. */
static struct store counted;
static unsigned counted_reads, counted_writes;
static size_t counted_keys;	/* keys asked for by the multi-gets */

static enum store_result cnt_get(void *be, const char *k, struct strbuf *v)
{
	counted_reads++;
	return counted.ops->get(counted.be, k, v);
}

static enum store_result cnt_gets(void *be, const char *k, struct strbuf *v, uint64_t *cas)
{
	counted_reads++;
	return counted.ops->gets(counted.be, k, v, cas);
}

static enum store_result cnt_get_guarded(void *be, const char *k, const char *g,
					 struct strbuf *v, bool *restored)
{
	counted_reads++;
	return counted.ops->get_guarded(counted.be, k, g, v, restored);
}

static enum store_result cnt_mget(void *be, struct store_mget_item *items, size_t n,
				  const char *g)
{
	counted_reads++;
	counted_keys += n;
	return counted.ops->mget(counted.be, items, n, g);
}

static enum store_result cnt_add(void *be, const char *k, const void *v, size_t l, uint32_t t)
{
	counted_writes++;
	return counted.ops->add(counted.be, k, v, l, t);
}

static enum store_result cnt_set(void *be, const char *k, const void *v, size_t l, uint32_t t)
{
	counted_writes++;
	return counted.ops->set(counted.be, k, v, l, t);
}

static enum store_result cnt_cas(void *be, const char *k, const void *v, size_t l, uint32_t t,
				 uint64_t cas)
{
	counted_writes++;
	return counted.ops->cas(counted.be, k, v, l, t, cas);
}

static enum store_result cnt_del(void *be, const char *k)
{
	counted_writes++;
	return counted.ops->del(counted.be, k);
}

static enum store_result cnt_incr(void *be, const char *k, uint64_t d, uint64_t i, uint32_t t,
				  uint64_t *v)
{
	counted_writes++;
	return counted.ops->incr(counted.be, k, d, i, t, v);
}

static enum store_result cnt_decr(void *be, const char *k, uint64_t d, uint64_t *v)
{
	counted_writes++;
	return counted.ops->decr(counted.be, k, d, v);
}

static enum store_result cnt_mwrite(void *be, struct store_write_item *items, size_t n,
				    const char *g)
{
	counted_writes++;
	return counted.ops->mwrite(counted.be, items, n, g);
}

static const struct store_ops counting_ops = {
	.name = "counting", .get = cnt_get, .gets = cnt_gets, .get_guarded = cnt_get_guarded,
	.mget = cnt_mget, .add = cnt_add, .set = cnt_set, .cas = cnt_cas, .del = cnt_del,
	.incr = cnt_incr, .decr = cnt_decr, .mwrite = cnt_mwrite,
};

/* RCPT TO rcpt with the store's requests counted in counted_reads and counted_writes. */
static enum policy_action counted_rcpt(struct fixture *f, const char *rcpt)
{
	enum policy_action a;

	counted = f->snap->store;
	f->snap->store.ops = &counting_ops;
	counted_reads = counted_writes = 0;
	counted_keys = 0;
	a = policy_rcpt(f->msg, rcpt, &f->d);
	f->snap->store = counted;
	return a;
}

/*
 * The lookups and the hourly slots are one multi-get; the slot, the
 * second and the day counter are one batch of writes.
 */
static void recipient_costs_one_read_and_one_write(void **state)
{
	struct fixture *f = *state;
	int i;

	for (i = 0; i < 3; i++)	/* slots 0-2 taken: skipped without a request */
		expect_action(send_one(f, "<fan@example.net>"), POLICY_ACCEPT);
	policy_msg_free(f->msg);
	f->msg = policy_msg_new(f->conn);
	expect_action(policy_mail(f->msg, "<news@example.com>", NULL, &f->d), POLICY_CONTINUE);
	expect_action(counted_rcpt(f, "<fan@example.net>"), POLICY_CONTINUE);
	assert_int_equal(counted_reads, 1);
	assert_int_equal(counted_writes, 1);
}

/*
 * With RecipientHourlyLimit 1000 a recipient's first sends read only the
 * first window of slots: one multi-get of a few keys, not a thousand.
 */
static void high_limit_reads_only_the_first_window_of_slots(void **state)
{
	struct fixture *f = *state;

	f->snap->accounts->accounts[0]->limits.recipient_hourly_limit = 1000;
	expect_action(policy_mail(f->msg, "<news@example.com>", NULL, &f->d), POLICY_CONTINUE);
	expect_action(counted_rcpt(f, "<fan@example.net>"), POLICY_CONTINUE);
	assert_int_equal(counted_reads, 1);
	assert_int_equal(counted_writes, 1);
	assert_true(counted_keys < 50);
	assert_fan_slot_held(f, 0);
}

/*
 * When every slot of the first window is taken, the rest are read with a
 * second multi-get before the one write: the 21st send takes slot 20.
 */
static void first_window_taken_reads_the_rest_then_writes_once(void **state)
{
	struct fixture *f = *state;

	f->snap->accounts->accounts[0]->limits.recipient_hourly_limit = 1000;
	fan_slots_taken_elsewhere(f, 20);
	expect_action(policy_mail(f->msg, "<news@example.com>", NULL, &f->d), POLICY_CONTINUE);
	expect_action(counted_rcpt(f, "<fan@example.net>"), POLICY_CONTINUE);
	assert_int_equal(counted_reads, 2);
	assert_int_equal(counted_writes, 1);
	assert_fan_slot_held(f, 20);
}

/* A limit just past the window: every slot taken is refused with two reads, no write. */
static void every_slot_taken_past_the_window_refuses_without_a_write(void **state)
{
	struct fixture *f = *state;

	f->snap->accounts->accounts[0]->limits.recipient_hourly_limit = 17;
	fan_slots_taken_elsewhere(f, 17);
	expect_action(policy_mail(f->msg, "<news@example.com>", NULL, &f->d), POLICY_CONTINUE);
	expect_action(counted_rcpt(f, "<fan@example.net>"), POLICY_TEMPFAIL);
	expect_reply(&f->d, "450", "4.7.1", "FailedOperation.FrequencyLimit");
	assert_int_equal(counted_reads, 2);
	assert_int_equal(counted_writes, 0);
	fx_time_us += 3600 * SECOND_US;	/* an hour on, the first slot is free again */
	policy_msg_free(f->msg);
	f->msg = policy_msg_new(f->conn);
	expect_action(policy_mail(f->msg, "<news@example.com>", NULL, &f->d), POLICY_CONTINUE);
	expect_action(counted_rcpt(f, "<fan@example.net>"), POLICY_CONTINUE);
	assert_int_equal(counted_reads, 1);
}

/* A recipient refused by a lookup sends none of the writes planned for it. */
static void refused_by_a_lookup_costs_no_write(void **state)
{
	struct fixture *f = *state;

	put_entry(f, ENTRY_BLOCKLIST, "", "bounced@example.net", true);
	expect_action(policy_mail(f->msg, "<news@example.com>", NULL, &f->d), POLICY_CONTINUE);
	expect_action(counted_rcpt(f, "<bounced@example.net>"), POLICY_REJECT);
	assert_int_equal(counted_reads, 1);
	assert_int_equal(counted_writes, 0);
}

/* ---- failures ------------------------------------------------------------------- */

static void store_down_at_rcpt_tempfails(void **state)
{
	struct fixture *f = *state;

	expect_action(policy_mail(f->msg, "<news@example.com>", NULL, &f->d), POLICY_CONTINUE);
	store_mem_set_down(&f->snap->store, true);
	expect_action(policy_rcpt(f->msg, "<x@example.net>", &f->d), POLICY_TEMPFAIL);
	expect_reply(&f->d, "451", "4.3.0", "FailedOperation.ServiceNotAvailable");
	store_mem_set_down(&f->snap->store, false);
	expect_action(policy_rcpt(f->msg, "<x@example.net>", &f->d), POLICY_CONTINUE);
}

static void store_down_with_on_failure_accept_accepts(void **state)
{
	struct fixture *f = *state;

	f->snap->conf->on_failure = CONFIG_FAIL_ACCEPT;
	store_mem_set_down(&f->snap->store, true);
	expect_action(send_one(f, "<x@example.net>"), POLICY_ACCEPT);
}

/* ---- local submission and the rate ----------------------------------------------- */

/* A local message to n recipients at the default limits; returns the EOM reply's action. */
static enum policy_action send_local(struct fixture *f, int n)
{
	char rcpt[64];
	int i;

	policy_msg_abort(f->msg);
	policy_msg_free(f->msg);
	policy_conn_free(f->conn);
	fx_connect(f, "localhost", "127.0.0.1", 0);
	expect_action(policy_mail(f->msg, "<news@example.com>", NULL, &f->d), POLICY_CONTINUE);
	for (i = 1; i <= n; i++) {
		snprintf(rcpt, sizeof rcpt, "<l%d@example.net>", i);
		expect_action(policy_rcpt(f->msg, rcpt, &f->d), POLICY_CONTINUE);
	}
	expect_action(fx_headers(f, "Subject", "local", NULL), POLICY_CONTINUE);
	return fx_eom(f);
}

static void local_message_of_21_recipients_is_accepted(void **state)
{
	struct fixture *f = *state;

	fx_time_us = (fx_time_us / SECOND_US) * SECOND_US;
	expect_action(send_local(f, 21), POLICY_ACCEPT);
}

static void local_message_of_50_recipients_borrows_and_slows_the_next(void **state)
{
	struct fixture *f = *state;
	int64_t start = (fx_time_us / SECOND_US) * SECOND_US;

	fx_time_us = start;
	expect_action(send_local(f, 50), POLICY_ACCEPT);	/* 20 + 20 + 10 */
	policy_msg_free(f->msg);
	policy_conn_free(f->conn);
	fx_connect(f, "client.example", "192.0.2.10", 40000);
	fx_time_us = start + SECOND_US;
	expect_action(send_one(f, "<next@example.net>"), POLICY_TEMPFAIL);
	expect_reply(&f->d, "451", "4.7.1", "RequestLimitExceeded");
	fx_time_us = start + 3 * SECOND_US;
	expect_action(send_one(f, "<next@example.net>"), POLICY_ACCEPT);
}

static void local_message_of_51_recipients_is_too_many_not_rate(void **state)
{
	struct fixture *f = *state;

	fx_time_us = (fx_time_us / SECOND_US) * SECOND_US;
	expect_action(send_local(f, 51), POLICY_REJECT);
	expect_reply(&f->d, "550", "5.5.3", "FailedOperation.TooManyRecipients");
}

static void local_too_many_wins_over_a_full_rate(void **state)
{
	struct fixture *f = *state;

	/* every second the message could borrow is already full */
	f->snap->accounts->accounts[0]->limits.sends_per_second = 1;
	f->snap->accounts->accounts[0]->limits.max_recipients = 3;
	fx_time_us = (fx_time_us / SECOND_US) * SECOND_US;
	expect_action(send_local(f, 3), POLICY_ACCEPT);	/* takes now .. now+2 */
	expect_action(send_local(f, 4), POLICY_REJECT);
	expect_reply(&f->d, "550", "5.5.3", "FailedOperation.TooManyRecipients");
	expect_action(send_local(f, 3), POLICY_TEMPFAIL);
	expect_reply(&f->d, "451", "4.7.1", "RequestLimitExceeded");
	fx_time_us += 3 * SECOND_US;
	expect_action(send_local(f, 3), POLICY_ACCEPT);
}

/* ---- concurrency ----------------------------------------------------------------- */

struct sender {
	struct policy_snapshot *snap;
	int accepted;
};

static void *sender_run(void *arg)
{
	struct sender *s = arg;
	struct sockaddr_in sin = fx_addr("192.0.2.20", 41000);
	struct fixture f;
	int i;

	memset(&f, 0, sizeof f);
	f.snap = s->snap;
	f.conn = policy_conn_new(s->snap, NULL, "client", (struct sockaddr *)&sin, false);
	for (i = 0; i < 5; i++) {
		f.msg = policy_msg_new(f.conn);
		if (policy_mail(f.msg, "<news@example.com>", NULL, &f.d) == POLICY_CONTINUE &&
		    policy_rcpt(f.msg, "<fan@example.net>", &f.d) == POLICY_CONTINUE &&
		    policy_header(f.msg, "Subject", "hi", &f.d) == POLICY_CONTINUE &&
		    policy_eoh(f.msg, &f.d) == POLICY_CONTINUE &&
		    policy_eom(f.msg, &f.d) == POLICY_ACCEPT &&
		    policy_finish(f.msg, true, &f.d) == POLICY_ACCEPT)
			s->accepted++;
		policy_msg_abort(f.msg);
		policy_msg_free(f.msg);
	}
	policy_conn_free(f.conn);
	return NULL;
}

static void concurrent_senders_never_exceed_the_hourly_cap(void **state)
{
	struct fixture *f = *state;
	struct sender s[8];
	pthread_t t[8];
	int i, total = 0;

	for (i = 0; i < 8; i++) {
		s[i].snap = f->snap;
		s[i].accepted = 0;
		assert_int_equal(pthread_create(&t[i], NULL, sender_run, &s[i]), 0);
	}
	for (i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		total += s[i].accepted;
	}
	if (total != 10)
		fail_msg("accepted: got %d of 40, want exactly 10", total);
}

#define T(name) cmocka_unit_test_setup_teardown(name, fx_setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(blocklisted_recipient_is_refused_whatever_its_case),
		T(removed_blocklist_entry_no_longer_refuses),
		T(unsubscribed_recipient_is_refused_for_that_domain_only),
		T(suppressed_recipient_is_refused_for_that_account_only),
		T(shared_suspension_refuses_at_mail),
		T(eleventh_send_within_hour_is_refused),
		T(send_is_allowed_again_exactly_60_minutes_after_the_oldest),
		T(slot_taken_after_the_prefetch_sends_the_rule_walking),
		T(planned_slot_lost_to_a_race_walks_on),
		T(aborted_transactions_give_the_count_back),
		T(message_refused_after_rcpt_gives_the_count_back),
		T(connection_closed_mid_transaction_gives_the_count_back),
		T(twenty_first_recipient_in_one_second_is_refused),
		T(local_message_of_21_recipients_is_accepted),
		T(local_message_of_50_recipients_borrows_and_slows_the_next),
		T(local_message_of_51_recipients_is_too_many_not_rate),
		T(local_too_many_wins_over_a_full_rate),
		T(refusal_by_a_later_rule_gives_back_earlier_counts),
		T(rate_refusal_gives_back_the_quota_increment_sent_with_it),
		T(daily_quota_refuses_the_next_recipient_until_the_next_day),
		T(over_quota_with_hold_accepts_and_holds),
		cmocka_unit_test(quota_follows_reputation_level),
		T(recipient_costs_one_read_and_one_write),
		T(high_limit_reads_only_the_first_window_of_slots),
		T(first_window_taken_reads_the_rest_then_writes_once),
		T(every_slot_taken_past_the_window_refuses_without_a_write),
		T(refused_by_a_lookup_costs_no_write),
		T(store_down_at_rcpt_tempfails),
		T(store_down_with_on_failure_accept_accepts),
		T(concurrent_senders_never_exceed_the_hourly_cap),
	};

	mime_count_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
