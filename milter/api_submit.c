/*
 * api_submit - SendEmail's SMTP client (see api_submit.h).
 *
 * The client authenticates as the account with Postfix's XCLIENT
 * (LOGIN=the account's first Login): Postfix then gives the milter that
 * login as {auth_authen}, exactly as after SMTP AUTH, and no password has
 * to be kept for the gateway.  The MTA must allow XCLIENT from the gateway
 * (smtpd_authorized_xclient_hosts) on the ApiSubmit listener.  A
 * conversation:
 *
 *   220, EHLO, XCLIENT LOGIN=acct (220 again), EHLO, MAIL FROM, RCPT TO
 *   (each), DATA, the message dot-stuffed, ".", QUIT
 *
 * Each read and write times out after API_SUBMIT_TIMEOUT_S seconds.
 */
#include "autoconf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "api_submit.h"

#define API_SUBMIT_TIMEOUT_S 120 /* the milter's own timeouts are shorter */
#define API_SUBMIT_LINE 2048

struct api_smtp {
	int fd;
	char buf[4096];
	size_t have, off;
};

/* Connects to IPv4 HOST:PORT; the fd or -1. */
static int api_smtp_connect(const char *spec)
{
	struct timeval tv = { API_SUBMIT_TIMEOUT_S, 0 };
	struct sockaddr_in sin;
	const char *colon = strrchr(spec, ':');
	char host[64];
	int fd;

	if (colon == NULL || (size_t)(colon - spec) >= sizeof host)
		return -1;
	snprintf(host, sizeof host, "%.*s", (int)(colon - spec), spec);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons((unsigned short)atoi(colon + 1));
	if (inet_pton(AF_INET, host, &sin.sin_addr) != 1)
		return -1;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	if (connect(fd, (struct sockaddr *)&sin, sizeof sin) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int api_smtp_write(struct api_smtp *c, const char *data, size_t len)
{
	while (len > 0) {
		ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Reads one line (without CRLF) into line; -1 on error or EOF. */
static int api_smtp_line(struct api_smtp *c, struct strbuf *line)
{
	strbuf_reset(line);
	for (;;) {
		ssize_t n;

		while (c->off < c->have) {
			char ch = c->buf[c->off++];

			if (ch == '\n') {
				if (line->len > 0 && line->data[line->len - 1] == '\r')
					line->data[--line->len] = '\0';
				return 0;
			}
			if (line->len < API_SUBMIT_LINE)
				strbuf_appendc(line, ch);
		}
		n = recv(c->fd, c->buf, sizeof c->buf, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		c->have = (size_t)n;
		c->off = 0;
	}
}

/*
 * Reads a whole reply into reply (lines joined by '\n'); its code, or -1
 * after making up a 451 reply when the MTA is gone.
 */
static int api_smtp_reply(struct api_smtp *c, struct strbuf *reply)
{
	struct strbuf line = STRBUF_INIT;
	int code = -1;

	strbuf_reset(reply);
	while (api_smtp_line(c, &line) == 0) {
		if (reply->len > 0)
			strbuf_appendc(reply, '\n');
		strbuf_append(reply, line.data != NULL ? line.data : "", line.len);
		if (line.len >= 3 && (line.len == 3 || line.data[3] == ' ')) {
			code = atoi(line.data);
			break;
		}
	}
	strbuf_free(&line);
	if (code < 200) {
		strbuf_reset(reply);
		strbuf_appends(reply, "451 4.3.0 FailedOperation.ServiceNotAvailable the mail "
				      "server did not answer");
		return -1;
	}
	return code;
}

/* Sends a command and reads its reply; true when the code is want (or want + 1). */
static bool api_smtp_cmd(struct api_smtp *c, const char *cmd, int want, struct strbuf *reply)
{
	int code;

	if (api_smtp_write(c, cmd, strlen(cmd)) != 0 || api_smtp_write(c, "\r\n", 2) != 0) {
		strbuf_reset(reply);
		strbuf_appends(reply, "451 4.3.0 FailedOperation.ServiceNotAvailable the mail "
				      "server closed the connection");
		return false;
	}
	code = api_smtp_reply(c, reply);
	return code == want || (want == 250 && code == 251);
}

/* Appends s as xtext (RFC 3461): '+', '=' and non-printables as +HH. */
static void api_smtp_xtext(const char *s, struct strbuf *out)
{
	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch < 33 || ch > 126 || ch == '+' || ch == '=')
			strbuf_appendf(out, "+%02X", ch);
		else
			strbuf_appendc(out, (char)ch);
	}
}

/* Sends the message dot-stuffed, then ".". */
static int api_smtp_data(struct api_smtp *c, const char *msg, size_t len)
{
	size_t off = 0;

	while (off < len) {
		const char *nl = memchr(msg + off, '\n', len - off);
		size_t n = nl != NULL ? (size_t)(nl - (msg + off)) + 1 : len - off;

		if (msg[off] == '.' && api_smtp_write(c, ".", 1) != 0)
			return -1;
		if (api_smtp_write(c, msg + off, n) != 0)
			return -1;
		off += n;
	}
	if (len > 0 && msg[len - 1] != '\n' && api_smtp_write(c, "\r\n", 2) != 0)
		return -1;
	return api_smtp_write(c, ".\r\n", 3);
}

/* The session after the greeting: identify, then the transaction. */
static bool api_smtp_session(struct api_smtp *c, const struct api_submission *s,
			     struct strbuf *reply)
{
	struct strbuf cmd = STRBUF_INIT;
	bool ok;
	size_t i;

	ok = api_smtp_cmd(c, "EHLO ses-milter-api", 250, reply);
	if (ok && strstr(strbuf_cstr(reply), "XCLIENT") == NULL) {
		strbuf_reset(reply);
		strbuf_appends(reply, "451 4.3.0 FailedOperation.ServiceNotAvailable the mail "
				      "server does not offer XCLIENT to the API gateway");
		ok = false;
	}
	strbuf_appends(&cmd, "XCLIENT LOGIN=");
	api_smtp_xtext(s->login, &cmd);
	ok = ok && api_smtp_cmd(c, strbuf_cstr(&cmd), 220, reply) &&
	     api_smtp_cmd(c, "EHLO ses-milter-api", 250, reply);
	strbuf_reset(&cmd);
	strbuf_appendf(&cmd, "MAIL FROM:<%s> BODY=8BITMIME", s->mail_from);
	ok = ok && api_smtp_cmd(c, strbuf_cstr(&cmd), 250, reply);
	for (i = 0; ok && i < s->nrcpts; i++) {
		strbuf_reset(&cmd);
		strbuf_appendf(&cmd, "RCPT TO:<%s>", s->rcpts[i]);
		ok = api_smtp_cmd(c, strbuf_cstr(&cmd), 250, reply);
	}
	ok = ok && api_smtp_cmd(c, "DATA", 354, reply);
	if (ok && api_smtp_data(c, s->msg, s->len) != 0) {
		strbuf_reset(reply);
		strbuf_appends(reply, "451 4.3.0 FailedOperation.ServiceNotAvailable the mail "
				      "server closed the connection");
		ok = false;
	} else if (ok) {
		ok = api_smtp_reply(c, reply) == 250;
	}
	strbuf_free(&cmd);
	return ok;
}

int api_submit(const struct api_submission *s, struct strbuf *reply)
{
	struct strbuf bye = STRBUF_INIT;
	struct api_smtp c = { .fd = -1 };
	bool ok;

	c.fd = api_smtp_connect(s->server);
	if (c.fd < 0) {
		strbuf_reset(reply);
		strbuf_appendf(reply,
			       "451 4.3.0 FailedOperation.ServiceNotAvailable cannot reach "
			       "the mail server at %s",
			       s->server);
		return -1;
	}
	ok = api_smtp_reply(&c, reply) == 220 && api_smtp_session(&c, s, reply);
	(void)api_smtp_cmd(&c, "QUIT", 221, &bye);
	strbuf_free(&bye);
	close(c.fd);
	return ok ? 0 : -1;
}
