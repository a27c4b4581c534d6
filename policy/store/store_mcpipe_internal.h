/*
 * store_mcpipe_internal - the answer reader of store_mcpipe, for its
 * unit tests and its fuzz target: the answers come from the network, so
 * they are fed to it as a server's byte stream over a socket.
 */
#ifndef SES_STORE_MCPIPE_INTERNAL_H
#define SES_STORE_MCPIPE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

/*
 * Reads from fd the answers to the writes items[group[k]], k < ng (the
 * opaque of a write is k), and, with guard, the answer to the mark read
 * (opaque ng), which must come after every write's.  answered[k] says
 * whether write k has its final answer (filled in its item); *restored
 * whether the mark said "done" (the caller sets both false first).
 * Each request has one answer: a second one, an unknown opaque or
 * opcode, a wrong magic or an impossible length drop the connection.
 * deadline is CLOCK_MONOTONIC milliseconds.
 * Returns 0 when every answer came, -1 on an error or the end of the
 * stream, -2 on a timeout.
 */
int mcpipe_read_answers(int fd, struct store_write_item *items, const size_t *group, size_t ng,
			bool guard, bool *answered, bool *restored, int64_t deadline);

#endif
