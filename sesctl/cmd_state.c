/*
 * cmd_state - the long-lived shared entries (entries.h, SPEC section 6):
 * "sesctl blocklist|unsubscribe|suppression ...", "sesctl account
 * suspend|resume NAME" and "sesctl state restore|compact".
 *
 * A change is written with entries_write(): first to the journal
 * (JournalFile, default DataDir/state.journal), then to memcached
 * (MemcachedServers).  When memcached does not answer the change is still
 * recorded and the command succeeds with a warning: ses-milter replays
 * the journal when it sees a memcached server restart, and "sesctl state
 * restore" does it by hand.  Queries ask memcached, which is what
 * ses-milter sees; lists read this gateway's journal, because memcached
 * cannot list its keys.
 *
 * Hidden options for tests (documented as such in sesctl(8)): --origin
 * NAME writes as another gateway would, --stamp US sets the record's
 * time so tests can order writes across gateways.
 *
 * Diagnostics: "\"X\" is not a valid domain name", "\"X\" is not a valid
 * account name", "empty address", "--until DATE is in the past", "memcached
 * (SERVERS) did not answer", the journal's "FILE:LINE: REASON" lines.
 */
#include "autoconf.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "entries.h"
#include "journal.h"
#include "sesctl.h"
#include "store_memcached.h"
#include "xalloc.h"

#define CMD_STATE_DAY 86400

enum {
	CMD_STATE_OPT_ORIGIN = 1,
	CMD_STATE_OPT_STAMP,
	CMD_STATE_OPT_DAYS,
	CMD_STATE_OPT_UNTIL,
	CMD_STATE_OPT_DOMAIN,
	CMD_STATE_OPT_ACCOUNT,
	CMD_STATE_OPT__COUNT
};

#define CMD_STATE_BIT(opt) (1u << (opt))
#define CMD_STATE_WRITE (CMD_STATE_BIT(CMD_STATE_OPT_ORIGIN) | CMD_STATE_BIT(CMD_STATE_OPT_STAMP))

static const struct sesctl_opt cmd_state_opts[] = {
	{ "origin", true, CMD_STATE_OPT_ORIGIN },
	{ "stamp", true, CMD_STATE_OPT_STAMP },
	{ "days", true, CMD_STATE_OPT_DAYS },
	{ "until", true, CMD_STATE_OPT_UNTIL },
	{ "domain", true, CMD_STATE_OPT_DOMAIN },
	{ "account", true, CMD_STATE_OPT_ACCOUNT },
	{ NULL, false, 0 },
};

/* How each kind is named on the command line. */
static const struct {
	int noperands;	   /* SCOPE? ADDR? */
	const char *scope; /* what the scope operand is; NULL: none */
	bool has_addr;
	unsigned add_opts; /* options of "add" beyond --origin/--stamp */
	unsigned list_opts;
} cmd_state_kinds[ENTRY__COUNT] = {
	[ENTRY_BLOCKLIST] = { 1, NULL, true, CMD_STATE_BIT(CMD_STATE_OPT_DAYS), 0 },
	[ENTRY_UNSUBSCRIBE] = { 2, "domain", true, 0, CMD_STATE_BIT(CMD_STATE_OPT_DOMAIN) },
	[ENTRY_SUPPRESSION] = { 2, "account", true, CMD_STATE_BIT(CMD_STATE_OPT_UNTIL),
				CMD_STATE_BIT(CMD_STATE_OPT_ACCOUNT) },
	[ENTRY_SUSPENSION] = { 1, "account", false, 0, 0 },
};

/* One parsed command line. */
struct cmd_state_req {
	struct sesctl_args args;
	const char *value[CMD_STATE_OPT__COUNT]; /* by option id; NULL: not given */
	struct strbuf scope, addr;		 /* checked and normalised operands */
	struct entry_id id;
};

/* Parses n operands (-1: any number) and the options in allowed.  Call cmd_state_req_free. */
static int cmd_state_parse(struct sesctl *ctx, struct cmd_state_req *req, int argc, char **argv,
			   int n, unsigned allowed)
{
	const char *value;
	int opt;

	memset(req, 0, sizeof *req);
	sesctl_args_init(&req->args, argc, argv);
	while ((opt = sesctl_args_next(ctx, &req->args, cmd_state_opts, &value)) != 0) {
		if (opt < 0)
			return SESCTL_USAGE;
		if ((allowed & CMD_STATE_BIT(opt)) == 0) {
			sesctl_err("option --%s does not apply to this command",
				   cmd_state_opts[opt - 1].name);
			return SESCTL_USAGE;
		}
		req->value[opt] = value;
	}
	return n < 0 || req->args.noperands == n ? SESCTL_OK : SESCTL_USAGE;
}

static void cmd_state_req_free(struct cmd_state_req *req)
{
	sesctl_args_free(&req->args);
	strbuf_free(&req->scope);
	strbuf_free(&req->addr);
}

/* Checks a scope operand (a domain or an account name) into out. */
static int cmd_state_scope(const char *what, char *arg, struct strbuf *out)
{
	if (strcmp(what, "domain") == 0) {
		sesctl_lower(arg);
		if (!account_domain_name_valid(arg)) {
			sesctl_err("\"%s\" is not a valid domain name", arg);
			return SESCTL_FAIL;
		}
	} else if (!account_name_valid(arg)) {
		sesctl_err("\"%s\" is not a valid account name", arg);
		return SESCTL_FAIL;
	}
	entry_normalize_addr(arg, out);
	return SESCTL_OK;
}

/* Sets req->id of kind from the operands; SESCTL_OK or SESCTL_FAIL. */
static int cmd_state_id(struct cmd_state_req *req, enum entry_kind kind)
{
	char **op = req->args.operands;

	req->id.kind = kind;
	if (cmd_state_kinds[kind].scope != NULL &&
	    cmd_state_scope(cmd_state_kinds[kind].scope, *op++, &req->scope) != SESCTL_OK)
		return SESCTL_FAIL;
	if (cmd_state_kinds[kind].has_addr) {
		entry_normalize_addr(*op, &req->addr);
		if (req->addr.len == 0) {
			sesctl_err("empty address");
			return SESCTL_FAIL;
		}
	}
	req->id.scope = strbuf_cstr(&req->scope);
	req->id.addr = strbuf_cstr(&req->addr);
	return SESCTL_OK;
}

/* Appends s for display: blanks, control bytes and '%' as %XX. */
static void cmd_state_show(const char *s, struct strbuf *out)
{
	const unsigned char *c;

	if (*s == '\0')
		strbuf_appendc(out, '-');
	for (c = (const unsigned char *)s; *c != '\0'; c++) {
		if (*c <= ' ' || *c == 0x7f || *c == '%')
			strbuf_appendf(out, "%%%02X", *c);
		else
			strbuf_appendc(out, (char)*c);
	}
}

/* Formats a time in seconds ("never" for 0) into buf. */
static const char *cmd_state_time(int64_t t, char *buf, size_t len)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (t == 0 || gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, len, "%Y-%m-%d %H:%M:%S UTC", &tm) == 0)
		snprintf(buf, len, "%s", t == 0 ? "never" : "?");
	return buf;
}

/* Appends "blocklist ADDR", "unsubscribe DOMAIN ADDR", ... for messages. */
static void cmd_state_name(const struct entry_id *id, struct strbuf *out)
{
	strbuf_appends(out, entry_kind_name(id->kind));
	if (cmd_state_kinds[id->kind].scope != NULL) {
		strbuf_appendc(out, ' ');
		cmd_state_show(id->scope, out);
	}
	if (cmd_state_kinds[id->kind].has_addr) {
		strbuf_appendc(out, ' ');
		cmd_state_show(id->addr, out);
	}
}

/* The journal's path: JournalFile, or DataDir/state.journal.  Caller frees. */
static char *cmd_state_journal(const struct sesctl *ctx)
{
	struct strbuf sb = STRBUF_INIT;

	if (*ctx->conf->journal_file != '\0')
		strbuf_appends(&sb, ctx->conf->journal_file);
	else
		strbuf_appendf(&sb, "%s/state.journal", ctx->conf->data_dir);
	return strbuf_detach(&sb);
}

/* Opens the memcached pool of the configuration; SESCTL_OK or SESCTL_FAIL. */
int sesctl_open_store(const struct sesctl *ctx, struct store *s)
{
	const struct ses_config *c = ctx->conf;
	struct store_memcached_opts o = { c->memcached_servers, (unsigned)c->memcached_timeout_ms,
					  (unsigned)c->memcached_pool_size,
					  (unsigned)c->memcached_dead_retry };
	char err[256];

	memset(s, 0, sizeof *s);
	if (store_memcached_open(s, &o, err, sizeof err) != 0) {
		sesctl_err("MemcachedServers: %s", err);
		return SESCTL_FAIL;
	}
	return SESCTL_OK;
}

/* Parses --stamp: microseconds since the epoch, > 0. */
static int cmd_state_parse_stamp(const char *text, int64_t *stamp)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || v <= 0 || text[0] == '+') {
		sesctl_err("--stamp wants microseconds since the epoch, not \"%s\"", text);
		return SESCTL_FAIL;
	}
	*stamp = (int64_t)v;
	return SESCTL_OK;
}

/* Checks --origin: 1 to 63 host-name bytes [A-Za-z0-9._-]. */
static int cmd_state_check_origin(const char *origin)
{
	size_t n = strspn(origin, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				  "0123456789._-");

	if (n == 0 || origin[n] != '\0' || n >= sizeof(((struct entry_record *)0)->origin)) {
		sesctl_err("--origin wants a host name (1 to 63 letters, digits, '.', '_', '-'), "
			   "not \"%s\"",
			   origin);
		return SESCTL_FAIL;
	}
	return SESCTL_OK;
}

/* Fills rec: state, expiry, stamp (--stamp or now) and origin (--origin or host). */
static int cmd_state_record(const struct cmd_state_req *req, bool present, int64_t expires,
			    struct entry_record *rec)
{
	const char *origin = req->value[CMD_STATE_OPT_ORIGIN];

	if (origin != NULL && cmd_state_check_origin(origin) != SESCTL_OK)
		return SESCTL_FAIL;
	entry_record_now(rec, present, expires, origin);
	if (req->value[CMD_STATE_OPT_STAMP] != NULL &&
	    cmd_state_parse_stamp(req->value[CMD_STATE_OPT_STAMP], &rec->stamp_us) != SESCTL_OK)
		return SESCTL_FAIL;
	return SESCTL_OK;
}

/* Records (id, rec) in the journal and memcached and says what happened. */
static int cmd_state_write(struct sesctl *ctx, const struct entry_id *id,
			   const struct entry_record *rec)
{
	struct strbuf err = STRBUF_INIT, what = STRBUF_INIT;
	char *journal = cmd_state_journal(ctx), when[64];
	bool existed = access(journal, F_OK) == 0;
	enum entries_write_result r = ENTRIES_WRITE_FAILED;
	struct store s;

	if (sesctl_open_store(ctx, &s) == SESCTL_OK) {
		r = entries_write(&s, journal, id, rec, &err);
		store_free(&s);
	} else {
		strbuf_appends(&err, "memcached client not set up");
	}
	cmd_state_name(id, &what);
	if (r == ENTRIES_WRITE_FAILED) {
		sesctl_err("%s: nothing changed", strbuf_cstr(&err));
	} else {
		if (!existed)
			sesctl_chown_path(ctx, journal);
		printf("%s %s%s%s (%s)\n", strbuf_cstr(&what), rec->present ? "added" : "removed",
		       rec->expires != 0 ? ", expires " : "",
		       rec->expires != 0 ? cmd_state_time(rec->expires, when, sizeof when) : "",
		       entries_write_result_text(r));
	}
	if (r == ENTRIES_WRITE_JOURNALED)
		sesctl_err(
			"warning: memcached (%s) did not answer: the change is in %s; ses-milter "
			"restores it when memcached restarts, or run \"sesctl state restore\"",
			ctx->conf->memcached_servers, journal);
	strbuf_free(&err);
	strbuf_free(&what);
	free(journal);
	return r == ENTRIES_WRITE_FAILED ? SESCTL_FAIL : SESCTL_OK;
}

/* Parses --until YYYY-MM-DD into the end of that day (UTC). */
static int cmd_state_until(const char *text, int64_t *expires)
{
	struct tm tm = { 0 }, back;
	char *end;
	time_t t;

	end = strptime(text, "%Y-%m-%d", &tm);
	if (end == NULL || *end != '\0' || strlen(text) != 10 || (t = timegm(&tm)) == (time_t)-1 ||
	    gmtime_r(&t, &back) == NULL || back.tm_mday != tm.tm_mday) {
		sesctl_err("--until wants a date YYYY-MM-DD, not \"%s\"", text);
		return SESCTL_FAIL;
	}
	*expires = (int64_t)t + CMD_STATE_DAY;
	if (*expires <= (int64_t)time(NULL)) {
		sesctl_err("--until %s is in the past", text);
		return SESCTL_FAIL;
	}
	return SESCTL_OK;
}

/* The expiry of a new entry of kind from --days, --until or the config. */
static int cmd_state_expiry(const struct sesctl *ctx, const struct cmd_state_req *req,
			    enum entry_kind kind, int64_t *expires)
{
	const char *days = req->value[CMD_STATE_OPT_DAYS];
	long long n = ctx->conf->blocklist_days;
	char *end;

	*expires = 0;
	if (req->value[CMD_STATE_OPT_UNTIL] != NULL)
		return cmd_state_until(req->value[CMD_STATE_OPT_UNTIL], expires);
	if (kind != ENTRY_BLOCKLIST)
		return SESCTL_OK;
	if (days != NULL) {
		errno = 0;
		n = strtoll(days, &end, 10);
		if (errno != 0 || end == days || *end != '\0' || n < 1 || n > 3650) {
			sesctl_err("--days wants 1 to 3650, not \"%s\"", days);
			return SESCTL_FAIL;
		}
	}
	*expires = (int64_t)time(NULL) + (int64_t)n * CMD_STATE_DAY;
	return SESCTL_OK;
}

/* A suspension names an account that has a file; SESCTL_OK or SESCTL_FAIL. */
static int cmd_state_account_exists(const struct sesctl *ctx, const char *name)
{
	char *path = sesctl_account_path(ctx, name);
	int rc = SESCTL_OK;

	if (access(path, F_OK) != 0) {
		sesctl_err("no account %s (no file %s)", name, path);
		rc = SESCTL_FAIL;
	}
	free(path);
	return rc;
}

/* "KIND add|del ...": writes a present record or a removal. */
static int cmd_state_change(struct sesctl *ctx, enum entry_kind kind, bool add, int argc,
			    char **argv)
{
	unsigned allowed = CMD_STATE_WRITE | (add ? cmd_state_kinds[kind].add_opts : 0);
	struct cmd_state_req req;
	struct entry_record rec;
	int64_t expires = 0;
	int rc;

	rc = cmd_state_parse(ctx, &req, argc, argv, cmd_state_kinds[kind].noperands, allowed);
	if (rc == SESCTL_OK)
		rc = cmd_state_id(&req, kind);
	if (rc == SESCTL_OK && kind == ENTRY_SUSPENSION)
		rc = cmd_state_account_exists(ctx, req.args.operands[0]);
	if (rc == SESCTL_OK && add)
		rc = cmd_state_expiry(ctx, &req, kind, &expires);
	if (rc == SESCTL_OK)
		rc = cmd_state_record(&req, add, expires, &rec);
	if (rc == SESCTL_OK)
		rc = cmd_state_write(ctx, &req.id, &rec);
	cmd_state_req_free(&req);
	return rc;
}

/* Prints the answer of a query; SESCTL_OK when present, else SESCTL_FAIL. */
static int cmd_state_print_query(const struct entry_id *id, bool found,
				 const struct entry_record *rec)
{
	struct strbuf what = STRBUF_INIT, origin = STRBUF_INIT;
	bool live = found && entry_record_live(rec, time(NULL));
	char stamp[64], exp[64];

	cmd_state_name(id, &what);
	if (!found) {
		printf("absent: %s (no record)\n", strbuf_cstr(&what));
	} else {
		cmd_state_show(rec->origin, &origin);
		printf("%s: %s (%s; stamp %" PRId64 " = %s, expires %s, origin %s)\n",
		       live ? "present" : "absent", strbuf_cstr(&what),
		       live	      ? "added"
		       : rec->present ? "expired"
				      : "removed",
		       rec->stamp_us, cmd_state_time(rec->stamp_us / 1000000, stamp, sizeof stamp),
		       cmd_state_time(rec->expires, exp, sizeof exp), strbuf_cstr(&origin));
	}
	strbuf_free(&what);
	strbuf_free(&origin);
	return live ? SESCTL_OK : SESCTL_FAIL;
}

/* "KIND query ...": asks memcached; exit 0 present, 1 absent, 3 no answer. */
static int cmd_state_query(struct sesctl *ctx, enum entry_kind kind, int argc, char **argv)
{
	struct cmd_state_req req;
	struct entry_record rec;
	bool found = false;
	struct store s;
	int rc;

	rc = cmd_state_parse(ctx, &req, argc, argv, cmd_state_kinds[kind].noperands, 0);
	if (rc == SESCTL_OK)
		rc = cmd_state_id(&req, kind);
	if (rc == SESCTL_OK)
		rc = sesctl_open_store(ctx, &s);
	if (rc == SESCTL_OK) {
		if (entry_get(&s, &req.id, &rec, &found) != STORE_OK) {
			sesctl_err("memcached (%s) did not answer", ctx->conf->memcached_servers);
			rc = SESCTL_UNAVAILABLE;
		} else {
			rc = cmd_state_print_query(&req.id, found, &rec);
		}
		store_free(&s);
	}
	cmd_state_req_free(&req);
	return rc;
}

/* Prints the journal's diagnostics as warnings. */
static void cmd_state_print_diags(const struct diag_list *dl)
{
	size_t i;

	for (i = 0; i < dl->n; i++)
		sesctl_err("warning: %s", dl->msgs[i]);
}

/* Prints one list row of r (scope column unless the kind has none). */
static void cmd_state_print_row(const struct journal_record *r)
{
	struct strbuf scope = STRBUF_INIT, addr = STRBUF_INIT, origin = STRBUF_INIT;
	char exp[64];

	cmd_state_show(r->scope, &scope);
	cmd_state_show(r->addr, &addr);
	cmd_state_show(r->rec.origin, &origin);
	if (cmd_state_kinds[r->kind].scope != NULL)
		printf("%-30s ", strbuf_cstr(&scope));
	printf("%-40s %-24s %s\n", strbuf_cstr(&addr),
	       cmd_state_time(r->rec.expires, exp, sizeof exp), strbuf_cstr(&origin));
	strbuf_free(&scope);
	strbuf_free(&addr);
	strbuf_free(&origin);
}

/* Prints the live entries of kind (of one scope when scope is not NULL). */
static void cmd_state_print_list(const struct journal_set *set, enum entry_kind kind,
				 const char *scope_name, const char *scope)
{
	time_t now = time(NULL);
	size_t i;

	if (scope_name != NULL)
		printf("%-30s ", strcmp(scope_name, "domain") == 0 ? "DOMAIN" : "ACCOUNT");
	printf("%-40s %-24s %s\n", "ADDRESS", "EXPIRES", "ORIGIN");
	for (i = 0; i < set->n; i++) {
		const struct journal_record *r = &set->v[i];

		if (r->kind == kind && entry_record_live(&r->rec, now) &&
		    (scope == NULL || strcmp(r->scope, scope) == 0))
			cmd_state_print_row(r);
	}
}

/* "KIND list [--domain D|--account A]": the live entries in the journal. */
static int cmd_state_list(struct sesctl *ctx, enum entry_kind kind, int argc, char **argv)
{
	struct journal_set set = JOURNAL_SET_INIT;
	struct diag_list diags = DIAG_LIST_INIT;
	struct cmd_state_req req;
	const char *scope = NULL;
	char *journal = NULL;
	int rc;

	rc = cmd_state_parse(ctx, &req, argc, argv, 0, cmd_state_kinds[kind].list_opts);
	scope = req.value[CMD_STATE_OPT_DOMAIN] != NULL ? req.value[CMD_STATE_OPT_DOMAIN]
							: req.value[CMD_STATE_OPT_ACCOUNT];
	if (rc == SESCTL_OK && scope != NULL)
		entry_normalize_addr(scope, &req.scope);
	if (rc == SESCTL_OK) {
		journal = cmd_state_journal(ctx);
		if (journal_load(journal, true, &set, &diags) != 0)
			rc = SESCTL_FAIL;
		cmd_state_print_diags(&diags);
	}
	if (rc == SESCTL_OK)
		cmd_state_print_list(&set, kind, cmd_state_kinds[kind].scope,
				     scope != NULL ? strbuf_cstr(&req.scope) : NULL);
	journal_set_free(&set);
	diag_free(&diags);
	free(journal);
	cmd_state_req_free(&req);
	return rc;
}

/* Runs "KIND add|del|query|list" for kind; argv[0] is the subcommand. */
static int cmd_state_kind(struct sesctl *ctx, enum entry_kind kind, int argc, char **argv)
{
	if (strcmp(argv[0], "add") == 0)
		return cmd_state_change(ctx, kind, true, argc, argv);
	if (strcmp(argv[0], "del") == 0)
		return cmd_state_change(ctx, kind, false, argc, argv);
	if (strcmp(argv[0], "query") == 0)
		return cmd_state_query(ctx, kind, argc, argv);
	return cmd_state_list(ctx, kind, argc, argv);
}

static int cmd_blocklist_sub(struct sesctl *ctx, int argc, char **argv)
{
	return cmd_state_kind(ctx, ENTRY_BLOCKLIST, argc, argv);
}

static int cmd_unsubscribe_sub(struct sesctl *ctx, int argc, char **argv)
{
	return cmd_state_kind(ctx, ENTRY_UNSUBSCRIBE, argc, argv);
}

static int cmd_suppression_sub(struct sesctl *ctx, int argc, char **argv)
{
	return cmd_state_kind(ctx, ENTRY_SUPPRESSION, argc, argv);
}

static const struct sesctl_sub cmd_blocklist_subs[] = {
	{ "add", cmd_blocklist_sub, "blocklist add ADDR [--days N]" },
	{ "del", cmd_blocklist_sub, "blocklist del ADDR" },
	{ "query", cmd_blocklist_sub, "blocklist query ADDR" },
	{ "list", cmd_blocklist_sub, "blocklist list" },
	{ NULL, NULL, NULL },
};

static const struct sesctl_sub cmd_unsubscribe_subs[] = {
	{ "add", cmd_unsubscribe_sub, "unsubscribe add DOMAIN ADDR" },
	{ "del", cmd_unsubscribe_sub, "unsubscribe del DOMAIN ADDR" },
	{ "query", cmd_unsubscribe_sub, "unsubscribe query DOMAIN ADDR" },
	{ "list", cmd_unsubscribe_sub, "unsubscribe list [--domain DOMAIN]" },
	{ NULL, NULL, NULL },
};

static const struct sesctl_sub cmd_suppression_subs[] = {
	{ "add", cmd_suppression_sub, "suppression add ACCOUNT ADDR [--until YYYY-MM-DD]" },
	{ "del", cmd_suppression_sub, "suppression del ACCOUNT ADDR" },
	{ "query", cmd_suppression_sub, "suppression query ACCOUNT ADDR" },
	{ "list", cmd_suppression_sub, "suppression list [--account NAME]" },
	{ NULL, NULL, NULL },
};

/* sesctl blocklist SUBCOMMAND ... */
int sesctl_cmd_blocklist(struct sesctl *ctx, int argc, char **argv)
{
	return sesctl_run_sub(ctx, cmd_blocklist_subs, argc, argv);
}

/* sesctl unsubscribe SUBCOMMAND ... */
int sesctl_cmd_unsubscribe(struct sesctl *ctx, int argc, char **argv)
{
	return sesctl_run_sub(ctx, cmd_unsubscribe_subs, argc, argv);
}

/* sesctl suppression SUBCOMMAND ... */
int sesctl_cmd_suppression(struct sesctl *ctx, int argc, char **argv)
{
	return sesctl_run_sub(ctx, cmd_suppression_subs, argc, argv);
}

/* sesctl account suspend NAME: the shared suspension (not the file's Suspended). */
int sesctl_cmd_account_suspend(struct sesctl *ctx, int argc, char **argv)
{
	return cmd_state_change(ctx, ENTRY_SUSPENSION, true, argc, argv);
}

/* sesctl account resume NAME: lifts the shared suspension. */
int sesctl_cmd_account_resume(struct sesctl *ctx, int argc, char **argv)
{
	return cmd_state_change(ctx, ENTRY_SUSPENSION, false, argc, argv);
}

/* The journal a state command works on: its operand, or the configured one. */
static char *cmd_state_journal_arg(const struct sesctl *ctx, const struct cmd_state_req *req)
{
	if (req->args.noperands == 0)
		return cmd_state_journal(ctx);
	return xstrdup(req->args.operands[0]);
}

/* sesctl state restore [JOURNAL]: puts the journal's newest records into memcached. */
static int cmd_state_restore(struct sesctl *ctx, int argc, char **argv)
{
	struct diag_list diags = DIAG_LIST_INIT;
	size_t restored = 0, skipped = 0;
	struct cmd_state_req req;
	enum journal_result r;
	char *journal = NULL;
	struct store s;
	int rc;

	rc = cmd_state_parse(ctx, &req, argc, argv, -1, 0);
	if (rc == SESCTL_OK && req.args.noperands > 1)
		rc = SESCTL_USAGE;
	if (rc == SESCTL_OK)
		rc = sesctl_open_store(ctx, &s);
	if (rc == SESCTL_OK) {
		journal = cmd_state_journal_arg(ctx, &req);
		r = journal_restore(&s, journal, &restored, &skipped, &diags);
		cmd_state_print_diags(&diags);
		if (r == JOURNAL_OK)
			printf("restored %zu entries from %s (%zu malformed lines skipped)\n",
			       restored, journal, skipped);
		else if (r == JOURNAL_STORE_ERROR)
			sesctl_err(
				"restore stopped after %zu entries: memcached (%s) did not answer",
				restored, ctx->conf->memcached_servers);
		rc = r == JOURNAL_OK ? SESCTL_OK : SESCTL_FAIL;
		store_free(&s);
	}
	diag_free(&diags);
	free(journal);
	cmd_state_req_free(&req);
	return rc;
}

/* sesctl state compact [JOURNAL]: keeps the newest record per entry. */
static int cmd_state_compact(struct sesctl *ctx, int argc, char **argv)
{
	struct diag_list diags = DIAG_LIST_INIT;
	size_t before = 0, after = 0;
	struct cmd_state_req req;
	char *journal = NULL;
	int rc;

	rc = cmd_state_parse(ctx, &req, argc, argv, -1, 0);
	if (rc == SESCTL_OK && req.args.noperands > 1)
		rc = SESCTL_USAGE;
	if (rc == SESCTL_OK) {
		journal = cmd_state_journal_arg(ctx, &req);
		if (journal_compact(journal, &before, &after, &diags) != JOURNAL_OK)
			rc = SESCTL_FAIL;
		cmd_state_print_diags(&diags);
		if (rc == SESCTL_OK)
			printf("compacted %s: %zu lines, %zu kept\n", journal, before, after);
		else
			sesctl_err("%s left unchanged", journal);
	}
	diag_free(&diags);
	free(journal);
	cmd_state_req_free(&req);
	return rc;
}

static const struct sesctl_sub cmd_state_subs[] = {
	{ "restore", cmd_state_restore, "state restore [JOURNAL]" },
	{ "compact", cmd_state_compact, "state compact [JOURNAL]" },
	{ NULL, NULL, NULL },
};

/* sesctl state SUBCOMMAND ... */
int sesctl_cmd_state(struct sesctl *ctx, int argc, char **argv)
{
	return sesctl_run_sub(ctx, cmd_state_subs, argc, argv);
}
