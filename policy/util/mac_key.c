/*
 * mac_key - the feedback loop's secret key file; see mac.h.
 *
 * The key authenticates VERP addresses and unsubscribe tokens: whoever
 * reads it can blocklist or unsubscribe any address, so the loader
 * refuses a file that others may read or that anyone but its owner may
 * write.  A new key is written to a private temporary file and then
 * link()ed into place: link fails when the name exists, so when the
 * daemon and sesctl both create the key at once exactly one file wins and
 * the loser loads it, and no reader ever sees a partly written key.
 *
 * Diagnostics: see mac.h; every message starts with the file's path.
 */
#include "autoconf.h"

#include <sys/types.h>
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "durable.h"
#include "mac.h"
#include "strbuf.h"

void mac_key_path(const char *data_dir, struct strbuf *out)
{
	size_t n = strlen(data_dir);

	strbuf_append(out, data_dir, n);
	if (n == 0 || data_dir[n - 1] != '/')
		strbuf_appendc(out, '/');
	strbuf_appends(out, MAC_KEY_FILE);
}

void mac_key_clear(struct mac_key *key)
{
	OPENSSL_cleanse(key->bytes, sizeof key->bytes);
}

/* Checks what fstat says about an open key file.  0 or -1 with err. */
static int mac_key_check_stat(int fd, const char *path, struct strbuf *err)
{
	struct stat st;

	if (fstat(fd, &st) != 0) {
		strbuf_appendf(err, "%s: cannot read: %s", path, strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		strbuf_appendf(err, "%s: not a regular file", path);
		return -1;
	}
	if ((st.st_mode & S_IRWXO) != 0) {
		strbuf_appendf(err, "%s: readable or writable by others (chmod 0600)", path);
		return -1;
	}
	if ((st.st_mode & S_IWGRP) != 0) {
		strbuf_appendf(err, "%s: writable by its group (chmod 0600)", path);
		return -1;
	}
	if (st.st_size != MAC_KEY_LEN) {
		strbuf_appendf(err, "%s: %lld bytes (want %d)", path, (long long)st.st_size,
			       MAC_KEY_LEN);
		return -1;
	}
	return 0;
}

/* Reads exactly MAC_KEY_LEN bytes from fd.  0 or -1 with err. */
static int mac_key_read(int fd, const char *path, struct mac_key *key, struct strbuf *err)
{
	unsigned char extra;
	size_t have = 0;
	ssize_t n = 0;

	while (have < MAC_KEY_LEN) {
		n = read(fd, key->bytes + have, MAC_KEY_LEN - have);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		have += (size_t)n;
	}
	if (have == MAC_KEY_LEN) {
		n = read(fd, &extra, 1);
		if (n == 0)
			return 0;
	}
	if (n < 0)
		strbuf_appendf(err, "%s: cannot read: %s", path, strerror(errno));
	else
		strbuf_appendf(err, "%s: changed size while read (want %d bytes)", path,
			       MAC_KEY_LEN);
	mac_key_clear(key);
	return -1;
}

int mac_key_load(const char *path, struct mac_key *key, struct strbuf *err)
{
	int fd = open(path, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	int rc;

	if (fd < 0) {
		strbuf_appendf(err, "%s: cannot open: %s", path, strerror(errno));
		return -1;
	}
	rc = mac_key_check_stat(fd, path, err);
	if (rc == 0)
		rc = mac_key_read(fd, path, key, err);
	close(fd);
	if (rc != 0)
		mac_key_clear(key);
	return rc;
}

/*
 * Writes key to a new private file next to path and links it to path.
 * Returns 0, 1 when path appeared meanwhile (nothing written there), or
 * -1 with err.
 */
static int mac_key_write_new(const char *path, const struct mac_key *key, struct strbuf *err)
{
	struct strbuf tmp = STRBUF_INIT;
	int fd, rc = -1;

	strbuf_appendf(&tmp, "%s.XXXXXX", path);
	fd = mkstemp(tmp.data);
	if (fd < 0) {
		strbuf_appendf(err, "%s: cannot create: %s", path, strerror(errno));
		strbuf_free(&tmp);
		return -1;
	}
	if (fchmod(fd, 0600) != 0 || durable_write_sync(fd, key->bytes, MAC_KEY_LEN) != 0)
		strbuf_appendf(err, "%s: cannot write: %s", path, strerror(errno));
	else if (link(tmp.data, path) == 0)
		rc = 0;
	else if (errno == EEXIST)
		rc = 1;
	else
		strbuf_appendf(err, "%s: cannot create: %s", path, strerror(errno));
	close(fd);
	unlink(tmp.data);
	if (rc == 0)
		durable_sync_parent(path);
	strbuf_free(&tmp);
	return rc;
}

int mac_key_ensure(const char *path, struct mac_key *key, bool *created, struct strbuf *err)
{
	struct stat st;
	int rc;

	if (created != NULL)
		*created = false;
	if (lstat(path, &st) == 0 || errno != ENOENT)
		return mac_key_load(path, key, err);
	if (RAND_bytes(key->bytes, MAC_KEY_LEN) != 1) {
		strbuf_appendf(err, "%s: no random bytes", path);
		return -1;
	}
	rc = mac_key_write_new(path, key, err);
	if (rc < 0) {
		mac_key_clear(key);
		return -1;
	}
	if (rc == 1) /* another process made it first: use theirs */
		return mac_key_load(path, key, err);
	if (created != NULL)
		*created = true;
	return 0;
}
