/*
 * test_spf - unit tests for policy/auth/spf_check.c through libspf2's zone DNS
 * layer: every RFC 8601 result, mechanisms (ip4, ip6, a, mx, include),
 * include loops, the ten-lookup limit, HELO checks, the null sender,
 * loopback clients, and hostile input that must not reach libspf2's
 * assertions.
 *
 * One zone checker is built for the whole group; table rows are named
 * after the behaviour they pin down and each becomes its own cmocka test.
 *
 * Diagnostics: a failing case prints "got X, want Y" with the explanation
 * the checker gave.
 */
#include "autoconf.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "spf_check.h"
#include "strbuf.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static struct spf_checker *zone;

struct zone_row {
	const char *domain;
	enum spf_check_rr rr;
	const char *value; /* NULL: lookups fail temporarily */
};

static const struct zone_row zone_rows[] = {
	{ "ip4.example", SPF_CHECK_RR_TXT, "v=spf1 ip4:192.0.2.0/24 -all" },
	{ "ip6.example", SPF_CHECK_RR_TXT, "v=spf1 ip6:2001:db8::/32 -all" },
	{ "a.example", SPF_CHECK_RR_TXT, "v=spf1 a -all" },
	{ "a.example", SPF_CHECK_RR_A, "192.0.2.10" },
	{ "mx.example", SPF_CHECK_RR_TXT, "v=spf1 mx -all" },
	{ "mx.example", SPF_CHECK_RR_MX, "mail.mx.example" },
	{ "mail.mx.example", SPF_CHECK_RR_A, "192.0.2.20" },
	{ "include.example", SPF_CHECK_RR_TXT, "v=spf1 include:ip4.example -all" },
	{ "soft.example", SPF_CHECK_RR_TXT, "v=spf1 ip4:192.0.2.0/24 ~all" },
	{ "neutral.example", SPF_CHECK_RR_TXT, "v=spf1 ip4:192.0.2.0/24 ?all" },
	{ "textonly.example", SPF_CHECK_RR_TXT, "google-site-verification=abc" },
	{ "tempfail.example", SPF_CHECK_RR_TXT, NULL },
	{ "inctemp.example", SPF_CHECK_RR_TXT, "v=spf1 include:tempfail.example -all" },
	{ "syntax.example", SPF_CHECK_RR_TXT, "v=spf1 ip4:999.1.1.1 -all" },
	{ "two.example", SPF_CHECK_RR_TXT, "v=spf1 -all" },
	{ "two.example", SPF_CHECK_RR_TXT, "v=spf1 +all" },
	{ "incnone.example", SPF_CHECK_RR_TXT, "v=spf1 include:textonly.example -all" },
	{ "loop-a.example", SPF_CHECK_RR_TXT, "v=spf1 include:loop-b.example -all" },
	{ "loop-b.example", SPF_CHECK_RR_TXT, "v=spf1 include:loop-a.example -all" },
	{ "ten.example", SPF_CHECK_RR_TXT,
	  "v=spf1 include:l1.example include:l2.example include:l3.example "
	  "include:l4.example include:l5.example include:l6.example include:l7.example "
	  "include:l8.example include:l9.example include:l10.example ip4:192.0.2.0/24 -all" },
	{ "eleven.example", SPF_CHECK_RR_TXT,
	  "v=spf1 include:l1.example include:l2.example include:l3.example "
	  "include:l4.example include:l5.example include:l6.example include:l7.example "
	  "include:l8.example include:l9.example include:l10.example include:l11.example "
	  "ip4:192.0.2.0/24 -all" },
	{ "exp.example", SPF_CHECK_RR_TXT, "v=spf1 -all exp=why.exp.example" },
	{ "why.exp.example", SPF_CHECK_RR_TXT, "%{i}_may_not_send_for_%{d}" },
	{ "blank.example", SPF_CHECK_RR_TXT, "v=spf1 -all exp=why.blank.example" },
	{ "why.blank.example", SPF_CHECK_RR_TXT, "Not allowed by %{d}" },
	{ "plain.example", SPF_CHECK_RR_TXT, "v=spf1 -all exp=why.plain.example" },
	{ "why.plain.example", SPF_CHECK_RR_TXT, "Not allowed, see the web site" },
	{ "mta.example", SPF_CHECK_RR_TXT, "v=spf1 ip4:198.51.100.7 -all" },
};

/* The l1..l11 includes: each matches nothing and costs one lookup. */
static int add_lookup_chain(void)
{
	char name[32];
	int i;

	for (i = 1; i <= 11; i++) {
		snprintf(name, sizeof name, "l%d.example", i);
		if (spf_checker_add_record(zone, name, SPF_CHECK_RR_TXT,
					   "v=spf1 ip4:203.0.113.1 -all"))
			return -1;
	}
	return 0;
}

static int setup_zone(void **state)
{
	size_t i;
	int rc;

	(void)state;
	zone = spf_checker_new(SPF_CHECK_DNS_ZONE);
	if (zone == NULL)
		return -1;
	for (i = 0; i < ARRAY_SIZE(zone_rows); i++) {
		const struct zone_row *z = &zone_rows[i];

		if (z->value != NULL)
			rc = spf_checker_add_record(zone, z->domain, z->rr, z->value);
		else
			rc = spf_checker_add_tempfail(zone, z->domain, z->rr);
		if (rc != 0) {
			fprintf(stderr, "zone row %s: got %d, want 0\n", z->domain, rc);
			return -1;
		}
	}
	return add_lookup_chain();
}

static int teardown_zone(void **state)
{
	(void)state;
	spf_checker_free(zone);
	zone = NULL;
	return 0;
}

struct spf_case {
	const char *name;
	bool helo_check; /* spf_check_helo instead of spf_check_mailfrom */
	const char *ip;
	const char *helo;
	const char *from;
	enum spf_check_result want;
	const char *want_exp; /* substring of the explanation, or NULL */
};

static const struct spf_case spf_cases[] = {
	/* pass through each mechanism */
	{ "passes_ip4_mechanism", false, "192.0.2.1", "mta.example", "u@ip4.example",
	  SPF_CHECK_PASS, NULL },
	{ "passes_ip6_mechanism", false, "2001:db8::25", "mta.example", "u@ip6.example",
	  SPF_CHECK_PASS, NULL },
	{ "passes_a_mechanism", false, "192.0.2.10", "mta.example", "u@a.example", SPF_CHECK_PASS,
	  NULL },
	{ "passes_mx_mechanism", false, "192.0.2.20", "mta.example", "u@mx.example", SPF_CHECK_PASS,
	  NULL },
	{ "passes_through_include", false, "192.0.2.1", "mta.example", "u@include.example",
	  SPF_CHECK_PASS, NULL },
	{ "passes_ipv4_mapped_ipv6_client_as_ipv4", false, "::ffff:192.0.2.1", "mta.example",
	  "u@ip4.example", SPF_CHECK_PASS, NULL },
	{ "passes_bracketed_uppercase_sender", false, "192.0.2.1", "mta.example",
	  "<User@IP4.Example.>", SPF_CHECK_PASS, NULL },
	{ "passes_with_quoted_local_part", false, "192.0.2.1", "mta.example",
	  "<\"a b@c\"@ip4.example>", SPF_CHECK_PASS, NULL },
	{ "passes_with_missing_helo", false, "192.0.2.1", NULL, "u@ip4.example", SPF_CHECK_PASS,
	  NULL },
	{ "passes_with_ip_literal_helo", false, "192.0.2.1", "[192.0.2.1]", "u@ip4.example",
	  SPF_CHECK_PASS, NULL },
	/* the other results */
	{ "fails_on_dash_all", false, "198.51.100.1", "mta.example", "u@ip4.example",
	  SPF_CHECK_FAIL, "198.51.100.1 is not one of ip4.example's designated mail servers" },
	{ "fails_ip6_outside_range", false, "2001:db9::1", "mta.example", "u@ip6.example",
	  SPF_CHECK_FAIL, NULL },
	{ "fails_include_that_does_not_match", false, "198.51.100.1", "mta.example",
	  "u@include.example", SPF_CHECK_FAIL, NULL },
	{ "fails_with_record_explanation", false, "198.51.100.1", "mta.example", "u@exp.example",
	  SPF_CHECK_FAIL, "198.51.100.1_may_not_send_for_exp.example" },
	{ "fails_with_default_text_for_garbled_explanation", false, "198.51.100.1", "mta.example",
	  "u@blank.example", SPF_CHECK_FAIL,
	  "198.51.100.1 is not one of blank.example's designated mail servers" },
	{ "fails_with_blanks_restored_in_explanation", false, "198.51.100.1", "mta.example",
	  "u@plain.example", SPF_CHECK_FAIL, "Not allowed, see the web site" },
	{ "softfails_on_tilde_all", false, "198.51.100.1", "mta.example", "u@soft.example",
	  SPF_CHECK_SOFTFAIL, NULL },
	{ "neutral_on_question_all", false, "198.51.100.1", "mta.example", "u@neutral.example",
	  SPF_CHECK_NEUTRAL, NULL },
	{ "none_without_any_record", false, "192.0.2.1", "mta.example", "u@nothing.example",
	  SPF_CHECK_NONE, NULL },
	{ "none_with_only_non_spf_txt", false, "192.0.2.1", "mta.example", "u@textonly.example",
	  SPF_CHECK_NONE, NULL },
	{ "temperror_when_record_lookup_fails", false, "192.0.2.1", "mta.example",
	  "u@tempfail.example", SPF_CHECK_TEMPERROR, NULL },
	{ "temperror_when_include_lookup_fails", false, "192.0.2.1", "mta.example",
	  "u@inctemp.example", SPF_CHECK_TEMPERROR, NULL },
	{ "permerror_on_record_syntax_error", false, "192.0.2.1", "mta.example", "u@syntax.example",
	  SPF_CHECK_PERMERROR, NULL },
	{ "permerror_on_two_spf_records", false, "192.0.2.1", "mta.example", "u@two.example",
	  SPF_CHECK_PERMERROR, NULL },
	{ "permerror_on_include_without_spf", false, "192.0.2.1", "mta.example",
	  "u@incnone.example", SPF_CHECK_PERMERROR, NULL },
	{ "permerror_on_include_loop", false, "192.0.2.1", "mta.example", "u@loop-a.example",
	  SPF_CHECK_PERMERROR, NULL },
	{ "passes_with_ten_lookups", false, "192.0.2.1", "mta.example", "u@ten.example",
	  SPF_CHECK_PASS, NULL },
	{ "permerror_on_eleventh_lookup", false, "192.0.2.1", "mta.example", "u@eleven.example",
	  SPF_CHECK_PERMERROR, NULL },
	/* HELO identity and the null sender */
	{ "helo_check_passes_listed_mta", true, "198.51.100.7", "mta.example", NULL, SPF_CHECK_PASS,
	  NULL },
	{ "helo_check_fails_other_client", true, "198.51.100.8", "mta.example", NULL,
	  SPF_CHECK_FAIL, NULL },
	{ "helo_check_none_for_ip_literal", true, "198.51.100.7", "[198.51.100.7]", NULL,
	  SPF_CHECK_NONE, NULL },
	{ "helo_check_none_for_single_label", true, "198.51.100.7", "localhost", NULL,
	  SPF_CHECK_NONE, NULL },
	{ "null_sender_checks_postmaster_at_helo", false, "198.51.100.7", "mta.example", "<>",
	  SPF_CHECK_PASS, NULL },
	{ "null_sender_fails_for_other_client", false, "198.51.100.8", "mta.example", "<>",
	  SPF_CHECK_FAIL, "198.51.100.8 is not one of mta.example's" },
	{ "null_pointer_sender_is_null_sender", false, "198.51.100.7", "mta.example", NULL,
	  SPF_CHECK_PASS, NULL },
	{ "null_sender_with_bad_helo_is_none", false, "198.51.100.7", "", "<>", SPF_CHECK_NONE,
	  NULL },
	/* loopback clients: libspf2 would pass them unconditionally */
	{ "loopback_ipv4_is_not_passed", false, "127.0.0.1", "mta.example", "u@ip4.example",
	  SPF_CHECK_NONE, "loopback" },
	{ "loopback_net_is_not_passed", false, "127.1.2.3", "mta.example", "u@nothing.example",
	  SPF_CHECK_NONE, "loopback" },
	{ "loopback_ipv6_is_not_passed", false, "::1", "mta.example", "u@ip4.example",
	  SPF_CHECK_NONE, "loopback" },
	{ "loopback_mapped_is_not_passed", false, "::ffff:127.0.0.1", "mta.example",
	  "u@ip4.example", SPF_CHECK_NONE, "loopback" },
	/* invalid input never reaches libspf2 */
	{ "none_for_unparsable_ip", false, "999.1.1.1", "mta.example", "u@ip4.example",
	  SPF_CHECK_NONE, "not an IP" },
	{ "none_for_hostname_as_ip", false, "localhost", "mta.example", "u@ip4.example",
	  SPF_CHECK_NONE, "not an IP" },
	{ "none_for_empty_ip", false, "", "mta.example", "u@ip4.example", SPF_CHECK_NONE, NULL },
	{ "none_for_null_ip", false, NULL, "mta.example", "u@ip4.example", SPF_CHECK_NONE, NULL },
	{ "none_for_sender_without_domain", false, "192.0.2.1", "mta.example", "user",
	  SPF_CHECK_NONE, NULL },
	{ "none_for_sender_with_empty_domain", false, "192.0.2.1", "mta.example", "user@",
	  SPF_CHECK_NONE, NULL },
	{ "none_for_domain_with_space", false, "192.0.2.1", "mta.example", "u@ip4 .example",
	  SPF_CHECK_NONE, "malformed" },
	{ "none_for_single_label_domain", false, "192.0.2.1", "mta.example", "u@localhost",
	  SPF_CHECK_NONE, NULL },
	{ "none_for_ip_literal_domain", false, "192.0.2.1", "mta.example", "u@[192.0.2.1]",
	  SPF_CHECK_NONE, NULL },
	{ "none_for_numeric_domain", false, "192.0.2.1", "mta.example", "u@192.0.2.1",
	  SPF_CHECK_NONE, NULL },
	{ "none_for_empty_label", false, "192.0.2.1", "mta.example", "u@ip4..example",
	  SPF_CHECK_NONE, NULL },
	{ "none_for_macro_in_domain", false, "192.0.2.1", "mta.example", "u@%{i}.example",
	  SPF_CHECK_NONE, NULL },
	{ "none_for_8bit_domain", false, "192.0.2.1", "mta.example",
	  "u@b\xc3\xbc"
	  "cher.example",
	  SPF_CHECK_NONE, NULL },
	{ "none_for_64_byte_label", false, "192.0.2.1", "mta.example",
	  "u@aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example",
	  SPF_CHECK_NONE, NULL },
	{ "survives_control_bytes_in_helo", false, "192.0.2.1", "mta\r\n.example", "u@ip4.example",
	  SPF_CHECK_PASS, NULL },
};

/* Runs one row; writes "" to msg on success, else what went wrong. */
static void check_spf_case(const struct spf_case *c, char *msg, size_t len)
{
	struct strbuf exp = STRBUF_INIT;
	enum spf_check_result got;

	if (c->helo_check)
		got = spf_check_helo(zone, c->ip, c->helo, &exp);
	else
		got = spf_check_mailfrom(zone, c->ip, c->helo, c->from, &exp);
	msg[0] = '\0';
	if (got != c->want)
		snprintf(msg, len, "got %s (\"%s\"), want %s", spf_check_result_name(got),
			 strbuf_cstr(&exp), spf_check_result_name(c->want));
	else if (c->want_exp != NULL && strstr(strbuf_cstr(&exp), c->want_exp) == NULL)
		snprintf(msg, len, "explanation: got \"%s\", want it to contain \"%s\"",
			 strbuf_cstr(&exp), c->want_exp);
	strbuf_free(&exp);
}

static void run_spf_case(void **state)
{
	char msg[1024];

	check_spf_case(*state, msg, sizeof msg);
	if (msg[0] != '\0')
		fail_msg("%s", msg);
}

static void names_results_as_rfc8601(void **state)
{
	static const char *const want[] = { "none",	"neutral",   "pass",	 "fail",
					    "softfail", "temperror", "permerror" };
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(want); i++)
		if (strcmp(spf_check_result_name((enum spf_check_result)i), want[i]) != 0)
			fail_msg("result %zu: got \"%s\", want \"%s\"", i,
				 spf_check_result_name((enum spf_check_result)i), want[i]);
}

/* A 300-byte domain, as sender and as HELO, is refused before libspf2. */
static void none_for_300_byte_domain(void **state)
{
	struct strbuf from = STRBUF_INIT;
	enum spf_check_result got;
	size_t i;

	(void)state;
	strbuf_appends(&from, "u@");
	for (i = 0; i < 50; i++)
		strbuf_appends(&from, "abcde.");
	strbuf_appends(&from, "example");
	got = spf_check_mailfrom(zone, "192.0.2.1", "mta.example", strbuf_cstr(&from), NULL);
	if (got != SPF_CHECK_NONE)
		fail_msg("MAIL FROM: got %s, want none", spf_check_result_name(got));
	got = spf_check_helo(zone, "192.0.2.1", strbuf_cstr(&from) + 2, NULL);
	if (got != SPF_CHECK_NONE)
		fail_msg("HELO: got %s, want none", spf_check_result_name(got));
	strbuf_free(&from);
}

/* A 300-byte local part is replaced, not handed to libspf2. */
static void passes_with_300_byte_local_part(void **state)
{
	struct strbuf from = STRBUF_INIT;
	enum spf_check_result got;
	size_t i;

	(void)state;
	for (i = 0; i < 300; i++)
		strbuf_appendc(&from, 'x');
	strbuf_appends(&from, "@ip4.example");
	got = spf_check_mailfrom(zone, "192.0.2.1", "mta.example", strbuf_cstr(&from), NULL);
	if (got != SPF_CHECK_PASS)
		fail_msg("got %s, want pass", spf_check_result_name(got));
	strbuf_free(&from);
}

static void refuses_records_on_system_checker(void **state)
{
	struct spf_checker *c = spf_checker_new(SPF_CHECK_DNS_SYSTEM);

	(void)state;
	assert_non_null(c);
	if (spf_checker_add_record(c, "x.example", SPF_CHECK_RR_TXT, "v=spf1 -all") != -1)
		fail_msg("add_record on a SYSTEM checker: got success, want -1");
	if (spf_checker_add_record(zone, NULL, SPF_CHECK_RR_TXT, "v=spf1 -all") != -1)
		fail_msg("add_record with NULL domain: got success, want -1");
	if (spf_check_mailfrom(NULL, "192.0.2.1", "mta.example", "u@ip4.example", NULL) !=
	    SPF_CHECK_TEMPERROR)
		fail_msg("NULL checker: want temperror");
	spf_checker_free(c);
	spf_checker_free(NULL);
}

#define THREADS 8
#define ROUNDS 200

/* Runs every table row ROUNDS times; returns the first mismatch or NULL. */
static void *hammer(void *arg)
{
	static char failed[] = "mismatch";
	size_t i, r;
	char msg[1024];

	(void)arg;
	for (r = 0; r < ROUNDS; r++)
		for (i = 0; i < ARRAY_SIZE(spf_cases); i++) {
			check_spf_case(&spf_cases[i], msg, sizeof msg);
			if (msg[0] != '\0')
				return failed;
		}
	return NULL;
}

static void gives_same_results_from_many_threads(void **state)
{
	pthread_t t[THREADS];
	void *ret;
	int i, bad = 0;

	(void)state;
	for (i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, hammer, NULL), 0);
	for (i = 0; i < THREADS; i++) {
		pthread_join(t[i], &ret);
		bad += ret != NULL;
	}
	if (bad != 0)
		fail_msg("got %d threads with a wrong result, want 0", bad);
}

static const struct CMUnitTest other_tests[] = {
	cmocka_unit_test(names_results_as_rfc8601),
	cmocka_unit_test(none_for_300_byte_domain),
	cmocka_unit_test(passes_with_300_byte_local_part),
	cmocka_unit_test(refuses_records_on_system_checker),
	cmocka_unit_test(gives_same_results_from_many_threads),
};

static struct CMUnitTest row_test(const char *name, CMUnitTestFunction fn, const void *row)
{
	struct CMUnitTest t = { name, fn, NULL, NULL, (void *)row };

	return t;
}

int main(void)
{
	struct CMUnitTest tests[ARRAY_SIZE(spf_cases) + ARRAY_SIZE(other_tests)];
	size_t i, n = 0;

	for (i = 0; i < ARRAY_SIZE(spf_cases); i++)
		tests[n++] = row_test(spf_cases[i].name, run_spf_case, &spf_cases[i]);
	for (i = 0; i < ARRAY_SIZE(other_tests); i++)
		tests[n++] = other_tests[i];
	return cmocka_run_group_tests_name("spf", tests, setup_zone, teardown_zone);
}
