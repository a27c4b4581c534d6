/*
 * datafile - line-preserving "Key value" file editing; see datafile.h.
 *
 * Lines are split the way conftab_split reads them: leading blanks, a key
 * (no blanks), blanks, a value up to the trailing blanks; empty lines and
 * lines starting with '#' carry no key.  A value replaced in place keeps
 * what surrounded it, including a trailing "\r" of a file written on DOS.
 *
 * Diagnostics (in err): "cannot open PATH: REASON", "cannot write PATH:
 * REASON", "cannot rename TMP to PATH: REASON", "cannot remove PATH: REASON".
 */
#include "autoconf.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "datafile.h"
#include "durable.h"
#include "xalloc.h"

/* Where the parts of a key line lie: [ks, ke) key, [vs, ve) value. */
struct datafile_span {
	size_t ks, ke, vs, ve;
};

/* Finds the key and value of line; false for comments and blank lines. */
static bool datafile_split(const char *line, struct datafile_span *sp)
{
	size_t i = 0, end = strlen(line);

	while (isspace((unsigned char)line[i]))
		i++;
	if (line[i] == '\0' || line[i] == '#')
		return false;
	sp->ks = i;
	while (line[i] != '\0' && !isspace((unsigned char)line[i]))
		i++;
	sp->ke = i;
	while (isspace((unsigned char)line[i]))
		i++;
	sp->vs = i;
	while (end > i && isspace((unsigned char)line[end - 1]))
		end--;
	sp->ve = end;
	return true;
}

/* Inserts a copy of line before index at (at == n appends). */
static void datafile_insert(struct datafile *df, size_t at, const char *line)
{
	char **lines = xrealloc(df->lines, (df->n + 1) * sizeof *lines);

	df->lines = lines;
	memmove(&lines[at + 1], &lines[at], (df->n - at) * sizeof *lines);
	lines[at] = xstrdup(line);
	df->n++;
}

int datafile_read(struct datafile *df, const char *path, bool missing_ok, struct strbuf *err)
{
	struct strbuf tmp = STRBUF_INIT;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	FILE *fp;

	memset(df, 0, sizeof *df);
	df->path = xstrdup(path);
	strbuf_appendf(&tmp, "%s.tmp", path);
	df->tmp_path = strbuf_detach(&tmp);
	fp = fopen(path, "r");
	if (fp == NULL) {
		if (errno == ENOENT && missing_ok)
			return 0;
		strbuf_appendf(err, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	df->exists = true;
	while ((len = getline(&line, &cap, fp)) != -1) {
		if (len > 0 && line[len - 1] == '\n')
			line[len - 1] = '\0';
		datafile_insert(df, df->n, line);
	}
	free(line);
	if (ferror(fp)) {
		strbuf_appendf(err, "cannot read %s: %s", path, strerror(errno));
		fclose(fp);
		return -1;
	}
	fclose(fp);
	return 0;
}

void datafile_free(struct datafile *df)
{
	size_t i;

	if (df == NULL)
		return;
	for (i = 0; i < df->n; i++)
		free(df->lines[i]);
	free(df->lines);
	free(df->path);
	free(df->tmp_path);
	memset(df, 0, sizeof *df);
}

bool datafile_same_icase(const char *word, const char *want)
{
	return strcasecmp(word, want) == 0;
}

/* True when line i has key and (want NULL or) a first value word matching want. */
static bool datafile_line_matches(const struct datafile *df, size_t i, const char *key,
				  const char *want, datafile_same_fn *same)
{
	const char *line = df->lines[i];
	struct datafile_span sp;
	size_t wlen;
	char *word;
	bool ok;

	if (!datafile_split(line, &sp) || sp.ke - sp.ks != strlen(key) ||
	    strncasecmp(line + sp.ks, key, sp.ke - sp.ks) != 0)
		return false;
	if (want == NULL)
		return true;
	for (wlen = 0; sp.vs + wlen < sp.ve && !isspace((unsigned char)line[sp.vs + wlen]); wlen++)
		;
	word = xstrndup(line + sp.vs, wlen);
	ok = same != NULL ? same(word, want) : strcmp(word, want) == 0;
	free(word);
	return ok;
}

long datafile_find(const struct datafile *df, size_t from, const char *key, const char *want,
		   datafile_same_fn *same)
{
	size_t i;

	for (i = from; i < df->n; i++)
		if (datafile_line_matches(df, i, key, want, same))
			return (long)i;
	return -1;
}

void datafile_replace(struct datafile *df, size_t i, const char *value)
{
	struct strbuf sb = STRBUF_INIT;
	const char *line = df->lines[i];
	struct datafile_span sp;

	if (!datafile_split(line, &sp))
		return;
	strbuf_append(&sb, line, sp.vs);
	if (sp.vs == sp.ke) /* a key without a value or a blank after it */
		strbuf_appendc(&sb, ' ');
	strbuf_appends(&sb, value);
	strbuf_appends(&sb, line + sp.ve);
	free(df->lines[i]);
	df->lines[i] = strbuf_detach(&sb);
}

void datafile_set(struct datafile *df, const char *key, const char *value)
{
	long i = datafile_find(df, 0, key, NULL, NULL);
	long dup;

	if (i < 0) {
		datafile_add(df, key, value);
		return;
	}
	datafile_replace(df, (size_t)i, value);
	/* a later line would win when the file is loaded */
	while ((dup = datafile_find(df, (size_t)i + 1, key, NULL, NULL)) >= 0)
		datafile_delete(df, (size_t)dup);
}

void datafile_add(struct datafile *df, const char *key, const char *value)
{
	struct strbuf sb = STRBUF_INIT;
	size_t at = df->n;
	long i;

	/* keep repeatable keys together: after the last line with the key */
	for (i = datafile_find(df, 0, key, NULL, NULL); i >= 0;
	     i = datafile_find(df, (size_t)i + 1, key, NULL, NULL))
		at = (size_t)i + 1;
	strbuf_appendf(&sb, "%s %s", key, value);
	datafile_insert(df, at, strbuf_cstr(&sb));
	strbuf_free(&sb);
}

void datafile_append_raw(struct datafile *df, const char *line)
{
	datafile_insert(df, df->n, line);
}

void datafile_delete(struct datafile *df, size_t i)
{
	if (i >= df->n)
		return;
	free(df->lines[i]);
	memmove(&df->lines[i], &df->lines[i + 1], (df->n - i - 1) * sizeof *df->lines);
	df->n--;
}

size_t datafile_remove(struct datafile *df, const char *key, const char *want,
		       datafile_same_fn *same)
{
	size_t i = 0, removed = 0;

	while (i < df->n) {
		if (!datafile_line_matches(df, i, key, want, same)) {
			i++;
			continue;
		}
		datafile_delete(df, i);
		removed++;
	}
	return removed;
}

/* Makes "PATH's directory" into dir. */
static void datafile_dirname(const char *path, struct strbuf *dir)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		strbuf_appendc(dir, '.');
	else if (slash == path)
		strbuf_appendc(dir, '/');
	else
		strbuf_append(dir, path, (size_t)(slash - path));
}

/*
 * Gives the new file the owner and group of the file it replaces, or of its
 * directory: run as root, sesctl must not leave files ses-milter cannot read.
 */
static int datafile_chown(int fd, const struct datafile *df)
{
	struct strbuf dir = STRBUF_INIT;
	struct stat st;
	int rc;

	if (geteuid() != 0)
		return 0;
	datafile_dirname(df->path, &dir);
	rc = stat(df->exists ? df->path : strbuf_cstr(&dir), &st);
	strbuf_free(&dir);
	if (rc != 0)
		return -1;
	return fchown(fd, st.st_uid, st.st_gid);
}

int datafile_stage(struct datafile *df, struct strbuf *err)
{
	struct strbuf text = STRBUF_INIT;
	size_t i;
	int fd, rc = 0;

	for (i = 0; i < df->n; i++) {
		strbuf_appends(&text, df->lines[i]);
		strbuf_appendc(&text, '\n');
	}
	fd = open(df->tmp_path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
		  DATAFILE_MODE);
	if (fd < 0) {
		strbuf_appendf(err, "cannot write %s: %s", df->tmp_path, strerror(errno));
		strbuf_free(&text);
		return -1;
	}
	if (fchmod(fd, DATAFILE_MODE) != 0 || datafile_chown(fd, df) != 0 ||
	    durable_write_sync(fd, text.data, text.len) != 0)
		rc = -1;
	if (close(fd) != 0)
		rc = -1;
	strbuf_free(&text);
	if (rc != 0) {
		strbuf_appendf(err, "cannot write %s: %s", df->tmp_path, strerror(errno));
		datafile_discard(df);
	}
	return rc;
}

int datafile_commit(struct datafile *df, struct strbuf *err)
{
	if (durable_rename(df->tmp_path, df->path, err) != 0)
		return -1;
	df->exists = true;
	return 0;
}

void datafile_discard(struct datafile *df)
{
	int saved = errno;

	(void)unlink(df->tmp_path);
	errno = saved;
}

int datafile_unlink(const char *path, struct strbuf *err)
{
	if (unlink(path) != 0) {
		strbuf_appendf(err, "cannot remove %s: %s", path, strerror(errno));
		return -1;
	}
	durable_sync_parent(path);
	return 0;
}
