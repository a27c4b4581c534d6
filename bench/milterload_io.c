/*
 * milterload_io - packets, options and the message file for milterload.
 *
 * A milter packet is a 4-byte length in network order (counting the
 * command byte), the command byte and its data.  Output is buffered until
 * the caller flushes it, so a macro packet and its command leave in one
 * write.
 *
 * Diagnostics on stderr: "milterload: cannot read FILE: ...",
 * "milterload: FILE: bad header line or no empty line after the header",
 * usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "milterload.h"

#define ML_MAX_PACKET (16 * 1024 * 1024)

/* Grows *buf to hold at least need bytes; -1 when out of memory. */
static int ml_grow(char **buf, size_t *cap, size_t need)
{
	size_t n = *cap ? *cap : 4096;
	char *p;

	if (need <= *cap)
		return 0;
	while (n < need)
		n *= 2;
	p = realloc(*buf, n);
	if (p == NULL)
		return -1;
	*buf = p;
	*cap = n;
	return 0;
}

int ml_wire_put(struct ml_conn *c, char cmd, const char *data, size_t len)
{
	uint32_t n = htonl((uint32_t)(len + 1));

	if (ml_grow(&c->out, &c->out_cap, c->out_len + len + 5) != 0)
		return -1;
	memcpy(c->out + c->out_len, &n, 4);
	c->out[c->out_len + 4] = cmd;
	if (len > 0)
		memcpy(c->out + c->out_len + 5, data, len);
	c->out_len += len + 5;
	return 0;
}

int ml_wire_put_macros(struct ml_conn *c, char stage, const char *pairs, size_t len)
{
	char buf[2048];

	if (len + 1 > sizeof buf)
		return -1;
	buf[0] = stage;
	memcpy(buf + 1, pairs, len);
	return ml_wire_put(c, 'D', buf, len + 1);
}

int ml_wire_flush(struct ml_conn *c)
{
	size_t off = 0;

	while (off < c->out_len) {
		ssize_t n = write(c->fd, c->out + off, c->out_len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			c->out_len = 0;
			return -1;
		}
		off += (size_t)n;
	}
	c->out_len = 0;
	return 0;
}

/* Reads exactly len bytes; -1 on error or end of file. */
static int ml_read_full(int fd, char *buf, size_t len)
{
	size_t off = 0;

	while (off < len) {
		ssize_t n = read(fd, buf + off, len - off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		off += (size_t)n;
	}
	return 0;
}

int ml_wire_reply(struct ml_conn *c, struct ml_reply *r)
{
	uint32_t n;
	char hdr[5];

	if (ml_read_full(c->fd, hdr, 5) != 0)
		return -1;
	memcpy(&n, hdr, 4);
	n = ntohl(n);
	if (n < 1 || n > ML_MAX_PACKET || ml_grow(&c->in, &c->in_cap, n) != 0)
		return -1;
	if (ml_read_full(c->fd, c->in, n - 1) != 0)
		return -1;
	c->in[n - 1] = '\0';
	r->code = hdr[4];
	r->data = c->in;
	r->len = n - 1;
	return 0;
}

void ml_wire_free(struct ml_conn *c)
{
	free(c->out);
	free(c->in);
	c->out = c->in = NULL;
	c->out_cap = c->in_cap = c->out_len = 0;
}

size_t ml_field(char *buf, size_t cap, size_t off, const char *s)
{
	size_t n = strlen(s) + 1;

	if (off + n > cap)
		return 0;
	memmove(buf + off, s, n);
	return off + n;
}

const char *ml_reply_text(const struct ml_reply *r)
{
	switch (r->code) {
	case 'y':
		return r->len > 0 ? r->data : "replycode";
	case 'r':
		return "reject";
	case 't':
		return "tempfail";
	case 'd':
		return "discard";
	case '4':
		return "shutdown";
	default:
		return "unexpected reply";
	}
}

double ml_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void ml_usage(void)
{
	fprintf(stderr, "usage: milterload -S SOCKET -F MESSAGE [-c CONNECTIONS] [-n MESSAGES]\n"
			"                  [-k PER_CONNECTION] [-f FROM] [-t PREFIX] [-d DOMAIN]\n"
			"                  [-a CLIENT_ADDRESS] [-H HELO] [-r RCPTS] [-s]\n");
}

/* A positive number from optarg; -1 when it is not one. */
static long ml_number(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);

	return *s != '\0' && *end == '\0' && v > 0 ? v : -1;
}

int ml_parse_args(int argc, char **argv, struct ml_opts *o)
{
	int ch;

	while ((ch = getopt(argc, argv, "S:F:c:n:k:f:t:d:a:r:sH:")) != -1) {
		switch (ch) {
		case 'S':
			o->socket = optarg;
			break;
		case 'F':
			o->file = optarg;
			break;
		case 'c':
			o->connections = ml_number(optarg);
			break;
		case 'n':
			o->messages = ml_number(optarg);
			break;
		case 'k':
			o->per_conn = ml_number(optarg);
			break;
		case 'f':
			o->from = optarg;
			break;
		case 't':
			o->prefix = optarg;
			break;
		case 'd':
			o->domain = optarg;
			break;
		case 'a':
			o->client = optarg;
			break;
		case 'r':
			o->rcpts = ml_number(optarg);
			break;
		case 's':
			o->same = 1;
			break;
		case 'H':
			o->helo = optarg;
			break;
		default:
			ml_usage();
			return -1;
		}
	}
	if (optind != argc || o->socket == NULL || o->file == NULL || o->connections < 1 ||
	    o->messages < 1 || o->per_conn < 1 || o->rcpts < 1 || o->rcpts > 1000) {
		ml_usage();
		return -1;
	}
	return 0;
}

/* Adds a header line (or a continuation to the last header). */
static int ml_add_header(struct ml_message *m, char *line)
{
	struct ml_header *h;
	char *colon;

	if ((line[0] == ' ' || line[0] == '\t') && m->nheaders > 0) {
		size_t a, b;
		char *v;

		h = &m->headers[m->nheaders - 1];
		a = strlen(h->value);
		b = strlen(line);
		v = realloc(h->value, a + b + 2);
		if (v == NULL)
			return -1;
		v[a] = '\n'; /* Postfix passes folded values with LF */
		memcpy(v + a + 1, line, b + 1);
		h->value = v;
		return 0;
	}
	colon = strchr(line, ':');
	if (colon == NULL)
		return -1;
	h = realloc(m->headers, (m->nheaders + 1) * sizeof *h);
	if (h == NULL)
		return -1;
	m->headers = h;
	*colon = '\0';
	colon++;
	while (*colon == ' ' || *colon == '\t')
		colon++;
	h[m->nheaders].name = strdup(line);
	h[m->nheaders].value = strdup(colon);
	if (h[m->nheaders].name == NULL || h[m->nheaders].value == NULL)
		return -1;
	m->nheaders++;
	return 0;
}

int ml_load_message(const char *path, struct ml_message *m)
{
	FILE *fp = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0, bcap = 0;
	ssize_t n;
	int in_body = 0, bad = 0;

	if (fp == NULL) {
		fprintf(stderr, "milterload: cannot read %s: %s\n", path, strerror(errno));
		return -1;
	}
	while ((n = getline(&line, &cap, fp)) >= 0) {
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (!in_body && n == 0) {
			in_body = 1;
		} else if (!in_body) {
			if (ml_add_header(m, line) != 0) {
				bad = 1;
				break;
			}
		} else {
			if (ml_grow(&m->body, &bcap, m->body_len + (size_t)n + 3) != 0) {
				bad = 1;
				break;
			}
			memcpy(m->body + m->body_len, line, (size_t)n);
			memcpy(m->body + m->body_len + n, "\r\n", 2);
			m->body_len += (size_t)n + 2;
		}
	}
	free(line);
	fclose(fp);
	if (bad || !in_body) {
		fprintf(stderr,
			"milterload: %s: bad header line or no empty line after the header\n",
			path);
		return -1;
	}
	return 0;
}
