/*
 * test_store_memcached - guarded reads through libmemcached against a
 * server on loopback that this test plays: it speaks memcached's binary
 * protocol (quiet and plain gets, no-op, version) over one table of keys,
 * and can leave out the first or the last quiet get of every request, as
 * a request arrives when libmemcached skipped a key it could not send
 * (a connect that failed for that key, the next key reconnecting).
 *
 * Promise checked: a guarded key reads as absent only when the same
 * request that did not find it found the server restored; a request that
 * lost part of itself is a failure (STORE_ERROR), never "absent".
 */
#include "autoconf.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "store.h"
#include "store_memcached.h"
#include "strbuf.h"
#include "tabletest.h"

#define GUARD "rs:gw"
#define KEY "bl::x%40example.net"
#define OTHER "un:acct:x%40example.net"

enum drop { DROP_NONE, DROP_FIRST, DROP_LAST };

struct row {
	const char *name;
	const char *mark;	/* the mark's value on the server (NULL: none) */
	bool key_there;		/* KEY and OTHER are on the server */
	enum drop drop;		/* the quiet get the server never sees, per request */
	enum store_result mget;	/* store_mget's answer */
	enum store_result item;	/* KEY's item */
	enum store_result get;	/* store_get_guarded's answer */
};

static const struct row rows[] = {
	{ "restored_key_there_is_found", "done", true, DROP_NONE,
	  STORE_OK, STORE_OK, STORE_OK },
	{ "restored_key_absent_is_absent", "done", false, DROP_NONE,
	  STORE_OK, STORE_NOT_FOUND, STORE_NOT_FOUND },
	{ "no_mark_is_a_failure", NULL, false, DROP_NONE,
	  STORE_ERROR, STORE_ERROR, STORE_ERROR },
	{ "pending_mark_is_a_failure", "pending", true, DROP_NONE,
	  STORE_ERROR, STORE_ERROR, STORE_ERROR },
	{ "first_get_unsent_is_a_failure_not_absent", "done", true, DROP_FIRST,
	  STORE_ERROR, STORE_ERROR, STORE_ERROR },
	{ "last_get_unsent_is_a_failure_not_absent", "done", true, DROP_LAST,
	  STORE_ERROR, STORE_ERROR, STORE_ERROR },
	{ "first_get_unsent_without_the_key_is_a_failure", "done", false, DROP_FIRST,
	  STORE_ERROR, STORE_ERROR, STORE_ERROR },
};

struct server {
	const struct row *row;
	int listen_fd, stop_fd[2];
	pthread_t thread;
	unsigned port;
};

static void put_be(unsigned char *p, uint64_t v, int bytes)
{
	int i;

	for (i = bytes - 1; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)v;
}

static uint64_t get_be(const unsigned char *p, int bytes)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < bytes; i++)
		v = v << 8 | p[i];
	return v;
}

static bool read_full(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, (char *)buf + got, len - got);

		if (n <= 0)
			return false;
		got += (size_t)n;
	}
	return true;
}

static bool write_full(int fd, const void *buf, size_t len)
{
	size_t put = 0;

	while (put < len) {
		ssize_t n = send(fd, (const char *)buf + put, len - put, MSG_NOSIGNAL);

		if (n <= 0)
			return false;
		put += (size_t)n;
	}
	return true;
}

/* One answer: op, status, opaque, the key (GETK/GETKQ) and a value. */
static bool answer(int fd, unsigned op, unsigned status, uint32_t opaque, const char *key,
		   const char *value)
{
	unsigned char buf[512];
	size_t klen = key ? strlen(key) : 0, vlen = value ? strlen(value) : 0;
	size_t ext = value && key ? 4 : 0, len = 24;

	memset(buf, 0, 24 + ext);
	buf[0] = 0x81;
	buf[1] = (unsigned char)op;
	put_be(buf + 2, klen, 2);
	buf[4] = (unsigned char)ext;
	put_be(buf + 6, status, 2);
	put_be(buf + 8, ext + klen + vlen, 4);
	put_be(buf + 12, opaque, 4);
	put_be(buf + 16, 1, 8);
	len += ext;
	memcpy(buf + len, key ? key : "", klen);
	len += klen;
	memcpy(buf + len, value ? value : "", vlen);
	len += vlen;
	return write_full(fd, buf, len);
}

/* The value of key on the server of row r (NULL: not there). */
static const char *lookup(const struct row *r, const char *key)
{
	if (strcmp(key, GUARD) == 0)
		return r->mark;
	if (r->key_there && (strcmp(key, KEY) == 0 || strcmp(key, OTHER) == 0))
		return "1796587118 0 hard bounce";
	return NULL;
}

/*
 * Serves one connection.  The quiet gets of a request are held until its
 * no-op, so the first or the last can be left out as the row says.
 */
static void serve_conn(const struct row *r, int fd)
{
	char keys[16][128];
	uint32_t opaques[16];
	size_t nq = 0, i;
	unsigned char h[24];
	char body[1024];

	while (read_full(fd, h, 24)) {
		unsigned op = h[1];
		size_t klen = get_be(h + 2, 2), ext = h[4], blen = get_be(h + 8, 4);
		uint32_t opaque = (uint32_t)get_be(h + 12, 4);

		if (h[0] != 0x80 || blen >= sizeof body || klen > blen || ext + klen > blen ||
		    klen >= sizeof keys[0] || !read_full(fd, body, blen))
			return;
		body[ext + klen] = '\0';
		if (op == 0x0d && nq < 16) {			/* GETKQ */
			memcpy(keys[nq], body + ext, klen + 1);
			opaques[nq++] = opaque;
		} else if (op == 0x0c) {			/* GETK */
			const char *v = lookup(r, body + ext);

			if (!answer(fd, op, v ? 0 : 1, opaque, body + ext, v))
				return;
		} else if (op == 0x0a) {			/* NOOP: the request's end */
			for (i = 0; i < nq; i++) {
				const char *v = lookup(r, keys[i]);

				if ((r->drop == DROP_FIRST && i == 0) ||
				    (r->drop == DROP_LAST && i + 1 == nq) || v == NULL)
					continue;
				if (!answer(fd, 0x0d, 0, opaques[i], keys[i], v))
					return;
			}
			nq = 0;
			if (!answer(fd, op, 0, opaque, NULL, NULL))
				return;
		} else if (op == 0x07) {			/* QUIT: the client is gone */
			return;
		} else if (op == 0x0b) {			/* VERSION */
			if (!answer(fd, op, 0, opaque, NULL, "1.6.18"))
				return;
		} else if (!answer(fd, op, 0x81, opaque, NULL, NULL)) {	/* unknown command */
			return;
		}
	}
}

static void *server_main(void *arg)
{
	struct server *s = arg;
	struct pollfd p[2] = { { s->listen_fd, POLLIN, 0 }, { s->stop_fd[0], POLLIN, 0 } };

	for (;;) {
		int fd;

		if (poll(p, 2, -1) < 0 || (p[1].revents & POLLIN))
			return NULL;
		fd = accept(s->listen_fd, NULL, NULL);
		if (fd < 0)
			continue;
		serve_conn(s->row, fd);
		close(fd);
	}
}

static void server_start(struct server *s, const struct row *r)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t alen = sizeof a;

	s->row = r;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(s->listen_fd >= 0);
	assert_int_equal(bind(s->listen_fd, (struct sockaddr *)&a, sizeof a), 0);
	assert_int_equal(listen(s->listen_fd, 8), 0);
	assert_int_equal(getsockname(s->listen_fd, (struct sockaddr *)&a, &alen), 0);
	s->port = ntohs(a.sin_port);
	assert_int_equal(pipe(s->stop_fd), 0);
	assert_int_equal(pthread_create(&s->thread, NULL, server_main, s), 0);
}

static void server_stop(struct server *s)
{
	assert_int_equal(write(s->stop_fd[1], "x", 1), 1);
	pthread_join(s->thread, NULL);
	close(s->listen_fd);
	close(s->stop_fd[0]);
	close(s->stop_fd[1]);
}

static void run(void **state)
{
	const struct row *r = *state;
	struct server srv;
	struct store st = { 0 };
	struct store_memcached_opts o = { .timeout_ms = 2000, .pool_size = 1, .dead_retry_s = 1 };
	struct strbuf v[2] = { STRBUF_INIT, STRBUF_INIT }, got = STRBUF_INIT;
	struct store_mget_item items[2] = {
		{ .key = KEY, .val = &v[0], .guarded = true },
		{ .key = OTHER, .val = &v[1], .guarded = true },
	};
	char servers[64], err[256];

	server_start(&srv, r);
	snprintf(servers, sizeof servers, "127.0.0.1:%u", srv.port);
	o.servers = servers;
	assert_int_equal(store_memcached_open(&st, &o, err, sizeof err), 0);
	st.guard = GUARD;

	assert_int_equal(store_mget(&st, items, 2), r->mget);
	assert_int_equal(items[0].result, r->item);
	if (r->item != STORE_OK)
		assert_int_equal(v[0].len, 0);
	assert_int_equal(store_get_guarded(&st, KEY, &got), r->get);
	if (r->get != STORE_OK)
		assert_int_equal(got.len, 0);

	store_free(&st);
	server_stop(&srv);
	strbuf_free(&v[0]);
	strbuf_free(&v[1]);
	strbuf_free(&got);
}

int main(void)
{
	struct CMUnitTest tests[sizeof rows / sizeof rows[0]];

	TABLE_TESTS(tests, rows, sizeof rows / sizeof rows[0], run);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
