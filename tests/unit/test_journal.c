/*
 * test_journal - unit tests for policy/store/journal.c and entries_write(): the
 * line format round-trips hostile addresses, malformed lines are skipped
 * and counted with their line numbers, a restore after a store restart
 * brings entries back and keeps removals removed, journals of two
 * gateways converge in either order, compaction keeps the newest record,
 * and concurrent writers (also during compaction) lose nothing.
 *
 * Diagnostics: a failing case prints "got X, want Y".
 */
#include "autoconf.h"

#include <inttypes.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "entries.h"
#include "journal.h"
#include "store_mem.h"
#include "store_tally.h"
#include "testutil.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static struct entry_record rec_make(bool present, int64_t stamp, int64_t expires,
				    const char *origin)
{
	struct entry_record r;

	memset(&r, 0, sizeof r);
	r.present = present;
	r.stamp_us = stamp;
	r.expires = expires;
	snprintf(r.origin, sizeof r.origin, "%s", origin);
	return r;
}

static void append_ok(const char *path, enum entry_kind kind, const char *scope, const char *addr,
		      struct entry_record rec)
{
	struct strbuf err = STRBUF_INIT;
	struct entry_id id = { kind, scope, addr };

	if (journal_append(path, &id, &rec, &err) != 0)
		fail_msg("append: got \"%s\", want success", strbuf_cstr(&err));
	strbuf_free(&err);
}

static bool present_in(const struct store *s, enum entry_kind kind, const char *scope,
		       const char *addr)
{
	struct entry_id id = { kind, scope, addr };
	bool present = false;

	assert_int_equal(entry_lookup(s, &id, &present), STORE_OK);
	return present;
}

/* A scratch directory and the journal path in it; free with fixture_free. */
struct fixture {
	char *dir;
	char *path;
};

static void fixture_init(struct fixture *f)
{
	f->dir = testutil_tmpdir();
	f->path = testutil_path(f->dir, "state.journal");
}

static void fixture_free(struct fixture *f)
{
	testutil_rmtree(f->dir);
	free(f->dir);
	free(f->path);
}

/* ---- format --------------------------------------------------------------------- */

struct hostile {
	enum entry_kind kind;
	const char *scope, *addr, *origin;
};

static char long_local[400];

static const struct hostile hostile_rows[] = {
	{ ENTRY_BLOCKLIST, "", "a b@example.com", "gw1" },
	{ ENTRY_BLOCKLIST, "", "\"quoted\"@example.com", "gw1" },
	{ ENTRY_BLOCKLIST, "", "100%@example.com", "gw 1%" },
	{ ENTRY_BLOCKLIST, "", "ctl\x01\x1f\x7f\x1b[0m@example.com", "gw\x01" },
	{ ENTRY_BLOCKLIST, "", "\xc3\xa4\xc3\xb6@\xe4\xbe\x8b\xe3\x81\x88.jp", "gw1" },
	{ ENTRY_BLOCKLIST, "", "line\nbreak@example.com", "gw1" },
	{ ENTRY_BLOCKLIST, "", "-", "-" },
	{ ENTRY_BLOCKLIST, "", "%2d", "%2D" },
	{ ENTRY_BLOCKLIST, "", long_local, "gw1" },
	{ ENTRY_UNSUBSCRIBE, "example.com", "tab\there@example.com", "gw1" },
	{ ENTRY_SUPPRESSION, "acme corp", "x@y", "" },
	{ ENTRY_SUSPENSION, "acme", "", "gw1" },
};

struct collected {
	size_t n;
	struct {
		enum entry_kind kind;
		char scope[1024], addr[1024];
		struct entry_record rec;
		unsigned line;
	} v[64];
};

static int collect(void *arg, const struct entry_id *id, const struct entry_record *rec,
		   unsigned line)
{
	struct collected *c = arg;

	assert_true(c->n < ARRAY_SIZE(c->v));
	c->v[c->n].kind = id->kind;
	snprintf(c->v[c->n].scope, sizeof c->v[c->n].scope, "%s", id->scope);
	snprintf(c->v[c->n].addr, sizeof c->v[c->n].addr, "%s", id->addr);
	c->v[c->n].rec = *rec;
	c->v[c->n].line = line;
	c->n++;
	return 0;
}

/* Every journal byte is printable ASCII or a newline, and a line has 7 fields. */
static void check_plain_lines(const char *path)
{
	char line[4096];
	FILE *fp = fopen(path, "r");
	size_t fields;
	char *p;

	assert_non_null(fp);
	while (fgets(line, sizeof line, fp) != NULL) {
		for (p = line, fields = 1; *p != '\n'; p++) {
			if (*p < 0x21 && *p != ' ')
				fail_msg("got byte 0x%02x in \"%s\", want printable text", *p,
					 line);
			fields += *p == ' ';
		}
		if (fields != 7)
			fail_msg("got %zu fields in \"%s\", want 7", fields, line);
	}
	fclose(fp);
}

static void append_replay_round_trips_hostile_bytes(void **state)
{
	static struct collected got;
	struct strbuf norm = STRBUF_INIT;
	size_t i, malformed = 99;
	struct fixture f;

	memset(long_local, 'l', 300);
	memcpy(long_local + 300, "@example.com", 13);
	fixture_init(&f);
	for (i = 0; i < ARRAY_SIZE(hostile_rows); i++)
		append_ok(f.path, hostile_rows[i].kind, hostile_rows[i].scope, hostile_rows[i].addr,
			  rec_make(i % 3 != 0, 1000 + (int64_t)i, (int64_t)i * 7,
				   hostile_rows[i].origin));
	check_plain_lines(f.path);
	memset(&got, 0, sizeof got);
	assert_int_equal(journal_replay(f.path, collect, &got, &malformed, NULL), 0);
	assert_int_equal(malformed, 0);
	assert_int_equal(got.n, ARRAY_SIZE(hostile_rows));
	for (i = 0; i < got.n; i++) {
		entry_normalize_addr(hostile_rows[i].addr, &norm);
		if (got.v[i].kind != hostile_rows[i].kind ||
		    strcmp(got.v[i].addr, strbuf_cstr(&norm)) != 0 ||
		    strcmp(got.v[i].rec.origin, hostile_rows[i].origin) != 0 ||
		    got.v[i].rec.stamp_us != 1000 + (int64_t)i || got.v[i].line != i + 1)
			fail_msg(
				"row %zu: got addr \"%s\" origin \"%s\" line %u, want \"%s\" \"%s\" %zu",
				i, got.v[i].addr, got.v[i].rec.origin, got.v[i].line,
				strbuf_cstr(&norm), hostile_rows[i].origin, i + 1);
	}
	strbuf_free(&norm);
	fixture_free(&f);
}

/* ---- malformed lines ------------------------------------------------------------- */

static const char malformed_text[] =
	"blocklist - good1@x 1 100 0 gw\n"	       /* 1 good */
	"garbage\n"				       /* 2 */
	"blocklist - a@b 2 100 0 gw\n"		       /* 3 bad state */
	"frobnicate - a@b 1 100 0 gw\n"		       /* 4 unknown kind */
	"blocklist acme a@b 1 100 0 gw\n"	       /* 5 scope on blocklist */
	"blocklist - a%zz@b 1 100 0 gw\n"	       /* 6 bad escape */
	"blocklist - a b@c 1 100 0 gw\n"	       /* 7 raw blank: too many fields */
	"\n"					       /* 8 empty */
	"blocklist - a@b 1 -5 0 gw\n"		       /* 9 negative stamp */
	"unsubscribe - a@b 1 100 0 gw\n"	       /* 10 no scope */
	"suspension acme a@b 1 100 0 gw\n"	       /* 11 address on suspension */
	"unsubscribe example.com good2@x 0 100 0 gw\n" /* 12 good */
	"blocklist - a@b 1 100 0 gw extra\n"	       /* 13 extra field */
	"blocklist - a@b 1 100";		       /* 14 torn last line */

static void malformed_lines_are_skipped_and_counted(void **state)
{
	static const unsigned bad_lines[] = { 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14 };
	struct diag_list diags = DIAG_LIST_INIT;
	static struct collected got;
	size_t malformed = 0, i;
	char want[64];
	struct fixture f;

	fixture_init(&f);
	testutil_write_file(f.dir, "state.journal", malformed_text);
	memset(&got, 0, sizeof got);
	assert_int_equal(journal_replay(f.path, collect, &got, &malformed, &diags), 0);
	assert_int_equal(got.n, 2);
	assert_string_equal(got.v[0].addr, "good1@x");
	assert_int_equal(got.v[1].line, 12);
	if (malformed != ARRAY_SIZE(bad_lines) || diags.n != ARRAY_SIZE(bad_lines))
		fail_msg("got %zu malformed, %zu diagnostics, want %zu", malformed, diags.n,
			 ARRAY_SIZE(bad_lines));
	for (i = 0; i < diags.n; i++) {
		snprintf(want, sizeof want, "%s:%u: ", f.path, bad_lines[i]);
		if (strncmp(diags.msgs[i], want, strlen(want)) != 0)
			fail_msg("got \"%s\", want it to start with \"%s\"", diags.msgs[i], want);
	}
	diag_free(&diags);
	fixture_free(&f);
}

static void append_after_torn_line_starts_a_new_line(void **state)
{
	static struct collected got;
	size_t malformed = 0;
	struct fixture f;

	fixture_init(&f);
	testutil_write_file(f.dir, "state.journal", "blocklist - torn@x 1 1");
	append_ok(f.path, ENTRY_BLOCKLIST, "", "after@x", rec_make(true, 5, 0, "gw"));
	memset(&got, 0, sizeof got);
	assert_int_equal(journal_replay(f.path, collect, &got, &malformed, NULL), 0);
	assert_int_equal(malformed, 1);
	assert_int_equal(got.n, 1);
	assert_string_equal(got.v[0].addr, "after@x");
	fixture_free(&f);
}

static void missing_journal_is_empty(void **state)
{
	size_t restored = 9, skipped = 9, malformed = 9;
	static struct collected got;
	struct fixture f;
	struct store s;

	fixture_init(&f);
	store_mem_open(&s);
	memset(&got, 0, sizeof got);
	assert_int_equal(journal_replay(f.path, collect, &got, &malformed, NULL), 0);
	assert_int_equal(got.n + malformed, 0);
	assert_int_equal(journal_restore(&s, f.path, &restored, &skipped, NULL), JOURNAL_OK);
	assert_int_equal(restored + skipped, 0);
	store_free(&s);
	fixture_free(&f);
}

/* ---- entries_write and restore ------------------------------------------------ */

/* Writes through entries_write and fails the test unless it answers want. */
static void write_want(const struct store *s, const char *path, enum entry_kind kind,
		       const char *scope, const char *addr, struct entry_record rec,
		       enum entries_write_result want)
{
	struct strbuf err = STRBUF_INIT;
	struct entry_id id = { kind, scope, addr };
	enum entries_write_result got = entries_write(s, path, &id, &rec, &err);

	if (got != want)
		fail_msg("entries_write: got \"%s\" (%s), want \"%s\"",
			 entries_write_result_text(got), strbuf_cstr(&err),
			 entries_write_result_text(want));
	strbuf_free(&err);
}

static void restore_after_restart_brings_entries_back(void **state)
{
	int64_t later = (int64_t)time(NULL) + 3600;
	size_t restored = 0, skipped = 9;
	struct fixture f;
	struct store s;

	fixture_init(&f);
	store_mem_open(&s);
	write_want(&s, f.path, ENTRY_BLOCKLIST, "", "<Bounced@Example.COM>",
		   rec_make(true, 100, later, "gw1"), ENTRIES_WRITE_OK);
	write_want(&s, f.path, ENTRY_UNSUBSCRIBE, "example.com", "u@x",
		   rec_make(true, 101, 0, "gw1"), ENTRIES_WRITE_OK);
	write_want(&s, f.path, ENTRY_SUPPRESSION, "acme", "c@x", rec_make(true, 102, 0, "gw1"),
		   ENTRIES_WRITE_OK);
	write_want(&s, f.path, ENTRY_SUSPENSION, "acme", "", rec_make(true, 103, 0, "gw1"),
		   ENTRIES_WRITE_OK);
	write_want(&s, f.path, ENTRY_BLOCKLIST, "", "removed@x", rec_make(true, 104, 0, "gw1"),
		   ENTRIES_WRITE_OK);
	write_want(&s, f.path, ENTRY_BLOCKLIST, "", "removed@x", rec_make(false, 105, 0, "gw1"),
		   ENTRIES_WRITE_OK);
	append_ok(f.path, ENTRY_BLOCKLIST, "", "expired@x",
		  rec_make(true, 106, (int64_t)time(NULL) - 1, "gw1"));
	store_mem_restart(&s);
	assert_false(present_in(&s, ENTRY_BLOCKLIST, "", "bounced@example.com"));
	assert_int_equal(journal_restore(&s, f.path, &restored, &skipped, NULL), JOURNAL_OK);
	if (restored != 5 || skipped != 0)
		fail_msg("got %zu restored, %zu skipped, want 5 and 0", restored, skipped);
	assert_true(present_in(&s, ENTRY_BLOCKLIST, "", "bounced@example.com"));
	assert_true(present_in(&s, ENTRY_UNSUBSCRIBE, "example.com", "u@x"));
	assert_true(present_in(&s, ENTRY_SUPPRESSION, "acme", "c@x"));
	assert_true(present_in(&s, ENTRY_SUSPENSION, "acme", ""));
	assert_false(present_in(&s, ENTRY_BLOCKLIST, "", "removed@x"));
	assert_false(present_in(&s, ENTRY_BLOCKLIST, "", "expired@x"));
	/* the removal itself is back, so an older add from elsewhere loses */
	append_ok(f.path, ENTRY_BLOCKLIST, "", "removed@x", rec_make(true, 50, 0, "gw0"));
	assert_int_equal(journal_restore(&s, f.path, &restored, &skipped, NULL), JOURNAL_OK);
	assert_false(present_in(&s, ENTRY_BLOCKLIST, "", "removed@x"));
	store_free(&s);
	fixture_free(&f);
}

/* ---- restore marks: the window between a restart and the replay ------------- */

/* The lookup's result for a blocklisted address, and whether it is present. */
static enum store_result lookup_bl(const struct store *s, const char *addr, bool *present)
{
	struct entry_id id = { ENTRY_BLOCKLIST, "", addr };

	*present = false;
	return entry_lookup(s, &id, present);
}

static void guarded_lookup_fails_between_restart_and_replay(void **state)
{
	size_t restored = 0, skipped = 0;
	struct fixture f;
	struct store s;
	bool present = false;
	enum store_result r;

	fixture_init(&f);
	store_mem_open(&s);
	s.guard = "rs:gw1";
	assert_int_equal(journal_restore_marked(&s, f.path, &restored, &skipped, NULL), JOURNAL_OK);
	write_want(&s, f.path, ENTRY_BLOCKLIST, "", "bounced@x", rec_make(true, 100, 0, "gw1"),
		   ENTRIES_WRITE_OK);
	assert_int_equal(lookup_bl(&s, "bounced@x", &present), STORE_OK);
	assert_true(present);
	store_mem_restart(&s);
	/* the restarted server answers "absent"; the lookup must not believe it */
	r = lookup_bl(&s, "bounced@x", &present);
	if (r != STORE_ERROR || present)
		fail_msg("after restart: got %s present=%d, want backend error",
			 store_result_name(r), present);
	r = lookup_bl(&s, "never-listed@x", &present);
	if (r != STORE_ERROR)
		fail_msg("unlisted after restart: got %s, want backend error", store_result_name(r));
	assert_true(store_restore_wait(0));	/* the lookups asked for a replay */
	assert_int_equal(journal_restore_marked(&s, f.path, &restored, &skipped, NULL), JOURNAL_OK);
	assert_int_equal(lookup_bl(&s, "bounced@x", &present), STORE_OK);
	assert_true(present);
	assert_int_equal(lookup_bl(&s, "never-listed@x", &present), STORE_OK);
	assert_false(present);
	store_free(&s);
	fixture_free(&f);
}

/* A dead server met on the request path wakes the restore thread, asking no replay. */
static void dead_server_wakes_restore_check_without_replay(void **state)
{
	(void)state;
	store_servers_changed();
	assert_false(store_restore_wait(60));	/* woken at once: the test would hang */
	store_restore_wanted();
	store_servers_changed();
	assert_true(store_restore_wait(60));	/* a replay asked for wins */
}

static void pending_mark_is_not_restored(void **state)
{
	struct fixture f;
	struct store s;
	bool present;

	fixture_init(&f);
	store_mem_open(&s);
	s.guard = "rs:gw1";
	assert_int_equal(store_mark(&s, false), STORE_OK);
	if (lookup_bl(&s, "a@x", &present) != STORE_ERROR)
		fail_msg("during the replay: got a lookup answer, want backend error");
	assert_int_equal(store_mark(&s, true), STORE_OK);
	assert_int_equal(lookup_bl(&s, "a@x", &present), STORE_OK);
	store_free(&s);
	fixture_free(&f);
}

static void restart_during_replay_leaves_no_done_mark(void **state)
{
	struct store s;
	bool present;
	enum store_result r;

	store_mem_open(&s);
	s.guard = "rs:gw1";
	assert_int_equal(store_mark(&s, false), STORE_OK);
	store_mem_restart(&s);	/* the entries replayed so far are gone */
	r = store_mark(&s, true);
	if (r != STORE_NOT_FOUND)
		fail_msg("done after a restart mid-replay: got %s, want not found",
			 store_result_name(r));
	assert_int_equal(lookup_bl(&s, "a@x", &present), STORE_ERROR);
	store_free(&s);
}

static void other_gateway_mark_does_not_restore_this_one(void **state)
{
	struct store a, b;
	bool present;

	store_mem_open(&a);
	a.guard = "rs:gw1";
	b = a;
	b.guard = "rs:gw2";	/* the same server seen by a second gateway */
	assert_int_equal(store_mark(&a, false), STORE_OK);
	assert_int_equal(store_mark(&a, true), STORE_OK);
	assert_int_equal(lookup_bl(&a, "a@x", &present), STORE_OK);
	if (lookup_bl(&b, "a@x", &present) != STORE_ERROR)
		fail_msg("gw2 before its own replay: got an answer, want backend error");
	store_free(&a);
}

static void unguarded_store_answers_after_restart(void **state)
{
	struct store s;
	bool present;

	store_mem_open(&s);	/* sesctl: no guard */
	store_mem_restart(&s);
	assert_int_equal(lookup_bl(&s, "a@x", &present), STORE_OK);
	store_free(&s);
}

/* ---- day counters across a restart ------------------------------------------- */

static uint64_t count_ok(const struct store *s, const char *key)
{
	uint64_t v = 0;
	enum store_result r = store_count(s, key, 1, 1, 86400, &v);

	if (r != STORE_OK)
		fail_msg("count %s: got %s, want ok", key, store_result_name(r));
	return v;
}

static void day_counter_survives_restart(void **state)
{
	size_t restored = 0, skipped = 0;
	struct fixture f;
	struct store s;
	uint64_t v = 0;
	int i;

	fixture_init(&f);
	store_tally_clear();
	store_mem_open(&s);
	s.guard = "rs:gw1";
	assert_int_equal(journal_restore_marked(&s, f.path, &restored, &skipped, NULL), JOURNAL_OK);
	for (i = 0; i < 7; i++)
		count_ok(&s, "dq:acme:20261205");
	store_mem_restart(&s);
	if (store_count(&s, "dq:acme:20261205", 1, 1, 86400, &v) != STORE_ERROR)
		fail_msg("count before the replay: got %" PRIu64 ", want backend error", v);
	assert_int_equal(journal_restore_marked(&s, f.path, &restored, &skipped, NULL), JOURNAL_OK);
	v = count_ok(&s, "dq:acme:20261205");
	if (v != 8)
		fail_msg("after restart and replay: got %" PRIu64 ", want 8 (overshoot 0)", v);
	store_free(&s);
	store_tally_clear();
	fixture_free(&f);
}

static void restore_keeps_the_larger_count(void **state)
{
	struct store s;
	struct strbuf val = STRBUF_INIT;
	uint64_t v = 0;
	size_t raised = 0;

	store_tally_clear();
	store_mem_open(&s);
	store_tally_note("bn:acme:20261205", 10);	/* another reading, higher */
	assert_int_equal(store_incr(&s, "bn:acme:20261205", 12, 12, 0, &v), STORE_OK);
	assert_int_equal(store_tally_restore(&s, &raised), STORE_OK);
	assert_int_equal(store_get(&s, "bn:acme:20261205", &val), STORE_OK);
	if (strcmp(strbuf_cstr(&val), "12") != 0 || raised != 0)
		fail_msg("got %s (%zu raised), want 12 kept (0 raised)", strbuf_cstr(&val), raised);
	store_mem_restart(&s);
	assert_int_equal(store_tally_restore(&s, &raised), STORE_OK);
	strbuf_reset(&val);
	assert_int_equal(store_get(&s, "bn:acme:20261205", &val), STORE_OK);
	if (strcmp(strbuf_cstr(&val), "10") != 0 || raised != 1)
		fail_msg("after restart: got %s (%zu raised), want 10 (1)", strbuf_cstr(&val), raised);
	assert_int_equal(store_incr(&s, "bn:acme:20261205", 1, 1, 0, &v), STORE_OK);
	assert_int_equal(v, 11);
	strbuf_free(&val);
	store_free(&s);
	store_tally_clear();
}

static void store_down_write_is_journaled_and_restored_later(void **state)
{
	size_t restored = 0, skipped = 0;
	struct fixture f;
	struct store s;

	fixture_init(&f);
	store_mem_open(&s);
	store_mem_set_down(&s, true);
	write_want(&s, f.path, ENTRY_BLOCKLIST, "", "late@x", rec_make(true, 100, 0, "gw1"),
		   ENTRIES_WRITE_JOURNALED);
	assert_int_equal(journal_restore(&s, f.path, &restored, &skipped, NULL),
			 JOURNAL_STORE_ERROR);
	store_mem_set_down(&s, false);
	assert_false(present_in(&s, ENTRY_BLOCKLIST, "", "late@x"));
	assert_int_equal(journal_restore(&s, f.path, &restored, &skipped, NULL), JOURNAL_OK);
	assert_int_equal(restored, 1);
	assert_true(present_in(&s, ENTRY_BLOCKLIST, "", "late@x"));
	store_free(&s);
	fixture_free(&f);
}

static void journal_failure_changes_nothing(void **state)
{
	struct strbuf err = STRBUF_INIT;
	struct entry_id id = { ENTRY_BLOCKLIST, "", "x@y" };
	struct entry_record rec = rec_make(true, 100, 0, "gw1");
	struct fixture f;
	struct store s;
	char *path;

	fixture_init(&f);
	path = testutil_path(f.dir, "no-such-dir/state.journal");
	store_mem_open(&s);
	assert_int_equal(entries_write(&s, path, &id, &rec, &err), ENTRIES_WRITE_FAILED);
	if (strstr(strbuf_cstr(&err), path) == NULL)
		fail_msg("got error \"%s\", want it to name %s", strbuf_cstr(&err), path);
	assert_int_equal(store_mem_count(&s), 0);
	strbuf_free(&err);
	free(path);
	store_free(&s);
	fixture_free(&f);
}

/* Gateway A adds x then y; gateway B removes x later and y earlier. */
static void two_gateways(const char *a, const char *b)
{
	append_ok(a, ENTRY_BLOCKLIST, "", "x@example.com", rec_make(true, 100, 0, "gw-a"));
	append_ok(a, ENTRY_BLOCKLIST, "", "y@example.com", rec_make(true, 300, 0, "gw-a"));
	append_ok(a, ENTRY_UNSUBSCRIBE, "example.com", "t@x", rec_make(true, 500, 0, "gw-a"));
	append_ok(b, ENTRY_BLOCKLIST, "", "x@example.com", rec_make(false, 200, 0, "gw-b"));
	append_ok(b, ENTRY_BLOCKLIST, "", "y@example.com", rec_make(false, 250, 0, "gw-b"));
	append_ok(b, ENTRY_UNSUBSCRIBE, "example.com", "t@x", rec_make(false, 500, 0, "gw-b"));
}

static void restore_both(const struct store *s, const char *first, const char *second)
{
	assert_int_equal(journal_restore(s, first, NULL, NULL, NULL), JOURNAL_OK);
	assert_int_equal(journal_restore(s, second, NULL, NULL, NULL), JOURNAL_OK);
}

static void two_journals_converge_in_either_order(void **state)
{
	struct entry_record r1, r2;
	struct entry_id y = { ENTRY_BLOCKLIST, "", "y@example.com" };
	struct store s1, s2;
	struct fixture f;
	bool found = false;
	char *a, *b;

	fixture_init(&f);
	a = testutil_path(f.dir, "a.journal");
	b = testutil_path(f.dir, "b.journal");
	two_gateways(a, b);
	store_mem_open(&s1);
	store_mem_open(&s2);
	restore_both(&s1, a, b);
	restore_both(&s2, b, a);
	assert_false(present_in(&s1, ENTRY_BLOCKLIST, "", "x@example.com"));
	assert_false(present_in(&s2, ENTRY_BLOCKLIST, "", "x@example.com"));
	assert_true(present_in(&s1, ENTRY_BLOCKLIST, "", "y@example.com"));
	assert_true(present_in(&s2, ENTRY_BLOCKLIST, "", "y@example.com"));
	/* same stamp: the later origin ("gw-b") wins on both */
	assert_false(present_in(&s1, ENTRY_UNSUBSCRIBE, "example.com", "t@x"));
	assert_false(present_in(&s2, ENTRY_UNSUBSCRIBE, "example.com", "t@x"));
	assert_int_equal(entry_get(&s1, &y, &r1, &found), STORE_OK);
	assert_int_equal(entry_get(&s2, &y, &r2, &found), STORE_OK);
	assert_int_equal(entry_record_cmp(&r1, &r2), 0);
	store_free(&s1);
	store_free(&s2);
	free(a);
	free(b);
	fixture_free(&f);
}

static void compact_keeps_the_newest_record_per_entry(void **state)
{
	struct journal_set set = JOURNAL_SET_INIT;
	struct diag_list diags = DIAG_LIST_INIT;
	int64_t later = (int64_t)time(NULL) + 3600;
	size_t before = 0, after = 0;
	struct fixture f;
	int i;

	fixture_init(&f);
	for (i = 1; i <= 5; i++)
		append_ok(f.path, ENTRY_BLOCKLIST, "", "flap@x", rec_make(i % 2, i, later, "gw"));
	append_ok(f.path, ENTRY_BLOCKLIST, "", "gone@x", rec_make(true, 1, 0, "gw"));
	append_ok(f.path, ENTRY_BLOCKLIST, "", "gone@x", rec_make(false, 2, 0, "gw"));
	append_ok(f.path, ENTRY_BLOCKLIST, "", "old@x", rec_make(true, 3, later, "gw"));
	append_ok(f.path, ENTRY_BLOCKLIST, "", "old@x",
		  rec_make(true, 4, (int64_t)time(NULL) - 1, "gw"));
	append_ok(f.path, ENTRY_SUSPENSION, "acme", "", rec_make(true, 9, 0, "gw"));
	assert_int_equal(journal_compact(f.path, &before, &after, &diags), JOURNAL_OK);
	if (before != 10 || after != 3 || diags.n != 0)
		fail_msg("got %zu -> %zu lines, %zu diagnostics; want 10 -> 3, none", before, after,
			 diags.n);
	assert_int_equal(journal_load(f.path, false, &set, NULL), 0);
	assert_int_equal(set.n, 3);
	assert_string_equal(set.v[0].addr, "flap@x"); /* sorted by kind, scope, address */
	assert_int_equal(set.v[0].rec.stamp_us, 5);
	assert_true(set.v[0].rec.present);
	assert_string_equal(set.v[1].addr, "gone@x");
	assert_false(set.v[1].rec.present); /* the removal is kept */
	assert_int_equal(set.v[2].kind, ENTRY_SUSPENSION);
	journal_set_free(&set);
	diag_free(&diags);
	fixture_free(&f);
}

/* ---- concurrency ---------------------------------------------------------------- */

#define RACE_WRITERS 3
#define RACE_LINES 150

struct race_arg {
	const char *path;
	int t;
	int *running; /* writers still appending (atomic) */
};

static void *race_appender(void *p)
{
	const struct race_arg *a = p;
	struct strbuf addr = STRBUF_INIT;
	int i;

	for (i = 0; i < RACE_LINES; i++) {
		strbuf_reset(&addr);
		strbuf_appendf(&addr, "w%d-%d@x", a->t, i);
		append_ok(a->path, ENTRY_BLOCKLIST, "", strbuf_cstr(&addr),
			  rec_make(true, i + 1, 0, "gw"));
	}
	strbuf_free(&addr);
	__atomic_sub_fetch(a->running, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static void concurrent_appends_during_compaction_lose_nothing(void **state)
{
	struct journal_set set = JOURNAL_SET_INIT;
	struct race_arg args[RACE_WRITERS];
	pthread_t th[RACE_WRITERS];
	int t, compactions = 0, running = RACE_WRITERS;
	struct fixture f;

	fixture_init(&f);
	for (t = 0; t < RACE_WRITERS; t++) {
		args[t] = (struct race_arg){ f.path, t, &running };
		assert_int_equal(pthread_create(&th[t], NULL, race_appender, &args[t]), 0);
	}
	while (__atomic_load_n(&running, __ATOMIC_SEQ_CST) > 0) { /* compact all along */
		assert_int_equal(journal_compact(f.path, NULL, NULL, NULL), JOURNAL_OK);
		compactions++;
	}
	for (t = 0; t < RACE_WRITERS; t++)
		pthread_join(th[t], NULL);
	assert_int_equal(journal_load(f.path, true, &set, NULL), 0);
	if (set.n != RACE_WRITERS * RACE_LINES || set.malformed != 0)
		fail_msg("got %zu entries, %zu malformed lines after %d compactions; want %d and 0",
			 set.n, set.malformed, compactions, RACE_WRITERS * RACE_LINES);
	journal_set_free(&set);
	fixture_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(append_replay_round_trips_hostile_bytes),
		cmocka_unit_test(malformed_lines_are_skipped_and_counted),
		cmocka_unit_test(append_after_torn_line_starts_a_new_line),
		cmocka_unit_test(missing_journal_is_empty),
		cmocka_unit_test(restore_after_restart_brings_entries_back),
		cmocka_unit_test(guarded_lookup_fails_between_restart_and_replay),
		cmocka_unit_test(dead_server_wakes_restore_check_without_replay),
		cmocka_unit_test(pending_mark_is_not_restored),
		cmocka_unit_test(restart_during_replay_leaves_no_done_mark),
		cmocka_unit_test(other_gateway_mark_does_not_restore_this_one),
		cmocka_unit_test(unguarded_store_answers_after_restart),
		cmocka_unit_test(day_counter_survives_restart),
		cmocka_unit_test(restore_keeps_the_larger_count),
		cmocka_unit_test(store_down_write_is_journaled_and_restored_later),
		cmocka_unit_test(journal_failure_changes_nothing),
		cmocka_unit_test(two_journals_converge_in_either_order),
		cmocka_unit_test(compact_keeps_the_newest_record_per_entry),
		cmocka_unit_test(concurrent_appends_during_compaction_lose_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
