/*
 * test_dmarc_discovery - unit tests for DMARC by RFC 9989's DNS tree walk
 * (policy/auth/dmarc_discover.c through dmarc_eval_run_treewalk): where the
 * walk looks and where it stops (deep subdomains, names of 8 labels or
 * more, several records, lookup failures), organisational domains for
 * relaxed alignment (psd=y, psd=n, the record of fewest labels), np= for
 * author domains that do not exist, t=y, the retired and unknown tags,
 * free tag order, and missing or invalid p=.
 *
 * DNS is the case's zone, answered through the evaluator's query seam;
 * every query is logged, so a case can say exactly which names the walk
 * asked, in order: "_dmarc.NAME" for a TXT lookup, "A:NAME", "AAAA:NAME"
 * and "MX:NAME" for the existence checks of np=.  A name the zone does
 * not hold is NXDOMAIN; a name it holds with other types only is NODATA.
 * Each row becomes its own cmocka test.
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

#include "tabletest.h"

#include "dmarc_discover.h"
#include "dmarc_eval.h"
#include "strbuf.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_TXT 3
#define MAX_ZONE 6

/* One published name and type: records, or a failure. */
struct zone_row {
	const char *name;
	enum dns_rrtype type;
	const char *txt[MAX_TXT];
	bool tempfail;
};

struct disc_case {
	const char *name;
	const char *from;
	const char *spf_domain;
	enum dmarc_eval_auth spf;
	struct dmarc_eval_dkim dkim[2];
	struct zone_row zone[MAX_ZONE];
	enum dmarc_eval_result want;
	enum dmarc_eval_policy want_published;
	enum dmarc_eval_policy want_disposition;
	const char *want_policy_domain;	/* NULL: no record used */
	const char *want_queries;	/* NULL: not checked */
};

#define TXT(n, ...) { .name = "_dmarc." n, .type = DNS_RR_TXT, .txt = { __VA_ARGS__ } }
#define FAILS(n) { .name = "_dmarc." n, .type = DNS_RR_TXT, .tempfail = true }
#define HOST(n, t) { .name = n, .type = t, .txt = { "x" } }
#define OTHERTYPE(n) { .name = n, .type = DNS_RR_PTR, .txt = { "x" } }
#define NODKIM { { .domain = NULL } }
#define DKIM(d, r) { { d, r } }
#define PASS DMARC_EVAL_AUTH_PASS
#define OTHER DMARC_EVAL_AUTH_OTHER
#define TEMP DMARC_EVAL_AUTH_TEMPERROR
#define P_N DMARC_EVAL_P_NONE
#define P_Q DMARC_EVAL_P_QUARANTINE
#define P_R DMARC_EVAL_P_REJECT
#define R_NONE DMARC_EVAL_NONE
#define R_PASS DMARC_EVAL_PASS
#define R_FAIL DMARC_EVAL_FAIL
#define R_TEMP DMARC_EVAL_TEMPERROR
#define R_PERM DMARC_EVAL_PERMERROR

/* An author domain of 11 labels, and where the walk goes from it. */
#define LONG "l1.l2.l3.l4.l5.l6.l7.l8.l9.example.com"
#define LONG_WALK "_dmarc." LONG " _dmarc.l5.l6.l7.l8.l9.example.com " \
	"_dmarc.l6.l7.l8.l9.example.com _dmarc.l7.l8.l9.example.com _dmarc.l8.l9.example.com " \
	"_dmarc.l9.example.com _dmarc.example.com"

static const struct disc_case cases[] = {
	/* ---- policy discovery: where the walk looks and stops ---- */
	{ "record_at_author_domain_is_used_first", "a@example.com", NULL, OTHER,
	  DKIM("example.com", PASS), { TXT("example.com", "v=DMARC1; p=reject") },
	  R_PASS, P_R, P_N, "example.com", "_dmarc.example.com" },
	{ "subdomain_walks_up_and_gets_sp", "a@mail.example.com", "evil.net", PASS, NODKIM,
	  { TXT("example.com", "v=DMARC1; p=reject; sp=quarantine") },
	  R_FAIL, P_Q, P_Q, "example.com",
	  "_dmarc.mail.example.com _dmarc.example.com _dmarc.com" },
	{ "subdomain_without_sp_gets_p", "a@mail.example.com", "evil.net", PASS, NODKIM,
	  { TXT("example.com", "v=DMARC1; p=reject") }, R_FAIL, P_R, P_R, "example.com", NULL },
	{ "deep_subdomain_walks_one_label_at_a_time", "a@a.b.c.example.com", NULL, OTHER, NODKIM,
	  { TXT("example.com", "v=DMARC1; p=quarantine") }, R_FAIL, P_Q, P_Q, "example.com",
	  "_dmarc.a.b.c.example.com _dmarc.b.c.example.com _dmarc.c.example.com "
	  "_dmarc.example.com _dmarc.com" },
	/* RFC 9989: not the first record above, the organisational domain's */
	{ "walk_passes_an_intermediate_record_for_the_org_domain", "a@a.b.c.example.com", NULL,
	  OTHER, NODKIM,
	  { TXT("c.example.com", "v=DMARC1; p=none"), TXT("example.com", "v=DMARC1; p=reject") },
	  R_FAIL, P_R, P_R, "example.com",
	  "_dmarc.a.b.c.example.com _dmarc.b.c.example.com _dmarc.c.example.com "
	  "_dmarc.example.com _dmarc.com" },
	{ "intermediate_record_with_psd_n_is_the_org_domain", "a@a.b.c.example.com", NULL,
	  OTHER, NODKIM,
	  { TXT("c.example.com", "v=DMARC1; p=none; psd=n"),
	    TXT("example.com", "v=DMARC1; p=reject") },
	  R_FAIL, P_N, P_N, "c.example.com",
	  "_dmarc.a.b.c.example.com _dmarc.b.c.example.com _dmarc.c.example.com" },
	{ "no_record_up_to_the_top_is_none", "a@x.example.org", NULL, OTHER, NODKIM, { { 0 } },
	  R_NONE, P_N, P_N, NULL, "_dmarc.x.example.org _dmarc.example.org _dmarc.org" },
	{ "record_at_a_top_level_domain_is_found", "a@shop.example.org", NULL, OTHER, NODKIM,
	  { TXT("org", "v=DMARC1; p=none; sp=reject") }, R_FAIL, P_R, P_R, "org", NULL },
	{ "long_name_jumps_to_its_seven_rightmost_labels", "a@" LONG, NULL, OTHER, NODKIM,
	  { TXT("example.com", "v=DMARC1; p=reject") }, R_FAIL, P_R, P_R, "example.com",
	  LONG_WALK " _dmarc.com" },
	{ "long_name_without_record_stops_after_eight_queries", "a@" LONG, NULL, OTHER, NODKIM,
	  { { 0 } }, R_NONE, P_N, P_N, NULL, LONG_WALK " _dmarc.com" },
	{ "record_on_a_skipped_label_is_not_seen", "a@a.b.c.d.e.f.g.example.com", NULL, OTHER,
	  NODKIM, { TXT("b.c.d.e.f.g.example.com", "v=DMARC1; p=none"),
		    TXT("c.d.e.f.g.example.com", "v=DMARC1; p=reject") },
	  R_FAIL, P_R, P_R, "c.d.e.f.g.example.com",
	  "_dmarc.a.b.c.d.e.f.g.example.com _dmarc.c.d.e.f.g.example.com "
	  "_dmarc.d.e.f.g.example.com _dmarc.e.f.g.example.com _dmarc.f.g.example.com "
	  "_dmarc.g.example.com _dmarc.example.com _dmarc.com" },
	{ "eight_labels_lose_one_label", "a@a.b.c.d.e.f.example.com", NULL, OTHER, NODKIM,
	  { TXT("b.c.d.e.f.example.com", "v=DMARC1; p=quarantine") }, R_FAIL, P_Q, P_Q,
	  "b.c.d.e.f.example.com",
	  "_dmarc.a.b.c.d.e.f.example.com _dmarc.b.c.d.e.f.example.com "
	  "_dmarc.c.d.e.f.example.com _dmarc.d.e.f.example.com _dmarc.e.f.example.com "
	  "_dmarc.f.example.com _dmarc.example.com _dmarc.com" },
	{ "long_author_domain_with_its_own_record", "a@" LONG, NULL, OTHER, NODKIM,
	  { TXT(LONG, "v=DMARC1; p=quarantine; sp=none") }, R_FAIL, P_Q, P_Q, LONG,
	  "_dmarc." LONG },
	{ "several_records_are_discarded_and_the_walk_goes_on", "a@mail.example.com", NULL, OTHER,
	  NODKIM, { TXT("mail.example.com", "v=DMARC1; p=none", "v=DMARC1; p=reject"),
		    TXT("example.com", "v=DMARC1; p=quarantine") },
	  R_FAIL, P_Q, P_Q, "example.com", NULL },
	{ "other_txt_records_beside_the_record_are_ignored", "a@example.com", NULL, OTHER, NODKIM,
	  { TXT("example.com", "v=spf1 -all", "v=DMARC1; p=reject", "hello") },
	  R_FAIL, P_R, P_R, "example.com", NULL },
	{ "lookup_failure_at_the_author_domain_is_temperror", "a@example.com", NULL, OTHER,
	  NODKIM, { FAILS("example.com") }, R_TEMP, P_N, P_N, NULL, NULL },
	{ "lookup_failure_during_the_walk_is_temperror", "a@mail.example.com", NULL, OTHER,
	  NODKIM, { FAILS("example.com") }, R_TEMP, P_N, P_N, NULL, NULL },

	/* ---- organisational domains: psd= and relaxed alignment ---- */
	{ "psd_record_gives_the_policy_of_an_unpublished_domain", "a@mail.bank.example",
	  "evil.net", PASS, NODKIM, { TXT("example", "v=DMARC1; p=reject; psd=y") },
	  R_FAIL, P_R, P_R, "example", NULL },
	{ "org_record_comes_before_the_psd_record", "a@mail.bank.example", NULL, OTHER,
	  NODKIM, { TXT("bank.example", "v=DMARC1; p=quarantine"),
		    TXT("example", "v=DMARC1; p=reject; psd=y") },
	  R_FAIL, P_Q, P_Q, "bank.example",
	  "_dmarc.mail.bank.example _dmarc.bank.example _dmarc.example" },
	{ "psd_y_org_domain_is_one_label_below", "a@mail.bank.example", NULL, OTHER,
	  DKIM("bank.example", PASS), { TXT("example", "v=DMARC1; p=reject; psd=y") },
	  R_PASS, P_R, P_N, "example", NULL },
	{ "psd_y_two_registrants_do_not_align", "a@bank.example", NULL, OTHER,
	  DKIM("evil.example", PASS), { TXT("example", "v=DMARC1; p=reject; psd=y") },
	  R_FAIL, P_R, P_R, "example", NULL },
	{ "psd_y_at_the_start_of_the_walk_is_not_a_boundary", "a@agency.gov.example", NULL,
	  OTHER, DKIM("gov.example", PASS), { TXT("gov.example", "v=DMARC1; p=reject; psd=y") },
	  R_FAIL, P_R, P_R, "gov.example", NULL },
	{ "record_of_fewest_labels_is_the_org_domain", "a@mail.example.com", NULL, OTHER,
	  DKIM("example.com", PASS), { TXT("example.com", "v=DMARC1; p=reject") },
	  R_PASS, P_R, P_N, "example.com", NULL },
	{ "psd_n_stops_the_org_walk", "a@x.dept.example.com", NULL, OTHER,
	  DKIM("other.example.com", PASS),
	  { TXT("dept.example.com", "v=DMARC1; p=reject; psd=n"),
	    TXT("example.com", "v=DMARC1; p=none") },
	  R_FAIL, P_R, P_R, "dept.example.com", NULL },
	{ "without_psd_n_the_shorter_record_wins", "a@x.dept.example.com", NULL, OTHER,
	  DKIM("other.example.com", PASS),
	  { TXT("dept.example.com", "v=DMARC1; p=reject"),
	    TXT("example.com", "v=DMARC1; p=none") },
	  R_PASS, P_N, P_N, "example.com", NULL },
	{ "siblings_without_a_parent_record_do_not_align", "a@a.example.com", NULL, OTHER,
	  DKIM("b.example.com", PASS), { TXT("a.example.com", "v=DMARC1; p=reject") },
	  R_FAIL, P_R, P_R, "a.example.com", NULL },
	{ "relaxed_spf_of_a_subdomain_aligns", "a@example.com", "bounce.example.com", PASS,
	  NODKIM, { TXT("example.com", "v=DMARC1; p=reject") }, R_PASS, P_R, P_N, "example.com",
	  "_dmarc.example.com _dmarc.com _dmarc.bounce.example.com" },
	{ "strict_spf_of_a_subdomain_does_not_align", "a@example.com", "bounce.example.com",
	  PASS, NODKIM, { TXT("example.com", "v=DMARC1; p=reject; aspf=s") },
	  R_FAIL, P_R, P_R, "example.com", "_dmarc.example.com" },
	{ "strict_dkim_of_the_same_name_aligns", "a@Example.COM", NULL, OTHER,
	  DKIM("EXAMPLE.com.", PASS), { TXT("example.com", "v=DMARC1; adkim=s; p=reject") },
	  R_PASS, P_R, P_N, "example.com", NULL },
	{ "different_top_level_domains_never_align_and_are_not_walked", "a@example.com",
	  "example.net", PASS, DKIM("example.net", PASS),
	  { TXT("example.com", "v=DMARC1; p=reject") }, R_FAIL, P_R, P_R, "example.com",
	  "_dmarc.example.com" },
	{ "org_walk_failure_is_temperror", "a@example.com", NULL, OTHER,
	  DKIM("mail.example.com", PASS),
	  { TXT("example.com", "v=DMARC1; p=reject"), FAILS("mail.example.com") },
	  R_TEMP, P_R, P_N, "example.com", NULL },
	{ "aligned_pass_wins_over_a_temporary_failure", "a@example.com", "example.com", PASS,
	  DKIM("example.com", TEMP), { TXT("example.com", "v=DMARC1; p=reject") },
	  R_PASS, P_R, P_N, "example.com", NULL },
	{ "second_dkim_signature_aligns", "a@example.com", NULL, OTHER,
	  { { "evil.net", PASS }, { "news.example.com", PASS } },
	  { TXT("example.com", "v=DMARC1; p=reject") }, R_PASS, P_R, P_N, "example.com", NULL },
	{ "failing_aligned_dkim_does_not_pass", "a@example.com", NULL, OTHER,
	  DKIM("example.com", OTHER), { TXT("example.com", "v=DMARC1; p=quarantine") },
	  R_FAIL, P_Q, P_Q, "example.com", NULL },

	/* ---- np= for author domains that do not exist ---- */
	{ "np_applies_to_a_nonexistent_subdomain", "a@nosuch.example.com", NULL, OTHER, NODKIM,
	  { TXT("example.com", "v=DMARC1; p=none; np=reject") }, R_FAIL, P_R, P_R, "example.com",
	  "_dmarc.nosuch.example.com _dmarc.example.com _dmarc.com A:nosuch.example.com" },
	{ "np_does_not_apply_to_an_existing_subdomain", "a@www.example.com", NULL, OTHER, NODKIM,
	  { TXT("example.com", "v=DMARC1; p=none; np=reject"), HOST("www.example.com", DNS_RR_A) },
	  R_FAIL, P_N, P_N, "example.com", NULL },
	/* RFC 9989 (as RFC 8020): only NXDOMAIN; a name with other records exists */
	{ "name_with_no_address_and_no_mx_exists", "a@odd.example.com", NULL, OTHER,
	  NODKIM, { TXT("example.com", "v=DMARC1; p=none; np=quarantine"),
		    OTHERTYPE("odd.example.com") },
	  R_FAIL, P_N, P_N, "example.com",
	  "_dmarc.odd.example.com _dmarc.example.com _dmarc.com A:odd.example.com" },
	{ "name_with_only_an_mx_exists", "a@mx.example.com", NULL, OTHER, NODKIM,
	  { TXT("example.com", "v=DMARC1; p=none; np=reject"), HOST("mx.example.com", DNS_RR_MX) },
	  R_FAIL, P_N, P_N, "example.com", NULL },
	{ "name_with_only_an_aaaa_exists", "a@v6.example.com", NULL, OTHER, NODKIM,
	  { TXT("example.com", "v=DMARC1; p=none; np=reject"),
	    HOST("v6.example.com", DNS_RR_AAAA) },
	  R_FAIL, P_N, P_N, "example.com", NULL },
	{ "without_np_a_nonexistent_subdomain_gets_sp", "a@nosuch.example.com", NULL, OTHER,
	  NODKIM, { TXT("example.com", "v=DMARC1; p=none; sp=quarantine") },
	  R_FAIL, P_Q, P_Q, "example.com",
	  "_dmarc.nosuch.example.com _dmarc.example.com _dmarc.com" },
	{ "np_does_not_apply_to_the_domain_of_the_record", "a@example.com", NULL, OTHER, NODKIM,
	  { TXT("example.com", "v=DMARC1; p=none; np=reject") }, R_FAIL, P_N, P_N, "example.com",
	  "_dmarc.example.com" },
	{ "np_is_not_asked_for_a_pass", "a@nosuch.example.com", NULL, OTHER,
	  DKIM("example.com", PASS), { TXT("example.com", "v=DMARC1; p=none; np=reject") },
	  R_PASS, P_N, P_N, "example.com",
	  "_dmarc.nosuch.example.com _dmarc.example.com _dmarc.com" },
	{ "np_of_a_public_suffix_domain", "a@ghost.bank.example", NULL, OTHER, NODKIM,
	  { TXT("example", "v=DMARC1; p=none; psd=y; np=reject") }, R_FAIL, P_R, P_R, "example",
	  NULL },

	/* ---- t=y ---- */
	{ "testing_reject_is_applied_as_quarantine", "a@example.com", NULL, OTHER, NODKIM,
	  { TXT("example.com", "v=DMARC1; p=reject; t=y") }, R_FAIL, P_R, P_Q, "example.com",
	  NULL },
	{ "testing_quarantine_is_applied_as_none", "a@example.com", NULL, OTHER, NODKIM,
	  { TXT("example.com", "v=DMARC1; p=quarantine; t=y") }, R_FAIL, P_Q, P_N, "example.com",
	  NULL },
	{ "t_n_applies_the_policy", "a@example.com", NULL, OTHER, NODKIM,
	  { TXT("example.com", "v=DMARC1; t=n; p=reject") }, R_FAIL, P_R, P_R, "example.com",
	  NULL },
	{ "testing_lowers_sp_too", "a@mail.example.com", NULL, OTHER, NODKIM,
	  { TXT("example.com", "v=DMARC1; p=none; sp=reject; t=y") }, R_FAIL, P_R, P_Q,
	  "example.com", NULL },

	/* ---- the record grammar ---- */
	{ "pct_is_ignored", "a@example.com", NULL, OTHER, NODKIM,
	  { TXT("example.com", "v=DMARC1; p=reject; pct=0") }, R_FAIL, P_R, P_R, "example.com",
	  NULL },
	{ "rf_and_ri_are_ignored", "a@example.com", NULL, OTHER, NODKIM,
	  { TXT("example.com", "v=DMARC1; p=quarantine; rf=bogus; ri=x") }, R_FAIL, P_Q, P_Q,
	  "example.com", NULL },
	{ "unknown_tags_are_ignored", "a@example.com", NULL, OTHER, NODKIM,
	  { TXT("example.com", "v=DMARC1; future=1; p=reject; x-new=yes;;") },
	  R_FAIL, P_R, P_R, "example.com", NULL },
	{ "tags_come_in_any_order_after_v", "a@example.com", NULL, OTHER,
	  DKIM("mail.example.com", PASS),
	  { TXT("example.com", "v=DMARC1; adkim=s; sp=none; p=reject") },
	  R_FAIL, P_R, P_R, "example.com", NULL },
	{ "blanks_around_tags_are_allowed", "a@example.com", NULL, OTHER, NODKIM,
	  { TXT("example.com", " v = DMARC1 ;\tp = Reject ; ") }, R_FAIL, P_R, P_R,
	  "example.com", NULL },
	{ "v_not_first_is_not_a_record", "a@example.com", NULL, OTHER, NODKIM,
	  { TXT("example.com", "p=reject; v=DMARC1") }, R_NONE, P_N, P_N, NULL,
	  "_dmarc.example.com _dmarc.com" },
	{ "missing_p_is_none", "a@example.com", NULL, OTHER, NODKIM,
	  { TXT("example.com", "v=DMARC1; rua=mailto:d@example.com") }, R_FAIL, P_N, P_N,
	  "example.com", NULL },
	{ "missing_p_without_rua_is_none_too", "a@example.com", NULL, OTHER, NODKIM,
	  { TXT("example.com", "v=DMARC1") }, R_FAIL, P_N, P_N, "example.com", NULL },
	{ "invalid_p_with_rua_is_read_as_none", "a@example.com", NULL, OTHER, NODKIM,
	  { TXT("example.com", "v=DMARC1; p=block; rua=mailto:d@example.com") },
	  R_FAIL, P_N, P_N, "example.com", NULL },
	{ "invalid_p_without_rua_asks_for_nothing", "a@example.com", NULL, OTHER, NODKIM,
	  { TXT("example.com", "v=DMARC1; p=block") }, R_NONE, P_N, P_N, NULL, NULL },
	{ "invalid_sp_without_rua_asks_for_nothing", "a@mail.example.com", NULL, OTHER, NODKIM,
	  { TXT("example.com", "v=DMARC1; p=reject; sp=maybe") }, R_NONE, P_N, P_N, NULL, NULL },
	{ "invalid_np_with_rua_makes_the_record_none", "a@nosuch.example.com", NULL, OTHER,
	  NODKIM, { TXT("example.com", "v=DMARC1; p=reject; np=bogus; rua=mailto:d@example.com") },
	  R_FAIL, P_N, P_N, "example.com", NULL },
	{ "one_uri_in_a_rua_list_rescues_an_invalid_p", "a@example.com", NULL, OTHER, NODKIM,
	  { TXT("example.com", "v=DMARC1; p=block; rua=nobody, mailto:d@example.com ") },
	  R_FAIL, P_N, P_N, "example.com", NULL },
	{ "rua_without_a_uri_does_not_rescue_an_invalid_p", "a@example.com", NULL, OTHER, NODKIM,
	  { TXT("example.com", "v=DMARC1; p=block; rua=nobody") }, R_NONE, P_N, P_N, NULL, NULL },

	/* ---- no single author domain ---- */
	{ "from_without_a_domain_is_permerror", "nobody", NULL, OTHER, NODKIM, { { 0 } },
	  R_PERM, P_N, P_N, NULL, "" },
	{ "from_of_two_domains_is_permerror", "a@example.com, b@example.net", NULL, OTHER,
	  NODKIM, { TXT("example.com", "v=DMARC1; p=reject") }, R_PERM, P_N, P_N, NULL, "" },
};

static void expect_str(const char *what, const char *got, const char *want)
{
	if (strcmp(got, want) != 0)
		fail_msg("%s: got \"%s\", want \"%s\"", what, got, want);
}

/* The case being run and the queries it made. */
struct zone_state {
	const struct disc_case *c;
	struct strbuf log;
};

static const char *type_prefix(enum dns_rrtype t)
{
	switch (t) {
	case DNS_RR_A:
		return "A:";
	case DNS_RR_AAAA:
		return "AAAA:";
	case DNS_RR_MX:
		return "MX:";
	case DNS_RR_TXT:
		return "";
	default:
		return "PTR:";
	}
}

/* The query seam: answers from the case's zone and logs the question. */
static enum dns_status zone_query(void *arg, const char *name, enum dns_rrtype type,
				  struct dns_answers *out)
{
	struct zone_state *zs = arg;
	const struct zone_row *z = zs->c->zone;
	bool known = false;
	size_t i, j;

	memset(out, 0, sizeof *out);
	strbuf_appendf(&zs->log, "%s%s%s", zs->log.len > 0 ? " " : "", type_prefix(type), name);
	for (i = 0; i < MAX_ZONE && z[i].name != NULL; i++) {
		if (strcmp(z[i].name, name) != 0)
			continue;
		known = true;
		if (z[i].type != type)
			continue;
		if (z[i].tempfail)
			return DNS_TEMPFAIL;
		for (j = 0; j < MAX_TXT && z[i].txt[j] != NULL; j++) {
			out->v = realloc(out->v, (out->n + 1) * sizeof *out->v);
			assert_non_null(out->v);
			out->v[out->n] = strdup(z[i].txt[j]);
			assert_non_null(out->v[out->n]);
			out->n++;
		}
	}
	if (out->n > 0)
		return DNS_OK;
	return known ? DNS_NODATA : DNS_NXDOMAIN;
}

static void run_case(void **state)
{
	const struct disc_case *c = *state;
	struct zone_state zs = { c, STRBUF_INIT };
	struct dmarc_eval_input in = { 0 };
	struct dmarc_eval out;
	size_t nd = 0;

	in.from = &c->from;
	in.nfrom = 1;
	in.spf_domain = c->spf_domain;
	in.spf = c->spf;
	while (nd < ARRAY_SIZE(c->dkim) && c->dkim[nd].domain != NULL)
		nd++;
	in.dkim = c->dkim;
	in.ndkim = nd;
	in.sample = 99; /* outside any pct= sample: pct= must not matter */
	dmarc_eval_run_treewalk(&in, zone_query, &zs, &out);
	expect_str("result", dmarc_eval_result_name(out.result), dmarc_eval_result_name(c->want));
	expect_str("published policy", dmarc_eval_policy_name(out.published),
		   dmarc_eval_policy_name(c->want_published));
	expect_str("disposition", dmarc_eval_policy_name(out.disposition),
		   dmarc_eval_policy_name(c->want_disposition));
	expect_str("policy domain", out.policy_domain ? out.policy_domain : "(none)",
		   c->want_policy_domain ? c->want_policy_domain : "(none)");
	if (c->want_queries != NULL)
		expect_str("queries", strbuf_cstr(&zs.log), c->want_queries);
	assert_true(out.dns_queries <= 3 * DMARC_WALK_MAX_QUERIES + 3);
	assert_non_null(out.why);
	dmarc_eval_free(&out);
	strbuf_free(&zs.log);
}

/* dmarc_walk_next on its own: the shortening rule of the walk. */
static void walk_next_follows_the_shortening_rule(void **state)
{
	static const char *const rows[][2] = {
		{ "example.com", "com" },
		{ "com", NULL },
		{ "a.b.c.d.e.f.g", "b.c.d.e.f.g" },			/* 7 labels */
		{ "a.b.c.d.e.f.g.h", "b.c.d.e.f.g.h" },			/* 8 */
		{ "a.b.c.d.e.f.g.h.i", "c.d.e.f.g.h.i" },		/* 9 */
		{ "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p", "j.k.l.m.n.o.p" },	/* 16 */
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(rows); i++) {
		const char *got = dmarc_walk_next(rows[i][0]);

		expect_str(rows[i][0], got ? got : "(end)", rows[i][1] ? rows[i][1] : "(end)");
	}
}

/* The parsed tags of a record that uses every one of them. */
static void record_reads_every_tag(void **state)
{
	struct dmarc_record r;

	(void)state;
	assert_int_equal(dmarc_record_parse("v=DMARC1; psd=n; t=y; np=reject; sp=quarantine; "
					    "aspf=s; adkim=r; p=none; fo=1", &r),
			 DMARC_RECORD_OK);
	assert_int_equal(r.p, DMARC_EVAL_P_NONE);
	assert_int_equal(r.sp, DMARC_EVAL_P_QUARANTINE);
	assert_int_equal(r.np, DMARC_EVAL_P_REJECT);
	assert_true(r.have_sp && r.have_np && r.testing && r.strict_spf && !r.strict_dkim);
	assert_int_equal(r.psd, DMARC_PSD_NO);
	assert_int_equal(dmarc_record_parse("v=DMARC2; p=reject", &r), DMARC_RECORD_NOT_DMARC);
	assert_int_equal(dmarc_record_parse("v=DMARC1p=reject", &r), DMARC_RECORD_NOT_DMARC);
	assert_int_equal(dmarc_record_parse("v=dmarc1; p=reject", &r), DMARC_RECORD_NOT_DMARC);
}

/* A resolver that knows nothing: every name is NXDOMAIN. */
static enum dns_status nothing_query(void *arg, const char *name, enum dns_rrtype type,
				     struct dns_answers *out)
{
	(void)arg;
	(void)name;
	(void)type;
	memset(out, 0, sizeof *out);
	return DNS_NXDOMAIN;
}

/* Many passing identifiers of one organisation cannot make a message's walks unbounded. */
static void many_identifiers_stay_within_the_message_bound(void **state)
{
	struct dmarc_walk w;
	char d[64];
	bool temp = false;
	unsigned i;

	(void)state;
	dmarc_walk_init(&w, nothing_query, NULL);
	for (i = 0; i < 50; i++) {
		snprintf(d, sizeof d, "s%u.a.b.c.d.e.example.com", i);
		(void)dmarc_walk_aligned(&w, "x.a.b.c.d.e.example.com", d, false, &temp);
	}
	assert_false(temp);
	assert_true(w.queries <= DMARC_WALK_MAX_MESSAGE_QUERIES);
	dmarc_walk_free(&w);
}

int main(void)
{
	struct CMUnitTest tests[ARRAY_SIZE(cases) + 3];
	size_t i;

	TABLE_TESTS(tests, cases, ARRAY_SIZE(cases), run_case);
	i = ARRAY_SIZE(cases);
	tests[i++] = (struct CMUnitTest)cmocka_unit_test(walk_next_follows_the_shortening_rule);
	tests[i++] = (struct CMUnitTest)cmocka_unit_test(record_reads_every_tag);
	tests[i++] = (struct CMUnitTest)cmocka_unit_test(many_identifiers_stay_within_the_message_bound);
	return _cmocka_run_group_tests("dmarc_discovery", tests, ARRAY_SIZE(tests), NULL, NULL);
}
