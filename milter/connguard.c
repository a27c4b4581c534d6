/*
 * connguard - guards between libmilter and the milter socket; see
 * connguard.h.
 *
 * Why here and not in the callbacks: a malformed macro packet is stored by
 * libmilter as it arrives and crashes smfi_getsymval() later, whichever
 * callback asks; and a connection that never sends a packet never reaches
 * a callback at all (Debian's libmilter keeps it in its worker pool's poll
 * set, and closes idle sessions only every 600 s).  The packet reader and
 * accept() are the two places every byte and every connection pass.
 * The packets themselves are read by mread.c and written by mreply.c
 * (libmilter's contracts, fewer system calls); libmilter's own reader is
 * only looked up, to know that the library still calls the one defined
 * here.
 *
 * Diagnostics (each at most once a minute, with a count): "malformed macro
 * packet from the MTA: N strings cut to whole pairs", "too many milter
 * connections (at most N): shut down M idle the longest".
 */
#include "autoconf.h"

#include <dlfcn.h>
#include <libmilter/mfapi.h>
#include <libmilter/mfdef.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "connguard.h"
#include "logging.h"
#include "mpacket.h"
#include "mread.h"
#include "mreply.h"
#include "ratelog.h"

#define CONNGUARD_SMFIC_EOF ((char)5)	/* libmilter.h's SMFIC_EOF: end the session */
#define CONNGUARD_SMFIC_VALIDCMD ' '	/* libmilter.h: the codes below are errors */
#define CONNGUARD_MAX_LISTENERS 8

typedef char *(*connguard_reader)(int, struct timeval *, char *, size_t *, char *);

struct connguard_conn {
	ino_t ino;		/* the socket's inode; 0: slot free */
	long long active_ms;	/* accepted or last packet, monotonic */
	bool tcp;		/* a TCP connection (connguard_quick_acks) */
};

static connguard_reader connguard_real_rd;
static size_t connguard_max_data = MILTER_MAX_DATA_SIZE;	/* libmilter's, read at init */
static int connguard_quickack;	/* connguard_quick_acks(), atomic */
static int connguard_listeners[CONNGUARD_MAX_LISTENERS];
static size_t connguard_nlisteners;
static pthread_mutex_t connguard_lock = PTHREAD_MUTEX_INITIALIZER;
static struct connguard_conn *connguard_conns;	/* indexed by fd */
static size_t connguard_nslots, connguard_open, connguard_max;
static struct ratelog connguard_macro_log = RATELOG_INIT(60);
static struct ratelog connguard_shed_log = RATELOG_INIT(60);

static long long connguard_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The inode of the socket fd, or 0. */
static ino_t connguard_ino(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISSOCK(st.st_mode) ? st.st_ino : 0;
}

size_t connguard_limit_for(unsigned long nofile)
{
	unsigned long reserve = nofile / 8;

	if (reserve < 32)
		reserve = 32;
	if (reserve > 1024)
		reserve = 1024;
	return nofile > reserve + 16 ? nofile - reserve : 16;
}

int connguard_init(size_t max_sessions)
{
	int fd;

	connguard_real_rd = (connguard_reader)dlsym(RTLD_NEXT, "mi_rd_cmd");
	if (connguard_real_rd == NULL) {
		logging_msg(PLOG_CRIT, "cannot find libmilter's mi_rd_cmd: macro packets "
			    "would not be checked");
		return -1;
	}
	/*
	 * The packet limit libmilter's reader applies (it only changes when
	 * a filter built for MDS negotiation asks, which this one is not):
	 * read by setting it and setting it back, before any thread runs.
	 */
	connguard_max_data = smfi_setmaxdatasize(MILTER_MAX_DATA_SIZE);
	smfi_setmaxdatasize(connguard_max_data);
	connguard_nslots = max_sessions + 1100;	/* room for the reserve above the bound */
	connguard_conns = calloc(connguard_nslots, sizeof *connguard_conns);
	if (connguard_conns == NULL)
		return -1;
	connguard_max = max_sessions;
	for (fd = 0; fd < 1024 && connguard_nlisteners < CONNGUARD_MAX_LISTENERS; fd++) {
		int acc = 0;
		socklen_t alen = sizeof acc;

		if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &acc, &alen) == 0 && acc)
			connguard_listeners[connguard_nlisteners++] = fd;
	}
	return 0;
}

static bool connguard_is_listener(int fd)
{
	size_t i;

	for (i = 0; i < connguard_nlisteners; i++)
		if (connguard_listeners[i] == fd)
			return true;
	return false;
}

struct connguard_idle {
	long long active_ms;
	int fd;
};

static int connguard_idle_cmp(const void *a, const void *b)
{
	const struct connguard_idle *x = a, *y = b;

	return x->active_ms < y->active_ms ? -1 : x->active_ms > y->active_ms;
}

/*
 * Over the bound (lock held): forgets slots whose socket has closed, then
 * shuts down the connections idle the longest, down to 15/16 of the bound
 * so that a flood pays for this scan once per many connections.  keep is
 * the connection just accepted.  Returns how many were shut down.
 */
static size_t connguard_shed_locked(int keep)
{
	struct connguard_idle *idle;
	size_t i, n = 0, target = connguard_max - connguard_max / 16, shed = 0;

	idle = malloc(connguard_nslots * sizeof *idle);
	if (idle == NULL)
		return 0;
	for (i = 0; i < connguard_nslots; i++) {
		if (connguard_conns[i].ino == 0)
			continue;
		if (connguard_ino((int)i) != connguard_conns[i].ino) {
			connguard_conns[i].ino = 0;	/* closed by libmilter */
			connguard_open--;
		} else if ((int)i != keep) {
			idle[n++] = (struct connguard_idle){ connguard_conns[i].active_ms, (int)i };
		}
	}
	qsort(idle, n, sizeof *idle, connguard_idle_cmp);
	/*
	 * The slot's socket was checked just above; libmilter closes a
	 * session's socket only after reading its end, which this shutdown
	 * is about to cause, so the descriptor still names it here.
	 */
	for (i = 0; i < n && connguard_open > target; i++) {
		shutdown(idle[i].fd, SHUT_RDWR);
		connguard_conns[idle[i].fd].ino = 0;
		connguard_open--;
		shed++;
	}
	free(idle);
	return shed;
}

/* True when fd is a TCP socket. */
static bool connguard_is_tcp(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;

	return getsockname(fd, (struct sockaddr *)&ss, &len) == 0 &&
	       (ss.ss_family == AF_INET || ss.ss_family == AF_INET6);
}

void connguard_quick_acks(bool on)
{
	__atomic_store_n(&connguard_quickack, on ? 1 : 0, __ATOMIC_RELAXED);
}

/* Counts a new milter connection; sheds idle ones when over the bound. */
static void connguard_admit(int fd)
{
	unsigned long held;
	size_t shed = 0;

	pthread_mutex_lock(&connguard_lock);
	if (fd >= 0 && (size_t)fd < connguard_nslots) {
		if (connguard_conns[fd].ino == 0)
			connguard_open++;
		connguard_conns[fd] = (struct connguard_conn){ connguard_ino(fd), connguard_now_ms(),
							       connguard_is_tcp(fd) };
		if (connguard_conns[fd].ino == 0)
			connguard_open--;
		if (connguard_open > connguard_max)
			shed = connguard_shed_locked(fd);
	}
	pthread_mutex_unlock(&connguard_lock);
	if (shed > 0 && ratelog_allow(&connguard_shed_log, time(NULL), &held))
		logging_msg(PLOG_WARNING, "too many milter connections (at most %zu): shut down "
			    "%zu idle the longest (%lu more such events this minute)", connguard_max,
			    shed, held);
}

/* Marks the connection fd as active now; true when it is a TCP connection. */
static bool connguard_touch(int fd)
{
	bool tcp = false;

	pthread_mutex_lock(&connguard_lock);
	if (fd >= 0 && (size_t)fd < connguard_nslots && connguard_conns[fd].ino != 0) {
		connguard_conns[fd].active_ms = connguard_now_ms();
		tcp = connguard_conns[fd].tcp;
	}
	pthread_mutex_unlock(&connguard_lock);
	return tcp;
}

int accept(int fd, __SOCKADDR_ARG addr, socklen_t *__restrict len)
{
	int c = accept4(fd, addr, len, 0);

	if (c >= 0 && connguard_conns != NULL && connguard_is_listener(fd))
		connguard_admit(c);
	return c;
}

char *mi_rd_cmd(int sd, struct timeval *timeout, char *cmd, size_t *rlen, char *name)
{
	unsigned long held;
	char *buf;
	size_t keep;

	if (connguard_real_rd == NULL) {
		/* not set up (cannot happen after connguard_init): end the session */
		*cmd = CONNGUARD_SMFIC_EOF;
		return NULL;
	}
	(void)name;
	if (mreply_forget())
		logging_msg(PLOG_WARNING, "changes of an end of message that got no reply dropped");
	buf = mread_packet(sd, timeout, connguard_max_data, cmd, rlen);
	if (buf == NULL && (unsigned char)*cmd < CONNGUARD_SMFIC_VALIDCMD)
		return NULL;	/* end, timeout or error: not a packet */
	if (connguard_touch(sd) && __atomic_load_n(&connguard_quickack, __ATOMIC_RELAXED)) {
		int on = 1;	/* not sticky: asked for again after every packet */

		(void)setsockopt(sd, IPPROTO_TCP, TCP_QUICKACK, &on, sizeof on);
	}
	if (buf == NULL)
		return NULL;
	if (*cmd != SMFIC_MACRO)
		return buf;
	keep = mpacket_macro_safe_len(buf, *rlen);
	if (keep != *rlen) {
		if (ratelog_allow(&connguard_macro_log, time(NULL), &held))
			logging_msg(PLOG_WARNING, "malformed macro packet from the MTA: cut to whole "
				    "name/value pairs (%lu more this minute)", held);
		*rlen = keep;
	}
	return buf;
}

int mi_wr_cmd(int sd, struct timeval *timeout, int cmd, char *buf, size_t len)
{
	return mreply_packet(sd, timeout, cmd, buf, len, connguard_max_data) == 0 ? MI_SUCCESS
										   : MI_FAILURE;
}
