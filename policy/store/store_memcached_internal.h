/*
 * store_memcached_internal - what store_memcached.c and
 * store_memcached_guard.c share: the backend's state, one request and
 * the run that retries it, and the guarded operations of store_ops.
 */
#ifndef SES_STORE_MEMCACHED_INTERNAL_H
#define SES_STORE_MEMCACHED_INTERNAL_H

#include <libmemcached/memcached.h>
#include <libmemcached/util.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

struct store_memcached {
	memcached_st *master;
	memcached_pool_st *pool;
	struct mcpipe *pipe;		/* mwrite's own connections */
	unsigned timeout_ms;
	unsigned dead_retry_s;
};

/*
 * One request: its arguments, the call one attempt makes, and where the
 * answers go.  store_mc_run() does what every request shares: a connection from
 * the pool, the retries of mc_retryable() errors, the release, the result.
 */
struct mc_req {
	const char *key;
	const void *val;
	size_t len;
	uint32_t ttl;
	uint64_t delta, initial, cas;
	uint64_t *value;		/* incr, decr: the new value */
	struct strbuf *out;		/* get, gets: the value */
	uint64_t *cas_out;		/* gets */
	bool again_if_exists;		/* incr: NOTSTORED is a race, try again */
	const char *guard;		/* get_guarded, mark: the restore mark */
	bool *restored;			/* get_guarded: the mark says done */
	bool done;			/* mark: pending -> done */
	struct store_mget_item *items;	/* mget */
	size_t n;
	memcached_return_t (*attempt)(memcached_st *m, struct mc_req *r);
};

/* Runs r->attempt on a pooled connection, retrying what mc_retryable() allows. */
enum store_result store_mc_run(void *be, struct mc_req *r);

/* store_ops.get_guarded, .mget and .mark (store.h). */
enum store_result store_mc_get_guarded(void *be, const char *key, const char *guard,
				       struct strbuf *val, bool *restored);
enum store_result store_mc_mget(void *be, struct store_mget_item *items, size_t n,
				const char *guard);
enum store_result store_mc_mark(void *be, const char *guard, bool done);

#endif
