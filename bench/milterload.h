/*
 * milterload.h - the milter-protocol load client: options, the message it
 * sends, counters and the packet layer (milterload_io.c).
 */
#ifndef MILTERLOAD_H
#define MILTERLOAD_H

#include <stddef.h>

struct ml_opts {
	const char *socket; /* unix:PATH or inet:PORT@HOST */
	const char *file;   /* the message: header, empty line, body */
	long connections;   /* parallel connections (threads) */
	long messages;	    /* messages in all */
	long per_conn;	    /* messages per connection */
	const char *from;   /* envelope sender */
	const char *prefix; /* recipient i is PREFIX<i>@DOMAIN */
	const char *domain;
	const char *client; /* client IPv4 address given at connect */
	const char *helo;   /* HELO name */
	long rcpts;	    /* recipients per message */
	int same;	    /* every message to the same recipients */
};

struct ml_header {
	char *name;
	char *value;
};

struct ml_message {
	struct ml_header *headers;
	size_t nheaders;
	char *body; /* CRLF line ends */
	size_t body_len;
};

/* One milter connection: its negotiated flags and I/O buffers. */
struct ml_conn {
	int fd;
	unsigned long actions;
	unsigned long proto;
	char *out;
	size_t out_len, out_cap;
	char *in;
	size_t in_cap;
};

/* One packet from the milter; data points into the connection's buffer. */
struct ml_reply {
	char code;
	const char *data;
	size_t len;
};

struct ml_result {
	int accepted, refused, error, rendered, dkim_pass, dmarc_pass, spf_pass;
	long signatures;
};

struct ml_stats {
	long messages, accepted, refused, errors, signed_msgs, signatures, rendered;
	long dkim_pass, dmarc_pass, spf_pass;
	double latency;	 /* seconds, summed over messages */
	char first[512]; /* the first refusal or error */
};

/* Appends packet cmd with len bytes of data to the output buffer. */
int ml_wire_put(struct ml_conn *c, char cmd, const char *data, size_t len);
/* Appends a macro packet for stage (NUL-separated name/value pairs). */
int ml_wire_put_macros(struct ml_conn *c, char stage, const char *pairs, size_t len);
/* Writes the output buffer; -1 on a write error. */
int ml_wire_flush(struct ml_conn *c);
/* Reads one packet into r (valid until the next read); -1 on error or EOF. */
int ml_wire_reply(struct ml_conn *c, struct ml_reply *r);
/* Frees the connection's buffers (not the descriptor). */
void ml_wire_free(struct ml_conn *c);

/* Copies s and its NUL to buf at off; the new length, 0 when it does not fit. */
size_t ml_field(char *buf, size_t cap, size_t off, const char *s);
/* A printable description of a refusal reply (its text for 'y'). */
const char *ml_reply_text(const struct ml_reply *r);
/* Monotonic clock in seconds. */
double ml_now(void);

/* Parses the command line into o; prints usage and returns -1 when wrong. */
int ml_parse_args(int argc, char **argv, struct ml_opts *o);
/* Reads the message file into m; -1 with a message on stderr. */
int ml_load_message(const char *path, struct ml_message *m);

#endif
