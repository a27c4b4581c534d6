/*
 * milterload - drives a milter directly over the milter protocol
 * (version 6, the way Postfix speaks it), with no MTA, and reports how
 * many messages per second it got through.
 *
 *   milterload -S SOCKET -F MESSAGE [-c CONNECTIONS] [-n MESSAGES]
 *              [-k PER_CONNECTION] [-f FROM] [-t PREFIX] [-d DOMAIN]
 *              [-a CLIENT_ADDRESS] [-H HELO] [-r RCPTS] [-s]
 *
 * SOCKET is unix:PATH or inet:PORT@HOST.  MESSAGE is a file with the
 * message's header and body (LF line ends), as smtp-source -F takes it.
 * CONNECTIONS threads (default 8) each open a milter connection, send
 * PER_CONNECTION messages (default 1, one SMTP session each, like
 * smtp-source without -d) from the client address (default 127.0.0.1)
 * and close it, until MESSAGES (default 1000) were sent.  The session
 * says HELO (default client.bench.test).  Message i goes to RCPTS
 * recipients (default 1) PREFIX<i*RCPTS+j>@DOMAIN, j = 0..RCPTS-1
 * (defaults "r", rcpt.bench.example), so no two messages share a
 * recipient; with -s every message goes to PREFIX<j>@DOMAIN, the same
 * ones.  Each message gets a fresh queue ID.
 *
 * At end of message it counts the milter's edits: added or inserted
 * DKIM-Signature headers (signed=), body replacements (rendered=) and
 * messages given an Authentication-Results header saying dkim=pass
 * (dkim_pass=), dmarc=pass (dmarc_pass=) or spf=pass (spf_pass=).  It
 * prints one line:
 *   messages=N accepted=N refused=N errors=N signed=N signatures=N
 *   rendered=N dkim_pass=N dmarc_pass=N spf_pass=N seconds=S rate=R
 *   latency_ms=L
 * and the first refusal or error on stderr.  Exit status 0 when every
 * message was accepted, 1 otherwise, 2 for a usage error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <libmilter/mfdef.h>

#include "milterload.h"

static struct ml_opts opts = {
	.connections = 8,
	.messages = 1000,
	.per_conn = 1,
	.from = "news@bench.example",
	.prefix = "r",
	.domain = "rcpt.bench.example",
	.client = "127.0.0.1",
	.helo = "client.bench.test",
	.rcpts = 1,
};

static struct ml_message message;
static long next_index;
static struct ml_stats stats;
static pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;

/* Notes the first problem for stderr; the others are only counted. */
static void ml_note(const char *what, const char *detail)
{
	pthread_mutex_lock(&stats_lock);
	if (stats.first[0] == '\0')
		snprintf(stats.first, sizeof stats.first, "%s: %.400s", what, detail);
	pthread_mutex_unlock(&stats_lock);
}

/* Opens a connection to the milter socket; -1 on failure. */
static int ml_connect(const char *spec)
{
	int fd;

	if (strncmp(spec, "unix:", 5) == 0 || strncmp(spec, "local:", 6) == 0) {
		struct sockaddr_un sun = { .sun_family = AF_UNIX };
		const char *path = strchr(spec, ':') + 1;

		if (strlen(path) >= sizeof sun.sun_path)
			return -1;
		memcpy(sun.sun_path, path, strlen(path) + 1);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		if (fd >= 0 && connect(fd, (struct sockaddr *)&sun, sizeof sun) != 0) {
			close(fd);
			return -1;
		}
		return fd;
	}
	if (strncmp(spec, "inet:", 5) == 0) {
		struct sockaddr_in sin = { .sin_family = AF_INET };
		const char *at = strchr(spec, '@');

		sin.sin_port = htons((uint16_t)atoi(spec + 5));
		if (at == NULL || inet_pton(AF_INET, at + 1, &sin.sin_addr) != 1)
			return -1;
		fd = socket(AF_INET, SOCK_STREAM, 0);
		/* no TCP_NODELAY: Postfix's milter client does not set it either */
		if (fd >= 0 && connect(fd, (struct sockaddr *)&sin, sizeof sin) != 0) {
			close(fd);
			return -1;
		}
		return fd;
	}
	return -1;
}

/*
 * Sends one command, preceded by its macros (NUL-separated name/value
 * pairs, mlen bytes; none when macros is NULL), and reads the reply when
 * the negotiated protocol has one.  The two packets leave in one write,
 * as Postfix's buffered milter client sends them.
 */
static int ml_send(struct ml_conn *c, char cmd, const char *macros, size_t mlen, const char *data,
		   size_t len, int want_reply, struct ml_reply *r)
{
	if (macros != NULL && ml_wire_put_macros(c, cmd, macros, mlen) != 0)
		return -1;
	if (ml_wire_put(c, cmd, data, len) != 0 || ml_wire_flush(c) != 0)
		return -1;
	r->code = SMFIR_CONTINUE;
	r->len = 0;
	return want_reply ? ml_wire_reply(c, r) : 0;
}

/* A reply that stops the message (anything but continue or skip). */
static int ml_stops(const struct ml_reply *r)
{
	return r->code != SMFIR_CONTINUE && r->code != SMFIR_SKIP;
}

/* Option negotiation; fills c->actions and c->proto. */
static int ml_negotiate(struct ml_conn *c)
{
	unsigned char o[12];
	uint32_t v[3] = { htonl(SMFI_PROT_VERSION), htonl(SMFI_CURR_ACTS),
			  htonl(SMFI_CURR_PROT & ~SMFIP_RCPT_REJ) };
	struct ml_reply r;

	memcpy(o, v, sizeof o);
	if (ml_wire_put(c, SMFIC_OPTNEG, (char *)o, sizeof o) != 0 || ml_wire_flush(c) != 0 ||
	    ml_wire_reply(c, &r) != 0 || r.code != SMFIC_OPTNEG || r.len < 12)
		return -1;
	memcpy(v, r.data, sizeof v);
	c->actions = ntohl(v[1]);
	c->proto = ntohl(v[2]);
	return 0;
}

/* Connect and HELO stages; 1 when the milter refused the session. */
static int ml_session_start(struct ml_conn *c, struct ml_reply *r)
{
	/* a separate literal after each "\0": "\0127" would be the octal \012 */
	static const char cmacros[] = "j\0"
				      "mx.bench.test\0"
				      "{daemon_name}\0"
				      "smtpd\0"
				      "v\0"
				      "Postfix 3.7\0"
				      "{client_addr}\0"
				      "127.0.0.1\0"
				      "{client_name}\0"
				      "localhost\0";
	uint16_t port = htons(40000);
	char buf[512];
	size_t n;

	if (!(c->proto & SMFIP_NOCONNECT)) {
		n = ml_field(buf, sizeof buf, 0, "localhost");
		if (n == 0 || n + 3 >= sizeof buf)
			return -1;
		buf[n++] = SMFIA_INET;
		memcpy(buf + n, &port, 2);
		n = ml_field(buf, sizeof buf, n + 2, opts.client);
		if (n == 0 || ml_send(c, SMFIC_CONNECT, cmacros, sizeof cmacros - 1, buf, n,
				      !(c->proto & SMFIP_NR_CONN), r) != 0)
			return -1;
		if (ml_stops(r))
			return 1;
	}
	if (!(c->proto & SMFIP_NOHELO)) {
		n = ml_field(buf, sizeof buf, 0, opts.helo);
		if (ml_send(c, SMFIC_HELO, NULL, 0, buf, n, !(c->proto & SMFIP_NR_HELO), r) != 0)
			return -1;
		if (ml_stops(r))
			return 1;
	}
	return 0;
}

/* MAIL, RCPT and DATA for message index; 1 when the milter refused. */
static int ml_envelope(struct ml_conn *c, long index, const char *qid, struct ml_reply *r)
{
	char arg[320], macros[640];
	size_t n;
	long j;
	int m;

	if (!(c->proto & SMFIP_NOMAIL)) {
		m = snprintf(macros, sizeof macros, "i%c%s%c{mail_addr}%c%.280s%c", 0, qid, 0, 0,
			     opts.from, 0);
		snprintf(arg, sizeof arg, "<%.300s>", opts.from);
		n = strlen(arg) + 1;
		if (m < 0 || (size_t)m >= sizeof macros ||
		    ml_send(c, SMFIC_MAIL, macros, (size_t)m, arg, n, !(c->proto & SMFIP_NR_MAIL),
			    r) != 0)
			return -1;
		if (ml_stops(r))
			return 1;
	}
	for (j = 0; !(c->proto & SMFIP_NORCPT) && j < opts.rcpts; j++) {
		long rcpt = opts.same ? j : index * opts.rcpts + j;

		m = snprintf(arg, sizeof arg, "<%s%ld@%s>", opts.prefix, rcpt, opts.domain);
		if (m < 0 || (size_t)m >= sizeof arg)
			return -1;
		m = snprintf(macros, sizeof macros, "{rcpt_addr}%c%s%c", 0, arg, 0);
		if (ml_send(c, SMFIC_RCPT, macros, (size_t)m, arg, strlen(arg) + 1,
			    !(c->proto & SMFIP_NR_RCPT), r) != 0)
			return -1;
		if (ml_stops(r))
			return 1;
	}
	if (!(c->proto & SMFIP_NODATA)) {
		if (ml_send(c, SMFIC_DATA, NULL, 0, NULL, 0, !(c->proto & SMFIP_NR_DATA), r) != 0)
			return -1;
		if (ml_stops(r))
			return 1;
	}
	return 0;
}

/* Headers, end of headers and body; 1 when the milter refused. */
static int ml_content(struct ml_conn *c, struct ml_reply *r)
{
	size_t i, off;

	for (i = 0; !(c->proto & SMFIP_NOHDRS) && i < message.nheaders; i++) {
		char buf[4096];
		size_t n = ml_field(buf, sizeof buf, 0, message.headers[i].name);

		if (n > 0 && (c->proto & SMFIP_HDR_LEADSPC) && n + 1 < sizeof buf)
			buf[n++] = ' ';
		n = n ? ml_field(buf, sizeof buf, n, message.headers[i].value) : 0;
		if (n == 0 ||
		    ml_send(c, SMFIC_HEADER, NULL, 0, buf, n, !(c->proto & SMFIP_NR_HDR), r) != 0)
			return -1;
		if (r->code == SMFIR_SKIP)
			break;
		if (ml_stops(r))
			return 1;
	}
	if (!(c->proto & SMFIP_NOEOH)) {
		if (ml_send(c, SMFIC_EOH, NULL, 0, NULL, 0, !(c->proto & SMFIP_NR_EOH), r) != 0)
			return -1;
		if (ml_stops(r))
			return 1;
	}
	for (off = 0; !(c->proto & SMFIP_NOBODY) && off < message.body_len;) {
		size_t n = message.body_len - off;

		if (n > MILTER_CHUNK_SIZE)
			n = MILTER_CHUNK_SIZE;
		if (ml_send(c, SMFIC_BODY, NULL, 0, message.body + off, n,
			    !(c->proto & SMFIP_NR_BODY), r) != 0)
			return -1;
		off += n;
		if (r->code == SMFIR_SKIP)
			break;
		if (ml_stops(r))
			return 1;
	}
	return 0;
}

/*
 * Notes the passes an added Authentication-Results header reports (name,
 * NUL, value in len bytes): inbound runs check that the verifier saw the
 * signature and the DMARC policy pass, not merely that it answered.
 */
static void ml_authres(const char *name, size_t len, struct ml_result *res)
{
	size_t n = strnlen(name, len);
	char value[2048];

	if (n + 1 >= len)
		return;
	n++;
	len -= n;
	if (len >= sizeof value)
		len = sizeof value - 1;
	memcpy(value, name + n, len);
	value[len] = '\0';
	res->dkim_pass |= strstr(value, "dkim=pass") != NULL;
	res->dmarc_pass |= strstr(value, "dmarc=pass") != NULL;
	res->spf_pass |= strstr(value, "spf=pass") != NULL;
}

/* End of message: reads edits until the final reply; 1 when refused. */
static int ml_eom(struct ml_conn *c, const char *qid, struct ml_result *res, struct ml_reply *r)
{
	char macros[100];
	int n = snprintf(macros, sizeof macros, "i%c%s%c", 0, qid, 0);

	if (ml_send(c, SMFIC_BODYEOB, macros, (size_t)n, NULL, 0, 1, r) != 0)
		return -1;
	for (;; r->code = 0) {
		if (r->code == 0 && ml_wire_reply(c, r) != 0)
			return -1;
		switch (r->code) {
		case SMFIR_ADDHEADER:
		case SMFIR_INSHEADER: {
			/* 'i' carries a 4-byte index before the name */
			const char *name = r->data + (r->code == SMFIR_INSHEADER ? 4 : 0);

			if (r->len > 4 && strncasecmp(name, "DKIM-Signature", 15) == 0)
				res->signatures++;
			if (r->len > 4 && strncasecmp(name, "Authentication-Results", 23) == 0)
				ml_authres(name, r->data + r->len - name, res);
			break;
		}
		case SMFIR_REPLBODY:
			res->rendered = 1;
			break;
		case SMFIR_ACCEPT:
		case SMFIR_CONTINUE:
			return 0;
		case SMFIR_PROGRESS:
		case SMFIR_CHGHEADER:
		case SMFIR_CHGFROM:
		case SMFIR_ADDRCPT:
		case SMFIR_ADDRCPT_PAR:
		case SMFIR_DELRCPT:
		case SMFIR_QUARANTINE:
			break;
		default:
			return 1;
		}
	}
}

/* One message on connection c; fills res. */
static void ml_one(struct ml_conn *c, long index, struct ml_result *res)
{
	char qid[32];
	struct ml_reply r = { 0 };
	int rc;

	snprintf(qid, sizeof qid, "B%08lX", (unsigned long)index);
	rc = ml_envelope(c, index, qid, &r);
	if (rc == 0)
		rc = ml_content(c, &r);
	if (rc == 0)
		rc = ml_eom(c, qid, res, &r);
	if (rc == 0) {
		res->accepted = 1;
	} else if (rc > 0) {
		res->refused = 1;
		ml_note("refused", ml_reply_text(&r));
		ml_wire_put(c, SMFIC_ABORT, NULL, 0);
	} else {
		res->error = 1;
		ml_note("error", "protocol or connection failure");
	}
}

/* Takes the next message index; -1 when all are taken. */
static long ml_take(void)
{
	long i = __atomic_fetch_add(&next_index, 1, __ATOMIC_RELAXED);

	return i < opts.messages ? i : -1;
}

/* Adds one message's outcome to the totals. */
static void ml_count(const struct ml_result *res, double seconds)
{
	pthread_mutex_lock(&stats_lock);
	stats.messages++;
	stats.accepted += res->accepted;
	stats.refused += res->refused;
	stats.errors += res->error;
	stats.signed_msgs += res->signatures > 0;
	stats.signatures += res->signatures;
	stats.rendered += res->rendered;
	stats.dkim_pass += res->dkim_pass;
	stats.dmarc_pass += res->dmarc_pass;
	stats.spf_pass += res->spf_pass;
	stats.latency += seconds;
	pthread_mutex_unlock(&stats_lock);
}

/* A worker: connections, each with per_conn messages, until none remain. */
static void *ml_worker(void *arg)
{
	long index = ml_take();

	while (index >= 0) {
		struct ml_conn c = { .fd = ml_connect(opts.socket) };
		struct ml_reply r = { 0 };
		long k;

		if (c.fd < 0 || ml_negotiate(&c) != 0 || ml_session_start(&c, &r) != 0) {
			struct ml_result res = { .error = 1 };

			ml_note("error",
				c.fd < 0 ? "cannot connect" : "negotiation or connect refused");
			ml_count(&res, 0);
			if (c.fd >= 0)
				close(c.fd);
			ml_wire_free(&c);
			index = ml_take();
			continue;
		}
		for (k = 0; k < opts.per_conn && index >= 0; k++) {
			struct ml_result res = { 0 };
			double t0 = ml_now();

			ml_one(&c, index, &res);
			ml_count(&res, ml_now() - t0);
			index = ml_take();
			if (res.error)
				break;
		}
		ml_wire_put(&c, SMFIC_QUIT, NULL, 0);
		ml_wire_flush(&c);
		close(c.fd);
		ml_wire_free(&c);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_t *tids;
	double t0, secs;
	long i;

	if (ml_parse_args(argc, argv, &opts) != 0 || ml_load_message(opts.file, &message) != 0)
		return 2;
	signal(SIGPIPE, SIG_IGN); /* a closed connection is an error to count */
	tids = calloc((size_t)opts.connections, sizeof *tids);
	if (tids == NULL)
		return 2;
	t0 = ml_now();
	for (i = 0; i < opts.connections; i++)
		if (pthread_create(&tids[i], NULL, ml_worker, NULL) != 0)
			return 2;
	for (i = 0; i < opts.connections; i++)
		pthread_join(tids[i], NULL);
	secs = ml_now() - t0;
	printf("messages=%ld accepted=%ld refused=%ld errors=%ld signed=%ld signatures=%ld "
	       "rendered=%ld dkim_pass=%ld dmarc_pass=%ld spf_pass=%ld seconds=%.3f rate=%.1f latency_ms=%.2f\n",
	       stats.messages, stats.accepted, stats.refused, stats.errors, stats.signed_msgs,
	       stats.signatures, stats.rendered, stats.dkim_pass, stats.dmarc_pass, stats.spf_pass, secs, secs > 0 ? stats.messages / secs : 0.0,
	       stats.messages ? 1000.0 * stats.latency / stats.messages : 0.0);
	if (stats.first[0] != '\0')
		fprintf(stderr, "milterload: first problem: %s\n", stats.first);
	free(tids);
	return stats.accepted == opts.messages ? 0 : 1;
}
