/*
 * test_tmpl_render - unit tests for policy/template/tmpl_render.c: parsing the
 * X-SES-Template-Data JSON (objects of strings only, the 800-byte limit,
 * duplicate keys, bad UTF-8, NUL, deep nesting) and rendering (missing
 * and unknown variables, HTML escaping in the HTML part only, variable
 * spacing, literal braces, UTF-8 values, line breaks in values).
 *
 * Data cases are table rows, each its own cmocka test named after the
 * behaviour it pins down.  Templates are built by hand; their variables
 * are collected with tmpl_collect_vars as the loader does.
 *
 * Diagnostics: a failing case prints "got X, want Y".
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

#include "strbuf.h"
#include "template.h"
#include "tmpl_render.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- data ------------------------------------------------------------------ */

struct data_case {
	const char *name;
	const char *json;
	size_t len;			/* 0: strlen(json) */
	enum tmpl_render_status want;
	const char *why;		/* a substring of why; NULL: why must be empty */
	size_t keys;			/* on success */
};

static const struct data_case data_cases[] = {
	{ "accepts_object_of_strings", "{\"b\":\"2\",\"a\":\"1\"}", 0, TMPL_RENDER_OK, NULL, 2 },
	{ "accepts_empty_object", "{}", 0, TMPL_RENDER_OK, NULL, 0 },
	{ "accepts_whitespace_around_unfolded_value", "  {\"a\": \"1\"}\t ", 0,
	  TMPL_RENDER_OK, NULL, 1 },
	{ "accepts_escaped_unicode", "{\"a\":\"\\u00e9\\u4e2d\"}", 0, TMPL_RENDER_OK, NULL, 1 },
	{ "rejects_text_that_is_not_json", "name=Bob", 0, TMPL_DATA_NOT_JSON,
	  "data is not JSON", 0 },
	{ "rejects_empty_data", "", 0, TMPL_DATA_NOT_JSON, "data is not JSON", 0 },
	{ "rejects_truncated_object", "{\"a\":\"1\"", 0, TMPL_DATA_NOT_JSON, "not JSON", 0 },
	{ "rejects_array", "[\"a\",\"b\"]", 0, TMPL_DATA_NOT_JSON, "not a JSON object", 0 },
	{ "rejects_bare_string", "\"a\"", 0, TMPL_DATA_NOT_JSON, "not", 0 },
	{ "rejects_number_value", "{\"a\":\"1\",\"n\":42}", 0, TMPL_DATA_NOT_JSON,
	  "key 'n' is not a string", 0 },
	{ "rejects_null_value", "{\"z\":null}", 0, TMPL_DATA_NOT_JSON,
	  "key 'z' is not a string", 0 },
	{ "rejects_bool_value", "{\"t\":true}", 0, TMPL_DATA_NOT_JSON,
	  "key 't' is not a string", 0 },
	{ "rejects_nested_object", "{\"o\":{\"a\":\"1\"}}", 0, TMPL_DATA_NOT_JSON,
	  "key 'o' is not a string", 0 },
	{ "rejects_nested_array", "{\"l\":[\"1\"]}", 0, TMPL_DATA_NOT_JSON,
	  "key 'l' is not a string", 0 },
	{ "rejects_duplicate_keys", "{\"a\":\"1\",\"a\":\"2\"}", 0, TMPL_DATA_NOT_JSON,
	  "duplicate", 0 },
	{ "rejects_invalid_utf8_bytes", "{\"a\":\"\xc3\x28\"}", 0, TMPL_DATA_NOT_JSON,
	  "not JSON", 0 },
	{ "rejects_overlong_utf8", "{\"a\":\"\xc0\xaf\"}", 0, TMPL_DATA_NOT_JSON, "not JSON", 0 },
	{ "rejects_escaped_nul", "{\"a\":\"x\\u0000y\"}", 0, TMPL_DATA_NOT_JSON, "not JSON", 0 },
	{ "rejects_raw_nul_byte", "{\"a\":\"x\0y\"}", 12, TMPL_DATA_NOT_JSON, "not JSON", 0 },
	{ "rejects_lone_surrogate", "{\"a\":\"\\ud800\"}", 0, TMPL_DATA_NOT_JSON, "not JSON", 0 },
	{ "rejects_trailing_garbage", "{\"a\":\"1\"} x", 0, TMPL_DATA_NOT_JSON, "not JSON", 0 },
};

/* Fails unless why contains want (or is empty when want is NULL). */
static void expect_why(const struct strbuf *why, const char *want)
{
	if (want == NULL && why->len > 0)
		fail_msg("why: got \"%s\", want empty", strbuf_cstr(why));
	if (want != NULL && strstr(strbuf_cstr(why), want) == NULL)
		fail_msg("why: got \"%s\", want it to contain \"%s\"", strbuf_cstr(why), want);
}

static void run_data_case(void **state)
{
	const struct data_case *c = *state;
	struct strbuf why = STRBUF_INIT;
	struct tmpl_data d;
	enum tmpl_render_status st;

	st = tmpl_data_parse(c->json, c->len != 0 ? c->len : strlen(c->json), &d, &why);
	if (st != c->want)
		fail_msg("status: got %d (%s), want %d", st, strbuf_cstr(&why), c->want);
	expect_why(&why, c->why);
	if (st == TMPL_RENDER_OK && d.n != c->keys)
		fail_msg("keys: got %zu, want %zu", d.n, c->keys);
	tmpl_data_free(&d);
	strbuf_free(&why);
}

/* Parses a JSON object of total length len with one key "k"; returns the status. */
static enum tmpl_render_status parse_sized(size_t len, struct strbuf *why)
{
	struct strbuf json = STRBUF_INIT;
	struct tmpl_data d;
	enum tmpl_render_status st;

	strbuf_appends(&json, "{\"k\":\"");
	while (json.len < len - 2)
		strbuf_appendc(&json, 'x');
	strbuf_appends(&json, "\"}");
	assert_int_equal(json.len, len);
	st = tmpl_data_parse(json.data, json.len, &d, why);
	tmpl_data_free(&d);
	strbuf_free(&json);
	return st;
}

static void accepts_exactly_800_bytes(void **state)
{
	struct strbuf why = STRBUF_INIT;
	enum tmpl_render_status st = parse_sized(TMPL_DATA_MAX, &why);

	if (st != TMPL_RENDER_OK)
		fail_msg("800 bytes: got %d (%s), want OK", st, strbuf_cstr(&why));
	strbuf_free(&why);
}

static void rejects_801_bytes_as_too_long(void **state)
{
	struct strbuf why = STRBUF_INIT;
	enum tmpl_render_status st = parse_sized(TMPL_DATA_MAX + 1, &why);

	if (st != TMPL_DATA_TOO_LONG)
		fail_msg("801 bytes: got %d, want TMPL_DATA_TOO_LONG", st);
	expect_why(&why, "801 bytes, more than 800");
	strbuf_free(&why);
}

static void rejects_10k_value_as_too_long(void **state)
{
	struct strbuf why = STRBUF_INIT;
	enum tmpl_render_status st = parse_sized(10 * 1024, &why);

	if (st != TMPL_DATA_TOO_LONG)
		fail_msg("10 KB: got %d, want TMPL_DATA_TOO_LONG", st);
	strbuf_free(&why);
}

/* Deep nesting: within the limit it is not an object; beyond it, too long. */
static void survives_deeply_nested_arrays(void **state)
{
	struct strbuf json = STRBUF_INIT, why = STRBUF_INIT;
	struct tmpl_data d;
	enum tmpl_render_status st;
	size_t i;

	for (i = 0; i < 100000; i++)
		strbuf_appendc(&json, i % 2 ? '{' : '[');
	st = tmpl_data_parse(json.data, TMPL_DATA_MAX, &d, &why);
	tmpl_data_free(&d);
	if (st != TMPL_DATA_NOT_JSON)
		fail_msg("800 nested: got %d, want TMPL_DATA_NOT_JSON", st);
	strbuf_reset(&why);
	st = tmpl_data_parse(json.data, json.len, &d, &why);
	tmpl_data_free(&d);
	if (st != TMPL_DATA_TOO_LONG)
		fail_msg("100000 nested: got %d, want TMPL_DATA_TOO_LONG", st);
	strbuf_free(&json);
	strbuf_free(&why);
}

static void sorts_keys_and_keeps_values(void **state)
{
	const char *json = "{\"zeta\":\"last\",\"alpha\":\"first\",\"mid\":\"\"}";
	const char *keys[] = { "alpha", "mid", "zeta" }, *values[] = { "first", "", "last" };
	struct strbuf why = STRBUF_INIT;
	struct tmpl_data d;
	size_t i;

	assert_int_equal(tmpl_data_parse(json, strlen(json), &d, &why), TMPL_RENDER_OK);
	assert_int_equal(d.n, 3);
	for (i = 0; i < 3; i++) {
		if (strcmp(d.keys[i], keys[i]) != 0 || strcmp(d.values[i], values[i]) != 0)
			fail_msg("pair %zu: got %s=%s, want %s=%s", i, d.keys[i], d.values[i],
				 keys[i], values[i]);
	}
	tmpl_data_free(&d);
	tmpl_data_free(&d);	/* idempotent */
	strbuf_free(&why);
}

static void keeps_crlf_inside_values(void **state)
{
	const char *json = "{\"addr\":\"1 Main St\\r\\nSpringfield\\nUSA\"}";
	struct strbuf why = STRBUF_INIT;
	struct tmpl_data d;

	assert_int_equal(tmpl_data_parse(json, strlen(json), &d, &why), TMPL_RENDER_OK);
	if (strcmp(d.values[0], "1 Main St\r\nSpringfield\nUSA") != 0)
		fail_msg("value: got \"%s\"", d.values[0]);
	tmpl_data_free(&d);
	strbuf_free(&why);
}

/* A hostile key shows up in why as printable ASCII only. */
static void quotes_hostile_key_printably(void **state)
{
	const char *json = "{\"a\\r\\nX-Evil: 1\\u00e9\":1}";
	struct strbuf why = STRBUF_INIT;
	struct tmpl_data d;
	size_t i;

	assert_int_equal(tmpl_data_parse(json, strlen(json), &d, &why), TMPL_DATA_NOT_JSON);
	for (i = 0; i < why.len; i++)
		if (why.data[i] < 0x20 || why.data[i] >= 0x7f)
			fail_msg("why: got byte 0x%02x at %zu in \"%s\", want printable",
				 (unsigned char)why.data[i], i, why.data);
	expect_why(&why, "key 'a?" "?X-Evil: 1?" "?' is not a string");
	tmpl_data_free(&d);
	strbuf_free(&why);
}

/* A refused parse after good keys holds nothing, so a caller that only frees on success leaks nothing. */
static void refused_data_holds_nothing(void **state)
{
	const char *json = "{\"a\":\"1\",\"b\":\"2\",\"n\":0e90}";
	struct strbuf why = STRBUF_INIT;
	struct tmpl_data d;

	assert_int_equal(tmpl_data_parse(json, strlen(json), &d, &why), TMPL_DATA_NOT_JSON);
	if (d.n != 0 || d.keys != NULL || d.values != NULL)
		fail_msg("after a refusal: %zu keys held, want none", d.n);
	strbuf_free(&why);
}

/* ---- rendering ------------------------------------------------------------- */

/* A template with the given parts; variables collected as the loader does. */
static struct tmpl *make_tmpl(const char *text, const char *html)
{
	struct tmpl *t = calloc(1, sizeof *t);
	struct strbuf all = STRBUF_INIT;

	assert_non_null(t);
	t->text = text != NULL ? strdup(text) : NULL;
	t->html = html != NULL ? strdup(html) : NULL;
	strbuf_appends(&all, text != NULL ? text : "");
	strbuf_appendc(&all, '\n');
	strbuf_appends(&all, html != NULL ? html : "");
	t->nvars = tmpl_collect_vars(strbuf_cstr(&all), &t->vars);
	strbuf_free(&all);
	return t;
}

static void free_tmpl(struct tmpl *t)
{
	size_t i;

	for (i = 0; i < t->nvars; i++)
		free(t->vars[i]);
	free(t->vars);
	free(t->text);
	free(t->html);
	free(t);
}

struct render_case {
	const char *name;
	const char *text;		/* template parts; NULL: none */
	const char *html;
	const char *json;
	enum tmpl_render_status want;
	const char *want_text;		/* rendered; or why when not OK */
	const char *want_html;
};

static const struct render_case render_cases[] = {
	{ "substitutes_text_and_html", "Hi {{name}}!", "<p>Hi {{name}}!</p>",
	  "{\"name\":\"Ann\"}", TMPL_RENDER_OK, "Hi Ann!", "<p>Hi Ann!</p>" },
	{ "names_missing_and_unknown_variables", "{{a}} {{b}} {{d}}", NULL,
	  "{\"a\":\"1\",\"c\":\"3\"}", TMPL_DATA_NOT_MATCH, "missing: b, d; unknown: c", NULL },
	{ "names_missing_variable_only", "{{a}} {{b}}", NULL, "{\"a\":\"1\"}",
	  TMPL_DATA_NOT_MATCH, "missing: b", NULL },
	{ "names_unknown_variable_only", "{{a}}", NULL, "{\"a\":\"1\",\"x\":\"\",\"y\":\"\"}",
	  TMPL_DATA_NOT_MATCH, "unknown: x, y", NULL },
	{ "rejects_any_data_for_template_without_variables", "plain", NULL, "{\"x\":\"1\"}",
	  TMPL_DATA_NOT_MATCH, "unknown: x", NULL },
	{ "accepts_empty_data_for_template_without_variables", "plain", NULL, "{}",
	  TMPL_RENDER_OK, "plain", "" },
	{ "counts_variables_of_html_part", "text", "<b>{{h}}</b>", "{}",
	  TMPL_DATA_NOT_MATCH, "missing: h", NULL },
	{ "escapes_script_in_html", NULL, "<p>{{v}}</p>",
	  "{\"v\":\"<script>alert('x')</script>\"}", TMPL_RENDER_OK, "",
	  "<p>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;</p>" },
	{ "escapes_closing_html_tag", NULL, "<html>{{v}}</html>", "{\"v\":\"</html><img src=x>\"}",
	  TMPL_RENDER_OK, "", "<html>&lt;/html&gt;&lt;img src=x&gt;</html>" },
	{ "escapes_quotes_and_ampersand", NULL, "<a title=\"{{v}}\">", "{\"v\":\"\\\" onx='1' &amp;\"}",
	  TMPL_RENDER_OK, "", "<a title=\"&quot; onx=&#39;1&#39; &amp;amp;\">" },
	{ "leaves_text_unescaped", "Hi {{v}}", "<p>{{v}}</p>", "{\"v\":\"<b>&\\\"'\"}",
	  TMPL_RENDER_OK, "Hi <b>&\"'", "<p>&lt;b&gt;&amp;&quot;&#39;</p>" },
	{ "allows_blanks_inside_braces", "{{ a }}|{{a }}|{{ a}}|{{\ta\t}}", NULL, "{\"a\":\"1\"}",
	  TMPL_RENDER_OK, "1|1|1|1", "" },
	{ "leaves_non_variables_literal", "{{ {{}} {{a b}} {{x!}} {x} {{y}", NULL, "{}",
	  TMPL_RENDER_OK, "{{ {{}} {{a b}} {{x!}} {x} {{y}", "" },
	{ "finds_variable_inside_extra_braces", "{{{{a}}}}", NULL, "{\"a\":\"1\"}",
	  TMPL_RENDER_OK, "{{1}}", "" },
	{ "leaves_65_character_name_literal",
	  "{{aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa}}", NULL, "{}",
	  TMPL_RENDER_OK, "{{aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa}}", "" },
	{ "accepts_dots_dashes_underscores", "{{user.first-name_1}}", NULL,
	  "{\"user.first-name_1\":\"Ann\"}", TMPL_RENDER_OK, "Ann", "" },
	{ "inserts_utf8_and_cjk_verbatim", "名前: {{n}}", "<p>{{n}}</p>",
	  "{\"n\":\"山田 太郎 \\u00e9\\ud83d\\ude00\"}", TMPL_RENDER_OK,
	  "名前: 山田 太郎 é😀", "<p>山田 太郎 é😀</p>" },
	{ "makes_line_breaks_in_values_crlf", "[{{v}}]", "[{{v}}]", "{\"v\":\"a\\nb\\rc\\r\\nd\\n\\n\"}",
	  TMPL_RENDER_OK, "[a\r\nb\r\nc\r\nd\r\n\r\n]", "[a\r\nb\r\nc\r\nd\r\n\r\n]" },
	{ "does_not_substitute_inside_values", "{{a}}", NULL, "{\"a\":\"{{a}}\"}",
	  TMPL_RENDER_OK, "{{a}}", "" },
};

/* Fails unless got equals want. */
static void expect_str(const char *what, const char *got, const char *want)
{
	if (strcmp(got, want) != 0)
		fail_msg("%s: got \"%s\", want \"%s\"", what, got, want);
}

static void run_render_case(void **state)
{
	const struct render_case *c = *state;
	struct strbuf text = STRBUF_INIT, html = STRBUF_INIT, why = STRBUF_INIT;
	struct tmpl *t = make_tmpl(c->text, c->html);
	struct tmpl_data d;
	enum tmpl_render_status st;

	st = tmpl_data_parse(c->json, strlen(c->json), &d, &why);
	if (st != TMPL_RENDER_OK)
		fail_msg("data: got %d (%s), want OK", st, strbuf_cstr(&why));
	st = tmpl_render(t, &d, &text, &html, &why);
	if (st != c->want)
		fail_msg("status: got %d (%s), want %d", st, strbuf_cstr(&why), c->want);
	if (st == TMPL_RENDER_OK) {
		expect_str("text", strbuf_cstr(&text), c->want_text);
		expect_str("html", strbuf_cstr(&html), c->want_html);
		expect_str("why", strbuf_cstr(&why), "");
	} else {
		expect_str("why", strbuf_cstr(&why), c->want_text);
	}
	tmpl_data_free(&d);
	free_tmpl(t);
	strbuf_free(&text);
	strbuf_free(&html);
	strbuf_free(&why);
}

/* A template whose vars were not filled in fails instead of sending "{{x}}". */
static void refuses_template_with_unlisted_variable(void **state)
{
	struct tmpl t = { .text = "Hi {{x}}" };
	struct strbuf text = STRBUF_INIT, html = STRBUF_INIT, why = STRBUF_INIT;
	struct tmpl_data d = { NULL, NULL, 0 };
	enum tmpl_render_status st = tmpl_render(&t, &d, &text, &html, &why);

	if (st != TMPL_DATA_NOT_MATCH)
		fail_msg("status: got %d, want TMPL_DATA_NOT_MATCH", st);
	expect_str("text", strbuf_cstr(&text), "");
	strbuf_free(&text);
	strbuf_free(&html);
	strbuf_free(&why);
}

static void escapes_all_five_html_characters(void **state)
{
	struct strbuf out = STRBUF_INIT;

	tmpl_html_escape("a&b<c>d\"e'f", &out);
	expect_str("escaped", strbuf_cstr(&out), "a&amp;b&lt;c&gt;d&quot;e&#39;f");
	strbuf_reset(&out);
	tmpl_html_escape("", &out);
	expect_str("escaped empty", strbuf_cstr(&out), "");
	strbuf_free(&out);
}

static const struct CMUnitTest other_tests[] = {
	cmocka_unit_test(accepts_exactly_800_bytes),
	cmocka_unit_test(rejects_801_bytes_as_too_long),
	cmocka_unit_test(rejects_10k_value_as_too_long),
	cmocka_unit_test(survives_deeply_nested_arrays),
	cmocka_unit_test(sorts_keys_and_keeps_values),
	cmocka_unit_test(keeps_crlf_inside_values),
	cmocka_unit_test(quotes_hostile_key_printably),
	cmocka_unit_test(refused_data_holds_nothing),
	cmocka_unit_test(refuses_template_with_unlisted_variable),
	cmocka_unit_test(escapes_all_five_html_characters),
};

static struct CMUnitTest row_test(const char *name, CMUnitTestFunction fn, const void *row)
{
	struct CMUnitTest t = { name, fn, NULL, NULL, (void *)row };

	return t;
}

int main(void)
{
	struct CMUnitTest tests[ARRAY_SIZE(data_cases) + ARRAY_SIZE(render_cases) +
				ARRAY_SIZE(other_tests)];
	size_t i, n = 0;

	for (i = 0; i < ARRAY_SIZE(data_cases); i++)
		tests[n++] = row_test(data_cases[i].name, run_data_case, &data_cases[i]);
	for (i = 0; i < ARRAY_SIZE(render_cases); i++)
		tests[n++] = row_test(render_cases[i].name, run_render_case, &render_cases[i]);
	for (i = 0; i < ARRAY_SIZE(other_tests); i++)
		tests[n++] = other_tests[i];
	return cmocka_run_group_tests_name("tmpl_render", tests, NULL, NULL);
}
