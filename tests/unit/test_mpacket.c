/*
 * test_mpacket - unit tests for milter/mpacket.c (macro packets cut to
 * whole name/value pairs) and milter/ratelog.c (one log line per interval).
 *
 * Diagnostics: a failing case prints "got X, want Y".
 */
#include "autoconf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

#include <cmocka.h>

#include "mpacket.h"
#include "ratelog.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct macro_row {
	const char *name;
	const char *data;
	size_t len, want;
};

/* sizeof of a literal counts its final NUL: the length libmilter sees. */
#define ROW(n, lit, w) { n, lit, sizeof(lit) - 1, w }
static const struct macro_row macro_rows[] = {
	ROW("even_count_kept_whole", "Ci\0Q1\0j\0mx\0", 11),
	ROW("odd_count_loses_last_name", "Ci\0Q1\0j\0", 6),
	ROW("single_name_leaves_stage_only", "Cj\0", 1),
	ROW("bytes_after_last_nul_dropped", "Ci\0Q1\0tail", 6),
	ROW("stage_only_kept", "C", 1),
	ROW("empty_stays_empty", "", 0),
	ROW("three_nuls_in_a_row_cut_to_two", "C\0\0\0", 3),
};

static void macro_row_test(void **state)
{
	const struct macro_row *r = *state;
	size_t got = mpacket_macro_safe_len(r->data, r->len);

	if (got != r->want)
		fail_msg("%s: got length %zu, want %zu", r->name, got, r->want);
}

static void ratelog_one_line_per_interval_with_count(void **state)
{
	struct ratelog r = RATELOG_INIT(60);
	unsigned long held = 99;
	int lines = 0, i;

	(void)state;
	for (i = 0; i < 50; i++)
		lines += ratelog_allow(&r, 1000 + i, &held);
	if (lines != 1)
		fail_msg("got %d lines for 50 events within 60 s, want 1", lines);
	if (!ratelog_allow(&r, 1060, &held) || held != 49)
		fail_msg("got held %lu at the next interval, want a line with 49", held);
}

int main(void)
{
	struct CMUnitTest tests[ARRAY_SIZE(macro_rows) + 1];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(macro_rows); i++)
		tests[i] = (struct CMUnitTest){ macro_rows[i].name, macro_row_test, NULL, NULL,
						(void *)&macro_rows[i] };
	tests[i] = (struct CMUnitTest)cmocka_unit_test(ratelog_one_line_per_interval_with_count);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
