/*
 * test_domain_recheck - unit tests for policy/snapshot/domain_recheck.c: rounds of
 * re-checks over the verified domains of a snapshot, with DNS answering
 * from tables (domfix) and the log captured line by line.  Each test is a
 * sequence of rounds and says which lines each round logs: drift once per
 * record and not again while nothing changes, recovery, a changed drift,
 * rotated answers, failed lookups as notices (once, never drift),
 * domains that cannot be checked, unverified domains left alone, and a
 * round ended early by a stop request.
 *
 * The snapshot has accounts acme (example.com verified, pending.example
 * unverified) and beta (other.example verified); both verified domains
 * share one Ed25519 key with selector s1, so "@P@" in an answer is its p=.
 *
 * Diagnostics: a failing case prints "got X, want Y" with the whole log of
 * the round.
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

#include "account.h"
#include "config.h"
#include "diag.h"
#include "dkim_sign.h"
#include "domain_recheck.h"
#include "domfix.h"
#include "snapshot.h"
#include "strbuf.h"
#include "testutil.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static char *tmpdir;
static char *key_p; /* the p= of the shared key */

static int group_setup(void **state)
{
	struct strbuf pem = STRBUF_INIT;
	char *path;
	FILE *fp;
	int c;

	tmpdir = testutil_tmpdir();
	key_p = domfix_make_key(tmpdir, "example.com", "s1.ed25519.pem", DKIM_KEY_ED25519);
	path = testutil_path(tmpdir, "keys/example.com/s1.ed25519.pem");
	fp = fopen(path, "r");
	assert_non_null(fp);
	while ((c = getc(fp)) != EOF)
		strbuf_appendc(&pem, (char)c);
	fclose(fp);
	testutil_write_file(tmpdir, "keys/other.example/s1.ed25519.pem", strbuf_cstr(&pem));
	testutil_write_file(tmpdir, "accounts/acme",
			    "Domain example.com verified\n"
			    "Domain pending.example unverified\n");
	testutil_write_file(tmpdir, "accounts/beta", "Domain other.example verified\n");
	testutil_write_file(tmpdir, "gone/acme", "Domain example.com verified\n");
	testutil_write_file(tmpdir, "gone/beta", "Domain other.example unverified\n");
	testutil_write_file(tmpdir, "nokey/gamma", "Domain nokey.example verified\n");
	strbuf_free(&pem);
	free(path);
	return 0;
}

static int group_teardown(void **state)
{
	free(key_p);
	testutil_rmtree_free(tmpdir);
	return 0;
}

/* A snapshot of the accounts in tmpdir/accounts_dir, with conf_text as config. */
static struct policy_snapshot *make_snapshot(const char *accounts_dir, const char *conf_text)
{
	struct diag_list dl = DIAG_LIST_INIT;
	struct policy_snapshot *snap;
	struct ses_config *conf;
	struct account_db *db;
	char *path, *dir, *keys;

	testutil_write_file(tmpdir, "ses-milter.conf", conf_text);
	path = testutil_path(tmpdir, "ses-milter.conf");
	dir = testutil_path(tmpdir, accounts_dir);
	keys = testutil_path(tmpdir, "keys");
	conf = config_load(path, &dl);
	assert_non_null(conf);
	db = account_db_load(dir, conf, &dl);
	snap = policy_snapshot_new(conf, db);
	dkim_keyring_free(snap->keys);
	snap->keys = dkim_keyring_load(keys, true, &dl);
	if (db == NULL || snap->keys == NULL || dl.n > 0)
		fail_msg("snapshot: got diagnostics %s, want none", testutil_diag_text(&dl));
	diag_free(&dl);
	free(path);
	free(dir);
	free(keys);
	return snap;
}

#define SERVICE "ServiceSpfInclude spf.svc.example\nServiceMx mx.svc.example\n"

/* ---- the log -------------------------------------------------------------- */

struct captured {
	struct strbuf all; /* "LEVEL: message\n" per line */
};

static void capture(void *arg, enum plog_level level, const char *msg)
{
	struct captured *c = arg;

	strbuf_appendf(&c->all, "%s: %s\n", plog_level_name(level), msg);
}

/* ---- rounds ------------------------------------------------------------------ */

#define ROWS 10
#define ROUNDS 4

/* What one round sees and should log. */
struct round {
	const char *accounts; /* directory under tmpdir; NULL: "accounts" */
	const char *conf;     /* the config; NULL: SERVICE */
	struct domfix_rr rrs[ROWS];
	const char *want[4];  /* substrings the round's log must hold */
	const char *unwanted; /* a substring it must not hold; NULL: none */
	size_t lines;	      /* lines above debug level, the summary included */
	int stop_after;	      /* > 0: stop once this many queries were made */
	int queries;	      /* >= 0: the queries the round must make; -1: any */
};

struct recheck_case {
	const char *name;
	struct round rounds[ROUNDS]; /* up to the first with no rows, want or lines */
};

/* Stops the round once dns->queries passes the round's stop_after. */
static int stop_at(struct domfix_dns *dns)
{
	const struct round *r = dns->arg;

	return r->stop_after > 0 && dns->queries > (unsigned)r->stop_after;
}

static bool stopping(void *arg)
{
	struct domfix_dns *dns = arg;

	return stop_at(dns) != 0;
}

/* Lines of log above debug level. */
static size_t lines_above_debug(const char *log)
{
	const char *p;
	size_t n = 0;

	for (p = log; *p != '\0'; p = strchr(p, '\n') + 1)
		n += strncmp(p, "debug: ", 7) != 0;
	return n;
}

/* Runs one round; fails unless it logs and asks what r wants. */
static void run_round(struct domain_recheck *rc, const struct round *r, size_t no)
{
	struct captured cap = { STRBUF_INIT };
	struct plog log = { capture, &cap, PLOG_DEBUG };
	struct domfix_dns dns = { r->rrs, ROWS, key_p, 0, stop_at, (void *)r };
	struct domain_recheck_env env = { domfix_lookup(&dns), &log, stopping, &dns };
	struct policy_snapshot *snap = make_snapshot(r->accounts != NULL ? r->accounts : "accounts",
						     r->conf != NULL ? r->conf : SERVICE);
	bool done = domain_recheck_round(rc, snap, &env);
	const char *all;
	size_t j;

	strbuf_appends(&cap.all, "");
	all = strbuf_cstr(&cap.all);
	if (done != (r->stop_after == 0))
		fail_msg("round %zu: got %s, want %s\n%s", no, done ? "done" : "stopped",
			 r->stop_after == 0 ? "done" : "stopped", all);
	for (j = 0; j < ARRAY_SIZE(r->want) && r->want[j] != NULL; j++)
		if (strstr(all, r->want[j]) == NULL)
			fail_msg("round %zu: got log\n%swant a line with \"%s\"", no, all,
				 r->want[j]);
	if (r->unwanted != NULL && strstr(all, r->unwanted) != NULL)
		fail_msg("round %zu: got log\n%swant nothing with \"%s\"", no, all, r->unwanted);
	if (lines_above_debug(all) != r->lines)
		fail_msg("round %zu: got %zu lines above debug\n%swant %zu", no,
			 lines_above_debug(all), all, r->lines);
	if (r->queries >= 0 && dns.queries != (unsigned)r->queries)
		fail_msg("round %zu: got %u queries, want %d", no, dns.queries, r->queries);
	policy_snapshot_unref(snap);
	strbuf_free(&cap.all);
}

static void run_recheck_case(void **state)
{
	const struct recheck_case *c = *state;
	struct domain_recheck *rc = domain_recheck_new();
	size_t i;

	for (i = 0; i < ROUNDS && (c->rounds[i].rrs[0].name != NULL ||
				   c->rounds[i].want[0] != NULL || c->rounds[i].lines > 0);
	     i++)
		run_round(rc, &c->rounds[i], i + 1);
	domain_recheck_free(rc);
}

/* The rounds are laid out by hand. */
/* clang-format off */
#define TXT(name, ...) { name, DNS_RR_TXT, DNS_OK, { __VA_ARGS__ } }
#define MX(name, ...) { name, DNS_RR_MX, DNS_OK, { __VA_ARGS__ } }
#define FAIL(name) { name, DNS_RR_TXT, DNS_TEMPFAIL, { NULL } }
#define GOOD_DKIM(d) TXT("s1._domainkey." d, "v=DKIM1; k=ed25519; p=@P@")
#define GOOD_SPF(d) TXT(d, "v=spf1 include:spf.svc.example ~all")
#define GOOD_DMARC(d) TXT("_dmarc." d, "v=DMARC1; p=none")
#define GOOD_MX(d) MX(d, "mx.svc.example")
#define GOOD(d) GOOD_DKIM(d), GOOD_SPF(d), GOOD_DMARC(d), GOOD_MX(d)
#define BAD_DKIM(d) TXT("s1._domainkey." d, "v=DKIM1; k=ed25519; p=X@P@")
#define E "example.com"
#define O "other.example"

#define ALL_GOOD { NULL, NULL, { GOOD(E), GOOD(O) }, \
	{ "info: re-checked 2 verified domains: 2 match, 0 drifted, 0 not checked" }, \
	"drifted:", 1, 0, 8 }
#define E_DKIM_WRONG { NULL, NULL, { BAD_DKIM(E), GOOD_SPF(E), GOOD_DMARC(E), GOOD_MX(E), GOOD(O) }, \
	{ "warning: domain example.com drifted: DKIM s1._domainkey.example.com TXT expected " \
	  "\"v=DKIM1; k=ed25519; p=" }, NULL, 2, 0, 8 }
#define E_DKIM_WRONG_AGAIN { NULL, NULL, { BAD_DKIM(E), GOOD_SPF(E), GOOD_DMARC(E), GOOD_MX(E), GOOD(O) }, \
	{ "1 match, 1 drifted" }, "drifted:", 1, 0, 8 }

static const struct recheck_case recheck_cases[] = {
	{ "matching_domains_log_the_summary_only", { ALL_GOOD } },
	{ "drift_is_logged_per_record_and_not_repeated", {
		ALL_GOOD,
		{ NULL, NULL, { BAD_DKIM(E), GOOD_SPF(E), GOOD_DMARC(E), GOOD(O) },
		  { "warning: domain example.com drifted: DKIM s1._domainkey.example.com TXT expected "
		    "\"v=DKIM1; k=ed25519; p=",
		    "warning: domain example.com drifted: MX example.com MX expected mx.svc.example "
		    "current (none)",
		    "info: re-checked 2 verified domains: 1 match, 1 drifted, 0 not checked" },
		  "other.example", 3, 0, 8 },
		{ NULL, NULL, { BAD_DKIM(E), GOOD_SPF(E), GOOD_DMARC(E), GOOD(O) },
		  { "1 match, 1 drifted" }, "drifted:", 1, 0, 8 },
		{ NULL, NULL, { BAD_DKIM(E), GOOD_SPF(E), GOOD_DMARC(E), GOOD(O) },
		  { "1 match, 1 drifted" }, "drifted:", 1, 0, 8 } } },
	{ "drift_shows_expected_and_current_values", {
		{ NULL, NULL, { GOOD(E), TXT(O, "v=spf1 include:other.example ~all"), GOOD_DKIM(O),
		  GOOD_DMARC(O), MX(O, "mail.other.example", "mx2.other.example") },
		  { "warning: domain other.example drifted: SPF other.example TXT expected "
		    "\"v=spf1 include:spf.svc.example ~all\" current \"v=spf1 include:other.example ~all\"",
		    "warning: domain other.example drifted: MX other.example MX expected mx.svc.example "
		    "current mail.other.example | mx2.other.example" },
		  NULL, 3, 0, 8 } } },
	{ "recovery_is_logged_once", {
		E_DKIM_WRONG,
		{ NULL, NULL, { GOOD(E), GOOD(O) },
		  { "notice: domain example.com records match again", "2 match, 0 drifted" },
		  "drifted:", 2, 0, 8 },
		{ NULL, NULL, { GOOD(E), GOOD(O) }, { "2 match" }, "match again", 1, 0, 8 } } },
	{ "changed_drift_is_logged_again", {
		E_DKIM_WRONG,
		{ NULL, NULL, { GOOD_DKIM(E), TXT(E, "v=spf1 include:other.example ~all"),
		  GOOD_DMARC(E), GOOD_MX(E), GOOD(O) },
		  { "warning: domain example.com drifted: SPF example.com TXT expected" },
		  "drifted: DKIM", 2, 0, 8 } } },
	{ "answers_in_another_order_are_no_change", {
		{ NULL, NULL, { GOOD(E), GOOD_DKIM(O), GOOD_SPF(O), GOOD_DMARC(O),
		  MX(O, "a.example", "b.example") },
		  { "drifted: MX other.example MX expected mx.svc.example current a.example | b.example" },
		  NULL, 2, 0, 8 },
		{ NULL, NULL, { GOOD(E), GOOD_DKIM(O), GOOD_SPF(O), GOOD_DMARC(O),
		  MX(O, "b.example", "a.example") },
		  { "1 match, 1 drifted" }, "drifted:", 1, 0, 8 } } },
	{ "failed_lookup_is_a_notice_once_not_drift", {
		{ NULL, NULL, { FAIL("s1._domainkey." E), GOOD(O) },
		  { "notice: cannot re-check domain example.com: fake failure for "
		    "s1._domainkey.example.com",
		    "info: re-checked 2 verified domains: 1 match, 0 drifted, 1 not checked" },
		  "drifted:", 2, 0, 5 },
		{ NULL, NULL, { FAIL("s1._domainkey." E), GOOD(O) },
		  { "1 not checked" }, "cannot re-check", 1, 0, 5 },
		{ NULL, NULL, { GOOD(E), GOOD(O) },
		  { "info: domain example.com can be re-checked again" }, "drifted:", 2, 0, 8 } } },
	{ "drift_is_remembered_across_failed_lookups", {
		E_DKIM_WRONG,
		{ NULL, NULL, { GOOD_DKIM(E), FAIL(E), GOOD(O) },
		  { "notice: cannot re-check domain example.com: fake failure for example.com" },
		  "drifted:", 2, 0, 6 },
		{ NULL, NULL, { BAD_DKIM(E), GOOD_SPF(E), GOOD_DMARC(E), GOOD_MX(E), GOOD(O) },
		  { "info: domain example.com can be re-checked again" }, "drifted:", 2, 0, 8 },
		{ NULL, NULL, { GOOD(E), GOOD(O) },
		  { "notice: domain example.com records match again" }, "re-checked again", 2, 0, 8 } } },
	{ "unset_service_key_is_a_check_that_cannot_be_made", {
		{ NULL, "ServiceSpfInclude spf.svc.example\n", { { NULL } },
		  { "notice: cannot re-check domain example.com: ServiceMx is not set",
		    "notice: cannot re-check domain other.example: ServiceMx is not set",
		    "info: re-checked 2 verified domains: 0 match, 0 drifted, 2 not checked" },
		  NULL, 3, 0, 0 } } },
	{ "verified_domain_without_dkim_key_cannot_be_checked", {
		{ "nokey", NULL, { { NULL } },
		  { "notice: cannot re-check domain nokey.example: it has no DKIM key",
		    "re-checked 1 verified domain: 0 match, 0 drifted, 1 not checked" },
		  NULL, 2, 0, 0 } } },
	{ "unverified_domain_is_not_checked_and_forgotten", {
		{ NULL, NULL, { GOOD(E), TXT(O, "v=spf1 -all"), GOOD_DKIM(O), GOOD_DMARC(O), GOOD_MX(O) },
		  { "drifted: SPF other.example" }, "pending.example", 2, 0, 8 },
		{ "gone", NULL, { GOOD(E), TXT(O, "v=spf1 -all"), GOOD_DKIM(O), GOOD_DMARC(O), GOOD_MX(O) },
		  { "re-checked 1 verified domain: 1 match" }, "other.example", 1, 0, 4 },
		{ NULL, NULL, { GOOD(E), TXT(O, "v=spf1 -all"), GOOD_DKIM(O), GOOD_DMARC(O), GOOD_MX(O) },
		  { "drifted: SPF other.example" }, NULL, 2, 0, 8 } } },
	{ "stop_ends_the_round_quietly_keeping_what_is_known", {
		{ NULL, NULL, { BAD_DKIM(E), GOOD_SPF(E), GOOD_DMARC(E), GOOD_MX(E), BAD_DKIM(O),
		  GOOD_SPF(O), GOOD_DMARC(O), GOOD_MX(O) },
		  { "drifted: DKIM s1._domainkey.example.com", "drifted: DKIM s1._domainkey.other.example" },
		  NULL, 3, 0, 8 },
		/* stopped within example.com: other.example not reached */
		{ NULL, NULL, { GOOD(E), BAD_DKIM(O), GOOD_SPF(O), GOOD_DMARC(O), GOOD_MX(O) },
		  { NULL }, NULL, 0, 2, 3 },
		/* stopped within other.example, after example.com's recovery */
		{ NULL, NULL, { GOOD(E), BAD_DKIM(O), GOOD_SPF(O), GOOD_DMARC(O), GOOD_MX(O) },
		  { "notice: domain example.com records match again" }, "re-checked", 1, 5, 6 },
		{ NULL, NULL, { GOOD(E), BAD_DKIM(O), GOOD_SPF(O), GOOD_DMARC(O), GOOD_MX(O) },
		  { "2 verified domains: 1 match, 1 drifted" }, "drifted:", 1, 0, 8 } } },
};
/* clang-format on */

static struct CMUnitTest row_test(const char *name, CMUnitTestFunction fn, const void *row)
{
	struct CMUnitTest t = { name, fn, NULL, NULL, (void *)row };

	return t;
}

int main(void)
{
	struct CMUnitTest tests[ARRAY_SIZE(recheck_cases)];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(recheck_cases); i++)
		tests[i] = row_test(recheck_cases[i].name, run_recheck_case, &recheck_cases[i]);
	return cmocka_run_group_tests_name("domain_recheck", tests, group_setup, group_teardown);
}
