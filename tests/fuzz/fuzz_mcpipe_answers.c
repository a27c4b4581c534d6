/*
 * fuzz_mcpipe_answers - libFuzzer target: a memcached server's answers
 * to a pipelined write batch, as store_mcpipe reads them from its
 * connection (mcpipe_read_answers over a socket pair whose other end has
 * written the input and closed).
 *
 * Input: byte 0 gives the batch (bits 0-2: the number of writes, bit 3: a
 * mark read after them), then one byte per write picks its operation
 * (add, compare-and-swap, increment); the rest is the server's stream.
 * Whatever the stream says, the reader must not wait (the stream has
 * ended), and what it reports must be in the stream: a write answered
 * only by an answer with its opaque, an increment's STORE_OK only with
 * its 8-byte value, "every answer came" only when each request has one,
 * the mark "done" only when read after every write.
 */
#include "autoconf.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "fuzzutil.h"
#include "store.h"
#include "store_mcpipe_internal.h"

#define BATCH_MAX 8
#define STREAM_MAX 65536	/* fits a socket pair's buffer: the write never blocks */
#define HEADER 24
#define UNTOUCHED ((enum store_result)(STORE_ERROR + 1))

/* What the stream holds for one opaque, framed the way a server frames it. */
struct seen {
	bool any;		/* a complete answer with this opaque */
	bool incr_ok;		/* one says OK with an 8-byte value ... */
	uint64_t values[16];	/* ... and these are the first such values */
	size_t nvalues;
	bool done;		/* the mark: one says OK "done" after every write's */
};

static uint64_t be(const uint8_t *p, int bytes)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < bytes; i++)
		v = (v << 8) | p[i];
	return v;
}

/* Walks the complete packets of s with response magic; fills seen[0..ng]. */
static void model(const uint8_t *s, size_t len, size_t ng, struct seen *seen)
{
	size_t off = 0, writes_seen = 0;
	bool counted[BATCH_MAX] = { false };

	while (len - off >= HEADER) {
		const uint8_t *h = s + off;
		uint64_t blen = be(h + 8, 4), opaque = be(h + 12, 4);
		size_t skip = (size_t)h[4] + (size_t)be(h + 2, 2);

		if (blen > len - off - HEADER)
			break;
		off += HEADER + blen;
		if (h[0] != 0x81 || skip > blen || opaque > ng)
			continue;
		seen[opaque].any = true;
		if (opaque < ng && !counted[opaque]) {
			counted[opaque] = true;
			writes_seen++;
		}
		if (be(h + 6, 2) != 0)
			continue;
		if (opaque < ng && blen - skip == 8 && seen[opaque].nvalues < 16) {
			seen[opaque].incr_ok = true;
			seen[opaque].values[seen[opaque].nvalues++] = be(h + HEADER + skip, 8);
		}
		if (opaque == ng && writes_seen == ng && blen - skip == 4 &&
		    memcmp(h + HEADER + skip, "done", 4) == 0)
			seen[opaque].done = true;
	}
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The stream's bytes come through a socket, as from a server; -1 if not. */
static int feed(const uint8_t *s, size_t len)
{
	int sv[2];
	size_t off = 0;
	ssize_t n;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
		abort();
	while (off < len) {
		n = write(sv[1], s + off, len - off);
		if (n <= 0)
			abort();
		off += (size_t)n;
	}
	close(sv[1]);
	(void)fcntl(sv[0], F_SETFL, O_NONBLOCK);
	return sv[0];
}

static bool result_valid(enum store_result r)
{
	return r == STORE_OK || r == STORE_NOT_FOUND || r == STORE_EXISTS || r == STORE_ERROR;
}

static void check(const struct store_write_item *items, size_t ng, bool guard,
		  const bool *answered, bool restored, int rc, const struct seen *seen)
{
	size_t k, j;
	bool found;

	if (rc != 0 && rc != -1)
		abort();	/* -2: it waited on a stream that had ended */
	for (k = 0; k < ng; k++) {
		if (items[k].result != UNTOUCHED && !result_valid(items[k].result))
			abort();
		if (answered[k] && (!seen[k].any || items[k].result == UNTOUCHED))
			abort();
		if (rc == 0 && !seen[k].any)
			abort();	/* "every answer came", one of them missing */
		if (!answered[k] || items[k].op != STORE_W_INCR || items[k].result != STORE_OK)
			continue;
		found = false;
		for (j = 0; j < seen[k].nvalues; j++)
			found = found || seen[k].values[j] == items[k].value;
		if (!seen[k].incr_ok || (seen[k].nvalues < 16 && !found))
			abort();	/* STORE_OK without the counter's value */
	}
	if (restored && (!guard || !seen[ng].done))
		abort();
	if (rc == 0 && guard && !seen[ng].any)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct store_write_item items[BATCH_MAX];
	size_t group[BATCH_MAX], ng, k;
	bool answered[BATCH_MAX + 1], restored = false, guard;
	struct seen seen[BATCH_MAX + 1];
	int fd, rc;

	if (size < 1)
		return 0;
	ng = data[0] & 7;
	guard = (data[0] & 8) != 0;
	if (size < 1 + ng || size - 1 - ng > STREAM_MAX)
		return 0;
	memset(items, 0, sizeof items);
	memset(seen, 0, sizeof seen);
	for (k = 0; k < ng; k++) {
		static const enum store_write_op ops[] = { STORE_W_ADD, STORE_W_CAS, STORE_W_INCR };

		items[k].op = ops[data[1 + k] % 3];
		items[k].key = "k";
		items[k].result = UNTOUCHED;
		group[k] = k;
		answered[k] = false;
	}
	data += 1 + ng;
	size -= 1 + ng;
	model(data, size, ng, seen);
	fd = feed(data, size);
	rc = mcpipe_read_answers(fd, items, group, ng, guard, answered, &restored,
				 now_ms() + 2000);
	close(fd);
	check(items, ng, guard, answered, restored, rc, seen);
	return 0;
}
