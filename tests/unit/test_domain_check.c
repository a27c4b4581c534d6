/*
 * test_domain_check - unit tests for policy/signing/domain_check.c: the records a
 * sender domain publishes (built from a config and a key ring made at
 * test time), and the verdict on each when DNS answers from a table:
 * what counts as ok, MISSING and WRONG, a failed lookup stopping the
 * check, the current values kept and shown, and DKIM tag parsing.
 *
 * The judging cases are table rows; main() turns each into its own
 * cmocka test.  A row lists the answers of the fake DNS by name and
 * type ("@P@" stands for the p= of the domain's key) and the verdict it
 * wants for each record.
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

#include "config.h"
#include "diag.h"
#include "dkim_sign.h"
#include "domain_check.h"
#include "domfix.h"
#include "strbuf.h"
#include "testutil.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static char *tmpdir;
static struct ses_config *conf;	  /* ServiceSpfInclude and ServiceMx set */
static struct dkim_keyring *ring; /* example.com: s1 (Ed25519); two.example: RSA and Ed25519 */
static char *example_p;		  /* the p= of example.com's key */

static int group_setup(void **state)
{
	struct diag_list dl = DIAG_LIST_INIT;
	char *path, *keys;

	tmpdir = testutil_tmpdir();
	testutil_write_file(tmpdir, "ses-milter.conf",
			    "ServiceSpfInclude SPF.svc.example.\nServiceMx MX.svc.example.\n");
	path = testutil_path(tmpdir, "ses-milter.conf");
	conf = config_load(path, &dl);
	example_p = domfix_make_key(tmpdir, "example.com", "s1.ed25519.pem", DKIM_KEY_ED25519);
	free(domfix_make_key(tmpdir, "two.example", "b.ed25519.pem", DKIM_KEY_ED25519));
	free(domfix_make_key(tmpdir, "two.example", "a.rsa.pem", DKIM_KEY_RSA));
	keys = testutil_path(tmpdir, "keys");
	ring = dkim_keyring_load(keys, false, &dl);
	if (conf == NULL || ring == NULL || dl.n > 0)
		fail_msg("setup: got diagnostics %s, want a config and a key ring",
			 testutil_diag_text(&dl));
	diag_free(&dl);
	free(path);
	free(keys);
	return 0;
}

static int group_teardown(void **state)
{
	dkim_keyring_free(ring);
	config_free(conf);
	free(example_p);
	testutil_rmtree_free(tmpdir);
	return 0;
}

/* ---- building the records ---------------------------------------------------- */

static void builds_dkim_spf_dmarc_mx_in_that_order(void **state)
{
	static const struct {
		enum domain_check_kind kind;
		const char *name, *value_prefix;
	} want[] = {
		{ DOMAIN_CHECK_DKIM, "a._domainkey.two.example", "v=DKIM1; k=rsa; p=MI" },
		{ DOMAIN_CHECK_DKIM, "b._domainkey.two.example", "v=DKIM1; k=ed25519; p=" },
		{ DOMAIN_CHECK_SPF, "two.example", "v=spf1 include:spf.svc.example ~all" },
		{ DOMAIN_CHECK_DMARC, "_dmarc.two.example", "v=DMARC1; p=none" },
		{ DOMAIN_CHECK_MX, "two.example", "mx.svc.example" },
	};
	struct domain_check_records recs;
	struct strbuf err = STRBUF_INIT;
	size_t i;

	if (domain_check_build(conf, ring, "Two.Example", &recs, &err) != 0)
		fail_msg("domain_check_build: got %s, want records", strbuf_cstr(&err));
	if (recs.n != ARRAY_SIZE(want))
		fail_msg("records: got %zu, want %zu", recs.n, ARRAY_SIZE(want));
	for (i = 0; i < recs.n; i++) {
		const struct domain_check_record *r = &recs.v[i];

		if (r->kind != want[i].kind || strcmp(r->name, want[i].name) != 0 ||
		    strncmp(r->value, want[i].value_prefix, strlen(want[i].value_prefix)) != 0 ||
		    r->unset || r->verdict != DOMAIN_CHECK_UNCHECKED)
			fail_msg("record %zu: got %s %s \"%s\"%s, want %s %s \"%s...\"", i,
				 domain_check_kind_name(r->kind), r->name, r->value,
				 r->unset ? " (unset)" : "", domain_check_kind_name(want[i].kind),
				 want[i].name, want[i].value_prefix);
	}
	if (strcmp(recs.v[2].want, "spf.svc.example") != 0 ||
	    strcmp(recs.v[4].want, "mx.svc.example") != 0)
		fail_msg("judged values: got \"%s\", \"%s\", want the service hosts lower case "
			 "without the final dot",
			 recs.v[2].want, recs.v[4].want);
	domain_check_free(&recs);
	strbuf_free(&err);
}

static void builds_placeholders_for_unset_service_keys(void **state)
{
	struct diag_list dl = DIAG_LIST_INIT;
	struct ses_config *defaults = config_load(NULL, &dl);
	struct domain_check_records recs;
	struct strbuf err = STRBUF_INIT;

	assert_non_null(defaults);
	diag_free(&dl);
	assert_int_equal(domain_check_build(defaults, ring, "example.com", &recs, &err), 0);
	assert_int_equal(recs.n, 4);
	if (!recs.v[1].unset || strcmp(recs.v[1].key, "ServiceSpfInclude") != 0 ||
	    strcmp(recs.v[1].value, "v=spf1 include:<ServiceSpfInclude> ~all") != 0)
		fail_msg("SPF: got \"%s\" unset=%d, want the placeholder, unset", recs.v[1].value,
			 recs.v[1].unset);
	if (!recs.v[3].unset || strcmp(recs.v[3].key, "ServiceMx") != 0 ||
	    strcmp(recs.v[3].value, "<ServiceMx>") != 0)
		fail_msg("MX: got \"%s\" unset=%d, want \"<ServiceMx>\", unset", recs.v[3].value,
			 recs.v[3].unset);
	if (recs.v[2].unset || recs.v[0].unset)
		fail_msg("DKIM, DMARC: got unset, want set");
	domain_check_free(&recs);
	config_free(defaults);
	strbuf_free(&err);
}

static void builds_no_dkim_record_for_a_domain_without_keys(void **state)
{
	struct domain_check_records recs;
	struct strbuf err = STRBUF_INIT;

	assert_int_equal(domain_check_build(conf, ring, "nokeys.example", &recs, &err), 0);
	if (domain_check_count(&recs, DOMAIN_CHECK_DKIM) != 0 || recs.n != 3)
		fail_msg("got %zu records, %zu DKIM, want 3 and 0", recs.n,
			 domain_check_count(&recs, DOMAIN_CHECK_DKIM));
	domain_check_free(&recs);
	assert_int_equal(domain_check_build(conf, NULL, "example.com", &recs, &err), 0);
	assert_int_equal(domain_check_count(&recs, DOMAIN_CHECK_DKIM), 0);
	domain_check_free(&recs);
	strbuf_free(&err);
}

/* ---- judging: example.com's records are DKIM s1, SPF, DMARC, MX ---------- */

/* The rows are laid out by hand. */
/* clang-format off */
#define D "example.com"
#define DK "s1._domainkey." D
#define DM "_dmarc." D
#define GOOD_DKIM { DK, DNS_RR_TXT, DNS_OK, { "v=DKIM1; k=ed25519; p=@P@" } }
#define GOOD_SPF { D, DNS_RR_TXT, DNS_OK, { "v=spf1 include:spf.svc.example ~all" } }
#define GOOD_DMARC { DM, DNS_RR_TXT, DNS_OK, { "v=DMARC1; p=none" } }
#define GOOD_MX { D, DNS_RR_MX, DNS_OK, { "mx.svc.example" } }

enum { V_U = DOMAIN_CHECK_UNCHECKED, V_OK = DOMAIN_CHECK_OK, V_MISS = DOMAIN_CHECK_MISSING,
       V_WRONG = DOMAIN_CHECK_WRONG };

struct judge_case {
	const char *name;
	struct domfix_rr rrs[6];
	enum domain_check_result result;
	int verdicts[4]; /* DKIM, SPF, DMARC, MX */
	size_t queries;
	const char *current; /* of the first record that is not ok, as shown; NULL: skip */
};

static const struct judge_case judge_cases[] = {
	{ "published_records_all_match", { GOOD_DKIM, GOOD_SPF, GOOD_DMARC, GOOD_MX },
	  DOMAIN_CHECK_MATCH, { V_OK, V_OK, V_OK, V_OK }, 4, NULL },
	{ "nothing_published_is_missing_everywhere", { { NULL } },
	  DOMAIN_CHECK_DRIFT, { V_MISS, V_MISS, V_MISS, V_MISS }, 4, "(none)" },
	{ "name_without_that_type_is_missing",
	  { GOOD_DKIM, GOOD_SPF, GOOD_DMARC, { D, DNS_RR_MX, DNS_NODATA, { NULL } } },
	  DOMAIN_CHECK_DRIFT, { V_OK, V_OK, V_OK, V_MISS }, 4, "(none)" },
	{ "dkim_with_another_key_is_wrong",
	  { { DK, DNS_RR_TXT, DNS_OK, { "v=DKIM1; k=ed25519; p=X@P@" } }, GOOD_SPF, GOOD_DMARC,
	    GOOD_MX },
	  DOMAIN_CHECK_DRIFT, { V_WRONG, V_OK, V_OK, V_OK }, 4, NULL },
	{ "dkim_with_other_tags_and_blanks_in_key_matches",
	  { { DK, DNS_RR_TXT, DNS_OK, { "v=DKIM1; t=y; k=ed25519; p= @P@ " } }, GOOD_SPF,
	    GOOD_DMARC, GOOD_MX },
	  DOMAIN_CHECK_MATCH, { V_OK, V_OK, V_OK, V_OK }, 4, NULL },
	{ "dkim_revoked_key_is_wrong",
	  { { DK, DNS_RR_TXT, DNS_OK, { "v=DKIM1; k=ed25519; p=" } }, GOOD_SPF, GOOD_DMARC,
	    GOOD_MX },
	  DOMAIN_CHECK_DRIFT, { V_WRONG, V_OK, V_OK, V_OK }, 4, "\"v=DKIM1; k=ed25519; p=\"" },
	{ "spf_with_another_include_is_wrong",
	  { GOOD_DKIM, { D, DNS_RR_TXT, DNS_OK, { "v=spf1 include:other.example ~all" } },
	    GOOD_DMARC, GOOD_MX },
	  DOMAIN_CHECK_DRIFT, { V_OK, V_WRONG, V_OK, V_OK }, 4,
	  "\"v=spf1 include:other.example ~all\"" },
	{ "spf_among_other_txt_records_matches",
	  { GOOD_DKIM,
	    { D, DNS_RR_TXT, DNS_OK,
	      { "google-site-verification=abc", "v=spf1 mx +include:SPF.svc.example. -all" } },
	    GOOD_DMARC, GOOD_MX },
	  DOMAIN_CHECK_MATCH, { V_OK, V_OK, V_OK, V_OK }, 4, NULL },
	{ "two_spf_records_are_wrong",
	  { GOOD_DKIM,
	    { D, DNS_RR_TXT, DNS_OK, { "v=spf1 include:spf.svc.example ~all", "v=spf1 -all" } },
	    GOOD_DMARC, GOOD_MX },
	  DOMAIN_CHECK_DRIFT, { V_OK, V_WRONG, V_OK, V_OK }, 4,
	  "\"v=spf1 include:spf.svc.example ~all\" | \"v=spf1 -all\"" },
	{ "spf10_is_not_spf",
	  { GOOD_DKIM, { D, DNS_RR_TXT, DNS_OK, { "v=spf10 include:spf.svc.example" } },
	    GOOD_DMARC, GOOD_MX },
	  DOMAIN_CHECK_DRIFT, { V_OK, V_MISS, V_OK, V_OK }, 4, "(none)" },
	{ "include_of_a_longer_name_is_wrong",
	  { GOOD_DKIM, { D, DNS_RR_TXT, DNS_OK, { "v=spf1 include:spf.svc.example.net ~all" } },
	    GOOD_DMARC, GOOD_MX },
	  DOMAIN_CHECK_DRIFT, { V_OK, V_WRONG, V_OK, V_OK }, 4, NULL },
	{ "dmarc_with_a_stricter_policy_matches",
	  { GOOD_DKIM, GOOD_SPF,
	    { DM, DNS_RR_TXT, DNS_OK, { "v=DMARC1; p=reject; rua=mailto:d@example.com" } },
	    GOOD_MX },
	  DOMAIN_CHECK_MATCH, { V_OK, V_OK, V_OK, V_OK }, 4, NULL },
	{ "dmarc_without_version_first_is_missing",
	  { GOOD_DKIM, GOOD_SPF, { DM, DNS_RR_TXT, DNS_OK, { "p=none; v=DMARC1" } }, GOOD_MX },
	  DOMAIN_CHECK_DRIFT, { V_OK, V_OK, V_MISS, V_OK }, 4, "(none)" },
	{ "mx_among_others_in_any_case_matches",
	  { GOOD_DKIM, GOOD_SPF, GOOD_DMARC,
	    { D, DNS_RR_MX, DNS_OK, { "mail.other.example", "MX.SVC.EXAMPLE" } } },
	  DOMAIN_CHECK_MATCH, { V_OK, V_OK, V_OK, V_OK }, 4, NULL },
	{ "mx_elsewhere_is_wrong",
	  { GOOD_DKIM, GOOD_SPF, GOOD_DMARC, { D, DNS_RR_MX, DNS_OK, { "mail.other.example" } } },
	  DOMAIN_CHECK_DRIFT, { V_OK, V_OK, V_OK, V_WRONG }, 4, "mail.other.example" },
	{ "failed_lookup_stops_the_check_there",
	  { GOOD_DKIM, { D, DNS_RR_TXT, DNS_TEMPFAIL, { NULL } }, GOOD_DMARC, GOOD_MX },
	  DOMAIN_CHECK_FAILED, { V_OK, V_U, V_U, V_U }, 2, NULL },
	{ "bad_name_is_a_failed_lookup", { { DK, DNS_RR_TXT, DNS_BADNAME, { NULL } } },
	  DOMAIN_CHECK_FAILED, { V_U, V_U, V_U, V_U }, 1, NULL },
};

/* clang-format on */

static const char *const result_names[] = { "match", "drift", "failed" };

static void run_judge_case(void **state)
{
	const struct judge_case *c = *state;
	struct domfix_dns dns = { c->rrs, ARRAY_SIZE(c->rrs), example_p, 0, NULL, NULL };
	struct domain_check_lookup lookup = domfix_lookup(&dns);
	struct domain_check_records recs;
	struct strbuf err = STRBUF_INIT, cur = STRBUF_INIT;
	enum domain_check_result got;
	size_t i, bad = 0;

	assert_int_equal(domain_check_build(conf, ring, D, &recs, &err), 0);
	assert_int_equal(recs.n, 4);
	got = domain_check_run(&recs, &lookup, &err);
	if (got != c->result)
		fail_msg("result: got %s (%s), want %s", result_names[got], strbuf_cstr(&err),
			 result_names[c->result]);
	for (i = 0; i < recs.n; i++) {
		if ((int)recs.v[i].verdict != c->verdicts[i])
			fail_msg("%s %s: got %s, want %s", domain_check_kind_name(recs.v[i].kind),
				 recs.v[i].name, domain_check_verdict_name(recs.v[i].verdict),
				 domain_check_verdict_name(c->verdicts[i]));
		bad += c->verdicts[i] == V_MISS || c->verdicts[i] == V_WRONG;
		if (c->current != NULL && cur.len == 0 && (int)recs.v[i].verdict > V_OK)
			domain_check_show_current(&cur, &recs.v[i]);
	}
	if (dns.queries != c->queries)
		fail_msg("queries: got %u, want %zu", dns.queries, c->queries);
	if (domain_check_bad(&recs) != bad)
		fail_msg("bad: got %zu, want %zu", domain_check_bad(&recs), bad);
	if (got == DOMAIN_CHECK_FAILED &&
	    (recs.checked != c->queries - 1 || strstr(strbuf_cstr(&err), "fake failure") == NULL))
		fail_msg("failure: got checked=%zu err \"%s\", want checked=%zu and the reason",
			 recs.checked, strbuf_cstr(&err), c->queries - 1);
	if (c->current != NULL && strcmp(strbuf_cstr(&cur), c->current) != 0)
		fail_msg("current: got %s, want %s", strbuf_cstr(&cur), c->current);
	domain_check_free(&recs);
	strbuf_free(&err);
	strbuf_free(&cur);
}

/* A second run judges afresh: nothing of the first run's answers stays. */
static void second_run_forgets_the_first(void **state)
{
	static const struct domfix_rr wrong[] = {
		{ DK, DNS_RR_TXT, DNS_OK, { "v=DKIM1; p=old", "v=DKIM1; p=older" } },
	};
	static const struct domfix_rr good[] = { GOOD_DKIM, GOOD_SPF, GOOD_DMARC, GOOD_MX };
	struct domfix_dns dns = { wrong, ARRAY_SIZE(wrong), example_p, 0, NULL, NULL };
	struct domain_check_lookup lookup = domfix_lookup(&dns);
	struct domain_check_records recs;
	struct strbuf err = STRBUF_INIT;

	assert_int_equal(domain_check_build(conf, ring, D, &recs, &err), 0);
	assert_int_equal(domain_check_run(&recs, &lookup, &err), DOMAIN_CHECK_DRIFT);
	assert_int_equal(recs.v[0].current.n, 2);
	dns.rrs = good;
	dns.n = ARRAY_SIZE(good);
	assert_int_equal(domain_check_run(&recs, &lookup, &err), DOMAIN_CHECK_MATCH);
	if (recs.v[0].current.n != 1 || recs.checked != 4 || domain_check_bad(&recs) != 0)
		fail_msg("second run: got %zu current values, %zu checked, %zu bad, want 1, 4, 0",
			 recs.v[0].current.n, recs.checked, domain_check_bad(&recs));
	domain_check_free(&recs);
	strbuf_free(&err);
}

/* ---- showing ------------------------------------------------------------------- */

static void shows_txt_quoted_mx_bare_and_non_printing_as_question_marks(void **state)
{
	static const struct domfix_rr rrs[] = {
		{ D, DNS_RR_TXT, DNS_OK, { "v=spf1 \x01include:x ~all" } },
		{ D, DNS_RR_MX, DNS_OK, { "a.example", "b.example" } },
	};
	struct domfix_dns dns = { rrs, ARRAY_SIZE(rrs), example_p, 0, NULL, NULL };
	struct domain_check_lookup lookup = domfix_lookup(&dns);
	struct domain_check_records recs;
	struct strbuf err = STRBUF_INIT, out = STRBUF_INIT;

	assert_int_equal(domain_check_build(conf, ring, D, &recs, &err), 0);
	domain_check_run(&recs, &lookup, &err);
	domain_check_show_expected(&out, &recs.v[1]);
	strbuf_appends(&out, " / ");
	domain_check_show_current(&out, &recs.v[1]);
	strbuf_appends(&out, " / ");
	domain_check_show_expected(&out, &recs.v[3]);
	strbuf_appends(&out, " / ");
	domain_check_show_current(&out, &recs.v[3]);
	if (strcmp(strbuf_cstr(&out),
		   "\"v=spf1 include:spf.svc.example ~all\" / \"v=spf1 "
		   "?include:x ~all\" / mx.svc.example / a.example | b.example") != 0)
		fail_msg("shown: got %s", strbuf_cstr(&out));
	if (strcmp(domain_check_type_name(recs.v[3].kind), "MX") != 0 ||
	    strcmp(domain_check_type_name(recs.v[2].kind), "TXT") != 0 ||
	    strcmp(domain_check_kind_name(recs.v[2].kind), "DMARC") != 0)
		fail_msg("names: got %s, %s, %s, want MX, TXT, DMARC",
			 domain_check_type_name(recs.v[3].kind),
			 domain_check_type_name(recs.v[2].kind),
			 domain_check_kind_name(recs.v[2].kind));
	domain_check_free(&recs);
	strbuf_free(&err);
	strbuf_free(&out);
}

/* ---- DKIM tags ------------------------------------------------------------------ */

static void finds_dkim_tags(void **state)
{
	static const struct {
		const char *txt, *tag, *want;
	} cases[] = {
		{ "v=DKIM1; k=rsa; p=ABC", "p", "ABC" },
		{ "v=DKIM1; k=rsa; p=AB C\tD ;", "p", "ABCD" },
		{ "  p = ABC", "p", "ABC" },
		{ "v=DKIM1; k=rsa", "p", NULL },
		{ "v=DKIM1; pp=ABC", "p", NULL },
		{ "v=DKIM1; p", "p", NULL },
		{ "v=DKIM1; p=", "p", "" },
		{ "", "v", NULL },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		char *got = domain_check_txt_tag(cases[i].txt, cases[i].tag);

		if ((got == NULL) != (cases[i].want == NULL) ||
		    (got != NULL && strcmp(got, cases[i].want) != 0))
			fail_msg("tag %s of \"%s\": got %s, want %s", cases[i].tag, cases[i].txt,
				 got ? got : "NULL", cases[i].want ? cases[i].want : "NULL");
		free(got);
	}
}

static const struct CMUnitTest other_tests[] = {
	cmocka_unit_test(builds_dkim_spf_dmarc_mx_in_that_order),
	cmocka_unit_test(builds_placeholders_for_unset_service_keys),
	cmocka_unit_test(builds_no_dkim_record_for_a_domain_without_keys),
	cmocka_unit_test(second_run_forgets_the_first),
	cmocka_unit_test(shows_txt_quoted_mx_bare_and_non_printing_as_question_marks),
	cmocka_unit_test(finds_dkim_tags),
};

static struct CMUnitTest row_test(const char *name, CMUnitTestFunction fn, const void *row)
{
	struct CMUnitTest t = { name, fn, NULL, NULL, (void *)row };

	return t;
}

int main(void)
{
	struct CMUnitTest tests[ARRAY_SIZE(judge_cases) + ARRAY_SIZE(other_tests)];
	size_t i, n = 0;

	for (i = 0; i < ARRAY_SIZE(judge_cases); i++)
		tests[n++] = row_test(judge_cases[i].name, run_judge_case, &judge_cases[i]);
	for (i = 0; i < ARRAY_SIZE(other_tests); i++)
		tests[n++] = other_tests[i];
	return cmocka_run_group_tests_name("domain_check", tests, group_setup, group_teardown);
}
