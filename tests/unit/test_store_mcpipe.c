/*
 * test_store_mcpipe - store_mcpipe's answer reader against what a server
 * (or anything listening on its port) may send: each row is a batch, the
 * answers a server writes to a socket pair, and what the reader must make
 * of them.  An answer that cannot be ours (a second answer to a request,
 * the mark's before the writes', a wrong opcode, magic, opaque or length)
 * drops the connection; the writes answered before it keep their answers.
 */
#include "autoconf.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "store.h"
#include "store_mcpipe_internal.h"
#include "tabletest.h"

#define ADD 0x02
#define SET 0x01
#define INCR 0x05
#define GETK 0x0c
#define MARK 99			/* an answer's opaque: the mark's (ng) */
#define NOT_READ ((enum store_result)(STORE_ERROR + 1))
#define MAX_ITEMS 3
#define MAX_ANSWERS 4

/* One answer a server writes; zeros mean: what a well-formed answer has. */
struct answer {
	unsigned char op;
	uint32_t opaque;	/* MARK: ng */
	unsigned status;
	const char *value;	/* with len bytes (NULL: none) */
	size_t len;
	unsigned char magic;	/* 0: 0x81 */
	unsigned keylen;	/* claimed */
	uint32_t blen;		/* claimed (0: extras + key + value) */
	size_t cut;		/* the stream ends this many bytes before the answer's end */
};

struct row {
	const char *name;
	enum store_write_op ops[MAX_ITEMS];
	size_t ng;
	bool guard;
	struct answer answers[MAX_ANSWERS];
	size_t nanswers;
	bool keep_open;		/* the server stays silent instead of closing */
	int rc;
	bool answered[MAX_ITEMS];
	enum store_result results[MAX_ITEMS];
	uint64_t value0;	/* the value of item 0 when it is an answered increment */
	bool restored;
};

#define COUNTER(v) "\0\0\0\0\0\0\0" v	/* an increment's value: 8 bytes */
#define A(op_, opaque_, status_) { .op = (op_), .opaque = (opaque_), .status = (status_) }
#define AV(op_, opaque_, value_, len_) \
	{ .op = (op_), .opaque = (opaque_), .value = (value_), .len = (len_) }

static const struct row rows[] = {
	{ "well_formed_batch", { STORE_W_ADD, STORE_W_CAS, STORE_W_INCR }, 3, true,
	  { A(ADD, 0, 0), A(SET, 1, 2), AV(INCR, 2, COUNTER("\7"), 8), AV(GETK, MARK, "done", 4) },
	  4, false, 0, { true, true, true }, { STORE_OK, STORE_EXISTS, STORE_OK }, 0, true },
	{ "incr_value", { STORE_W_INCR }, 1, false, { AV(INCR, 0, COUNTER("\5"), 8) }, 1, false, 0,
	  { true }, { STORE_OK }, 5, false },
	{ "mark_pending_not_restored", { STORE_W_ADD }, 1, true,
	  { A(ADD, 0, 0), AV(GETK, MARK, "pending", 7) }, 2, false, 0, { true }, { STORE_OK },
	  0, false },
	{ "incr_lost_creation_race_left_to_caller", { STORE_W_INCR }, 1, false,
	  { A(INCR, 0, 2) }, 1, false, 0, { false }, { STORE_EXISTS }, 0, false },
	/* a second answer to write 0 stands where write 1's should be */
	{ "duplicate_answer_drops_connection", { STORE_W_ADD, STORE_W_ADD }, 2, false,
	  { A(ADD, 0, 0), A(ADD, 0, 2), A(ADD, 1, 0) }, 3, false, -1, { true, false },
	  { STORE_OK, NOT_READ }, 0, false },
	{ "duplicate_answer_before_mark", { STORE_W_ADD, STORE_W_ADD }, 2, true,
	  { A(ADD, 0, 0), A(ADD, 0, 0), A(ADD, 1, 0), AV(GETK, MARK, "done", 4) }, 4, false, -1,
	  { true, false }, { STORE_OK, NOT_READ }, 0, false },
	/* the mark read before the write says nothing of the server after it */
	{ "mark_before_writes_not_restored", { STORE_W_ADD }, 1, true,
	  { AV(GETK, MARK, "done", 4), A(ADD, 0, 0) }, 2, false, -1, { false }, { NOT_READ }, 0,
	  false },
	{ "wrong_opcode", { STORE_W_INCR }, 1, false, { AV(ADD, 0, COUNTER("\5"), 8) }, 1, false,
	  -1, { false }, { NOT_READ }, 0, false },
	{ "mark_opcode_wrong", { STORE_W_ADD }, 1, true,
	  { A(ADD, 0, 0), AV(ADD, MARK, "done", 4) }, 2, false, -1, { true }, { STORE_OK }, 0,
	  false },
	{ "incr_short_value_is_error", { STORE_W_INCR }, 1, false, { AV(INCR, 0, "\1\2\3\4", 4) },
	  1, false, 0, { true }, { STORE_ERROR }, 0, false },
	{ "unknown_opaque", { STORE_W_ADD }, 1, false, { A(ADD, 7, 0) }, 1, false, -1, { false },
	  { NOT_READ }, 0, false },
	{ "mark_unasked", { STORE_W_ADD }, 1, false, { AV(GETK, MARK, "done", 4) }, 1, false, -1,
	  { false }, { NOT_READ }, 0, false },
	{ "wrong_magic", { STORE_W_ADD }, 1, false, { { .op = ADD, .magic = 0x80 } }, 1, false, -1,
	  { false }, { NOT_READ }, 0, false },
	{ "body_over_max", { STORE_W_ADD }, 1, false,
	  { { .op = ADD, .blen = (1u << 20) + 1 } }, 1, false, -1,
	  { false }, { NOT_READ }, 0, false },
	{ "key_longer_than_body", { STORE_W_ADD }, 1, false,
	  { { .op = ADD, .value = "ab", .len = 2, .keylen = 3, .blen = 2 } }, 1, false, -1,
	  { false }, { NOT_READ }, 0, false },
	{ "truncated_value", { STORE_W_INCR }, 1, false,
	  { { .op = INCR, .value = COUNTER("\5"), .len = 8, .cut = 5 } },
	  1, false, -1, { false }, { NOT_READ }, 0, false },
	{ "truncated_header", { STORE_W_ADD }, 1, false, { { .op = ADD, .cut = 10 } },
	  1, false, -1, { false }, { NOT_READ }, 0, false },
	{ "silent_server_times_out", { STORE_W_ADD, STORE_W_ADD }, 2, false, { A(ADD, 0, 0) }, 1,
	  true, -2, { true, false }, { STORE_OK, NOT_READ }, 0, false },
};

static void put(unsigned char *p, uint64_t v, int bytes)
{
	int i;

	for (i = bytes - 1; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)v;
}

/*
 * Writes the answers of r to a socket pair; returns the reading end.
 * *writer is the other end when the server stays silent, else -1.
 */
static int serve(const struct row *r, int *writer)
{
	unsigned char buf[512];
	size_t i, len = 0;
	int sv[2];

	for (i = 0; i < r->nanswers; i++) {
		const struct answer *a = &r->answers[i];
		size_t ext = a->op == GETK ? 4 : 0, key = a->op == GETK ? 5 : a->keylen;
		size_t start = len;

		buf[len] = a->magic ? a->magic : 0x81;
		buf[len + 1] = a->op;
		put(buf + len + 2, key, 2);
		buf[len + 4] = (unsigned char)ext;
		buf[len + 5] = 0;
		put(buf + len + 6, a->status, 2);
		put(buf + len + 8, a->blen ? a->blen : ext + key + a->len, 4);
		put(buf + len + 12, a->opaque == MARK ? r->ng : a->opaque, 4);
		put(buf + len + 16, 1, 8);
		len += 24;
		memset(buf + len, 0, ext);
		len += ext;
		if (a->op == GETK)
			memcpy(buf + len, "rs:gw", 5);
		len += a->op == GETK ? 5 : 0;
		if (a->value != NULL)
			memcpy(buf + len, a->value, a->len);
		len += a->len;
		len -= a->cut < len - start ? a->cut : len - start;
	}
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	assert_int_equal(write(sv[1], buf, len), (ssize_t)len);
	if (!r->keep_open) {
		close(sv[1]);
		sv[1] = -1;
	}
	*writer = sv[1];
	assert_int_equal(fcntl(sv[0], F_SETFL, O_NONBLOCK), 0);
	return sv[0];
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void run(void **state)
{
	const struct row *r = *state;
	struct store_write_item items[MAX_ITEMS];
	size_t group[MAX_ITEMS] = { 0, 1, 2 }, k;
	bool answered[MAX_ITEMS] = { false }, restored = false;
	int writer, fd = serve(r, &writer), rc;

	memset(items, 0, sizeof items);
	for (k = 0; k < r->ng; k++) {
		items[k].op = r->ops[k];
		items[k].key = "k";
		items[k].result = NOT_READ;
	}
	/* the silent server's row waits out this deadline: the event it tests */
	rc = mcpipe_read_answers(fd, items, group, r->ng, r->guard, answered, &restored,
				 now_ms() + (r->keep_open ? 100 : 5000));
	close(fd);
	if (writer >= 0)
		close(writer);
	assert_int_equal(rc, r->rc);
	for (k = 0; k < r->ng; k++) {
		assert_int_equal(answered[k], r->answered[k]);
		assert_int_equal(items[k].result, r->results[k]);
	}
	if (r->ng > 0 && r->ops[0] == STORE_W_INCR && answered[0] && items[0].result == STORE_OK)
		assert_int_equal(items[0].value, r->value0);
	assert_int_equal(restored, r->restored);
}

int main(void)
{
	struct CMUnitTest tests[sizeof rows / sizeof rows[0]];

	TABLE_TESTS(tests, rows, sizeof rows / sizeof rows[0], run);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
