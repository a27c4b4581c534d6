/*
 * test_authres - unit tests for policy/auth/authres.c: formatting one
 * Authentication-Results value (methods, comments, reasons, properties,
 * quoting of values with specials and of hostile bytes, "none"), refusing
 * names that are not tokens, and recognising headers that claim our
 * authserv-id despite comments, quoting, case and version numbers.
 *
 * Diagnostics: a failing case prints "got X, want Y".
 */
#include "autoconf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "authres.h"
#include "strbuf.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define ID "mx.example.net"

/* Formats ar and fails unless the value is want; frees ar. */
static void expect_format(struct authres *ar, const char *want)
{
	struct strbuf out = STRBUF_INIT;

	authres_format(ar, &out);
	if (strcmp(strbuf_cstr(&out), want) != 0)
		fail_msg("authres_format:\n got  %s\n want %s", strbuf_cstr(&out), want);
	strbuf_free(&out);
	authres_free(ar);
}

static void formats_none_without_results(void **state)
{
	struct authres ar;

	(void)state;
	assert_int_equal(authres_init(&ar, ID), 0);
	expect_format(&ar, ID "; none");
}

static void formats_spf_dkim_dmarc_in_order(void **state)
{
	struct authres ar;

	(void)state;
	assert_int_equal(authres_init(&ar, ID), 0);
	assert_int_equal(authres_add(&ar, "spf", "pass", NULL, "smtp.mailfrom", "example.com",
				     (char *)NULL), 0);
	assert_int_equal(authres_add(&ar, "dkim", "pass", NULL, "header.d", "example.com",
				     "header.s", "ses", "header.b", "abcdefgh", (char *)NULL), 0);
	assert_int_equal(authres_add(&ar, "dmarc", "fail", NULL, "header.from", "example.com",
				     (char *)NULL), 0);
	assert_int_equal(authres_comment(&ar, "p=reject"), 0);
	expect_format(&ar, ID "; spf=pass smtp.mailfrom=example.com; "
		      "dkim=pass header.d=example.com header.s=ses header.b=abcdefgh; "
		      "dmarc=fail (p=reject) header.from=example.com");
}

static void formats_reason_as_quoted_string(void **state)
{
	struct authres ar;

	(void)state;
	assert_int_equal(authres_init(&ar, ID), 0);
	assert_int_equal(authres_add(&ar, "dkim", "fail", "body hash \"did not\" verify",
				     "header.d", "example.com", (char *)NULL), 0);
	expect_format(&ar, ID "; dkim=fail reason=\"body hash \\\"did not\\\" verify\" "
		      "header.d=example.com");
}

static void formats_result_without_properties(void **state)
{
	struct authres ar;

	(void)state;
	assert_int_equal(authres_init(&ar, ID), 0);
	assert_int_equal(authres_add(&ar, "dkim", "none", NULL, (char *)NULL), 0);
	expect_format(&ar, ID "; dkim=none");
}

static void drops_property_with_null_value(void **state)
{
	struct authres ar;

	(void)state;
	assert_int_equal(authres_init(&ar, ID), 0);
	assert_int_equal(authres_add(&ar, "spf", "none", NULL, "smtp.mailfrom", (char *)NULL,
				     "smtp.helo", "mx.example.com", (char *)NULL), 0);
	expect_format(&ar, ID "; spf=none smtp.helo=mx.example.com");
}

struct value_case {
	const char *name;
	const char *value;
	const char *want;	/* as written after "p.v=" */
};

static const struct value_case value_cases[] = {
	{ "value_token_stays_bare", "example.com", "example.com" },
	{ "value_mailbox_stays_bare", "user@example.com", "user@example.com" },
	{ "value_at_domain_stays_bare", "@example.com", "@example.com" },
	{ "value_base64_is_quoted", "ab/cd+ef==", "\"ab/cd+ef==\"" },
	{ "value_with_blank_is_quoted", "a b", "\"a b\"" },
	{ "value_with_semicolon_is_quoted", "a;b", "\"a;b\"" },
	{ "value_with_paren_is_quoted", "a(b)", "\"a(b)\"" },
	{ "value_empty_is_quoted", "", "\"\"" },
	{ "value_quote_and_backslash_escaped", "a\"b\\c", "\"a\\\"b\\\\c\"" },
	{ "value_crlf_becomes_question_marks", "x\r\nBcc: y", "\"x??Bcc: y\"" },
	{ "value_two_ats_is_quoted", "a@b@example.com", "\"a@b@example.com\"" },
	{ "value_quoted_local_part_is_quoted", "\"a b\"@example.com", "\"\\\"a b\\\"@example.com\"" },
	{ "value_dot_at_end_of_local_part_is_quoted", "a.@example.com", "\"a.@example.com\"" },
	{ "value_8bit_kept_in_quotes", "J\xc3\xb6rg", "\"J\xc3\xb6rg\"" },
};

static void run_value_case(void **state)
{
	const struct value_case *c = *state;
	struct strbuf want = STRBUF_INIT;
	struct authres ar;

	assert_int_equal(authres_init(&ar, ID), 0);
	assert_int_equal(authres_add(&ar, "spf", "pass", NULL, "smtp.mailfrom", c->value,
				     (char *)NULL), 0);
	strbuf_appendf(&want, ID "; spf=pass smtp.mailfrom=%s", c->want);
	expect_format(&ar, strbuf_cstr(&want));
	strbuf_free(&want);
}

static void escapes_comment_specials(void **state)
{
	struct authres ar;

	(void)state;
	assert_int_equal(authres_init(&ar, ID), 0);
	assert_int_equal(authres_add(&ar, "dmarc", "fail", NULL, (char *)NULL), 0);
	assert_int_equal(authres_comment(&ar, "p=reject (a\\b)\n"), 0);
	expect_format(&ar, ID "; dmarc=fail (p=reject \\(a\\\\b\\)?)");
}

static void refuses_names_that_are_not_tokens(void **state)
{
	struct authres ar;

	(void)state;
	assert_int_equal(authres_init(&ar, "bad id"), -1);
	authres_free(&ar);
	assert_int_equal(authres_init(&ar, ""), -1);
	authres_free(&ar);
	assert_int_equal(authres_init(&ar, "mx;evil"), -1);
	authres_free(&ar);
	assert_int_equal(authres_init(&ar, ID), 0);
	assert_int_equal(authres_add(&ar, "spf;x", "pass", NULL, (char *)NULL), -1);
	assert_int_equal(authres_add(&ar, "spf", "pa ss", NULL, (char *)NULL), -1);
	assert_int_equal(authres_add(&ar, "spf", "", NULL, (char *)NULL), -1);
	assert_int_equal(authres_add(&ar, "spf", "pass", NULL, "mailfrom", "x", (char *)NULL), -1);
	assert_int_equal(authres_add(&ar, "spf", "pass", NULL, "smtp.mail from", "x",
				     (char *)NULL), -1);
	assert_int_equal(authres_comment(&ar, "nothing to attach to"), -1);
	expect_format(&ar, ID "; none");
}

static void free_accepts_null_and_twice(void **state)
{
	struct authres ar;

	(void)state;
	authres_free(NULL);
	assert_int_equal(authres_init(&ar, ID), 0);
	authres_free(&ar);
	authres_free(&ar);
}

struct claim_case {
	const char *name;
	const char *header;
	bool want;
};

static const struct claim_case claim_cases[] = {
	{ "claims_plain_id", ID "; spf=pass smtp.mailfrom=example.com", true },
	{ "claims_id_in_other_case", "MX.Example.NET; dkim=pass", true },
	{ "claims_id_with_leading_blanks", " \t\r\n " ID ";none", true },
	{ "claims_id_after_comment", "(forged) " ID "; dkim=pass", true },
	{ "claims_id_after_nested_comment", "(a (b) \\) c)" ID "; dkim=pass", true },
	{ "claims_id_with_version", ID " 1; spf=pass", true },
	{ "claims_id_with_comment_before_version", ID " (v) 1 ; spf=pass", true },
	{ "claims_id_with_trailing_dot", ID ".; spf=pass", true },
	{ "claims_quoted_id", "\"" ID "\"; spf=pass", true },
	{ "claims_id_alone", ID, true },
	{ "claims_id_followed_by_comment", ID "(x); none", true },
	{ "ignores_other_id", "mx.example.org; spf=pass", false },
	{ "ignores_id_with_our_id_as_prefix", ID ".evil.example; spf=pass", false },
	{ "ignores_id_that_is_suffix_of_ours", "example.net; spf=pass", false },
	{ "ignores_our_id_later_in_value", "other.example; spf=pass smtp.helo=" ID, false },
	{ "ignores_our_id_inside_comment", "(" ID ") other.example; none", false },
	{ "ignores_empty_value", "", false },
	{ "ignores_only_comment", "(" ID ")", false },
	{ "ignores_unterminated_comment", "(" ID, false },
};

static void run_claim_case(void **state)
{
	const struct claim_case *c = *state;
	bool got = authres_claims_id(c->header, ID);

	if (got != c->want)
		fail_msg("authres_claims_id(\"%s\", \"%s\"): got %s, want %s", c->header, ID,
			 got ? "true" : "false", c->want ? "true" : "false");
}

static const struct CMUnitTest other_tests[] = {
	cmocka_unit_test(formats_none_without_results),
	cmocka_unit_test(formats_spf_dkim_dmarc_in_order),
	cmocka_unit_test(formats_reason_as_quoted_string),
	cmocka_unit_test(formats_result_without_properties),
	cmocka_unit_test(drops_property_with_null_value),
	cmocka_unit_test(escapes_comment_specials),
	cmocka_unit_test(refuses_names_that_are_not_tokens),
	cmocka_unit_test(free_accepts_null_and_twice),
};

static struct CMUnitTest row_test(const char *name, CMUnitTestFunction fn, const void *row)
{
	struct CMUnitTest t = { name, fn, NULL, NULL, (void *)row };

	return t;
}

int main(void)
{
	struct CMUnitTest tests[ARRAY_SIZE(value_cases) + ARRAY_SIZE(claim_cases) +
				ARRAY_SIZE(other_tests)];
	size_t i, n = 0;

	for (i = 0; i < ARRAY_SIZE(value_cases); i++)
		tests[n++] = row_test(value_cases[i].name, run_value_case, &value_cases[i]);
	for (i = 0; i < ARRAY_SIZE(claim_cases); i++)
		tests[n++] = row_test(claim_cases[i].name, run_claim_case, &claim_cases[i]);
	for (i = 0; i < ARRAY_SIZE(other_tests); i++)
		tests[n++] = other_tests[i];
	return cmocka_run_group_tests_name("authres", tests, NULL, NULL);
}
