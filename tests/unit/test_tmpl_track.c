/*
 * test_tmpl_track - unit tests for policy/template/tmpl_track.c: which
 * links are rewritten and how, on ordinary and hostile HTML.  The link
 * hook here writes "T(URL)" so the rows show the URL that was sealed
 * (decoded as a browser follows it) and declines the unsubscribe link.
 *
 * One cmocka test per table row, named after the behaviour.
 * Diagnostics: a failing row prints "got X, want Y".
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
#include "tabletest.h"
#include "tmpl_track.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define UNSUB "https://unsub.example/u-abc"
#define PX "<img src=\"P\" width=\"1\" height=\"1\" alt=\"\" " \
	   "style=\"display:block;border:0;width:1px;height:1px\">"

struct track_case {
	const char *name;
	const char *in;
	const char *want;	/* with pixel */
	size_t tracked, untracked;
};

static const struct track_case track_cases[] = {
	{ "double_quoted_href_is_rewritten", "<a href=\"https://x.example/\">x</a>",
	  "<a href=\"T(https://x.example/)\">x</a>" PX, 1, 0 },
	{ "single_quoted_href_is_rewritten", "<a href='http://x.example/a'>x</a>",
	  "<a href=\"T(http://x.example/a)\">x</a>" PX, 1, 0 },
	{ "unquoted_href_is_rewritten", "<a class=b href=https://x.example/?a=1 id=c>x</a>",
	  "<a class=b href=\"T(https://x.example/?a=1)\" id=c>x</a>" PX, 1, 0 },
	{ "href_in_odd_case_and_tag_in_upper_case", "<A HrEf = \"HTTPS://X.example/P\">x</A>",
	  "<A HrEf = \"T(HTTPS://X.example/P)\">x</A>" PX, 1, 0 },
	{ "entities_are_decoded_for_the_token_and_escaped_again",
	  "<a href=\"https://x.example/?a=1&amp;b=2&#38;c=3\">x</a>",
	  "<a href=\"T(https://x.example/?a=1&amp;b=2&amp;c=3)\">x</a>" PX, 1, 0 },
	{ "query_and_fragment_are_kept", "<a href=\"https://x.example/p?q=%20#frag\">x</a>",
	  "<a href=\"T(https://x.example/p?q=%20#frag)\">x</a>" PX, 1, 0 },
	{ "blanks_around_the_url_are_trimmed", "<a href=\"  https://x.example/ \">x</a>",
	  "<a href=\"T(https://x.example/)\">x</a>" PX, 1, 0 },
	{ "mailto_tel_anchor_relative_and_javascript_stay",
	  "<a href=\"mailto:a@b\">m</a><a href='tel:+1'>t</a><a href=#top>a</a>"
	  "<a href=\"/rel\">r</a><a href=\"javascript:x()\">j</a><a href=\"//x.example/\">p</a>",
	  "<a href=\"mailto:a@b\">m</a><a href='tel:+1'>t</a><a href=#top>a</a>"
	  "<a href=\"/rel\">r</a><a href=\"javascript:x()\">j</a><a href=\"//x.example/\">p</a>" PX,
	  0, 6 },
	{ "unsubscribe_link_stays", "<a href=\"" UNSUB "\">u</a>",
	  "<a href=\"" UNSUB "\">u</a>" PX, 0, 1 },
	{ "attribute_off_keeps_the_link_and_is_removed",
	  "<a href=\"https://x.example/\" data-ses-track=\"off\">x</a>",
	  "<a href=\"https://x.example/\">x</a>" PX, 0, 1 },
	{ "attribute_on_is_removed_and_the_link_tracked",
	  "<a data-ses-track=on href=\"https://x.example/\">x</a>",
	  "<a href=\"T(https://x.example/)\">x</a>" PX, 1, 0 },
	{ "attribute_glued_to_the_next_keeps_them_apart",
	  "<a DATA-SES-TRACK='off'href=\"https://x.example/\">x</a>",
	  "<a href=\"https://x.example/\">x</a>" PX, 0, 1 },
	{ "pixel_goes_before_body_end_tag", "<html><body><p>hi</p></body></html>",
	  "<html><body><p>hi</p>" PX "</body></html>", 0, 0 },
	{ "pixel_goes_before_the_last_body_end_tag", "<body>a</BODY>b</body >c",
	  "<body>a</BODY>b" PX "</body >c", 0, 0 },
	{ "body_in_a_comment_or_script_is_not_the_end",
	  "<p>x<!-- </body> --><script>\"</body>\"</script>",
	  "<p>x<!-- </body> --><script>\"</body>\"</script>" PX, 0, 0 },
	{ "gt_inside_a_quoted_value_does_not_end_the_tag",
	  "<a title=\"a>b\" href=\"https://x.example/\">x</a>",
	  "<a title=\"a>b\" href=\"T(https://x.example/)\">x</a>" PX, 1, 0 },
	{ "tag_cut_short_is_copied_as_it_is", "<p>x</p><a href=\"https://x.example/",
	  "<p>x</p><a href=\"https://x.example/" PX, 0, 0 },
	{ "unterminated_comment_is_copied", "<p>x<!-- <a href=\"https://x.example/\">",
	  "<p>x<!-- <a href=\"https://x.example/\">" PX, 0, 0 },
	{ "link_in_a_comment_stays", "<!-- <a href=\"https://x.example/\">x</a> -->",
	  "<!-- <a href=\"https://x.example/\">x</a> -->" PX, 0, 0 },
	{ "abbr_and_area_are_not_a", "<abbr href=\"https://x.example/\">x</abbr>",
	  "<abbr href=\"https://x.example/\">x</abbr>" PX, 0, 0 },
	{ "blank_inside_the_url_stays_untracked", "<a href=\"https://x.example/a b\">x</a>",
	  "<a href=\"https://x.example/a b\">x</a>" PX, 0, 1 },
	{ "quote_in_url_is_escaped", "<a href='https://x.example/\"q'>x</a>",
	  "<a href=\"T(https://x.example/&quot;q)\">x</a>" PX, 1, 0 },
	{ "first_href_counts_as_a_browser_does",
	  "<a href=\"https://one.example/\" href=\"https://two.example/\">x</a>",
	  "<a href=\"T(https://one.example/)\" href=\"https://two.example/\">x</a>" PX, 1, 0 },
	{ "lone_lt_and_end_of_input", "a < b <", "a < b <" PX, 0, 0 },
	{ "empty_part_gets_the_pixel", "", PX, 0, 0 },
};

/* The test hook: "T(url)", declining the unsubscribe link and long URLs. */
static int test_link(void *arg, const char *url, struct strbuf *out)
{
	(void)arg;
	if (strcmp(url, UNSUB) == 0 || strlen(url) > 2048)
		return -1;
	strbuf_appendf(out, "T(%s)", url);
	return 0;
}

static void run_track_case(void **state)
{
	const struct track_case *c = *state;
	struct tmpl_track_hooks h = { test_link, NULL, "P" };
	struct strbuf out = STRBUF_INIT;
	struct tmpl_track_count n;

	tmpl_track_html(c->in, strlen(c->in), &h, &out, &n);
	if (strcmp(strbuf_cstr(&out), c->want) != 0)
		fail_msg("got %s, want %s", strbuf_cstr(&out), c->want);
	assert_int_equal(n.tracked, c->tracked);
	assert_int_equal(n.untracked, c->untracked);
	assert_true(n.pixel);
	strbuf_free(&out);
}

static void very_long_url_stays_untracked(void **state)
{
	struct tmpl_track_hooks h = { test_link, NULL, NULL };
	struct strbuf in = STRBUF_INIT, out = STRBUF_INIT;
	struct tmpl_track_count n;
	size_t i;

	(void)state;
	strbuf_appends(&in, "<a href=\"https://x.example/");
	for (i = 0; i < 5000; i++)
		strbuf_appendc(&in, 'a');
	strbuf_appends(&in, "\">x</a>");
	tmpl_track_html(in.data, in.len, &h, &out, &n);
	assert_string_equal(strbuf_cstr(&out), strbuf_cstr(&in));
	assert_int_equal(n.untracked, 1);
	assert_false(n.pixel);
	strbuf_free(&in);
	strbuf_free(&out);
}

static void nul_byte_leaves_the_part_unchanged(void **state)
{
	static const char in[] = "<a href=\"https://x.example/\">\0</a>";
	struct tmpl_track_hooks h = { test_link, NULL, "P" };
	struct strbuf out = STRBUF_INIT;

	(void)state;
	tmpl_track_html(in, sizeof in - 1, &h, &out, NULL);
	assert_int_equal(out.len, sizeof in - 1);
	assert_memory_equal(out.data, in, sizeof in - 1);
	strbuf_free(&out);
}

int main(void)
{
	struct CMUnitTest tests[ARRAY_SIZE(track_cases) + 2];

	TABLE_TESTS(tests, track_cases, ARRAY_SIZE(track_cases), run_track_case);
	tests[ARRAY_SIZE(track_cases)] = (struct CMUnitTest)cmocka_unit_test(
		very_long_url_stays_untracked);
	tests[ARRAY_SIZE(track_cases) + 1] = (struct CMUnitTest)cmocka_unit_test(
		nul_byte_leaves_the_part_unchanged);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
