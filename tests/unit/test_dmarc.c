/*
 * test_dmarc - unit tests for policy/auth/psl.c and policy/auth/dmarc_align.c: the
 * organisational domain (normal, wildcard, exception and Unicode rules,
 * unknown TLDs) from a small list written by the test and from Debian's
 * list, strict and relaxed alignment (subdomains, single-letter labels,
 * co.uk-style suffixes), the subdomain policy, and From parsing (display
 * names, comments, encoded words, groups, several or malformed addresses).
 *
 * Table rows are named after the behaviour they pin down; main() turns
 * every row into its own cmocka test.  Rows that need Debian's list are
 * skipped when /usr/share/publicsuffix/public_suffix_list.dat is missing.
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
#include <unistd.h>

#include <cmocka.h>

#include "diag.h"
#include "dmarc_align.h"
#include "psl.h"
#include "strbuf.h"
#include "testutil.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define DEBIAN_PSL "/usr/share/publicsuffix/public_suffix_list.dat"

static const char small_list[] =
	"// a small list for the tests\n"
	"com\n"
	"uk\n"
	"co.uk\n"
	"*.ck\n"
	"!www.ck\n"
	"jp\n"
	"kobe.jp\n"
	"*.kobe.jp\n"
	"!city.kobe.jp\n"
	"cn\n"
	"\xe5\x85\xac\xe5\x8f\xb8.cn   trailing text is ignored\n"
	"\n"
	"// ===BEGIN PRIVATE DOMAINS===\n"
	"  blogspot.com\n";

static struct psl *small_psl;	/* from small_list */
static struct psl *debian_psl;	/* NULL when Debian's list is not installed */

/* Group setup: loads both lists once (they are immutable). */
static int load_lists(void **state)
{
	struct diag_list dl = DIAG_LIST_INIT;
	char *dir = testutil_tmpdir(), *path = testutil_path(dir, "psl.dat");

	(void)state;
	testutil_write_file(dir, "psl.dat", small_list);
	small_psl = psl_load(path, &dl);
	if (small_psl == NULL || dl.n != 0) {
		fprintf(stderr, "small list: %s\n", testutil_diag_text(&dl));
		return -1;
	}
	if (access(DEBIAN_PSL, R_OK) == 0)
		debian_psl = psl_load(DEBIAN_PSL, &dl);
	testutil_rmtree(dir);
	free(dir);
	free(path);
	diag_free(&dl);
	return 0;
}

static int free_lists(void **state)
{
	(void)state;
	psl_free(small_psl);
	psl_free(debian_psl);
	return 0;
}

static const char *const psl_status_names[] = { "PSL_OK", "PSL_IS_SUFFIX" };

static const char *psl_status_name(enum psl_status st)
{
	return st == PSL_BAD ? "PSL_BAD" : psl_status_names[st];
}

struct org_case {
	const char *name;
	bool debian;		/* use Debian's list instead of small_list */
	const char *domain;
	enum psl_status want;
	const char *org;	/* when want is not PSL_BAD */
};

static const struct org_case org_cases[] = {
	{ "org_of_registered_domain_is_itself", false, "example.com", PSL_OK, "example.com" },
	{ "org_drops_subdomain_labels", false, "a.b.example.com", PSL_OK, "example.com" },
	{ "org_lowercases_and_drops_trailing_dot", false, "Mail.Example.COM.", PSL_OK,
	  "example.com" },
	{ "org_under_two_label_suffix", false, "www.example.co.uk", PSL_OK, "example.co.uk" },
	{ "org_of_public_suffix_is_suffix", false, "co.uk", PSL_IS_SUFFIX, "co.uk" },
	{ "org_of_tld_is_suffix", false, "com", PSL_IS_SUFFIX, "com" },
	{ "org_under_wildcard_keeps_two_labels", false, "a.foo.bar.ck", PSL_OK, "foo.bar.ck" },
	{ "org_wildcard_match_is_suffix", false, "bar.ck", PSL_IS_SUFFIX, "bar.ck" },
	{ "org_exception_rule_is_registrable", false, "www.ck", PSL_OK, "www.ck" },
	{ "org_below_exception_rule", false, "a.b.www.ck", PSL_OK, "www.ck" },
	{ "org_exception_beats_wildcard_beside_normal", false, "x.city.kobe.jp", PSL_OK,
	  "city.kobe.jp" },
	{ "org_wildcard_beats_shorter_normal_rule", false, "x.y.kobe.jp", PSL_OK, "x.y.kobe.jp" },
	{ "org_unknown_tld_uses_implicit_star", false, "a.b.example.invalid", PSL_OK,
	  "example.invalid" },
	{ "org_unknown_tld_alone_is_suffix", false, "invalid", PSL_IS_SUFFIX, "invalid" },
	{ "org_single_letter_label", false, "b.a.example", PSL_OK, "a.example" },
	{ "org_single_letter_registered", false, "a.example", PSL_OK, "a.example" },
	{ "org_private_section_rule", false, "x.y.blogspot.com", PSL_OK, "y.blogspot.com" },
	{ "org_unicode_rule_matches_a_label", false, "a.b.xn--55qx5d.cn", PSL_OK,
	  "b.xn--55qx5d.cn" },
	{ "org_refuses_empty", false, "", PSL_BAD, NULL },
	{ "org_refuses_lone_dot", false, ".", PSL_BAD, NULL },
	{ "org_refuses_empty_label", false, "a..example.com", PSL_BAD, NULL },
	{ "org_refuses_leading_dot", false, ".example.com", PSL_BAD, NULL },
	{ "org_refuses_blank", false, "exa mple.com", PSL_BAD, NULL },
	{ "org_refuses_u_label", false, "b\xc3\xbc" "cher.example", PSL_BAD, NULL },
	{ "debian_org_under_co_uk", true, "www.example.co.uk", PSL_OK, "example.co.uk" },
	{ "debian_org_com", true, "a.b.example.com", PSL_OK, "example.com" },
	{ "debian_org_wildcard_kawasaki", true, "a.b.c.kawasaki.jp", PSL_OK, "b.c.kawasaki.jp" },
	{ "debian_org_exception_city_kawasaki", true, "www.city.kawasaki.jp", PSL_OK,
	  "city.kawasaki.jp" },
	{ "debian_org_exception_www_ck", true, "mail.www.ck", PSL_OK, "www.ck" },
	{ "debian_org_private_blogspot", true, "x.foo.blogspot.com", PSL_OK, "foo.blogspot.com" },
	{ "debian_org_unicode_suffix", true, "a.b.xn--55qx5d.cn", PSL_OK, "b.xn--55qx5d.cn" },
	{ "debian_org_unknown_tld", true, "a.b.example.invalid", PSL_OK, "example.invalid" },
	{ "debian_org_single_letter", true, "x.b.a.example.org", PSL_OK, "example.org" },
};

static void run_org_case(void **state)
{
	const struct org_case *c = *state;
	const struct psl *p = c->debian ? debian_psl : small_psl;
	struct strbuf out = STRBUF_INIT;
	enum psl_status got;

	if (p == NULL)
		skip();
	strbuf_appends(&out, c->want == PSL_BAD ? "untouched" : "");
	got = psl_org_domain(p, c->domain, &out);
	if (got != c->want)
		fail_msg("psl_org_domain(\"%s\"): got %s (\"%s\"), want %s", c->domain,
			 psl_status_name(got), strbuf_cstr(&out), psl_status_name(c->want));
	if (c->want != PSL_BAD && strcmp(strbuf_cstr(&out), c->org) != 0)
		fail_msg("psl_org_domain(\"%s\"): got \"%s\", want \"%s\"", c->domain,
			 strbuf_cstr(&out), c->org);
	if (c->want == PSL_BAD && strcmp(strbuf_cstr(&out), "untouched") != 0)
		fail_msg("on PSL_BAD: got out \"%s\", want it left unchanged", strbuf_cstr(&out));
	strbuf_free(&out);
}

struct align_case {
	const char *name;
	bool debian;
	const char *from, *auth;
	bool strict;
	bool want;
};

static const struct align_case align_cases[] = {
	{ "strict_aligns_same_domain", false, "example.com", "example.com", true, true },
	{ "strict_ignores_case_and_trailing_dot", false, "Example.COM.", "example.com", true,
	  true },
	{ "strict_refuses_subdomain", false, "example.com", "mail.example.com", true, false },
	{ "strict_refuses_parent", false, "mail.example.com", "example.com", true, false },
	{ "relaxed_aligns_subdomain", false, "example.com", "mail.example.com", false, true },
	{ "relaxed_aligns_parent", false, "news.example.com", "example.com", false, true },
	{ "relaxed_aligns_sibling_subdomains", false, "a.example.com", "b.example.com", false,
	  true },
	{ "relaxed_refuses_other_domain", false, "example.com", "example.net", false, false },
	{ "relaxed_refuses_lookalike_suffix", false, "example.com", "badexample.com", false,
	  false },
	{ "relaxed_aligns_single_letter_parent", false, "a.example", "b.a.example", false, true },
	{ "strict_refuses_single_letter_child", false, "a.example", "b.a.example", true, false },
	{ "relaxed_refuses_single_letter_siblings", false, "a.example", "b.example", false,
	  false },
	{ "relaxed_aligns_under_single_letter", false, "x.a.example", "y.a.example", false,
	  true },
	{ "relaxed_refuses_neighbours_under_co_uk", false, "a.co.uk", "b.co.uk", false, false },
	{ "relaxed_aligns_within_co_uk_domain", false, "x.example.co.uk", "example.co.uk",
	  false, true },
	{ "relaxed_refuses_suffix_itself", false, "example.co.uk", "co.uk", false, false },
	{ "relaxed_refuses_wildcard_neighbours", false, "a.bar.ck", "b.bar.ck", false, false },
	{ "relaxed_aligns_below_wildcard_domain", false, "x.a.bar.ck", "a.bar.ck", false, true },
	{ "relaxed_aligns_below_exception", false, "x.www.ck", "www.ck", false, true },
	{ "relaxed_refuses_invalid_names", false, "", "", false, false },
	{ "strict_refuses_invalid_names", false, "a..b", "a..b", true, false },
	{ "debian_relaxed_refuses_co_uk_neighbours", true, "a.co.uk", "b.co.uk", false, false },
	{ "debian_relaxed_aligns_co_uk_subdomain", true, "mail.shop.co.uk", "shop.co.uk", false,
	  true },
	{ "debian_relaxed_refuses_blogspot_neighbours", true, "a.blogspot.com", "b.blogspot.com",
	  false, false },
	{ "debian_relaxed_aligns_single_letter", true, "a.example.com", "b.a.example.com", false,
	  true },
	{ "debian_strict_refuses_subdomain", true, "example.com", "mail.example.com", true,
	  false },
};

static void run_align_case(void **state)
{
	const struct align_case *c = *state;
	const struct psl *p = c->debian ? debian_psl : small_psl;
	bool got;

	if (p == NULL)
		skip();
	got = dmarc_aligned(p, c->from, c->auth, c->strict);
	if (got != c->want)
		fail_msg("dmarc_aligned(\"%s\", \"%s\", %s): got %s, want %s", c->from, c->auth,
			 c->strict ? "strict" : "relaxed", got ? "true" : "false",
			 c->want ? "true" : "false");
}

struct from_case {
	const char *name;
	const char *in;
	const char *want;	/* NULL: an error */
};

static const struct from_case from_cases[] = {
	{ "from_bare_address", "user@example.com", "example.com" },
	{ "from_angle_address_lowercased", "<user@Example.COM>", "example.com" },
	{ "from_display_name", "John Doe <john@example.com>", "example.com" },
	{ "from_quoted_name_with_comma", "\"Doe, John\" <john@example.com>", "example.com" },
	{ "from_quoted_name_with_other_address", "\"ceo@evil.example\" <john@example.com>",
	  "example.com" },
	{ "from_quoted_name_with_angle", "John \"<evil@evil.example>\" <john@example.com>",
	  "example.com" },
	{ "from_escaped_quote_in_name", "\"Jo\\\"hn\" <john@example.com>", "example.com" },
	{ "from_trailing_comment", "john@example.com (John Doe)", "example.com" },
	{ "from_comment_with_address", "(<x@evil.example>, x) john@example.com", "example.com" },
	{ "from_nested_comment", "John (a (b) c) <john@example.com>", "example.com" },
	{ "from_comment_inside_angle", "<john(x@evil.example)@example.com>", "example.com" },
	{ "from_encoded_name_with_comma", "=?utf-8?q?Doe,_John?= <john@example.com>",
	  "example.com" },
	{ "from_encoded_name_base64", "=?UTF-8?B?w6lsw6g=?= <john@example.com>", "example.com" },
	{ "from_utf8_display_name", "J\xc3\xb6rg <j@example.com>", "example.com" },
	{ "from_folded_value", "\r\n\tJohn\r\n <john@example.com>\r\n", "example.com" },
	{ "from_trailing_dot", "john@example.com.", "example.com" },
	{ "from_source_route", "<@relay.example:john@example.com>", "example.com" },
	{ "from_two_addresses_same_domain", "a@example.com, B <b@EXAMPLE.com>", "example.com" },
	{ "from_empty_list_elements", ", a@example.com, ,", "example.com" },
	{ "from_group", "Team: a@example.com, b@example.com;", "example.com" },
	{ "from_empty_group_and_address", "Nobody: ; a@example.com", "example.com" },
	{ "from_two_groups_same_domain", "G1: a@example.com; G2: <b@example.com>;",
	  "example.com" },
	{ "from_address_in_display_name_uses_angle", "john@example.com <x@y.example>",
	  "y.example" },
	{ "from_refuses_two_domains", "a@example.com, b@other.example", NULL },
	{ "from_refuses_subdomain_as_second_domain", "a@example.com, b@mail.example.com", NULL },
	{ "from_refuses_group_with_two_domains", "G: a@example.com, b@other.example;", NULL },
	{ "from_refuses_empty", "", NULL },
	{ "from_refuses_blank", " \t ", NULL },
	{ "from_refuses_only_comment", "(nobody)", NULL },
	{ "from_refuses_empty_group", "undisclosed-recipients:;", NULL },
	{ "from_refuses_name_only", "John Doe", NULL },
	{ "from_refuses_null_path", "<>", NULL },
	{ "from_refuses_missing_domain", "john@", NULL },
	{ "from_refuses_missing_local_part", "@example.com", NULL },
	{ "from_refuses_unclosed_angle", "John <john@example.com", NULL },
	{ "from_refuses_unopened_angle", "John john@example.com>", NULL },
	{ "from_refuses_two_angles", "<a@example.com> <b@example.com>", NULL },
	{ "from_refuses_text_after_angle", "<a@example.com> x", NULL },
	{ "from_refuses_domain_literal", "john@[192.0.2.1]", NULL },
	{ "from_refuses_unquoted_name_without_angle", "John Doe john@example.com", NULL },
	{ "from_refuses_unterminated_quote", "\"John <john@example.com>", NULL },
	{ "from_refuses_unterminated_comment", "(John john@example.com", NULL },
	{ "from_refuses_unbalanced_paren", "john@example.com)", NULL },
	{ "from_refuses_blank_in_domain", "john@exa mple.com", NULL },
	{ "from_refuses_u_label_domain", "j@b\xc3\xbc" "cher.example", NULL },
	{ "from_refuses_group_without_semicolon", "G: a@example.com", NULL },
	{ "from_refuses_semicolon_outside_group", "a@example.com;", NULL },
	{ "from_refuses_nested_group", "A: B: a@example.com;;", NULL },
	{ "from_refuses_one_bad_address_of_two", "a@example.com, John", NULL },
};

static void run_from_case(void **state)
{
	const struct from_case *c = *state;
	struct strbuf out = STRBUF_INIT;
	const char *why = NULL;
	int rc;

	strbuf_appends(&out, "D:");
	rc = dmarc_from_domain(c->in, &out, &why);
	if (c->want != NULL && rc != 0)
		fail_msg("dmarc_from_domain(\"%s\"): got error \"%s\", want \"%s\"", c->in,
			 why ? why : "(null)", c->want);
	if (c->want != NULL && strcmp(strbuf_cstr(&out) + 2, c->want) != 0)
		fail_msg("dmarc_from_domain(\"%s\"): got \"%s\", want \"D:%s\"", c->in,
			 strbuf_cstr(&out), c->want);
	if (c->want == NULL && rc == 0)
		fail_msg("dmarc_from_domain(\"%s\"): got domain \"%s\", want an error", c->in,
			 strbuf_cstr(&out));
	if (c->want == NULL && (why == NULL || strcmp(strbuf_cstr(&out), "D:") != 0))
		fail_msg("on error: got why %s and buffer \"%s\", want a reason and \"D:\"",
			 why ? why : "NULL", strbuf_cstr(&out));
	strbuf_free(&out);
}

struct policy_case {
	const char *name;
	const char *from, *org, *p, *sp;
	const char *want;
};

static const struct policy_case policy_cases[] = {
	{ "policy_org_domain_uses_p", "example.com", "example.com", "reject", "none", "reject" },
	{ "policy_org_domain_ignores_case", "Example.COM.", "example.com", "reject", "none",
	  "reject" },
	{ "policy_subdomain_uses_sp", "mail.example.com", "example.com", "reject", "quarantine",
	  "quarantine" },
	{ "policy_subdomain_without_sp_uses_p", "mail.example.com", "example.com", "reject",
	  NULL, "reject" },
	{ "policy_subdomain_with_empty_sp_uses_p", "mail.example.com", "example.com",
	  "quarantine", "", "quarantine" },
	{ "policy_single_letter_subdomain_uses_sp", "b.a.example", "a.example", "reject", "none",
	  "none" },
};

static void run_policy_case(void **state)
{
	const struct policy_case *c = *state;
	const char *got = dmarc_policy_for(c->from, c->org, c->p, c->sp);

	if (got == NULL || strcmp(got, c->want) != 0)
		fail_msg("dmarc_policy_for(\"%s\", \"%s\", p=%s, sp=%s): got %s, want %s", c->from,
			 c->org, c->p, c->sp ? c->sp : "NULL", got ? got : "NULL", c->want);
}

/* Writes content to a scratch list, loads it and checks the one diagnostic. */
static void expect_load_error(const char *content, const char *want)
{
	struct diag_list dl = DIAG_LIST_INIT;
	char *dir = testutil_tmpdir(), *path = testutil_path(dir, "psl.dat");
	struct psl *p;

	if (content != NULL)
		testutil_write_file(dir, "psl.dat", content);
	p = psl_load(path, &dl);
	if (p != NULL)
		fail_msg("psl_load: got a list of %zu rules, want NULL", psl_rule_count(p));
	testutil_expect_diag(&dl, "FILE", path, want);
	diag_free(&dl);
	testutil_rmtree(dir);
	free(dir);
	free(path);
}

static void load_reports_missing_file(void **state)
{
	(void)state;
	expect_load_error(NULL, "FILE: cannot open public suffix list: No such file or directory");
}

static void load_reports_empty_list(void **state)
{
	(void)state;
	expect_load_error("// only comments\n\n", "FILE: public suffix list holds no rules");
}

static void load_reports_malformed_rule_with_line(void **state)
{
	(void)state;
	expect_load_error("com\n\nexample..com\n",
			  "FILE:3: \"example..com\" is not a valid public suffix rule");
}

static void load_reports_exception_without_dot(void **state)
{
	(void)state;
	expect_load_error("!ck\n", "FILE:1: \"ck\" is not a valid public suffix rule");
}

static void load_counts_rules_of_both_sections(void **state)
{
	(void)state;
	if (psl_rule_count(small_psl) != 12)
		fail_msg("small list: got %zu rules, want 12", psl_rule_count(small_psl));
	if (debian_psl == NULL)
		skip();
	if (psl_rule_count(debian_psl) < 5000)
		fail_msg("Debian list: got %zu rules, want several thousand",
			 psl_rule_count(debian_psl));
}

static void from_domain_accepts_null_why(void **state)
{
	struct strbuf out = STRBUF_INIT;

	(void)state;
	assert_int_equal(dmarc_from_domain("nobody", &out, NULL), -1);
	assert_int_equal(dmarc_from_domain("a@example.com", &out, NULL), 0);
	if (strcmp(strbuf_cstr(&out), "example.com") != 0)
		fail_msg("got \"%s\", want \"example.com\"", strbuf_cstr(&out));
	strbuf_free(&out);
}

static void relaxed_without_list_is_strict(void **state)
{
	(void)state;
	if (dmarc_aligned(NULL, "example.com", "mail.example.com", false))
		fail_msg("got aligned without a list, want strict comparison");
	if (!dmarc_aligned(NULL, "Example.com", "example.com.", false))
		fail_msg("got not aligned for the same name, want aligned");
}

static const struct CMUnitTest other_tests[] = {
	cmocka_unit_test(load_reports_missing_file),
	cmocka_unit_test(load_reports_empty_list),
	cmocka_unit_test(load_reports_malformed_rule_with_line),
	cmocka_unit_test(load_reports_exception_without_dot),
	cmocka_unit_test(load_counts_rules_of_both_sections),
	cmocka_unit_test(from_domain_accepts_null_why),
	cmocka_unit_test(relaxed_without_list_is_strict),
};

static struct CMUnitTest row_test(const char *name, CMUnitTestFunction fn, const void *row)
{
	struct CMUnitTest t = { name, fn, NULL, NULL, (void *)row };

	return t;
}

int main(void)
{
	struct CMUnitTest tests[ARRAY_SIZE(org_cases) + ARRAY_SIZE(align_cases) +
				ARRAY_SIZE(from_cases) + ARRAY_SIZE(policy_cases) +
				ARRAY_SIZE(other_tests)];
	size_t i, n = 0;

	for (i = 0; i < ARRAY_SIZE(org_cases); i++)
		tests[n++] = row_test(org_cases[i].name, run_org_case, &org_cases[i]);
	for (i = 0; i < ARRAY_SIZE(align_cases); i++)
		tests[n++] = row_test(align_cases[i].name, run_align_case, &align_cases[i]);
	for (i = 0; i < ARRAY_SIZE(from_cases); i++)
		tests[n++] = row_test(from_cases[i].name, run_from_case, &from_cases[i]);
	for (i = 0; i < ARRAY_SIZE(policy_cases); i++)
		tests[n++] = row_test(policy_cases[i].name, run_policy_case, &policy_cases[i]);
	for (i = 0; i < ARRAY_SIZE(other_tests); i++)
		tests[n++] = other_tests[i];
	return cmocka_run_group_tests_name("dmarc", tests, load_lists, free_lists);
}
