/*
 * test_limittab - unit tests for policy/conf/limittab.h: every limit is a row
 * of ses-milter.conf's table and of the account file's, with the same
 * type, default, bounds and doc, landing in each struct's policy_limits;
 * and a bad value is refused by both with the same words.
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

#include "account.h"
#include "config.h"
#include "limittab.h"

/* Fails unless table has row, moved by base; returns the table's row. */
static const struct conf_key *expect_row(const struct conf_key *table, const char *what,
					 const struct conf_key *row, size_t base)
{
	const struct conf_key *k = conftab_find(table, row->name);

	if (k == NULL)
		fail_msg("%s: got no %s, want the limit's row", what, row->name);
	if (k->type != row->type || strcmp(k->def, row->def) != 0 || k->min != row->min ||
	    k->max != row->max || strcmp(k->doc, row->doc) != 0)
		fail_msg("%s: %s differs from the limits table", what, row->name);
	if (k->offset != base + row->offset)
		fail_msg("%s: %s at offset %zu, want %zu", what, row->name, k->offset,
			 base + row->offset);
	return k;
}

static void every_limit_is_in_both_tables_unchanged(void **state)
{
	const struct conf_key *row;
	size_t n = 0;

	for (row = limittab_keys; row->name != NULL; row++, n++) {
		expect_row(config_keys, "ses-milter.conf", row,
			   offsetof(struct ses_config, limits));
		expect_row(account_keys, "account file", row, offsetof(struct account, limits));
	}
	assert_int_equal(n, LIMITTAB_N);
}

static void both_files_refuse_a_bad_limit_with_the_same_words(void **state)
{
	static const struct {
		const char *key, *value, *want;
	} cases[] = {
		{ "MaxRecipients", "0", "MaxRecipients must be between 1 and 100000" },
		{ "SubjectMaxChars", "999", "SubjectMaxChars must be between 1 and 998" },
		{ "DailyQuota", "-1", "DailyQuota must be between 0 and 100000000" },
	};
	struct ses_config conf;
	struct account a;
	char got_conf[256], got_acct[256];
	size_t i;

	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		memset(&conf, 0, sizeof conf);
		memset(&a, 0, sizeof a);
		assert_int_equal(conftab_set(conftab_find(config_keys, cases[i].key), &conf,
					     cases[i].value, got_conf, sizeof got_conf),
				 -1);
		assert_int_equal(conftab_set(conftab_find(account_keys, cases[i].key), &a,
					     cases[i].value, got_acct, sizeof got_acct),
				 -1);
		assert_string_equal(got_conf, cases[i].want);
		assert_string_equal(got_acct, cases[i].want);
	}
}

static void a_limit_lands_in_each_structs_limits(void **state)
{
	struct ses_config conf;
	struct account a;
	char err[256];

	memset(&conf, 0, sizeof conf);
	memset(&a, 0, sizeof a);
	assert_int_equal(conftab_set(conftab_find(config_keys, "MaxMessageSize"), &conf, "8M", err,
				     sizeof err),
			 0);
	assert_int_equal(conftab_set(conftab_find(account_keys, "maxmessagesize"), &a, "1K", err,
				     sizeof err),
			 0);
	assert_int_equal(conf.limits.max_message_size, 8 * 1024 * 1024);
	assert_int_equal(a.limits.max_message_size, 1024);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_limit_is_in_both_tables_unchanged),
		cmocka_unit_test(both_files_refuse_a_bad_limit_with_the_same_words),
		cmocka_unit_test(a_limit_lands_in_each_structs_limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
