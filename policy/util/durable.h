/*
 * durable - the one way ses-milter makes a file survive a crash.
 *
 * Every file the daemon or sesctl writes for keeps (the journal, data
 * files, keys, the callback queue, templates) goes through here: all bytes
 * written (EINTR and short writes retried), the file fsync'd, renamed over
 * its target, and the directory fsync'd so the new name is durable too.
 * The directory sync is best effort: some file systems refuse it, and the
 * data itself is already on disk by then.
 */
#ifndef SES_DURABLE_H
#define SES_DURABLE_H

#include <stddef.h>
#include <sys/types.h>

struct strbuf;

/* Writes all len bytes of buf to fd; 0, or -1 with errno (EIO on a 0 write). */
int durable_write_all(int fd, const void *buf, size_t len);

/* durable_write_all, then fsync(fd); 0, or -1 with errno. */
int durable_write_sync(int fd, const void *buf, size_t len);

/*
 * Appends buf to fd (opened O_APPEND) and syncs it; on failure cuts the
 * file back to old_size so no partial record is left.  0, or -1 with errno
 * of the failed write.
 */
int durable_append(int fd, const void *buf, size_t len, off_t old_size);

/* Syncs directory dir (best effort). */
void durable_sync_dir(const char *dir);

/* Syncs the directory holding path (best effort). */
void durable_sync_parent(const char *path);

/*
 * Renames tmp over path and syncs the directory.  0, or -1 with
 * "cannot rename TMP to PATH: REASON" appended to err (when not NULL); tmp
 * is removed on failure.
 */
int durable_rename(const char *tmp, const char *path, struct strbuf *err);

/*
 * Replaces path with data: writes PATH.tmp (mode), syncs it, renames it
 * over path and syncs the directory.  0, or -1 with "cannot open|write|
 * rename ..." appended to err (when not NULL); nothing is left behind.
 */
int durable_replace(const char *path, const void *data, size_t len, mode_t mode,
		    struct strbuf *err);

#endif
