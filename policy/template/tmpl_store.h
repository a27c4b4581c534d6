/*
 * tmpl_store - changing the templates directory (template.h) safely, for
 * sesctl and the HTTP API alike.
 *
 * Every change is staged whole in DIR/.tmp-ID (hidden: the loader skips
 * it), checked by loading the directory with the change applied
 * (tmpl_db_load_change), and only then made live with one rename: a new
 * template is renamed into place, a changed one exchanged with the live
 * directory (renameat2 RENAME_EXCHANGE), so a reader never sees half a
 * template.  Writers hold the account directory's lock (tmpl_store_lock)
 * across the whole change.  Files are mode 0640, fsync'ed; a new file or
 * directory is handed to the daemon's user by the caller's chown hook.
 *
 * Errors are written to err (one line, no trailing newline).
 */
#ifndef SES_TMPL_STORE_H
#define SES_TMPL_STORE_H

#include <stdbool.h>

#include "strbuf.h"
#include "template.h"

/* Hands a new file or directory to the daemon's user (sesctl as root); may be NULL. */
typedef void tmpl_store_chown_fn(void *arg, const char *path);

/* A change being made: the templates directory, the ID, its staging dir. */
struct tmpl_store_change {
	char *dir; /* DataDir/templates */
	unsigned long id;
	char *live;  /* dir/ID */
	char *stage; /* dir/.tmp-ID */
	tmpl_store_chown_fn *chown;
	void *chown_arg;
};

/*
 * Locks the account directory dir (DataDir/accounts, which must exist)
 * for a change of account or template data: the fd to close to unlock, or
 * -1 with err.  Blocks while another writer holds it.
 */
int tmpl_store_lock(const char *accounts_dir, struct strbuf *err);

/* What a new or replaced template holds. */
struct tmpl_new {
	const char *account, *name;
	enum tmpl_type type;
	enum tmpl_status status;
	bool allow_links;
	const char *text, *html; /* NULL: no such part */
};

/* True for a one-line value: UTF-8, no control characters, not blank-edged. */
bool tmpl_store_line_ok(const char *s);

/*
 * Sets up ch for template id in dir (made with mode 0750 when missing);
 * create: makes an empty staging directory.  0, or -1 with err.  Call
 * tmpl_store_end in either case.
 */
int tmpl_store_stage(struct tmpl_store_change *ch, const char *dir, unsigned long id, bool create,
		     struct strbuf *err);
/* Writes data to the staged file name ("template", "text", "html"). */
int tmpl_store_write(const struct tmpl_store_change *ch, const char *name, const char *data,
		     size_t len, struct strbuf *err);
/* Writes the meta file and parts of n into the stage. */
int tmpl_store_write_new(const struct tmpl_store_change *ch, const struct tmpl_new *n,
			 struct strbuf *err);

/*
 * Checks the directory with the change (the stage, or the removal of the
 * template) and makes it live.  0 with *loaded (the templates as they now
 * are; may be NULL when not wanted), or -1 with err: nothing changed.
 */
int tmpl_store_commit(struct tmpl_store_change *ch, bool remove, bool exists,
		      struct tmpl_db **loaded, struct diag_list *diags, struct strbuf *err);
/* Frees ch, removing what is left staged. */
void tmpl_store_end(struct tmpl_store_change *ch);

/* The lowest ID above every template in db. */
unsigned long tmpl_store_next_id(const struct tmpl_db *db);

#endif
