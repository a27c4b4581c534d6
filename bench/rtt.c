/*
 * rtt - memcached round trips per accepted recipient.
 *
 *   bench/rtt HOST:PORT MESSAGES [RCPTS_PER_MESSAGE [HOURLY_LIMIT [same]]]
 *
 * Runs MESSAGES outbound messages of RCPTS_PER_MESSAGE recipients each
 * (default 1) through the policy engine (MAIL, RCPT, headers, end of
 * message) against the memcached at HOST:PORT, as the milter would, with
 * the restore mark set as a gateway sets it.  Recipients are distinct
 * unless "same" is given: then every message goes to one recipient, so
 * the frequency rule finds ever more of its slots taken (HOURLY_LIMIT,
 * default 10, caps how many messages are accepted).
 *
 * Prints, per accepted recipient: the requests the engine made (counted
 * by a wrapper around the store: a multi-get to one server is one) and
 * memcached's own counters from "stats" before and after (cmd_get counts
 * keys, not requests; the write counters count requests).  Only loopback
 * servers are meant; bench/rtt.sh starts one.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/socket.h>
#include <unistd.h>

#include "account.h"
#include "config.h"
#include "diag.h"
#include "engine.h"
#include "mime_count.h"
#include "snapshot.h"
#include "store_memcached.h"

/* The store wrapper: every operation is one request (mget: one per server). */
enum op { OP_GET, OP_ADD, OP_SET, OP_DEL, OP_INCR, OP_DECR, OP_GETS, OP_CAS, OP_GUARDED,
	  OP_MGET, OP_MWRITE, OP__COUNT };

static const char *const op_names[OP__COUNT] = {
	"get", "add", "set", "delete", "incr", "decr", "gets", "cas", "get_guarded", "mget",
	"mwrite",
};

struct counting {
	struct store inner;
	unsigned long requests[OP__COUNT];
};

#define INNER(be) (&((struct counting *)(be))->inner)
#define COUNT(be, op) (((struct counting *)(be))->requests[op]++)

static enum store_result c_get(void *be, const char *k, struct strbuf *v)
{
	COUNT(be, OP_GET);
	return INNER(be)->ops->get(INNER(be)->be, k, v);
}

static enum store_result c_add(void *be, const char *k, const void *v, size_t l, uint32_t t)
{
	COUNT(be, OP_ADD);
	return INNER(be)->ops->add(INNER(be)->be, k, v, l, t);
}

static enum store_result c_set(void *be, const char *k, const void *v, size_t l, uint32_t t)
{
	COUNT(be, OP_SET);
	return INNER(be)->ops->set(INNER(be)->be, k, v, l, t);
}

static enum store_result c_del(void *be, const char *k)
{
	COUNT(be, OP_DEL);
	return INNER(be)->ops->del(INNER(be)->be, k);
}

static enum store_result c_incr(void *be, const char *k, uint64_t d, uint64_t i, uint32_t t,
				uint64_t *v)
{
	COUNT(be, OP_INCR);
	return INNER(be)->ops->incr(INNER(be)->be, k, d, i, t, v);
}

static enum store_result c_decr(void *be, const char *k, uint64_t d, uint64_t *v)
{
	COUNT(be, OP_DECR);
	return INNER(be)->ops->decr(INNER(be)->be, k, d, v);
}

static enum store_result c_gets(void *be, const char *k, struct strbuf *v, uint64_t *cas)
{
	COUNT(be, OP_GETS);
	return INNER(be)->ops->gets(INNER(be)->be, k, v, cas);
}

static enum store_result c_cas(void *be, const char *k, const void *v, size_t l, uint32_t t,
			       uint64_t cas)
{
	COUNT(be, OP_CAS);
	return INNER(be)->ops->cas(INNER(be)->be, k, v, l, t, cas);
}

static enum store_result c_epoch(void *be, struct strbuf *out)
{
	return INNER(be)->ops->epoch(INNER(be)->be, out);
}

static enum store_result c_get_guarded(void *be, const char *k, const char *g,
				       struct strbuf *v, bool *restored)
{
	COUNT(be, OP_GUARDED);
	return INNER(be)->ops->get_guarded(INNER(be)->be, k, g, v, restored);
}

static enum store_result c_mark(void *be, const char *g, bool done)
{
	return INNER(be)->ops->mark(INNER(be)->be, g, done);
}

#ifndef RTT_NO_MGET
static enum store_result c_mget(void *be, struct store_mget_item *items, size_t n,
				const char *g)
{
	COUNT(be, OP_MGET);	/* bench/rtt.sh runs one server */
	return INNER(be)->ops->mget(INNER(be)->be, items, n, g);
}
#endif

#ifndef RTT_NO_MWRITE
static enum store_result c_mwrite(void *be, struct store_write_item *items, size_t n,
				  const char *g)
{
	COUNT(be, OP_MWRITE);	/* one server: one request (its fallbacks are not counted) */
	return INNER(be)->ops->mwrite(INNER(be)->be, items, n, g);
}
#endif

static void c_free(void *be)
{
	store_free(INNER(be));
	free(be);
}

static const struct store_ops counting_ops = {
	.name = "counting", .get = c_get, .add = c_add, .set = c_set, .del = c_del,
	.incr = c_incr, .decr = c_decr, .gets = c_gets, .cas = c_cas, .epoch = c_epoch,
	.get_guarded = c_get_guarded, .mark = c_mark, .free = c_free,
#ifndef RTT_NO_MGET
	.mget = c_mget,
#endif
#ifndef RTT_NO_MWRITE
	.mwrite = c_mwrite,
#endif
};

static const char *const stat_names[] = {
	"cmd_get", "get_hits", "cmd_set", "incr_hits", "incr_misses", "decr_hits",
	"decr_misses", "cas_hits", "cas_misses", "cas_badval", "delete_hits", "delete_misses",
};
#define NSTATS (sizeof stat_names / sizeof stat_names[0])

/*
 * Reads memcached's counters named in stat_names with the text "stats"
 * command (libmemcached's parsed stats lack the incr/decr/cas counters).
 */
static void read_stats(const char *server, unsigned long long *out)
{
	char host[64], buf[16384], name[64];
	const char *colon = strrchr(server, ':'), *line;
	struct sockaddr_in sin;
	size_t len = 0, i;
	unsigned long long v;
	ssize_t got;
	int fd;

	memset(out, 0, NSTATS * sizeof *out);
	if (colon == NULL || (size_t)(colon - server) >= sizeof host)
		return;
	memcpy(host, server, (size_t)(colon - server));
	host[colon - server] = '\0';
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)atoi(colon + 1));
	if (inet_pton(AF_INET, host, &sin.sin_addr) != 1 ||
	    (fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
		return;
	if (connect(fd, (struct sockaddr *)&sin, sizeof sin) == 0 && write(fd, "stats\r\n", 7) == 7)
		while (len < sizeof buf - 1 && (got = read(fd, buf + len, sizeof buf - 1 - len)) > 0) {
			len += (size_t)got;
			buf[len] = '\0';
			if (strstr(buf, "END\r\n") != NULL)
				break;
		}
	close(fd);
	buf[len] = '\0';
	for (line = buf; line != NULL && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL)
		if (sscanf(line, "STAT %63s %llu", name, &v) == 2)
			for (i = 0; i < NSTATS; i++)
				if (strcmp(name, stat_names[i]) == 0)
					out[i] = v;
}

static struct policy_snapshot *bench_snapshot(const char *server, long long hourly,
					      struct counting **counter)
{
	struct diag_list diags = DIAG_LIST_INIT;
	struct ses_config *conf = config_load(NULL, &diags);
	struct account_db *db = calloc(1, sizeof *db);
	struct account *a = calloc(1, sizeof *a);
	struct store_memcached_opts o = { server, 1000, 4, 30 };
	struct policy_snapshot *snap;
	struct counting *c = calloc(1, sizeof *c);
	char err[256];

	if (conf == NULL || db == NULL || a == NULL || c == NULL)
		abort();
	conf->limits.recipient_hourly_limit = hourly;
	conf->limits.sends_per_second = 1000000;
	conf->limits.daily_quota = 1000000000;
	a->name = strdup("acme");
	a->limits = conf->limits;
	a->level = 1;
	a->custom_content = true;
	a->logins = calloc(1, sizeof *a->logins);
	a->logins[0] = strdup("acme");
	a->nlogins = 1;
	a->domains = calloc(1, sizeof *a->domains);
	a->domains[0].name = strdup("example.com");
	a->domains[0].verified = true;
	a->ndomains = 1;
	db->accounts = calloc(1, sizeof *db->accounts);
	db->accounts[0] = a;
	db->n = 1;
	snap = policy_snapshot_new(conf, db);
	if (store_memcached_open(&c->inner, &o, err, sizeof err) != 0) {
		fprintf(stderr, "rtt: %s\n", err);
		exit(1);
	}
	snap->store.ops = &counting_ops;
	snap->store.be = c;
	snap->store.guard = "rs:rtt-bench";	/* as a gateway: lookups read the mark */
	if (store_mark(&snap->store, false) != STORE_OK || store_mark(&snap->store, true) != STORE_OK) {
		fprintf(stderr, "rtt: cannot set the restore mark\n");
		exit(1);
	}
	*counter = c;
	return snap;
}

/* What the RCPT stages alone cost: the engine's requests and memcached's counters. */
struct rcpt_cost {
	const char *server;
	struct counting *c;
	unsigned long requests[OP__COUNT];
	unsigned long long stats[NSTATS];
};

static void cost_take(const struct rcpt_cost *k, unsigned long *req, unsigned long long *st)
{
	memcpy(req, k->c->requests, sizeof k->c->requests);
	read_stats(k->server, st);
}

static void cost_add(struct rcpt_cost *k, const unsigned long *req0, const unsigned long long *st0)
{
	unsigned long long st[NSTATS];
	size_t i;

	read_stats(k->server, st);
	for (i = 0; i < OP__COUNT; i++)
		k->requests[i] += k->c->requests[i] - req0[i];
	for (i = 0; i < NSTATS; i++)
		k->stats[i] += st[i] - st0[i];
}

/* One message; returns the recipients accepted. */
static unsigned bench_message(struct policy_conn *conn, unsigned msg, unsigned nrcpt, bool same,
			      struct rcpt_cost *cost)
{
	unsigned long req0[OP__COUNT];
	unsigned long long st0[NSTATS];
	static const char body[] = "Hello.\r\n";
	struct policy_decision d;
	struct policy_msg *m = policy_msg_new(conn);
	unsigned i, ok = 0;
	char rcpt[96];

	if (policy_mail(m, "sender@example.com", "acme", &d) == POLICY_CONTINUE) {
		cost_take(cost, req0, st0);
		for (i = 0; i < nrcpt; i++) {
			if (same)
				snprintf(rcpt, sizeof rcpt, "<one@example.net>");
			else
				snprintf(rcpt, sizeof rcpt, "<r%u.%u@example.net>", msg, i);
			if (policy_rcpt(m, rcpt, &d) == POLICY_CONTINUE)
				ok++;
		}
		cost_add(cost, req0, st0);
	}
	if (ok > 0 && policy_header(m, "From", "sender@example.com", &d) == POLICY_CONTINUE &&
	    policy_header(m, "Subject", "A benchmark message", &d) == POLICY_CONTINUE &&
	    policy_eoh(m, &d) == POLICY_CONTINUE &&
	    policy_body(m, (const unsigned char *)body, sizeof body - 1, &d) == POLICY_CONTINUE &&
	    policy_eom(m, &d) == POLICY_ACCEPT)
		policy_finish(m, true, &d);
	else
		policy_msg_abort(m);
	policy_msg_free(m);
	return ok;
}

int main(int argc, char **argv)
{
	unsigned long long before[NSTATS], after[NSTATS];
	unsigned nmsg, nrcpt, accepted = 0, i;
	long long hourly;
	bool same;
	struct policy_snapshot *snap;
	struct policy_conn *conn;
	struct sockaddr_in sin;
	struct counting *c;
	struct rcpt_cost cost;
	struct timespec t0, t1;
	unsigned long requests = 0, rcpt_requests = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: rtt HOST:PORT MESSAGES [RCPTS [HOURLY_LIMIT [same]]]\n");
		return 2;
	}
	nmsg = (unsigned)strtoul(argv[2], NULL, 10);
	nrcpt = argc > 3 ? (unsigned)strtoul(argv[3], NULL, 10) : 1;
	hourly = argc > 4 ? strtoll(argv[4], NULL, 10) : 10;
	same = argc > 5 && strcmp(argv[5], "same") == 0;
	mime_count_init();
	snap = bench_snapshot(argv[1], hourly, &c);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons(40000);
	inet_pton(AF_INET, "192.0.2.10", &sin.sin_addr);
	conn = policy_conn_new(snap, NULL, "client.example", (struct sockaddr *)&sin, false);
	read_stats(argv[1], before);
	memset(c->requests, 0, sizeof c->requests);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	memset(&cost, 0, sizeof cost);
	cost.server = argv[1];
	cost.c = c;
	for (i = 0; i < nmsg; i++)
		accepted += bench_message(conn, i, nrcpt, same, &cost);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	read_stats(argv[1], after);
	for (i = 0; i < OP__COUNT; i++) {
		requests += c->requests[i];
		rcpt_requests += cost.requests[i];
	}
	printf("messages %u, recipients per message %u, hourly limit %lld%s: %u accepted "
	       "in %.2f s (with a stats read per message)\n", nmsg, nrcpt, hourly,
	       same ? ", one recipient" : "", accepted,
	       (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	if (accepted == 0)
		return 1;
	printf("requests per accepted recipient:  RCPT stage %6.2f   whole message %6.2f\n",
	       (double)rcpt_requests / accepted, (double)requests / accepted);
	for (i = 0; i < OP__COUNT; i++)
		if (c->requests[i] > 0)
			printf("  %-14s %17.2f %20.2f\n", op_names[i],
			       (double)cost.requests[i] / accepted, (double)c->requests[i] / accepted);
	printf("memcached's counters per accepted recipient:\n");
	for (i = 0; i < NSTATS; i++)
		if (after[i] != before[i])
			printf("  %-14s %17.2f %20.2f\n", stat_names[i],
			       (double)cost.stats[i] / accepted,
			       (double)(after[i] - before[i]) / accepted);
	policy_conn_free(conn);
	policy_snapshot_unref(snap);
	return 0;
}
