/*
 * metrics_http - the operator's endpoints on MetricsListen (HOST:PORT,
 * plain HTTP, loopback by default: 127.0.0.1:9465):
 *
 *   GET /metrics   the registry of policy/util/metrics in the Prometheus
 *                  text format, after the gauges read at scrape time are
 *                  brought up to date (sessions, configuration age,
 *                  suspended accounts, the health probe) and with one
 *                  ses_milter_account_suspended series per configured
 *                  account;
 *   GET /healthz   200 "ok" when memcached answers a get of a fixed key
 *                  and the journal can be opened for writing; 503 and a
 *                  one-line reason otherwise.
 *
 * Everything else is 404.  The listener follows unsub_http.c: requests
 * are handled by libmicrohttpd's own thread, at most METRICS_HTTP_PER_IP
 * connections per address, an idle timeout, and each connection shut
 * down METRICS_HTTP_TOTAL_S seconds after it opened however busy it
 * keeps itself.  A listener that cannot start is logged and the daemon
 * goes on: metrics never stop the mail (Prometheus then reports the
 * target down).
 *
 * Diagnostics: "metrics endpoint on HOST:PORT", "cannot start the metrics
 * endpoint on X", "bad MetricsListen X".
 */
#include "autoconf.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "callbacks.h"
#include "entries.h"
#include "logging.h"
#include "metrics.h"
#include "metrics_http.h"
#include "reload.h"
#include "snapshot.h"

#define METRICS_HTTP_MAX_CONNECTIONS 32
#define METRICS_HTTP_PER_IP 4
#define METRICS_HTTP_TIMEOUT_S 5	/* idle */
#define METRICS_HTTP_TOTAL_S 10		/* from open to close, whatever the client does */
#define METRICS_HTTP_SLOTS 64		/* open connections tracked for METRICS_HTTP_TOTAL_S */
#define METRICS_HTTP_PROBE_KEY "ses:healthz"

static struct MHD_Daemon *metrics_http_daemon;
static int metrics_http_marker;

struct metrics_http_conn {
	int fd;			/* -1: slot free */
	time_t opened;
};
static struct metrics_http_conn metrics_http_conns[METRICS_HTTP_SLOTS];
static pthread_mutex_t metrics_http_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_t metrics_http_reaper;
static volatile int metrics_http_stopping;

static enum MHD_Result metrics_http_reply(struct MHD_Connection *conn, unsigned status,
					  const char *type, const char *body, size_t len)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", type);
	MHD_add_response_header(r, "Cache-Control", "no-store");
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* True when path can be written: the file itself, or its folder when it does not exist yet. */
static bool metrics_http_writable(const char *path)
{
	char dir[4096];
	const char *slash;
	int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);

	if (fd >= 0) {
		close(fd);
		return true;
	}
	if (access(path, F_OK) == 0)
		return false;
	slash = strrchr(path, '/');
	if (slash == NULL)
		return access(".", W_OK) == 0;
	if ((size_t)(slash - path) >= sizeof dir)
		return false;
	snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
	return access(dir[0] != '\0' ? dir : "/", W_OK) == 0;
}

/* NULL when snap's store answers and its journal is writable; else why not. */
static const char *metrics_http_probe(const struct policy_snapshot *snap)
{
	struct strbuf val = STRBUF_INIT;
	enum store_result r = snap->store.ops != NULL
				      ? store_get(&snap->store, METRICS_HTTP_PROBE_KEY, &val)
				      : STORE_ERROR;
	bool journal = snap->journal_path == NULL || metrics_http_writable(snap->journal_path);

	strbuf_free(&val);
	metrics_set(METRIC_BACKEND_UP, NULL, NULL, r != STORE_ERROR);
	metrics_set(METRIC_JOURNAL_WRITABLE, NULL, NULL, journal);
	if (r == STORE_ERROR)
		return "memcached does not answer";
	return journal ? NULL : "the journal is not writable";
}

/*
 * Which of the n accounts of snap are suspended (their file says so, or
 * the shared state), into nums (0 or 1): the shared state in one
 * multi-get, skipped when the probe found memcached down, so a scrape
 * never waits on one timeout per account.
 */
static void metrics_http_suspended(const struct policy_snapshot *snap, bool backend_up,
				   double *nums)
{
	size_t i, n = snap->accounts->n;
	struct store_mget_item *items = calloc(n ? n : 1, sizeof *items);
	struct strbuf *keys = calloc(n ? n : 1, sizeof *keys);
	struct strbuf *vals = calloc(n ? n : 1, sizeof *vals);
	bool present;

	for (i = 0; i < n; i++)
		nums[i] = snap->accounts->accounts[i]->suspended;
	if (items != NULL && keys != NULL && vals != NULL && backend_up && n > 0) {
		for (i = 0; i < n; i++) {
			struct entry_id id = { ENTRY_SUSPENSION, snap->accounts->accounts[i]->name, "" };

			entry_key(&id, &keys[i]);
			items[i] = (struct store_mget_item){ .key = strbuf_cstr(&keys[i]), .val = &vals[i] };
		}
		(void)store_mget(&snap->store, items, n);
		for (i = 0; i < n; i++)
			if (entry_lookup_value(items[i].result, &vals[i], &present) == STORE_OK && present)
				nums[i] = 1;
	}
	for (i = 0; keys != NULL && vals != NULL && i < n; i++) {
		strbuf_free(&keys[i]);
		strbuf_free(&vals[i]);
	}
	free(items);
	free(keys);
	free(vals);
}

/*
 * Appends ses_milter_account_suspended, one series per configured
 * account.  Account names are chosen by the operator and bounded by the
 * configuration (never by senders), so they may be label values; the
 * count goes to ses_milter_accounts_suspended.
 */
static void metrics_http_accounts(const struct policy_snapshot *snap, bool backend_up,
				  struct strbuf *out)
{
	size_t i, n = snap->accounts->n, suspended = 0;
	const char **names = calloc(n ? n : 1, sizeof *names);
	double *nums = calloc(n ? n : 1, sizeof *nums);

	if (names == NULL || nums == NULL) {
		free(names);
		free(nums);
		return;
	}
	metrics_http_suspended(snap, backend_up, nums);
	for (i = 0; i < n; i++) {
		names[i] = snap->accounts->accounts[i]->name;
		suspended += nums[i] > 0;
	}
	metrics_set(METRIC_ACCOUNTS_SUSPENDED, NULL, NULL, (double)suspended);
	metrics_render_gauge_family(out, "ses_milter_account_suspended",
				    "1 when the account is suspended (account file or shared state).",
				    "account", names, nums, n);
	free(names);
	free(nums);
}

/* The exposition: scrape-time gauges first, then the registry. */
static void metrics_http_collect(struct strbuf *out)
{
	struct policy_snapshot *snap = reload_current();
	struct strbuf accounts = STRBUF_INIT;
	time_t now = time(NULL);
	bool up;

	metrics_set(METRIC_SESSIONS_ACTIVE, NULL, NULL, callbacks_active_sessions());
	metrics_set(METRIC_CONFIG_AGE, NULL, NULL, now > snap->loaded ? (double)(now - snap->loaded) : 0);
	metrics_set(METRIC_CONFIG_GENERATION, NULL, NULL, (double)snap->generation);
	(void)metrics_http_probe(snap);	/* a journal problem does not stop the lookups */
	up = metrics_value(METRIC_BACKEND_UP, NULL, NULL) > 0;
	metrics_http_accounts(snap, up, &accounts);
	metrics_render(out);
	strbuf_append(out, accounts.data, accounts.len);
	strbuf_free(&accounts);
	policy_snapshot_unref(snap);
}

static enum MHD_Result metrics_http_healthz(struct MHD_Connection *conn)
{
	struct policy_snapshot *snap = reload_current();
	const char *why = metrics_http_probe(snap);
	char line[128];

	policy_snapshot_unref(snap);
	snprintf(line, sizeof line, "%s\n", why != NULL ? why : "ok");
	return metrics_http_reply(conn, why != NULL ? MHD_HTTP_SERVICE_UNAVAILABLE : MHD_HTTP_OK,
				  "text/plain; charset=utf-8", line, strlen(line));
}

static enum MHD_Result metrics_http_handle(void *cls, struct MHD_Connection *conn,
					   const char *url, const char *method,
					   const char *version, const char *upload_data,
					   size_t *upload_data_size, void **req_cls)
{
	static const char not_found[] = "not found\n";
	struct strbuf out = STRBUF_INIT;
	enum MHD_Result ret;

	(void)cls;
	(void)version;
	(void)upload_data;
	if (*req_cls == NULL) {
		*req_cls = &metrics_http_marker;
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		*upload_data_size = 0;	/* no request here has a body we read */
		return MHD_YES;
	}
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return metrics_http_reply(conn, MHD_HTTP_NOT_FOUND, "text/plain", not_found,
					  sizeof not_found - 1);
	if (strcmp(url, "/healthz") == 0)
		return metrics_http_healthz(conn);
	if (strcmp(url, "/metrics") != 0)
		return metrics_http_reply(conn, MHD_HTTP_NOT_FOUND, "text/plain", not_found,
					  sizeof not_found - 1);
	metrics_http_collect(&out);
	ret = metrics_http_reply(conn, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8",
				 out.data != NULL ? out.data : "", out.len);
	strbuf_free(&out);
	return ret;
}

/* Tracks connections as they open and close (MHD_OPTION_NOTIFY_CONNECTION). */
static void metrics_http_notify(void *cls, struct MHD_Connection *conn, void **socket_ctx,
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
	pthread_mutex_lock(&metrics_http_lock);
	for (i = 0; i < METRICS_HTTP_SLOTS; i++) {
		if (code == MHD_CONNECTION_NOTIFY_STARTED && metrics_http_conns[i].fd < 0) {
			metrics_http_conns[i] = (struct metrics_http_conn){ fd, time(NULL) };
			break;
		}
		if (code == MHD_CONNECTION_NOTIFY_CLOSED && metrics_http_conns[i].fd == fd) {
			metrics_http_conns[i].fd = -1;
			break;
		}
	}
	pthread_mutex_unlock(&metrics_http_lock);
}

/* Shuts down connections open longer than METRICS_HTTP_TOTAL_S (as unsub_http_reap). */
static void *metrics_http_reap(void *arg)
{
	size_t i;

	(void)arg;
	while (!metrics_http_stopping) {
		time_t now = time(NULL);

		pthread_mutex_lock(&metrics_http_lock);
		for (i = 0; i < METRICS_HTTP_SLOTS; i++)
			if (metrics_http_conns[i].fd >= 0 &&
			    now - metrics_http_conns[i].opened >= METRICS_HTTP_TOTAL_S) {
				shutdown(metrics_http_conns[i].fd, SHUT_RDWR);
				metrics_http_conns[i].opened = now;	/* once is enough */
			}
		pthread_mutex_unlock(&metrics_http_lock);
		usleep(200000);
	}
	return NULL;
}

/* Parses HOST:PORT (IPv4) into sin; false when bad. */
static bool metrics_http_addr(const char *spec, struct sockaddr_in *sin)
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

int metrics_http_start(void)
{
	struct policy_snapshot *snap = reload_current();
	char spec[128];
	struct sockaddr_in sin;

	snprintf(spec, sizeof spec, "%s", snap->conf->metrics_listen);
	policy_snapshot_unref(snap);
	if (spec[0] == '\0' || strcmp(spec, "off") == 0)
		return 0;
	if (!metrics_http_addr(spec, &sin)) {
		logging_msg(PLOG_ERR, "bad MetricsListen %s: want IPV4-ADDRESS:PORT or off", spec);
		return -1;
	}
	for (size_t i = 0; i < METRICS_HTTP_SLOTS; i++)
		metrics_http_conns[i].fd = -1;
	metrics_http_daemon = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, ntohs(sin.sin_port), NULL, NULL,
		metrics_http_handle, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)METRICS_HTTP_MAX_CONNECTIONS,
		MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)METRICS_HTTP_PER_IP,
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)METRICS_HTTP_TIMEOUT_S,
		MHD_OPTION_NOTIFY_CONNECTION, metrics_http_notify, NULL, MHD_OPTION_END);
	if (metrics_http_daemon == NULL) {
		logging_msg(PLOG_ERR, "cannot start the metrics endpoint on %s (going on without it)",
			    spec);
		return 0;
	}
	metrics_http_stopping = 0;
	if (pthread_create(&metrics_http_reaper, NULL, metrics_http_reap, NULL) != 0) {
		logging_msg(PLOG_ERR, "cannot start the metrics endpoint's reaper");
		MHD_stop_daemon(metrics_http_daemon);
		metrics_http_daemon = NULL;
		return 0;
	}
	logging_msg(PLOG_NOTICE, "metrics endpoint on %s", spec);
	return 0;
}

void metrics_http_stop(void)
{
	if (metrics_http_daemon != NULL) {
		metrics_http_stopping = 1;
		pthread_join(metrics_http_reaper, NULL);
		MHD_stop_daemon(metrics_http_daemon);
	}
	metrics_http_daemon = NULL;
}
