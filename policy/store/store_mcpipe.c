/*
 * store_mcpipe - one request of pipelined binary-protocol writes; see
 * store_mcpipe.h.
 *
 * Requests and answers follow memcached's binary protocol: a 24-byte
 * header (magic, opcode, key length, extras length, status or vbucket,
 * body length, opaque, CAS), then extras, key and value.  The opaque of
 * a write is its place in its server's group; the mark read uses ng.
 * Every group's request is sent before any answer is read.  The answers
 * are outside data: each request gets one, with its opcode, the mark's
 * after the writes'; anything else drops the connection.
 */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <libmemcached/memcached.h>

#include "store_mcpipe.h"
#include "store_mcpipe_internal.h"
#include "strbuf.h"
#include "xalloc.h"

#define MCP_HEADER 24
#define MCP_REQ 0x80
#define MCP_RES 0x81
#define MCP_OP_SET 0x01
#define MCP_OP_ADD 0x02
#define MCP_OP_INCR 0x05
#define MCP_OP_GETK 0x0c
#define MCP_OK 0x0000
#define MCP_ENOENT 0x0001
#define MCP_EEXISTS 0x0002
#define MCP_NOT_STORED 0x0005
#define MCP_RELATIVE_TTL_MAX 2592000u	/* 30 days, as store_memcached */
#define MCP_ANSWER_MAX (1u << 20)	/* a mark or a counter: small */

struct mcp_conn {
	char *host;
	unsigned port;
	int fd;
};

struct mcpipe {
	pthread_mutex_t lock;
	struct mcp_conn *idle;
	size_t nidle, max_idle;
	unsigned timeout_ms;
};

struct mcpipe *mcpipe_new(unsigned timeout_ms, unsigned max_idle)
{
	struct mcpipe *p = xcalloc(1, sizeof *p);

	pthread_mutex_init(&p->lock, NULL);
	p->max_idle = max_idle ? max_idle : 8;
	p->idle = xcalloc(p->max_idle, sizeof *p->idle);
	p->timeout_ms = timeout_ms ? timeout_ms : 1000;
	return p;
}

void mcpipe_free(struct mcpipe *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->nidle; i++) {
		close(p->idle[i].fd);
		free(p->idle[i].host);
	}
	free(p->idle);
	pthread_mutex_destroy(&p->lock);
	free(p);
}

static int64_t mcp_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits for events on fd until deadline: 1 ready, 0 timed out, -1 error. */
static int mcp_wait(int fd, short events, int64_t deadline)
{
	struct pollfd pfd = { fd, events, 0 };
	int64_t left;
	int n;

	for (;;) {
		left = deadline - mcp_now_ms();
		if (left <= 0)
			return 0;
		n = poll(&pfd, 1, (int)left);
		if (n > 0)
			return (pfd.revents & (POLLERR | POLLNVAL)) && !(pfd.revents & events) ? -1 : 1;
		if (n == 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}

/* A non-blocking connection to host:port; -1 if refused, -2 on a timeout. */
static int mcp_connect(const char *host, unsigned port, int64_t deadline)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV };
	struct addrinfo *res = NULL;
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char service[16];
	int fd, err = 0, w, one = 1;
	socklen_t elen = sizeof err;

	if (host[0] == '/') {
		if (strlen(host) >= sizeof sun.sun_path)
			return -1;
		strcpy(sun.sun_path, host);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&sun, sizeof sun) != 0 &&
		    errno != EINPROGRESS && errno != EAGAIN) {
			close(fd);
			return -1;
		}
	} else {
		snprintf(service, sizeof service, "%u", port);
		if (getaddrinfo(host, service, &hints, &res) != 0 || res == NULL)
			return -1;
		fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		/* a request larger than a segment must not wait for an ACK */
		if (fd >= 0)
			(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		if (fd >= 0 && connect(fd, res->ai_addr, res->ai_addrlen) != 0 && errno != EINPROGRESS) {
			close(fd);
			fd = -1;
		}
		freeaddrinfo(res);
	}
	if (fd < 0)
		return -1;
	w = mcp_wait(fd, POLLOUT, deadline);
	if (w <= 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) != 0 || err != 0) {
		close(fd);
		return w == 0 ? -2 : -1;
	}
	return fd;
}

/* True when an idle connection has been hung up (or has stray bytes). */
static bool mcp_stale(int fd)
{
	struct pollfd pfd = { fd, POLLIN, 0 };

	return poll(&pfd, 1, 0) != 0;
}

/* An idle connection to host:port, or a new one; see mcp_connect for errors. */
static int mcp_take(struct mcpipe *p, const char *host, unsigned port, int64_t deadline)
{
	int fd = -1;
	size_t i;

	pthread_mutex_lock(&p->lock);
	i = 0;
	while (i < p->nidle && fd < 0) {
		if (p->idle[i].port != port || strcmp(p->idle[i].host, host) != 0) {
			i++;
			continue;
		}
		fd = p->idle[i].fd;
		free(p->idle[i].host);
		p->idle[i] = p->idle[--p->nidle];	/* the last one moves to i: looked at next */
		if (mcp_stale(fd)) {
			close(fd);	/* the server restarted or closed it */
			fd = -1;
		}
	}
	pthread_mutex_unlock(&p->lock);
	return fd >= 0 ? fd : mcp_connect(host, port, deadline);
}

static void mcp_give(struct mcpipe *p, const char *host, unsigned port, int fd)
{
	pthread_mutex_lock(&p->lock);
	if (p->nidle < p->max_idle) {
		p->idle[p->nidle].host = xstrdup(host);
		p->idle[p->nidle].port = port;
		p->idle[p->nidle++].fd = fd;
		fd = -1;
	}
	pthread_mutex_unlock(&p->lock);
	if (fd >= 0)
		close(fd);
}

static void mcp_put32(struct strbuf *b, uint32_t v)
{
	unsigned char c[4] = { (unsigned char)(v >> 24), (unsigned char)(v >> 16),
			       (unsigned char)(v >> 8), (unsigned char)v };

	strbuf_append(b, c, 4);
}

static void mcp_put64(struct strbuf *b, uint64_t v)
{
	mcp_put32(b, (uint32_t)(v >> 32));
	mcp_put32(b, (uint32_t)v);
}

static uint32_t mcp_expiry(uint32_t ttl)
{
	if (ttl > MCP_RELATIVE_TTL_MAX)
		return (uint32_t)(time(NULL) + (time_t)ttl);
	return ttl;
}

/* Appends one request: header, extras, key, value. */
static void mcp_request(struct strbuf *b, unsigned char op, uint32_t opaque, uint64_t cas,
			const unsigned char *extras, size_t elen, const char *key,
			const void *val, size_t vlen)
{
	size_t klen = strlen(key);
	unsigned char h[8] = { MCP_REQ, op, (unsigned char)(klen >> 8), (unsigned char)klen,
			       (unsigned char)elen, 0, 0, 0 };

	strbuf_append(b, h, sizeof h);
	mcp_put32(b, (uint32_t)(elen + klen + vlen));
	mcp_put32(b, opaque);
	mcp_put64(b, cas);
	strbuf_append(b, extras, elen);
	strbuf_append(b, key, klen);
	if (vlen > 0)
		strbuf_append(b, val, vlen);
}

static void mcp_be(unsigned char *out, uint64_t v, int bytes)
{
	int i;

	for (i = bytes - 1; i >= 0; i--, v >>= 8)
		out[i] = (unsigned char)v;
}

/* The opcode of an item's request, which its answer repeats. */
static unsigned char mcp_opcode(const struct store_write_item *it)
{
	if (it->op == STORE_W_INCR)
		return MCP_OP_INCR;
	return it->op == STORE_W_ADD ? MCP_OP_ADD : MCP_OP_SET;
}

static void mcp_request_item(struct strbuf *b, const struct store_write_item *it, uint32_t opaque)
{
	unsigned char ex[20];
	uint32_t exp = mcp_expiry(it->ttl);

	if (it->op == STORE_W_INCR) {
		mcp_be(ex, it->delta, 8);
		mcp_be(ex + 8, it->initial, 8);
		mcp_be(ex + 16, exp, 4);
		mcp_request(b, mcp_opcode(it), opaque, 0, ex, 20, it->key, NULL, 0);
		return;
	}
	mcp_be(ex, 0, 4);	/* flags */
	mcp_be(ex + 4, exp, 4);
	mcp_request(b, mcp_opcode(it), opaque, it->op == STORE_W_CAS ? it->cas : 0, ex, 8, it->key,
		    it->val, it->len);
}

/* Sends all of b: 0, or -1 (error) / -2 (timeout). */
static int mcp_send(int fd, const struct strbuf *b, int64_t deadline)
{
	size_t off = 0;
	ssize_t n;
	int w;

	while (off < b->len) {
		n = send(fd, b->data + off, b->len - off, MSG_NOSIGNAL);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			return -1;
		w = mcp_wait(fd, POLLOUT, deadline);
		if (w <= 0)
			return w == 0 ? -2 : -1;
	}
	return 0;
}

/* Reads exactly len bytes: 0, or -1 (error, end of stream) / -2 (timeout). */
static int mcp_recv(int fd, unsigned char *buf, size_t len, int64_t deadline)
{
	size_t off = 0;
	ssize_t n;
	int w;

	while (off < len) {
		n = recv(fd, buf + off, len - off, 0);
		if (n > 0) {
			off += (size_t)n;
			continue;
		}
		if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
			return -1;
		w = mcp_wait(fd, POLLIN, deadline);
		if (w <= 0)
			return w == 0 ? -2 : -1;
	}
	return 0;
}

static uint64_t mcp_get_be(const unsigned char *p, int bytes)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < bytes; i++)
		v = (v << 8) | p[i];
	return v;
}

/*
 * One answer to a write: true when it is final (else the caller makes
 * the write again: an increment that lost the race to create its counter).
 */
static bool mcp_answer(struct store_write_item *it, unsigned status, const unsigned char *value,
		       size_t vlen)
{
	switch (status) {
	case MCP_OK:
		it->result = STORE_OK;
		if (it->op == STORE_W_INCR)
			it->result = vlen == 8 ? (it->value = mcp_get_be(value, 8), STORE_OK)
					       : STORE_ERROR;
		return true;
	case MCP_ENOENT:
		it->result = STORE_NOT_FOUND;
		return true;
	case MCP_EEXISTS:
	case MCP_NOT_STORED:
		it->result = STORE_EXISTS;
		return it->op != STORE_W_INCR;
	default:
		it->result = STORE_ERROR;
		return true;
	}
}

/*
 * True when header h can be the answer to a request of ours not yet
 * answered: the mark's (opaque ng) only after every write's.  seen[k]
 * notes the requests answered so far; a second answer to one would put
 * the answer a later request waits for behind it.
 */
static bool mcp_answer_expected(const unsigned char *h, const struct store_write_item *items,
				const size_t *group, size_t ng, bool guard, const bool *seen,
				size_t got)
{
	uint32_t blen = (uint32_t)mcp_get_be(h + 8, 4);
	uint32_t opaque = (uint32_t)mcp_get_be(h + 12, 4);
	size_t skip = (size_t)h[4] + (size_t)mcp_get_be(h + 2, 2);

	if (h[0] != MCP_RES || blen > MCP_ANSWER_MAX || skip > blen || opaque > ng)
		return false;
	if (opaque == ng)
		return guard && got == ng && h[1] == MCP_OP_GETK;
	return !seen[opaque] && h[1] == mcp_opcode(&items[group[opaque]]);
}

/* See store_mcpipe_internal.h. */
int mcpipe_read_answers(int fd, struct store_write_item *items, const size_t *group, size_t ng,
			bool guard, bool *answered, bool *restored, int64_t deadline)
{
	size_t want = ng + (guard ? 1 : 0), got = 0;
	unsigned char h[MCP_HEADER], *body = NULL;
	bool *seen = xcalloc(ng + 1, sizeof *seen);
	int rc = 0;

	while (got < want && rc == 0) {
		uint32_t blen, opaque;
		size_t skip;

		rc = mcp_recv(fd, h, sizeof h, deadline);
		if (rc != 0)
			break;
		if (!mcp_answer_expected(h, items, group, ng, guard, seen, got)) {
			rc = -1;	/* not an answer of ours: drop the connection */
			break;
		}
		blen = (uint32_t)mcp_get_be(h + 8, 4);
		opaque = (uint32_t)mcp_get_be(h + 12, 4);
		skip = (size_t)h[4] + (size_t)mcp_get_be(h + 2, 2);
		body = xrealloc(body, blen + 1);
		rc = mcp_recv(fd, body, blen, deadline);
		if (rc != 0)
			break;
		seen[opaque] = true;
		got++;
		if (opaque == ng) {
			*restored = mcp_get_be(h + 6, 2) == MCP_OK && blen - skip == 4 &&
				    memcmp(body + skip, "done", 4) == 0;
			continue;
		}
		answered[opaque] = mcp_answer(&items[group[opaque]], (unsigned)mcp_get_be(h + 6, 2),
					      body + skip, blen - skip);
	}
	free(seen);
	free(body);
	return rc;
}

/*
 * One request in flight to one server: mcp_exchange_send() sends it,
 * mcp_exchange_finish() reads its answers.  host, items, group, answered
 * and restored stay valid in between.
 */
struct mcp_exchange {
	const char *host;
	unsigned port;
	struct store_write_item *items;
	const size_t *group;
	size_t ng;
	bool guard;
	bool *answered, *restored;
	int64_t deadline;		/* monotonic milliseconds */
	int fd;
	int rc;				/* of the send: 0, -1 refused or reset, -2 timeout */
};

/*
 * Sends the writes items[group[k]], k < ng, to host:port, then, with
 * guard, a read of the mark; all in one request.
 */
static void mcp_exchange_send(struct mcpipe *p, const char *host, unsigned port,
			      struct store_write_item *items, const size_t *group, size_t ng,
			      const char *guard, bool *answered, bool *restored,
			      struct mcp_exchange *x)
{
	struct strbuf req = STRBUF_INIT;
	size_t k;

	*x = (struct mcp_exchange){ .host = host, .port = port, .items = items, .group = group,
				       .ng = ng, .guard = guard != NULL, .answered = answered,
				       .restored = restored, .fd = -1 };
	x->deadline = mcp_now_ms() + p->timeout_ms;
	*restored = false;
	for (k = 0; k < ng; k++) {
		answered[k] = false;
		mcp_request_item(&req, &items[group[k]], (uint32_t)k);
	}
	if (guard != NULL)
		mcp_request(&req, MCP_OP_GETK, (uint32_t)ng, 0, NULL, 0, guard, NULL, 0);
	x->fd = mcp_take(p, host, port, x->deadline);
	x->rc = x->fd < 0 ? x->fd : mcp_send(x->fd, &req, x->deadline);
	strbuf_free(&req);
}

/*
 * Reads the answers of x: fills each answered item and sets answered[k],
 * *restored when the mark said "done".  0 when every item and the mark
 * were answered, 1 when some were not, -1 on a timeout (the unanswered
 * items say STORE_ERROR).
 */
static int mcp_exchange_finish(struct mcpipe *p, struct mcp_exchange *x)
{
	size_t k;
	int rc = x->rc;

	if (rc == 0)
		rc = mcpipe_read_answers(x->fd, x->items, x->group, x->ng, x->guard, x->answered,
					 x->restored, x->deadline);
	if (x->fd >= 0 && rc == 0)
		mcp_give(p, x->host, x->port, x->fd);
	else if (x->fd >= 0)
		close(x->fd);
	x->fd = -1;
	if (rc == -2) {
		for (k = 0; k < x->ng; k++)
			if (!x->answered[k])
				x->items[x->group[k]].result = STORE_ERROR;
		return -1;
	}
	for (k = 0; k < x->ng; k++)
		if (!x->answered[k])
			return 1;
	return rc == 0 ? 0 : 1;	/* every write answered, the mark not read */
}

/*
 * One server's group of a batch: order[start..start+ng) are its items,
 * sent as one request with the mark read after them when one is guarded.
 */
struct mcp_group {
	size_t start, ng;
	uint32_t srv;
	bool sent;			/* the server has a name: its request was sent */
	bool restored;
	struct mcp_exchange x;
};

/* Sends group g's request to its server (libmemcached's continuum names it). */
static void mcp_group_send(struct mcpipe *p, memcached_st *m, struct mcp_group *g,
			   struct store_write_item *items, const size_t *order, const char *guard,
			   bool *answered)
{
	const memcached_instance_st *inst = memcached_server_instance_by_position(m, g->srv);
	bool guarded = false;
	size_t k;

	for (k = 0; k < g->ng; k++)
		guarded = guarded || items[order[g->start + k]].guarded;
	g->sent = inst != NULL;
	if (g->sent)
		mcp_exchange_send(p, memcached_server_name(inst), (unsigned)memcached_server_port(inst),
			    items, order + g->start, g->ng, guarded ? guard : NULL,
			    answered + g->start, &g->restored, &g->x);
}

/*
 * Reads group g's answers; notes in left[] what is left.  True if
 * anything is; *timed_out set when the answers did not come in time.
 */
static bool mcp_group_finish(struct mcpipe *p, struct mcp_group *g,
			     struct store_write_item *items, const size_t *order,
			     const bool *answered, enum mcpipe_left *left, bool *timed_out)
{
	int rc = g->sent ? mcp_exchange_finish(p, &g->x) : 1;
	size_t k;

	if (rc < 0)
		*timed_out = true;
	for (k = 0; k < g->ng; k++) {
		size_t i = order[g->start + k];

		items[i].restored = g->restored || !g->sent || !g->x.guard;
		if (rc > 0)
			left[i] = g->sent && answered[g->start + k] ? MCPIPE_LEFT_MARK
								    : MCPIPE_LEFT_WRITE;
	}
	return rc > 0;
}

bool mcpipe_batch(struct mcpipe *p, memcached_st *m, struct store_write_item *items, size_t n,
		  const char *guard, enum mcpipe_left *left, bool *timed_out)
{
	uint32_t *srv = xcalloc(n + 1, sizeof *srv);
	size_t *order = xcalloc(n + 1, sizeof *order);
	bool *done = xcalloc(n + 1, sizeof *done), *answered = xcalloc(n + 1, sizeof *answered);
	struct mcp_group *groups = xcalloc(n + 1, sizeof *groups);
	size_t i, j, ng = 0, no = 0;
	bool any = false;

	*timed_out = false;
	for (i = 0; i < n; i++) {
		left[i] = MCPIPE_LEFT_NONE;
		srv[i] = memcached_generate_hash(m, items[i].key, strlen(items[i].key));
	}
	for (i = 0; i < n; i++) {
		if (done[i])
			continue;
		groups[ng] = (struct mcp_group){ .start = no, .srv = srv[i] };
		for (j = i; j < n; j++)
			if (!done[j] && srv[j] == srv[i]) {
				order[no++] = j;
				done[j] = true;
			}
		groups[ng].ng = no - groups[ng].start;
		ng++;
	}
	for (i = 0; i < ng; i++)
		mcp_group_send(p, m, &groups[i], items, order, guard, answered);
	for (i = 0; i < ng; i++)
		any |= mcp_group_finish(p, &groups[i], items, order, answered, left, timed_out);
	free(srv);
	free(order);
	free(done);
	free(answered);
	free(groups);
	return any;
}
