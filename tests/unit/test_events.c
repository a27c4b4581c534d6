/*
 * test_events - unit tests for policy/events/events.c: the JSON form carries
 * every field of the callback contract under its name, hostile strings
 * (quotes, control bytes, invalid UTF-8) still give valid JSON, eight
 * threads appending at once never interleave lines, the reader resumes
 * from an offset, leaves a line being written for later and recovers
 * the event after a line cut short, and the signature is HMAC-SHA256
 * over "TIMESTAMP.BODY".
 *
 * Diagnostics: a failing case prints "got X, want Y".
 */
#include "autoconf.h"

#include <jansson.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "events.h"
#include "testutil.h"

#define THREADS 8
#define PER_THREAD 500

static struct event sample(void)
{
	struct event ev;

	memset(&ev, 0, sizeof ev);
	ev.type = EVENT_REJECTED;
	ev.account = "acme";
	ev.email = "rcpt@example.net";
	ev.message_id = "4AbCdE";
	ev.timestamp = 1700000000;
	ev.reason = "550 5.7.1 FailedOperation.HighRejectionRate";
	ev.bounce = EVENT_BOUNCE_HARD;
	ev.from = "news@example.com";
	ev.from_domain = "example.com";
	ev.template_id = "7";
	ev.subject = "Hello";
	event_new_id(&ev);
	return ev;
}

/* Parses json, failing the test unless it is an object.  Caller decrefs. */
static json_t *parse(const char *json)
{
	json_error_t jerr;
	json_t *v = json_loads(json, JSON_REJECT_DUPLICATES, &jerr);

	if (v == NULL || !json_is_object(v))
		fail_msg("got invalid JSON (%s) for %s, want an object", jerr.text, json);
	return v;
}

static void expect_str(json_t *obj, const char *key, const char *want)
{
	const char *got = json_string_value(json_object_get(obj, key));

	if (got == NULL || strcmp(got, want) != 0)
		fail_msg("%s: got \"%s\", want \"%s\"", key, got ? got : "(missing)", want);
}

static void json_has_every_contract_field(void **state)
{
	struct event ev = sample();
	struct strbuf sb = STRBUF_INIT;
	json_t *v;

	event_to_json(&ev, &sb);
	v = parse(strbuf_cstr(&sb));
	expect_str(v, "event", "rejected");
	expect_str(v, "email", "rcpt@example.net");
	expect_str(v, "bulkId", "4AbCdE");
	expect_str(v, "messageId", "4AbCdE");
	expect_str(v, "reason", "550 5.7.1 FailedOperation.HighRejectionRate");
	expect_str(v, "bounceType", "hard_bounce");
	expect_str(v, "from", "news@example.com");
	expect_str(v, "fromDomain", "example.com");
	expect_str(v, "templateId", "7");
	expect_str(v, "subject", "Hello");
	expect_str(v, "eventid", ev.eventid);
	expect_str(v, "account", "acme");
	assert_true(json_is_integer(json_object_get(v, "timestamp")));
	assert_int_equal(json_integer_value(json_object_get(v, "timestamp")), 1700000000);
	assert_int_equal(json_object_size(v), 13);
	if (strncmp(strbuf_cstr(&sb), "{\"event\":", 9) != 0)
		fail_msg("got %.20s..., want the line to start with {\"event\":", strbuf_cstr(&sb));
	json_decref(v);
	strbuf_free(&sb);
}

static void unknown_fields_are_empty_strings(void **state)
{
	struct event ev;
	struct strbuf sb = STRBUF_INIT;
	json_t *v;

	memset(&ev, 0, sizeof ev);
	ev.type = EVENT_ACCEPTED;
	event_new_id(&ev);
	event_to_json(&ev, &sb);
	v = parse(strbuf_cstr(&sb));
	expect_str(v, "event", "accepted");
	expect_str(v, "email", "");
	expect_str(v, "bounceType", "");
	expect_str(v, "templateId", "");
	json_decref(v);
	strbuf_free(&sb);
}

static void event_ids_are_32_hex_digits_and_differ(void **state)
{
	struct event a = sample(), b = sample();

	assert_int_equal(strlen(a.eventid), EVENT_ID_LEN);
	assert_int_equal(strspn(a.eventid, "0123456789abcdef"), EVENT_ID_LEN);
	if (strcmp(a.eventid, b.eventid) == 0)
		fail_msg("got the same eventid %s twice, want unique ones", a.eventid);
}

static void type_names_round_trip(void **state)
{
	static const char *const want[] = { "accepted", "rejected", "deferred", "delivered", "bounce",
					    "spamreport", "unsubscribe", "open", "click" };
	enum event_type t;
	unsigned i;

	for (i = 0; i < EVENT_NTYPES; i++) {
		assert_string_equal(event_type_name((enum event_type)i), want[i]);
		assert_int_equal(event_type_parse(want[i], &t), 0);
		assert_int_equal(t, i);
	}
	assert_int_equal(event_type_parse("dropped!", &t), -1);
	assert_null(event_type_name(EVENT_NTYPES));
}

static void hostile_strings_give_valid_json(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "a\"b\\c", "a\"b\\c" },
		{ "line\r\nBcc: x\t\x01\x1f", "line\r\nBcc: x\t\x01\x1f" },
		{ "caf\xc3\xa9", "caf\xc3\xa9" },
		{ "bad\xff\xfe end", "bad\xef\xbf\xbd\xef\xbf\xbd end" },
		{ "cut \xe4\xb8", "cut \xef\xbf\xbd\xef\xbf\xbd" },
		{ "overlong \xc0\xaf", "overlong \xef\xbf\xbd\xef\xbf\xbd" },
		{ "surrogate \xed\xa0\x80", "surrogate \xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd" },
		{ "4 bytes \xf0\x9f\x98\x80", "4 bytes \xf0\x9f\x98\x80" },
		{ "\x7f", "\x7f" },
	};
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct event ev = sample();
		struct strbuf sb = STRBUF_INIT;
		json_t *v;

		ev.subject = cases[i].in;
		ev.email = cases[i].in;
		event_to_json(&ev, &sb);
		if (memchr(sb.data, '\n', sb.len) != NULL)
			fail_msg("case %zu: got a newline in %s, want one line", i, strbuf_cstr(&sb));
		v = parse(strbuf_cstr(&sb));
		expect_str(v, "subject", cases[i].want);
		expect_str(v, "email", cases[i].want);
		json_decref(v);
		strbuf_free(&sb);
	}
}

struct writer {
	const char *path;
	int id;
};

static void *writer_thread(void *arg)
{
	const struct writer *w = arg;
	char email[64], pad[300];
	int i;

	memset(pad, 'x', sizeof pad - 1);
	pad[sizeof pad - 1] = '\0';
	for (i = 0; i < PER_THREAD; i++) {
		struct event ev = sample();
		struct strbuf sb = STRBUF_INIT;

		snprintf(email, sizeof email, "t%d-%d@example.net", w->id, i);
		ev.email = email;
		ev.subject = pad;
		event_to_json(&ev, &sb);
		if (events_append(w->path, sb.data, sb.len, false, NULL) != 0)
			abort();
		strbuf_free(&sb);
	}
	return NULL;
}

struct collect {
	int seen[THREADS][PER_THREAD];
	long lines;
	long stop_after;	/* 0: never */
};

static int collect_fn(void *arg, const char *json, size_t len, off_t next)
{
	struct collect *c = arg;
	json_t *v;
	int t, i;

	if (c->stop_after > 0 && c->lines == c->stop_after)
		return 1;
	v = json_loadb(json, len, 0, NULL);
	if (v == NULL || sscanf(json_string_value(json_object_get(v, "email")), "t%d-%d@", &t, &i) != 2 ||
	    t < 0 || t >= THREADS || i < 0 || i >= PER_THREAD)
		fail_msg("got line %.*s, want one of a writer's events", (int)len, json);
	c->seen[t][i]++;
	c->lines++;
	json_decref(v);
	return 0;
}

static void eight_threads_append_without_interleaving(void **state)
{
	char *dir = testutil_tmpdir(), *path = testutil_path(dir, "events.log");
	struct writer w[THREADS];
	pthread_t tid[THREADS];
	struct collect *c = calloc(1, sizeof *c);
	struct strbuf err = STRBUF_INIT;
	off_t off = 0;
	int t, i;

	for (t = 0; t < THREADS; t++) {
		w[t].path = path;
		w[t].id = t;
		pthread_create(&tid[t], NULL, writer_thread, &w[t]);
	}
	for (t = 0; t < THREADS; t++)
		pthread_join(tid[t], NULL);
	assert_int_equal(events_read(path, &off, 0, collect_fn, c, &err), THREADS * PER_THREAD);
	if (err.len > 0)
		fail_msg("got diagnostics \"%s\", want none", strbuf_cstr(&err));
	for (t = 0; t < THREADS; t++)
		for (i = 0; i < PER_THREAD; i++)
			if (c->seen[t][i] != 1)
				fail_msg("event t%d-%d: got %d copies, want 1", t, i, c->seen[t][i]);
	strbuf_free(&err);
	free(c);
	free(path);
	testutil_rmtree_free(dir);
}

static void append_line(const char *path, int t, int i)
{
	struct event ev = sample();
	struct strbuf sb = STRBUF_INIT;
	char email[64];

	snprintf(email, sizeof email, "t%d-%d@example.net", t, i);
	ev.email = email;
	event_to_json(&ev, &sb);
	assert_int_equal(events_append(path, sb.data, sb.len, true, NULL), 0);
	strbuf_free(&sb);
}

static void reader_resumes_from_offset_and_honours_max(void **state)
{
	char *dir = testutil_tmpdir(), *path = testutil_path(dir, "events.log");
	struct collect *c = calloc(1, sizeof *c);
	off_t off = 0, mid;
	int i;

	for (i = 0; i < 5; i++)
		append_line(path, 0, i);
	assert_int_equal(events_read(path, &off, 2, collect_fn, c, NULL), 2);
	mid = off;
	assert_int_equal(events_read(path, &off, 0, collect_fn, c, NULL), 3);
	assert_true(off > mid);
	assert_int_equal(events_read(path, &off, 0, collect_fn, c, NULL), 0);
	append_line(path, 0, 5);
	assert_int_equal(events_read(path, &off, 0, collect_fn, c, NULL), 1);
	for (i = 0; i < 6; i++)
		assert_int_equal(c->seen[0][i], 1);
	/* fn stopping leaves the offset before the line it refused */
	off = 0;
	memset(c, 0, sizeof *c);
	c->stop_after = 3;
	assert_int_equal(events_read(path, &off, 0, collect_fn, c, NULL), 3);
	assert_int_equal(events_read(path, &off, 0, collect_fn, c, NULL), 0);
	free(c);
	free(path);
	testutil_rmtree_free(dir);
}

static void reader_leaves_unfinished_line_and_recovers_cut_line(void **state)
{
	char *dir = testutil_tmpdir(), *path = testutil_path(dir, "events.log");
	struct collect *c = calloc(1, sizeof *c);
	struct strbuf err = STRBUF_INIT;
	off_t off = 0;
	FILE *fp;

	append_line(path, 1, 0);
	fp = fopen(path, "a");
	fputs("{\"event\":\"accepted\",\"email\":\"cut", fp); /* a crash mid-write */
	fclose(fp);
	assert_int_equal(events_read(path, &off, 0, collect_fn, c, &err), 1);
	assert_int_equal(err.len, 0);
	append_line(path, 1, 1); /* lands on the same line */
	fp = fopen(path, "a");
	fputs("not json at all\n", fp);
	fclose(fp);
	append_line(path, 1, 2);
	assert_int_equal(events_read(path, &off, 0, collect_fn, c, &err), 2);
	assert_int_equal(c->seen[1][0], 1);
	assert_int_equal(c->seen[1][1], 1);
	assert_int_equal(c->seen[1][2], 1);
	if (strstr(strbuf_cstr(&err), "the start of a line cut short (32 bytes) skipped") == NULL ||
	    strstr(strbuf_cstr(&err), "malformed event line (15 bytes) skipped") == NULL)
		fail_msg("got diagnostics \"%s\", want the cut line and the malformed one",
			 strbuf_cstr(&err));
	strbuf_free(&err);
	free(c);
	free(path);
	testutil_rmtree_free(dir);
}

static void missing_log_reads_as_empty(void **state)
{
	off_t off = 0;

	assert_int_equal(events_read("/nonexistent/events.log", &off, 0, collect_fn, NULL, NULL), 0);
	assert_int_equal(off, 0);
}

static void signature_is_hmac_sha256_of_timestamp_dot_body(void **state)
{
	char sig[65];

	/* python3 -c 'import hmac,hashlib;print(hmac.new(b"s3cret",b"1700000000.{}",hashlib.sha256).hexdigest())' */
	events_sign("s3cret", 1700000000, "{}", 2, sig);
	assert_string_equal(sig, "97926816e98fbb41ccb1673225ff29a2f35369099990e1b1561651e7bd097ebf");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(json_has_every_contract_field),
		cmocka_unit_test(unknown_fields_are_empty_strings),
		cmocka_unit_test(event_ids_are_32_hex_digits_and_differ),
		cmocka_unit_test(type_names_round_trip),
		cmocka_unit_test(hostile_strings_give_valid_json),
		cmocka_unit_test(eight_threads_append_without_interleaving),
		cmocka_unit_test(reader_resumes_from_offset_and_honours_max),
		cmocka_unit_test(reader_leaves_unfinished_line_and_recovers_cut_line),
		cmocka_unit_test(missing_log_reads_as_empty),
		cmocka_unit_test(signature_is_hmac_sha256_of_timestamp_dot_body),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
