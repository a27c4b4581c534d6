/*
 * test_mreply - the milter packet writer over a socket pair: a reply
 * written whole, the changes of end of message held and sent with the
 * reply in order, a change too large to hold, changes dropped when their
 * reply never comes, refused lengths, a peer that is gone (no SIGPIPE),
 * a full socket buffer (waited for), and a reader that never reads
 * (timeout).
 */
#include "autoconf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <libmilter/mfdef.h>

#include "mreply.h"

static const struct timeval two_s = { 2, 0 };

struct pair {
	int mta, milter;
};

static int pair_setup(void **state)
{
	struct pair *p = calloc(1, sizeof *p);
	int sv[2];

	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	p->mta = sv[0];
	p->milter = sv[1];
	*state = p;
	return 0;
}

static int pair_teardown(void **state)
{
	struct pair *p = *state;

	mreply_forget();
	if (p->mta >= 0)
		close(p->mta);
	close(p->milter);
	free(p);
	return 0;
}

/* Bytes waiting on the MTA's side, without reading them. */
static ssize_t waiting(const struct pair *p)
{
	char buf[256 * 1024];
	ssize_t n = recv(p->mta, buf, sizeof buf, MSG_PEEK | MSG_DONTWAIT);

	return n < 0 && errno == EAGAIN ? 0 : n;
}

/* Reads one packet on the MTA's side: its command, data into out (len returned). */
static size_t read_packet(const struct pair *p, char *cmd, char *out, size_t cap)
{
	uint32_t n;
	size_t len;

	assert_int_equal(recv(p->mta, &n, 4, MSG_WAITALL), 4);
	len = ntohl(n) - 1;
	assert_int_equal(recv(p->mta, cmd, 1, MSG_WAITALL), 1);
	assert_true(len <= cap);
	if (len > 0)
		assert_int_equal(recv(p->mta, out, len, MSG_WAITALL), (ssize_t)len);
	return len;
}

static void reply_is_written_whole_at_once(void **state)
{
	struct pair *p = *state;
	char cmd, data[64];

	assert_int_equal(mreply_packet(p->milter, &two_s, SMFIR_REPLYCODE, "550 5.7.1 no", 13,
				       65535), 0);
	assert_int_equal(waiting(p), 5 + 13);
	assert_int_equal(read_packet(p, &cmd, data, sizeof data), 13);
	assert_int_equal(cmd, SMFIR_REPLYCODE);
	assert_string_equal(data, "550 5.7.1 no");
}

static void changes_wait_for_the_reply_and_keep_their_order(void **state)
{
	struct pair *p = *state;
	char cmd, data[64];

	assert_int_equal(mreply_packet(p->milter, &two_s, SMFIR_ADDHEADER, "A\0b", 4, 65535), 0);
	assert_int_equal(mreply_packet(p->milter, &two_s, SMFIR_CHGHEADER, "\0\0\0\1B\0c", 8,
				       65535), 0);
	assert_int_equal(waiting(p), 0);	/* held */
	assert_int_equal(mreply_packet(p->milter, &two_s, SMFIR_ACCEPT, NULL, 0, 65535), 0);
	assert_int_equal(waiting(p), (5 + 4) + (5 + 8) + 5);
	assert_int_equal(read_packet(p, &cmd, data, sizeof data), 4);
	assert_int_equal(cmd, SMFIR_ADDHEADER);
	assert_memory_equal(data, "A\0b", 4);
	assert_int_equal(read_packet(p, &cmd, data, sizeof data), 8);
	assert_int_equal(cmd, SMFIR_CHGHEADER);
	assert_int_equal(read_packet(p, &cmd, data, sizeof data), 0);
	assert_int_equal(cmd, SMFIR_ACCEPT);
}

/* A change that would pass the hold limit is sent at once, with those held before it. */
static void change_too_large_to_hold_is_sent_at_once(void **state)
{
	struct pair *p = *state;
	char *body = malloc(60000), cmd, *data = malloc(65535);

	memset(body, 'x', 60000);
	assert_int_equal(mreply_packet(p->milter, &two_s, SMFIR_REPLBODY, body, 60000, 65535), 0);
	assert_int_equal(waiting(p), 0);
	assert_int_equal(mreply_packet(p->milter, &two_s, SMFIR_REPLBODY, body, 60000, 65535), 0);
	assert_int_equal(read_packet(p, &cmd, data, 65535), 60000);
	assert_int_equal(cmd, SMFIR_REPLBODY);
	assert_int_equal(read_packet(p, &cmd, data, 65535), 60000);
	assert_int_equal(waiting(p), 0);
	free(body);
	free(data);
}

static void changes_without_their_reply_are_dropped(void **state)
{
	struct pair *p = *state;
	char cmd, data[64];

	assert_int_equal(mreply_packet(p->milter, &two_s, SMFIR_ADDHEADER, "A\0b", 4, 65535), 0);
	assert_true(mreply_forget());
	assert_false(mreply_forget());
	assert_int_equal(mreply_packet(p->milter, &two_s, SMFIR_CONTINUE, NULL, 0, 65535), 0);
	assert_int_equal(read_packet(p, &cmd, data, sizeof data), 0);
	assert_int_equal(cmd, SMFIR_CONTINUE);
	assert_int_equal(waiting(p), 0);
}

static void bad_lengths_are_refused(void **state)
{
	struct pair *p = *state;

	assert_int_equal(mreply_packet(p->milter, &two_s, SMFIR_REPLBODY, "x", 65536, 65535), -1);
	assert_int_equal(mreply_packet(p->milter, &two_s, SMFIR_REPLYCODE, NULL, 3, 65535), -1);
	assert_int_equal(waiting(p), 0);
}

static void peer_gone_fails_without_a_signal(void **state)
{
	struct pair *p = *state;

	close(p->mta);
	p->mta = -1;
	assert_int_equal(mreply_packet(p->milter, &two_s, SMFIR_CONTINUE, NULL, 0, 65535), -1);
}

struct slow_reader {
	int fd;
	size_t got;
};

static void *slow_read(void *arg)
{
	struct slow_reader *r = arg;
	char buf[4096];
	ssize_t n;

	usleep(50000);	/* let the writer fill the buffer first */
	while ((n = recv(r->fd, buf, sizeof buf, 0)) > 0)
		r->got += (size_t)n;
	return NULL;
}

/* More than the socket buffer holds: the writer waits for room and sends it all. */
static void full_socket_buffer_is_waited_for(void **state)
{
	struct pair *p = *state;
	struct slow_reader r = { p->mta, 0 };
	char *body = malloc(65535);
	int small = 4096, i;
	pthread_t t;

	memset(body, 'y', 65535);
	assert_int_equal(setsockopt(p->milter, SOL_SOCKET, SO_SNDBUF, &small, sizeof small), 0);
	assert_int_equal(pthread_create(&t, NULL, slow_read, &r), 0);
	for (i = 0; i < 8; i++)
		assert_int_equal(mreply_packet(p->milter, &two_s, SMFIR_PROGRESS, body, 65535, 65535),
				 0);
	shutdown(p->milter, SHUT_WR);
	pthread_join(t, NULL);
	assert_int_equal(r.got, 8 * (5 + 65535));
	free(body);
}

static void reader_that_never_reads_times_out(void **state)
{
	struct pair *p = *state;
	struct timeval short_wait = { 0, 100000 };
	char *body = malloc(65535);
	int small = 4096, i, rc = 0;

	memset(body, 'z', 65535);
	assert_int_equal(setsockopt(p->milter, SOL_SOCKET, SO_SNDBUF, &small, sizeof small), 0);
	for (i = 0; i < 64 && rc == 0; i++)
		rc = mreply_packet(p->milter, &short_wait, SMFIR_PROGRESS, body, 65535, 65535);
	assert_int_equal(rc, -1);
	free(body);
}

#define T(name) cmocka_unit_test_setup_teardown(name, pair_setup, pair_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(reply_is_written_whole_at_once),
		T(changes_wait_for_the_reply_and_keep_their_order),
		T(change_too_large_to_hold_is_sent_at_once),
		T(changes_without_their_reply_are_dropped),
		T(bad_lengths_are_refused),
		T(peer_gone_fails_without_a_signal),
		T(full_socket_buffer_is_waited_for),
		T(reader_that_never_reads_times_out),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
