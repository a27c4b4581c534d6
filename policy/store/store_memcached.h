/*
 * store_memcached - the shared-state backend on a memcached cluster.
 */
#ifndef SES_STORE_MEMCACHED_H
#define SES_STORE_MEMCACHED_H

#include <stdbool.h>

#include "store.h"

struct store_memcached_opts {
	const char *servers;	/* "host:port,host:port" */
	unsigned timeout_ms;	/* connect and I/O timeout per server */
	unsigned pool_size;	/* connections shared by the threads */
	unsigned dead_retry_s;	/* seconds before an ejected server is retried */
};

/*
 * Opens a pool of connections with the binary protocol and consistent
 * (ketama) hashing; a server that fails is ejected and retried after
 * dead_retry_s.  Returns 0, or -1 with a reason in err.
 */
int store_memcached_open(struct store *s, const struct store_memcached_opts *opts,
			 char *err, size_t errlen);

#endif
