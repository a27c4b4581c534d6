/*
 * test_durable - unit tests for policy/util/durable.c: a replaced file holds
 * every byte with the asked mode and no temporary left beside it; a
 * missing directory fails with the reason and leaves nothing; a rename
 * that fails removes its temporary; an append that the file size limit
 * cuts short is cut back so no partial record stays.
 *
 * Diagnostics: a failing case prints "got X, want Y".
 */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "durable.h"
#include "strbuf.h"
#include "testutil.h"

/* Reads path whole into out; fails the test when it cannot. */
static void read_whole(const char *path, struct strbuf *out)
{
	char buf[65536];
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		fail_msg("cannot open %s: %s", path, strerror(errno));
	while ((n = read(fd, buf, sizeof buf)) > 0)
		strbuf_append(out, buf, (size_t)n);
	close(fd);
}

static void replace_writes_every_byte_and_leaves_no_temporary(void **state)
{
	char *dir = testutil_tmpdir(), *path = testutil_path(dir, "big");
	char *tmp = testutil_path(dir, "big.tmp");
	struct strbuf data = STRBUF_INIT, back = STRBUF_INIT, err = STRBUF_INIT;
	struct stat st;
	size_t i;

	testutil_write_file(dir, "big", "old contents\n");
	for (i = 0; i < 300000; i++)
		strbuf_appendc(&data, (char)('a' + i % 26));
	assert_int_equal(durable_replace(path, data.data, data.len, 0640, &err), 0);
	assert_string_equal(strbuf_cstr(&err), "");
	read_whole(path, &back);
	if (back.len != data.len || memcmp(back.data, data.data, data.len) != 0)
		fail_msg("got %zu bytes back, want the %zu written", back.len, data.len);
	assert_int_equal(stat(path, &st), 0);
	if ((st.st_mode & 0777) != 0640)
		fail_msg("got mode %o, want 640", (unsigned)(st.st_mode & 0777));
	if (access(tmp, F_OK) == 0)
		fail_msg("got %s left behind, want it renamed away", tmp);
	strbuf_free(&data);
	strbuf_free(&back);
	strbuf_free(&err);
	free(tmp);
	free(path);
	testutil_rmtree_free(dir);
}

static void replace_in_a_missing_directory_fails_with_the_reason(void **state)
{
	char *dir = testutil_tmpdir(), *path = testutil_path(dir, "missing/file");
	struct strbuf err = STRBUF_INIT, want = STRBUF_INIT;

	assert_int_equal(durable_replace(path, "x\n", 2, 0640, &err), -1);
	strbuf_appendf(&want, "cannot open %s.tmp: No such file or directory", path);
	assert_string_equal(strbuf_cstr(&err), strbuf_cstr(&want));
	/* without err, the failure is still reported by the result */
	assert_int_equal(durable_replace(path, "x\n", 2, 0640, NULL), -1);
	strbuf_free(&err);
	strbuf_free(&want);
	free(path);
	testutil_rmtree_free(dir);
}

static void failed_rename_removes_the_temporary(void **state)
{
	char *dir = testutil_tmpdir(), *tmp = testutil_path(dir, "f.tmp");
	char *path = testutil_path(dir, "gone/f");
	struct strbuf err = STRBUF_INIT;

	testutil_write_file(dir, "f.tmp", "staged\n");
	assert_int_equal(durable_rename(tmp, path, &err), -1);
	if (strstr(strbuf_cstr(&err), "cannot rename ") == NULL ||
	    strstr(strbuf_cstr(&err), "No such file or directory") == NULL)
		fail_msg("got \"%s\", want \"cannot rename ... No such file or directory\"",
			 strbuf_cstr(&err));
	if (access(tmp, F_OK) == 0)
		fail_msg("got %s left behind, want it removed", tmp);
	strbuf_free(&err);
	free(path);
	free(tmp);
	testutil_rmtree_free(dir);
}

static void append_cut_short_leaves_no_partial_record(void **state)
{
	char *dir = testutil_tmpdir(), *path = testutil_path(dir, "journal");
	struct strbuf back = STRBUF_INIT;
	struct rlimit old, lim;
	int fd, rc, err;

	testutil_write_file(dir, "journal", "first record\n"); /* 13 bytes */
	fd = open(path, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(durable_append(fd, "second\n", 7, 13), 0);
	/* the size limit takes 5 of the next 20 bytes, then refuses */
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = 25;
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	rc = durable_append(fd, "a third, too long..\n", 20, 20);
	err = errno;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_DFL);
	close(fd);
	assert_int_equal(rc, -1);
	if (err != EFBIG)
		fail_msg("got errno %s, want EFBIG", strerror(err));
	read_whole(path, &back);
	assert_string_equal(strbuf_cstr(&back), "first record\nsecond\n");
	strbuf_free(&back);
	free(path);
	testutil_rmtree_free(dir);
}

static void write_all_to_a_closed_descriptor_fails(void **state)
{
	int fds[2];

	assert_int_equal(pipe(fds), 0);
	close(fds[0]);
	close(fds[1]);
	assert_int_equal(durable_write_all(fds[1], "x", 1), -1);
	assert_int_equal(errno, EBADF);
	assert_int_equal(durable_write_sync(fds[1], "x", 1), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(replace_writes_every_byte_and_leaves_no_temporary),
		cmocka_unit_test(replace_in_a_missing_directory_fails_with_the_reason),
		cmocka_unit_test(failed_rename_removes_the_temporary),
		cmocka_unit_test(append_cut_short_leaves_no_partial_record),
		cmocka_unit_test(write_all_to_a_closed_descriptor_fails),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
