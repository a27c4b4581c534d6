/*
 * test_evstatus - unit tests for policy/events/evstatus.c fed event lines: the
 * requests of one UTC day, each DeliverStatus, final states not undone,
 * the user booleans, joins by message and by email and domain, filters,
 * and lines that are not events.
 *
 * Diagnostics: a failing case prints "got X, want Y".
 */
#include "autoconf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "evstatus.h"

#define D 1714521600LL /* 2024-05-01 00:00:00 UTC */

/* Runs both passes over lines (NULL-terminated) with filter f into s. */
static void feed(struct evstatus *s, const struct evstatus_filter *f, const char *const *lines)
{
	size_t i;

	evstatus_init(s, f);
	for (i = 0; lines[i] != NULL; i++)
		evstatus_request(s, lines[i], strlen(lines[i]));
	evstatus_index(s);
	for (i = 0; lines[i] != NULL; i++)
		evstatus_join(s, lines[i], strlen(lines[i]));
}

/* The row of email, failing the test when there is none. */
static const struct evstatus_row *row_of(const struct evstatus *s, const char *email)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (strcmp(s->rows[i].email, email) == 0)
			return &s->rows[i];
	fail_msg("got no row for %s, want one", email);
	return NULL;
}

static const char *const day_log[] = {
	"{\"event\":\"accepted\",\"email\":\"q@x.net\",\"messageId\":\"M1\",\"timestamp\":1714521610,\"fromDomain\":\"example.com\"}",
	"{\"event\":\"accepted\",\"email\":\"d@x.net\",\"messageId\":\"M1\",\"timestamp\":1714521610,\"fromDomain\":\"example.com\"}",
	"{\"event\":\"accepted\",\"email\":\"h@x.net\",\"messageId\":\"M1\",\"timestamp\":1714521610,\"fromDomain\":\"example.com\"}",
	"{\"event\":\"accepted\",\"email\":\"s@x.net\",\"messageId\":\"M1\",\"timestamp\":1714521610,\"fromDomain\":\"example.com\"}",
	"{\"event\":\"rejected\",\"email\":\"r@x.net\",\"messageId\":\"M1\",\"timestamp\":1714521610,\"reason\":\"550 5.1.1 no\"}",
	"{\"event\":\"accepted\",\"email\":\"old@x.net\",\"messageId\":\"M0\",\"timestamp\":1714521599}",
	"{\"event\":\"accepted\",\"email\":\"new@x.net\",\"messageId\":\"M3\",\"timestamp\":1714608000}",
	"{\"event\":\"delivered\",\"email\":\"D@X.NET\",\"messageId\":\"M1\",\"timestamp\":1714521660}",
	"{\"event\":\"deferred\",\"email\":\"d@x.net\",\"messageId\":\"M1\",\"timestamp\":1714521670}",
	"{\"event\":\"bounce\",\"email\":\"h@x.net\",\"messageId\":\"M1\",\"timestamp\":1714521680,\"bounceType\":\"hard_bounce\"}",
	"{\"event\":\"bounce\",\"email\":\"s@x.net\",\"messageId\":\"M1\",\"timestamp\":1714521680,\"bounceType\":\"soft_bounce\"}",
	"{\"event\":\"open\",\"email\":\"d@x.net\",\"messageId\":\"M1\",\"timestamp\":1714521690}",
	"{\"event\":\"click\",\"email\":\"d@x.net\",\"messageId\":\"M1\",\"timestamp\":1714521690}",
	"{\"event\":\"open\",\"email\":\"q@x.net\",\"messageId\":\"M1\",\"timestamp\":1714521690,\"machine\":true}",
	"{\"event\":\"click\",\"email\":\"q@x.net\",\"messageId\":\"M1\",\"timestamp\":1714521690,\"machine\":true}",
	"{\"event\":\"spamreport\",\"email\":\"d@x.net\",\"messageId\":\"M9\",\"timestamp\":1714521690}",
	"{\"event\":\"unsubscribe\",\"email\":\"q@x.net\",\"messageId\":\"\",\"timestamp\":1714521700,\"fromDomain\":\"EXAMPLE.com\"}",
	"{\"event\":\"unsubscribe\",\"email\":\"h@x.net\",\"messageId\":\"\",\"timestamp\":1714521700,\"fromDomain\":\"other.test\"}",
	"{\"event\":\"unsubscribe\",\"email\":\"s@x.net\",\"messageId\":\"\",\"timestamp\":1714521000,\"fromDomain\":\"example.com\"}",
	NULL,
};

static void each_deliver_status_from_its_events(void **state)
{
	static const struct {
		const char *email;
		int want;
	} cases[] = {
		{ "q@x.net", EVSTATUS_QUEUED },	  { "d@x.net", EVSTATUS_DELIVERED },
		{ "h@x.net", EVSTATUS_DROPPED },  { "r@x.net", EVSTATUS_REJECTED },
		{ "s@x.net", EVSTATUS_DELAYED },
	};
	struct evstatus_filter f = { D, NULL, NULL };
	struct evstatus s;
	size_t i;

	(void)state;
	feed(&s, &f, day_log);
	if (s.n != 5)
		fail_msg("got %zu rows, want 5 (the day's requests only)", s.n);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int got = row_of(&s, cases[i].email)->deliver;

		if (got != cases[i].want)
			fail_msg("%s: got %d, want %d", cases[i].email, got, cases[i].want);
	}
	assert_string_equal(row_of(&s, "r@x.net")->send_reason, "550 5.1.1 no");
	evstatus_free(&s);
}

static void booleans_and_joins(void **state)
{
	struct evstatus_filter f = { D, NULL, NULL };
	const struct evstatus_row *d, *q, *h, *sr;
	struct evstatus s;

	(void)state;
	feed(&s, &f, day_log);
	d = row_of(&s, "d@x.net");
	q = row_of(&s, "q@x.net");
	h = row_of(&s, "h@x.net");
	sr = row_of(&s, "s@x.net");
	assert_true(d->opened && d->clicked);
	assert_false(q->opened || q->clicked); /* a scanner's, not the user's */
	assert_false(d->complained); /* the complaint names another message */
	assert_true(q->unsubscribed); /* by email and domain, any case */
	assert_false(h->unsubscribed); /* another sender domain */
	assert_false(sr->unsubscribed); /* before the request */
	assert_int_equal(d->request_time, 1714521610);
	assert_int_equal(d->update_time, 1714521690);
	evstatus_free(&s);
}

static void filters_and_bad_lines(void **state)
{
	static const char *const log[] = {
		"{\"event\":\"accepted\",\"email\":\"a@x.net\",\"messageId\":\"A\",\"timestamp\":1714521610}",
		"{\"event\":\"accepted\",\"email\":\"b@x.net\",\"messageId\":\"B\",\"timestamp\":1714521610}",
		"{\"event\":\"accepted\",\"email\":\"a@x.net\",\"messageId\":\"C\",\"timestamp\":1714521610}",
		"not json", "{\"event\":\"accepted\"", "[]", "{\"event\":1,\"timestamp\":2}",
		"{\"event\":\"accepted\",\"email\":\"a@x.net\",\"timestamp\":\"x\"}",
		"{\"event\":\"future-kind\",\"timestamp\":1714521610}",
		NULL,
	};
	struct evstatus_filter f = { D, NULL, "A@X.NET" };
	struct evstatus s;

	(void)state;
	feed(&s, &f, log);
	assert_int_equal(s.n, 2);
	/* 5 bad lines, seen in each pass */
	if (s.bad_lines != 10)
		fail_msg("got %lu bad lines, want 10", s.bad_lines);
	evstatus_free(&s);
	f.message_id = "C";
	feed(&s, &f, log);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.rows[0].message_id, "C");
	evstatus_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(each_deliver_status_from_its_events),
		cmocka_unit_test(booleans_and_joins),
		cmocka_unit_test(filters_and_bad_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
