/*
 * test_template - unit tests for policy/template/template.c: loading
 * DataDir/templates (meta file, parts, IDs), every diagnostic with its
 * FILE:LINE, loading with a pending change, the lookup by ID, type names
 * and the {{variable}} scanner, hostile input included.
 *
 * Table rows are named after the behaviour they pin down; main() turns
 * every row into its own cmocka test.  Each test writes its own templates
 * directory into one scratch directory made by the group setup.
 *
 * Diagnostics: a failing case prints "got X, want Y", listing every
 * diagnostic the loader produced.
 */
#include "autoconf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "diag.h"
#include "strbuf.h"
#include "template.h"
#include "testutil.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_FILES 6

static char *tmpdir;

static int group_setup(void **state)
{
	tmpdir = testutil_tmpdir();
	return 0;
}

static int group_teardown(void **state)
{
	testutil_rmtree(tmpdir);
	free(tmpdir);
	tmpdir = NULL;
	return 0;
}

/* Writes files into a fresh DataDir/templates; returns its path (caller frees). */
static char *write_templates(const struct testutil_file *files, size_t n)
{
	return testutil_write_tree(tmpdir, "templates", files, n);
}

/* Fails unless dl holds want, with a leading "DIR" replaced by dir. */
static void expect_diag(const struct diag_list *dl, const char *dir, const char *want)
{
	testutil_expect_diag(dl, "DIR", dir, want);
}

/* Loads dir and fails unless it loads cleanly.  Caller frees. */
static struct tmpl_db *load_ok(const char *dir)
{
	struct diag_list dl = DIAG_LIST_INIT;
	struct tmpl_db *db = tmpl_db_load(dir, &dl);

	if (db == NULL || dl.n != 0) {
		char *all = testutil_diag_text(&dl);

		fail_msg("tmpl_db_load: got %s with diagnostics %s, want a db and none",
			 db != NULL ? "a db" : "NULL", all);
	}
	return db;
}

#define GOOD_META "Account acme\nName Welcome\n"

/* ---- a loaded directory ----------------------------------------------------- */

static void loads_every_setting_and_part(void **state)
{
	static const struct testutil_file files[] = {
		{ "7/template", "# welcome mail\nAccount acme\nName  Welcome mail \nType marketing\n"
				"Status 0\nReason \nallowlinks yes\n" },
		{ "7/text", "Hello {{name}}, code {{ code }}.\n" },
		{ "7/html", "<p>Hi {{name}} {{x.y-z_1}}</p>\n" },
		{ "12/template", GOOD_META },
		{ "12/html", "<p>only html</p>" },
		{ "3/template", GOOD_META "Type trigger\nStatus 2\nReason too short\n" },
		{ "3/text", "x" },
	};
	char *dir = write_templates(files, ARRAY_SIZE(files));
	struct tmpl_db *db = load_ok(dir);
	const struct tmpl *t;

	assert_int_equal(db->n, 3);
	assert_int_equal(db->v[0]->id, 3);	/* sorted by id, not by name */
	assert_int_equal(db->v[1]->id, 7);
	assert_int_equal(db->v[2]->id, 12);
	t = tmpl_by_id(db, 7);
	assert_non_null(t);
	assert_string_equal(t->account, "acme");
	assert_string_equal(t->name, "Welcome mail");
	assert_int_equal(t->type, TMPL_MARKETING);
	assert_int_equal(t->status, TMPL_APPROVED);
	assert_string_equal(t->reason, "");
	assert_true(t->allow_links);
	assert_string_equal(t->text, "Hello {{name}}, code {{ code }}.\n");
	assert_string_equal(t->html, "<p>Hi {{name}} {{x.y-z_1}}</p>\n");
	assert_int_equal(t->nvars, 3);
	assert_string_equal(t->vars[0], "code");
	assert_string_equal(t->vars[1], "name");
	assert_string_equal(t->vars[2], "x.y-z_1");
	t = tmpl_by_id(db, 12);
	assert_null(t->text);
	assert_int_equal(t->type, TMPL_TRANSACTIONAL);	/* the default */
	assert_int_equal(t->status, TMPL_UNDER_REVIEW);	/* the default */
	assert_false(t->allow_links);
	t = tmpl_by_id(db, 3);
	assert_null(t->html);
	assert_int_equal(t->status, TMPL_REJECTED);
	assert_string_equal(t->reason, "too short");
	tmpl_db_free(db);
	free(dir);
}

static void lookup_of_missing_id_is_null(void **state)
{
	static const struct testutil_file files[] = {
		{ "1/template", GOOD_META }, { "1/text", "a" },
		{ "2/template", GOOD_META }, { "2/text", "b" },
		{ "4/template", GOOD_META }, { "4/text", "c" },
	};
	char *dir = write_templates(files, ARRAY_SIZE(files));
	struct tmpl_db *db = load_ok(dir);
	unsigned long id;

	for (id = 0; id <= 5; id++) {
		const struct tmpl *t = tmpl_by_id(db, id);

		if ((id == 1 || id == 2 || id == 4) != (t != NULL))
			fail_msg("tmpl_by_id(%lu): got %s, want %s", id, t ? "a template" : "NULL",
				 t ? "NULL" : "a template");
	}
	assert_null(tmpl_by_id(NULL, 1));
	tmpl_db_free(db);
	free(dir);
}

static void missing_directory_is_an_empty_db(void **state)
{
	char *dir = testutil_path(tmpdir, "no-such-dir");
	struct tmpl_db *db = load_ok(dir);

	assert_int_equal(db->n, 0);
	assert_null(tmpl_by_id(db, 1));
	tmpl_db_free(db);
	free(dir);
}

static void skips_hidden_staging_and_backup_entries(void **state)
{
	static const struct testutil_file files[] = {
		{ "5/template", GOOD_META }, { "5/text", "a" },
		{ ".tmp-6/template", "garbage\n" },
		{ "5~", "backup" },
		{ ".sesctl.lock", "" },
	};
	char *dir = write_templates(files, ARRAY_SIZE(files));
	struct tmpl_db *db = load_ok(dir);

	assert_int_equal(db->n, 1);
	tmpl_db_free(db);
	free(dir);
}

/* A staged directory replaces, adds or removes one template. */
static void load_change_replaces_adds_and_removes(void **state)
{
	static const struct testutil_file files[] = {
		{ "1/template", GOOD_META }, { "1/text", "live" },
		{ "2/template", GOOD_META }, { "2/text", "two" },
		{ ".tmp-1/template", GOOD_META "Status 0\n" }, { ".tmp-1/text", "staged" },
	};
	char *dir = write_templates(files, ARRAY_SIZE(files));
	struct diag_list dl = DIAG_LIST_INIT;
	struct strbuf stage = STRBUF_INIT;
	struct tmpl_change change = { 1, NULL };
	struct tmpl_db *db;

	strbuf_appendf(&stage, "%s/.tmp-1", dir);
	change.path = strbuf_cstr(&stage);
	db = tmpl_db_load_change(dir, &change, &dl);
	assert_non_null(db);
	assert_string_equal(tmpl_by_id(db, 1)->text, "staged");
	tmpl_db_free(db);
	change.id = 9;	/* a new template */
	db = tmpl_db_load_change(dir, &change, &dl);
	assert_int_equal(db->n, 3);
	assert_string_equal(tmpl_by_id(db, 9)->text, "staged");
	assert_string_equal(tmpl_by_id(db, 1)->text, "live");
	tmpl_db_free(db);
	change.id = 2;
	change.path = NULL;	/* removed */
	db = tmpl_db_load_change(dir, &change, &dl);
	assert_int_equal(db->n, 1);
	assert_null(tmpl_by_id(db, 2));
	assert_int_equal(dl.n, 0);
	tmpl_db_free(db);
	strbuf_free(&stage);
	free(dir);
}

/* A bad staged change is reported under the name it will take. */
static void load_change_reports_under_live_name(void **state)
{
	static const struct testutil_file files[] = {
		{ ".tmp-4/template", GOOD_META "Status 7\n" }, { ".tmp-4/text", "x" },
	};
	char *dir = write_templates(files, ARRAY_SIZE(files));
	struct diag_list dl = DIAG_LIST_INIT;
	struct strbuf stage = STRBUF_INIT;
	struct tmpl_change change = { 4, NULL };

	strbuf_appendf(&stage, "%s/.tmp-4", dir);
	change.path = strbuf_cstr(&stage);
	assert_null(tmpl_db_load_change(dir, &change, &dl));
	expect_diag(&dl, dir, "DIR/4/template:3: Status must be between 0 and 2");
	diag_free(&dl);
	strbuf_free(&stage);
	free(dir);
}

/* ---- every diagnostic ---------------------------------------------------------- */

struct error_case {
	const char *name;
	struct testutil_file files[MAX_FILES];
	const char *want;	/* one of the diagnostics; DIR is the templates dir */
};

static const char bad_utf8[] = "line one\nline two\n\xc3\x28 broken\n";
static const char overlong[] = "ok\n\xc0\xaf\n";

static const struct error_case error_cases[] = {
	{ "unknown_key_names_file_and_line",
	  { { "1/template", GOOD_META "Colour blue\n" }, { "1/text", "x" } },
	  "DIR/1/template:3: unknown key Colour" },
	{ "missing_account_is_an_error",
	  { { "1/template", "Name n\n" }, { "1/text", "x" } },
	  "DIR/1/template: Account is missing" },
	{ "missing_name_is_an_error",
	  { { "1/template", "Account acme\n" }, { "1/text", "x" } },
	  "DIR/1/template: Name is missing" },
	{ "empty_name_value_names_line",
	  { { "1/template", "Account acme\nName\n" }, { "1/text", "x" } },
	  "DIR/1/template:2: Name needs a value" },
	{ "invalid_account_name_names_line",
	  { { "1/template", "Name n\n\nAccount ../etc\n" }, { "1/text", "x" } },
	  "DIR/1/template:3: \"../etc\" is not a valid account name" },
	{ "unknown_type_names_line_and_choices",
	  { { "1/template", GOOD_META "Type test\n" }, { "1/text", "x" } },
	  "DIR/1/template:3: Type must be one of trigger, transactional, notification, "
	  "marketing" },
	{ "status_3_is_out_of_range",
	  { { "1/template", GOOD_META "Status 3\n" }, { "1/text", "x" } },
	  "DIR/1/template:3: Status must be between 0 and 2" },
	{ "status_minus_1_is_out_of_range",
	  { { "1/template", GOOD_META "Status -1\n" }, { "1/text", "x" } },
	  "DIR/1/template:3: Status must be between 0 and 2" },
	{ "status_word_is_not_a_number",
	  { { "1/template", GOOD_META "Status approved\n" }, { "1/text", "x" } },
	  "DIR/1/template:3: Status: \"approved\" is not a number" },
	{ "allowlinks_must_be_yes_or_no",
	  { { "1/template", GOOD_META "AllowLinks maybe\n" }, { "1/text", "x" } },
	  "DIR/1/template:3: AllowLinks must be yes or no, not \"maybe\"" },
	{ "missing_meta_file_cannot_open",
	  { { "1/text", "x" } },
	  "DIR/1/template: cannot open: No such file or directory" },
	{ "no_text_and_no_html_is_an_error",
	  { { "1/template", GOOD_META } },
	  "DIR/1: neither a text nor an html part" },
	{ "invalid_utf8_text_names_line",
	  { { "1/template", GOOD_META }, { "1/text", bad_utf8 } },
	  "DIR/1/text:3: not valid UTF-8" },
	{ "overlong_utf8_html_names_line",
	  { { "1/template", GOOD_META }, { "1/html", overlong } },
	  "DIR/1/html:2: not valid UTF-8" },
	{ "empty_part_is_an_error",
	  { { "1/template", GOOD_META }, { "1/text", "" } },
	  "DIR/1/text: empty (remove the file instead)" },
	{ "non_decimal_directory_is_an_error",
	  { { "abc/template", GOOD_META }, { "abc/text", "x" } },
	  "DIR: \"abc\" is not a template ID (a decimal number from 1 to 999999999, "
	  "no leading zero)" },
	{ "leading_zero_id_is_an_error",
	  { { "07/template", GOOD_META }, { "07/text", "x" } },
	  "DIR: \"07\" is not a template ID (a decimal number from 1 to 999999999, "
	  "no leading zero)" },
	{ "id_zero_is_an_error",
	  { { "0/template", GOOD_META }, { "0/text", "x" } },
	  "DIR: \"0\" is not a template ID (a decimal number from 1 to 999999999, "
	  "no leading zero)" },
	{ "ten_digit_id_is_an_error",
	  { { "1000000000/template", GOOD_META }, { "1000000000/text", "x" } },
	  "DIR: \"1000000000\" is not a template ID (a decimal number from 1 to 999999999, "
	  "no leading zero)" },
	{ "plain_file_with_an_id_name_is_an_error",
	  { { "5", "not a directory" } },
	  "DIR/5: not a directory" },
};

static void run_error_case(void **state)
{
	const struct error_case *c = *state;
	struct diag_list dl = DIAG_LIST_INIT;
	char *dir = write_templates(c->files, MAX_FILES);
	struct tmpl_db *db = tmpl_db_load(dir, &dl);

	if (db != NULL)
		fail_msg("tmpl_db_load: got a db, want NULL");
	expect_diag(&dl, dir, c->want);
	diag_free(&dl);
	free(dir);
}

static void oversized_part_is_an_error(void **state)
{
	static const struct testutil_file files[] = { { "1/template", GOOD_META } };
	struct diag_list dl = DIAG_LIST_INIT;
	char *dir = write_templates(files, ARRAY_SIZE(files));
	char *big = malloc(TMPL_PART_MAX + 2);
	struct tmpl_db *db;

	assert_non_null(big);
	memset(big, 'a', TMPL_PART_MAX);
	big[TMPL_PART_MAX] = '\0';	/* exactly 1 MiB: fine */
	testutil_write_file(dir, "1/html", big);
	db = load_ok(dir);
	tmpl_db_free(db);
	big[TMPL_PART_MAX] = 'a';	/* one byte more */
	big[TMPL_PART_MAX + 1] = '\0';
	testutil_write_file(dir, "1/html", big);
	assert_null(tmpl_db_load(dir, &dl));
	expect_diag(&dl, dir, "DIR/1/html: larger than 1048576 bytes");
	diag_free(&dl);
	free(big);
	free(dir);
}

/* Every error in every template is reported, not only the first. */
static void reports_every_error(void **state)
{
	static const struct testutil_file files[] = {
		{ "1/template", GOOD_META "Bogus 1\nStatus 9\n" }, { "1/text", "x" },
		{ "2/template", "Account acme\n" },
	};
	struct diag_list dl = DIAG_LIST_INIT;
	char *dir = write_templates(files, ARRAY_SIZE(files));

	assert_null(tmpl_db_load(dir, &dl));
	expect_diag(&dl, dir, "DIR/1/template:3: unknown key Bogus");
	expect_diag(&dl, dir, "DIR/1/template:4: Status must be between 0 and 2");
	expect_diag(&dl, dir, "DIR/2/template: Name is missing");
	diag_free(&dl);
	free(dir);
}

/* ---- variables ---------------------------------------------------------------- */

struct vars_case {
	const char *name;
	const char *src;
	const char *want;	/* the sorted names joined by "," */
};

static const char name64[] =
	"{{aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa}}";
static const char name65[] =
	"{{aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa}}";

static const struct vars_case vars_cases[] = {
	{ "vars_plain_names_are_collected_sorted_distinct", "{{b}} {{a}} {{b}}", "a,b" },
	{ "vars_every_allowed_character", "{{A-z_0.9}}", "A-z_0.9" },
	{ "vars_blanks_inside_braces_are_trimmed", "{{ a }} {{\tb\t}} {{c }}", "a,b,c" },
	{ "vars_two_words_inside_braces_are_literal", "{{ a b }}", "" },
	{ "vars_quadruple_braces_take_the_inner_pair", "{{{{x}}}}", "x" },
	{ "vars_triple_braces_take_the_inner_pair", "{{{y}}}", "y" },
	{ "vars_empty_braces_are_literal", "{{}} {{ }}", "" },
	{ "vars_64_character_name_is_a_variable", name64,
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" },
	{ "vars_65_character_name_is_literal", name65, "" },
	{ "vars_unterminated_is_literal", "Hello {{name", "" },
	{ "vars_single_close_brace_is_literal", "{{name}", "" },
	{ "vars_single_braces_are_literal", "{name} }}{{", "" },
	{ "vars_punctuation_in_name_is_literal", "{{a/b}} {{a:b}} {{<b>}}", "" },
	{ "vars_non_ascii_name_is_literal", "{{n\xc3\xa4me}}", "" },
	{ "vars_newline_inside_braces_is_literal", "{{\nname\n}}", "" },
	{ "vars_adjacent_variables", "{{a}}{{b}}", "a,b" },
	{ "vars_literal_before_valid_one", "{{ bad name }} {{good}}", "good" },
	{ "vars_case_is_kept", "{{Name}} {{name}}", "Name,name" },
	{ "vars_none_in_plain_text", "no variables here", "" },
};

static void run_vars_case(void **state)
{
	const struct vars_case *c = *state;
	struct strbuf got = STRBUF_INIT;
	char **vars = NULL;
	size_t n, i;

	n = tmpl_collect_vars(c->src, &vars);
	for (i = 0; i < n; i++) {
		strbuf_appendf(&got, "%s%s", i ? "," : "", vars[i]);
		free(vars[i]);
	}
	free(vars);
	if (strcmp(strbuf_cstr(&got), c->want) != 0)
		fail_msg("tmpl_collect_vars(\"%s\"): got \"%s\", want \"%s\"", c->src,
			 strbuf_cstr(&got), c->want);
	strbuf_free(&got);
}

static void var_match_reports_span_and_name(void **state)
{
	const char *name;
	size_t len, name_len;

	assert_true(tmpl_var_match("{{ ab }} rest", &len, &name, &name_len));
	assert_int_equal(len, 8);
	assert_int_equal(name_len, 2);
	assert_memory_equal(name, "ab", 2);
	assert_false(tmpl_var_match("{ {ab}}", &len, &name, &name_len));
	assert_false(tmpl_var_match("", &len, &name, &name_len));
}

static void type_names_round_trip(void **state)
{
	static const char *const names[] = { "trigger", "transactional", "notification",
					     "marketing" };
	enum tmpl_type t;
	int i;

	for (i = 0; i < 4; i++) {
		assert_string_equal(tmpl_type_name((enum tmpl_type)i), names[i]);
		assert_int_equal(tmpl_type_parse(names[i], &t), 0);
		assert_int_equal(t, i);
	}
	assert_int_equal(tmpl_type_parse("MARKETING", &t), 0);
	assert_int_equal(t, TMPL_MARKETING);
	assert_int_equal(tmpl_type_parse("test", &t), -1);
	assert_int_equal(tmpl_type_parse("", &t), -1);
}

static void id_parse_accepts_only_plain_decimals(void **state)
{
	unsigned long id = 0;

	assert_true(tmpl_id_parse("1", &id));
	assert_int_equal(id, 1);
	assert_true(tmpl_id_parse("999999999", &id));
	assert_int_equal(id, 999999999UL);
	assert_false(tmpl_id_parse("0", &id));
	assert_false(tmpl_id_parse("01", &id));
	assert_false(tmpl_id_parse("+1", &id));
	assert_false(tmpl_id_parse("1a", &id));
	assert_false(tmpl_id_parse("", &id));
	assert_false(tmpl_id_parse("1000000000", &id));
}

static const struct CMUnitTest other_tests[] = {
	cmocka_unit_test(loads_every_setting_and_part),
	cmocka_unit_test(lookup_of_missing_id_is_null),
	cmocka_unit_test(missing_directory_is_an_empty_db),
	cmocka_unit_test(skips_hidden_staging_and_backup_entries),
	cmocka_unit_test(load_change_replaces_adds_and_removes),
	cmocka_unit_test(load_change_reports_under_live_name),
	cmocka_unit_test(oversized_part_is_an_error),
	cmocka_unit_test(reports_every_error),
	cmocka_unit_test(var_match_reports_span_and_name),
	cmocka_unit_test(type_names_round_trip),
	cmocka_unit_test(id_parse_accepts_only_plain_decimals),
};

/* A table row as its own cmocka test. */
static struct CMUnitTest row_test(const char *name, CMUnitTestFunction fn, const void *row)
{
	struct CMUnitTest t = { name, fn, NULL, NULL, (void *)row };

	return t;
}

int main(void)
{
	struct CMUnitTest tests[ARRAY_SIZE(error_cases) + ARRAY_SIZE(vars_cases) +
				ARRAY_SIZE(other_tests)];
	size_t i, n = 0;

	for (i = 0; i < ARRAY_SIZE(error_cases); i++)
		tests[n++] = row_test(error_cases[i].name, run_error_case, &error_cases[i]);
	for (i = 0; i < ARRAY_SIZE(vars_cases); i++)
		tests[n++] = row_test(vars_cases[i].name, run_vars_case, &vars_cases[i]);
	for (i = 0; i < ARRAY_SIZE(other_tests); i++)
		tests[n++] = other_tests[i];
	return cmocka_run_group_tests_name("template", tests, group_setup, group_teardown);
}
