/*
 * test_cbqueue - unit tests for policy/events/cbqueue.c: the backoff doubles from
 * 10 s to at most an hour, a failed URL waits (and so do URLs with
 * deliveries queued) while others do not, success ends the backoff, and
 * the saved queue loads back in order, skipping a malformed line.
 *
 * Diagnostics: a failing case prints "got X, want Y".
 */
#include "autoconf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cbqueue.h"
#include "testutil.h"

static void backoff_doubles_from_10s_to_one_hour(void **state)
{
	static const struct {
		unsigned fails;
		long want;
	} cases[] = { { 1, 10 }, { 2, 20 }, { 3, 40 }, { 9, 2560 }, { 10, 3600 }, { 50, 3600 } };
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
		if (cbqueue_backoff(cases[i].fails) != cases[i].want)
			fail_msg("after %u failures: got %lds, want %lds", cases[i].fails,
				 cbqueue_backoff(cases[i].fails), cases[i].want);
}

static void failed_url_waits_and_others_do_not(void **state)
{
	struct cbqueue q = CBQUEUE_INIT;

	assert_false(cbqueue_url_waits(&q, "https://a.example/", 1000));
	assert_int_equal(cbqueue_url_failed(&q, "https://a.example/", 1000), 10);
	assert_true(cbqueue_url_waits(&q, "https://a.example/", 1005));
	assert_false(cbqueue_url_due(&q, "https://a.example/", 1009));
	assert_true(cbqueue_url_due(&q, "https://a.example/", 1010));
	assert_false(cbqueue_url_waits(&q, "https://b.example/", 1005));
	assert_int_equal(cbqueue_url_failed(&q, "https://a.example/", 1010), 20);
	/* deliveries queued make a due URL wait too: order is kept */
	cbqueue_add(&q, "https://b.example/", "acme", "{}", 1000, 1);
	assert_true(cbqueue_url_waits(&q, "https://b.example/", 1005));
	cbqueue_url_ok(&q, "https://a.example/");
	assert_false(cbqueue_url_waits(&q, "https://a.example/", 1010));
	cbqueue_remove(&q, 0);
	assert_false(cbqueue_url_waits(&q, "https://b.example/", 1005));
	cbqueue_free(&q);
}

static void saved_queue_loads_back_in_order(void **state)
{
	char *dir = testutil_tmpdir(), *path = testutil_path(dir, "events.log.retry");
	struct cbqueue q = CBQUEUE_INIT, back = CBQUEUE_INIT;
	struct strbuf err = STRBUF_INIT;
	FILE *fp;

	cbqueue_add(&q, "https://a.example/x", "acme", "{\"event\":\"accepted\",\"subject\":\"q\\\"\"}", 100, 3);
	cbqueue_add(&q, "https://b.example/y", "other", "{\"event\":\"rejected\"}", 200, 0);
	assert_true(q.dirty);
	assert_int_equal(cbqueue_save(&q, path, &err), 0);
	assert_false(q.dirty);
	fp = fopen(path, "a");
	fputs("garbage\n", fp);
	fclose(fp);
	assert_int_equal(cbqueue_load(&back, path, &err), 2);
	if (strstr(strbuf_cstr(&err), "events.log.retry:3: malformed queue line skipped") == NULL)
		fail_msg("got diagnostics \"%s\", want line 3 reported", strbuf_cstr(&err));
	assert_string_equal(back.v[0].url, "https://a.example/x");
	assert_string_equal(back.v[0].account, "acme");
	assert_string_equal(back.v[0].json, "{\"event\":\"accepted\",\"subject\":\"q\\\"\"}");
	assert_int_equal(back.v[0].first, 100);
	assert_int_equal(back.v[0].attempts, 3);
	assert_string_equal(back.v[1].url, "https://b.example/y");
	strbuf_reset(&err);
	assert_int_equal(cbqueue_load(&q, "/nonexistent/retry", &err), 0);
	cbqueue_free(&q);
	cbqueue_free(&back);
	strbuf_free(&err);
	free(path);
	testutil_rmtree_free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(backoff_doubles_from_10s_to_one_hour),
		cmocka_unit_test(failed_url_waits_and_others_do_not),
		cmocka_unit_test(saved_queue_loads_back_in_order),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
