/*
 * testutil - scratch files and directories for unit tests; see testutil.h.
 *
 * Diagnostics: "testutil: cannot create PATH: REASON" and the like, through
 * cmocka's fail_msg, which ends the running test.
 */
#include "autoconf.h"

#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "diag.h"
#include "strbuf.h"

#include "testutil.h"

char *testutil_path(const char *dir, const char *name)
{
	size_t len = strlen(dir) + 1 + strlen(name) + 1;
	char *path = malloc(len);

	if (path == NULL)
		fail_msg("testutil: out of memory");
	if ((size_t)snprintf(path, len, "%s/%s", dir, name) >= len)
		fail_msg("testutil: path %s/%s truncated", dir, name);
	return path;
}

char *testutil_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *path;

	if (base == NULL || *base == '\0')
		base = "/tmp";
	path = testutil_path(base, "ses-unit.XXXXXX");
	if (mkdtemp(path) == NULL)
		fail_msg("testutil: cannot create %s: %s", path, strerror(errno));
	return path;
}

/* Creates every directory on the way to path (not path's last part). */
static void testutil_mkparents(char *path)
{
	char *slash;

	for (slash = strchr(path + 1, '/'); slash != NULL; slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (mkdir(path, 0700) != 0 && errno != EEXIST)
			fail_msg("testutil: cannot create %s: %s", path, strerror(errno));
		*slash = '/';
	}
}

void testutil_mkdir(const char *dir, const char *name)
{
	char *path = testutil_path(dir, name);

	testutil_mkparents(path);
	if (mkdir(path, 0700) != 0 && errno != EEXIST)
		fail_msg("testutil: cannot create %s: %s", path, strerror(errno));
	free(path);
}

void testutil_write_file(const char *dir, const char *name, const char *content)
{
	char *path = testutil_path(dir, name);
	size_t len = strlen(content);
	FILE *fp;

	testutil_mkparents(path);
	fp = fopen(path, "w");
	if (fp == NULL)
		fail_msg("testutil: cannot create %s: %s", path, strerror(errno));
	if (fwrite(content, 1, len, fp) != len || fclose(fp) != 0)
		fail_msg("testutil: cannot write %s: %s", path, strerror(errno));
	free(path);
}

void testutil_rmtree(const char *dir)
{
	struct dirent *de;
	struct stat st;
	DIR *d;

	if (dir == NULL)
		return;
	if (lstat(dir, &st) != 0)
		return;
	if (!S_ISDIR(st.st_mode)) {
		if (unlink(dir) != 0)
			fail_msg("testutil: cannot remove %s: %s", dir, strerror(errno));
		return;
	}
	d = opendir(dir);
	if (d == NULL)
		fail_msg("testutil: cannot read %s: %s", dir, strerror(errno));
	while ((de = readdir(d)) != NULL) {
		char *path;

		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		path = testutil_path(dir, de->d_name);
		testutil_rmtree(path);
		free(path);
	}
	closedir(d);
	if (rmdir(dir) != 0)
		fail_msg("testutil: cannot remove %s: %s", dir, strerror(errno));
}

char *testutil_diag_text(const struct diag_list *dl)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	if (dl->n == 0)
		strbuf_appends(&sb, "(none)");
	for (i = 0; i < dl->n; i++)
		strbuf_appendf(&sb, "%s[%s]", i ? ", " : "", dl->msgs[i]);
	return strbuf_detach(&sb);
}

void testutil_expect_diag(const struct diag_list *dl, const char *placeholder,
			  const char *replacement, const char *want)
{
	struct strbuf full = STRBUF_INIT;
	size_t plen = strlen(placeholder), i;
	char *all;

	if (replacement != NULL && strncmp(want, placeholder, plen) == 0) {
		strbuf_appends(&full, replacement);
		strbuf_appends(&full, want + plen);
	} else {
		strbuf_appends(&full, want);
	}
	for (i = 0; i < dl->n; i++)
		if (strcmp(dl->msgs[i], strbuf_cstr(&full)) == 0) {
			strbuf_free(&full);
			return;
		}
	all = testutil_diag_text(dl);
	fail_msg("diagnostics: got %s, want one to be [%s]", all, strbuf_cstr(&full));
}

char *testutil_write_tree(const char *root, const char *subdir,
			  const struct testutil_file *files, size_t n)
{
	static unsigned seq;
	char name[128];
	char *dir;
	size_t i;

	snprintf(name, sizeof name, "data%u/%s", __atomic_add_fetch(&seq, 1, __ATOMIC_SEQ_CST),
		 subdir);
	testutil_mkdir(root, name);
	dir = testutil_path(root, name);
	for (i = 0; i < n && files[i].name != NULL; i++)
		testutil_write_file(dir, files[i].name, files[i].content);
	return dir;
}

void testutil_expect_diags(const struct diag_list *dl, const char *placeholder,
			   const char *replacement, const char *const *want, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		testutil_expect_diag(dl, placeholder, replacement, want[i]);
	if (dl->n != n)
		fail_msg("diagnostics: got %zu %s, want %zu", dl->n, testutil_diag_text(dl), n);
}

void testutil_rmtree_free(char *dir)
{
	testutil_rmtree(dir);
	free(dir);
}
