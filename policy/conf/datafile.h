/*
 * datafile - line-preserving editing of "Key value" files (account files).
 *
 * A file is read into lines; edits touch only the lines they are about, so
 * comments, blank lines, spacing and the order of every other line survive.
 * Keys compare case-insensitively, as the loaders read them.
 *
 * Writing is two steps so a caller can check the result first:
 * datafile_stage writes NAME.tmp in the same directory (mode 0640, owner
 * and group of the file it replaces or of the directory, fsync'ed);
 * datafile_commit renames it over NAME, datafile_discard removes it.  The
 * account loader skips *.tmp files, so a staged file is never live.
 */
#ifndef SES_DATAFILE_H
#define SES_DATAFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "strbuf.h"

#define DATAFILE_MODE 0640

struct datafile {
	char *path;
	char *tmp_path; /* path + ".tmp" */
	char **lines;	/* without the line end */
	size_t n;
	bool exists; /* path existed when read */
};

/* Compares the first word of a value with a wanted word; true when equal. */
typedef bool datafile_same_fn(const char *word, const char *want);

/*
 * Reads path into df.  A missing file gives an empty df with exists false
 * when missing_ok, an error otherwise.  Returns 0, or -1 with the reason in
 * err.  Call datafile_free in either case.
 */
int datafile_read(struct datafile *df, const char *path, bool missing_ok, struct strbuf *err);
void datafile_free(struct datafile *df);

/*
 * Index of the first line at or after from with key whose first value word
 * matches want (any value when want is NULL; same NULL compares exactly),
 * or -1.
 */
long datafile_find(const struct datafile *df, size_t from, const char *key, const char *want,
		   datafile_same_fn *same);

/* Replaces the value of line i, keeping its key, spacing and line end. */
void datafile_replace(struct datafile *df, size_t i, const char *value);

/*
 * Sets the value of the first line with key and drops later lines with key
 * (the loader would let the last one win), or adds "key value".
 */
void datafile_set(struct datafile *df, const char *key, const char *value);

/* Adds "key value" after the last line with key, or at the end. */
void datafile_add(struct datafile *df, const char *key, const char *value);

/* Appends a line as it is (a comment, a blank line). */
void datafile_append_raw(struct datafile *df, const char *line);

/* Removes line i. */
void datafile_delete(struct datafile *df, size_t i);

/* Removes the lines datafile_find would find; returns how many. */
size_t datafile_remove(struct datafile *df, const char *key, const char *want,
		       datafile_same_fn *same);

/* Writes df to df->tmp_path.  Returns 0, or -1 with the reason in err. */
int datafile_stage(struct datafile *df, struct strbuf *err);
/* Renames the staged file over df->path.  Returns 0, or -1 with err. */
int datafile_commit(struct datafile *df, struct strbuf *err);
/* Removes the staged file, if any. */
void datafile_discard(struct datafile *df);

/* Removes path and syncs its directory.  Returns 0, or -1 with err. */
int datafile_unlink(const char *path, struct strbuf *err);

/* Case-insensitive datafile_same_fn (domain names, keywords). */
bool datafile_same_icase(const char *word, const char *want);

#endif
