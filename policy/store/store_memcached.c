/*
 * store_memcached - libmemcached backend for store.h.
 *
 * One memcached_pool_st is shared by the milter's threads; each operation
 * fetches a connection, uses it and gives it back.  Settings (SPEC
 * section 10 pitfalls):
 *  - binary protocol: needed for increment-with-initial, and keys are
 *    length-delimited so no byte of a key can desync the connection
 *    (store_key() encodes keys anyway);
 *  - consistent ketama hashing, so adding a server moves few keys;
 *  - short connect/poll/send/receive timeouts and a failure limit of one:
 *    a dead server is ejected at once (REMOVE_FAILED_SERVERS) and retried
 *    after dead_retry_s seconds (a dead timeout above zero is what makes
 *    ejection work in libmemcached 1.1.4);
 *  - expirations over 30 days are sent as absolute Unix times.
 * The guarded reads and the restore mark are in store_memcached_guard.c.
 * A batch of writes (mwrite) goes to each server as one pipelined request
 * of store_mcpipe; what that cannot finish comes back here.
 *
 * Diagnostics: STORE_ERROR for anything but success, not-found and
 * not-stored; store_memcached_open() explains a bad server list.
 */
#include "autoconf.h"

#include <libmemcached/memcached.h>
#include <libmemcached/util.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "metrics.h"
#include "store_mcpipe.h"
#include "store_memcached.h"
#include "store_memcached_internal.h"
#include "xalloc.h"

#define MEMCACHED_RELATIVE_TTL_MAX 2592000u	/* 30 days */


static int mc_configure(memcached_st *m, const struct store_memcached_opts *o);

static time_t mc_expiry(uint32_t ttl)
{
	if (ttl > MEMCACHED_RELATIVE_TTL_MAX)
		return time(NULL) + (time_t)ttl;
	return (time_t)ttl;
}

/* Takes a connection from the pool, waiting at most the timeout. */
static memcached_st *mc_fetch(struct store_memcached *mc)
{
	struct timespec wait = { (time_t)(mc->timeout_ms / 1000),
				 (long)(mc->timeout_ms % 1000) * 1000000L };
	memcached_return_t rc;

	return memcached_pool_fetch(mc->pool, &wait, &rc);
}

/*
 * Per operation; see mc_retryable().  Measured with libmemcached 1.1.4 and
 * a failure limit of one: a connection that meets a server just killed
 * answers CONNECTION FAILURE twice, then SERVER IS MARKED DEAD, and the
 * fourth try lands on the live server the key moved to.  With three, every
 * pooled connection answered one request with an error on its own.
 */
#define MC_ATTEMPTS 4

/*
 * True for the errors of a server that just died or was ejected.  Each
 * pooled connection learns about a dead server on its own, and libmemcached
 * answers the request that discovered it (or that hit it again after
 * MemcachedDeadRetry) with an error; trying again lands the key on a live
 * server.  A timeout is not retried: it has used up the time already.
 * Keys that move hold nothing yet on their new server: store_mc_run() wakes the
 * restore thread (store_servers_changed), which replays this gateway's
 * journal as soon as it sees the server set change, not at its next tick.
 */
static bool mc_retryable(memcached_return_t rc)
{
	switch (rc) {
	case MEMCACHED_CONNECTION_FAILURE:
	case MEMCACHED_CONNECTION_SOCKET_CREATE_FAILURE:
	case MEMCACHED_SERVER_MARKED_DEAD:
	case MEMCACHED_SERVER_TEMPORARILY_DISABLED:
	case MEMCACHED_WRITE_FAILURE:
	case MEMCACHED_READ_FAILURE:
	case MEMCACHED_UNKNOWN_READ_FAILURE:
	case MEMCACHED_ERRNO:
		return true;
	default:
		return false;
	}
}

static enum store_result mc_result(memcached_return_t rc)
{
	switch (rc) {
	case MEMCACHED_SUCCESS:
	case MEMCACHED_STORED:
	case MEMCACHED_DELETED:
		return STORE_OK;
	case MEMCACHED_NOTFOUND:
		return STORE_NOT_FOUND;
	case MEMCACHED_NOTSTORED:
	case MEMCACHED_DATA_EXISTS:
		return STORE_EXISTS;
	default:
		return STORE_ERROR;
	}
}


enum store_result store_mc_run(void *be, struct mc_req *r)
{
	struct store_memcached *mc = be;
	memcached_st *m = mc_fetch(mc);
	memcached_return_t rc = MEMCACHED_FAILURE;
	bool moved = false;
	int attempt;
	double t0;

	if (m == NULL)
		return STORE_ERROR;
	t0 = metrics_now();
	for (attempt = 0; attempt < MC_ATTEMPTS; attempt++) {
		rc = r->attempt(m, r);
		if (mc_retryable(rc)) {
			moved = true;
			metrics_inc(METRIC_MEMCACHED_EJECTIONS, NULL, NULL);
			continue;
		}
		if (!(r->again_if_exists && (rc == MEMCACHED_NOTSTORED || rc == MEMCACHED_DATA_EXISTS)))
			break;
	}
	metrics_observe(METRIC_STAGE_SECONDS, "memcached", metrics_now() - t0);
	if (mc_result(rc) == STORE_ERROR)
		metrics_inc(METRIC_MEMCACHED_ERRORS, rc == MEMCACHED_TIMEOUT ? "timeout" : "error", NULL);
	if (moved)
		store_servers_changed();
	memcached_pool_release(mc->pool, m);
	return mc_result(rc);
}

static memcached_return_t mc_try_get(memcached_st *m, struct mc_req *r)
{
	memcached_return_t rc;
	size_t len = 0;
	uint32_t flags;
	char *v = memcached_get(m, r->key, strlen(r->key), &len, &flags, &rc);

	if (v != NULL) {
		strbuf_append(r->out, v, len);
		free(v);
	}
	return rc;
}

static enum store_result mc_get(void *be, const char *key, struct strbuf *val)
{
	struct mc_req r = { .key = key, .out = val, .attempt = mc_try_get };

	return store_mc_run(be, &r);
}

static memcached_return_t mc_try_add(memcached_st *m, struct mc_req *r)
{
	return memcached_add(m, r->key, strlen(r->key), r->val, r->len, mc_expiry(r->ttl), 0);
}

static memcached_return_t mc_try_set(memcached_st *m, struct mc_req *r)
{
	return memcached_set(m, r->key, strlen(r->key), r->val, r->len, mc_expiry(r->ttl), 0);
}

static enum store_result mc_add(void *be, const char *key, const void *val, size_t len,
				uint32_t ttl)
{
	struct mc_req r = { .key = key, .val = val, .len = len, .ttl = ttl,
			    .attempt = mc_try_add };

	return store_mc_run(be, &r);
}

static enum store_result mc_set(void *be, const char *key, const void *val, size_t len,
				uint32_t ttl)
{
	struct mc_req r = { .key = key, .val = val, .len = len, .ttl = ttl,
			    .attempt = mc_try_set };

	return store_mc_run(be, &r);
}

static memcached_return_t mc_try_del(memcached_st *m, struct mc_req *r)
{
	return memcached_delete(m, r->key, strlen(r->key), 0);
}

static enum store_result mc_del(void *be, const char *key)
{
	struct mc_req r = { .key = key, .attempt = mc_try_del };

	return store_mc_run(be, &r);
}

static memcached_return_t mc_try_incr(memcached_st *m, struct mc_req *r)
{
	return memcached_increment_with_initial(m, r->key, strlen(r->key), r->delta, r->initial,
						mc_expiry(r->ttl), r->value);
}

static enum store_result mc_incr(void *be, const char *key, uint64_t delta, uint64_t initial,
				 uint32_t ttl, uint64_t *value)
{
	/*
	 * NOTSTORED: another client created the counter between this one's
	 * increment and add; it exists now, so increment again.
	 */
	struct mc_req r = { .key = key, .delta = delta, .initial = initial, .ttl = ttl,
			    .value = value, .again_if_exists = true, .attempt = mc_try_incr };

	return store_mc_run(be, &r);
}

static memcached_return_t mc_try_decr(memcached_st *m, struct mc_req *r)
{
	return memcached_decrement(m, r->key, strlen(r->key), r->delta, r->value);
}

static enum store_result mc_decr(void *be, const char *key, uint64_t delta, uint64_t *value)
{
	struct mc_req r = { .key = key, .delta = delta, .value = value, .attempt = mc_try_decr };

	return store_mc_run(be, &r);
}

/* gets: one mget and its one result (or none: NOTFOUND). */
static memcached_return_t mc_try_gets(memcached_st *m, struct mc_req *r)
{
	const char *keys[1] = { r->key };
	size_t lens[1] = { strlen(r->key) };
	memcached_result_st *res;
	memcached_return_t rc = memcached_mget(m, keys, lens, 1);

	if (rc != MEMCACHED_SUCCESS)
		return rc;
	res = memcached_fetch_result(m, NULL, &rc);
	if (res == NULL)
		return rc == MEMCACHED_END ? MEMCACHED_NOTFOUND : rc;
	strbuf_append(r->out, memcached_result_value(res), memcached_result_length(res));
	*r->cas_out = memcached_result_cas(res);
	memcached_result_free(res);
	/* drain the end-of-results marker */
	while (memcached_fetch_result(m, NULL, &rc) != NULL)
		;
	return MEMCACHED_SUCCESS;
}

static enum store_result mc_gets(void *be, const char *key, struct strbuf *val, uint64_t *cas)
{
	struct mc_req r = { .key = key, .out = val, .cas_out = cas, .attempt = mc_try_gets };

	return store_mc_run(be, &r);
}

static memcached_return_t mc_try_cas(memcached_st *m, struct mc_req *r)
{
	return memcached_cas(m, r->key, strlen(r->key), r->val, r->len, mc_expiry(r->ttl), 0,
			     r->cas);
}

static enum store_result mc_cas(void *be, const char *key, const void *val, size_t len,
				uint32_t ttl, uint64_t cas)
{
	struct mc_req r = { .key = key, .val = val, .len = len, .ttl = ttl, .cas = cas,
			    .attempt = mc_try_cas };

	return store_mc_run(be, &r);
}

/*
 * A server's identity asked again on a connection of its own, with the
 * same timeouts: a pooled connection may still count a live server dead
 * (for up to dead_retry_s), and its answer would read as a server gone.
 * True with *st filled when the server answered.
 */
static bool mc_stat_direct(struct store_memcached *mc, const char *host, in_port_t port,
			   memcached_stat_st *st)
{
	struct store_memcached_opts o = { .timeout_ms = mc->timeout_ms,
					  .dead_retry_s = mc->dead_retry_s };
	memcached_st *m = memcached_create(NULL);
	memcached_stat_st *one;
	memcached_return_t rc;
	bool ok = false;

	if (m == NULL)
		return false;
	if (mc_configure(m, &o) == 0 && memcached_server_add(m, host, port) == MEMCACHED_SUCCESS) {
		one = memcached_stat(m, NULL, &rc);
		if (one != NULL) {
			ok = rc == MEMCACHED_SUCCESS && one[0].pid > 0;
			if (ok)
				*st = one[0];
			memcached_stat_free(m, one);
		}
	}
	memcached_free(m);
	return ok;
}

/*
 * "host:port:pid:start;" per server; a server that did not answer, on a
 * pooled connection or on one of its own, shows as "host:port:-1:0;".
 */
static enum store_result mc_epoch(void *be, struct strbuf *out)
{
	struct store_memcached *mc = be;
	memcached_stat_st *st;
	memcached_return_t rc;
	memcached_st *m = mc_fetch(mc);
	uint32_t i, n;

	if (m == NULL)
		return STORE_ERROR;
	st = memcached_stat(m, NULL, &rc);
	n = memcached_server_count(m);
	for (i = 0; st != NULL && i < n; i++) {
		const memcached_instance_st *srv = memcached_server_instance_by_position(m, i);
		memcached_stat_st again;

		strbuf_appendf(out, "%s:%u:", memcached_server_name(srv), (unsigned)memcached_server_port(srv));
		if (st[i].pid > 0)
			strbuf_appendf(out, "%ld:%lu;", (long)st[i].pid, st[i].time - st[i].uptime);
		else if (mc_stat_direct(mc, memcached_server_name(srv), memcached_server_port(srv), &again))
			strbuf_appendf(out, "%ld:%lu;", (long)again.pid, again.time - again.uptime);
		else
			strbuf_appends(out, "-1:0;");
	}
	if (st != NULL)
		memcached_stat_free(m, st);
	memcached_pool_release(mc->pool, m);
	return st != NULL ? STORE_OK : STORE_ERROR;
}


/*
 * A write mcpipe could not finish, made through libmemcached (whose
 * retries move keys off a dead server), and for a guarded one the mark
 * read after it.
 */
static void mc_write_again(void *be, struct store_write_item *it, bool answered,
			   const char *guard)
{
	struct strbuf val = STRBUF_INIT;

	if (!answered) {
		if (it->op == STORE_W_ADD)
			it->result = mc_add(be, it->key, it->val, it->len, it->ttl);
		else if (it->op == STORE_W_CAS)
			it->result = mc_cas(be, it->key, it->val, it->len, it->ttl, it->cas);
		else if (it->op == STORE_W_SET)
			it->result = mc_set(be, it->key, it->val, it->len, it->ttl);
		else
			it->result = mc_incr(be, it->key, it->delta, it->initial, it->ttl, &it->value);
	}
	it->restored = true;
	if (guard != NULL && it->guarded && it->result == STORE_OK &&
	    store_mc_get_guarded(be, it->key, guard, &val, &it->restored) == STORE_ERROR)
		it->result = STORE_ERROR;
	strbuf_free(&val);
}

/*
 * The batch goes out through store_mcpipe, one request per server all
 * sent before any answer is read; then, with the connection given back,
 * what mcpipe left goes through libmemcached one by one.
 */
static enum store_result mc_mwrite(void *be, struct store_write_item *items, size_t n,
				   const char *guard)
{
	struct store_memcached *mc = be;
	memcached_st *m = n > 0 ? mc_fetch(mc) : NULL;
	enum mcpipe_left *left;
	bool timed_out;
	double t0;
	size_t i;

	if (m == NULL)
		return n == 0 ? STORE_OK : STORE_ERROR;
	left = xcalloc(n, sizeof *left);
	t0 = metrics_now();
	if (mcpipe_batch(mc->pipe, m, items, n, guard, left, &timed_out))
		store_servers_changed();	/* a server hung up: compare identities now */
	metrics_observe(METRIC_STAGE_SECONDS, "memcached", metrics_now() - t0);
	if (timed_out)
		metrics_inc(METRIC_MEMCACHED_ERRORS, "timeout", NULL);
	memcached_pool_release(mc->pool, m);
	for (i = 0; i < n; i++)
		if (left[i] != MCPIPE_LEFT_NONE)
			mc_write_again(be, &items[i], left[i] == MCPIPE_LEFT_MARK, guard);
	free(left);
	return STORE_OK;
}

static void mc_free(void *be)
{
	struct store_memcached *mc = be;

	if (mc == NULL)
		return;
	mcpipe_free(mc->pipe);
	if (mc->pool != NULL)
		memcached_pool_destroy(mc->pool);
	if (mc->master != NULL)
		memcached_free(mc->master);
	free(mc);
}

static const struct store_ops store_memcached_ops = {
	.name = "memcached",
	.get = mc_get,
	.add = mc_add,
	.set = mc_set,
	.del = mc_del,
	.incr = mc_incr,
	.decr = mc_decr,
	.gets = mc_gets,
	.cas = mc_cas,
	.epoch = mc_epoch,
	.get_guarded = store_mc_get_guarded,
	.mark = store_mc_mark,
	.mget = store_mc_mget,
	.mwrite = mc_mwrite,
	.free = mc_free,
};

/* Applies the behaviours described in the file header. */
static int mc_configure(memcached_st *m, const struct store_memcached_opts *o)
{
	static const struct {
		memcached_behavior_t b;
		int scale;	/* 0: fixed value in v; 1: ms; 1000: us */
		uint64_t v;
	} settings[] = {
		{ MEMCACHED_BEHAVIOR_BINARY_PROTOCOL, 0, 1 },
		{ MEMCACHED_BEHAVIOR_SUPPORT_CAS, 0, 1 },
		{ MEMCACHED_BEHAVIOR_DISTRIBUTION, 0, MEMCACHED_DISTRIBUTION_CONSISTENT_KETAMA },
		{ MEMCACHED_BEHAVIOR_TCP_NODELAY, 0, 1 },
		{ MEMCACHED_BEHAVIOR_NO_BLOCK, 0, 1 },
		{ MEMCACHED_BEHAVIOR_REMOVE_FAILED_SERVERS, 0, 1 },
		{ MEMCACHED_BEHAVIOR_SERVER_FAILURE_LIMIT, 0, 1 },
		{ MEMCACHED_BEHAVIOR_CONNECT_TIMEOUT, 1, 0 },
		{ MEMCACHED_BEHAVIOR_POLL_TIMEOUT, 1, 0 },
		{ MEMCACHED_BEHAVIOR_SND_TIMEOUT, 1000, 0 },
		{ MEMCACHED_BEHAVIOR_RCV_TIMEOUT, 1000, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof settings / sizeof settings[0]; i++) {
		uint64_t v = settings[i].scale ? (uint64_t)o->timeout_ms * (uint64_t)settings[i].scale
					       : settings[i].v;

		if (memcached_behavior_set(m, settings[i].b, v) != MEMCACHED_SUCCESS)
			return -1;
	}
	if (memcached_behavior_set(m, MEMCACHED_BEHAVIOR_RETRY_TIMEOUT, o->dead_retry_s) !=
		    MEMCACHED_SUCCESS ||
	    memcached_behavior_set(m, MEMCACHED_BEHAVIOR_DEAD_TIMEOUT, o->dead_retry_s) !=
		    MEMCACHED_SUCCESS)
		return -1;
	return 0;
}

int store_memcached_open(struct store *s, const struct store_memcached_opts *opts,
			 char *err, size_t errlen)
{
	struct store_memcached *mc = xcalloc(1, sizeof *mc);
	memcached_server_st *list;
	memcached_return_t rc;

	mc->timeout_ms = opts->timeout_ms;
	mc->dead_retry_s = opts->dead_retry_s;
	list = memcached_servers_parse(opts->servers);
	if (list == NULL) {
		snprintf(err, errlen, "bad server list \"%s\"", opts->servers);
		goto fail;
	}
	mc->master = memcached_create(NULL);
	rc = mc->master ? memcached_server_push(mc->master, list) : MEMCACHED_MEMORY_ALLOCATION_FAILURE;
	memcached_server_list_free(list);
	if (rc != MEMCACHED_SUCCESS || mc_configure(mc->master, opts) != 0) {
		snprintf(err, errlen, "cannot set up memcached client: %s",
			 mc->master ? memcached_strerror(mc->master, rc) : "out of memory");
		goto fail;
	}
	mc->pool = memcached_pool_create(mc->master, 1, opts->pool_size ? opts->pool_size : 8);
	/* as many pipelines as pooled connections can run, each to one server at a time */
	mc->pipe = mcpipe_new(opts->timeout_ms, (opts->pool_size ? opts->pool_size : 8) *
					      memcached_server_count(mc->master));
	if (mc->pool == NULL) {
		snprintf(err, errlen, "cannot create the memcached connection pool");
		goto fail;
	}
	s->ops = &store_memcached_ops;
	s->be = mc;
	s->guard = NULL;
	return 0;
fail:
	mc_free(mc);
	return -1;
}
