/*
 * test_stats - unit tests for policy/store/stats.c on the in-memory store: keys
 * and their encoding, UTC day boundaries, increments adding up, absent
 * counters reading as 0, the 400-day lifetime, the event types counted,
 * and a store that is down; through the engine (rulefix): a message's
 * accepted and refused recipients counted, and a store that refuses the
 * counters leaving the message's outcome alone.
 *
 * Diagnostics: a failing case prints "got X, want Y".
 */
#include "autoconf.h"

#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mime_count.h"
#include "rulefix.h"
#include "stats.h"
#include "store_mem.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* 2024-05-01 00:00:00 UTC */
#define MAY1 1714521600LL

/* Fails unless the counter of kind for domain on day has value want. */
static void expect_count(const struct store *s, const char *domain, const char *day,
			 enum stats_kind kind, uint64_t want)
{
	uint64_t got[STATS_NKINDS];
	enum store_result r = stats_get_day(s, domain, day, got);

	if (r != STORE_OK)
		fail_msg("get %s %s: got %s, want ok", domain, day, store_result_name(r));
	if (got[kind] != want)
		fail_msg("%s %s %s: got %" PRIu64 ", want %" PRIu64, domain, day,
			 stats_kind_name(kind), got[kind], want);
}

static void key_names_domain_day_and_kind(void **state)
{
	static const struct {
		const char *domain, *day;
		enum stats_kind kind;
		const char *want;
	} cases[] = {
		{ "example.com", "20240501", STATS_ACCEPTED, "st:example.com:20240501:accepted" },
		{ "Example.COM", "20240501", STATS_REQUESTS, "st:example.com:20240501:requests" },
		{ "a b:c", "20240501", STATS_BOUNCED, "st:a%20b%3Ac:20240501:bounced" },
		{ "x.test", "20241231", STATS_UNSUBSCRIBED, "st:x.test:20241231:unsubscribed" },
	};
	struct strbuf key = STRBUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		stats_key(&key, cases[i].domain, cases[i].day, cases[i].kind);
		if (strcmp(strbuf_cstr(&key), cases[i].want) != 0)
			fail_msg("case %zu: got %s, want %s", i, strbuf_cstr(&key), cases[i].want);
	}
	strbuf_free(&key);
}

static void huge_domain_key_stays_within_250_bytes(void **state)
{
	char dom[1200];
	struct strbuf key = STRBUF_INIT;

	(void)state;
	memset(dom, 'a', sizeof dom - 1);
	dom[sizeof dom - 1] = '\0';
	stats_key(&key, dom, "20240501", STATS_ACCEPTED);
	if (key.len > STORE_KEY_MAX)
		fail_msg("got a key of %zu bytes, want at most %d", key.len, STORE_KEY_MAX);
	strbuf_free(&key);
}

static void day_is_utc_at_both_edges(void **state)
{
	static const struct {
		int64_t t;
		const char *want;
	} cases[] = {
		{ MAY1 - 1, "20240430" }, { MAY1, "20240501" }, { MAY1 + 86399, "20240501" },
		{ MAY1 + 86400, "20240502" }, { 0, "19700101" },
	};
	char day[STATS_DAY_LEN];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		stats_day(cases[i].t, day);
		if (strcmp(day, cases[i].want) != 0)
			fail_msg("t=%" PRId64 ": got %s, want %s", cases[i].t, day, cases[i].want);
	}
}

static void increments_add_up_per_domain_day_and_kind(void **state)
{
	struct store s;

	(void)state;
	store_mem_open(&s);
	assert_int_equal(stats_add(&s, "example.com", MAY1 + 10, STATS_ACCEPTED, 3), STORE_OK);
	assert_int_equal(stats_add(&s, "EXAMPLE.com", MAY1 + 86399, STATS_ACCEPTED, 2), STORE_OK);
	assert_int_equal(stats_add(&s, "example.com", MAY1 + 86400, STATS_ACCEPTED, 7), STORE_OK);
	assert_int_equal(stats_add(&s, "other.test", MAY1, STATS_ACCEPTED, 1), STORE_OK);
	assert_int_equal(stats_add(&s, "example.com", MAY1, STATS_BOUNCED, 1), STORE_OK);
	expect_count(&s, "example.com", "20240501", STATS_ACCEPTED, 5);
	expect_count(&s, "example.com", "20240502", STATS_ACCEPTED, 7);
	expect_count(&s, "other.test", "20240501", STATS_ACCEPTED, 1);
	expect_count(&s, "example.com", "20240501", STATS_BOUNCED, 1);
	expect_count(&s, "example.com", "20240501", STATS_DELIVERED, 0);
	expect_count(&s, "nobody.test", "20240501", STATS_REQUESTS, 0);
	store_free(&s);
}

static void zero_or_empty_domain_writes_nothing(void **state)
{
	struct store s;

	(void)state;
	store_mem_open(&s);
	assert_int_equal(stats_add(&s, "example.com", MAY1, STATS_ACCEPTED, 0), STORE_OK);
	assert_int_equal(stats_add(&s, "", MAY1, STATS_ACCEPTED, 1), STORE_OK);
	assert_int_equal(stats_add(&s, NULL, MAY1, STATS_ACCEPTED, 1), STORE_OK);
	if (store_mem_count(&s) != 0)
		fail_msg("got %zu entries, want 0", store_mem_count(&s));
	store_free(&s);
}

static void counter_lives_about_400_days(void **state)
{
	struct store s;

	(void)state;
	store_mem_open(&s);
	store_mem_set_time(&s, (time_t)MAY1);
	assert_int_equal(stats_add(&s, "example.com", MAY1, STATS_DELIVERED, 4), STORE_OK);
	store_mem_set_time(&s, (time_t)(MAY1 + 399LL * 86400));
	expect_count(&s, "example.com", "20240501", STATS_DELIVERED, 4);
	store_mem_set_time(&s, (time_t)(MAY1 + 401LL * 86400));
	expect_count(&s, "example.com", "20240501", STATS_DELIVERED, 0);
	store_free(&s);
}

static void store_down_is_reported_not_fatal(void **state)
{
	uint64_t got[STATS_NKINDS];
	struct store s;

	(void)state;
	store_mem_open(&s);
	store_mem_set_down(&s, true);
	assert_int_equal(stats_add(&s, "example.com", MAY1, STATS_ACCEPTED, 1), STORE_ERROR);
	assert_int_equal(stats_get_day(&s, "example.com", "20240501", got), STORE_ERROR);
	store_mem_set_down(&s, false);
	expect_count(&s, "example.com", "20240501", STATS_ACCEPTED, 0);
	store_free(&s);
}

static void batch_adds_each_kind_and_leaves_zeros_out(void **state)
{
	static const enum stats_kind kinds[] = { STATS_REQUESTS, STATS_ACCEPTED, STATS_REJECTED };
	const uint64_t ns[] = { 3, 2, 0 }, more[] = { 1, 0, 1 };
	struct store s;

	(void)state;
	store_mem_open(&s);
	assert_int_equal(stats_add_batch(&s, "Example.com", MAY1, kinds, ns, 3), STORE_OK);
	assert_int_equal(store_mem_count(&s), 2);
	assert_int_equal(stats_add_batch(&s, "example.com", MAY1 + 5, kinds, more, 3), STORE_OK);
	expect_count(&s, "example.com", "20240501", STATS_REQUESTS, 4);
	expect_count(&s, "example.com", "20240501", STATS_ACCEPTED, 2);
	expect_count(&s, "example.com", "20240501", STATS_REJECTED, 1);
	assert_int_equal(stats_add_batch(&s, "", MAY1, kinds, ns, 3), STORE_OK);
	assert_int_equal(stats_add_batch(&s, NULL, MAY1, kinds, ns, 3), STORE_OK);
	assert_int_equal(store_mem_count(&s), 3);
	store_mem_set_down(&s, true);
	assert_int_equal(stats_add_batch(&s, "example.com", MAY1, kinds, ns, 3), STORE_ERROR);
	store_mem_set_down(&s, false);
	expect_count(&s, "example.com", "20240501", STATS_REQUESTS, 4);
	store_free(&s);
}

static void events_count_as_their_kind(void **state)
{
	static const struct {
		enum event_type type;
		int want;
	} cases[] = {
		{ EVENT_ACCEPTED, STATS_ACCEPTED },	  { EVENT_REJECTED, STATS_REJECTED },
		{ EVENT_DELIVERED, STATS_DELIVERED },	  { EVENT_BOUNCE, STATS_BOUNCED },
		{ EVENT_UNSUBSCRIBE, STATS_UNSUBSCRIBED }, { EVENT_OPEN, STATS_OPENED },
		{ EVENT_CLICK, STATS_CLICKED },		  { EVENT_DEFERRED, -1 },
		{ EVENT_SPAMREPORT, -1 },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		int got = stats_kind_of_event(cases[i].type);

		if (got != cases[i].want)
			fail_msg("%s: got %d, want %d", event_type_name(cases[i].type), got,
				 cases[i].want);
	}
	assert_null(stats_kind_name(STATS_NKINDS));
}

/* ---- through the engine ------------------------------------------------------ */

/* The UTC day the fixture's clock is on. */
static void fx_day(char day[STATS_DAY_LEN])
{
	stats_day(fx_time_us / 1000000, day);
}

/* One message: user@example.net accepted, a second recipient over the limit. */
static enum policy_action send_two_one_refused(struct fixture *f)
{
	fx_start(f);
	f->msg->limits.max_recipients = 1;
	expect_action(policy_rcpt(f->msg, "<second@example.net>", &f->d), POLICY_TEMPFAIL);
	expect_action(fx_headers(f, "Subject", "hello", NULL), POLICY_CONTINUE);
	return fx_eom(f);
}

static void message_counts_accepted_and_refused_recipients(void **state)
{
	struct fixture *f = *state;
	char day[STATS_DAY_LEN];

	expect_action(send_two_one_refused(f), POLICY_ACCEPT);
	fx_day(day);
	expect_count(&f->snap->store, "example.com", day, STATS_REQUESTS, 2);
	expect_count(&f->snap->store, "example.com", day, STATS_ACCEPTED, 1);
	expect_count(&f->snap->store, "example.com", day, STATS_REJECTED, 1);
	expect_count(&f->snap->store, "example.com", day, STATS_DELIVERED, 0);
}

/* A store that passes everything to an inner one but fails on "st:" keys. */
struct flaky {
	struct store inner;
};

static enum store_result flaky_get(void *be, const char *key, struct strbuf *val)
{
	struct flaky *fl = be;

	return strncmp(key, "st:", 3) == 0 ? STORE_ERROR : store_get(&fl->inner, key, val);
}

static enum store_result flaky_add(void *be, const char *key, const void *val, size_t len,
				   uint32_t ttl)
{
	return store_add(&((struct flaky *)be)->inner, key, val, len, ttl);
}

static enum store_result flaky_set(void *be, const char *key, const void *val, size_t len,
				   uint32_t ttl)
{
	return store_set(&((struct flaky *)be)->inner, key, val, len, ttl);
}

static enum store_result flaky_del(void *be, const char *key)
{
	return store_del(&((struct flaky *)be)->inner, key);
}

static enum store_result flaky_incr(void *be, const char *key, uint64_t delta, uint64_t initial,
				    uint32_t ttl, uint64_t *value)
{
	struct flaky *fl = be;

	if (strncmp(key, "st:", 3) == 0)
		return STORE_ERROR;
	return store_incr(&fl->inner, key, delta, initial, ttl, value);
}

static enum store_result flaky_decr(void *be, const char *key, uint64_t delta, uint64_t *value)
{
	return store_decr(&((struct flaky *)be)->inner, key, delta, value);
}

static enum store_result flaky_gets(void *be, const char *key, struct strbuf *val, uint64_t *cas)
{
	return store_gets(&((struct flaky *)be)->inner, key, val, cas);
}

static enum store_result flaky_cas(void *be, const char *key, const void *val, size_t len,
				   uint32_t ttl, uint64_t cas)
{
	return store_cas(&((struct flaky *)be)->inner, key, val, len, ttl, cas);
}

static enum store_result flaky_epoch(void *be, struct strbuf *out)
{
	return store_epoch(&((struct flaky *)be)->inner, out);
}

static void flaky_free(void *be)
{
	struct flaky *fl = be;

	store_free(&fl->inner);
	free(fl);
}

static const struct store_ops flaky_ops = {
	"flaky",  flaky_get, flaky_add,	 flaky_set,   flaky_del, flaky_incr,
	flaky_decr, flaky_gets, flaky_cas, flaky_epoch, flaky_free, NULL, NULL, NULL, NULL,
};

static void counters_failing_leave_the_outcome_alone(void **state)
{
	struct fixture *f = *state;
	struct flaky *fl = calloc(1, sizeof *fl);

	assert_non_null(fl);
	fl->inner = f->snap->store;
	f->snap->store.ops = &flaky_ops;
	f->snap->store.be = fl;
	expect_action(send_two_one_refused(f), POLICY_ACCEPT);
	assert_int_equal(f->msg->env.nrcpts, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(key_names_domain_day_and_kind),
		cmocka_unit_test(huge_domain_key_stays_within_250_bytes),
		cmocka_unit_test(day_is_utc_at_both_edges),
		cmocka_unit_test(increments_add_up_per_domain_day_and_kind),
		cmocka_unit_test(zero_or_empty_domain_writes_nothing),
		cmocka_unit_test(counter_lives_about_400_days),
		cmocka_unit_test(store_down_is_reported_not_fatal),
		cmocka_unit_test(batch_adds_each_kind_and_leaves_zeros_out),
		cmocka_unit_test(events_count_as_their_kind),
		cmocka_unit_test_setup_teardown(message_counts_accepted_and_refused_recipients,
						fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(counters_failing_leave_the_outcome_alone, fx_setup,
						fx_teardown),
	};

	mime_count_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
