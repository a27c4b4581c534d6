/*
 * fuzzutil - helpers shared by the libFuzzer targets (see fuzzutil.h).
 */
#include "autoconf.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzzutil.h"

char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		abort();
	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

void fuzz_fields(const uint8_t *data, size_t size, char **out, size_t n)
{
	size_t i, start = 0, end;

	for (i = 0; i < n; i++)
		out[i] = NULL;
	for (i = 0; i < n && start <= size; i++) {
		end = start;
		if (i + 1 < n)
			while (end < size && data[end] != 0)
				end++;
		else
			end = size;
		out[i] = fuzz_cstr(data + start, end - start);
		if (end >= size)
			break;
		start = end + 1;
	}
}

void fuzz_fields_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
}

static char fuzz_path[512];

static void fuzz_unlink(void)
{
	if (fuzz_path[0] != '\0')
		unlink(fuzz_path);
}

const char *fuzz_write_file(const char *what, const uint8_t *data, size_t size)
{
	static int registered;
	char *path = fuzz_path;
	const char *dir = getenv("TMPDIR");
	size_t off = 0;
	ssize_t w;
	int fd;

	if (dir == NULL || *dir == '\0')
		dir = "/tmp";
	if (!registered) {
		atexit(fuzz_unlink);
		registered = 1;
	}
	snprintf(path, sizeof fuzz_path, "%s/ses-fuzz-%s.%ld", dir, what, (long)getpid());
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return NULL;
	while (off < size) {
		w = write(fd, data + off, size - off);
		if (w <= 0) {
			close(fd);
			return NULL;
		}
		off += (size_t)w;
	}
	close(fd);
	return path;
}

const struct mac_key *fuzz_key(void)
{
	static struct mac_key key;
	static int made;
	size_t i;

	if (!made) {
		for (i = 0; i < sizeof key.bytes; i++)
			key.bytes[i] = (unsigned char)(i * 7 + 3);
		made = 1;
	}
	return &key;
}
