/*
 * test_tmpl_store - unit tests for policy/template/tmpl_store.c: a new
 * template is staged, checked and renamed into place with the next ID; a
 * replacement swaps it whole; a removal takes it away; a change the loader
 * refuses leaves the directory as it was and no stage behind; the lock
 * file works for a second opener after the first closes.
 *
 * Diagnostics: cmocka's "got X, want Y" on the failing field.
 */
#include "autoconf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "testutil.h"
#include "tmpl_store.h"

/* Makes (or, id != 0, replaces) a template in dir; the commit's result. */
static int put(const char *dir, unsigned long id, const char *name, const char *text,
	       unsigned long *made)
{
	struct tmpl_store_change ch = { NULL, 0, NULL, NULL, NULL, NULL };
	struct diag_list diags = DIAG_LIST_INIT;
	struct strbuf err = STRBUF_INIT;
	struct tmpl_new n = {
		"acme", name, TMPL_TRANSACTIONAL, TMPL_UNDER_REVIEW, false, text, NULL
	};
	struct tmpl_db *db = tmpl_db_load(dir, &diags);
	int rc;

	assert_non_null(db);
	rc = tmpl_store_stage(&ch, dir, id != 0 ? id : tmpl_store_next_id(db), true, &err);
	if (rc == 0)
		rc = tmpl_store_write_new(&ch, &n, &err);
	if (rc == 0)
		rc = tmpl_store_commit(&ch, false, id != 0, NULL, &diags, &err);
	if (made != NULL)
		*made = ch.id;
	tmpl_store_end(&ch);
	tmpl_db_free(db);
	diag_free(&diags);
	strbuf_free(&err);
	return rc;
}

static const struct tmpl *find(struct tmpl_db **db, const char *dir, unsigned long id)
{
	struct diag_list diags = DIAG_LIST_INIT;

	*db = tmpl_db_load(dir, &diags);
	assert_non_null(*db);
	assert_int_equal(diags.n, 0);
	diag_free(&diags);
	return tmpl_by_id(*db, id);
}

static void new_template_gets_next_id_and_is_live(void **state)
{
	char *dir = testutil_tmpdir();
	unsigned long a, b;
	struct tmpl_db *db;
	const struct tmpl *t;

	(void)state;
	assert_int_equal(put(dir, 0, "first", "Hello {{name}}", &a), 0);
	assert_int_equal(put(dir, 0, "second", "Bye", &b), 0);
	assert_int_equal(a, 1);
	assert_int_equal(b, 2);
	t = find(&db, dir, 1);
	assert_non_null(t);
	assert_string_equal(t->name, "first");
	assert_string_equal(t->account, "acme");
	assert_int_equal(t->status, TMPL_UNDER_REVIEW);
	assert_string_equal(t->text, "Hello {{name}}");
	tmpl_db_free(db);
	testutil_rmtree_free(dir);
}

static void replacement_swaps_whole_and_removal_takes_it_away(void **state)
{
	struct tmpl_store_change ch = { NULL, 0, NULL, NULL, NULL, NULL };
	struct diag_list diags = DIAG_LIST_INIT;
	struct strbuf err = STRBUF_INIT;
	char *dir = testutil_tmpdir();
	struct tmpl_db *db;

	(void)state;
	assert_int_equal(put(dir, 0, "first", "One", NULL), 0);
	assert_int_equal(put(dir, 1, "renamed", "Two", NULL), 0);
	assert_string_equal(find(&db, dir, 1)->name, "renamed");
	assert_string_equal(tmpl_by_id(db, 1)->text, "Two");
	tmpl_db_free(db);
	assert_int_equal(tmpl_store_stage(&ch, dir, 1, false, &err), 0);
	assert_int_equal(tmpl_store_commit(&ch, true, true, NULL, &diags, &err), 0);
	tmpl_store_end(&ch);
	assert_null(find(&db, dir, 1));
	tmpl_db_free(db);
	diag_free(&diags);
	strbuf_free(&err);
	testutil_rmtree_free(dir);
}

static void refused_change_leaves_nothing(void **state)
{
	char *dir = testutil_tmpdir(), *stage;
	struct tmpl_db *db;
	struct stat st;

	(void)state;
	assert_int_equal(put(dir, 0, "first", "One", NULL), 0);
	/* neither text nor HTML: the loader refuses the template */
	assert_int_equal(put(dir, 1, "empty", NULL, NULL), -1);
	assert_string_equal(find(&db, dir, 1)->name, "first");
	tmpl_db_free(db);
	stage = testutil_path(dir, ".tmp-1");
	assert_int_not_equal(stat(stage, &st), 0);
	free(stage);
	testutil_rmtree_free(dir);
}

static void lock_is_taken_again_after_release(void **state)
{
	struct strbuf err = STRBUF_INIT;
	char *dir = testutil_tmpdir();
	int fd;

	(void)state;
	fd = tmpl_store_lock(dir, &err);
	assert_true(fd >= 0);
	close(fd);
	fd = tmpl_store_lock(dir, &err);
	assert_true(fd >= 0);
	close(fd);
	strbuf_free(&err);
	testutil_rmtree_free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(new_template_gets_next_id_and_is_live),
		cmocka_unit_test(replacement_swaps_whole_and_removal_takes_it_away),
		cmocka_unit_test(refused_change_leaves_nothing),
		cmocka_unit_test(lock_is_taken_again_after_release),
	};

	return cmocka_run_group_tests_name("tmpl_store", tests, NULL, NULL);
}
