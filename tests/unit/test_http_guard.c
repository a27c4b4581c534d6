/*
 * test_http_guard - unit tests for milter/http_guard.c: the HOST:PORT
 * parser, the option list given to libmicrohttpd, and a live listener on
 * a free loopback port (a reply, the total-time bound cutting a silent
 * connection long before its idle timeout, the logged start failure, a
 * listener's own options).
 *
 * Diagnostics: cmocka's; a failing parser row is named by its spec.
 */
#include "autoconf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "http_guard.h"
#include "logging.h"
#include "tabletest.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The last line logged (stands in for milter/logging.c). */
static char last_log[256];

void logging_msg(enum plog_level level, const char *fmt, ...)
{
	va_list ap;

	(void)level;
	va_start(ap, fmt);
	vsnprintf(last_log, sizeof last_log, fmt, ap);
	va_end(ap);
}

struct addr_row {
	const char *name;
	const char *spec;
	bool ok;
	unsigned short port;
};

static const struct addr_row addr_rows[] = {
	{ "loopback_with_port", "127.0.0.1:9465", true, 9465 },
	{ "any_address", "0.0.0.0:80", true, 80 },
	{ "highest_port", "127.0.0.1:65535", true, 65535 },
	{ "no_port", "127.0.0.1", false, 0 },
	{ "port_zero", "127.0.0.1:0", false, 0 },
	{ "port_too_high", "127.0.0.1:65536", false, 0 },
	{ "port_with_junk", "127.0.0.1:80x", false, 0 },
	{ "empty_port", "127.0.0.1:", false, 0 },
	{ "name_not_address", "localhost:80", false, 0 },
	{ "ipv6_refused", "::1:80", false, 0 },
	{ "host_too_long", "1111111111111111111111111111111111111111111111111111111111111111:80",
	  false, 0 },
};

static void test_addr(void **state)
{
	const struct addr_row *row = *state;
	struct sockaddr_in sin;

	assert_int_equal(http_guard_addr(row->spec, &sin), row->ok);
	if (row->ok) {
		assert_int_equal(sin.sin_family, AF_INET);
		assert_int_equal(ntohs(sin.sin_port), row->port);
	}
}

static void test_options_carry_the_limits(void **state)
{
	struct http_guard g = {
		.name = "test",
		.limits = { .max_connections = 7,
			    .per_ip = 3,
			    .idle_s = 11,
			    .total_s = 13,
			    .slots = 9 },
	};
	struct MHD_OptionItem opts[HTTP_GUARD_OPTIONS];
	struct sockaddr_in sin;

	(void)state;
	assert_true(http_guard_addr("127.0.0.1:8080", &sin));
	http_guard_options(&g, &sin, opts);
	assert_int_equal(opts[0].option, MHD_OPTION_SOCK_ADDR);
	assert_ptr_equal(opts[0].ptr_value, &sin);
	assert_int_equal(opts[1].option, MHD_OPTION_CONNECTION_LIMIT);
	assert_int_equal(opts[1].value, 7);
	assert_int_equal(opts[2].option, MHD_OPTION_PER_IP_CONNECTION_LIMIT);
	assert_int_equal(opts[2].value, 3);
	assert_int_equal(opts[3].option, MHD_OPTION_CONNECTION_TIMEOUT);
	assert_int_equal(opts[3].value, 11);
	assert_int_equal(opts[4].option, MHD_OPTION_NOTIFY_CONNECTION);
	assert_ptr_equal(opts[4].ptr_value, &g);
	assert_int_equal(opts[5].option, MHD_OPTION_END);
}

static enum MHD_Result ok_handler(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **req_cls)
{
	(void)cls;
	(void)url;
	(void)method;
	(void)version;
	(void)upload_data;
	if (http_guard_skip_body(req_cls, upload_data_size))
		return MHD_YES;
	return http_guard_reply(conn, MHD_HTTP_OK, "text/plain", "ok\n", 3);
}

/* A connected loopback socket to port, reads bounded by seconds. */
static int dial(unsigned short port, int seconds)
{
	struct timeval tv = { seconds, 0 };
	struct sockaddr_in sin;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	assert_int_equal(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
	return fd;
}

/* Reads until the peer closes, a timeout or an error; the bytes read. */
static size_t read_all(int fd, char *buf, size_t size)
{
	size_t len = 0;
	ssize_t n;

	while (len + 1 < size && (n = read(fd, buf + len, size - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	return len;
}

/* True when the peer closes or resets fd within seconds. */
static bool closed_within(int fd, int seconds)
{
	struct pollfd p = { fd, POLLIN, 0 };
	char c;

	if (poll(&p, 1, seconds * 1000) != 1)
		return false;
	return read(fd, &c, 1) <= 0;
}

static void test_live_listener(void **state)
{
	static const struct MHD_OptionItem pool[] = {
		{ MHD_OPTION_THREAD_POOL_SIZE, 2, NULL },
		{ MHD_OPTION_END, 0, NULL },
	};
	struct http_guard g = {
		.name = "test",
		.limits = { .max_connections = 8,
			    .per_ip = 4,
			    .idle_s = 60,
			    .total_s = 1,
			    .slots = 16 },
	};
	struct http_guard other = { .name = "other",
				    .failure_note = " (going on)",
				    .limits = g.limits };
	const union MHD_DaemonInfo *info;
	struct sockaddr_in sin;
	char spec[32], buf[1024];
	unsigned short port;
	int fd;

	(void)state;
	assert_true(http_guard_addr("127.0.0.1:1", &sin));
	sin.sin_port = 0; /* a free port */
	assert_int_equal(http_guard_start(&g, &sin, "127.0.0.1:0", ok_handler, NULL, pool), 0);
	assert_true(http_guard_running(&g));
	info = MHD_get_daemon_info(g.daemon, MHD_DAEMON_INFO_BIND_PORT);
	assert_non_null(info);
	port = info->port;

	fd = dial(port, 5);
	assert_true(write(fd, "GET / HTTP/1.0\r\n\r\n", 18) == 18);
	read_all(fd, buf, sizeof buf);
	close(fd);
	assert_int_equal(strncmp(buf, "HTTP/1.", 7), 0);
	assert_int_equal(strncmp(buf + 8, " 200 ", 5), 0);
	assert_non_null(strstr(buf, "Cache-Control: no-store"));
	assert_non_null(strstr(buf, "\r\n\r\nok\n"));

	/* silent for ever: only the total-time bound can end it */
	fd = dial(port, 5);
	assert_true(closed_within(fd, 5));
	close(fd);

	snprintf(spec, sizeof spec, "127.0.0.1:%u", port);
	assert_true(http_guard_addr(spec, &sin));
	assert_int_equal(http_guard_start(&other, &sin, spec, ok_handler, NULL, NULL), -1);
	assert_false(http_guard_running(&other));
	assert_non_null(strstr(last_log, "cannot start the other endpoint on 127.0.0.1:"));
	assert_non_null(strstr(last_log, " (going on)"));

	http_guard_stop(&g);
	assert_false(http_guard_running(&g));
	http_guard_stop(&g); /* nothing when it does not run */
}

int main(void)
{
	struct CMUnitTest addr_tests[ARRAY_SIZE(addr_rows)];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_options_carry_the_limits),
		cmocka_unit_test(test_live_listener),
	};
	int failed;

	TABLE_TESTS(addr_tests, addr_rows, ARRAY_SIZE(addr_rows), test_addr);
	failed = cmocka_run_group_tests_name("http_guard_addr", addr_tests, NULL, NULL);
	return failed + cmocka_run_group_tests(tests, NULL, NULL);
}
