/*
 * testutil - scratch files and directories for the cmocka unit tests.
 *
 * Each test that needs files makes its own directory with testutil_tmpdir(),
 * fills it with testutil_write_file() and removes it with testutil_rmtree(),
 * so tests never share state and leave nothing behind.
 *
 * Diagnostics: every function fails the running cmocka test (fail_msg)
 * with the path and errno text when the file system refuses; callers need
 * no error checks.
 */
#ifndef SES_TESTUTIL_H
#define SES_TESTUTIL_H

/*
 * Creates a new, empty, private directory under $TMPDIR (or /tmp) and
 * returns its path.  Caller frees; remove the tree with testutil_rmtree.
 */
char *testutil_tmpdir(void);

/* Returns "dir/name".  Caller frees. */
char *testutil_path(const char *dir, const char *name);

/*
 * Writes content to dir/name, replacing the file.  name may contain '/':
 * missing directories on the way are created.
 */
void testutil_write_file(const char *dir, const char *name, const char *content);

/* Creates dir/name and any missing parents; an existing directory is fine. */
void testutil_mkdir(const char *dir, const char *name);

/* Removes dir and everything below it; does not free dir.  NULL is allowed. */
void testutil_rmtree(const char *dir);
/* testutil_rmtree, then frees dir. */
void testutil_rmtree_free(char *dir);

/* One file of a tree a test writes. */
struct testutil_file {
	const char *name;	/* relative, may hold directories: "7/template" */
	const char *content;
};

/*
 * Writes files (at most n, stopping at a NULL name) into a fresh
 * root/dataN/subdir and returns that directory's path (caller frees).
 */
char *testutil_write_tree(const char *root, const char *subdir,
			  const struct testutil_file *files, size_t n);

struct diag_list;

/* All diagnostics of dl as one string for failure messages.  Caller frees. */
char *testutil_diag_text(const struct diag_list *dl);

/*
 * Fails the running test unless dl holds the message want, in which a
 * leading placeholder ("FILE", "DIR") stands for replacement.
 */
void testutil_expect_diag(const struct diag_list *dl, const char *placeholder,
			  const char *replacement, const char *want);

/* Fails unless dl holds exactly the n messages of want (as above), no others. */
void testutil_expect_diags(const struct diag_list *dl, const char *placeholder,
			   const char *replacement, const char *const *want, size_t n);

#endif
