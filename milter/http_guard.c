/*
 * http_guard - the protections and plumbing every libmicrohttpd listener
 * of the daemon shares (unsub_http.c, metrics_http.c; track_http.c, on
 * the unsubscribe listener, builds its replies with the helpers here).
 *
 * Requests are handled by libmicrohttpd's own thread.  Slow clients
 * cannot lock others out: at most limits.max_connections open, at most
 * limits.per_ip from one address, an idle timeout of limits.idle_s, and
 * each connection shut down limits.total_s seconds after it opened
 * however busy it keeps itself (libmicrohttpd's timeout counts idle time
 * only, so a client sending one byte a second would hold its slot for
 * ever).  The open connections and when each opened are kept in a table
 * of limits.slots (http_guard_notify); a reaper thread looks at it five
 * times a second.  A connection that finds the table full is not bounded
 * in total time, only by the idle timeout: size the table above
 * max_connections.
 *
 * Diagnostics: "cannot start the NAME endpoint on HOST:PORT" (with the
 * listener's failure note), "cannot start the NAME endpoint's reaper".
 */
#include "autoconf.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http_guard.h"
#include "logging.h"

#define HTTP_GUARD_REAP_US 200000 /* between two looks at the table */

static int http_guard_marker; /* a request's first call has been seen */

bool http_guard_addr(const char *spec, struct sockaddr_in *sin)
{
	char host[64];
	const char *colon = strrchr(spec, ':');
	char *end;
	long port;

	if (colon == NULL || (size_t)(colon - spec) >= sizeof host)
		return false;
	memcpy(host, spec, (size_t)(colon - spec));
	host[colon - spec] = '\0';
	port = strtol(colon + 1, &end, 10);
	memset(sin, 0, sizeof *sin);
	sin->sin_family = AF_INET;
	sin->sin_port = htons((unsigned short)port);
	return *end == '\0' && port > 0 && port < 65536 &&
	       inet_pton(AF_INET, host, &sin->sin_addr) == 1;
}

void http_guard_options(struct http_guard *g, const struct sockaddr_in *sin,
			struct MHD_OptionItem opts[HTTP_GUARD_OPTIONS])
{
	const struct http_guard_limits *l = &g->limits;

	opts[0] = (struct MHD_OptionItem){ MHD_OPTION_SOCK_ADDR, 0, (void *)sin };
	opts[1] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_LIMIT, l->max_connections, NULL };
	opts[2] = (struct MHD_OptionItem){ MHD_OPTION_PER_IP_CONNECTION_LIMIT, l->per_ip, NULL };
	opts[3] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_TIMEOUT, l->idle_s, NULL };
	opts[4] = (struct MHD_OptionItem){ MHD_OPTION_NOTIFY_CONNECTION,
					   (intptr_t)http_guard_notify, g };
	opts[5] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
}

void http_guard_notify(void *cls, struct MHD_Connection *conn, void **socket_ctx,
		       enum MHD_ConnectionNotificationCode code)
{
	struct http_guard *g = cls;
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	int fd = ci != NULL ? (int)ci->connect_fd : -1;
	size_t i;

	(void)socket_ctx;
	if (fd < 0)
		return;
	pthread_mutex_lock(&g->lock);
	for (i = 0; i < g->limits.slots; i++) {
		if (code == MHD_CONNECTION_NOTIFY_STARTED && g->conns[i].fd < 0) {
			g->conns[i] = (struct http_guard_conn){ fd, time(NULL) };
			break;
		}
		if (code == MHD_CONNECTION_NOTIFY_CLOSED && g->conns[i].fd == fd) {
			g->conns[i].fd = -1;
			break;
		}
	}
	pthread_mutex_unlock(&g->lock);
}

/*
 * Shuts down connections open longer than limits.total_s.  A slot's fd
 * is open while it is in the table (libmicrohttpd notifies the close
 * before it closes), so the shutdown hits that connection;
 * libmicrohttpd then reads its end and closes it.
 */
static void *http_guard_reap(void *arg)
{
	struct http_guard *g = arg;
	size_t i;

	while (!g->stopping) {
		time_t now = time(NULL);

		pthread_mutex_lock(&g->lock);
		for (i = 0; i < g->limits.slots; i++)
			if (g->conns[i].fd >= 0 && now - g->conns[i].opened >= g->limits.total_s) {
				shutdown(g->conns[i].fd, SHUT_RDWR);
				g->conns[i].opened = now; /* once is enough */
			}
		pthread_mutex_unlock(&g->lock);
		usleep(HTTP_GUARD_REAP_US);
	}
	return NULL;
}

int http_guard_start(struct http_guard *g, const struct sockaddr_in *sin, const char *spec,
		     MHD_AccessHandlerCallback handler, void *handler_cls,
		     const struct MHD_OptionItem *extra)
{
	static const struct MHD_OptionItem none[] = { { MHD_OPTION_END, 0, NULL } };
	struct MHD_OptionItem opts[HTTP_GUARD_OPTIONS];

	g->conns = calloc(g->limits.slots, sizeof *g->conns);
	if (g->conns == NULL || pthread_mutex_init(&g->lock, NULL) != 0) {
		free(g->conns);
		g->conns = NULL;
		logging_msg(PLOG_ERR, "cannot start the %s endpoint on %s%s", g->name, spec,
			    g->failure_note != NULL ? g->failure_note : "");
		return -1;
	}
	for (size_t i = 0; i < g->limits.slots; i++)
		g->conns[i].fd = -1;
	http_guard_options(g, sin, opts);
	g->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG,
				     ntohs(sin->sin_port), NULL, NULL, handler, handler_cls,
				     MHD_OPTION_ARRAY, opts, MHD_OPTION_ARRAY,
				     extra != NULL ? extra : none, MHD_OPTION_END);
	if (g->daemon == NULL) {
		logging_msg(PLOG_ERR, "cannot start the %s endpoint on %s%s", g->name, spec,
			    g->failure_note != NULL ? g->failure_note : "");
		goto fail;
	}
	g->stopping = 0;
	if (pthread_create(&g->reaper, NULL, http_guard_reap, g) != 0) {
		logging_msg(PLOG_ERR, "cannot start the %s endpoint's reaper", g->name);
		MHD_stop_daemon(g->daemon);
		g->daemon = NULL;
		goto fail;
	}
	return 0;
fail:
	pthread_mutex_destroy(&g->lock);
	free(g->conns);
	g->conns = NULL;
	return -1;
}

bool http_guard_running(const struct http_guard *g)
{
	return g->daemon != NULL;
}

void http_guard_stop(struct http_guard *g)
{
	if (g->daemon == NULL)
		return;
	g->stopping = 1;
	pthread_join(g->reaper, NULL);
	MHD_stop_daemon(g->daemon); /* no notify callback after this */
	g->daemon = NULL;
	pthread_mutex_destroy(&g->lock);
	free(g->conns);
	g->conns = NULL;
}

bool http_guard_skip_body(void **req_cls, size_t *upload_data_size)
{
	if (*req_cls == NULL) {
		*req_cls = &http_guard_marker;
		return true;
	}
	if (*upload_data_size != 0) {
		*upload_data_size = 0;
		return true;
	}
	return false;
}

struct MHD_Response *http_guard_response(const void *body, size_t len, const char *type)
{
	struct MHD_Response *r;

	r = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (r != NULL)
		MHD_add_response_header(r, "Content-Type", type);
	return r;
}

enum MHD_Result http_guard_send(struct MHD_Connection *conn, unsigned status,
				struct MHD_Response *r)
{
	enum MHD_Result ret;

	if (r == NULL)
		return MHD_NO;
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

enum MHD_Result http_guard_reply(struct MHD_Connection *conn, unsigned status, const char *type,
				 const void *body, size_t len)
{
	struct MHD_Response *r = http_guard_response(body, len, type);

	if (r != NULL)
		MHD_add_response_header(r, "Cache-Control", "no-store");
	return http_guard_send(conn, status, r);
}
