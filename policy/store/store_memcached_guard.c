/*
 * store_memcached_guard - the reads of store_memcached that a restore
 * mark guards (get_guarded, mget) and the mark itself; see
 * store_memcached.c for the connection, retry and write side.
 *
 * A guarded read asks for the restore mark before its keys and after
 * them, in one request: a key libmemcached left out of the request would
 * otherwise read as absent (mc_mark_verdict).  The mark is per gateway
 * and per server: "pending" while a replay runs, "done" after it.
 */
#include "autoconf.h"

#include <libmemcached/memcached.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_memcached_internal.h"
#include "strbuf.h"

/* True when the result res is for key. */
static bool mc_result_is(const memcached_result_st *res, const char *key)
{
	size_t n = strlen(key);

	return memcached_result_key_length(res) == n &&
	       memcmp(memcached_result_key_value(res), key, n) == 0;
}

/*
 * Reads the mark again from the server of group key gk, after a request
 * that found none: a server killed mid-request can end its answer early
 * without an error, which would read as "not restored" and start a replay
 * on every server.  A dead server fails this second read with an error
 * (store_mc_run() tries again on the server its keys move to); a server that
 * really lost its mark answers again without it.  Costs a round trip only
 * when the mark is missing.
 */
static memcached_return_t mc_mark_confirm(memcached_st *m, const char *gk, const char *guard,
					  bool *restored)
{
	const char *keys[1] = { guard };
	size_t lens[1] = { strlen(guard) };
	memcached_result_st *res;
	memcached_return_t rc = memcached_mget_by_key(m, gk, strlen(gk), keys, lens, 1);

	if (rc != MEMCACHED_SUCCESS)
		return rc;
	while ((res = memcached_fetch_result(m, NULL, &rc)) != NULL) {
		if (mc_result_is(res, guard))
			*restored = memcached_result_length(res) == 4 &&
				    memcmp(memcached_result_value(res), "done", 4) == 0;
		memcached_result_free(res);
	}
	return rc == MEMCACHED_END || rc == MEMCACHED_NOTFOUND ? MEMCACHED_SUCCESS : rc;
}

/*
 * The mark brackets a guarded request: it is asked before the keys and
 * again after them, and only two answers "done" make the answers count.
 * libmemcached's multi-get can leave keys out of a request and still
 * succeed: it sends each key on the connection as it is at that moment,
 * so a key whose connect failed (a server in its retry time, a second
 * that ends between two keys) is skipped and the next key reconnects;
 * a quiet get that was never sent is as silent as a key that is not
 * there.  A mark answered once means part of the request did not reach
 * the server that answered: the answers are thrown away and the request
 * is tried again (UNKNOWN_READ_FAILURE, retryable).
 */
struct mc_mark_seen {
	unsigned answers, done;
};

/* Counts res when it is the mark; true if it was. */
static bool mc_mark_count(const memcached_result_st *res, const char *guard,
			  struct mc_mark_seen *seen)
{
	if (guard == NULL || !mc_result_is(res, guard))
		return false;
	seen->answers++;
	if (memcached_result_length(res) == 4 && memcmp(memcached_result_value(res), "done", 4) == 0)
		seen->done++;
	return true;
}

/*
 * What the two marks of one request say: restored (both "done"), not
 * restored (both answered otherwise, or none answered and a second read
 * finds the server without "done"), or an error.  None answered while a
 * second read finds "done" is an error too: the keys' answers were lost
 * with the marks' (a server killed mid-answer, a request left unsent).
 */
static memcached_return_t mc_mark_verdict(memcached_st *m, const char *gk, const char *guard,
					  const struct mc_mark_seen *seen, bool *restored)
{
	memcached_return_t rc;

	*restored = false;
	if (seen->answers == 2) {
		*restored = seen->done == 2;
		return MEMCACHED_SUCCESS;
	}
	if (seen->answers != 0)
		return MEMCACHED_UNKNOWN_READ_FAILURE;
	rc = mc_mark_confirm(m, gk, guard, restored);
	if (rc == MEMCACHED_SUCCESS && *restored) {
		*restored = false;
		return MEMCACHED_UNKNOWN_READ_FAILURE;
	}
	return rc;
}

/* key between two reads of the mark, all from key's server (mget_by_key), in one request. */
static memcached_return_t mc_try_get_guarded(memcached_st *m, struct mc_req *r)
{
	const char *keys[3] = { r->guard, r->key, r->guard };
	size_t glen = strlen(r->guard), lens[3] = { glen, strlen(r->key), glen };
	struct mc_mark_seen seen = { 0, 0 };
	memcached_result_st *res;
	memcached_return_t rc, found = MEMCACHED_NOTFOUND;

	*r->restored = false;
	strbuf_reset(r->out);
	rc = memcached_mget_by_key(m, r->key, lens[1], keys, lens, 3);
	if (rc != MEMCACHED_SUCCESS)
		return rc;
	while ((res = memcached_fetch_result(m, NULL, &rc)) != NULL) {
		if (!mc_mark_count(res, r->guard, &seen) && mc_result_is(res, r->key)) {
			strbuf_reset(r->out);
			strbuf_append(r->out, memcached_result_value(res),
				      memcached_result_length(res));
			found = MEMCACHED_SUCCESS;
		}
		memcached_result_free(res);
	}
	if (rc != MEMCACHED_END && rc != MEMCACHED_NOTFOUND)
		return rc;
	rc = mc_mark_verdict(m, r->key, r->guard, &seen, r->restored);
	if (rc != MEMCACHED_SUCCESS) {
		strbuf_reset(r->out);
		return rc;
	}
	return found;
}

enum store_result store_mc_get_guarded(void *be, const char *key, const char *guard,
					struct strbuf *val, bool *restored)
{
	struct mc_req r = { .key = key, .guard = guard, .out = val, .restored = restored,
			    .attempt = mc_try_get_guarded };

	return store_mc_run(be, &r);
}

/*
 * Fills the group's item that res answers: the next not yet answered item
 * with res's key, searched from *cursor (answers come in request order).
 */
static void mc_mget_fill(struct mc_req *r, const size_t *group, size_t ng, size_t *cursor,
			 const memcached_result_st *res)
{
	size_t k;

	for (k = 0; k < ng; k++) {
		struct store_mget_item *it = &r->items[group[(*cursor + k) % ng]];

		if (it->result != STORE_ERROR || !mc_result_is(res, it->key))
			continue;
		strbuf_append(it->val, memcached_result_value(res), memcached_result_length(res));
		it->cas = memcached_result_cas(res);
		it->result = STORE_OK;
		*cursor = (*cursor + k + 1) % ng;
		return;
	}
}

/*
 * One request to one server: the items of group (their keys all live
 * there) and, when there is a guard, the mark before and after them.
 */
static memcached_return_t mc_mget_group(memcached_st *m, struct mc_req *r, const size_t *group,
					size_t ng, const char **keys, size_t *lens)
{
	struct mc_mark_seen seen = { 0, 0 };
	memcached_result_st *res;
	memcached_return_t rc;
	size_t k, nk = 0, cursor = 0;
	bool restored = true;

	if (r->guard != NULL) {
		keys[nk] = r->guard;
		lens[nk++] = strlen(r->guard);
	}
	for (k = 0; k < ng; k++) {
		struct store_mget_item *it = &r->items[group[k]];

		strbuf_reset(it->val);
		keys[nk] = it->key;
		lens[nk++] = strlen(it->key);
	}
	if (r->guard != NULL) {
		keys[nk] = r->guard;
		lens[nk++] = lens[0];
	}
	/* the group key: the first item's, whose server holds the group */
	rc = memcached_mget_by_key(m, r->items[group[0]].key, strlen(r->items[group[0]].key),
				   keys, lens, nk);
	if (rc != MEMCACHED_SUCCESS)
		return rc;
	while ((res = memcached_fetch_result(m, NULL, &rc)) != NULL) {
		if (!mc_mark_count(res, r->guard, &seen))
			mc_mget_fill(r, group, ng, &cursor, res);
		memcached_result_free(res);
	}
	if (rc == MEMCACHED_END || rc == MEMCACHED_NOTFOUND)
		rc = r->guard == NULL ? MEMCACHED_SUCCESS
				      : mc_mark_verdict(m, r->items[group[0]].key, r->guard, &seen,
							&restored);
	if (rc != MEMCACHED_SUCCESS) {
		for (k = 0; k < ng; k++) {
			strbuf_reset(r->items[group[k]].val);
			r->items[group[k]].result = STORE_ERROR;	/* asked again */
		}
		return rc;
	}
	for (k = 0; k < ng; k++) {
		struct store_mget_item *it = &r->items[group[k]];

		if (it->result == STORE_ERROR)
			it->result = STORE_NOT_FOUND;
		it->restored = r->guard == NULL || restored;
	}
	return MEMCACHED_SUCCESS;
}

/*
 * The items not answered yet, grouped by the server their key hashes to
 * (again on each attempt: an ejected server moves keys), one request per
 * server.  A group that fails stops the attempt; store_mc_run() may try again.
 * The requests go one after another (an mget first drains the answers of
 * the one before), so keys spread over S servers cost S round trips; a
 * plain memcached_mget would reach them all at once but cannot read each
 * server's mark, which has the same key on every server.
 */
static memcached_return_t mc_try_mget(memcached_st *m, struct mc_req *r)
{
	uint32_t *srv = calloc(r->n, sizeof *srv);
	size_t *group = calloc(r->n, sizeof *group);
	const char **keys = calloc(r->n + 2, sizeof *keys);
	size_t *lens = calloc(r->n + 2, sizeof *lens);
	memcached_return_t rc = MEMCACHED_SUCCESS;
	size_t i, j, ng;

	if (srv == NULL || group == NULL || keys == NULL || lens == NULL)
		abort();
	for (i = 0; i < r->n; i++)
		srv[i] = memcached_generate_hash(m, r->items[i].key, strlen(r->items[i].key));
	for (i = 0; i < r->n && rc == MEMCACHED_SUCCESS; i++) {
		if (r->items[i].result != STORE_ERROR)
			continue;	/* answered, or in an earlier group */
		ng = 0;
		for (j = i; j < r->n; j++)
			if (srv[j] == srv[i] && r->items[j].result == STORE_ERROR)
				group[ng++] = j;
		rc = mc_mget_group(m, r, group, ng, keys, lens);
	}
	free(srv);
	free(group);
	free(keys);
	free(lens);
	return rc;
}

enum store_result store_mc_mget(void *be, struct store_mget_item *items, size_t n,
				 const char *guard)
{
	struct mc_req r = { .items = items, .n = n, .guard = guard, .attempt = mc_try_mget };

	return n > 0 ? store_mc_run(be, &r) : STORE_OK;
}

/*
 * The mark on the server of group key r->key: "pending" (set), or
 * "pending" turned "done" with compare-and-swap, so "done" only ever
 * lands in the incarnation that held "pending" before the replay.
 */
static memcached_return_t mc_try_mark(memcached_st *m, struct mc_req *r)
{
	const char *keys[1] = { r->guard };
	size_t glen = strlen(r->guard), klen = strlen(r->key);
	memcached_result_st *res;
	memcached_return_t rc;
	uint64_t cas;
	bool pending;

	if (!r->done)
		return memcached_set_by_key(m, r->key, klen, r->guard, glen, "pending", 7, 0, 0);
	rc = memcached_mget_by_key(m, r->key, klen, keys, &glen, 1);
	if (rc != MEMCACHED_SUCCESS)
		return rc;
	res = memcached_fetch_result(m, NULL, &rc);
	if (res == NULL)
		return rc == MEMCACHED_END ? MEMCACHED_NOTFOUND : rc;
	pending = memcached_result_length(res) == 7 &&
		  memcmp(memcached_result_value(res), "pending", 7) == 0;
	cas = memcached_result_cas(res);
	memcached_result_free(res);
	while (memcached_fetch_result(m, NULL, &rc) != NULL)
		;
	if (!pending)
		return MEMCACHED_SUCCESS;	/* already done */
	return memcached_cas_by_key(m, r->key, klen, r->guard, glen, "done", 4, 0, 0, cas);
}

#define MC_MARK_PROBES 1024	/* group keys tried to reach every server */

/* Runs the mark on every server the continuum holds, via a group key each lands on. */
enum store_result store_mc_mark(void *be, const char *guard, bool done)
{
	struct store_memcached *mc = be;
	char probe[32];
	bool seen[64] = { false };
	uint32_t n = memcached_server_count(mc->master), left, u, idx;
	enum store_result res = STORE_OK, one;

	left = n < 64 ? n : 64;
	for (u = 0; u < MC_MARK_PROBES && left > 0 && res != STORE_ERROR; u++) {
		struct mc_req r = { .key = probe, .guard = guard, .done = done,
				    .attempt = mc_try_mark };

		snprintf(probe, sizeof probe, "rs-probe-%u", (unsigned)u);
		idx = memcached_generate_hash(mc->master, probe, strlen(probe));
		if (idx >= 64 || seen[idx])
			continue;
		seen[idx] = true;
		left--;
		one = store_mc_run(be, &r);
		if (one == STORE_ERROR || (one == STORE_NOT_FOUND && res == STORE_OK))
			res = one;
	}
	return res;
}
