/*
 * test_account - unit tests for policy/conf/account.c: loading DataDir/accounts
 * (logins, networks, domains, limit overrides over the config defaults),
 * every diagnostic with its FILE:LINE, the files the loader skips, the
 * lookups by login, client address and domain, and the name validators.
 *
 * Table rows are named after the behaviour they pin down; main() turns
 * every row into its own cmocka test.  Each test writes its own accounts
 * directory into one scratch directory made by the group setup.
 *
 * Diagnostics: a failing case prints "got X, want Y", listing every
 * diagnostic the loader produced.
 */
#include "autoconf.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cmocka.h>

#include "account.h"
#include "config.h"
#include "diag.h"
#include "strbuf.h"
#include "testutil.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_FILES 8

static char *tmpdir;			/* made by group_setup */
static struct ses_config *conf;		/* non-default limits, to see inheritance */

static int group_setup(void **state)
{
	struct diag_list dl = DIAG_LIST_INIT;
	char *path;

	tmpdir = testutil_tmpdir();
	testutil_write_file(tmpdir, "ses-milter.conf",
			    "MaxAttachments 3\nSubjectMaxChars 200\nMaxRecipients 40\n");
	path = testutil_path(tmpdir, "ses-milter.conf");
	conf = config_load(path, &dl);
	free(path);
	if (conf == NULL || dl.n != 0) {
		diag_free(&dl);
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	config_free(conf);
	conf = NULL;
	testutil_rmtree(tmpdir);
	free(tmpdir);
	tmpdir = NULL;
	return 0;
}

/* Writes files into a fresh DataDir/accounts; returns its path (caller frees). */
static char *write_accounts(const struct testutil_file *files, size_t n)
{
	return testutil_write_tree(tmpdir, "accounts", files, n);
}

/* Fails unless dl holds want, with a leading "DIR" replaced by dir. */
static void expect_diag(const struct diag_list *dl, const char *dir, const char *want)
{
	testutil_expect_diag(dl, "DIR", dir, want);
}

/* Loads dir and fails unless it loads cleanly.  Caller frees. */
static struct account_db *load_ok(const char *dir)
{
	struct diag_list dl = DIAG_LIST_INIT;
	struct account_db *db = account_db_load(dir, conf, &dl);

	if (db == NULL || dl.n != 0) {
		char *all = testutil_diag_text(&dl);

		fail_msg("account_db_load: got %s with diagnostics %s, want a db and none",
			 db != NULL ? "a db" : "NULL", all);
	}
	return db;
}

static const struct account *expect_account(const struct account_db *db, const char *name)
{
	const struct account *a = account_by_name(db, name);

	if (a == NULL)
		fail_msg("account_by_name(%s): got NULL, want the account", name);
	return a;
}

static void expect_ll(const char *what, long long got, long long want)
{
	if (got != want)
		fail_msg("%s: got %lld, want %lld", what, got, want);
}

/* ---- a loaded directory --------------------------------------------------- */

static const struct testutil_file sample_files[] = {
	{ "acme", "# Acme Corp\n"
		  "Login acme-smtp\n"
		  "Login acme-api\n"
		  "\n"
		  "Network 192.0.2.0/24\n"
		  "Network 2001:db8:ac::/48\n"
		  "Domain Example.COM verified\n"
		  "Domain mail.example.net unverified\n"
		  "Domain other.example\n"
		  "MaxRecipients 10\n"
		  "MaxMessageSize 1M\n" },
	{ "beta.io", "login beta\n"
		     "DOMAIN beta.example VERIFIED\n"
		     "Suspended yes\n"
		     "CustomContent yes\n"
		     "ReputationLevel 5\n" },
	{ "gamma", "" },
};

/* Client networks for the account_by_addr cases. */
static const struct testutil_file network_files[] = {
	{ "wide", "Network 192.0.2.0/24\n" },
	{ "half", "Network 192.0.2.128/25\n" },
	{ "host", "Network 192.0.2.200\n" },
	{ "tenet", "Network 10.0.0.0/8\nNetwork 2001:db8:ffff::/48\n" },
	{ "v6wide", "Network 2001:db8::/32\n" },
	{ "v6narrow", "Network 2001:db8:1::/48\n" },
};

/* A loaded accounts directory: made by a setup, freed by fixture_teardown. */
struct fixture {
	char *dir;
	struct account_db *db;
	const void *row;	/* the table row, for row tests */
};

static int fixture_setup(void **state, const struct testutil_file *files, size_t n)
{
	struct fixture *fx = calloc(1, sizeof *fx);

	assert_non_null(fx);
	fx->row = *state;
	fx->dir = write_accounts(files, n);
	fx->db = load_ok(fx->dir);
	*state = fx;
	return 0;
}

static int sample_setup(void **state)
{
	return fixture_setup(state, sample_files, ARRAY_SIZE(sample_files));
}

static int network_setup(void **state)
{
	return fixture_setup(state, network_files, ARRAY_SIZE(network_files));
}

static int fixture_teardown(void **state)
{
	struct fixture *fx = *state;

	account_db_free(fx->db);
	testutil_rmtree(fx->dir);
	free(fx->dir);
	free(fx);
	return 0;
}

static const struct account_db *fx_db(void **state)
{
	return ((const struct fixture *)*state)->db;
}

static void loads_every_account_sorted_by_name(void **state)
{
	const struct account_db *db = fx_db(state);
	static const char *const want[] = { "acme", "beta.io", "gamma" };
	size_t i;

	expect_ll("accounts", (long long)db->n, (long long)ARRAY_SIZE(want));
	for (i = 0; i < ARRAY_SIZE(want); i++)
		if (strcmp(db->accounts[i]->name, want[i]) != 0)
			fail_msg("accounts[%zu]: got %s, want %s", i, db->accounts[i]->name, want[i]);
}

static void reads_logins_and_networks(void **state)
{
	const struct account_db *db = fx_db(state);
	const struct account *a = expect_account(db, "acme");
	char buf[64];

	expect_ll("acme logins", (long long)a->nlogins, 2);
	if (strcmp(a->logins[0], "acme-smtp") != 0 || strcmp(a->logins[1], "acme-api") != 0)
		fail_msg("acme logins: got %s, %s, want acme-smtp, acme-api", a->logins[0],
			 a->logins[1]);
	expect_ll("acme networks", (long long)a->nnetworks, 2);
	netmask_format(&a->networks[0], buf, sizeof buf);
	if (strcmp(buf, "192.0.2.0/24") != 0)
		fail_msg("acme network 0: got %s, want 192.0.2.0/24", buf);
	netmask_format(&a->networks[1], buf, sizeof buf);
	if (strcmp(buf, "2001:db8:ac::/48") != 0)
		fail_msg("acme network 1: got %s, want 2001:db8:ac::/48", buf);
	expect_ll("gamma logins", (long long)expect_account(db, "gamma")->nlogins, 0);
}

static void reads_domains_lower_cased_with_state(void **state)
{
	static const struct {
		const char *name;
		bool verified;
	} want[] = {
		{ "example.com", true },
		{ "mail.example.net", false },
		{ "other.example", false },	/* no state: unverified */
	};
	const struct account_db *db = fx_db(state);
	const struct account *a = expect_account(db, "acme"), *b;
	size_t i;

	expect_ll("acme domains", (long long)a->ndomains, (long long)ARRAY_SIZE(want));
	for (i = 0; i < ARRAY_SIZE(want); i++)
		if (strcmp(a->domains[i].name, want[i].name) != 0 ||
		    a->domains[i].verified != want[i].verified)
			fail_msg("domain %zu: got %s %s, want %s %s", i, a->domains[i].name,
				 a->domains[i].verified ? "verified" : "unverified", want[i].name,
				 want[i].verified ? "verified" : "unverified");
	b = expect_account(db, "beta.io");
	if (b->ndomains != 1 || strcmp(b->domains[0].name, "beta.example") != 0 ||
	    !b->domains[0].verified)
		fail_msg("beta.io domains: got %zu, want beta.example verified", b->ndomains);
}

static void reads_flags_and_level(void **state)
{
	const struct account_db *db = fx_db(state);
	const struct account *a = expect_account(db, "acme");
	const struct account *b = expect_account(db, "beta.io");

	if (a->suspended || a->custom_content || a->level != 1)
		fail_msg("acme: got suspended=%d custom=%d level=%lld, want 0 0 1",
			 a->suspended, a->custom_content, a->level);
	if (!b->suspended || !b->custom_content || b->level != 5)
		fail_msg("beta.io: got suspended=%d custom=%d level=%lld, want 1 1 5",
			 b->suspended, b->custom_content, b->level);
}

/* Overrides apply; every other limit comes from ses-milter.conf, not built-ins. */
static void limits_override_config_and_inherit_the_rest(void **state)
{
	const struct account_db *db = fx_db(state);
	const struct account *a = expect_account(db, "acme");
	const struct account *g = expect_account(db, "gamma");

	expect_ll("acme max_recipients (override)", a->limits.max_recipients, 10);
	expect_ll("acme max_message_size (override)", a->limits.max_message_size, 1048576);
	expect_ll("acme max_attachments (config)", a->limits.max_attachments, 3);
	expect_ll("acme subject_max_chars (config)", a->limits.subject_max_chars, 200);
	expect_ll("acme subject_min_chars (default)", a->limits.subject_min_chars, 1);
	expect_ll("gamma max_recipients (config)", g->limits.max_recipients, 40);
	expect_ll("gamma max_message_size (default)", g->limits.max_message_size, 4194304);
	expect_ll("gamma max_attachments (config)", g->limits.max_attachments, 3);
	expect_ll("gamma subject_warn_chars (default)", g->limits.subject_warn_chars, 78);
}

static void missing_directory_is_an_empty_db(void **state)
{
	struct diag_list dl = DIAG_LIST_INIT;
	char *dir = testutil_path(tmpdir, "no-such-dir/accounts");
	struct account_db *db = account_db_load(dir, conf, &dl);

	if (db == NULL || db->n != 0 || dl.n != 0)
		fail_msg("got db=%p n=%zu diags=%zu, want an empty db and no diagnostics",
			 (void *)db, db ? db->n : 0, dl.n);
	if (account_by_login(db, "x") != NULL || account_by_domain(db, "a.example", NULL) != NULL)
		fail_msg("lookups in an empty db: got an account, want NULL");
	account_db_free(db);
	free(dir);
}

/* sesctl's *.tmp, editor backups, dot files and directories are no accounts. */
static void skips_temporary_backup_hidden_files_and_directories(void **state)
{
	static const struct testutil_file files[] = {
		{ "acme", "Domain example.com verified\n" },
		{ "acme.tmp", "Frobnicate yes\n" },
		{ "acme~", "Frobnicate yes\n" },
		{ ".acme.swp", "Frobnicate yes\n" },
		{ ".hidden", "Domain example.com\n" },
		{ "new.tmp", "Domain example.com\n" },
		{ "acme.tmpl", "Domain tmpl.example\n" },	/* not *.tmp: loaded */
	};
	char *dir = write_accounts(files, ARRAY_SIZE(files));
	struct account_db *db;

	testutil_mkdir(dir, "archive");
	db = load_ok(dir);
	expect_ll("accounts", (long long)db->n, 2);
	expect_account(db, "acme");
	expect_account(db, "acme.tmpl");
	account_db_free(db);
	testutil_rmtree_free(dir);
}

/* ---- lookups ----------------------------------------------------------- */

/* True when a is the account named want, or both are NULL. */
static bool is_account(const struct account *a, const char *want)
{
	return a == NULL ? want == NULL : want != NULL && strcmp(a->name, want) == 0;
}

struct login_case {
	const char *login;
	const char *want;	/* account name, or NULL */
};

static void finds_account_by_login(void **state)
{
	static const struct login_case cases[] = {
		{ "acme-smtp", "acme" }, { "acme-api", "acme" }, { "beta", "beta.io" },
		{ "nobody", NULL }, { "", NULL }, { "acme", NULL },
	};
	const struct account_db *db = fx_db(state);
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct account *a = account_by_login(db, cases[i].login);

		if (!is_account(a, cases[i].want))
			fail_msg("account_by_login(\"%s\"): got %s, want %s", cases[i].login,
				 a ? a->name : "NULL", cases[i].want ? cases[i].want : "NULL");
	}
}

struct domain_case {
	const char *domain;
	const char *want;	/* account name, or NULL */
	bool verified;
};

static void finds_account_by_domain_case_insensitively(void **state)
{
	static const struct domain_case cases[] = {
		{ "example.com", "acme", true },
		{ "EXAMPLE.Com", "acme", true },
		{ "mail.example.net", "acme", false },
		{ "beta.example", "beta.io", true },
		{ "sub.example.com", NULL, false },
		{ "example.co", NULL, false },
		{ "", NULL, false },
	};
	const struct account_db *db = fx_db(state);
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct account_domain *dom = NULL;
		const struct account *a = account_by_domain(db, cases[i].domain, &dom);

		if (!is_account(a, cases[i].want))
			fail_msg("account_by_domain(\"%s\"): got %s, want %s", cases[i].domain,
				 a ? a->name : "NULL", cases[i].want ? cases[i].want : "NULL");
		if (a != NULL && (dom == NULL || dom->verified != cases[i].verified))
			fail_msg("account_by_domain(\"%s\") domain: got %s, want %s",
				 cases[i].domain,
				 dom == NULL ? "NULL" : dom->verified ? "verified" : "unverified",
				 cases[i].verified ? "verified" : "unverified");
		if (account_by_domain(db, cases[i].domain, NULL) != a)
			fail_msg("account_by_domain(\"%s\", NULL): got another answer",
				 cases[i].domain);
	}
}

/* Builds a sockaddr for text (IPv4 or IPv6). */
static void make_sockaddr(const char *text, struct sockaddr_storage *ss)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof *ss);
	if (inet_pton(AF_INET, text, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		return;
	}
	if (inet_pton(AF_INET6, text, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		return;
	}
	fail_msg("test bug: \"%s\" is not an address", text);
}

struct addr_case {
	const char *name;
	const char *addr;
	const char *want;	/* account name, or NULL */
};

static const struct addr_case addr_cases[] = {
	{ "addr_matches_only_network", "192.0.2.1", "wide" },
	{ "addr_prefers_longer_prefix", "192.0.2.130", "half" },
	{ "addr_prefers_single_host", "192.0.2.200", "host" },
	{ "addr_matches_network_boundary", "192.0.2.255", "half" },
	{ "addr_matches_other_account_network", "10.255.0.1", "tenet" },
	{ "addr_mapped_v6_matches_v4_network", "::ffff:192.0.2.1", "wide" },
	{ "addr_mapped_v6_prefers_longer_prefix", "::ffff:192.0.2.200", "host" },
	{ "addr_matches_v6_network", "2001:db8::1", "v6wide" },
	{ "addr_prefers_longer_v6_prefix", "2001:db8:1::25", "v6narrow" },
	{ "addr_matches_second_network_of_account", "2001:db8:ffff::1", "tenet" },
	{ "addr_outside_every_network", "198.51.100.1", NULL },
	{ "addr_outside_every_v6_network", "2001:db9::1", NULL },
	{ "addr_loopback_matches_nothing", "::1", NULL },
	{ "addr_mapped_outside_matches_nothing", "::ffff:198.51.100.1", NULL },
};

static void run_addr_case(void **state)
{
	const struct fixture *fx = *state;
	const struct addr_case *c = fx->row;
	const struct account_db *db = fx->db;
	struct sockaddr_storage ss;
	const struct account *a;

	make_sockaddr(c->addr, &ss);
	a = account_by_addr(db, (struct sockaddr *)&ss);
	if (!is_account(a, c->want))
		fail_msg("account_by_addr(%s): got %s, want %s", c->addr,
			 a ? a->name : "NULL", c->want ? c->want : "NULL");
}

static void non_ip_client_matches_no_account(void **state)
{
	const struct account_db *db = fx_db(state);
	struct sockaddr_un sun;

	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (account_by_addr(db, (struct sockaddr *)&sun) != NULL)
		fail_msg("account_by_addr(AF_UNIX): got an account, want NULL");
	if (account_by_addr(db, NULL) != NULL)
		fail_msg("account_by_addr(NULL): got an account, want NULL");
}

/* ---- diagnostics ------------------------------------------------------ */

struct error_case {
	const char *name;
	struct testutil_file files[MAX_FILES];
	const char *want;	/* the one diagnostic; "DIR" stands for the directory */
};

static const struct error_case error_cases[] = {
	{ "reports_domain_in_two_accounts",
	  { { "a", "Domain example.com verified\n" }, { "b", "Domain example.com\n" } },
	  "DIR/b:1: Domain example.com already belongs to account a" },
	{ "reports_domain_in_two_accounts_in_other_case",
	  { { "a", "Domain Example.COM\n" }, { "b", "Domain example.com\n" } },
	  "DIR/b:1: Domain example.com already belongs to account a" },
	{ "reports_login_in_two_accounts",
	  { { "a", "Login shared\n" }, { "b", "Login other\nLogin shared\n" } },
	  "DIR/b:2: Login shared already belongs to account a" },
	{ "reports_eleventh_domain",
	  { { "a", "Domain d1.example\nDomain d2.example\nDomain d3.example\n"
		   "Domain d4.example\nDomain d5.example\nDomain d6.example\n"
		   "Domain d7.example\nDomain d8.example\nDomain d9.example\n"
		   "Domain d10.example\nDomain d11.example\n" } },
	  "DIR/a:11: more than 10 sender domains" },
	{ "reports_domain_twice_in_one_account",
	  { { "a", "Domain example.com\nDomain EXAMPLE.com verified\n" } },
	  "DIR/a:2: Domain example.com listed twice" },
	{ "reports_network_prefix_too_long", { { "a", "Network 10.0.0.0/33\n" } },
	  "DIR/a:1: bad network \"10.0.0.0/33\" (want ADDRESS or ADDRESS/PREFIX)" },
	{ "reports_network_that_is_a_name", { { "a", "# c\nNetwork localhost\n" } },
	  "DIR/a:2: bad network \"localhost\" (want ADDRESS or ADDRESS/PREFIX)" },
	{ "reports_empty_network", { { "a", "Network\n" } },
	  "DIR/a:1: bad network \"\" (want ADDRESS or ADDRESS/PREFIX)" },
	{ "reports_domain_with_underscore", { { "a", "Domain bad_name.example\n" } },
	  "DIR/a:1: \"bad_name.example\" is not a valid domain name" },
	{ "reports_domain_without_dot", { { "a", "Domain Localhost\n" } },
	  "DIR/a:1: \"localhost\" is not a valid domain name" },
	{ "reports_domain_with_leading_hyphen", { { "a", "Domain -bad.example\n" } },
	  "DIR/a:1: \"-bad.example\" is not a valid domain name" },
	{ "reports_missing_domain_name", { { "a", "Domain\n" } },
	  "DIR/a:1: Domain needs a domain name" },
	{ "reports_unknown_domain_state", { { "a", "Domain example.com pending\n" } },
	  "DIR/a:1: Domain example.com: state must be verified or unverified, not \"pending\"" },
	{ "reports_unknown_key", { { "a", "Login a\nFrobnicate yes\n" } },
	  "DIR/a:2: unknown key Frobnicate" },
	{ "reports_login_with_blank", { { "a", "Login two words\n" } },
	  "DIR/a:1: Login needs one user name" },
	{ "reports_empty_login", { { "a", "Login\n" } },
	  "DIR/a:1: Login needs one user name" },
	{ "reports_bad_bool", { { "a", "Suspended maybe\n" } },
	  "DIR/a:1: Suspended must be yes or no, not \"maybe\"" },
	{ "reports_level_out_of_range", { { "a", "ReputationLevel 21\n" } },
	  "DIR/a:1: ReputationLevel must be between 1 and 20" },
	{ "reports_limit_out_of_range", { { "a", "MaxRecipients 0\n" } },
	  "DIR/a:1: MaxRecipients must be between 1 and 100000" },
	{ "reports_override_inconsistent_with_config", { { "a", "SubjectMinChars 300\n" } },
	  "DIR/a: SubjectMinChars (300) is larger than SubjectMaxChars (200)" },
	{ "reports_account_file_name_with_blank", { { "a", "" }, { "bad name", "" } },
	  "DIR: \"bad name\" is not a valid account name (letters, digits, '.', '_', '-')" },
	{ "reports_account_file_name_with_leading_hyphen", { { "-acme", "" } },
	  "DIR: \"-acme\" is not a valid account name (letters, digits, '.', '_', '-')" },
	{ "reports_account_file_name_with_plus", { { "acme+1", "" } },
	  "DIR: \"acme+1\" is not a valid account name (letters, digits, '.', '_', '-')" },
};

static void run_error_case(void **state)
{
	const struct error_case *c = *state;
	struct diag_list dl = DIAG_LIST_INIT;
	char *dir = write_accounts(c->files, MAX_FILES);
	struct account_db *db = account_db_load(dir, conf, &dl);

	if (db != NULL) {
		account_db_free(db);
		fail_msg("account_db_load: got a db, want NULL for [%s]", c->want);
	}
	testutil_expect_diags(&dl, "DIR", dir, &c->want, 1);
	diag_free(&dl);
	testutil_rmtree_free(dir);
}

static void reports_every_error_in_every_file(void **state)
{
	static const struct testutil_file files[] = {
		{ "a", "Login shared\nNetwork 10.0.0.0/33\nDomain x.example\nBogus 1\n" },
		{ "b", "Login shared\nDomain X.example\nDomain -y.example\n" },
		{ "c d", "" },
	};
	static const char *const want[] = {
		"DIR/a:2: bad network \"10.0.0.0/33\" (want ADDRESS or ADDRESS/PREFIX)",
		"DIR/a:4: unknown key Bogus",
		"DIR/b:3: \"-y.example\" is not a valid domain name",
		"DIR: \"c d\" is not a valid account name (letters, digits, '.', '_', '-')",
	};
	struct diag_list dl = DIAG_LIST_INIT;
	char *dir = write_accounts(files, ARRAY_SIZE(files));
	struct account_db *db = account_db_load(dir, conf, &dl);

	if (db != NULL)
		fail_msg("account_db_load: got a db, want NULL");
	testutil_expect_diags(&dl, "DIR", dir, want, ARRAY_SIZE(want));
	diag_free(&dl);
	testutil_rmtree_free(dir);
}

/* Cross-account conflicts among the accounts that did load are all reported. */
static void reports_every_conflict_between_accounts(void **state)
{
	static const struct testutil_file files[] = {
		{ "a", "Login shared\nDomain x.example\nDomain z.example\n" },
		{ "b", "Login shared\nDomain X.example\n" },
		{ "c", "Domain z.example\n" },
	};
	static const char *const want[] = {
		"DIR/b:1: Login shared already belongs to account a",
		"DIR/b:2: Domain x.example already belongs to account a",
		"DIR/c:1: Domain z.example already belongs to account a",
	};
	struct diag_list dl = DIAG_LIST_INIT;
	char *dir = write_accounts(files, ARRAY_SIZE(files));

	assert_null(account_db_load(dir, conf, &dl));
	testutil_expect_diags(&dl, "DIR", dir, want, ARRAY_SIZE(want));
	diag_free(&dl);
	testutil_rmtree_free(dir);
}

/* ---- single files and pending changes --------------------------------- */

static void loads_one_account_file(void **state)
{
	struct diag_list dl = DIAG_LIST_INIT;
	const struct fixture *fx = *state;
	char *path = testutil_path(fx->dir, "acme");
	struct account *a = account_load(path, "acme", conf, &dl);

	if (a == NULL || dl.n != 0)
		fail_msg("account_load: got %s, want an account", a ? "diagnostics" : "NULL");
	if (strcmp(a->name, "acme") != 0 || a->ndomains != 3 || a->nlogins != 2)
		fail_msg("account_load: got %s with %zu domains, %zu logins, want acme, 3, 2",
			 a->name, a->ndomains, a->nlogins);
	account_free(a);
	account_free(NULL);
	a = account_load(path, "bad name", conf, &dl);
	if (a != NULL)
		fail_msg("account_load with a bad name: got an account, want NULL");
	expect_diag(&dl, fx->dir, "DIR/acme: \"bad name\" is not a valid account name "
		    "(letters, digits, '.', '_', '-')");
	diag_free(&dl);
	free(path);
}

static void checks_a_pending_change_against_the_others(void **state)
{
	static const struct testutil_file files[] = {
		{ "a", "Domain a.example\n" },
		{ "b", "Domain b.example\n" },
	};
	struct diag_list dl = DIAG_LIST_INIT;
	char *dir = write_accounts(files, ARRAY_SIZE(files));
	char *pending = testutil_path(dir, "b.tmp");
	struct account_change change = { "b", pending };
	struct account_db *db;

	testutil_write_file(dir, "b.tmp", "Domain b.example\nDomain a.example\n");
	assert_null(account_db_load_change(dir, &change, conf, &dl));
	expect_diag(&dl, dir, "DIR/b:2: Domain a.example already belongs to account a");
	diag_free(&dl);

	change.name = "a";
	change.path = NULL;	/* removing a leaves b alone */
	db = account_db_load_change(dir, &change, conf, &dl);
	if (db == NULL || db->n != 1 || account_by_name(db, "a") != NULL)
		fail_msg("removing a: got %s, want a db with b only", db ? "another db" : "NULL");
	account_db_free(db);

	testutil_write_file(dir, "b.tmp", "Bogus 1\n");
	change.name = "b";
	change.path = pending;
	assert_null(account_db_load_change(dir, &change, conf, &dl));
	expect_diag(&dl, dir, "DIR/b:1: unknown key Bogus");
	diag_free(&dl);
	free(pending);
	testutil_rmtree_free(dir);
}

/* ---- name validators ------------------------------------------------ */

struct name_case {
	const char *name;
	const char *in;		/* NULL: built by build_name from len */
	int len;
	bool valid;
};

static const struct name_case domain_cases[] = {
	{ "domain_accepts_two_labels", "example.com", 0, true },
	{ "domain_accepts_digits_and_hyphens", "mx-1.2a.example", 0, true },
	{ "domain_accepts_upper_case", "Example.COM", 0, true },
	{ "domain_accepts_63_char_label", NULL, 63, true },
	{ "domain_refuses_64_char_label", NULL, 64, false },
	{ "domain_accepts_253_chars", NULL, 253, true },
	{ "domain_refuses_254_chars", NULL, 254, false },
	{ "domain_refuses_leading_hyphen", "-example.com", 0, false },
	{ "domain_refuses_label_ending_in_hyphen", "example-.com", 0, false },
	{ "domain_refuses_trailing_hyphen", "example.com-", 0, false },
	{ "domain_refuses_label_starting_with_hyphen", "example.-com", 0, false },
	{ "domain_refuses_empty_label", "example..com", 0, false },
	{ "domain_refuses_leading_dot", ".example.com", 0, false },
	{ "domain_refuses_trailing_dot", "example.com.", 0, false },
	{ "domain_refuses_no_dot", "localhost", 0, false },
	{ "domain_refuses_empty", "", 0, false },
	{ "domain_refuses_lone_dot", ".", 0, false },
	{ "domain_refuses_underscore", "_dmarc.example.com", 0, false },
	{ "domain_refuses_blank", "exa mple.com", 0, false },
	{ "domain_refuses_at_sign", "user@example.com", 0, false },
	{ "domain_refuses_8bit", "b\xc3\xbc" "cher.example", 0, false },
	{ "domain_refuses_address_literal", "[192.0.2.1]", 0, false },
};

/*
 * A domain of len characters: for len 63/64 one label of that length plus
 * ".com"; otherwise 63-character labels joined by dots, cut to len.
 */
static void build_name(char *buf, int len)
{
	int i;

	if (len <= 64) {
		memset(buf, 'a', (size_t)len);
		memcpy(buf + len, ".com", 5);
		return;
	}
	for (i = 0; i < len; i++)
		buf[i] = (i + 1) % 64 == 0 ? '.' : 'a';
	if (buf[len - 1] == '.')
		buf[len - 1] = 'b';
	buf[len] = '\0';
}

static void run_domain_case(void **state)
{
	const struct name_case *c = *state;
	char buf[300];
	const char *in = c->in;
	bool got;

	if (in == NULL) {
		build_name(buf, c->len);
		in = buf;
		if (c->len > 64 && strlen(in) != (size_t)c->len)
			fail_msg("test bug: built %zu characters, want %d", strlen(in), c->len);
	}
	got = account_domain_name_valid(in);
	if (got != c->valid)
		fail_msg("account_domain_name_valid(\"%s\") (%zu chars): got %s, want %s", in,
			 strlen(in), got ? "valid" : "invalid", c->valid ? "valid" : "invalid");
}

static void validates_account_names(void **state)
{
	static const struct {
		const char *in;
		bool valid;
	} cases[] = {
		{ "acme", true }, { "A", true }, { "9lives", true }, { "a.b_c-d", true },
		{ "", false }, { "-a", false }, { ".a", false }, { "_a", false },
		{ "a b", false }, { "a/b", false }, { "a+b", false }, { "caf\xc3\xa9", false },
	};
	char long_name[70];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(cases); i++)
		if (account_name_valid(cases[i].in) != cases[i].valid)
			fail_msg("account_name_valid(\"%s\"): got %s, want %s", cases[i].in,
				 cases[i].valid ? "invalid" : "valid",
				 cases[i].valid ? "valid" : "invalid");
	memset(long_name, 'x', 64);
	long_name[64] = '\0';
	if (!account_name_valid(long_name))
		fail_msg("64-character name: got invalid, want valid");
	long_name[64] = 'x';
	long_name[65] = '\0';
	if (account_name_valid(long_name))
		fail_msg("65-character name: got valid, want invalid");
}

#define SAMPLE_TEST(f) cmocka_unit_test_setup_teardown(f, sample_setup, fixture_teardown)
#define NETWORK_TEST(f) cmocka_unit_test_setup_teardown(f, network_setup, fixture_teardown)

static const struct CMUnitTest other_tests[] = {
	SAMPLE_TEST(loads_every_account_sorted_by_name),
	SAMPLE_TEST(reads_logins_and_networks),
	SAMPLE_TEST(reads_domains_lower_cased_with_state),
	SAMPLE_TEST(reads_flags_and_level),
	SAMPLE_TEST(limits_override_config_and_inherit_the_rest),
	cmocka_unit_test(missing_directory_is_an_empty_db),
	cmocka_unit_test(skips_temporary_backup_hidden_files_and_directories),
	SAMPLE_TEST(finds_account_by_login),
	SAMPLE_TEST(finds_account_by_domain_case_insensitively),
	NETWORK_TEST(non_ip_client_matches_no_account),
	cmocka_unit_test(reports_every_error_in_every_file),
	cmocka_unit_test(reports_every_conflict_between_accounts),
	SAMPLE_TEST(loads_one_account_file),
	cmocka_unit_test(checks_a_pending_change_against_the_others),
	cmocka_unit_test(validates_account_names),
};

static struct CMUnitTest row_test(const char *name, CMUnitTestFunction fn,
				  const void *row)
{
	struct CMUnitTest t = { name, fn, NULL, NULL, (void *)row };

	return t;
}

/* A row test run on the network_files fixture. */
static struct CMUnitTest addr_test(const struct addr_case *row)
{
	struct CMUnitTest t = { row->name, run_addr_case, network_setup, fixture_teardown,
				(void *)row };

	return t;
}

int main(void)
{
	struct CMUnitTest tests[ARRAY_SIZE(addr_cases) + ARRAY_SIZE(error_cases) +
				ARRAY_SIZE(domain_cases) + ARRAY_SIZE(other_tests)];
	size_t i, n = 0;

	for (i = 0; i < ARRAY_SIZE(addr_cases); i++)
		tests[n++] = addr_test(&addr_cases[i]);
	for (i = 0; i < ARRAY_SIZE(error_cases); i++)
		tests[n++] = row_test(error_cases[i].name, run_error_case, &error_cases[i]);
	for (i = 0; i < ARRAY_SIZE(domain_cases); i++)
		tests[n++] = row_test(domain_cases[i].name, run_domain_case, &domain_cases[i]);
	for (i = 0; i < ARRAY_SIZE(other_tests); i++)
		tests[n++] = other_tests[i];
	return cmocka_run_group_tests_name("account", tests, group_setup, group_teardown);
}
