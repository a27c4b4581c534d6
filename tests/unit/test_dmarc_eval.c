/*
 * test_dmarc_eval - unit tests for policy/auth/dmarc_eval.c: the DMARC verdict
 * from From, the published record (found at the author domain or at its
 * organisational domain, parsed by libopendmarc) and the SPF and DKIM
 * results, with strict and relaxed alignment, sp=, pct= sampling, lookup
 * failures, several records, records that do not parse and messages
 * without one author domain.
 *
 * DNS is a table the test owns (the fetch callback), so every row says
 * exactly what is published.  Each row becomes its own cmocka test.
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

#include "tabletest.h"

#include "diag.h"
#include "dmarc_eval.h"
#include "psl.h"
#include "strbuf.h"
#include "testutil.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_TXT 3

static const char test_list[] = "com\nuk\nco.uk\nexample\n";
static struct psl *psl;

/* One published name: TXT records, or a failure. */
struct zone_row {
	const char *name;
	const char *txt[MAX_TXT];
	bool tempfail;
};

struct eval_case {
	const char *name;
	const char *from[2];
	const char *spf_domain;
	enum dmarc_eval_auth spf;
	struct dmarc_eval_dkim dkim[2];
	unsigned sample;
	struct zone_row zone[3];
	enum dmarc_eval_result want;
	enum dmarc_eval_policy want_published;
	enum dmarc_eval_policy want_disposition;
	const char *want_domain;
};

#define TXT(n, ...) { .name = n, .txt = { __VA_ARGS__ } }
#define FAILS(n) { .name = n, .tempfail = true }
#define NOTHING { { .domain = NULL } }
#define NOZONE { { .name = NULL } }
#define PASS DMARC_EVAL_AUTH_PASS
#define OTHER DMARC_EVAL_AUTH_OTHER
#define TEMP DMARC_EVAL_AUTH_TEMPERROR
#define P_NONE DMARC_EVAL_P_NONE
#define P_Q DMARC_EVAL_P_QUARANTINE
#define P_R DMARC_EVAL_P_REJECT

static const struct eval_case cases[] = {
	{ "aligned_dkim_pass_passes", { "a@example.com" }, "other.net", OTHER,
	  { { "example.com", PASS } }, 0, { TXT("_dmarc.example.com", "v=DMARC1; p=reject") },
	  DMARC_EVAL_PASS, P_R, P_NONE, "example.com" },
	{ "aligned_spf_pass_passes", { "a@example.com" }, "example.com", PASS, NOTHING, 0,
	  { TXT("_dmarc.example.com", "v=DMARC1; p=reject") }, DMARC_EVAL_PASS, P_R, P_NONE,
	  "example.com" },
	{ "unaligned_passes_fail_with_reject", { "Eve <a@example.com>" }, "evil.net", PASS,
	  { { "evil.net", PASS } }, 0, { TXT("_dmarc.example.com", "v=DMARC1; p=reject") },
	  DMARC_EVAL_FAIL, P_R, P_R, "example.com" },
	{ "failed_dkim_of_author_domain_fails", { "a@example.com" }, NULL, OTHER,
	  { { "example.com", OTHER } }, 0, { TXT("_dmarc.example.com", "v=DMARC1; p=quarantine") },
	  DMARC_EVAL_FAIL, P_Q, P_Q, "example.com" },
	{ "relaxed_subdomain_signature_aligns", { "a@example.com" }, NULL, OTHER,
	  { { "mail.example.com", PASS } }, 0, { TXT("_dmarc.example.com", "v=DMARC1; p=reject") },
	  DMARC_EVAL_PASS, P_R, P_NONE, "example.com" },
	{ "strict_dkim_subdomain_does_not_align", { "a@example.com" }, NULL, OTHER,
	  { { "mail.example.com", PASS } }, 0,
	  { TXT("_dmarc.example.com", "v=DMARC1; p=reject; adkim=s") }, DMARC_EVAL_FAIL, P_R, P_R,
	  "example.com" },
	{ "strict_spf_subdomain_does_not_align", { "a@example.com" }, "bounce.example.com", PASS,
	  NOTHING, 0, { TXT("_dmarc.example.com", "v=DMARC1; p=reject; aspf=s") },
	  DMARC_EVAL_FAIL, P_R, P_R, "example.com" },
	{ "relaxed_spf_subdomain_aligns", { "a@example.com" }, "bounce.example.com", PASS,
	  NOTHING, 0, { TXT("_dmarc.example.com", "v=DMARC1; p=reject") }, DMARC_EVAL_PASS,
	  P_R, P_NONE, "example.com" },
	{ "co_uk_suffix_is_not_an_organisation", { "a@shop.example.co.uk" }, NULL, OTHER,
	  { { "other.co.uk", PASS } }, 0,
	  { TXT("_dmarc.example.co.uk", "v=DMARC1; p=reject") }, DMARC_EVAL_FAIL, P_R, P_R,
	  "shop.example.co.uk" },
	{ "subdomain_uses_sp_of_organisation", { "a@news.example.com" }, NULL, OTHER, NOTHING,
	  0, { TXT("_dmarc.example.com", "v=DMARC1; p=reject; sp=quarantine") },
	  DMARC_EVAL_FAIL, P_Q, P_Q, "news.example.com" },
	{ "subdomain_without_sp_uses_p", { "a@news.example.com" }, NULL, OTHER, NOTHING, 0,
	  { TXT("_dmarc.example.com", "v=DMARC1; p=reject") }, DMARC_EVAL_FAIL, P_R, P_R,
	  "news.example.com" },
	{ "subdomain_own_record_uses_its_p", { "a@news.example.com" }, NULL, OTHER, NOTHING, 0,
	  { TXT("_dmarc.news.example.com", "v=DMARC1; p=none; sp=reject"),
	    TXT("_dmarc.example.com", "v=DMARC1; p=reject") },
	  DMARC_EVAL_FAIL, P_NONE, P_NONE, "news.example.com" },
	{ "single_letter_labels_align", { "a@x.y.example.com" }, NULL, OTHER,
	  { { "z.example.com", PASS } }, 0, { TXT("_dmarc.example.com", "v=DMARC1; p=reject") },
	  DMARC_EVAL_PASS, P_R, P_NONE, "x.y.example.com" },
	{ "no_record_is_none", { "a@example.com" }, "example.com", PASS, NOTHING, 0, NOZONE,
	  DMARC_EVAL_NONE, P_NONE, P_NONE, "example.com" },
	{ "other_txt_records_are_not_dmarc", { "a@example.com" }, NULL, OTHER, NOTHING, 0,
	  { TXT("_dmarc.example.com", "v=spf1 -all", "v=DMARC10; p=reject") }, DMARC_EVAL_NONE,
	  P_NONE, P_NONE, "example.com" },
	{ "several_records_are_none", { "a@example.com" }, NULL, OTHER, NOTHING, 0,
	  { TXT("_dmarc.example.com", "v=DMARC1; p=reject", "v=DMARC1; p=none") },
	  DMARC_EVAL_NONE, P_NONE, P_NONE, "example.com" },
	{ "lookup_failure_is_temperror", { "a@example.com" }, NULL, OTHER, NOTHING, 0,
	  { FAILS("_dmarc.example.com") }, DMARC_EVAL_TEMPERROR, P_NONE, P_NONE,
	  "example.com" },
	{ "temporary_dkim_error_without_pass_is_temperror", { "a@example.com" }, NULL, OTHER,
	  { { "example.com", TEMP } }, 0, { TXT("_dmarc.example.com", "v=DMARC1; p=reject") },
	  DMARC_EVAL_TEMPERROR, P_R, P_NONE, "example.com" },
	{ "temporary_spf_error_with_aligned_dkim_passes", { "a@example.com" }, "example.com", TEMP,
	  { { "example.com", PASS } }, 0, { TXT("_dmarc.example.com", "v=DMARC1; p=reject") },
	  DMARC_EVAL_PASS, P_R, P_NONE, "example.com" },
	{ "record_without_p_is_permerror", { "a@example.com" }, NULL, OTHER, NOTHING, 0,
	  { TXT("_dmarc.example.com", "v=DMARC1; rua=mailto:d@example.com") },
	  DMARC_EVAL_PERMERROR, P_NONE, P_NONE, "example.com" },
	{ "record_with_bad_p_is_permerror", { "a@example.com" }, NULL, OTHER, NOTHING, 0,
	  { TXT("_dmarc.example.com", "v=DMARC1; p=bounce") }, DMARC_EVAL_PERMERROR, P_NONE,
	  P_NONE, "example.com" },
	{ "pct_sample_inside_keeps_reject", { "a@example.com" }, NULL, OTHER, NOTHING, 24,
	  { TXT("_dmarc.example.com", "v=DMARC1; p=reject; pct=25") }, DMARC_EVAL_FAIL, P_R, P_R,
	  "example.com" },
	{ "pct_sample_outside_downgrades_reject_to_quarantine", { "a@example.com" }, NULL, OTHER,
	  NOTHING, 25, { TXT("_dmarc.example.com", "v=DMARC1; p=reject; pct=25") },
	  DMARC_EVAL_FAIL, P_R, P_Q, "example.com" },
	{ "pct_sample_outside_downgrades_quarantine_to_none", { "a@example.com" }, NULL, OTHER,
	  NOTHING, 99, { TXT("_dmarc.example.com", "v=DMARC1; p=quarantine; pct=0") },
	  DMARC_EVAL_FAIL, P_Q, P_NONE, "example.com" },
	{ "no_from_is_permerror", { NULL }, "example.com", PASS, NOTHING, 0, NOZONE,
	  DMARC_EVAL_PERMERROR, P_NONE, P_NONE, NULL },
	{ "two_from_headers_are_permerror", { "a@example.com", "b@example.com" }, NULL, OTHER,
	  NOTHING, 0, { TXT("_dmarc.example.com", "v=DMARC1; p=reject") },
	  DMARC_EVAL_PERMERROR, P_NONE, P_NONE, NULL },
	{ "authors_in_two_domains_are_permerror", { "a@example.com, b@other.com" }, NULL, OTHER,
	  NOTHING, 0, { TXT("_dmarc.example.com", "v=DMARC1; p=reject") },
	  DMARC_EVAL_PERMERROR, P_NONE, P_NONE, NULL },
	{ "malformed_from_is_permerror", { "\"unterminated <a@example.com>" }, NULL, OTHER,
	  NOTHING, 0, { TXT("_dmarc.example.com", "v=DMARC1; p=reject") },
	  DMARC_EVAL_PERMERROR, P_NONE, P_NONE, NULL },
	{ "uppercase_from_domain_is_looked_up_in_lower_case", { "a@EXAMPLE.COM" }, NULL, OTHER,
	  { { "Example.Com", PASS } }, 0, { TXT("_dmarc.example.com", "v=DMARC1; p=reject") },
	  DMARC_EVAL_PASS, P_R, P_NONE, "example.com" },
};

/* Fails the test unless got equals want. */
static void expect_str(const char *what, const char *got, const char *want)
{
	if (strcmp(got, want) != 0)
		fail_msg("%s: got %s, want %s", what, got, want);
}

/* The fetch callback: answers from the case's zone. */
static enum dns_status zone_fetch(void *arg, const char *name, struct dns_answers *out)
{
	const struct eval_case *c = arg;
	size_t i, j;

	memset(out, 0, sizeof *out);
	for (i = 0; i < ARRAY_SIZE(c->zone) && c->zone[i].name != NULL; i++) {
		if (strcmp(c->zone[i].name, name) != 0)
			continue;
		if (c->zone[i].tempfail)
			return DNS_TEMPFAIL;
		for (j = 0; j < MAX_TXT && c->zone[i].txt[j] != NULL; j++) {
			out->v = realloc(out->v, (out->n + 1) * sizeof *out->v);
			assert_non_null(out->v);
			out->v[out->n] = strdup(c->zone[i].txt[j]);
			assert_non_null(out->v[out->n]);
			out->n++;
		}
		return out->n > 0 ? DNS_OK : DNS_NODATA;
	}
	return DNS_NXDOMAIN;
}

static void run_case(void **state)
{
	const struct eval_case *c = *state;
	struct dmarc_eval_input in = { 0 };
	struct dmarc_eval out;
	size_t nd = 0;

	in.from = c->from;
	in.nfrom = c->from[1] != NULL ? 2 : c->from[0] != NULL ? 1 : 0;
	in.spf_domain = c->spf_domain;
	in.spf = c->spf;
	while (nd < ARRAY_SIZE(c->dkim) && c->dkim[nd].domain != NULL)
		nd++;
	in.dkim = c->dkim;
	in.ndkim = nd;
	in.sample = c->sample;
	dmarc_eval_run(&in, psl, zone_fetch, (void *)c, &out);
	expect_str("result", dmarc_eval_result_name(out.result), dmarc_eval_result_name(c->want));
	expect_str("published policy", dmarc_eval_policy_name(out.published),
		   dmarc_eval_policy_name(c->want_published));
	expect_str("disposition", dmarc_eval_policy_name(out.disposition),
		   dmarc_eval_policy_name(c->want_disposition));
	expect_str("author domain", out.from_domain ? out.from_domain : "(none)",
		   c->want_domain ? c->want_domain : "(none)");
	assert_non_null(out.why);
	dmarc_eval_free(&out);
}

static int setup(void **state)
{
	struct diag_list dl = DIAG_LIST_INIT;
	char path[] = "/tmp/test_dmarc_eval.XXXXXX";
	int fd = mkstemp(path);
	FILE *f;

	(void)state;
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(test_list, f);
	fclose(f);
	psl = psl_load(path, &dl);
	unlink(path);
	assert_non_null(psl);
	diag_free(&dl);
	return dmarc_eval_init();
}

static int teardown(void **state)
{
	(void)state;
	psl_free(psl);
	return 0;
}

int main(void)
{
	struct CMUnitTest tests[ARRAY_SIZE(cases)];

	TABLE_TESTS(tests, cases, ARRAY_SIZE(cases), run_case);
	return _cmocka_run_group_tests("dmarc_eval", tests, ARRAY_SIZE(tests), setup, teardown);
}
