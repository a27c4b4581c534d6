/*
 * test_metrics - unit tests for policy/util/metrics.c and metrics_text.c:
 * the table fits its storage and follows the naming conventions, unknown
 * label values fall into "other" or are dropped, label values are escaped,
 * histogram buckets are cumulative and end in +Inf, _sum and _count.
 *
 * Diagnostics: a failing case prints "got X, want Y" or the text searched.
 */
#include "autoconf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "metrics.h"
#include "metrics_cells.h"

static int reset(void **state)
{
	(void)state;
	metrics_reset();
	return 0;
}

/* The rendered text of the registry (freed by the caller). */
static char *rendered(void)
{
	struct strbuf sb = STRBUF_INIT;

	metrics_render(&sb);
	return strbuf_detach(&sb);
}

static void contains(const char *text, const char *want)
{
	if (strstr(text, want) == NULL)
		fail_msg("want the line \"%s\" in the output", want);
}

static void every_metric_fits_and_is_named_by_convention(void **state)
{
	size_t id;

	(void)state;
	for (id = 0; id < METRIC__COUNT; id++) {
		const struct metric_def *d = metrics_def((enum metric_id)id);
		size_t n = metrics_label_count(&d->label[0]) * metrics_label_count(&d->label[1]) *
			   metrics_series_cells(d);
		size_t len = strlen(d->name);

		assert_non_null(d->name);
		assert_true(strncmp(d->name, "ses_milter_", 11) == 0);
		if (n > METRICS_CELLS)
			fail_msg("%s: %zu cells, want at most %d", d->name, n, METRICS_CELLS);
		if (d->type == METRIC_COUNTER)
			assert_string_equal(d->name + len - 6, "_total");
		else
			assert_true(len < 6 || strcmp(d->name + len - 6, "_total") != 0);
		if (d->type == METRIC_HISTOGRAM)
			assert_string_equal(d->name + len - 8, "_seconds");
	}
}

static void counter_counts_per_label_series(void **state)
{
	(void)state;
	metrics_inc(METRIC_DECISIONS, "blocklist", "5xx");
	metrics_inc(METRIC_DECISIONS, "blocklist", "5xx");
	metrics_inc(METRIC_DECISIONS, "rate", "4xx");
	assert_int_equal((int)metrics_value(METRIC_DECISIONS, "blocklist", "5xx"), 2);
	assert_int_equal((int)metrics_value(METRIC_DECISIONS, "rate", "4xx"), 1);
	assert_int_equal((int)metrics_value(METRIC_DECISIONS, "rate", "5xx"), 0);
}

static void unknown_value_counts_as_other_or_is_dropped(void **state)
{
	char *text;

	(void)state;
	metrics_inc(METRIC_DECISIONS, "user@example.com", "5xx");
	assert_int_equal((int)metrics_value(METRIC_DECISIONS, "other", "5xx"), 1);
	metrics_inc(METRIC_DECISIONS, "blocklist", "299");	/* class has no "other" */
	metrics_counter_inc(METRIC_API_REQUESTS, "NoSuchAction", "success");
	assert_int_equal((int)metrics_value(METRIC_API_REQUESTS, "other", "success"), 1);
	text = rendered();
	assert_null(strstr(text, "example.com"));
	assert_null(strstr(text, "299"));
	assert_null(strstr(text, "NoSuchAction"));
	free(text);
}

static void null_label_value_is_none(void **state)
{
	(void)state;
	metrics_inc(METRIC_DECISIONS, NULL, "accept");
	assert_int_equal((int)metrics_value(METRIC_DECISIONS, "none", "accept"), 1);
}

static void zero_series_are_declared(void **state)
{
	char *text = rendered();

	(void)state;
	contains(text, "# TYPE ses_milter_api_requests_total counter\n");
	contains(text, "ses_milter_api_requests_total{action=\"SendEmail\",result=\"success\"} 0\n");
	contains(text, "# TYPE ses_milter_sessions_active gauge\n");
	contains(text, "ses_milter_sessions_active 0\n");
	free(text);
}

static void gauge_holds_fractions(void **state)
{
	char *text;

	(void)state;
	metrics_set(METRIC_CALLBACK_OLDEST_AGE, NULL, NULL, 2.5);
	metrics_set(METRIC_SESSIONS_ACTIVE, NULL, NULL, 7);
	text = rendered();
	contains(text, "ses_milter_callback_queue_oldest_age_seconds 2.5\n");
	contains(text, "ses_milter_sessions_active 7\n");
	free(text);
}

static void histogram_buckets_are_cumulative_with_inf_sum_and_count(void **state)
{
	char *text;

	(void)state;
	metrics_observe(METRIC_STAGE_SECONDS, "rcpt", 0.0002);	/* le 0.00025 */
	metrics_observe(METRIC_STAGE_SECONDS, "rcpt", 0.0002);
	metrics_observe(METRIC_STAGE_SECONDS, "rcpt", 0.003);	/* le 0.005 */
	metrics_observe(METRIC_STAGE_SECONDS, "rcpt", 60);	/* +Inf only */
	text = rendered();
	contains(text, "# TYPE ses_milter_stage_duration_seconds histogram\n");
	contains(text, "ses_milter_stage_duration_seconds_bucket{stage=\"rcpt\",le=\"0.0001\"} 0\n");
	contains(text, "ses_milter_stage_duration_seconds_bucket{stage=\"rcpt\",le=\"0.00025\"} 2\n");
	contains(text, "ses_milter_stage_duration_seconds_bucket{stage=\"rcpt\",le=\"0.0025\"} 2\n");
	contains(text, "ses_milter_stage_duration_seconds_bucket{stage=\"rcpt\",le=\"0.005\"} 3\n");
	contains(text, "ses_milter_stage_duration_seconds_bucket{stage=\"rcpt\",le=\"10\"} 3\n");
	contains(text, "ses_milter_stage_duration_seconds_bucket{stage=\"rcpt\",le=\"+Inf\"} 4\n");
	contains(text, "ses_milter_stage_duration_seconds_sum{stage=\"rcpt\"} 60.0034\n");
	contains(text, "ses_milter_stage_duration_seconds_count{stage=\"rcpt\"} 4\n");
	contains(text, "ses_milter_stage_duration_seconds_count{stage=\"mail\"} 0\n");
	free(text);
}

static void observation_on_a_bound_falls_in_that_bucket(void **state)
{
	char *text;

	(void)state;
	metrics_observe(METRIC_STAGE_SECONDS, "eom", 0.001);
	text = rendered();
	contains(text, "ses_milter_stage_duration_seconds_bucket{stage=\"eom\",le=\"0.0005\"} 0\n");
	contains(text, "ses_milter_stage_duration_seconds_bucket{stage=\"eom\",le=\"0.001\"} 1\n");
	free(text);
}

static void label_values_are_escaped(void **state)
{
	struct strbuf sb = STRBUF_INIT;

	(void)state;
	metrics_escape(&sb, "a\\b\"c\nd");
	assert_string_equal(strbuf_cstr(&sb), "a\\\\b\\\"c\\nd");
	strbuf_free(&sb);
}

static void gauge_family_escapes_operator_names(void **state)
{
	static const char *const names[] = { "acme", "we\"ird\\name\n" };
	static const double nums[] = { 1, 0 };
	struct strbuf sb = STRBUF_INIT;

	(void)state;
	metrics_render_gauge_family(&sb, "ses_milter_account_suspended", "1 when suspended.",
				    "account", names, nums, 2);
	assert_string_equal(strbuf_cstr(&sb),
			    "# HELP ses_milter_account_suspended 1 when suspended.\n"
			    "# TYPE ses_milter_account_suspended gauge\n"
			    "ses_milter_account_suspended{account=\"acme\"} 1\n"
			    "ses_milter_account_suspended{account=\"we\\\"ird\\\\name\\n\"} 0\n");
	strbuf_free(&sb);
}

static void counter_set_from_elsewhere_keeps_integer(void **state)
{
	char *text;

	(void)state;
	metrics_set(METRIC_WORKER_RESTARTS, NULL, NULL, 3);
	text = rendered();
	contains(text, "ses_milter_worker_restarts_total 3\n");
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(every_metric_fits_and_is_named_by_convention, reset),
		cmocka_unit_test_setup(counter_counts_per_label_series, reset),
		cmocka_unit_test_setup(unknown_value_counts_as_other_or_is_dropped, reset),
		cmocka_unit_test_setup(null_label_value_is_none, reset),
		cmocka_unit_test_setup(zero_series_are_declared, reset),
		cmocka_unit_test_setup(gauge_holds_fractions, reset),
		cmocka_unit_test_setup(histogram_buckets_are_cumulative_with_inf_sum_and_count, reset),
		cmocka_unit_test_setup(observation_on_a_bound_falls_in_that_bucket, reset),
		cmocka_unit_test_setup(label_values_are_escaped, reset),
		cmocka_unit_test_setup(gauge_family_escapes_operator_names, reset),
		cmocka_unit_test_setup(counter_set_from_elsewhere_keeps_integer, reset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
