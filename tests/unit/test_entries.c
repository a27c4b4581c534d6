/*
 * test_entries - unit tests for policy/store/entries.c on the in-memory store:
 * lookups, last-writer-wins ordering (older writes ignored, ties broken by
 * origin, removals beating older adds), expiry, address normalisation,
 * record text, keys, a store that is down, and the compare-and-swap loop
 * under rival writers (injected deterministically and from 4 threads),
 * and the store's multi-get (store_mget) that entry lookups are read by.
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
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "entries.h"
#include "store_mem.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const struct entry_id bl_user = { ENTRY_BLOCKLIST, "", "user@example.com" };

/* A record: present or removed, stamp, expiry, origin. */
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

/* Looks id up and fails the test on a store error. */
static bool present_in(const struct store *s, const struct entry_id *id)
{
	bool present = false;
	enum store_result r = entry_lookup(s, id, &present);

	if (r != STORE_OK)
		fail_msg("lookup: got %s, want ok", store_result_name(r));
	return present;
}

/* The stored record of id; fails the test when there is none. */
static struct entry_record stored(const struct store *s, const struct entry_id *id)
{
	struct entry_record rec;
	bool found = false;

	if (entry_get(s, id, &rec, &found) != STORE_OK || !found)
		fail_msg("got no stored record, want one");
	return rec;
}

static void put_ok(const struct store *s, const struct entry_id *id, struct entry_record rec)
{
	enum store_result r = entry_put(s, id, &rec);

	if (r != STORE_OK)
		fail_msg("put: got %s, want ok", store_result_name(r));
}

/* ---- lookups and last-writer-wins ------------------------------------------ */

static void missing_key_is_absent(void **state)
{
	struct store s;

	store_mem_open(&s);
	assert_false(present_in(&s, &bl_user));
	store_free(&s);
}

static void put_entry_is_present(void **state)
{
	struct store s;

	store_mem_open(&s);
	put_ok(&s, &bl_user, rec_make(true, 100, 0, "gw1"));
	assert_true(present_in(&s, &bl_user));
	assert_int_equal(stored(&s, &bl_user).stamp_us, 100);
	store_free(&s);
}

/* One ordering case: two writes, in order, and who must win. */
struct lww_case {
	const char *name;
	struct entry_record first, second;
	bool want_present;
	int64_t want_stamp;
	const char *want_origin;
};

/* clang-format off */
static const struct lww_case lww_cases[] = {
	{ "newer_removal_wins",
	  { true, 100, 0, "gw1" }, { false, 200, 0, "gw1" }, false, 200, "gw1" },
	{ "newer_add_wins",
	  { false, 100, 0, "gw1" }, { true, 200, 0, "gw1" }, true, 200, "gw1" },
	{ "older_removal_is_ignored",
	  { true, 200, 0, "gw1" }, { false, 100, 0, "gw2" }, true, 200, "gw1" },
	{ "tombstone_beats_older_add",
	  { false, 200, 0, "gw2" }, { true, 100, 0, "gw1" }, false, 200, "gw2" },
	{ "tie_broken_by_origin_later_second",
	  { true, 100, 0, "gw-a" }, { false, 100, 0, "gw-b" }, false, 100, "gw-b" },
	{ "tie_broken_by_origin_later_first",
	  { false, 100, 0, "gw-b" }, { true, 100, 0, "gw-a" }, false, 100, "gw-b" },
	{ "full_tie_removal_wins_add_first",
	  { true, 100, 0, "gw" }, { false, 100, 0, "gw" }, false, 100, "gw" },
	{ "full_tie_removal_wins_removal_first",
	  { false, 100, 0, "gw" }, { true, 100, 0, "gw" }, false, 100, "gw" },
	{ "same_record_twice_is_idempotent",
	  { true, 100, 0, "gw" }, { true, 100, 0, "gw" }, true, 100, "gw" },
};
/* clang-format on */

static void lww_orders_writes(void **state)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(lww_cases); i++) {
		const struct lww_case *c = &lww_cases[i];
		struct entry_record got;
		struct store s;

		store_mem_open(&s);
		put_ok(&s, &bl_user, c->first);
		put_ok(&s, &bl_user, c->second);
		got = stored(&s, &bl_user);
		if (present_in(&s, &bl_user) != c->want_present || got.stamp_us != c->want_stamp ||
		    strcmp(got.origin, c->want_origin) != 0)
			fail_msg("%s: got present=%d stamp=%" PRId64 " origin=%s, want %d %" PRId64
				 " %s",
				 c->name, present_in(&s, &bl_user), got.stamp_us, got.origin,
				 c->want_present, c->want_stamp, c->want_origin);
		store_free(&s);
	}
}

/* ---- expiry ------------------------------------------------------------------ */

static void expired_record_in_store_is_absent(void **state)
{
	struct strbuf key = STRBUF_INIT, val = STRBUF_INIT;
	struct entry_record old = rec_make(true, 100, (int64_t)time(NULL) - 10, "gw1");
	struct store s;

	store_mem_open(&s);
	entry_key(&bl_user, &key);
	entry_record_format(&old, &val);
	assert_int_equal(store_set(&s, strbuf_cstr(&key), val.data, val.len, 0), STORE_OK);
	assert_false(present_in(&s, &bl_user));
	strbuf_free(&key);
	strbuf_free(&val);
	store_free(&s);
}

static void put_of_expired_record_writes_nothing(void **state)
{
	struct entry_record old = rec_make(true, 100, (int64_t)time(NULL) - 1, "gw1");
	struct store s;

	store_mem_open(&s);
	assert_int_equal(entry_put(&s, &bl_user, &old), STORE_OK);
	assert_int_equal(store_mem_count(&s), 0);
	store_free(&s);
}

static void entry_leaves_store_when_it_expires(void **state)
{
	time_t now = time(NULL);
	struct store s;

	store_mem_open(&s);
	put_ok(&s, &bl_user, rec_make(true, 100, (int64_t)now + 100, "gw1"));
	store_mem_set_time(&s, now + 99);
	assert_true(present_in(&s, &bl_user));
	store_mem_set_time(&s, now + 101);
	assert_int_equal(store_mem_count(&s), 0);
	assert_false(present_in(&s, &bl_user));
	store_free(&s);
}

/* ---- normalisation, keys, record text ---------------------------------------- */

static const struct {
	const char *in, *want;
} norm_cases[] = {
	{ "<User@Example.COM>", "user@example.com" },
	{ "  <User@Example.COM>  ", "user@example.com" },
	{ "< a@b >", "a@b" },
	{ "\tA@B\r\n", "a@b" },
	{ "<>", "" },
	{ "", "" },
	{ "<a@b", "<a@b" },
	{ "\xc3\x84Q@\xe4\xbe\x8b.JP", "\xc3\x84q@\xe4\xbe\x8b.jp" }, /* UTF-8 kept */
	{ "A B\"%@X", "a b\"%@x" },
};

static void normalises_addresses(void **state)
{
	struct strbuf out = STRBUF_INIT;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(norm_cases); i++) {
		entry_normalize_addr(norm_cases[i].in, &out);
		if (strcmp(strbuf_cstr(&out), norm_cases[i].want) != 0)
			fail_msg("normalise \"%s\": got \"%s\", want \"%s\"", norm_cases[i].in,
				 strbuf_cstr(&out), norm_cases[i].want);
	}
	strbuf_free(&out);
}

static void bracketed_mixed_case_address_finds_entry(void **state)
{
	const struct entry_id raw = { ENTRY_BLOCKLIST, NULL, "<User@Example.COM>" };
	struct store s;

	store_mem_open(&s);
	put_ok(&s, &raw, rec_make(true, 100, 0, "gw1"));
	assert_true(present_in(&s, &bl_user));
	store_free(&s);
}

static void keys_are_safe_and_distinct(void **state)
{
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT, local = STRBUF_INIT;
	const struct entry_id un = { ENTRY_UNSUBSCRIBE, "Example.COM", "a b@x" };
	const struct entry_id sp = { ENTRY_SUPPRESSION, "example.com", "a b@x" };
	struct entry_id longid = { ENTRY_BLOCKLIST, "", NULL };
	size_t i;

	entry_key(&un, &a);
	assert_string_equal(strbuf_cstr(&a), "un:example.com:a%20b@x");
	entry_key(&sp, &b);
	assert_string_not_equal(strbuf_cstr(&a), strbuf_cstr(&b));
	for (i = 0; i < 300; i++)
		strbuf_appendc(&local, 'a');
	strbuf_appends(&local, "x@example.com");
	longid.addr = strbuf_cstr(&local);
	entry_key(&longid, &a);
	if (a.len > STORE_KEY_MAX || strncmp(strbuf_cstr(&a), "bl:#", 4) != 0)
		fail_msg("long key: got \"%s\" (%zu bytes), want bl:#HASH within 250", a.data,
			 a.len);
	strbuf_free(&a);
	strbuf_free(&b);
	strbuf_free(&local);
}

static void record_text_round_trips(void **state)
{
	static const char *const origins[] = { "gw1", "", "-", "gw 1%\"\x01\xff", "%2D" };
	struct strbuf text = STRBUF_INIT;
	struct entry_record in, out;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(origins); i++) {
		in = rec_make(i % 2 == 0, 1700000000000000LL + (int64_t)i, 1800000000, origins[i]);
		entry_record_format(&in, &text);
		assert_null(strpbrk(strbuf_cstr(&text) + 2, "\n\r\t"));
		if (entry_record_parse(strbuf_cstr(&text), &out) != 0 ||
		    entry_record_cmp(&in, &out) != 0 || out.expires != in.expires)
			fail_msg(
				"origin \"%s\": got text \"%s\" back as origin \"%s\", want the same",
				origins[i], strbuf_cstr(&text), out.origin);
	}
	strbuf_free(&text);
}

static void record_parse_refuses_junk(void **state)
{
	static const char *const junk[] = {
		"",
		"1",
		"1 100",
		"1 100 0",
		"2 100 0 gw",
		"1 -100 0 gw",
		"1 100 0 gw extra",
		"1  100 0 gw",
		"1 100 x gw",
		"1 100 0 %zz",
		"1 100 0 %00",
		" 1 100 0 gw",
		"1 1234567890123456789 0 gw",
	};
	struct entry_record rec;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(junk); i++)
		if (entry_record_parse(junk[i], &rec) == 0)
			fail_msg("parse \"%s\": got accepted, want refused", junk[i]);
}

static void unparsable_stored_value_is_absent_and_overwritten(void **state)
{
	struct strbuf key = STRBUF_INIT;
	struct store s;

	store_mem_open(&s);
	entry_key(&bl_user, &key);
	assert_int_equal(store_set(&s, strbuf_cstr(&key), "junk", 4, 0), STORE_OK);
	assert_false(present_in(&s, &bl_user));
	put_ok(&s, &bl_user, rec_make(true, 5, 0, "gw1"));
	assert_true(present_in(&s, &bl_user));
	strbuf_free(&key);
	store_free(&s);
}

static void store_down_is_error(void **state)
{
	struct entry_record rec = rec_make(true, 100, 0, "gw1");
	bool present = true, found = true;
	struct store s;

	store_mem_open(&s);
	store_mem_set_down(&s, true);
	assert_int_equal(entry_lookup(&s, &bl_user, &present), STORE_ERROR);
	assert_false(present);
	assert_int_equal(entry_get(&s, &bl_user, &rec, &found), STORE_ERROR);
	assert_int_equal(entry_put(&s, &bl_user, &rec), STORE_ERROR);
	assert_int_equal(entry_lookup(NULL, &bl_user, &present), STORE_ERROR);
	store_free(&s);
}

/* ---- store_mget -------------------------------------------------------------- */

static void mget_answers_every_key_with_its_cas(void **state)
{
	struct strbuf v[3] = { STRBUF_INIT, STRBUF_INIT, STRBUF_INIT }, one = STRBUF_INIT;
	struct store_mget_item it[3] = { { .key = "a", .val = &v[0] }, { .key = "gone", .val = &v[1] },
					 { .key = "b", .val = &v[2] } };
	uint64_t cas = 0;
	struct store s;

	store_mem_open(&s);
	assert_int_equal(store_set(&s, "a", "1", 1, 0), STORE_OK);
	assert_int_equal(store_set(&s, "b", "22", 2, 0), STORE_OK);
	strbuf_appends(&v[0], "stale");	/* answers replace what the buffers held */
	assert_int_equal(store_mget(&s, it, 3), STORE_OK);
	assert_int_equal(it[0].result, STORE_OK);
	assert_string_equal(strbuf_cstr(&v[0]), "1");
	assert_int_equal(it[1].result, STORE_NOT_FOUND);
	assert_int_equal(it[2].result, STORE_OK);
	assert_string_equal(strbuf_cstr(&v[2]), "22");
	assert_int_equal(store_gets(&s, "b", &one, &cas), STORE_OK);
	assert_true(it[2].cas == cas);
	assert_int_equal(store_cas(&s, "b", "3", 1, 0, it[2].cas), STORE_OK);
	strbuf_free(&one);
	strbuf_free(&v[0]);
	strbuf_free(&v[1]);
	strbuf_free(&v[2]);
	store_free(&s);
}

static void mget_guarded_key_errs_until_its_server_is_restored(void **state)
{
	struct strbuf v[2] = { STRBUF_INIT, STRBUF_INIT };
	struct store_mget_item it[2] = { { .key = "bl:x", .val = &v[0], .guarded = true },
					 { .key = "fq:x", .val = &v[1] } };
	struct store s;

	store_mem_open(&s);
	s.guard = "rs:gw1";
	assert_int_equal(store_set(&s, "bl:x", "1 1 0 -", 7, 0), STORE_OK);
	assert_int_equal(store_set(&s, "fq:x", "5", 1, 0), STORE_OK);
	/* no mark: the server restarted and this gateway has not replayed */
	assert_int_equal(store_mget(&s, it, 2), STORE_ERROR);
	assert_int_equal(it[0].result, STORE_ERROR);
	assert_int_equal(v[0].len, 0);
	assert_int_equal(it[1].result, STORE_OK);	/* not guarded: answered */
	assert_int_equal(store_mark(&s, false), STORE_OK);
	assert_int_equal(store_mget(&s, it, 2), STORE_ERROR);	/* "pending" is not "done" */
	assert_int_equal(store_mark(&s, true), STORE_OK);
	assert_int_equal(store_mget(&s, it, 2), STORE_OK);
	assert_int_equal(it[0].result, STORE_OK);
	assert_string_equal(strbuf_cstr(&v[0]), "1 1 0 -");
	strbuf_free(&v[0]);
	strbuf_free(&v[1]);
	store_free(&s);
}

static void mget_on_a_store_down_is_error_for_every_key(void **state)
{
	struct strbuf v = STRBUF_INIT;
	struct store_mget_item it = { .key = "a", .val = &v };
	struct store s;

	store_mem_open(&s);
	store_mem_set_down(&s, true);
	assert_int_equal(store_mget(&s, &it, 1), STORE_ERROR);
	assert_int_equal(it.result, STORE_ERROR);
	assert_int_equal(store_mget(NULL, &it, 1), STORE_ERROR);
	strbuf_free(&v);
	store_free(&s);
}

static void lookup_of_a_value_read_by_mget_matches_entry_lookup(void **state)
{
	struct entry_record rec = rec_make(true, 100, 0, "gw1");
	struct strbuf key = STRBUF_INIT, v = STRBUF_INIT;
	struct store_mget_item it = { .val = &v, .guarded = true };
	bool present = false;
	struct store s;

	store_mem_open(&s);
	put_ok(&s, &bl_user, rec);
	entry_key(&bl_user, &key);
	it.key = strbuf_cstr(&key);
	assert_int_equal(store_mget(&s, &it, 1), STORE_OK);
	assert_int_equal(entry_lookup_value(it.result, &v, &present), STORE_OK);
	assert_true(present);
	assert_int_equal(entry_lookup_value(STORE_NOT_FOUND, &v, &present), STORE_OK);
	assert_false(present);
	assert_int_equal(entry_lookup_value(STORE_ERROR, &v, &present), STORE_ERROR);
	assert_false(present);
	strbuf_free(&key);
	strbuf_free(&v);
	store_free(&s);
}

static void kind_names_round_trip(void **state)
{
	enum entry_kind k;
	unsigned i;

	for (i = 0; i < ENTRY__COUNT; i++) {
		assert_non_null(entry_kind_name((enum entry_kind)i));
		assert_int_equal(entry_kind_parse(entry_kind_name((enum entry_kind)i), &k), 0);
		assert_int_equal(k, i);
	}
	assert_null(entry_kind_name(ENTRY__COUNT));
	assert_int_equal(entry_kind_parse("blocklistx", &k), -1);
}

/* ---- the compare-and-swap loop under rival writers ----------------------- */

/*
 * A store that lets a rival gateway write right after each of our reads
 * (while inject > 0), so our cas or add finds the item changed.
 */
struct racy {
	struct store inner;
	int inject;
	struct entry_record rival;
	unsigned gets_calls;
};

static enum store_result racy_gets(void *be, const char *key, struct strbuf *val, uint64_t *cas)
{
	struct racy *r = be;
	struct strbuf text = STRBUF_INIT;
	enum store_result res = store_gets(&r->inner, key, val, cas);

	r->gets_calls++;
	if (r->inject > 0) {
		r->inject--;
		entry_record_format(&r->rival, &text);
		assert_int_equal(store_set(&r->inner, key, text.data, text.len, 0), STORE_OK);
	}
	strbuf_free(&text);
	return res;
}

static enum store_result racy_get(void *be, const char *key, struct strbuf *val)
{
	return store_get(&((struct racy *)be)->inner, key, val);
}

static enum store_result racy_add(void *be, const char *key, const void *val, size_t len,
				  uint32_t ttl)
{
	return store_add(&((struct racy *)be)->inner, key, val, len, ttl);
}

static enum store_result racy_set(void *be, const char *key, const void *val, size_t len,
				  uint32_t ttl)
{
	return store_set(&((struct racy *)be)->inner, key, val, len, ttl);
}

static enum store_result racy_cas(void *be, const char *key, const void *val, size_t len,
				  uint32_t ttl, uint64_t cas)
{
	return store_cas(&((struct racy *)be)->inner, key, val, len, ttl, cas);
}

static const struct store_ops racy_ops = {
	.name = "racy",
	.get = racy_get,
	.add = racy_add,
	.set = racy_set,
	.gets = racy_gets,
	.cas = racy_cas,
};

static void racy_open(struct racy *r, struct store *s, int inject, struct entry_record rival)
{
	memset(r, 0, sizeof *r);
	store_mem_open(&r->inner);
	r->inject = inject;
	r->rival = rival;
	s->ops = &racy_ops;
	s->be = r;
	s->guard = NULL;
}

static void cas_conflict_with_older_rival_is_retried(void **state)
{
	struct racy r;
	struct store s;

	racy_open(&r, &s, 0, rec_make(true, 50, 0, "rival"));
	put_ok(&s, &bl_user, rec_make(true, 10, 0, "gw1")); /* exists: next put uses cas */
	r.inject = 1;
	put_ok(&s, &bl_user, rec_make(false, 100, 0, "gw1"));
	if (r.gets_calls != 3 || stored(&s, &bl_user).stamp_us != 100)
		fail_msg("got %u reads and stamp %" PRId64 ", want 3 reads and stamp 100",
			 r.gets_calls, stored(&s, &bl_user).stamp_us);
	store_free(&r.inner);
}

static void cas_conflict_with_newer_rival_keeps_rival(void **state)
{
	struct racy r;
	struct store s;

	racy_open(&r, &s, 0, rec_make(true, 500, 0, "rival"));
	put_ok(&s, &bl_user, rec_make(true, 10, 0, "gw1"));
	r.inject = 1;
	put_ok(&s, &bl_user, rec_make(false, 100, 0, "gw1"));
	assert_int_equal(stored(&s, &bl_user).stamp_us, 500);
	assert_string_equal(stored(&s, &bl_user).origin, "rival");
	store_free(&r.inner);
}

static void add_race_is_retried(void **state)
{
	struct racy r;
	struct store s;

	racy_open(&r, &s, 1, rec_make(true, 50, 0, "rival"));
	put_ok(&s, &bl_user, rec_make(false, 100, 0, "gw1"));
	assert_int_equal(r.gets_calls, 2);
	assert_int_equal(stored(&s, &bl_user).stamp_us, 100);
	assert_false(present_in(&s, &bl_user));
	store_free(&r.inner);
}

static void endless_conflicts_give_error_after_bounded_tries(void **state)
{
	struct entry_record rec = rec_make(true, 100, 0, "gw1");
	struct racy r;
	struct store s;

	racy_open(&r, &s, 1000, rec_make(true, 50, 0, "rival"));
	assert_int_equal(entry_put(&s, &bl_user, &rec), STORE_ERROR);
	if (r.gets_calls < 2 || r.gets_calls > 16)
		fail_msg("got %u tries, want a small bound", r.gets_calls);
	store_free(&r.inner);
}

#define RACE_THREADS 4
#define RACE_PUTS 400

struct race_arg {
	const struct store *s;
	int t;
	int64_t best_ok; /* highest stamp whose put answered ok */
	unsigned errors;
};

static void *race_writer(void *p)
{
	struct race_arg *a = p;
	struct entry_record rec;
	char origin[16];
	int i;

	snprintf(origin, sizeof origin, "gw%d", a->t);
	for (i = 0; i < RACE_PUTS; i++) {
		rec = rec_make(i % 2 == 0, (int64_t)i * RACE_THREADS + a->t + 1, 0, origin);
		if (entry_put(a->s, &bl_user, &rec) != STORE_OK)
			a->errors++;
		else if (rec.stamp_us > a->best_ok)
			a->best_ok = rec.stamp_us;
	}
	return NULL;
}

static void four_threads_newest_wins(void **state)
{
	struct race_arg args[RACE_THREADS];
	pthread_t th[RACE_THREADS];
	int64_t best = 0;
	struct store s;
	int t;

	store_mem_open(&s);
	for (t = 0; t < RACE_THREADS; t++) {
		args[t] = (struct race_arg){ &s, t, 0, 0 };
		assert_int_equal(pthread_create(&th[t], NULL, race_writer, &args[t]), 0);
	}
	for (t = 0; t < RACE_THREADS; t++) {
		pthread_join(th[t], NULL);
		if (args[t].best_ok > best)
			best = args[t].best_ok;
	}
	if (stored(&s, &bl_user).stamp_us != best)
		fail_msg("got stamp %" PRId64 ", want the newest acknowledged %" PRId64,
			 stored(&s, &bl_user).stamp_us, best);
	store_free(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(missing_key_is_absent),
		cmocka_unit_test(put_entry_is_present),
		cmocka_unit_test(lww_orders_writes),
		cmocka_unit_test(expired_record_in_store_is_absent),
		cmocka_unit_test(put_of_expired_record_writes_nothing),
		cmocka_unit_test(entry_leaves_store_when_it_expires),
		cmocka_unit_test(normalises_addresses),
		cmocka_unit_test(bracketed_mixed_case_address_finds_entry),
		cmocka_unit_test(keys_are_safe_and_distinct),
		cmocka_unit_test(record_text_round_trips),
		cmocka_unit_test(record_parse_refuses_junk),
		cmocka_unit_test(unparsable_stored_value_is_absent_and_overwritten),
		cmocka_unit_test(store_down_is_error),
		cmocka_unit_test(kind_names_round_trip),
		cmocka_unit_test(mget_answers_every_key_with_its_cas),
		cmocka_unit_test(mget_guarded_key_errs_until_its_server_is_restored),
		cmocka_unit_test(mget_on_a_store_down_is_error_for_every_key),
		cmocka_unit_test(lookup_of_a_value_read_by_mget_matches_entry_lookup),
		cmocka_unit_test(cas_conflict_with_older_rival_is_retried),
		cmocka_unit_test(cas_conflict_with_newer_rival_keeps_rival),
		cmocka_unit_test(add_race_is_retried),
		cmocka_unit_test(endless_conflicts_give_error_after_bounded_tries),
		cmocka_unit_test(four_threads_newest_wins),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
