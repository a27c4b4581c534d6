/*
 * cmd_domain - "sesctl domain ...": an account's sender domains, kept as
 * "Domain NAME verified|unverified" lines in the account's file.
 *
 * Domain names are stored in lower case; a domain belongs to one account;
 * an account has at most ACCOUNT_MAX_DOMAINS.  "domain add" also makes
 * the domain's DKIM keys and prints the DNS records to publish
 * (cmd_domain_keys.c); "domain verify" checks them (cmd_domain_verify.c).
 *
 * Diagnostics: "\"X\" is not a valid domain name", "domain D already
 * belongs to account A", "account A already has 10 sender domains", "no
 * account has domain D", "--rsa-bits wants 1024 or 2048", plus the
 * loader's "FILE:LINE: ..." lines when the data would not load after a
 * change.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd_domain.h"
#include "xalloc.h"

enum {
	CMD_DOMAIN_OPT_ACCOUNT = 1,
	CMD_DOMAIN_OPT_SELECTOR,
	CMD_DOMAIN_OPT_RSA_BITS,
	CMD_DOMAIN_OPT_ED25519,
	CMD_DOMAIN_OPT_NO_KEYS,
};

static const struct sesctl_opt cmd_domain_opts[] = {
	{ "account", true, CMD_DOMAIN_OPT_ACCOUNT },
	{ NULL, false, 0 },
};

static const struct sesctl_opt cmd_domain_add_opts[] = {
	{ "account", true, CMD_DOMAIN_OPT_ACCOUNT },
	{ "selector", true, CMD_DOMAIN_OPT_SELECTOR },
	{ "rsa-bits", true, CMD_DOMAIN_OPT_RSA_BITS },
	{ "ed25519", false, CMD_DOMAIN_OPT_ED25519 },
	{ "no-keys", false, CMD_DOMAIN_OPT_NO_KEYS },
	{ NULL, false, 0 },
};

/* Parses operands and an optional --account; n operands wanted. */
static int cmd_domain_args(struct sesctl *ctx, struct sesctl_args *args, int argc, char **argv,
			   int n, const char **account)
{
	const char *value;
	int opt;

	*account = NULL;
	sesctl_args_init(args, argc, argv);
	while ((opt = sesctl_args_next(ctx, args, cmd_domain_opts, &value)) != 0) {
		if (opt < 0)
			return SESCTL_USAGE;
		*account = value;
	}
	return args->noperands == n ? SESCTL_OK : SESCTL_USAGE;
}

/* Lower-cases name in place and checks it; see cmd_domain.h. */
int cmd_domain_name(char *name)
{
	sesctl_lower(name);
	if (!account_domain_name_valid(name)) {
		sesctl_err("\"%s\" is not a valid domain name", name);
		return SESCTL_FAIL;
	}
	return SESCTL_OK;
}

/* Starts an edit of the account that owns domain; *dom is its entry. */
static int cmd_domain_begin(struct sesctl *ctx, struct sesctl_edit *ed, const char *domain,
			    const struct account_domain **dom)
{
	const struct account *owner;
	int rc;

	rc = sesctl_edit_begin(ctx, ed);
	if (rc != SESCTL_OK)
		return rc;
	owner = account_by_domain(ed->db, domain, dom);
	if (owner == NULL) {
		sesctl_err("no account has domain %s", domain);
		return SESCTL_FAIL;
	}
	return sesctl_edit_open(ctx, ed, owner->name, true);
}

/*
 * Adds domain to the open account, unverified, after making its keys (so
 * no domain is added without them, and none are made for a refused one).
 */
static int cmd_domain_insert(struct sesctl *ctx, struct sesctl_edit *ed, const char *domain,
			     const struct cmd_domain_keyopts *keys)
{
	struct strbuf line = STRBUF_INIT, done = STRBUF_INIT;
	const struct account *owner = account_by_domain(ed->db, domain, NULL);
	int rc;

	if (owner != NULL) {
		sesctl_err("domain %s already belongs to account %s", domain, owner->name);
		return SESCTL_FAIL;
	}
	if (ed->acct->ndomains >= ACCOUNT_MAX_DOMAINS) {
		sesctl_err("account %s already has %d sender domains, the most allowed", ed->name,
			   ACCOUNT_MAX_DOMAINS);
		return SESCTL_FAIL;
	}
	rc = cmd_domain_keys_make(ctx, domain, keys);
	if (rc != SESCTL_OK)
		return rc;
	strbuf_appendf(&line, "%s unverified", domain);
	datafile_add(&ed->df, "Domain", strbuf_cstr(&line));
	strbuf_appendf(&done, "domain %s added to account %s (unverified)", domain, ed->name);
	rc = sesctl_edit_commit(ctx, ed, false, strbuf_cstr(&done));
	strbuf_free(&line);
	strbuf_free(&done);
	return rc;
}

/* Parses "domain add"'s command line into *account and *keys. */
static int cmd_domain_add_args(struct sesctl *ctx, struct sesctl_args *args, int argc, char **argv,
			       const char **account, struct cmd_domain_keyopts *keys)
{
	const char *value;
	int opt;

	*account = NULL;
	memset(keys, 0, sizeof *keys);
	keys->rsa_bits = 2048;
	sesctl_args_init(args, argc, argv);
	while ((opt = sesctl_args_next(ctx, args, cmd_domain_add_opts, &value)) != 0) {
		if (opt < 0)
			return SESCTL_USAGE;
		if (opt == CMD_DOMAIN_OPT_ACCOUNT)
			*account = value;
		else if (opt == CMD_DOMAIN_OPT_SELECTOR)
			keys->selector = value;
		else if (opt == CMD_DOMAIN_OPT_ED25519)
			keys->ed25519 = true;
		else if (opt == CMD_DOMAIN_OPT_NO_KEYS)
			keys->no_keys = true;
		else if (strcmp(value, "1024") == 0 || strcmp(value, "2048") == 0)
			keys->rsa_bits = atoi(value);
		else {
			sesctl_err("--rsa-bits wants 1024 or 2048, not \"%s\"", value);
			return SESCTL_FAIL;
		}
	}
	return args->noperands == 1 && *account != NULL ? SESCTL_OK : SESCTL_USAGE;
}

/* Prints the DNS records domain publishes; a sesctl_status. */
static int cmd_domain_print_records(const struct sesctl *ctx, const char *domain)
{
	struct domain_check_records recs;
	int rc = cmd_domain_records_build(ctx, domain, &recs);

	if (rc == SESCTL_OK) {
		printf("; DNS records to publish for %s\n", domain);
		cmd_domain_records_print(ctx, &recs);
		cmd_domain_track_print(ctx, domain);
	}
	domain_check_free(&recs);
	return rc;
}

/* sesctl domain add DOMAIN --account NAME [--selector S] [--rsa-bits N] [--ed25519] [--no-keys] */
static int cmd_domain_add(struct sesctl *ctx, int argc, char **argv)
{
	struct cmd_domain_keyopts keys;
	struct sesctl_args args;
	struct sesctl_edit ed;
	const char *account;
	int rc;

	rc = cmd_domain_add_args(ctx, &args, argc, argv, &account, &keys);
	if (rc == SESCTL_OK)
		rc = cmd_domain_name(args.operands[0]);
	if (rc != SESCTL_OK) {
		sesctl_args_free(&args);
		return rc;
	}
	rc = sesctl_edit_account(ctx, &ed, account);
	if (rc == SESCTL_OK)
		rc = cmd_domain_insert(ctx, &ed, args.operands[0], &keys);
	sesctl_edit_end(&ed);
	if (rc == SESCTL_OK)
		rc = cmd_domain_print_records(ctx, args.operands[0]);
	sesctl_args_free(&args);
	return rc;
}

/* sesctl domain records DOMAIN */
static int cmd_domain_records(struct sesctl *ctx, int argc, char **argv)
{
	struct account_db *db = NULL;
	struct sesctl_args args;
	int rc;

	rc = sesctl_args_operands(ctx, &args, argc, argv, 1);
	if (rc == SESCTL_OK)
		rc = cmd_domain_name(args.operands[0]);
	if (rc == SESCTL_OK && (db = sesctl_load_db(ctx)) == NULL)
		rc = SESCTL_FAIL;
	if (rc == SESCTL_OK && account_by_domain(db, args.operands[0], NULL) == NULL) {
		sesctl_err("no account has domain %s", args.operands[0]);
		rc = SESCTL_FAIL;
	}
	account_db_free(db);
	if (rc == SESCTL_OK)
		rc = cmd_domain_print_records(ctx, args.operands[0]);
	sesctl_args_free(&args);
	return rc;
}

struct cmd_domain_row {
	const struct account *acct;
	const struct account_domain *dom;
};

/* qsort order of rows: by domain name. */
static int cmd_domain_row_cmp(const void *x, const void *y)
{
	const struct cmd_domain_row *a = x, *b = y;

	return strcmp(a->dom->name, b->dom->name);
}

/* Prints the domains of db (of one account when acct is not NULL). */
static void cmd_domain_print_list(const struct account_db *db, const struct account *acct)
{
	struct cmd_domain_row *rows = NULL;
	size_t i, j, n = 0;

	for (i = 0; i < db->n; i++)
		n += db->accounts[i]->ndomains;
	if (n > 0)
		rows = xcalloc(n, sizeof *rows);
	n = 0;
	for (i = 0; i < db->n; i++)
		for (j = 0; j < db->accounts[i]->ndomains; j++)
			if (acct == NULL || acct == db->accounts[i]) {
				rows[n].acct = db->accounts[i];
				rows[n++].dom = &db->accounts[i]->domains[j];
			}
	if (n > 1)
		qsort(rows, n, sizeof *rows, cmd_domain_row_cmp);
	printf("%-40s %-20s %s\n", "DOMAIN", "ACCOUNT", "STATUS");
	for (i = 0; i < n; i++)
		printf("%-40s %-20s %s\n", rows[i].dom->name, rows[i].acct->name,
		       rows[i].dom->verified ? "verified" : "unverified");
	free(rows);
}

/* sesctl domain list [--account NAME] */
static int cmd_domain_list(struct sesctl *ctx, int argc, char **argv)
{
	const struct account *acct = NULL;
	struct account_db *db = NULL;
	struct sesctl_args args;
	const char *account;
	int rc;

	rc = cmd_domain_args(ctx, &args, argc, argv, 0, &account);
	sesctl_args_free(&args);
	if (rc == SESCTL_OK && (db = sesctl_load_db(ctx)) == NULL)
		rc = SESCTL_FAIL;
	if (rc == SESCTL_OK && account != NULL && (acct = account_by_name(db, account)) == NULL) {
		sesctl_err("no account %s", account);
		rc = SESCTL_FAIL;
	}
	if (rc == SESCTL_OK)
		cmd_domain_print_list(db, acct);
	account_db_free(db);
	return rc;
}

/* sesctl domain show DOMAIN */
static int cmd_domain_show(struct sesctl *ctx, int argc, char **argv)
{
	const struct account_domain *dom = NULL;
	const struct account *owner = NULL;
	struct account_db *db = NULL;
	struct sesctl_args args;
	char *path;
	int rc;

	rc = sesctl_args_operands(ctx, &args, argc, argv, 1);
	if (rc == SESCTL_OK)
		rc = cmd_domain_name(args.operands[0]);
	if (rc == SESCTL_OK && (db = sesctl_load_db(ctx)) == NULL)
		rc = SESCTL_FAIL;
	if (rc == SESCTL_OK && (owner = account_by_domain(db, args.operands[0], &dom)) == NULL) {
		sesctl_err("no account has domain %s", args.operands[0]);
		rc = SESCTL_FAIL;
	}
	if (rc == SESCTL_OK) {
		path = sesctl_account_path(ctx, owner->name);
		printf("%-22s %s\n", "Domain", dom->name);
		printf("%-22s %s\n", "Account", owner->name);
		printf("%-22s %s\n", "Status", dom->verified ? "verified" : "unverified");
		printf("%-22s %s\n", "File", path);
		free(path);
	}
	account_db_free(db);
	sesctl_args_free(&args);
	return rc;
}

/* Rewrites the Domain line of the open account with the new state. */
static int cmd_domain_mark(struct sesctl *ctx, struct sesctl_edit *ed, const char *domain,
			   bool verified)
{
	struct strbuf value = STRBUF_INIT, done = STRBUF_INIT;
	long i;
	int rc;

	i = datafile_find(&ed->df, 0, "Domain", domain, datafile_same_icase);
	if (i < 0) {
		sesctl_err("%s: no Domain %s line", ed->df.path, domain);
		return SESCTL_FAIL;
	}
	strbuf_appendf(&value, "%s %s", domain, verified ? "verified" : "unverified");
	datafile_replace(&ed->df, (size_t)i, strbuf_cstr(&value));
	strbuf_appendf(&done, "domain %s marked %s", domain, verified ? "verified" : "unverified");
	rc = sesctl_edit_commit(ctx, ed, false, strbuf_cstr(&done));
	strbuf_free(&value);
	strbuf_free(&done);
	return rc;
}

/* Marks domain verified or not; see cmd_domain.h. */
int cmd_domain_set_state(struct sesctl *ctx, const char *domain, bool verified)
{
	const struct account_domain *dom = NULL;
	struct sesctl_edit ed;
	int rc;

	rc = cmd_domain_begin(ctx, &ed, domain, &dom);
	if (rc == SESCTL_OK && dom->verified == verified)
		printf("domain %s is already %s\n", dom->name,
		       verified ? "verified" : "unverified");
	else if (rc == SESCTL_OK)
		rc = cmd_domain_mark(ctx, &ed, domain, verified);
	sesctl_edit_end(&ed);
	return rc;
}

/* sesctl domain set-verified DOMAIN yes|no */
static int cmd_domain_set_verified(struct sesctl *ctx, int argc, char **argv)
{
	struct sesctl_args args;
	bool verified = false;
	int rc;

	rc = sesctl_args_operands(ctx, &args, argc, argv, 2);
	if (rc == SESCTL_OK)
		rc = cmd_domain_name(args.operands[0]);
	if (rc == SESCTL_OK && !conftab_parse_bool(args.operands[1], &verified)) {
		sesctl_err("set-verified wants yes or no, not \"%s\"", args.operands[1]);
		rc = SESCTL_FAIL;
	}
	if (rc == SESCTL_OK)
		rc = cmd_domain_set_state(ctx, args.operands[0], verified);
	sesctl_args_free(&args);
	return rc;
}

/* sesctl domain del DOMAIN */
static int cmd_domain_del(struct sesctl *ctx, int argc, char **argv)
{
	const struct account_domain *dom = NULL;
	struct strbuf done = STRBUF_INIT;
	struct sesctl_args args;
	struct sesctl_edit ed;
	int rc;

	rc = sesctl_args_operands(ctx, &args, argc, argv, 1);
	if (rc == SESCTL_OK)
		rc = cmd_domain_name(args.operands[0]);
	if (rc != SESCTL_OK) {
		sesctl_args_free(&args);
		return rc;
	}
	rc = cmd_domain_begin(ctx, &ed, args.operands[0], &dom);
	if (rc == SESCTL_OK &&
	    datafile_remove(&ed.df, "Domain", args.operands[0], datafile_same_icase) == 0) {
		sesctl_err("%s: no Domain %s line", ed.df.path, args.operands[0]);
		rc = SESCTL_FAIL;
	}
	if (rc == SESCTL_OK) {
		strbuf_appendf(&done, "domain %s removed from account %s", args.operands[0],
			       ed.name);
		rc = sesctl_edit_commit(ctx, &ed, false, strbuf_cstr(&done));
	}
	sesctl_edit_end(&ed);
	strbuf_free(&done);
	sesctl_args_free(&args);
	return rc;
}

static const struct sesctl_sub cmd_domain_subs[] = {
	{ "add", cmd_domain_add,
	  "domain add DOMAIN --account NAME [--selector S] [--rsa-bits 1024|2048] [--ed25519] "
	  "[--no-keys]" },
	{ "records", cmd_domain_records, "domain records DOMAIN" },
	{ "verify", cmd_domain_verify, "domain verify DOMAIN [--dns HOST[:PORT]]" },
	{ "list", cmd_domain_list, "domain list [--account NAME]" },
	{ "show", cmd_domain_show, "domain show DOMAIN" },
	{ "set-verified", cmd_domain_set_verified, "domain set-verified DOMAIN yes|no" },
	{ "del", cmd_domain_del, "domain del DOMAIN" },
	{ NULL, NULL, NULL },
};

/* sesctl domain SUBCOMMAND ... */
int sesctl_cmd_domain(struct sesctl *ctx, int argc, char **argv)
{
	return sesctl_run_sub(ctx, cmd_domain_subs, argc, argv);
}
