/*
 * store_mcpipe - pipelined writes to one memcached server, for
 * store_memcached's mwrite.
 *
 * libmemcached sends a write and waits for its answer before the next
 * one; its request buffering answers nothing (the replies are
 * discarded), which the reservations cannot use.  This module speaks
 * memcached's binary protocol itself on connections of its own: the
 * writes of a batch (add, compare-and-swap, increment-with-initial) that
 * live on one server and, when asked, a read of the restore mark after
 * them go out in one send; every server's request is sent before any
 * answer is read, and the answers are matched by their opaque number.
 * One round trip for the lot.
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
#include <stdint.h>

#include <libmemcached/memcached.h>

#include "store.h"

struct mcpipe;

/* Idle connections kept: at most max_idle; each exchange bounded by timeout_ms. */
struct mcpipe *mcpipe_new(unsigned timeout_ms, unsigned max_idle);
void mcpipe_free(struct mcpipe *p);

/* What mcpipe_batch left to its caller for an item. */
enum mcpipe_left {
	MCPIPE_LEFT_NONE,	/* answered (result, value, restored filled) */
	MCPIPE_LEFT_WRITE,	/* not answered: make the write (and read the mark) again */
	MCPIPE_LEFT_MARK,	/* answered, but the mark after it was not read */
};

/*
 * Makes the n writes: grouped by the server m's continuum gives their
 * key (a path starting with '/' is a Unix socket), one request per server
 * holding the group's writes and, when one is guarded and guard is not
 * NULL, a read of the mark after them; every request is sent before any
 * answer is read.  Fills each answered item's result, value and
 * restored; a timeout answers STORE_ERROR.  left[i] says what the caller
 * still has to do; returns true when anything is left.  *timed_out
 * says whether a server's answers did not come in time.
 */
bool mcpipe_batch(struct mcpipe *p, memcached_st *m, struct store_write_item *items, size_t n,
		  const char *guard, enum mcpipe_left *left, bool *timed_out);

#endif
