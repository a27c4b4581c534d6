/*
 * mread - one milter packet in two reads; see mread.h.
 */
#include "autoconf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "mread.h"

#define MREAD_HEAD 5	/* a four-byte length in network order, then the command */

/* Milliseconds of timeout for poll(); -1 for none. */
static int mread_ms(const struct timeval *timeout)
{
	long long ms;

	if (timeout == NULL)
		return -1;
	ms = (long long)timeout->tv_sec * 1000 + timeout->tv_usec / 1000;
	return ms > 0x7fffffff ? 0x7fffffff : (int)ms;
}

/*
 * Reads exactly len bytes into buf: at once when they are there, else
 * after poll() says they are coming.  0, or an mread_error.
 */
static int mread_full(int sd, char *buf, size_t len, int ms)
{
	struct pollfd pfd = { .fd = sd, .events = POLLIN };
	size_t got = 0;
	ssize_t n;
	int r;

	while (got < len) {
		n = recv(sd, buf + got, len - got, MSG_DONTWAIT);
		if (n > 0) {
			got += (size_t)n;
			continue;
		}
		if (n == 0)
			return MREAD_EOF;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return MREAD_RECVERR;
		r = poll(&pfd, 1, ms);
		if (r == 0)
			return MREAD_TIMEOUT;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return MREAD_RECVERR;
		}
		if ((pfd.revents & POLLIN) == 0 && (pfd.revents & (POLLERR | POLLNVAL)) != 0)
			return MREAD_SELECT;
		/* POLLIN or POLLHUP: the next recv() reads the bytes or the end */
	}
	return 0;
}

char *mread_packet(int sd, const struct timeval *timeout, size_t max, char *cmd, size_t *rlen)
{
	unsigned char head[MREAD_HEAD];
	uint32_t len;
	char *buf;
	int ms = mread_ms(timeout), e;

	*cmd = '\0';
	*rlen = 0;
	if ((e = mread_full(sd, (char *)head, sizeof head, ms)) != 0) {
		*cmd = (char)e;
		return NULL;
	}
	memcpy(&len, head, sizeof len);
	len = ntohl(len);
	*cmd = (char)head[4];
	/* the length counts the command byte; nothing more: no data */
	if (len <= 1)
		return NULL;
	if ((size_t)len - 1 > max) {
		*cmd = MREAD_TOOBIG;
		return NULL;
	}
	buf = malloc((size_t)len);	/* the data and a NUL */
	if (buf == NULL) {
		*cmd = MREAD_MALLOC;
		return NULL;
	}
	if ((e = mread_full(sd, buf, (size_t)len - 1, ms)) != 0) {
		free(buf);
		*cmd = (char)e;
		return NULL;
	}
	buf[len - 1] = '\0';
	*rlen = (size_t)len - 1;
	return buf;
}
