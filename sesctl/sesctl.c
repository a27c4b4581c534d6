/*
 * sesctl - the operator's command-line tool for ses-milter; see sesctl(8).
 *
 * This file holds main (global options, the config, dispatch), the option
 * parser the commands share, the locked edit that checks a change with the
 * real account loader before making it live, and the reload signal.
 *
 * Diagnostics go to stderr as "sesctl: MESSAGE"; a loader's diagnostics as
 * "sesctl: FILE:LINE: MESSAGE".  See sesctl.h for the exit status.
 */
#include "autoconf.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "sesctl.h"
#include "tmpl_store.h"
#include "xalloc.h"

#ifndef VERSION
#define VERSION "unknown"
#endif
#ifndef SYSCONFDIR
#define SYSCONFDIR "/etc"
#endif

#define SESCTL_DEFAULT_CONF SYSCONFDIR "/ses-milter/ses-milter.conf"
#define SESCTL_DIR_MODE 0750

static const char sesctl_usage_text[] =
	"usage: sesctl [-c FILE] [-d DIR] [--no-reload] COMMAND ...\n"
	"       sesctl -h | -V\n"
	"\n"
	"  account add NAME [--login USER]... [--network CIDR]... [--custom-content yes|no]\n"
	"  account list\n"
	"  account show NAME\n"
	"  account set NAME KEY VALUE\n"
	"  account add-login|del-login NAME USER\n"
	"  account add-network|del-network NAME CIDR\n"
	"  account del NAME [--force]\n"
	"  domain add DOMAIN --account NAME [--selector S] [--rsa-bits 1024|2048] [--ed25519]\n"
	"             [--no-keys]\n"
	"  domain records DOMAIN\n"
	"  domain verify DOMAIN [--dns HOST[:PORT]]\n"
	"  domain list [--account NAME]\n"
	"  domain show DOMAIN\n"
	"  domain set-verified DOMAIN yes|no\n"
	"  domain del DOMAIN\n"
	"  account suspend|resume NAME\n"
	"  blocklist add ADDR [--days N]\n"
	"  blocklist del|query ADDR\n"
	"  blocklist list\n"
	"  unsubscribe add|del|query DOMAIN ADDR\n"
	"  unsubscribe list [--domain DOMAIN]\n"
	"  suppression add ACCOUNT ADDR [--until YYYY-MM-DD]\n"
	"  suppression del|query ACCOUNT ADDR\n"
	"  suppression list [--account NAME]\n"
	"  quota show ACCOUNT [--rcpt ADDR]\n"
	"  quota warmup [--date YYYY-MM-DD] [--dry-run]\n"
	"  quota release [--postfix-config DIR] [--dry-run]\n"
	"  state restore [JOURNAL]\n"
	"  state compact [JOURNAL]\n"
	"  template add --account NAME --name NAME --type TYPE [--text FILE] [--html FILE]\n"
	"               [--allow-links]\n"
	"  template list [--account NAME]\n"
	"  template show|check|approve|del ID\n"
	"  template reject ID --reason TEXT\n"
	"  template render ID --data JSON\n"
	"  status --date YYYY-MM-DD [--message-id ID] [--to ADDR] [--json]\n"
	"  stats --from YYYY-MM-DD --to YYYY-MM-DD [--domain DOMAIN]... [--json]\n"
	"  feedback classify FILE|- [--rcpt ADDR] [--json]\n"
	"  reload\n"
	"\n"
	"  -c FILE  configuration file (default " SESCTL_DEFAULT_CONF ")\n"
	"  -d DIR   data directory, instead of the configuration's DataDir\n";

void sesctl_err(const char *fmt, ...)
{
	va_list ap;

	fputs("sesctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int sesctl_usage(const char *usage)
{
	sesctl_err("usage: sesctl %s", usage);
	return SESCTL_USAGE;
}

int sesctl_run_sub(struct sesctl *ctx, const struct sesctl_sub *subs, int argc, char **argv)
{
	const struct sesctl_sub *sub;
	int rc;

	for (sub = subs; argc >= 2 && sub->name != NULL; sub++)
		if (strcmp(argv[1], sub->name) == 0)
			break;
	if (argc < 2 || sub->name == NULL) {
		if (argc >= 2)
			sesctl_err("unknown command \"%s %s\"", argv[0], argv[1]);
		for (sub = subs; sub->name != NULL; sub++)
			sesctl_usage(sub->usage);
		return SESCTL_USAGE;
	}
	rc = sub->fn(ctx, argc - 1, argv + 1);
	if (rc == SESCTL_USAGE)
		sesctl_usage(sub->usage);
	return rc;
}

void sesctl_args_init(struct sesctl_args *a, int argc, char **argv)
{
	memset(a, 0, sizeof *a);
	a->argc = argc;
	a->argv = argv;
	a->next = 1;
	a->operands = xcalloc((size_t)argc + 1, sizeof *a->operands);
}

void sesctl_args_free(struct sesctl_args *a)
{
	free(a->operands);
	a->operands = NULL;
}

/* True for an argument that is an operand: not "--x", not "-x" (but "-5"). */
static bool sesctl_is_operand(const char *arg)
{
	if (arg[0] != '-' || arg[1] == '\0')
		return true;
	return arg[1] != '-' && isdigit((unsigned char)arg[1]);
}

int sesctl_args_next(struct sesctl *ctx, struct sesctl_args *a, const struct sesctl_opt *opts,
		     const char **value)
{
	while (a->next < a->argc) {
		char *arg = a->argv[a->next++];
		const char *name, *eq;
		size_t len;

		if (a->no_options || sesctl_is_operand(arg)) {
			a->operands[a->noperands++] = arg;
			continue;
		}
		if (strcmp(arg, "--") == 0) {
			a->no_options = true;
			continue;
		}
		name = arg + (arg[1] == '-' ? 2 : 1);
		eq = strchr(name, '=');
		len = eq != NULL ? (size_t)(eq - name) : strlen(name);
		if (eq == NULL && strcmp(name, "no-reload") == 0) {
			ctx->no_reload = true;
			continue;
		}
		for (; opts != NULL && opts->name != NULL; opts++)
			if (strlen(opts->name) == len && strncmp(opts->name, name, len) == 0)
				break;
		if (opts == NULL || opts->name == NULL) {
			sesctl_err("unknown option %.*s", (int)(len + (size_t)(name - arg)), arg);
			return -1;
		}
		if (!opts->has_arg && eq != NULL) {
			sesctl_err("option --%s takes no value", opts->name);
			return -1;
		}
		*value = eq != NULL ? eq + 1 : NULL;
		if (opts->has_arg && eq == NULL) {
			if (a->next >= a->argc) {
				sesctl_err("option --%s needs a value", opts->name);
				return -1;
			}
			*value = a->argv[a->next++];
		}
		return opts->id;
	}
	return 0;
}

int sesctl_args_operands(struct sesctl *ctx, struct sesctl_args *a, int argc, char **argv, int n)
{
	const char *value;
	int opt;

	sesctl_args_init(a, argc, argv);
	while ((opt = sesctl_args_next(ctx, a, NULL, &value)) != 0)
		if (opt < 0)
			return SESCTL_USAGE;
	return a->noperands == n ? SESCTL_OK : SESCTL_USAGE;
}

char *sesctl_account_path(const struct sesctl *ctx, const char *name)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_appendf(&sb, "%s/%s", ctx->accounts_dir, name);
	return strbuf_detach(&sb);
}

char *sesctl_lower(char *s)
{
	char *p;

	for (p = s; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	return s;
}

/* Prints every diagnostic of dl as "sesctl: ..." */
static void sesctl_print_diags(const struct diag_list *dl)
{
	size_t i;

	for (i = 0; i < dl->n; i++)
		sesctl_err("%s", dl->msgs[i]);
}

/*
 * The check ses-milter makes beyond the account loader (snapshot.c): the
 * LocalAccount exists in db.  With before, only a change that removes it
 * is flagged, so an operator can still repair data that already lacks it.
 */
static void sesctl_check_local_account(const struct sesctl *ctx, const struct account_db *before,
				       const struct account_db *db, struct diag_list *diags)
{
	const char *local = ctx->conf->local_account;

	if (before != NULL && account_by_name(before, local) == NULL)
		return;
	if (db != NULL && *local != '\0' && account_by_name(db, local) == NULL)
		diag_add(diags, ctx->conf->path, 0, "LocalAccount %s: no such account in %s", local,
			 ctx->accounts_dir);
}

struct account_db *sesctl_load_db(const struct sesctl *ctx)
{
	struct diag_list diags = DIAG_LIST_INIT;
	struct account_db *db;

	db = account_db_load(ctx->accounts_dir, ctx->conf, &diags);
	if (db == NULL || diags.n > 0) {
		sesctl_print_diags(&diags);
		account_db_free(db);
		db = NULL;
	}
	diag_free(&diags);
	return db;
}

/* chown to UserID (user or user:group) when root; see sesctl.h. */
void sesctl_chown_path(const struct sesctl *ctx, const char *path)
{
	char user[256], *colon;
	struct passwd *pw;
	struct group *gr;
	gid_t gid;

	if (geteuid() != 0 || *ctx->conf->user == '\0')
		return;
	if ((size_t)snprintf(user, sizeof user, "%s", ctx->conf->user) >= sizeof user)
		return;
	colon = strchr(user, ':');
	if (colon != NULL)
		*colon++ = '\0';
	pw = getpwnam(user);
	if (pw == NULL)
		return;
	gid = pw->pw_gid;
	if (colon != NULL && (gr = getgrnam(colon)) != NULL)
		gid = gr->gr_gid;
	if (chown(path, pw->pw_uid, gid) != 0)
		sesctl_err("warning: cannot chown %s to %s: %s", path, ctx->conf->user,
			   strerror(errno));
}

/* Creates dir (mode 0750) unless it exists; see sesctl.h. */
int sesctl_mkdir(const struct sesctl *ctx, const char *dir)
{
	if (mkdir(dir, SESCTL_DIR_MODE) == 0) {
		if (chmod(dir, SESCTL_DIR_MODE) != 0) /* whatever the umask */
			sesctl_err("warning: cannot chmod %s: %s", dir, strerror(errno));
		sesctl_chown_path(ctx, dir);
		return 0;
	}
	if (errno == EEXIST)
		return 0;
	sesctl_err("cannot create %s: %s", dir, strerror(errno));
	return -1;
}

/* Creates DataDir and its accounts/ when missing, then takes the lock. */
static int sesctl_lock(struct sesctl *ctx)
{
	struct strbuf err = STRBUF_INIT;
	int fd;

	if (sesctl_mkdir(ctx, ctx->conf->data_dir) != 0 ||
	    sesctl_mkdir(ctx, ctx->accounts_dir) != 0)
		return -1;
	fd = tmpl_store_lock(ctx->accounts_dir, &err);
	if (fd < 0)
		sesctl_err("%s", strbuf_cstr(&err));
	strbuf_free(&err);
	return fd;
}

int sesctl_edit_begin(struct sesctl *ctx, struct sesctl_edit *ed)
{
	memset(ed, 0, sizeof *ed);
	ed->lock_fd = sesctl_lock(ctx);
	if (ed->lock_fd < 0)
		return SESCTL_FAIL;
	ed->db = sesctl_load_db(ctx);
	if (ed->db == NULL) {
		sesctl_err("nothing changed: fix the account data first");
		return SESCTL_FAIL;
	}
	return SESCTL_OK;
}

int sesctl_edit_open(struct sesctl *ctx, struct sesctl_edit *ed, const char *name, bool must_exist)
{
	struct strbuf err = STRBUF_INIT;
	char *path;
	int rc = SESCTL_OK;

	if (!account_name_valid(name)) {
		sesctl_err("\"%s\" is not a valid account name (1 to 64 letters, digits, "
			   "'.', '_', '-'; starting with a letter or digit; not ending in .tmp)",
			   name);
		return SESCTL_FAIL;
	}
	ed->name = xstrdup(name);
	ed->acct = account_by_name(ed->db, name);
	path = sesctl_account_path(ctx, name);
	if (datafile_read(&ed->df, path, true, &err) != 0) {
		sesctl_err("%s", strbuf_cstr(&err));
		rc = SESCTL_FAIL;
	} else if (must_exist && (!ed->df.exists || ed->acct == NULL)) {
		sesctl_err("no account %s (no file %s)", name, path);
		rc = SESCTL_FAIL;
	}
	free(path);
	strbuf_free(&err);
	return rc;
}

int sesctl_edit_commit(struct sesctl *ctx, struct sesctl_edit *ed, bool remove, const char *done)
{
	struct diag_list diags = DIAG_LIST_INIT;
	struct account_change change = { ed->name, remove ? NULL : ed->df.tmp_path };
	struct strbuf err = STRBUF_INIT;
	struct account_db *db;
	int rc;

	if (!remove && datafile_stage(&ed->df, &err) != 0) {
		sesctl_err("%s", strbuf_cstr(&err));
		strbuf_free(&err);
		return SESCTL_FAIL;
	}
	db = account_db_load_change(ctx->accounts_dir, &change, ctx->conf, &diags);
	sesctl_check_local_account(ctx, ed->db, db, &diags);
	account_db_free(db);
	if (db == NULL || diags.n > 0) {
		sesctl_print_diags(&diags);
		sesctl_err("nothing changed: the account data would not load");
		diag_free(&diags);
		if (!remove)
			datafile_discard(&ed->df);
		return SESCTL_FAIL;
	}
	diag_free(&diags);
	rc = remove ? datafile_unlink(ed->df.path, &err) : datafile_commit(&ed->df, &err);
	if (rc != 0) {
		sesctl_err("%s", strbuf_cstr(&err));
		strbuf_free(&err);
		return SESCTL_FAIL;
	}
	printf("%s\n", done);
	if (!ctx->no_reload)
		(void)sesctl_reload(ctx, true); /* the change is made either way */
	return SESCTL_OK;
}

void sesctl_edit_end(struct sesctl_edit *ed)
{
	datafile_free(&ed->df);
	free(ed->name);
	ed->name = NULL;
	account_db_free(ed->db);
	ed->db = NULL;
	ed->acct = NULL;
	if (ed->lock_fd >= 0)
		close(ed->lock_fd); /* releases the lock */
	ed->lock_fd = -1;
}

/* Reads the pid from PidFile into *pid; 0, or -1 with errno (EINVAL: junk). */
static int sesctl_read_pid(const char *path, long *pid)
{
	char buf[32], *end;
	FILE *fp = fopen(path, "r");
	bool ok;

	if (fp == NULL)
		return -1;
	ok = fgets(buf, sizeof buf, fp) != NULL;
	fclose(fp);
	if (!ok) {
		errno = EINVAL;
		return -1;
	}
	errno = 0;
	*pid = strtol(buf, &end, 10);
	while (isspace((unsigned char)*end))
		end++;
	if (errno != 0 || end == buf || *end != '\0' || *pid <= 1) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

/* True unless /proc shows pid runs something other than ses-milter. */
static bool sesctl_is_milter(long pid, char *comm, size_t len)
{
	char path[64];
	FILE *fp;
	bool ok;

	if ((size_t)snprintf(path, sizeof path, "/proc/%ld/comm", pid) >= sizeof path)
		return true;
	fp = fopen(path, "r");
	if (fp == NULL)
		return true; /* no /proc: trust the pid file */
	ok = fgets(comm, (int)len, fp) != NULL;
	fclose(fp);
	if (!ok)
		return true;
	comm[strcspn(comm, "\n")] = '\0';
	return strcmp(comm, "ses-milter") == 0;
}

/* Explains that there is no process to signal; an error unless quiet. */
static int sesctl_not_running(bool quiet, const char *why)
{
	if (quiet) {
		printf("ses-milter is not running (%s): the change applies when it starts\n", why);
		return SESCTL_OK;
	}
	sesctl_err("cannot reload: ses-milter is not running (%s)", why);
	return SESCTL_FAIL;
}

int sesctl_reload(const struct sesctl *ctx, bool quiet)
{
	const char *pidfile = ctx->conf->pid_file;
	struct strbuf why = STRBUF_INIT;
	char comm[64] = "";
	long pid = 0;
	int rc;

	if (*pidfile == '\0') {
		if (quiet)
			return SESCTL_OK;
		sesctl_err("cannot reload: %s sets no PidFile", ctx->conf->path);
		return SESCTL_FAIL;
	}
	if (sesctl_read_pid(pidfile, &pid) != 0)
		strbuf_appendf(&why, "PidFile %s: %s", pidfile,
			       errno == EINVAL ? "no process ID in it" : strerror(errno));
	else if (kill((pid_t)pid, 0) != 0 && errno == ESRCH)
		strbuf_appendf(&why, "no process %ld from %s", pid, pidfile);
	else if (!sesctl_is_milter(pid, comm, sizeof comm))
		strbuf_appendf(&why, "process %ld from %s is %s", pid, pidfile, comm);
	if (why.len > 0) {
		rc = sesctl_not_running(quiet, strbuf_cstr(&why));
		strbuf_free(&why);
		return rc;
	}
	if (kill((pid_t)pid, SIGHUP) != 0) {
		sesctl_err("cannot signal ses-milter (pid %ld): %s", pid, strerror(errno));
		return SESCTL_FAIL;
	}
	printf("ses-milter (pid %ld) reloaded\n", pid);
	return SESCTL_OK;
}

/* sesctl reload: checks the data ses-milter would load, then signals it. */
static int sesctl_cmd_reload(struct sesctl *ctx, int argc, char **argv)
{
	struct diag_list diags = DIAG_LIST_INIT;
	struct account_db *db;
	struct sesctl_args args;
	int rc;

	rc = sesctl_args_operands(ctx, &args, argc, argv, 0);
	sesctl_args_free(&args);
	if (rc != SESCTL_OK)
		return sesctl_usage("reload");
	db = sesctl_load_db(ctx);
	sesctl_check_local_account(ctx, NULL, db, &diags);
	sesctl_print_diags(&diags);
	if (db == NULL || diags.n > 0) {
		sesctl_err("not reloading: the account data would not load");
		rc = SESCTL_FAIL;
	}
	account_db_free(db);
	diag_free(&diags);
	return rc == SESCTL_OK ? sesctl_reload(ctx, false) : rc;
}

/* Loads the config (-c, or the default; -d alone may go without one). */
static int sesctl_setup(struct sesctl *ctx, const char *conf_path, const char *data_dir)
{
	struct diag_list diags = DIAG_LIST_INIT;
	struct strbuf dir = STRBUF_INIT;
	char err[256];

	if (conf_path == NULL) {
		conf_path = SESCTL_DEFAULT_CONF;
		if (data_dir != NULL && access(conf_path, F_OK) != 0 && errno == ENOENT)
			conf_path = NULL; /* built-in defaults */
	}
	ctx->conf = config_load(conf_path, &diags);
	if (ctx->conf == NULL) {
		sesctl_print_diags(&diags);
		diag_free(&diags);
		return SESCTL_FAIL;
	}
	if (data_dir != NULL && conftab_set(conftab_find(config_keys, "DataDir"), ctx->conf,
					    data_dir, err, sizeof err) != 0) {
		sesctl_err("-d: %s", err);
		return SESCTL_FAIL;
	}
	strbuf_appendf(&dir, "%s/accounts", ctx->conf->data_dir);
	ctx->accounts_dir = strbuf_detach(&dir);
	return SESCTL_OK;
}

int sesctl_parse_date(const char *opt, const char *text, int64_t *start)
{
	struct tm tm, back;
	time_t t;
	int y, mo, d, used = 0;

	memset(&tm, 0, sizeof tm);
	if (strlen(text) != 10 || sscanf(text, "%4d-%2d-%2d%n", &y, &mo, &d, &used) != 3 ||
	    used != 10 || !isdigit((unsigned char)text[5]) || !isdigit((unsigned char)text[8]) ||
	    y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31)
		goto bad;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	t = timegm(&tm);
	/* 2024-02-30 normalises to March: refuse it */
	if (t == (time_t)-1 || gmtime_r(&t, &back) == NULL || back.tm_mday != d)
		goto bad;
	*start = (int64_t)t;
	return 0;
bad:
	sesctl_err("%s: not a date (want YYYY-MM-DD): %s", opt, text);
	return -1;
}

static const struct {
	const char *name;
	sesctl_cmd_fn *fn;
} sesctl_commands[] = {
	{ "account", sesctl_cmd_account },
	{ "blocklist", sesctl_cmd_blocklist },
	{ "domain", sesctl_cmd_domain },
	{ "feedback", sesctl_cmd_feedback },
	{ "reload", sesctl_cmd_reload },
	{ "quota", sesctl_cmd_quota },
	{ "state", sesctl_cmd_state },
	{ "stats", sesctl_cmd_stats },
	{ "status", sesctl_cmd_status },
	{ "suppression", sesctl_cmd_suppression },
	{ "template", sesctl_cmd_template },
	{ "unsubscribe", sesctl_cmd_unsubscribe },
};

/* The command family called name, or NULL. */
static sesctl_cmd_fn *sesctl_find_command(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof sesctl_commands / sizeof sesctl_commands[0]; i++)
		if (strcmp(name, sesctl_commands[i].name) == 0)
			return sesctl_commands[i].fn;
	return NULL;
}

/* sesctl [-c FILE] [-d DIR] [--no-reload] COMMAND ...: see sesctl(8). */
int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "no-reload", no_argument, NULL, 'R' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	const char *conf_path = NULL, *data_dir = NULL;
	struct sesctl ctx = { NULL, NULL, false };
	sesctl_cmd_fn *cmd;
	int c, rc;

	while ((c = getopt_long(argc, argv, "+c:d:hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			conf_path = optarg;
			break;
		case 'd':
			data_dir = optarg;
			break;
		case 'R':
			ctx.no_reload = true;
			break;
		case 'h':
			fputs(sesctl_usage_text, stdout);
			return SESCTL_OK;
		case 'V':
			printf("sesctl (ses-milter) %s\n", VERSION);
			return SESCTL_OK;
		default:
			fputs(sesctl_usage_text, stderr);
			return SESCTL_USAGE;
		}
	}
	if (optind >= argc) {
		fputs(sesctl_usage_text, stderr);
		return SESCTL_USAGE;
	}
	cmd = sesctl_find_command(argv[optind]);
	if (cmd == NULL) {
		sesctl_err("unknown command \"%s\" (try sesctl -h)", argv[optind]);
		return SESCTL_USAGE;
	}
	rc = sesctl_setup(&ctx, conf_path, data_dir);
	if (rc == SESCTL_OK)
		rc = cmd(&ctx, argc - optind, argv + optind);
	config_free(ctx.conf);
	free(ctx.accounts_dir);
	if (fflush(stdout) != 0 && rc == SESCTL_OK) {
		sesctl_err("cannot write output: %s", strerror(errno));
		rc = SESCTL_FAIL;
	}
	return rc;
}
