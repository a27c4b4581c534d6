/*
 * test_xalloc - unit tests for policy/util/xalloc.c: the copies are exact, a
 * zero-byte request still gives a pointer, and running out of memory (an
 * n * size that overflows) ends the process with SIGABRT after one line
 * on stderr naming the size.
 *
 * Diagnostics: a failing case prints "got X, want Y".
 */
#include "autoconf.h"

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "xalloc.h"

static void copies_are_exact_and_zero_bytes_still_allocate(void **state)
{
	char *s = xstrdup("hello"), *n = xstrndup("hello, world", 5);
	void *z = xmalloc(0), *c = xcalloc(0, 8), *r = xrealloc(NULL, 0);

	assert_string_equal(s, "hello");
	assert_string_equal(n, "hello");
	assert_non_null(z);
	assert_non_null(c);
	assert_non_null(r);
	free(s);
	free(n);
	free(z);
	free(c);
	free(r);
}

static void overflowing_calloc_aborts_with_one_line_naming_the_size(void **state)
{
	char buf[256], want[128];
	int fds[2], status;
	ssize_t got;
	pid_t pid;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(fds[1], 2);
		close(fds[0]);
		signal(SIGABRT, SIG_DFL);
		(void)xcalloc(SIZE_MAX / 2, 4);
		_exit(0); /* not reached */
	}
	close(fds[1]);
	got = read(fds[0], buf, sizeof buf - 1);
	close(fds[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGABRT)
		fail_msg("got exit status %#x, want SIGABRT", status);
	buf[got > 0 ? got : 0] = '\0';
	snprintf(want, sizeof want, "ses-milter: out of memory (%zu bytes)\n", SIZE_MAX);
	assert_string_equal(buf, want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(copies_are_exact_and_zero_bytes_still_allocate),
		cmocka_unit_test(overflowing_calloc_aborts_with_one_line_naming_the_size),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
