/*
 * sesctl - the operator's tool: shared state and helpers of its commands.
 *
 * sesctl.c parses the global options, loads ses-milter.conf and dispatches
 * to a command family (cmd_account.c, cmd_domain.c with cmd_domain_*.c).
 * Every command that changes data goes through one edit: lock the account
 * directory, edit the account file in memory (datafile.h), stage it, load
 * the whole directory as it would be with the real loader, and make it
 * live only when that loader reports nothing.  Then ses-milter is told to
 * reload.
 *
 * cmd_template.c (and cmd_template_render.c) edit DataDir/templates the
 * same way: a whole template directory is staged, the directory is
 * loaded with it by the real loader, and one rename makes it live.
 *
 * cmd_state.c holds the shared entries (blocklist, unsubscribes,
 * suppressions, suspensions): they live in memcached and in the journal,
 * not in the account files.
 *
 * Exit status: SESCTL_OK, SESCTL_FAIL (operational error: bad value, not
 * found, refused), SESCTL_USAGE (bad command line), SESCTL_UNAVAILABLE
 * (a query that memcached did not answer, a domain verify that DNS did not
 * answer).
 */
#ifndef SES_SESCTL_H
#define SES_SESCTL_H

#include <stdbool.h>
#include <stdint.h>

#include "account.h"
#include "config.h"
#include "datafile.h"
#include "strbuf.h"

enum sesctl_status {
	SESCTL_OK = 0,
	SESCTL_FAIL = 1,
	SESCTL_USAGE = 2,
	SESCTL_UNAVAILABLE = 3,
};

struct sesctl {
	struct ses_config *conf;
	char *accounts_dir; /* DataDir/accounts */
	bool no_reload;	    /* --no-reload */
};

/* A command family's entry point: argv[0] is the family's name. */
typedef int sesctl_cmd_fn(struct sesctl *ctx, int argc, char **argv);

sesctl_cmd_fn sesctl_cmd_account;
sesctl_cmd_fn sesctl_cmd_domain;
sesctl_cmd_fn sesctl_cmd_blocklist;
sesctl_cmd_fn sesctl_cmd_unsubscribe;
sesctl_cmd_fn sesctl_cmd_suppression;
sesctl_cmd_fn sesctl_cmd_state;
sesctl_cmd_fn sesctl_cmd_quota;
sesctl_cmd_fn sesctl_cmd_template;
sesctl_cmd_fn sesctl_cmd_stats;
sesctl_cmd_fn sesctl_cmd_status;
sesctl_cmd_fn sesctl_cmd_feedback;
/* "account suspend|resume NAME" (subcommands, in cmd_state.c). */
sesctl_cmd_fn sesctl_cmd_account_suspend;
sesctl_cmd_fn sesctl_cmd_account_key;
sesctl_cmd_fn sesctl_cmd_account_resume;

/*
 * A subcommand of a family (sesctl account add ...): argv[0] is its name.
 * It returns SESCTL_USAGE without printing for a bad command line; the
 * dispatcher then prints its usage.
 */
struct sesctl_sub {
	const char *name;
	sesctl_cmd_fn *fn;
	const char *usage; /* after "sesctl " */
};

/* Runs the subcommand argv[1] of a family from its table (NULL-terminated). */
int sesctl_run_sub(struct sesctl *ctx, const struct sesctl_sub *subs, int argc, char **argv);

/* Prints "sesctl: MESSAGE" on stderr. */
void sesctl_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints "sesctl: usage: sesctl USAGE" on stderr and returns SESCTL_USAGE. */
int sesctl_usage(const char *usage);

/*
 * Long options of a command: "--name VALUE", "--name=VALUE" or "--name".
 * Everything else is an operand; "--" ends the options.
 */
struct sesctl_opt {
	const char *name; /* without the dashes */
	bool has_arg;
	int id; /* > 0 */
};

struct sesctl_args {
	int argc;
	char **argv;
	int next;	 /* next argv index to look at */
	char **operands; /* operands seen so far (points into argv) */
	int noperands;
	bool no_options; /* after "--" */
};

/* Starts parsing argv[1..]; free with sesctl_args_free. */
void sesctl_args_init(struct sesctl_args *a, int argc, char **argv);
void sesctl_args_free(struct sesctl_args *a);
/*
 * Returns the next option's id with its value in *value, 0 at the end (all
 * operands collected), or -1 after printing a usage error.  --no-reload is
 * understood by every command and sets ctx->no_reload.
 */
int sesctl_args_next(struct sesctl *ctx, struct sesctl_args *a, const struct sesctl_opt *opts,
		     const char **value);

/*
 * Parses a command without options of its own (but --no-reload).  Returns
 * SESCTL_OK when there are exactly n operands, else SESCTL_USAGE.  Call
 * sesctl_args_free in either case.
 */
int sesctl_args_operands(struct sesctl *ctx, struct sesctl_args *a, int argc, char **argv, int n);

/* The file of account name: DataDir/accounts/NAME.  Caller frees. */
char *sesctl_account_path(const struct sesctl *ctx, const char *name);

/* Loads the account db, printing diagnostics; NULL on any problem. */
struct account_db *sesctl_load_db(const struct sesctl *ctx);

/*
 * Parses text as a calendar date YYYY-MM-DD into *start, the Unix time of
 * its UTC midnight.  0, or -1 after printing "OPT: not a date ...".
 */
int sesctl_parse_date(const char *opt, const char *text, int64_t *start);

/* Lower-cases s in place and returns it. */
char *sesctl_lower(char *s);

/*
 * When run as root, hands path (a directory or file sesctl created) to
 * the configured UserID so ses-milter can use it after dropping
 * privileges.  Failures are warnings.
 */
void sesctl_chown_path(const struct sesctl *ctx, const char *path);

/*
 * Creates dir (mode 0750, handed to UserID) unless it exists.  Returns 0,
 * or -1 after printing why.
 */
int sesctl_mkdir(const struct sesctl *ctx, const char *dir);

/* One change to one account file, made under the directory lock. */
struct sesctl_edit {
	int lock_fd;
	struct account_db *db;	    /* the data as it is, for checks */
	char *name;		    /* the account being edited */
	const struct account *acct; /* it in db; NULL for a new account */
	struct datafile df;	    /* its file */
};

/*
 * Locks the account directory (creating it when missing) and loads the
 * data as it is into ed->db.  Returns SESCTL_OK, or SESCTL_FAIL after
 * printing why.  Call sesctl_edit_end in either case.
 */
int sesctl_edit_begin(struct sesctl *ctx, struct sesctl_edit *ed);
/*
 * Reads the file of account name into ed->df (must_exist: an error when
 * there is no such account).  Returns SESCTL_OK or SESCTL_FAIL.
 */
int sesctl_edit_open(struct sesctl *ctx, struct sesctl_edit *ed, const char *name, bool must_exist);
/*
 * Makes the edited file live when the directory with it loads cleanly
 * (remove: deletes the account instead).  Prints done, then reloads
 * ses-milter.  Returns SESCTL_OK or SESCTL_FAIL (data left untouched).
 */
int sesctl_edit_commit(struct sesctl *ctx, struct sesctl_edit *ed, bool remove, const char *done);
void sesctl_edit_end(struct sesctl_edit *ed);

/*
 * Sends SIGHUP to the ses-milter named by PidFile.  When quiet, a missing
 * PidFile setting or process is not an error.  Returns a sesctl_status.
 */
int sesctl_reload(const struct sesctl *ctx, bool quiet);

struct store;
/* Opens the memcached pool the configuration names; SESCTL_OK or SESCTL_FAIL. */
int sesctl_open_store(const struct sesctl *ctx, struct store *s);

#endif
