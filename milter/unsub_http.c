/*
 * unsub_http - the one-click unsubscribe endpoint.
 *
 * UnsubscribeUrl is the public base of the links in List-Unsubscribe and
 * {{unsubscribe_url}}; each link ends in a token "u-..." (unsub_token.h)
 * that names the sender domain and the recipient and cannot be forged.
 * This listener serves them on UnsubscribeListen (HOST:PORT, plain HTTP:
 * put TLS in front of it, as for any internal service):
 *
 *   POST .../u-TOKEN   the unsubscribe itself (RFC 8058 one-click: the
 *                      body "List-Unsubscribe=One-Click" is not needed):
 *                      (domain, recipient) on the unsubscribe list and an
 *                      unsubscribe event; 200, 404 for a token that is
 *                      not ours, 503 when it cannot be recorded now;
 *   GET  .../u-TOKEN   a page with a button that POSTs; a GET changes
 *                      nothing, so link scanners do not unsubscribe; 404
 *                      for a token that is not ours, as for the POST.
 *
 * and, for TrackingUrl links, GET|HEAD .../o/TOKEN and .../c/TOKEN
 * (track_http.c).  Everything else is 404.  Requests are handled by libmicrohttpd's own
 * thread.  Slow clients cannot lock others out: at most
 * UNSUB_HTTP_PER_IP connections per address, an idle timeout, and each
 * connection shut down UNSUB_HTTP_TOTAL_S seconds after it opened however
 * busy it keeps itself (libmicrohttpd's timeout counts idle time only, so
 * a client sending one byte a second would hold its slot for ever).
 * Requests with forged or unknown tokens are logged at most once a minute,
 * with their count.
 *
 * Diagnostics: "unsubscribe endpoint on HOST:PORT", "cannot start the
 * unsubscribe endpoint on X", "bad UnsubscribeListen X"; each request's
 * outcome at info level ("unsubscribe: <a@b> from DOMAIN (one-click)").
 */
#include "autoconf.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <pthread.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "feedback.h"
#include "logging.h"
#include "ratelog.h"
#include "reload.h"
#include "snapshot.h"
#include "track_http.h"
#include "unsub_http.h"
#include "unsub_token.h"

#define UNSUB_HTTP_MAX_CONNECTIONS 256
#define UNSUB_HTTP_PER_IP 8
#define UNSUB_HTTP_TIMEOUT_S 5	/* idle */
#define UNSUB_HTTP_TOTAL_S 10	/* from open to close, whatever the client does */
#define UNSUB_HTTP_SLOTS 512	/* open connections tracked for UNSUB_HTTP_TOTAL_S */

static struct MHD_Daemon *unsub_http_daemon;
static int unsub_http_marker; /* a request's first call has been seen */
static struct ratelog unsub_http_forged_log = RATELOG_INIT(60);

/* The open connections and when each opened, for the total-time bound. */
struct unsub_http_conn {
	int fd;			/* -1: slot free */
	time_t opened;
};
static struct unsub_http_conn unsub_http_conns[UNSUB_HTTP_SLOTS];
static pthread_mutex_t unsub_http_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_t unsub_http_reaper;
static volatile int unsub_http_stopping;

static enum MHD_Result unsub_http_reply(struct MHD_Connection *conn, unsigned status,
					const char *body)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", "text/html; charset=utf-8");
	MHD_add_response_header(r, "Cache-Control", "no-store");
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* The token of url (its last path segment when it starts "u-"), or NULL. */
static const char *unsub_http_token(const char *url)
{
	const char *slash = strrchr(url, '/');
	const char *tok = slash != NULL ? slash + 1 : url;

	return strncmp(tok, UNSUB_PREFIX, strlen(UNSUB_PREFIX)) == 0 ? tok : NULL;
}

/* Writes the unsubscribe event (arg: the snapshot in use). */
static void unsub_http_emit(void *arg, const struct feedback_note *n)
{
	const struct policy_snapshot *snap = arg;

	feedback_note_record(snap, logging_get(), "unsubscribe",
			     policy_snapshot_now_us(snap) / 1000000, n);
}

/* The POST: records the unsubscribe; the HTTP status. */
static unsigned unsub_http_record(const char *token)
{
	struct policy_snapshot *snap = reload_current();
	struct feedback_result r;
	struct feedback_ctx c;
	char host[64];
	int rc;

	if (snap->feedback_key == NULL) {
		policy_snapshot_unref(snap);
		return MHD_HTTP_SERVICE_UNAVAILABLE;
	}
	if (gethostname(host, sizeof host) != 0)
		host[0] = '\0';
	host[sizeof host - 1] = '\0';
	memset(&r, 0, sizeof r);
	c = (struct feedback_ctx){ snap->feedback_key, &snap->store, snap->journal_path,
				   snap->accounts, snap->conf->blocklist_days,
				   policy_snapshot_now_us(snap), host[0] ? host : "localhost", 0, 1,
				   unsub_http_emit, snap };
	rc = feedback_unsubscribe_url(&c, token, &r);
	if (r.log.len > 0 && rc == 1) {
		unsigned long held;

		/* anyone can send these: one line a minute, with the count */
		if (ratelog_allow(&unsub_http_forged_log, time(NULL), &held))
			logging_msg(PLOG_NOTICE, "%.*s (%lu more refused this minute)",
				    (int)(r.log.len - 1), r.log.data, held);
	} else if (r.log.len > 0) {
		logging_msg(PLOG_INFO, "%.*s", (int)(r.log.len - 1), r.log.data);
	}
	strbuf_free(&r.log);
	policy_snapshot_unref(snap);
	return rc == 0 ? MHD_HTTP_OK : rc == 1 ? MHD_HTTP_NOT_FOUND : MHD_HTTP_SERVICE_UNAVAILABLE;
}

static const char unsub_http_page[] =
	"<!doctype html><html><head><meta charset=\"utf-8\"><title>Unsubscribe</title></head>"
	"<body><form method=\"post\"><p>Stop receiving these messages?</p>"
	"<button type=\"submit\">Unsubscribe</button></form></body></html>\n";
static const char unsub_http_done[] =
	"<!doctype html><html><body><p>You are unsubscribed.</p></body></html>\n";
static const char unsub_http_not_found[] =
	"<!doctype html><html><body><p>This link is not valid.</p></body></html>\n";
static const char unsub_http_later[] =
	"<!doctype html><html><body><p>Please try again in a few minutes.</p></body></html>\n";

/* True when token is one of ours (the GET shows its page only then). */
static bool unsub_http_token_ok(const char *token)
{
	struct policy_snapshot *snap = reload_current();
	struct unsub_info ui;
	bool ok;

	ok = snap->feedback_key != NULL &&
	     unsub_url_verify(snap->feedback_key, token, &ui) == UNSUB_OK;
	if (snap->feedback_key != NULL)
		unsub_info_free(&ui);
	policy_snapshot_unref(snap);
	return ok;
}

/* Tracks connections as they open and close (MHD_OPTION_NOTIFY_CONNECTION). */
static void unsub_http_notify(void *cls, struct MHD_Connection *conn, void **socket_ctx,
			      enum MHD_ConnectionNotificationCode code)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	int fd = ci != NULL ? (int)ci->connect_fd : -1;
	size_t i;

	(void)cls;
	(void)socket_ctx;
	if (fd < 0)
		return;
	pthread_mutex_lock(&unsub_http_lock);
	for (i = 0; i < UNSUB_HTTP_SLOTS; i++) {
		if (code == MHD_CONNECTION_NOTIFY_STARTED && unsub_http_conns[i].fd < 0) {
			unsub_http_conns[i] = (struct unsub_http_conn){ fd, time(NULL) };
			break;
		}
		if (code == MHD_CONNECTION_NOTIFY_CLOSED && unsub_http_conns[i].fd == fd) {
			unsub_http_conns[i].fd = -1;
			break;
		}
	}
	pthread_mutex_unlock(&unsub_http_lock);
}

/*
 * Shuts down connections open longer than UNSUB_HTTP_TOTAL_S, once a
 * second.  A slot's fd is open while it is in the table (libmicrohttpd
 * notifies the close before it closes), so the shutdown hits that
 * connection; libmicrohttpd then reads its end and closes it.
 */
static void *unsub_http_reap(void *arg)
{
	size_t i;

	(void)arg;
	while (!unsub_http_stopping) {
		time_t now = time(NULL);

		pthread_mutex_lock(&unsub_http_lock);
		for (i = 0; i < UNSUB_HTTP_SLOTS; i++)
			if (unsub_http_conns[i].fd >= 0 &&
			    now - unsub_http_conns[i].opened >= UNSUB_HTTP_TOTAL_S) {
				shutdown(unsub_http_conns[i].fd, SHUT_RDWR);
				unsub_http_conns[i].opened = now;	/* once is enough */
			}
		pthread_mutex_unlock(&unsub_http_lock);
		usleep(200000);
	}
	return NULL;
}

static enum MHD_Result unsub_http_handle(void *cls, struct MHD_Connection *conn, const char *url,
					 const char *method, const char *version,
					 const char *upload_data, size_t *upload_data_size,
					 void **req_cls)
{
	const char *token = unsub_http_token(url);
	unsigned status;

	(void)cls;
	(void)version;
	(void)upload_data;
	if (*req_cls == NULL) {
		*req_cls = &unsub_http_marker;
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		*upload_data_size = 0; /* the body says nothing we need */
		return MHD_YES;
	}
	if (track_http_path(url))
		return track_http_answer(conn, url, method);
	if (token == NULL || (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0))
		return unsub_http_reply(conn, MHD_HTTP_NOT_FOUND, unsub_http_not_found);
	if (strcmp(method, "GET") == 0)
		return unsub_http_token_ok(token)
			       ? unsub_http_reply(conn, MHD_HTTP_OK, unsub_http_page)
			       : unsub_http_reply(conn, MHD_HTTP_NOT_FOUND, unsub_http_not_found);
	status = unsub_http_record(token);
	return unsub_http_reply(conn, status,
				status == MHD_HTTP_OK	       ? unsub_http_done
				: status == MHD_HTTP_NOT_FOUND ? unsub_http_not_found
							       : unsub_http_later);
}

/* Parses HOST:PORT (IPv4) into sin; false when bad. */
static bool unsub_http_addr(const char *spec, struct sockaddr_in *sin)
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
	return *end == '\0' && port > 0 && port < 65536 && inet_pton(AF_INET, host, &sin->sin_addr) == 1;
}

int unsub_http_start(void)
{
	struct policy_snapshot *snap = reload_current();
	char spec[128];
	struct sockaddr_in sin;

	snprintf(spec, sizeof spec, "%s", snap->conf->unsubscribe_listen);
	if (spec[0] == '\0' && *snap->conf->tracking_url != '\0')
		logging_msg(PLOG_WARNING, "TrackingUrl is set but UnsubscribeListen is not: this "
			    "gateway answers no tracking links");
	policy_snapshot_unref(snap);
	if (spec[0] == '\0')
		return 0;
	if (!unsub_http_addr(spec, &sin)) {
		logging_msg(PLOG_ERR, "bad UnsubscribeListen %s: want IPV4-ADDRESS:PORT", spec);
		return -1;
	}
	for (size_t i = 0; i < UNSUB_HTTP_SLOTS; i++)
		unsub_http_conns[i].fd = -1;
	unsub_http_daemon = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, ntohs(sin.sin_port), NULL, NULL,
		unsub_http_handle, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)UNSUB_HTTP_MAX_CONNECTIONS,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)UNSUB_HTTP_PER_IP,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)UNSUB_HTTP_TIMEOUT_S,
		MHD_OPTION_NOTIFY_CONNECTION, unsub_http_notify, NULL, MHD_OPTION_END);
	if (unsub_http_daemon == NULL) {
		logging_msg(PLOG_ERR, "cannot start the unsubscribe endpoint on %s", spec);
		return -1;
	}
	unsub_http_stopping = 0;
	if (track_http_start() != 0 ||
	    pthread_create(&unsub_http_reaper, NULL, unsub_http_reap, NULL) != 0) {
		logging_msg(PLOG_ERR, "cannot start the unsubscribe endpoint's reaper");
		MHD_stop_daemon(unsub_http_daemon);
		track_http_stop();
		unsub_http_daemon = NULL;
		return -1;
	}
	logging_msg(PLOG_NOTICE, "unsubscribe endpoint on %s", spec);
	return 0;
}

void unsub_http_stop(void)
{
	if (unsub_http_daemon != NULL) {
		unsub_http_stopping = 1;
		pthread_join(unsub_http_reaper, NULL);
		MHD_stop_daemon(unsub_http_daemon);
		track_http_stop();
	}
	unsub_http_daemon = NULL;
}
