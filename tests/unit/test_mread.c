/*
 * test_mread - the milter packet reader over a socket pair: whole packets,
 * packets in pieces, packets with no data, the end of the connection at
 * every place, a length over the limit, a timeout, and that it never
 * reads past the packet it returns.
 */
#include "autoconf.h"

#include <arpa/inet.h>
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

#include "mread.h"

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

	if (p->mta >= 0)
		close(p->mta);
	close(p->milter);
	free(p);
	return 0;
}

/* Writes a packet: length (command byte included), command, data. */
static void put_packet(int fd, char cmd, const char *data, size_t len)
{
	uint32_t n = htonl((uint32_t)len + 1);

	assert_int_equal(write(fd, &n, 4), 4);
	assert_int_equal(write(fd, &cmd, 1), 1);
	if (len > 0)
		assert_int_equal(write(fd, data, len), (ssize_t)len);
}

static void whole_packet_is_returned_with_a_nul_after_it(void **state)
{
	struct pair *p = *state;
	size_t len;
	char cmd, *buf;

	put_packet(p->mta, 'L', "Subject\0hello\0", 14);
	buf = mread_packet(p->milter, &two_s, 65535, &cmd, &len);
	assert_non_null(buf);
	assert_int_equal(cmd, 'L');
	assert_int_equal(len, 14);
	assert_memory_equal(buf, "Subject\0hello\0", 14);
	assert_int_equal(buf[14], '\0');
	free(buf);
}

static void packet_without_data_gives_its_command_only(void **state)
{
	struct pair *p = *state;
	size_t len = 99;
	char cmd;

	put_packet(p->mta, 'N', NULL, 0);
	assert_null(mread_packet(p->milter, &two_s, 65535, &cmd, &len));
	assert_int_equal(cmd, 'N');
	assert_int_equal(len, 0);
}

/* Two packets back to back: each read returns one and leaves the next in the socket. */
static void never_reads_past_the_packet(void **state)
{
	struct pair *p = *state;
	size_t len, avail;
	char cmd, *buf, peek[64];

	put_packet(p->mta, 'L', "A\0b\0", 4);
	put_packet(p->mta, 'L', "C\0d\0", 4);
	buf = mread_packet(p->milter, &two_s, 65535, &cmd, &len);
	assert_non_null(buf);
	assert_memory_equal(buf, "A\0b\0", 4);
	free(buf);
	avail = (size_t)recv(p->milter, peek, sizeof peek, MSG_PEEK | MSG_DONTWAIT);
	assert_int_equal(avail, 9);	/* the second packet, whole */
	buf = mread_packet(p->milter, &two_s, 65535, &cmd, &len);
	assert_non_null(buf);
	assert_memory_equal(buf, "C\0d\0", 4);
	free(buf);
}

struct slow_writer {
	int fd;
};

/* Writes a packet a byte at a time, yielding between bytes. */
static void *slow_write(void *arg)
{
	const struct slow_writer *w = arg;
	static const char pkt[] = { 0, 0, 0, 6, 'B', 'h', 'e', 'l', 'l', 'o' };
	size_t i;

	for (i = 0; i < sizeof pkt; i++) {
		if (write(w->fd, &pkt[i], 1) != 1)
			break;
		usleep(2000);
	}
	return NULL;
}

static void packet_in_pieces_is_waited_for(void **state)
{
	struct pair *p = *state;
	struct slow_writer w = { p->mta };
	pthread_t t;
	size_t len;
	char cmd, *buf;

	assert_int_equal(pthread_create(&t, NULL, slow_write, &w), 0);
	buf = mread_packet(p->milter, &two_s, 65535, &cmd, &len);
	pthread_join(t, NULL);
	assert_non_null(buf);
	assert_int_equal(cmd, 'B');
	assert_int_equal(len, 5);
	assert_memory_equal(buf, "hello", 5);
	free(buf);
}

static void end_before_a_packet_is_eof(void **state)
{
	struct pair *p = *state;
	size_t len;
	char cmd;

	close(p->mta);
	p->mta = -1;
	assert_null(mread_packet(p->milter, &two_s, 65535, &cmd, &len));
	assert_int_equal(cmd, MREAD_EOF);
}

static void end_inside_the_head_is_eof(void **state)
{
	struct pair *p = *state;
	size_t len;
	char cmd;

	assert_int_equal(write(p->mta, "\0\0", 2), 2);
	close(p->mta);
	p->mta = -1;
	assert_null(mread_packet(p->milter, &two_s, 65535, &cmd, &len));
	assert_int_equal(cmd, MREAD_EOF);
}

/* The length promises 100 bytes; 3 come, then the end. */
static void packet_that_lies_about_its_length_is_eof(void **state)
{
	struct pair *p = *state;
	uint32_t n = htonl(101);
	size_t len;
	char cmd;

	assert_int_equal(write(p->mta, &n, 4), 4);
	assert_int_equal(write(p->mta, "Babc", 4), 4);
	close(p->mta);
	p->mta = -1;
	assert_null(mread_packet(p->milter, &two_s, 65535, &cmd, &len));
	assert_int_equal(cmd, MREAD_EOF);
}

static void length_over_the_limit_is_too_big(void **state)
{
	struct pair *p = *state;
	uint32_t lens[] = { htonl(65537), htonl(0x7fffffff), htonl(0xffffffff) };
	size_t len, i;
	char cmd;

	for (i = 0; i < sizeof lens / sizeof lens[0]; i++) {
		assert_int_equal(write(p->mta, &lens[i], 4), 4);
		assert_int_equal(write(p->mta, "B", 1), 1);
		assert_null(mread_packet(p->milter, &two_s, 65535, &cmd, &len));
		assert_int_equal(cmd, MREAD_TOOBIG);
	}
}

struct big_writer {
	int fd;
	char *data;
	size_t len;
};

static void *big_write(void *arg)
{
	const struct big_writer *w = arg;

	put_packet(w->fd, 'B', w->data, w->len);
	return NULL;
}

/* 65535 bytes, more than a socket buffer takes at once: written from a thread. */
static void length_at_the_limit_is_read(void **state)
{
	struct pair *p = *state;
	struct big_writer w = { p->mta, malloc(65535), 65535 };
	size_t len;
	char cmd, *buf;
	pthread_t t;

	memset(w.data, 'x', w.len);
	assert_int_equal(pthread_create(&t, NULL, big_write, &w), 0);
	buf = mread_packet(p->milter, &two_s, 65535, &cmd, &len);
	pthread_join(t, NULL);
	assert_non_null(buf);
	assert_int_equal(len, 65535);
	assert_int_equal(buf[65534], 'x');
	free(buf);
	free(w.data);
}

static void nothing_within_the_timeout_is_timeout(void **state)
{
	struct pair *p = *state;
	struct timeval short_wait = { 0, 50000 };
	size_t len;
	char cmd;

	assert_null(mread_packet(p->milter, &short_wait, 65535, &cmd, &len));
	assert_int_equal(cmd, MREAD_TIMEOUT);
	/* a head that stops half way times out too */
	assert_int_equal(write(p->mta, "\0\0\0", 3), 3);
	assert_null(mread_packet(p->milter, &short_wait, 65535, &cmd, &len));
	assert_int_equal(cmd, MREAD_TIMEOUT);
}

#define T(name) cmocka_unit_test_setup_teardown(name, pair_setup, pair_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(whole_packet_is_returned_with_a_nul_after_it),
		T(packet_without_data_gives_its_command_only),
		T(never_reads_past_the_packet),
		T(packet_in_pieces_is_waited_for),
		T(end_before_a_packet_is_eof),
		T(end_inside_the_head_is_eof),
		T(packet_that_lies_about_its_length_is_eof),
		T(length_over_the_limit_is_too_big),
		T(length_at_the_limit_is_read),
		T(nothing_within_the_timeout_is_timeout),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
