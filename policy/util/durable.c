/*
 * durable - write, sync, rename, sync the directory; see durable.h.
 *
 * Diagnostics: the functions that can fail append one line to the caller's
 * strbuf, or return -1 with errno; nothing is logged here.
 */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "durable.h"
#include "strbuf.h"

int durable_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0) {
			errno = EIO; /* a disk that takes nothing would loop forever */
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

int durable_write_sync(int fd, const void *buf, size_t len)
{
	if (durable_write_all(fd, buf, len) != 0)
		return -1;
	return fsync(fd);
}

int durable_append(int fd, const void *buf, size_t len, off_t old_size)
{
	int saved;

	if (durable_write_sync(fd, buf, len) == 0)
		return 0;
	saved = errno;
	if (ftruncate(fd, old_size) == 0) /* leave no partial record */
		(void)fsync(fd);
	errno = saved;
	return -1;
}

void durable_sync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd >= 0) {
		(void)fsync(fd); /* best effort: some file systems refuse */
		close(fd);
	}
}

void durable_sync_parent(const char *path)
{
	struct strbuf dir = STRBUF_INIT;
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		strbuf_appendc(&dir, '.');
	else
		strbuf_append(&dir, path, slash == path ? 1 : (size_t)(slash - path));
	durable_sync_dir(strbuf_cstr(&dir));
	strbuf_free(&dir);
}

int durable_rename(const char *tmp, const char *path, struct strbuf *err)
{
	int saved;

	if (rename(tmp, path) != 0) {
		saved = errno;
		if (err != NULL)
			strbuf_appendf(err, "cannot rename %s to %s: %s", tmp, path,
				       strerror(saved));
		(void)unlink(tmp);
		errno = saved;
		return -1;
	}
	durable_sync_parent(path);
	return 0;
}

int durable_replace(const char *path, const void *data, size_t len, mode_t mode, struct strbuf *err)
{
	struct strbuf tmp = STRBUF_INIT;
	int fd, rc = -1, saved;

	strbuf_appendf(&tmp, "%s.tmp", path);
	fd = open(strbuf_cstr(&tmp), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (fd < 0) {
		if (err != NULL)
			strbuf_appendf(err, "cannot open %s: %s", strbuf_cstr(&tmp),
				       strerror(errno));
		goto out;
	}
	rc = durable_write_sync(fd, data, len);
	saved = errno;
	if (close(fd) != 0 && rc == 0) {
		rc = -1;
		saved = errno;
	}
	if (rc != 0) {
		if (err != NULL)
			strbuf_appendf(err, "cannot write %s: %s", strbuf_cstr(&tmp),
				       strerror(saved));
		(void)unlink(strbuf_cstr(&tmp));
		errno = saved;
		goto out;
	}
	rc = durable_rename(strbuf_cstr(&tmp), path, err);
out:
	strbuf_free(&tmp);
	return rc;
}
