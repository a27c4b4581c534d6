/*
 * tmpl_store - staged, checked changes of the templates directory (see
 * tmpl_store.h).
 */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "durable.h"
#include "rfc2047.h"
#include "tmpl_store.h"
#include "xalloc.h"

#define TMPL_STORE_LOCK_FILE ".sesctl.lock" /* hidden: the account loader skips it */
#define TMPL_STORE_MODE 0640

int tmpl_store_lock(const char *accounts_dir, struct strbuf *err)
{
	struct strbuf path = STRBUF_INIT;
	int fd;

	strbuf_appendf(&path, "%s/%s", accounts_dir, TMPL_STORE_LOCK_FILE);
	fd = open(strbuf_cstr(&path), O_RDWR | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0 && errno == EACCES) /* root's file, read by the daemon's group */
		fd = open(strbuf_cstr(&path), O_RDONLY | O_CLOEXEC);
	if (fd < 0 || flock(fd, LOCK_EX) != 0) {
		strbuf_appendf(err, "cannot lock %s: %s", strbuf_cstr(&path), strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	strbuf_free(&path);
	return fd;
}

bool tmpl_store_line_ok(const char *s)
{
	size_t len = strlen(s), i;

	if (len == 0 || s[0] == ' ' || s[len - 1] == ' ' || !utf8_valid(s, len))
		return false;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return false;
	return true;
}

static void tmpl_store_chown(const struct tmpl_store_change *ch, const char *path)
{
	if (ch->chown != NULL)
		ch->chown(ch->chown_arg, path);
}

/* Makes dir (mode 0750) unless it exists. */
static int tmpl_store_mkdir(const struct tmpl_store_change *ch, const char *dir, struct strbuf *err)
{
	if (mkdir(dir, 0750) == 0) {
		tmpl_store_chown(ch, dir);
		return 0;
	}
	if (errno == EEXIST)
		return 0;
	strbuf_appendf(err, "cannot create %s: %s", dir, strerror(errno));
	return -1;
}

int tmpl_store_write(const struct tmpl_store_change *ch, const char *name, const char *data,
		     size_t len, struct strbuf *err)
{
	struct strbuf path = STRBUF_INIT;
	int fd, rc = -1;

	strbuf_appendf(&path, "%s/%s", ch->stage, name);
	fd = open(strbuf_cstr(&path), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, TMPL_STORE_MODE);
	if (fd >= 0 && fchmod(fd, TMPL_STORE_MODE) == 0 && durable_write_sync(fd, data, len) == 0) {
		rc = close(fd);
		fd = -1;
	}
	if (rc == 0)
		tmpl_store_chown(ch, strbuf_cstr(&path));
	else
		strbuf_appendf(err, "cannot write %s: %s", strbuf_cstr(&path), strerror(errno));
	if (fd >= 0)
		close(fd);
	strbuf_free(&path);
	return rc;
}

/* Removes directory path and the files in it; a missing path is fine. */
static int tmpl_store_rmtree(const char *path)
{
	static const char *const files[] = { "template", "text", "html" };
	struct strbuf file = STRBUF_INIT;
	size_t i;
	int rc = 0;

	for (i = 0; i < sizeof files / sizeof files[0]; i++) {
		strbuf_reset(&file);
		strbuf_appendf(&file, "%s/%s", path, files[i]);
		if (unlink(strbuf_cstr(&file)) != 0 && errno != ENOENT && errno != ENOTDIR)
			rc = -1;
	}
	strbuf_free(&file);
	if (rmdir(path) != 0 && errno != ENOENT)
		rc = -1;
	return rc;
}

int tmpl_store_stage(struct tmpl_store_change *ch, const char *dir, unsigned long id, bool create,
		     struct strbuf *err)
{
	struct strbuf sb = STRBUF_INIT;

	ch->dir = xstrdup(dir);
	ch->id = id;
	strbuf_appendf(&sb, "%s/%lu", dir, id);
	ch->live = strbuf_detach(&sb);
	strbuf_appendf(&sb, "%s/.tmp-%lu", dir, id);
	ch->stage = strbuf_detach(&sb);
	if (tmpl_store_mkdir(ch, dir, err) != 0)
		return -1;
	(void)tmpl_store_rmtree(ch->stage); /* left by a crash */
	if (!create)
		return 0;
	return tmpl_store_mkdir(ch, ch->stage, err);
}

int tmpl_store_write_new(const struct tmpl_store_change *ch, const struct tmpl_new *n,
			 struct strbuf *err)
{
	struct strbuf meta = STRBUF_INIT;
	int rc;

	strbuf_appendf(&meta,
		       "# ses-milter template; see sesctl(8).\n"
		       "Account %s\nName %s\nType %s\nStatus %d\nAllowLinks %s\n",
		       n->account, n->name, tmpl_type_name(n->type), (int)n->status,
		       n->allow_links ? "yes" : "no");
	rc = tmpl_store_write(ch, "template", meta.data, meta.len, err);
	if (rc == 0 && n->text != NULL)
		rc = tmpl_store_write(ch, "text", n->text, strlen(n->text), err);
	if (rc == 0 && n->html != NULL)
		rc = tmpl_store_write(ch, "html", n->html, strlen(n->html), err);
	strbuf_free(&meta);
	return rc;
}

/*
 * Makes the staged directory live: renamed in, or exchanged with the old
 * one (the stage then holds the old version, removed later).  Where the
 * file system cannot exchange, the old one is renamed away first.
 */
static int tmpl_store_swap(struct tmpl_store_change *ch, bool exists, struct strbuf *err)
{
	struct strbuf old = STRBUF_INIT;
	int rc = 0;

	if (!exists && rename(ch->stage, ch->live) == 0)
		return 0;
	if (exists && renameat2(AT_FDCWD, ch->stage, AT_FDCWD, ch->live, RENAME_EXCHANGE) == 0)
		return 0;
	strbuf_appendf(&old, "%s/.old-%lu", ch->dir, ch->id);
	if (!exists || (errno != EINVAL && errno != ENOSYS) ||
	    rename(ch->live, strbuf_cstr(&old)) != 0 || rename(ch->stage, ch->live) != 0) {
		strbuf_appendf(err, "cannot rename %s to %s: %s", ch->stage, ch->live,
			       strerror(errno));
		(void)rename(strbuf_cstr(&old), ch->live); /* back, if it was moved */
		rc = -1;
	}
	if (rc == 0)
		(void)tmpl_store_rmtree(strbuf_cstr(&old));
	strbuf_free(&old);
	return rc;
}

int tmpl_store_commit(struct tmpl_store_change *ch, bool remove, bool exists,
		      struct tmpl_db **loaded, struct diag_list *diags, struct strbuf *err)
{
	struct tmpl_change change = { ch->id, remove ? NULL : ch->stage };
	struct tmpl_db *db;
	int rc;

	db = tmpl_db_load_change(ch->dir, &change, diags);
	if (db == NULL) {
		strbuf_appends(err, "nothing changed: the template data would not load");
		return -1;
	}
	if (remove) {
		rc = rename(ch->live, ch->stage);
		if (rc != 0)
			strbuf_appendf(err, "cannot rename %s: %s", ch->live, strerror(errno));
	} else {
		rc = tmpl_store_swap(ch, exists, err);
	}
	if (rc == 0)
		durable_sync_dir(ch->dir);
	if (rc == 0 && loaded != NULL)
		*loaded = db;
	else
		tmpl_db_free(db);
	return rc;
}

void tmpl_store_end(struct tmpl_store_change *ch)
{
	struct stat st;

	if (ch->stage != NULL && stat(ch->stage, &st) == 0)
		(void)tmpl_store_rmtree(ch->stage);
	free(ch->dir);
	free(ch->live);
	free(ch->stage);
	memset(ch, 0, sizeof *ch);
}

unsigned long tmpl_store_next_id(const struct tmpl_db *db)
{
	return db->n == 0 ? 1 : db->v[db->n - 1]->id + 1;
}
