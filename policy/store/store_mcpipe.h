/*
 * store_mcpipe - pipelined writes to one memcached server, for
 * store_memcached's mwrite.
 *
 * libmemcached sends a write and waits for its answer before the next
 * one; its request buffering answers nothing (the replies are
 * discarded), which the reservations cannot use.  This module speaks
 * memcached's binary protocol itself on connections of its own: every
 * write of a batch (add, compare-and-swap, increment-with-initial) and,
 * when asked, a read of the restore mark after them go out in one send,
 * and the answers are read back matched by their opaque number.  One
 * round trip for the lot.
 *
 * The server is the one libmemcached's continuum names for the keys
 * (store_memcached groups them); connections are kept idle per server
 * and checked for a hang-up before reuse.  A write the server did not
 * answer (refused connection, reset, end of stream, an increment that
 * lost its creation race) is left unanswered: the caller makes it again
 * through libmemcached, whose retries move keys off a dead server.  A
 * timeout answers STORE_ERROR: the time is used up.
 */
#ifndef SES_STORE_MCPIPE_H
#define SES_STORE_MCPIPE_H

#include <stdbool.h>
#include <stddef.h>

#include "store.h"

struct mcpipe;

/* Idle connections kept: at most max_idle; each exchange bounded by timeout_ms. */
struct mcpipe *mcpipe_new(unsigned timeout_ms, unsigned max_idle);
void mcpipe_free(struct mcpipe *p);

/*
 * Sends the writes items[group[k]], k < ng, to host:port (a path starting
 * with '/' is a Unix socket), then, with guard, a read of the mark; all
 * in one request.  Fills each answered item's result and value and sets
 * answered[k]; *restored is true when the mark said "done".  Returns 0
 * when every item and the mark were answered, 1 when some were not (the
 * caller makes the unanswered writes again another way, and reads the
 * mark for answered guarded ones), -1 on a timeout (the unanswered items
 * say STORE_ERROR, *restored is false).
 */
int mcpipe_run(struct mcpipe *p, const char *host, unsigned port, struct store_write_item *items,
	       const size_t *group, size_t ng, const char *guard, bool *answered, bool *restored);

#endif
