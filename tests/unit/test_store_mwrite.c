/*
 * test_store_mwrite - store_mwrite, the one write step of a recipient,
 * in both backends: the answers of add, compare-and-swap and increment
 * as the single operations give them, and the restore mark: a guarded
 * write on a server not restored is taken back and answers STORE_ERROR.
 *
 * The memcached cases start a private memcached on a free loopback port
 * (skipped when there is no memcached binary) and stop it by its PID:
 * a server killed between the read and the write, and a server
 * restarted empty (its restore mark gone).
 */
#include "autoconf.h"

#include <errno.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "store.h"
#include "store_mem.h"
#include "store_memcached.h"

#define GUARD "rs:test-gateway"

/* The writes of a batch: a new slot, a slot taken, a counter (guarded). */
static void batch_fill(struct store_write_item *w)
{
	memset(w, 0, 3 * sizeof *w);
	w[0] = (struct store_write_item){ .op = STORE_W_ADD, .key = "fq:a:r:0", .val = "100",
					  .len = 3, .ttl = 3601 };
	w[1] = (struct store_write_item){ .op = STORE_W_ADD, .key = "fq:a:r:1", .val = "200",
					  .len = 3, .ttl = 3601 };
	w[2] = (struct store_write_item){ .op = STORE_W_INCR, .key = "dq:a:20260101", .delta = 1,
					  .initial = 1, .ttl = 172800, .guarded = true };
}

/* Sets this gateway's restore mark "done" on every server. */
static void mark_done(struct store *s)
{
	s->guard = GUARD;
	assert_int_equal(store_mark(s, false), STORE_OK);
	assert_int_equal(store_mark(s, true), STORE_OK);
}

/* The answers of one batch over a store whose mark is done. */
static void answers_are_those_of_single_writes(struct store *s)
{
	struct store_write_item w[3];
	struct strbuf val = STRBUF_INIT;
	uint64_t cas = 0;

	mark_done(s);
	assert_int_equal(store_add(s, "fq:a:r:1", "50", 2, 3601), STORE_OK);
	batch_fill(w);
	assert_int_equal(store_mwrite(s, w, 3), STORE_OK);
	assert_int_equal(w[0].result, STORE_OK);
	assert_int_equal(w[1].result, STORE_EXISTS);
	assert_int_equal(w[2].result, STORE_OK);
	assert_int_equal(w[2].value, 1);
	assert_true(w[2].restored);
	batch_fill(w);
	assert_int_equal(store_mwrite(s, w, 3), STORE_OK);
	assert_int_equal(w[0].result, STORE_EXISTS);
	assert_int_equal(w[2].value, 2);
	/* compare-and-swap: the token read, then a stale one, then a key gone */
	assert_int_equal(store_gets(s, "fq:a:r:1", &val, &cas), STORE_OK);
	w[0] = (struct store_write_item){ .op = STORE_W_CAS, .key = "fq:a:r:1", .val = "300",
					  .len = 3, .ttl = 3601, .cas = cas };
	w[1] = w[0];
	w[1].key = "fq:a:r:9";
	assert_int_equal(store_mwrite(s, w, 2), STORE_OK);
	assert_int_equal(w[0].result, STORE_OK);
	assert_int_equal(w[1].result, STORE_NOT_FOUND);
	assert_int_equal(store_mwrite(s, w, 1), STORE_OK);
	assert_int_equal(w[0].result, STORE_EXISTS);
	strbuf_reset(&val);
	assert_int_equal(store_get(s, "fq:a:r:1", &val), STORE_OK);
	assert_string_equal(strbuf_cstr(&val), "300");
	/* set: over a key there and a key absent alike */
	w[0] = (struct store_write_item){ .op = STORE_W_SET, .key = "fq:a:r:1", .val = "1",
					  .len = 1, .ttl = 60 };
	w[1] = w[0];
	w[1].key = "vsent:m:r";
	assert_int_equal(store_mwrite(s, w, 2), STORE_OK);
	assert_int_equal(w[0].result, STORE_OK);
	assert_int_equal(w[1].result, STORE_OK);
	strbuf_reset(&val);
	assert_int_equal(store_get(s, "fq:a:r:1", &val), STORE_OK);
	assert_string_equal(strbuf_cstr(&val), "1");
	strbuf_reset(&val);
	assert_int_equal(store_get(s, "vsent:m:r", &val), STORE_OK);
	assert_string_equal(strbuf_cstr(&val), "1");
	strbuf_free(&val);
}

/* A guarded write on a server without the mark "done": taken back, STORE_ERROR. */
static void guarded_write_unrestored_is_undone(struct store *s)
{
	struct store_write_item w[3];
	struct strbuf val = STRBUF_INIT;

	s->guard = GUARD;
	(void)store_restore_wait(0);	/* forget earlier wakes */
	batch_fill(w);
	assert_int_equal(store_mwrite(s, w, 3), STORE_ERROR);
	assert_int_equal(w[0].result, STORE_OK);	/* unguarded: kept */
	assert_int_equal(w[1].result, STORE_OK);
	assert_int_equal(w[2].result, STORE_ERROR);
	assert_true(store_restore_wait(0));		/* the restore thread is woken */
	/* the increment was taken back: the counter holds no recipient */
	if (store_get(s, "dq:a:20260101", &val) == STORE_OK)
		assert_string_equal(strbuf_cstr(&val), "0");
	strbuf_free(&val);
}

/* ---- the memory backend ------------------------------------------------------- */

static void mem_answers(void **state)
{
	struct store s;

	(void)state;
	store_mem_open(&s);
	answers_are_those_of_single_writes(&s);
	store_free(&s);
}

static void mem_restarted_empty_errs(void **state)
{
	struct store s;

	(void)state;
	store_mem_open(&s);
	mark_done(&s);
	store_mem_restart(&s);
	guarded_write_unrestored_is_undone(&s);
	store_free(&s);
}

static void mem_down_between_read_and_write_errs(void **state)
{
	struct store_mget_item r = { .key = "fq:a:r:0" };
	struct store_write_item w[3];
	struct strbuf val = STRBUF_INIT;
	struct store s;
	size_t i;

	(void)state;
	store_mem_open(&s);
	mark_done(&s);
	r.val = &val;
	assert_int_equal(store_mget(&s, &r, 1), STORE_OK);
	store_mem_set_down(&s, true);
	batch_fill(w);
	assert_int_equal(store_mwrite(&s, w, 3), STORE_ERROR);
	for (i = 0; i < 3; i++)
		assert_int_equal(w[i].result, STORE_ERROR);
	store_mem_set_down(&s, false);
	strbuf_free(&val);
	store_free(&s);
}

/* A backend without mwrite: the same answers, one write at a time. */
static struct store plain_inner;
static const struct store_ops *plain_ops(void);

static void mem_without_mwrite_answers_the_same(void **state)
{
	struct store s;

	(void)state;
	store_mem_open(&plain_inner);
	s.ops = plain_ops();
	s.be = plain_inner.be;
	s.guard = NULL;
	answers_are_those_of_single_writes(&s);
	s.guard = NULL;
	store_mem_restart(&plain_inner);
	guarded_write_unrestored_is_undone(&s);
	store_free(&plain_inner);
}

static const struct store_ops *plain_ops(void)
{
	static struct store_ops ops;

	ops = *plain_inner.ops;
	ops.name = "memory without mwrite";
	ops.mwrite = NULL;
	ops.free = NULL;
	return &ops;
}

/* ---- the memcached backend ------------------------------------------------------ */

struct mc_server {
	pid_t pid;
	unsigned port;
	char addr[32];
};

static unsigned free_port(void)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof sin;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true(fd >= 0);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	close(fd);
	return ntohs(sin.sin_port);
}

static bool port_listens(unsigned port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	bool ok;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ok = fd >= 0 && connect(fd, (struct sockaddr *)&sin, sizeof sin) == 0;
	if (fd >= 0)
		close(fd);
	return ok;
}

/* Starts memcached on srv->port (a free one when 0); false when there is none to run. */
static bool mc_server_start(struct mc_server *srv)
{
	struct timespec step = { 0, 10 * 1000000L };
	char port[16];
	int i;

	if (access("/usr/bin/memcached", X_OK) != 0)
		return false;
	if (srv->port == 0)
		srv->port = free_port();
	snprintf(port, sizeof port, "%u", srv->port);
	snprintf(srv->addr, sizeof srv->addr, "127.0.0.1:%u", srv->port);
	srv->pid = fork();
	assert_true(srv->pid >= 0);
	if (srv->pid == 0) {
		execl("/usr/bin/memcached", "memcached", "-l", "127.0.0.1", "-p", port, "-U", "0",
		      "-u", "nobody", "-m", "16", (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 500 && !port_listens(srv->port); i++)	/* up to 5 s to listen */
		nanosleep(&step, NULL);
	assert_true(port_listens(srv->port));
	return true;
}

static void mc_server_kill(struct mc_server *srv)
{
	if (srv->pid <= 0)
		return;
	kill(srv->pid, SIGKILL);
	waitpid(srv->pid, NULL, 0);
	srv->pid = 0;
}

static void mc_open(struct store *s, const struct mc_server *srv)
{
	struct store_memcached_opts o = { srv->addr, 500, 2, 1 };
	char err[256];

	assert_int_equal(store_memcached_open(s, &o, err, sizeof err), 0);
}

static void memcached_answers(void **state)
{
	struct mc_server srv = { 0 };
	struct store s;

	(void)state;
	if (!mc_server_start(&srv))
		skip();
	mc_open(&s, &srv);
	answers_are_those_of_single_writes(&s);
	store_free(&s);
	mc_server_kill(&srv);
}

static void memcached_killed_between_read_and_write_errs(void **state)
{
	struct mc_server srv = { 0 };
	struct store_mget_item r = { .key = "fq:a:r:0", .guarded = true };
	struct store_write_item w[3];
	struct strbuf val = STRBUF_INIT;
	struct store s;
	size_t i;

	(void)state;
	if (!mc_server_start(&srv))
		skip();
	mc_open(&s, &srv);
	mark_done(&s);
	batch_fill(w);
	assert_int_equal(store_mwrite(&s, w, 3), STORE_OK);	/* the pipeline's connection is kept */
	r.val = &val;
	assert_int_equal(store_mget(&s, &r, 1), STORE_OK);
	assert_int_equal(r.result, STORE_OK);
	mc_server_kill(&srv);
	batch_fill(w);
	assert_int_equal(store_mwrite(&s, w, 3), STORE_ERROR);
	for (i = 0; i < 3; i++)
		assert_int_equal(w[i].result, STORE_ERROR);
	strbuf_free(&val);
	store_free(&s);
}

static void memcached_restarted_empty_errs(void **state)
{
	struct mc_server srv = { 0 };
	struct store_mget_item r = { .key = "fq:a:r:0", .guarded = true };
	struct strbuf val = STRBUF_INIT;
	struct store s;

	(void)state;
	if (!mc_server_start(&srv))
		skip();
	mc_open(&s, &srv);
	mark_done(&s);
	r.val = &val;
	assert_int_equal(store_mget(&s, &r, 1), STORE_OK);
	mc_server_kill(&srv);
	assert_true(mc_server_start(&srv));	/* the same port, empty: no restore mark */
	guarded_write_unrestored_is_undone(&s);
	strbuf_free(&val);
	store_free(&s);
	mc_server_kill(&srv);
}

/* Eight counters spread over two servers: one request each, every answer right. */
static void memcached_two_servers_answer_every_write(void **state)
{
	struct mc_server a = { 0 }, b = { 0 };
	struct store_memcached_opts o = { NULL, 500, 2, 1 };
	struct store_write_item w[8];
	char servers[80], keys[8][16], err[256];
	struct store s;
	int i, round;

	(void)state;
	if (!mc_server_start(&a))
		skip();
	assert_true(mc_server_start(&b));
	snprintf(servers, sizeof servers, "%s,%s", a.addr, b.addr);
	o.servers = servers;
	assert_int_equal(store_memcached_open(&s, &o, err, sizeof err), 0);
	mark_done(&s);
	for (round = 1; round <= 2; round++) {
		for (i = 0; i < 8; i++) {
			snprintf(keys[i], sizeof keys[i], "rt:a:%d", i);
			w[i] = (struct store_write_item){ .op = STORE_W_INCR, .key = keys[i],
							  .delta = 1, .initial = 1, .ttl = 60,
							  .guarded = i % 2 == 0 };
		}
		assert_int_equal(store_mwrite(&s, w, 8), STORE_OK);
		for (i = 0; i < 8; i++) {
			assert_int_equal(w[i].result, STORE_OK);
			assert_int_equal(w[i].value, round);
		}
	}
	store_free(&s);
	mc_server_kill(&a);
	mc_server_kill(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(mem_answers),
		cmocka_unit_test(mem_restarted_empty_errs),
		cmocka_unit_test(mem_down_between_read_and_write_errs),
		cmocka_unit_test(mem_without_mwrite_answers_the_same),
		cmocka_unit_test(memcached_answers),
		cmocka_unit_test(memcached_killed_between_read_and_write_errs),
		cmocka_unit_test(memcached_restarted_empty_errs),
		cmocka_unit_test(memcached_two_servers_answer_every_write),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
