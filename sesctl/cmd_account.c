/*
 * cmd_account - "sesctl account ...": create, list, show, change and delete
 * accounts (one file per account in DataDir/accounts/, see account.h).
 * "account suspend|resume" change the shared suspension entry instead and
 * live in cmd_state.c.
 *
 * Diagnostics: "no account NAME", "account NAME already exists", "login U
 * already belongs to account OTHER", "bad network \"X\"", "unknown key K",
 * "MaxRecipients must be between 1 and 100000", "account NAME still has N
 * sender domains", plus the loader's own "FILE:LINE: ..." lines when the
 * data would not load after a change.
 */
#include "autoconf.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "entries.h"
#include "sesctl.h"
#include "store.h"
#include "xalloc.h"

enum {
	CMD_ACCOUNT_OPT_LOGIN = 1,
	CMD_ACCOUNT_OPT_NETWORK,
	CMD_ACCOUNT_OPT_CUSTOM,
	CMD_ACCOUNT_OPT_FORCE,
};

/* True for a login sesctl can write: printable, no blanks, at most 255. */
static bool cmd_account_login_valid(const char *login)
{
	size_t len = strlen(login), i;

	if (len == 0 || len > 255)
		return false;
	for (i = 0; i < len; i++)
		if (!isgraph((unsigned char)login[i]))
			return false;
	return true;
}

/* Checks a new login: well-formed and held by no account yet. */
static int cmd_account_check_login(const struct account_db *db, const char *login)
{
	const struct account *owner;

	if (!cmd_account_login_valid(login)) {
		sesctl_err("\"%s\" is not a valid login (1 to 255 printable characters, no blanks)",
			   login);
		return SESCTL_FAIL;
	}
	owner = account_by_login(db, login);
	if (owner != NULL) {
		sesctl_err("login %s already belongs to account %s", login, owner->name);
		return SESCTL_FAIL;
	}
	return SESCTL_OK;
}

/* Parses text as a network into nm and its normal form into buf. */
static int cmd_account_parse_network(const char *text, struct netmask *nm, char *buf, size_t len)
{
	if (netmask_parse(text, nm) != 0) {
		sesctl_err("bad network \"%s\" (want ADDRESS or ADDRESS/PREFIX)", text);
		return SESCTL_FAIL;
	}
	netmask_format(nm, buf, len);
	return SESCTL_OK;
}

/* True when a and b are the same network. */
static bool cmd_account_same_netmask(const struct netmask *a, const struct netmask *b)
{
	return a->family == b->family && a->prefix == b->prefix &&
	       memcmp(a->addr, b->addr, sizeof a->addr) == 0;
}

/* datafile_same_fn: both words parse to the same network. */
static bool cmd_account_same_network(const char *word, const char *want)
{
	struct netmask a, b;

	return netmask_parse(word, &a) == 0 && netmask_parse(want, &b) == 0 &&
	       cmd_account_same_netmask(&a, &b);
}

/* True when account a lists exactly the network nm. */
static bool cmd_account_has_network(const struct account *a, const struct netmask *nm)
{
	size_t i;

	for (i = 0; i < a->nnetworks; i++)
		if (cmd_account_same_netmask(&a->networks[i], nm))
			return true;
	return false;
}

/* The account in db with exactly the network nm, or NULL. */
static const struct account *cmd_account_by_network(const struct account_db *db,
						    const struct netmask *nm)
{
	size_t i;

	for (i = 0; i < db->n; i++)
		if (cmd_account_has_network(db->accounts[i], nm))
			return db->accounts[i];
	return NULL;
}

/* Adds the --login and --network lines of "account add", checked. */
static int cmd_account_add_lists(struct sesctl_edit *ed, const char **logins, size_t nlogins,
				 const char **networks, size_t nnetworks)
{
	char text[64];
	struct netmask nm;
	size_t i;

	for (i = 0; i < nlogins; i++) {
		if (cmd_account_check_login(ed->db, logins[i]) != SESCTL_OK)
			return SESCTL_FAIL;
		if (datafile_find(&ed->df, 0, "Login", logins[i], NULL) >= 0) {
			sesctl_err("login %s given twice", logins[i]);
			return SESCTL_FAIL;
		}
		datafile_add(&ed->df, "Login", logins[i]);
	}
	for (i = 0; i < nnetworks; i++) {
		if (cmd_account_parse_network(networks[i], &nm, text, sizeof text) != SESCTL_OK)
			return SESCTL_FAIL;
		if (datafile_find(&ed->df, 0, "Network", text, cmd_account_same_network) >= 0) {
			sesctl_err("network %s given twice", text);
			return SESCTL_FAIL;
		}
		if (cmd_account_by_network(ed->db, &nm) != NULL) {
			sesctl_err("network %s already belongs to account %s", text,
				   cmd_account_by_network(ed->db, &nm)->name);
			return SESCTL_FAIL;
		}
		datafile_add(&ed->df, "Network", text);
	}
	return SESCTL_OK;
}

/* Writes a new account's file; the lists come from the command line. */
static int cmd_account_create(struct sesctl *ctx, const char *name, const char **logins,
			      size_t nlogins, const char **networks, size_t nnetworks, bool custom)
{
	struct strbuf done = STRBUF_INIT;
	struct sesctl_edit ed;
	int rc;

	rc = sesctl_edit_begin(ctx, &ed);
	if (rc == SESCTL_OK)
		rc = sesctl_edit_open(ctx, &ed, name, false);
	if (rc == SESCTL_OK && ed.df.exists) {
		sesctl_err("account %s already exists (%s)", name, ed.df.path);
		rc = SESCTL_FAIL;
	}
	if (rc == SESCTL_OK) {
		datafile_append_raw(&ed.df, "# ses-milter account; see sesctl(8). "
					    "Comments and line order are kept.");
		rc = cmd_account_add_lists(&ed, logins, nlogins, networks, nnetworks);
	}
	if (rc == SESCTL_OK) {
		datafile_add(&ed.df, "CustomContent", custom ? "yes" : "no");
		strbuf_appendf(&done, "account %s added", name);
		rc = sesctl_edit_commit(ctx, &ed, false, strbuf_cstr(&done));
	}
	sesctl_edit_end(&ed);
	strbuf_free(&done);
	return rc;
}

/* sesctl account add NAME [--login USER]... [--network CIDR]... [--custom-content B] */
static int cmd_account_add(struct sesctl *ctx, int argc, char **argv)
{
	static const struct sesctl_opt opts[] = {
		{ "login", true, CMD_ACCOUNT_OPT_LOGIN },
		{ "network", true, CMD_ACCOUNT_OPT_NETWORK },
		{ "custom-content", true, CMD_ACCOUNT_OPT_CUSTOM },
		{ NULL, false, 0 },
	};
	const char **logins = xcalloc((size_t)argc, sizeof *logins);
	const char **networks = xcalloc((size_t)argc, sizeof *networks);
	size_t nlogins = 0, nnetworks = 0;
	struct sesctl_args args;
	bool custom = false;
	const char *value;
	int opt, rc = SESCTL_OK;

	sesctl_args_init(&args, argc, argv);
	while (rc == SESCTL_OK && (opt = sesctl_args_next(ctx, &args, opts, &value)) != 0) {
		if (opt < 0)
			rc = SESCTL_USAGE;
		else if (opt == CMD_ACCOUNT_OPT_LOGIN)
			logins[nlogins++] = value;
		else if (opt == CMD_ACCOUNT_OPT_NETWORK)
			networks[nnetworks++] = value;
		else if (!conftab_parse_bool(value, &custom)) {
			sesctl_err("--custom-content must be yes or no, not \"%s\"", value);
			rc = SESCTL_FAIL;
		}
	}
	if (rc == SESCTL_OK && args.noperands != 1)
		rc = SESCTL_USAGE;
	if (rc == SESCTL_OK)
		rc = cmd_account_create(ctx, args.operands[0], logins, nlogins, networks, nnetworks,
					custom);
	sesctl_args_free(&args);
	free(logins);
	free(networks);
	return rc;
}

/* Appends the items of list joined by commas, or "-" when empty. */
static void cmd_account_join(struct strbuf *out, char *const *list, size_t n)
{
	size_t i;

	if (n == 0)
		strbuf_appendc(out, '-');
	for (i = 0; i < n; i++)
		strbuf_appendf(out, "%s%s", i > 0 ? "," : "", list[i]);
}

/* Appends the networks of a joined by commas, or "-". */
static void cmd_account_join_networks(struct strbuf *out, const struct account *a)
{
	char text[64];
	size_t i;

	if (a->nnetworks == 0)
		strbuf_appendc(out, '-');
	for (i = 0; i < a->nnetworks; i++) {
		netmask_format(&a->networks[i], text, sizeof text);
		strbuf_appendf(out, "%s%s", i > 0 ? "," : "", text);
	}
}

/* sesctl account list */
static int cmd_account_list(struct sesctl *ctx, int argc, char **argv)
{
	struct strbuf logins = STRBUF_INIT, nets = STRBUF_INIT;
	struct account_db *db;
	struct sesctl_args args;
	size_t i;
	int rc;

	rc = sesctl_args_operands(ctx, &args, argc, argv, 0);
	sesctl_args_free(&args);
	if (rc != SESCTL_OK)
		return rc;
	db = sesctl_load_db(ctx);
	if (db == NULL)
		return SESCTL_FAIL;
	printf("%-20s %-24s %-24s %-7s %s\n", "ACCOUNT", "LOGINS", "NETWORKS", "DOMAINS",
	       "SUSPENDED");
	for (i = 0; i < db->n; i++) {
		const struct account *a = db->accounts[i];

		strbuf_reset(&logins);
		strbuf_reset(&nets);
		cmd_account_join(&logins, a->logins, a->nlogins);
		cmd_account_join_networks(&nets, a);
		printf("%-20s %-24s %-24s %-7zu %s\n", a->name, strbuf_cstr(&logins),
		       strbuf_cstr(&nets), a->ndomains, a->suspended ? "yes" : "no");
	}
	strbuf_free(&logins);
	strbuf_free(&nets);
	account_db_free(db);
	return SESCTL_OK;
}

/* Prints the scalar settings of a, each with where its value comes from. */
static void cmd_account_show_keys(const struct account *a, const struct datafile *df)
{
	struct strbuf line = STRBUF_INIT;
	const struct conf_key *k;
	const char *origin;

	for (k = account_keys; k->name != NULL; k++) {
		strbuf_reset(&line);
		conftab_format(k, a, &line);
		line.data[--line.len] = '\0'; /* the newline */
		if (datafile_find(df, 0, k->name, NULL, NULL) >= 0)
			origin = "account file";
		else if (conftab_find(config_keys, k->name) != NULL)
			origin = "ses-milter.conf";
		else
			origin = "default";
		printf("%-40s (%s)\n", strbuf_cstr(&line), origin);
	}
	strbuf_free(&line);
}

/* Prints every setting of account a, read from db and its file. */
static void cmd_account_print(const struct account *a, const struct datafile *df)
{
	char text[64];
	size_t i;

	printf("%-22s %s\n", "Account", a->name);
	printf("%-22s %s\n", "File", df->path);
	for (i = 0; i < a->nlogins; i++)
		printf("%-22s %s\n", "Login", a->logins[i]);
	for (i = 0; i < a->nnetworks; i++) {
		netmask_format(&a->networks[i], text, sizeof text);
		printf("%-22s %s\n", "Network", text);
	}
	printf("%-22s %zu of %d\n", "Domains", a->ndomains, ACCOUNT_MAX_DOMAINS);
	for (i = 0; i < a->ndomains; i++)
		printf("%-22s %s %s\n", "Domain", a->domains[i].name,
		       a->domains[i].verified ? "verified" : "unverified");
	cmd_account_show_keys(a, df);
}

/*
 * Prints the suspension kept in shared state (sesctl account suspend,
 * automatic suspension), which stops the account as the file flag does.
 */
static void cmd_account_print_shared(const struct sesctl *ctx, const struct account *a)
{
	struct entry_id id = { ENTRY_SUSPENSION, a->name, "" };
	struct store st = { NULL, NULL, NULL };
	bool present = false;
	const char *state = "unknown (memcached did not answer)";

	if (sesctl_open_store(ctx, &st) == SESCTL_OK &&
	    entry_lookup(&st, &id, &present) == STORE_OK)
		state = present ? "yes (sesctl account resume lifts it)" : "no";
	printf("%-22s %s\n", "Suspended (shared)", state);
	store_free(&st);
}

/* sesctl account show NAME */
static int cmd_account_show(struct sesctl *ctx, int argc, char **argv)
{
	struct strbuf err = STRBUF_INIT;
	const struct account *a;
	struct account_db *db;
	struct sesctl_args args;
	struct datafile df;
	char *path;
	int rc;

	rc = sesctl_args_operands(ctx, &args, argc, argv, 1);
	if (rc == SESCTL_OK && (db = sesctl_load_db(ctx)) == NULL)
		rc = SESCTL_FAIL;
	if (rc != SESCTL_OK) {
		sesctl_args_free(&args);
		return rc;
	}
	a = account_by_name(db, args.operands[0]);
	path = sesctl_account_path(ctx, args.operands[0]);
	if (a == NULL) {
		sesctl_err("no account %s", args.operands[0]);
		rc = SESCTL_FAIL;
	} else if (datafile_read(&df, path, false, &err) != 0) {
		sesctl_err("%s", strbuf_cstr(&err));
		rc = SESCTL_FAIL;
	} else {
		cmd_account_print(a, &df);
		cmd_account_print_shared(ctx, a);
	}
	if (a != NULL)
		datafile_free(&df);
	free(path);
	strbuf_free(&err);
	account_db_free(db);
	sesctl_args_free(&args);
	return rc;
}

/* Explains why key cannot be set with "account set". */
static void cmd_account_bad_key(const char *key)
{
	struct strbuf keys = STRBUF_INIT;
	const struct conf_key *k;

	if (strcasecmp(key, "Login") == 0 || strcasecmp(key, "Network") == 0) {
		sesctl_err("%s is repeatable: use sesctl account add-%s or del-%s", key,
			   strcasecmp(key, "Login") == 0 ? "login" : "network",
			   strcasecmp(key, "Login") == 0 ? "login" : "network");
		return;
	}
	if (strcasecmp(key, "Domain") == 0) {
		sesctl_err("Domain is repeatable: use sesctl domain add, set-verified or del");
		return;
	}
	for (k = account_keys; k->name != NULL; k++)
		strbuf_appendf(&keys, "%s%s", k == account_keys ? "" : ", ", k->name);
	sesctl_err("unknown key %s (one of: %s)", key, strbuf_cstr(&keys));
	strbuf_free(&keys);
}

/* sesctl account set NAME KEY VALUE */
static int cmd_account_set(struct sesctl *ctx, int argc, char **argv)
{
	struct strbuf done = STRBUF_INIT;
	const struct conf_key *k = NULL;
	struct account scratch;
	struct sesctl_args args;
	struct sesctl_edit ed;
	const char *value;
	char err[256];
	bool b;
	int rc;

	rc = sesctl_args_operands(ctx, &args, argc, argv, 3);
	if (rc == SESCTL_OK && (k = conftab_find(account_keys, args.operands[1])) == NULL) {
		cmd_account_bad_key(args.operands[1]);
		rc = SESCTL_FAIL;
	}
	memset(&scratch, 0, sizeof scratch);
	if (rc == SESCTL_OK && conftab_set(k, &scratch, args.operands[2], err, sizeof err) != 0) {
		sesctl_err("%s", err);
		rc = SESCTL_FAIL;
	}
	if (rc != SESCTL_OK) {
		sesctl_args_free(&args);
		return rc;
	}
	value = args.operands[2];
	if (k->type == CONF_BOOL && conftab_parse_bool(value, &b))
		value = b ? "yes" : "no";
	rc = sesctl_edit_begin(ctx, &ed);
	if (rc == SESCTL_OK)
		rc = sesctl_edit_open(ctx, &ed, args.operands[0], true);
	if (rc == SESCTL_OK) {
		datafile_set(&ed.df, k->name, value);
		strbuf_appendf(&done, "account %s: %s set to %s", ed.name, k->name, value);
		rc = sesctl_edit_commit(ctx, &ed, false, strbuf_cstr(&done));
	}
	sesctl_edit_end(&ed);
	strbuf_free(&done);
	sesctl_args_free(&args);
	return rc;
}

/* Applies add-login or del-login to the open account; fills done. */
static int cmd_account_edit_login(struct sesctl_edit *ed, bool add, const char *login,
				  struct strbuf *done)
{
	size_t i;

	for (i = 0; i < ed->acct->nlogins; i++)
		if (strcmp(ed->acct->logins[i], login) == 0)
			break;
	if (add && i < ed->acct->nlogins) {
		sesctl_err("account %s already has login %s", ed->name, login);
		return SESCTL_FAIL;
	}
	if (!add && i == ed->acct->nlogins) {
		sesctl_err("account %s has no login %s", ed->name, login);
		return SESCTL_FAIL;
	}
	if (add && cmd_account_check_login(ed->db, login) != SESCTL_OK)
		return SESCTL_FAIL;
	if (add)
		datafile_add(&ed->df, "Login", login);
	else
		datafile_remove(&ed->df, "Login", login, NULL);
	strbuf_appendf(done, "account %s: login %s %s", ed->name, login, add ? "added" : "removed");
	return SESCTL_OK;
}

/* Applies add-network or del-network to the open account; fills done. */
static int cmd_account_edit_network(struct sesctl_edit *ed, bool add, const char *cidr,
				    struct strbuf *done)
{
	const struct account *owner;
	struct netmask nm;
	char text[64];

	if (cmd_account_parse_network(cidr, &nm, text, sizeof text) != SESCTL_OK)
		return SESCTL_FAIL;
	owner = cmd_account_by_network(ed->db, &nm);
	if (add && cmd_account_has_network(ed->acct, &nm)) {
		sesctl_err("account %s already has network %s", ed->name, text);
		return SESCTL_FAIL;
	}
	if (add && owner != NULL) {
		sesctl_err("network %s already belongs to account %s", text, owner->name);
		return SESCTL_FAIL;
	}
	if (!add && !cmd_account_has_network(ed->acct, &nm)) {
		sesctl_err("account %s has no network %s", ed->name, text);
		return SESCTL_FAIL;
	}
	if (add)
		datafile_add(&ed->df, "Network", text);
	else
		datafile_remove(&ed->df, "Network", text, cmd_account_same_network);
	strbuf_appendf(done, "account %s: network %s %s", ed->name, text,
		       add ? "added" : "removed");
	return SESCTL_OK;
}

/* sesctl account add-login|del-login NAME USER, add-network|del-network NAME CIDR */
static int cmd_account_edit_list(struct sesctl *ctx, int argc, char **argv)
{
	struct strbuf done = STRBUF_INIT;
	struct sesctl_args args;
	struct sesctl_edit ed;
	bool add = strncmp(argv[0], "add-", 4) == 0;
	bool login = strcmp(argv[0] + 4, "login") == 0;
	int rc;

	rc = sesctl_args_operands(ctx, &args, argc, argv, 2);
	if (rc != SESCTL_OK) {
		sesctl_args_free(&args);
		return rc;
	}
	rc = sesctl_edit_begin(ctx, &ed);
	if (rc == SESCTL_OK)
		rc = sesctl_edit_open(ctx, &ed, args.operands[0], true);
	if (rc == SESCTL_OK)
		rc = login ? cmd_account_edit_login(&ed, add, args.operands[1], &done)
			   : cmd_account_edit_network(&ed, add, args.operands[1], &done);
	if (rc == SESCTL_OK)
		rc = sesctl_edit_commit(ctx, &ed, false, strbuf_cstr(&done));
	sesctl_edit_end(&ed);
	strbuf_free(&done);
	sesctl_args_free(&args);
	return rc;
}

/* Refuses to delete an account that still has domains, naming them. */
static int cmd_account_check_empty(const struct account *a)
{
	struct strbuf names = STRBUF_INIT;
	size_t i;

	if (a->ndomains == 0)
		return SESCTL_OK;
	for (i = 0; i < a->ndomains; i++)
		strbuf_appendf(&names, "%s%s", i > 0 ? ", " : "", a->domains[i].name);
	sesctl_err("account %s still has %zu sender domain%s (%s): delete them first "
		   "or use --force",
		   a->name, a->ndomains, a->ndomains == 1 ? "" : "s", strbuf_cstr(&names));
	strbuf_free(&names);
	return SESCTL_FAIL;
}

/* sesctl account del NAME [--force] */
static int cmd_account_del(struct sesctl *ctx, int argc, char **argv)
{
	static const struct sesctl_opt opts[] = {
		{ "force", false, CMD_ACCOUNT_OPT_FORCE },
		{ NULL, false, 0 },
	};
	struct strbuf done = STRBUF_INIT;
	struct sesctl_args args;
	struct sesctl_edit ed;
	const char *value;
	bool force = false;
	int opt, rc = SESCTL_OK;

	sesctl_args_init(&args, argc, argv);
	while (rc == SESCTL_OK && (opt = sesctl_args_next(ctx, &args, opts, &value)) != 0)
		if (opt < 0)
			rc = SESCTL_USAGE;
		else
			force = true;
	if (rc != SESCTL_OK || args.noperands != 1) {
		sesctl_args_free(&args);
		return SESCTL_USAGE;
	}
	rc = sesctl_edit_begin(ctx, &ed);
	if (rc == SESCTL_OK)
		rc = sesctl_edit_open(ctx, &ed, args.operands[0], true);
	if (rc == SESCTL_OK && !force)
		rc = cmd_account_check_empty(ed.acct);
	if (rc == SESCTL_OK) {
		strbuf_appendf(&done, "account %s deleted", ed.name);
		rc = sesctl_edit_commit(ctx, &ed, true, strbuf_cstr(&done));
	}
	sesctl_edit_end(&ed);
	strbuf_free(&done);
	sesctl_args_free(&args);
	return rc;
}

static const struct sesctl_sub cmd_account_subs[] = {
	{ "add", cmd_account_add,
	  "account add NAME [--login USER]... [--network CIDR]... [--custom-content yes|no]" },
	{ "list", cmd_account_list, "account list" },
	{ "show", cmd_account_show, "account show NAME" },
	{ "set", cmd_account_set, "account set NAME KEY VALUE" },
	{ "add-login", cmd_account_edit_list, "account add-login NAME USER" },
	{ "del-login", cmd_account_edit_list, "account del-login NAME USER" },
	{ "add-network", cmd_account_edit_list, "account add-network NAME CIDR" },
	{ "del-network", cmd_account_edit_list, "account del-network NAME CIDR" },
	{ "del", cmd_account_del, "account del NAME [--force]" },
	{ "suspend", sesctl_cmd_account_suspend, "account suspend NAME" },
	{ "resume", sesctl_cmd_account_resume, "account resume NAME" },
	{ "key", sesctl_cmd_account_key, "account key new|list|revoke NAME [SECRETID]" },
	{ NULL, NULL, NULL },
};

/* sesctl account SUBCOMMAND ... */
int sesctl_cmd_account(struct sesctl *ctx, int argc, char **argv)
{
	return sesctl_run_sub(ctx, cmd_account_subs, argc, argv);
}
