/*
 * journal - durable append-only record of entry writes; see journal.h.
 *
 * A journal line is "<kind> <scope> <addr> " followed by the entry record
 * exactly as entries.c formats it for memcached ("<state> <stamp_us>
 * <expires> <origin>"), so both share one parser.
 *
 * Locking: flock(2) on a separate, never-replaced file "PATH.lock":
 * exclusive to append or compact, shared to read.  The journal itself is
 * opened only under the lock, so an append always lands in the current
 * file even when journal_compact() has just renamed a new one into place
 * (a lock on the journal itself would leave waiting writers holding the
 * replaced file).  The lock file is empty and made mode 0644 so that
 * ses-milter (after dropping privileges) and sesctl (often root) can both
 * open it read-only, which is all flock needs.
 *
 * Diagnostics: "FILE:LINE: REASON" for each malformed line, "cannot open
 * FILE: REASON", "cannot lock FILE.lock: REASON", "cannot write FILE:
 * REASON", "cannot rename TMP to FILE: REASON".
 */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "durable.h"
#include "journal.h"
#include "metrics.h"
#include "store_tally.h"
#include "xalloc.h"

#define JOURNAL_MODE 0640
#define JOURNAL_LOCK_MODE 0644 /* empty; readable so any user can flock it */
#define JOURNAL_LINE_MAX 65536 /* far above any real line (addresses x3) */

/* Appends a journal field: "-" when empty, "%2D" for "-" itself. */
static void journal_field(const char *s, struct strbuf *out)
{
	if (s == NULL || *s == '\0')
		strbuf_appendc(out, '-');
	else if (strcmp(s, "-") == 0)
		strbuf_appends(out, "%2D");
	else
		entry_encode(s, out);
}

/* Appends the line of a record whose scope and addr are normalised. */
static void journal_format(enum entry_kind kind, const char *scope, const char *addr,
			   const struct entry_record *rec, struct strbuf *out)
{
	struct strbuf tail = STRBUF_INIT;

	strbuf_appends(out, entry_kind_name(kind));
	strbuf_appendc(out, ' ');
	journal_field(scope, out);
	strbuf_appendc(out, ' ');
	journal_field(addr, out);
	strbuf_appendc(out, ' ');
	entry_record_format(rec, &tail);
	strbuf_append(out, tail.data, tail.len);
	strbuf_appendc(out, '\n');
	strbuf_free(&tail);
}

/* Decodes the field s[0..len) into out (reset first); 0 or -1. */
static int journal_unfield(const char *s, size_t len, struct strbuf *out)
{
	strbuf_reset(out);
	if (len == 1 && s[0] == '-')
		return 0;
	return entry_decode(s, len, out);
}

/* Why the fields do not fit the kind, or NULL. */
static const char *journal_check_kind(enum entry_kind kind, const struct strbuf *scope,
				      const struct strbuf *addr)
{
	if (kind == ENTRY_BLOCKLIST && scope->len > 0)
		return "a blocklist line has no scope";
	if (kind != ENTRY_BLOCKLIST && scope->len == 0)
		return "missing scope (domain or account)";
	if (kind == ENTRY_SUSPENSION && addr->len > 0)
		return "a suspension line has no address";
	if (kind != ENTRY_SUSPENSION && addr->len == 0)
		return "missing address";
	return NULL;
}

/*
 * Parses a line without its newline (NUL-terminated at len).  Returns
 * NULL, or why the line is malformed.
 */
static const char *journal_parse(const char *line, size_t len, enum entry_kind *kind,
				 struct strbuf *scope, struct strbuf *addr,
				 struct entry_record *rec)
{
	const char *f[3], *p = line, *sp;
	size_t flen[3];
	char name[16];
	int i;

	if (memchr(line, '\0', len) != NULL)
		return "NUL byte in line";
	for (i = 0; i < 3; i++) {
		sp = strchr(p, ' ');
		if (sp == NULL || sp == p)
			return "too few fields";
		f[i] = p;
		flen[i] = (size_t)(sp - p);
		p = sp + 1;
	}
	if (flen[0] >= sizeof name)
		return "unknown kind";
	memcpy(name, f[0], flen[0]);
	name[flen[0]] = '\0';
	if (entry_kind_parse(name, kind) != 0)
		return "unknown kind";
	if (journal_unfield(f[1], flen[1], scope) != 0)
		return "bad encoding in scope";
	if (journal_unfield(f[2], flen[2], addr) != 0)
		return "bad encoding in address";
	if (entry_record_parse(p, rec) != 0)
		return "bad record (want STATE STAMP EXPIRES ORIGIN)";
	return journal_check_kind(*kind, scope, addr);
}

/*
 * Takes the lock of the journal at path (LOCK_EX or LOCK_SH) on
 * "path.lock", creating it.  Returns the lock's fd (close it to unlock),
 * or -1 with errno set.
 */
static int journal_lock(const char *path, int op)
{
	struct strbuf lp = STRBUF_INIT;
	int fd, saved;

	strbuf_appendf(&lp, "%s.lock", path);
	fd = open(strbuf_cstr(&lp), O_RDONLY | O_CREAT | O_CLOEXEC, JOURNAL_LOCK_MODE);
	if (fd >= 0) {
		(void)fchmod(fd, JOURNAL_LOCK_MODE); /* whatever the umask; EPERM if not ours */
		while (flock(fd, op) != 0) {
			if (errno == EINTR)
				continue;
			saved = errno;
			close(fd);
			fd = -1;
			errno = saved;
			break;
		}
	}
	strbuf_free(&lp);
	return fd;
}

/* Appends "cannot VERB PATH: REASON" to err when err is not NULL. */
static void journal_err(struct strbuf *err, const char *verb, const char *path, int errnum)
{
	if (err != NULL)
		strbuf_appendf(err, "cannot %s %s: %s", verb, path, strerror(errnum));
}

int journal_append(const char *path, const struct entry_id *id, const struct entry_record *rec,
		   struct strbuf *err)
{
	struct strbuf line = STRBUF_INIT, scope = STRBUF_INIT, addr = STRBUF_INIT;
	struct stat st;
	char last = '\n';
	int lock, fd = -1, rc = -1;

	entry_normalize_addr(id->kind == ENTRY_BLOCKLIST ? "" : id->scope, &scope);
	entry_normalize_addr(id->kind == ENTRY_SUSPENSION ? "" : id->addr, &addr);
	lock = journal_lock(path, LOCK_EX);
	if (lock < 0) {
		journal_err(err, "lock the journal", path, errno);
		goto out;
	}
	fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, JOURNAL_MODE);
	if (fd < 0 || fstat(fd, &st) != 0) {
		journal_err(err, "open", path, errno);
		goto out;
	}
	/* A line cut short by a crash must not swallow this one. */
	if (st.st_size > 0 && (pread(fd, &last, 1, st.st_size - 1) != 1 || last != '\n'))
		strbuf_appendc(&line, '\n');
	journal_format(id->kind, strbuf_cstr(&scope), strbuf_cstr(&addr), rec, &line);
	if (durable_append(fd, line.data, line.len, st.st_size) != 0) {
		journal_err(err, "write", path, errno);
		goto out;
	}
	if (st.st_size == 0)
		durable_sync_parent(path); /* possibly a new file: make its name durable */
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (lock >= 0)
		close(lock); /* unlocks */
	strbuf_free(&line);
	strbuf_free(&scope);
	strbuf_free(&addr);
	metrics_inc(METRIC_JOURNAL_APPENDS, rc == 0 ? "ok" : "error", NULL);
	return rc;
}

/* Line counters of one read. */
struct journal_counts {
	size_t lines;
	size_t malformed;
};

/* Why a raw line read by getline is malformed, or NULL (then id/rec are set). */
static const char *journal_line(char *buf, size_t n, struct strbuf *scope, struct strbuf *addr,
				struct entry_id *id, struct entry_record *rec)
{
	const char *why;

	if (buf[n - 1] != '\n')
		return "incomplete last line (no newline)";
	if (n - 1 > JOURNAL_LINE_MAX)
		return "line too long";
	buf[n - 1] = '\0';
	why = journal_parse(buf, n - 1, &id->kind, scope, addr, rec);
	id->scope = strbuf_cstr(scope);
	id->addr = strbuf_cstr(addr);
	return why;
}

/*
 * Reads the journal at path line by line (the caller holds the lock); a
 * missing file is empty.  0, or -1 (cannot read, or fn stopped).
 */
static int journal_read(const char *path, journal_fn *fn, void *arg, struct journal_counts *c,
			struct diag_list *diags)
{
	struct strbuf scope = STRBUF_INIT, addr = STRBUF_INIT;
	struct entry_record rec;
	struct entry_id id;
	const char *why;
	char *buf = NULL;
	size_t cap = 0;
	ssize_t n;
	int rc = 0;
	FILE *fp = fopen(path, "re");

	if (fp == NULL && errno == ENOENT)
		return 0;
	if (fp == NULL) {
		diag_add(diags, path, 0, "cannot open: %s", strerror(errno));
		return -1;
	}
	while (rc == 0 && (n = getline(&buf, &cap, fp)) > 0) {
		c->lines++;
		why = journal_line(buf, (size_t)n, &scope, &addr, &id, &rec);
		if (why != NULL) {
			c->malformed++;
			diag_add(diags, path, (unsigned)c->lines, "%s", why);
		} else if (fn(arg, &id, &rec, (unsigned)c->lines) != 0) {
			rc = -1;
		}
	}
	if (rc == 0 && ferror(fp)) {
		diag_add(diags, path, 0, "cannot read: %s", strerror(errno));
		rc = -1;
	}
	fclose(fp);
	free(buf);
	strbuf_free(&scope);
	strbuf_free(&addr);
	return rc;
}

int journal_replay(const char *path, journal_fn *fn, void *arg, size_t *malformed,
		   struct diag_list *diags)
{
	struct diag_list local = DIAG_LIST_INIT;
	struct journal_counts c = { 0, 0 };
	int lock, rc;

	if (diags == NULL)
		diags = &local;
	/*
	 * A reader that may not create the lock file (read-only directory)
	 * still reads: appends are whole lines, at worst the last one is torn.
	 */
	lock = journal_lock(path, LOCK_SH);
	rc = journal_read(path, fn, arg, &c, diags);
	if (lock >= 0)
		close(lock);
	if (malformed != NULL)
		*malformed = c.malformed;
	diag_free(&local);
	return rc;
}

/* journal_fn that adds a normalised copy of the record to a journal_set. */
static int journal_collect(void *arg, const struct entry_id *id, const struct entry_record *rec,
			   unsigned line)
{
	struct journal_set *set = arg;
	struct strbuf norm = STRBUF_INIT;
	struct journal_record *v, *r;

	v = xrealloc(set->v, (set->n + 1) * sizeof *set->v);
	set->v = v;
	r = &set->v[set->n++];
	r->kind = id->kind;
	entry_normalize_addr(id->scope, &norm);
	r->scope = xstrdup(strbuf_cstr(&norm));
	entry_normalize_addr(id->addr, &norm);
	r->addr = xstrdup(strbuf_cstr(&norm));
	r->rec = *rec;
	strbuf_free(&norm);
	return 0;
}

/* Orders by entry (kind, scope, address) only. */
static int journal_same_entry(const struct journal_record *a, const struct journal_record *b)
{
	int c;

	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	c = strcmp(a->scope, b->scope);
	return c != 0 ? c : strcmp(a->addr, b->addr);
}

/* qsort order: by entry, the newest record of each entry first. */
static int journal_record_order(const void *x, const void *y)
{
	const struct journal_record *a = x, *b = y;
	int c = journal_same_entry(a, b);

	return c != 0 ? c : -entry_record_cmp(&a->rec, &b->rec);
}

static void journal_record_free(struct journal_record *r)
{
	free(r->scope);
	free(r->addr);
}

/* Sorts set and keeps the newest record of each entry. */
static void journal_set_newest(struct journal_set *set)
{
	size_t i, n = 0;

	if (set->n > 1)
		qsort(set->v, set->n, sizeof *set->v, journal_record_order);
	for (i = 0; i < set->n; i++) {
		if (n > 0 && journal_same_entry(&set->v[n - 1], &set->v[i]) == 0)
			journal_record_free(&set->v[i]);
		else
			set->v[n++] = set->v[i];
	}
	set->n = n;
}

int journal_load(const char *path, bool newest, struct journal_set *set, struct diag_list *diags)
{
	size_t malformed = 0, n0 = set->n;
	int rc;

	rc = journal_replay(path, journal_collect, set, &malformed, diags);
	set->malformed += malformed;
	set->lines += set->n - n0 + malformed;
	if (newest)
		journal_set_newest(set);
	return rc;
}

void journal_set_free(struct journal_set *set)
{
	size_t i;

	if (set == NULL)
		return;
	for (i = 0; i < set->n; i++)
		journal_record_free(&set->v[i]);
	free(set->v);
	set->v = NULL;
	set->n = set->lines = set->malformed = 0;
}

void journal_record_id(const struct journal_record *r, struct entry_id *id)
{
	id->kind = r->kind;
	id->scope = r->scope;
	id->addr = r->addr;
}

enum journal_result journal_restore(const struct store *s, const char *path, size_t *restored,
				    size_t *skipped, struct diag_list *diags)
{
	struct journal_set set = JOURNAL_SET_INIT;
	enum journal_result res = JOURNAL_OK;
	time_t now = time(NULL);
	struct entry_id id;
	size_t i, n = 0;

	if (journal_load(path, true, &set, diags) != 0)
		res = JOURNAL_IO_ERROR;
	for (i = 0; res == JOURNAL_OK && i < set.n; i++) {
		if (set.v[i].rec.expires != 0 && set.v[i].rec.expires <= (int64_t)now)
			continue;
		journal_record_id(&set.v[i], &id);
		if (entry_put(s, &id, &set.v[i].rec) != STORE_OK)
			res = JOURNAL_STORE_ERROR;
		else
			n++;
	}
	if (restored != NULL)
		*restored = n;
	if (skipped != NULL)
		*skipped = set.malformed;
	journal_set_free(&set);
	return res;
}

/* The text of the compacted journal: newest records, expired ones left out. */
#define JOURNAL_MARK_TRIES 3

enum journal_result journal_restore_marked(const struct store *s, const char *path,
					   size_t *restored, size_t *skipped,
					   struct diag_list *diags)
{
	enum journal_result r;
	enum store_result m;
	int tries;

	if (s == NULL || s->guard == NULL)
		return journal_restore(s, path, restored, skipped, diags);
	for (tries = 0; tries < JOURNAL_MARK_TRIES; tries++) {
		if (store_mark(s, false) != STORE_OK)
			return JOURNAL_STORE_ERROR;
		r = journal_restore(s, path, restored, skipped, diags);
		if (r != JOURNAL_OK)
			return r;
		if (store_tally_restore(s, NULL) != STORE_OK)
			return JOURNAL_STORE_ERROR;
		m = store_mark(s, true);
		if (m == STORE_OK)
			return JOURNAL_OK;
		if (m == STORE_ERROR)
			break;
		/* NOT_FOUND: a server restarted during the replay; again */
	}
	return JOURNAL_STORE_ERROR;
}

static void journal_compacted_text(const struct journal_set *set, struct strbuf *out, size_t *lines)
{
	time_t now = time(NULL);
	size_t i;

	*lines = 0;
	for (i = 0; i < set->n; i++) {
		const struct journal_record *r = &set->v[i];

		if (r->rec.expires != 0 && r->rec.expires <= (int64_t)now)
			continue;
		journal_format(r->kind, r->scope, r->addr, &r->rec, out);
		(*lines)++;
	}
}

/* Writes text to tmp (owner and mode of st), then renames it to path. */
static int journal_replace(const char *path, const char *tmp, const struct stat *st,
			   const struct strbuf *text, struct diag_list *diags)
{
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, JOURNAL_MODE);

	if (fd < 0) {
		diag_add(diags, tmp, 0, "cannot create: %s", strerror(errno));
		return -1;
	}
	if (geteuid() == 0)
		(void)fchown(fd, st->st_uid, st->st_gid); /* keep the milter's file */
	(void)fchmod(fd, st->st_mode & 07777);
	if (durable_write_sync(fd, text->data, text->len) != 0) {
		diag_add(diags, tmp, 0, "cannot write: %s", strerror(errno));
		close(fd);
		unlink(tmp);
		return -1;
	}
	close(fd);
	if (rename(tmp, path) != 0) {
		diag_add(diags, path, 0, "cannot rename %s to it: %s", tmp, strerror(errno));
		unlink(tmp);
		return -1;
	}
	durable_sync_parent(path);
	return 0;
}

enum journal_result journal_compact(const char *path, size_t *before, size_t *after,
				    struct diag_list *diags)
{
	struct diag_list local = DIAG_LIST_INIT;
	struct journal_set set = JOURNAL_SET_INIT;
	struct journal_counts c = { 0, 0 };
	struct strbuf text = STRBUF_INIT, tmp = STRBUF_INIT;
	enum journal_result res = JOURNAL_IO_ERROR;
	size_t kept = 0;
	struct stat st;
	int lock;

	if (diags == NULL)
		diags = &local;
	lock = journal_lock(path, LOCK_EX); /* writers wait */
	if (lock < 0) {
		diag_add(diags, path, 0, "cannot lock the journal: %s", strerror(errno));
	} else if (stat(path, &st) != 0) {
		if (errno == ENOENT)
			res = JOURNAL_OK; /* nothing to compact */
		else
			diag_add(diags, path, 0, "cannot open: %s", strerror(errno));
	} else if (journal_read(path, journal_collect, &set, &c, diags) == 0) {
		journal_set_newest(&set);
		journal_compacted_text(&set, &text, &kept);
		strbuf_appendf(&tmp, "%s.tmp", path);
		if (journal_replace(path, strbuf_cstr(&tmp), &st, &text, diags) == 0)
			res = JOURNAL_OK;
	}
	if (lock >= 0)
		close(lock); /* waiting writers now open the new file */
	if (before != NULL)
		*before = c.lines;
	if (after != NULL)
		*after = res == JOURNAL_OK ? kept : c.lines;
	journal_set_free(&set);
	strbuf_free(&text);
	strbuf_free(&tmp);
	diag_free(&local);
	return res;
}
