/*
 * mreply - milter packets to the MTA in as few writes as they allow; see
 * mreply.h.
 */
#include "autoconf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <libmilter/mfdef.h>

#include "mreply.h"

#define MREPLY_HEAD 5	/* a four-byte length in network order, then the command */

/* The changes held by this thread: whole packets for one socket. */
struct mreply_held {
	int fd;
	char *data;
	size_t len, cap;
};

static __thread struct mreply_held mreply_held = { -1, NULL, 0, 0 };

int mreply_is_change(int cmd)
{
	switch (cmd) {
	case SMFIR_ADDRCPT:
	case SMFIR_DELRCPT:
	case SMFIR_ADDRCPT_PAR:
	case SMFIR_REPLBODY:
	case SMFIR_CHGFROM:
	case SMFIR_ADDHEADER:
	case SMFIR_INSHEADER:
	case SMFIR_CHGHEADER:
	case SMFIR_QUARANTINE:
		return 1;
	default:
		return 0;
	}
}

/* Milliseconds of timeout for poll(); -1 for none. */
static int mreply_ms(const struct timeval *timeout)
{
	long long ms;

	if (timeout == NULL)
		return -1;
	ms = (long long)timeout->tv_sec * 1000 + timeout->tv_usec / 1000;
	return ms > 0x7fffffff ? 0x7fffffff : (int)ms;
}

/* Writes every byte of iov[0..n) (changed as it goes): 0, or -1. */
static int mreply_writev(int sd, struct iovec *iov, int n, int ms)
{
	struct pollfd pfd = { .fd = sd, .events = POLLOUT };
	struct msghdr mh;
	ssize_t w;
	int r;

	while (n > 0 && iov[0].iov_len == 0) {
		iov++;
		n--;
	}
	while (n > 0) {
		memset(&mh, 0, sizeof mh);
		mh.msg_iov = iov;
		mh.msg_iovlen = (size_t)n;
		w = sendmsg(sd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				return -1;
			r = poll(&pfd, 1, ms);
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0 || (pfd.revents & (POLLERR | POLLHUP | POLLNVAL)) != 0)
				return -1;	/* timed out, failed, or the MTA is gone */
			continue;
		}
		while (n > 0 && (size_t)w >= iov[0].iov_len) {
			w -= (ssize_t)iov[0].iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov[0].iov_base = (char *)iov[0].iov_base + w;
			iov[0].iov_len -= (size_t)w;
		}
	}
	return 0;
}

/* Appends packet cmd buf[0..len) to the held changes; -1 when out of memory. */
static int mreply_hold(int sd, const char head[MREPLY_HEAD], const char *buf, size_t len)
{
	struct mreply_held *h = &mreply_held;
	size_t need = h->len + MREPLY_HEAD + len;
	char *p;

	if (need > h->cap) {
		size_t cap = h->cap ? h->cap : 4096;

		while (cap < need)
			cap *= 2;
		p = realloc(h->data, cap);
		if (p == NULL)
			return -1;
		h->data = p;
		h->cap = cap;
	}
	memcpy(h->data + h->len, head, MREPLY_HEAD);
	if (len > 0)
		memcpy(h->data + h->len + MREPLY_HEAD, buf, len);
	h->len = need;
	h->fd = sd;
	return 0;
}

/* Forgets the held changes and their buffer (a thread may exit next). */
static void mreply_release(void)
{
	struct mreply_held *h = &mreply_held;

	free(h->data);
	*h = (struct mreply_held){ -1, NULL, 0, 0 };
}

int mreply_forget(void)
{
	int had = mreply_held.len > 0;

	mreply_release();
	return had;
}

int mreply_packet(int sd, const struct timeval *timeout, int cmd, const char *buf, size_t len,
		  size_t max)
{
	struct mreply_held *h = &mreply_held;
	struct iovec iov[3];
	char head[MREPLY_HEAD];
	uint32_t nl;
	int n = 0, rc, ms = mreply_ms(timeout);

	if (len > max || (len > 0 && buf == NULL))
		return -1;
	nl = htonl((uint32_t)len + 1);	/* the command byte counts */
	memcpy(head, &nl, 4);
	head[4] = (char)cmd;
	if (h->len > 0 && h->fd != sd)
		mreply_release();	/* another socket's: never sent here (cannot happen) */
	if (mreply_is_change(cmd) && h->len + MREPLY_HEAD + len <= MREPLY_HOLD_MAX)
		return mreply_hold(sd, head, buf, len) == 0 ? 0 : -1;
	if (h->len > 0)
		iov[n++] = (struct iovec){ h->data, h->len };
	iov[n++] = (struct iovec){ head, MREPLY_HEAD };
	if (len > 0)
		iov[n++] = (struct iovec){ (void *)buf, len };
	rc = mreply_writev(sd, iov, n, ms);
	mreply_release();
	return rc;
}
