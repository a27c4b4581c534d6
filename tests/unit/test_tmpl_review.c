/*
 * test_tmpl_review - unit tests for policy/template/tmpl_review.c and
 * policy/template/tmpl_html.c: each automatic review check at its boundary (word
 * minimums, CJK counting, the 1:5 variable ratio, 50 images, image-only,
 * every link form, every external CSS form, variable-only templates).
 *
 * Each row builds a template in memory: "words" generated words in the
 * text part followed by text, and html followed by "images" <img> tags in
 * the HTML part; the variables are collected as the loader does.  The row
 * names the finding it checks and the pass/fail (and detail) it wants.
 *
 * Diagnostics: a failing case prints "got X, want Y" with the finding's
 * detail.
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
#include "tmpl_html.h"
#include "tmpl_review.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct review_case {
	const char *name;
	enum tmpl_type type;
	unsigned words;		/* "word " repeated in the text part */
	const char *text;	/* then this; no text part when NULL and words is 0 */
	const char *html;	/* the HTML part; none when NULL and images is 0 */
	unsigned images;	/* then this many <img> tags */
	bool allow_links;
	const char *check;	/* the finding looked at */
	bool pass;
	const char *detail;	/* its detail, or NULL for any */
};

#define TR TMPL_TRANSACTIONAL
#define NO TMPL_NOTIFICATION
#define MK TMPL_MARKETING
#define TG TMPL_TRIGGER

/* "中" (U+4E2D) 50 and 49 times, "あ" and "한" mixed in. */
#define CJK10 "中中中中中中中中中中"
#define CJK49 CJK10 CJK10 CJK10 CJK10 "中中中中中中中中中"
#define P50 "<p>" W10 W10 W10 W10 W10 "</p>"
#define W10 "one two three four five six seven eight nine ten "

static const struct review_case cases[] = {
	/* words */
	{ "transactional_49_words_fail", TR, 49, NULL, NULL, 0, false, "words", false,
	  "49 words, at least 50 for transactional" },
	{ "transactional_50_words_pass", TR, 50, NULL, NULL, 0, false, "words", true,
	  "50 words, at least 50 for transactional" },
	{ "notification_49_words_fail", NO, 49, NULL, NULL, 0, false, "words", false,
	  "49 words, at least 50 for notification" },
	{ "notification_50_words_pass", NO, 50, NULL, NULL, 0, false, "words", true, NULL },
	{ "marketing_149_words_fail", MK, 149, NULL, NULL, 0, false, "words", false,
	  "149 words, at least 150 for marketing" },
	{ "marketing_150_words_pass", MK, 150, NULL, NULL, 0, false, "words", true,
	  "150 words, at least 150 for marketing" },
	{ "trigger_with_few_words_passes_words", TG, 3, NULL, NULL, 0, false, "words", true,
	  "3 words, no minimum for trigger" },
	{ "cjk_50_characters_are_50_words", TR, 0, CJK49 "中", NULL, 0, false, "words", true,
	  "50 words, at least 50 for transactional" },
	{ "cjk_49_characters_fail", TR, 0, CJK49, NULL, 0, false, "words", false,
	  "49 words, at least 50 for transactional" },
	{ "kana_and_hangul_count_per_character", TG, 0, "ひらがな カタカナ 안녕하세요", NULL, 0,
	  false, "words", true, "13 words, no minimum for trigger" },
	{ "cjk_punctuation_is_not_a_word", TG, 0, "中文。「中」、", NULL, 0, false, "words",
	  true, "3 words, no minimum for trigger" },
	{ "cjk_next_to_latin_splits_words", TG, 0, "abc中def", NULL, 0, false, "words", true,
	  "3 words, no minimum for trigger" },
	{ "accented_latin_words_are_words", TG, 0, "café naïve Ärger über-all", NULL, 0, false,
	  "words", true, "5 words, no minimum for trigger" },
	{ "cyrillic_and_greek_words_are_words", TG, 0, "привет мир αβγ", NULL, 0, false,
	  "words", true, "3 words, no minimum for trigger" },
	{ "punctuation_and_symbols_are_not_words", TG, 0, "-- ... !!! — “ ” € ✓ 😀", NULL, 0,
	  false, "words", true, "0 words, no minimum for trigger" },
	{ "variables_are_not_words", TR, 49, "{{a}} {{b}} {{ c }}", NULL, 0, false, "words",
	  false, "49 words, at least 50 for transactional" },
	{ "html_text_counts_without_text_part", TR, 0, NULL, P50, 0, false, "words", true,
	  "50 words, at least 50 for transactional" },
	{ "html_script_and_style_are_not_words", TR, 0, NULL,
	  "<style>p { a b c d e f g h }</style><script>var a = b + c;</script>" W10, 0, false,
	  "words", false, "10 words, at least 50 for transactional" },
	{ "html_tags_and_attributes_are_not_words", TG, 0, NULL,
	  "<div class=\"a b c\"><b>bold</b> <i title='x y'>it</i></div><!-- a b c -->", 0, false,
	  "words", true, "2 words, no minimum for trigger" },
	{ "html_entities_are_decoded", TG, 0, NULL, "a&amp;b &lt;c&gt; &#100;&#x65;f", 0, false,
	  "words", true, "4 words, no minimum for trigger" },
	{ "text_part_wins_over_html", TR, 50, NULL, "<p>short</p>", 0, false, "words", true,
	  NULL },
	/* variables */
	{ "ratio_1_to_5_passes", TR, 10, "{{a}} {{b}}", NULL, 0, false, "variables", true,
	  "2 variables to 10 words, at most 1 to 5" },
	{ "ratio_just_over_1_to_5_fails", TR, 9, "{{a}} {{b}}", NULL, 0, false, "variables",
	  false, "2 variables to 9 words, at most 1 to 5" },
	{ "repeated_variable_counts_once", TR, 5, "{{a}} {{a}} {{a}}", NULL, 0, false,
	  "variables", true, NULL },
	{ "no_variables_pass", TR, 0, "x", NULL, 0, false, "variables", true, "no variables" },
	{ "trigger_without_words_passes_variables", TG, 0, "{{a}}", NULL, 0, false, "variables",
	  true, NULL },
	{ "transactional_without_words_fails_variables", TR, 0, "{{a}}", NULL, 0, false,
	  "variables", false, "1 variables to 0 words, at most 1 to 5" },
	/* images */
	{ "50_images_pass", TR, 0, NULL, P50, 50, false, "images", true,
	  "50 images, at most 50" },
	{ "51_images_fail", TR, 0, NULL, P50, 51, false, "images", false,
	  "51 images, at most 50" },
	{ "image_only_fails", TR, 0, NULL, "<html><body>", 1, false, "images", false,
	  "1 images and no words: image-only" },
	{ "image_only_html_fails_despite_text_part", TR, 60, NULL, "<p> </p>", 2, false, "images",
	  false, NULL },
	{ "image_with_words_passes", TG, 0, NULL, "<p>Look</p>", 1, false, "images", true,
	  "1 images, at most 50" },
	{ "img_tag_is_case_insensitive", TG, 0, NULL, "<IMG SRC=a.png><Img/><img>", 0, false,
	  "images", false, "3 images and no words: image-only" },
	{ "other_tags_starting_with_img_are_not_images", TG, 0, NULL, "<imgx><image> x", 0, false,
	  "images", true, "0 images, at most 50" },
	/* links */
	{ "http_url_in_text_fails", TR, 0, "see http://a.example/x now", NULL, 0, false, "links",
	  false, "link \"http://a.example/x\" (needs AllowLinks yes)" },
	{ "https_url_in_text_fails", TR, 0, "HTTPS://A.example", NULL, 0, false, "links", false,
	  NULL },
	{ "ftp_url_in_text_fails", TR, 0, "ftp://files.example", NULL, 0, false, "links", false,
	  NULL },
	{ "www_host_in_text_fails", TR, 0, "visit www.example.com", NULL, 0, false, "links", false,
	  "link \"www.example.com\" (needs AllowLinks yes)" },
	{ "www_inside_a_word_is_no_link", TR, 0, "awww. that is nice", NULL, 0, false, "links",
	  true, "no links" },
	{ "url_in_html_text_fails", TR, 0, NULL, "<p>go to https://x.example</p>", 0, false,
	  "links", false, NULL },
	{ "entity_encoded_url_in_html_fails", TR, 0, NULL, "<p>h&#116;tps://x.example</p>", 0,
	  false, "links", false, NULL },
	{ "href_to_url_fails", TR, 0, NULL, "<a href=\"https://x.example/r?u=1\">x</a>", 0, false,
	  "links", false, "href \"https://x.example/r?u=1\" (needs AllowLinks yes)" },
	{ "relative_href_fails", TR, 0, NULL, "<a href='/redirect?to=x'>x</a>", 0, false, "links",
	  false, NULL },
	{ "unquoted_href_fails", TR, 0, NULL, "<a HREF=r.example/x>x</a>", 0, false, "links",
	  false, NULL },
	{ "href_with_variable_and_url_fails", TR, 0, NULL, "<a href=\"https://{{host}}/\">x</a>",
	  0, false, "links", false, NULL },
	{ "mailto_href_passes", TR, 0, NULL, "<a href=\"mailto:help@example.com\">x</a>", 0, false,
	  "links", true, "no links" },
	{ "variable_only_href_passes", TR, 0, NULL, "<a href=\" {{ url }} \">x</a>", 0, false,
	  "links", true, "no links" },
	{ "fragment_href_passes", TR, 0, NULL, "<a href=\"#top\">x</a>", 0, false, "links", true,
	  "no links" },
	{ "url_in_img_src_fails", TR, 0, NULL, "<img src=\"https://cdn.example/a.png\"> x", 0,
	  false, "links", false, NULL },
	{ "doctype_and_xmlns_urls_are_not_links", TR, 0, NULL,
	  "<!DOCTYPE html PUBLIC \"-//W3C//DTD XHTML 1.0//EN\" \"http://www.w3.org/TR/x.dtd\">"
	  "<html xmlns=\"http://www.w3.org/1999/xhtml\"><!-- http://x --><p>hi</p></html>",
	  0, false, "links", true, "no links" },
	{ "allowed_link_passes", TR, 0, "see https://x.example", "<a href=\"https://y\">y</a>", 0,
	  true, "links", true, "link \"https://x.example\", allowed (AllowLinks yes)" },
	/* css */
	{ "link_rel_stylesheet_fails", TR, 0, NULL,
	  "<link rel=\"StyleSheet\" href=\"s.css\"><p>x</p>", 0, false, "css", false,
	  "external CSS: <link rel=\"StyleSheet\">" },
	{ "import_in_style_fails", TR, 0, NULL, "<style>@import \"s.css\";</style>x", 0, false,
	  "css", false, "external CSS: @import" },
	{ "url_http_in_style_fails", TR, 0, NULL,
	  "<style>body { background: url( 'https://x.example/b.png') }</style>x", 0, false, "css",
	  false, "external CSS: url(https://x.example/b.png)" },
	{ "url_http_in_style_attribute_fails", TR, 0, NULL,
	  "<p style=\"background:url(http://x.example/b.png)\">x</p>", 0, false, "css", false,
	  NULL },
	{ "protocol_relative_url_in_style_fails", TR, 0, NULL,
	  "<style>p{background:url(//cdn.example/b.png)}</style>x", 0, false, "css", false, NULL },
	{ "import_in_style_attribute_fails", TR, 0, NULL, "<p style='@import url(s.css)'>x</p>", 0,
	  false, "css", false, NULL },
	{ "inline_css_passes", TR, 0, NULL,
	  "<style>p { color: red; background: url(cid:logo) }</style><p style=\"margin:0\">x</p>",
	  0, false, "css", true, "no external CSS" },
	{ "link_without_stylesheet_is_not_css", TR, 0, NULL, "<link rel=\"icon\">x", 0, false,
	  "css", true, NULL },
	/* content */
	{ "variable_only_text_fails", TR, 0, "{{a}} {{b}}", NULL, 0, false, "content", false,
	  "variable-only: 2 variables and no words" },
	{ "variable_only_trigger_fails", TG, 0, "{{a}}", NULL, 0, false, "content", false, NULL },
	{ "variable_only_html_fails", TR, 0, NULL, "<p>{{a}}</p>", 0, false, "content", false,
	  NULL },
	{ "text_besides_variables_passes", TR, 1, "{{a}}", NULL, 0, false, "content", true,
	  "text besides variables" },
	{ "no_words_and_no_variables_pass_content", TR, 0, NULL, "<p></p>", 1, false, "content",
	  true, NULL },
};

/* Builds the template a row describes; free with free_tmpl. */
static struct tmpl *build_tmpl(const struct review_case *c)
{
	struct tmpl *t = calloc(1, sizeof *t);
	struct strbuf text = STRBUF_INIT, html = STRBUF_INIT, all = STRBUF_INIT;
	unsigned i;

	assert_non_null(t);
	t->type = c->type;
	t->allow_links = c->allow_links;
	for (i = 0; i < c->words; i++)
		strbuf_appends(&text, "word ");
	if (c->text != NULL)
		strbuf_appends(&text, c->text);
	if (c->html != NULL)
		strbuf_appends(&html, c->html);
	for (i = 0; i < c->images; i++)
		strbuf_appends(&html, "<img src=\"i.png\" alt=\"\">");
	t->text = c->words > 0 || c->text != NULL ? strbuf_detach(&text) : NULL;
	t->html = c->html != NULL || c->images > 0 ? strbuf_detach(&html) : NULL;
	strbuf_appendf(&all, "%s\n%s", t->text ? t->text : "", t->html ? t->html : "");
	t->nvars = tmpl_collect_vars(strbuf_cstr(&all), &t->vars);
	strbuf_free(&text);
	strbuf_free(&html);
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

static void run_case(void **state)
{
	const struct review_case *c = *state;
	struct tmpl_finding f[TMPL_REVIEW_CHECKS];
	struct tmpl *t = build_tmpl(c);
	size_t i;

	(void)tmpl_review(t, f);
	for (i = 0; i < TMPL_REVIEW_CHECKS; i++)
		if (strcmp(f[i].check, c->check) == 0)
			break;
	if (i == TMPL_REVIEW_CHECKS)
		fail_msg("finding %s: got none, want one", c->check);
	if (f[i].pass != c->pass)
		fail_msg("%s: got %s (%s), want %s", c->check, f[i].pass ? "pass" : "FAIL",
			 f[i].detail, c->pass ? "pass" : "FAIL");
	if (c->detail != NULL && strcmp(f[i].detail, c->detail) != 0)
		fail_msg("%s detail: got \"%s\", want \"%s\"", c->check, f[i].detail, c->detail);
	free_tmpl(t);
}

static void findings_come_in_a_fixed_order(void **state)
{
	static const char *const names[] = { "words", "variables", "images", "links", "css",
					     "content" };
	static const struct review_case good = { "good", TR, 60, "Hello {{name}}", P50, 1, false,
						 "words", true, NULL };
	struct tmpl_finding f[TMPL_REVIEW_CHECKS];
	struct tmpl *t = build_tmpl(&good);
	size_t i;

	assert_true(tmpl_review(t, f));
	for (i = 0; i < TMPL_REVIEW_CHECKS; i++) {
		assert_string_equal(f[i].check, names[i]);
		assert_true(f[i].pass);
	}
	free_tmpl(t);
}

static void one_failed_check_fails_the_review(void **state)
{
	static const struct review_case bad = { "bad", TR, 60, "http://x", NULL, 0, false,
						"links", false, NULL };
	struct tmpl_finding f[TMPL_REVIEW_CHECKS];
	struct tmpl *t = build_tmpl(&bad);

	assert_false(tmpl_review(t, f));
	free_tmpl(t);
}

static void long_url_detail_fits(void **state)
{
	char text[600];
	struct review_case c = { "long", TR, 60, NULL, NULL, 0, false, "links", false, NULL };
	struct tmpl_finding f[TMPL_REVIEW_CHECKS];
	struct tmpl *t;

	memset(text, 'a', sizeof text - 1);
	memcpy(text, "https://", 8);
	text[sizeof text - 1] = '\0';
	c.text = text;
	t = build_tmpl(&c);
	assert_false(tmpl_review(t, f));
	assert_true(strlen(f[3].detail) < sizeof f[3].detail);
	free_tmpl(t);
}

static void count_words_skips_invalid_utf8(void **state)
{
	assert_int_equal(tmpl_count_words("ab\xff" "cd", 5), 2);
	assert_int_equal(tmpl_count_words("\xe4\xb8", 2), 0);	/* a cut CJK character */
	assert_int_equal(tmpl_count_words("", 0), 0);
}

static const struct CMUnitTest other_tests[] = {
	cmocka_unit_test(findings_come_in_a_fixed_order),
	cmocka_unit_test(one_failed_check_fails_the_review),
	cmocka_unit_test(long_url_detail_fits),
	cmocka_unit_test(count_words_skips_invalid_utf8),
};

int main(void)
{
	struct CMUnitTest tests[ARRAY_SIZE(cases) + ARRAY_SIZE(other_tests)];
	size_t i, n = 0;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		struct CMUnitTest t = { cases[i].name, run_case, NULL, NULL, (void *)&cases[i] };

		tests[n++] = t;
	}
	for (i = 0; i < ARRAY_SIZE(other_tests); i++)
		tests[n++] = other_tests[i];
	return cmocka_run_group_tests_name("tmpl_review", tests, NULL, NULL);
}
