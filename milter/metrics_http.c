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
 * Everything else is 404.  The listener has the protections of
 * http_guard.c, with its own limits: requests are handled by
 * libmicrohttpd's own thread, at most 4 connections per address (32 in
 * all), an idle timeout of 5 seconds, and each connection shut down 10
 * seconds after it opened however busy it keeps itself.  A listener that
 * cannot start is logged and the daemon goes on: metrics never stop the
 * mail (Prometheus then reports the target down).
 *
 * Diagnostics: "metrics endpoint on HOST:PORT", "cannot start the metrics
 * endpoint on X", "bad MetricsListen X".
 */
#include "autoconf.h"

#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "callbacks.h"
#include "entries.h"
#include "http_guard.h"
#include "logging.h"
#include "metrics.h"
#include "metrics_http.h"
#include "reload.h"
#include "snapshot.h"

#define METRICS_HTTP_PROBE_KEY "ses:healthz"

static struct http_guard metrics_http_guard = {
	.name = "metrics",
	.failure_note = " (going on without it)",
	.limits = { .max_connections = 32, .per_ip = 4, .idle_s = 5, .total_s = 10, .slots = 64 },
};

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
	return http_guard_reply(conn, why != NULL ? MHD_HTTP_SERVICE_UNAVAILABLE : MHD_HTTP_OK,
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
	if (http_guard_skip_body(req_cls, upload_data_size))
		return MHD_YES;	/* no request here has a body we read */
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		return http_guard_reply(conn, MHD_HTTP_NOT_FOUND, "text/plain", not_found,
					sizeof not_found - 1);
	if (strcmp(url, "/healthz") == 0)
		return metrics_http_healthz(conn);
	if (strcmp(url, "/metrics") != 0)
		return http_guard_reply(conn, MHD_HTTP_NOT_FOUND, "text/plain", not_found,
					sizeof not_found - 1);
	metrics_http_collect(&out);
	ret = http_guard_reply(conn, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8",
			     out.data != NULL ? out.data : "", out.len);
	strbuf_free(&out);
	return ret;
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
	if (!http_guard_addr(spec, &sin)) {
		logging_msg(PLOG_ERR, "bad MetricsListen %s: want IPV4-ADDRESS:PORT or off", spec);
		return -1;
	}
	if (http_guard_start(&metrics_http_guard, &sin, spec, metrics_http_handle, NULL,
			     NULL) != 0)
		return 0;	/* logged: metrics never stop the mail */
	logging_msg(PLOG_NOTICE, "metrics endpoint on %s", spec);
	return 0;
}

void metrics_http_stop(void)
{
	http_guard_stop(&metrics_http_guard);
}
