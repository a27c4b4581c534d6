/*
 * notify - the callback delivery thread; see notify.h.
 *
 * One pass: sync the log, read up to NOTIFY_BATCH new events and deliver
 * each (or queue it behind its URL's earlier failures), try the queued
 * deliveries whose URL's backoff has passed, give up those older than
 * CallbackRetryHours, then save the queue and the cursor, in that order.
 * Passes follow each other without a pause while there are new events,
 * else every NOTIFY_POLL_MS.  The thread waits in worker_wait_ms()
 * (worker.h), so notify_stop_request reaches it at once; a POST in
 * progress is abandoned through libcurl's progress callback.
 *
 * Diagnostics: "delivering events of LOG to callback URLs, N waiting for
 * a retry" (info, at start); "event ID delivered to URL" (debug);
 * "callback URL failed for event ID: WHY; next try in Ns" (notice);
 * "URL refused event ID: HTTP 4xx; not retried" and "giving up event ID
 * for URL after N attempts in H h: WHY" (warning); "event log LOG was
 * replaced or truncated: reading it from the start" (notice); "cannot
 * read|save ...: REASON" (error); "N deliveries wait for a retry
 * (CallbackMaxPending): reading the event log pauses" (warning).
 */
#include "autoconf.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cbqueue.h"
#include "events.h"
#include "logging.h"
#include "metrics.h"
#include "notify.h"
#include "notify_http.h"
#include "reload.h"
#include "worker.h"
#include "xalloc.h"

static struct worker notify_worker = WORKER_INIT("the callback delivery thread", NULL);

/* The thread's state; only the thread touches it. */
struct notify_state {
	char *log_path;
	char *cursor_path;
	char *queue_path;
	off_t offset;		/* cursor: bytes of the log delivered or queued */
	ino_t ino;		/* the log's inode the offset is about; 0: none yet */
	struct cbqueue q;
	struct notify_http *http;
	struct policy_snapshot *snap; /* of the current pass */
	char *secret;		/* CallbackSecretFile's, for this pass; "" : none */
	bool paused;		/* CallbackMaxPending reached (logged once) */
	int64_t now;
};

static bool notify_stopping(void)
{
	return worker_stopping(&notify_worker);
}

/* The first line of CallbackSecretFile, or "" (caller frees). */
static char *notify_read_secret(const char *path)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n = -1;
	FILE *fp;

	if (*path != '\0' && (fp = fopen(path, "re")) != NULL) {
		n = getline(&line, &cap, fp);
		fclose(fp);
	} else if (*path != '\0') {
		logging_msg(PLOG_ERR, "cannot read CallbackSecretFile %s: %s", path, strerror(errno));
	}
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	if (n <= 0) {
		free(line);
		line = xstrdup("");
	}
	return line;
}

/* The secret that signs account's callbacks ("" : unsigned). */
static const char *notify_secret(const struct notify_state *st, const char *account)
{
	const struct account *a = account_by_name(st->snap->accounts, account);

	if (a != NULL && *a->callback_secret != '\0')
		return a->callback_secret;
	return st->secret;
}

/* The eventid of an event line, into id (EVENT_ID_LEN + 1 bytes; "?" if none). */
static void notify_eventid(const char *json, char *id)
{
	json_t *o = json_loads(json, 0, NULL);
	const char *s = json_string_value(json_object_get(o, "eventid"));

	snprintf(id, EVENT_ID_LEN + 1, "%s", s != NULL ? s : "?");
	json_decref(o);
}

/* One POST of json to url; the result, with why filled on failure. */
static enum notify_http_result notify_post(struct notify_state *st, const char *url,
					   const char *account, const char *json,
					   const char *id, struct strbuf *why)
{
	struct notify_http_opts o = {
		.timeout = (long)st->snap->conf->callback_timeout,
		.ca_file = st->snap->conf->callback_ca_file,
		.stopping = notify_stopping,
	};

	return notify_http_post(st->http, &o, url, notify_secret(st, account), id, json,
				strlen(json), why);
}

/* Logs a failed attempt and backs url off. */
static void notify_failed(struct notify_state *st, const char *url, const char *id,
			  const struct strbuf *why)
{
	long wait = cbqueue_url_failed(&st->q, url, st->now);

	if (!notify_stopping())
		logging_msg(PLOG_NOTICE, "callback %s failed for event %s: %s; next try in %lds", url,
			    id, strbuf_cstr(why), wait);
}

/* Delivers a new event to url now, or queues it behind url's failures. */
static void notify_deliver(struct notify_state *st, const char *url, const char *account,
			   const char *json, const char *id)
{
	struct strbuf why = STRBUF_INIT;

	if (cbqueue_url_waits(&st->q, url, st->now)) {
		cbqueue_add(&st->q, url, account, json, st->now, 0);
		return;
	}
	switch (notify_post(st, url, account, json, id, &why)) {
	case NOTIFY_HTTP_OK:
		cbqueue_url_ok(&st->q, url);
		logging_msg(PLOG_DEBUG, "event %s delivered to %s", id, url);
		break;
	case NOTIFY_HTTP_REFUSED:
		cbqueue_url_ok(&st->q, url);
		logging_msg(PLOG_WARNING, "%s refused event %s: %s; not retried", url, id,
			    strbuf_cstr(&why));
		break;
	case NOTIFY_HTTP_RETRY:
		notify_failed(st, url, id, &why);
		cbqueue_add(&st->q, url, account, json, st->now, 1);
		break;
	}
	strbuf_free(&why);
}

/* events_fn: delivers one event line to the URLs of its account and sender. */
static int notify_event(void *arg, const char *json, size_t len, off_t next)
{
	struct notify_state *st = arg;
	const char *account, *from;
	const struct account *a;
	char id[EVENT_ID_LEN + 1];
	json_t *o;
	size_t i;

	if (notify_stopping() || (long long)st->q.n >= st->snap->conf->callback_max_pending)
		return 1; /* not read: the cursor stays before it */
	o = json_loadb(json, len, 0, NULL);
	account = json_string_value(json_object_get(o, "account"));
	from = json_string_value(json_object_get(o, "from"));
	notify_eventid(json, id);
	a = account != NULL ? account_by_name(st->snap->accounts, account) : NULL;
	if (a != NULL && *a->callback_url != '\0')
		notify_deliver(st, a->callback_url, a->name, json, id);
	for (i = 0; a != NULL && from != NULL && i < a->nsender_callbacks; i++) {
		const struct account_callback *cb = &a->sender_callbacks[i];

		if (strcasecmp(cb->sender, from) == 0 && strcmp(cb->url, a->callback_url) != 0)
			notify_deliver(st, cb->url, a->name, json, id);
	}
	json_decref(o);
	return 0;
}

/* Tries the queued deliveries whose URL is due; gives up the expired. */
static void notify_retry(struct notify_state *st)
{
	int64_t window = st->snap->conf->callback_retry_hours * 3600;
	struct strbuf why = STRBUF_INIT;
	char id[EVENT_ID_LEN + 1];
	size_t i = 0;

	while (i < st->q.n && !notify_stopping()) {
		struct cbqueue_entry *e = &st->q.v[i];
		enum notify_http_result r;

		if (!cbqueue_url_due(&st->q, e->url, st->now)) {
			if (st->now - e->first < window) {
				i++;
				continue;
			}
			notify_eventid(e->json, id);
			logging_msg(PLOG_WARNING, "giving up event %s for %s after %u attempts in %lld h",
				    id, e->url, e->attempts, (long long)(st->now - e->first) / 3600);
			cbqueue_remove(&st->q, i);
			continue;
		}
		notify_eventid(e->json, id);
		strbuf_reset(&why);
		r = notify_post(st, e->url, e->account, e->json, id, &why);
		e->attempts++;
		st->q.dirty = true;
		if (r == NOTIFY_HTTP_RETRY && st->now - e->first < window) {
			notify_failed(st, e->url, id, &why);
			i++;
			continue;
		}
		if (r == NOTIFY_HTTP_OK)
			logging_msg(PLOG_DEBUG, "event %s delivered to %s after %u attempts", id, e->url,
				    e->attempts);
		else
			logging_msg(PLOG_WARNING, "giving up event %s for %s after %u attempts: %s", id,
				    e->url, e->attempts, strbuf_cstr(&why));
		if (r != NOTIFY_HTTP_RETRY)
			cbqueue_url_ok(&st->q, e->url);
		cbqueue_remove(&st->q, i);
	}
	strbuf_free(&why);
}

/* Reads the cursor file: "OFFSET INODE". */
static void notify_load_cursor(struct notify_state *st)
{
	long long off = 0;
	unsigned long long ino = 0;
	FILE *fp = fopen(st->cursor_path, "re");

	if (fp == NULL) {
		if (errno != ENOENT)
			logging_msg(PLOG_ERR, "cannot read %s: %s", st->cursor_path, strerror(errno));
		return;
	}
	if (fscanf(fp, "%lld %llu", &off, &ino) != 2 || off < 0)
		logging_msg(PLOG_ERR, "cannot read %s: malformed; reading the log from the start",
			    st->cursor_path);
	else {
		st->offset = (off_t)off;
		st->ino = (ino_t)ino;
	}
	fclose(fp);
}

/* The queue's depth and the age of its oldest delivery, for /metrics. */
static void notify_publish(const struct notify_state *st)
{
	int64_t oldest = st->now;
	size_t i;

	for (i = 0; i < st->q.n; i++)
		if (st->q.v[i].first < oldest)
			oldest = st->q.v[i].first;
	metrics_set(METRIC_CALLBACK_QUEUE_DEPTH, NULL, NULL, (double)st->q.n);
	metrics_set(METRIC_CALLBACK_OLDEST_AGE, NULL, NULL, (double)(st->now - oldest));
}

/* Saves the queue when it changed, then the cursor when it moved (or force). */
static void notify_save(struct notify_state *st, off_t saved, bool force)
{
	struct strbuf err = STRBUF_INIT, data = STRBUF_INIT;

	if (st->q.dirty && cbqueue_save(&st->q, st->queue_path, &err) != 0) {
		logging_msg(PLOG_ERR, "cannot save the retry queue: %s", strbuf_cstr(&err));
		st->offset = saved; /* not queued durably: read those events again */
	} else if (st->offset != saved || force) {
		strbuf_appendf(&data, "%lld %llu\n", (long long)st->offset,
			       (unsigned long long)st->ino);
		if (cbqueue_write_atomic(st->cursor_path, &data, &err) != 0)
			logging_msg(PLOG_ERR, "cannot save the event cursor: %s", strbuf_cstr(&err));
	}
	strbuf_free(&err);
	strbuf_free(&data);
}

/*
 * Checks the log against the cursor (a new file or a shorter one is read
 * from the start) and syncs it.  True when there is something new.
 */
static bool notify_check_log(struct notify_state *st)
{
	struct stat sb;
	int fd = open(st->log_path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &sb) != 0) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	if (st->ino != 0 && (sb.st_ino != st->ino || sb.st_size < st->offset)) {
		logging_msg(PLOG_NOTICE, "event log %s was replaced or truncated: reading it from the start",
			    st->log_path);
		st->offset = 0;
	}
	st->ino = sb.st_ino;
	if (sb.st_size > st->offset && !st->snap->conf->event_log_sync)
		(void)fdatasync(fd); /* deliver only what a power loss cannot take back */
	close(fd);
	return sb.st_size > st->offset;
}

/* One pass; true when more new events may be waiting. */
static bool notify_pass(struct notify_state *st)
{
	struct strbuf err = STRBUF_INIT;
	off_t saved = st->offset;
	ino_t ino = st->ino;
	bool fresh = false;
	long n = 0;

	st->snap = reload_current();
	st->secret = notify_read_secret(st->snap->conf->callback_secret_file);
	st->now = (int64_t)time(NULL);
	if (notify_check_log(st)) {
		if (st->ino != ino) {
			fresh = true; /* a new log: save the cursor even at the same offset */
			saved = st->offset;
		}
		n = events_read(st->log_path, &st->offset, NOTIFY_BATCH, notify_event, st, &err);
		if (err.len > 0)
			logging_msg(n < 0 ? PLOG_ERR : PLOG_WARNING, "%s", strbuf_cstr(&err));
	}
	if ((long long)st->q.n >= st->snap->conf->callback_max_pending && !st->paused)
		logging_msg(PLOG_WARNING, "%zu deliveries wait for a retry (CallbackMaxPending): "
			    "reading the event log pauses", st->q.n);
	st->paused = (long long)st->q.n >= st->snap->conf->callback_max_pending;
	st->now = (int64_t)time(NULL);
	notify_retry(st);
	notify_save(st, saved, fresh);
	notify_publish(st);
	free(st->secret);
	policy_snapshot_unref(st->snap);
	strbuf_free(&err);
	return n == NOTIFY_BATCH && !st->paused;
}

/* Sets up the state from the log's path; false when that fails. */
static bool notify_init(struct notify_state *st)
{
	struct policy_snapshot *snap = reload_current();
	struct strbuf p = STRBUF_INIT, err = STRBUF_INIT;
	long n;

	memset(st, 0, sizeof *st);
	st->log_path = xstrdup(snap->events_path);
	policy_snapshot_unref(snap);
	strbuf_appendf(&p, "%s.cursor", st->log_path);
	st->cursor_path = strbuf_detach(&p);
	strbuf_appendf(&p, "%s.retry", st->log_path);
	st->queue_path = strbuf_detach(&p);
	st->http = notify_http_new();
	if (st->log_path == NULL || st->http == NULL)
		return false;
	notify_load_cursor(st);
	n = cbqueue_load(&st->q, st->queue_path, &err);
	if (err.len > 0)
		logging_msg(n < 0 ? PLOG_ERR : PLOG_WARNING, "%s", strbuf_cstr(&err));
	logging_msg(PLOG_INFO, "delivering events of %s to callback URLs, %zu waiting for a retry",
		    st->log_path, st->q.n);
	strbuf_free(&err);
	return true;
}

static void *notify_thread(void *unused)
{
	struct notify_state st;

	if (notify_init(&st))
		while (notify_pass(&st) ? !notify_stopping() : worker_wait_ms(&notify_worker, NOTIFY_POLL_MS))
			;
	else
		logging_msg(PLOG_ERR, "cannot set up the callback delivery");
	cbqueue_free(&st.q);
	notify_http_free(st.http);
	free(st.log_path);
	free(st.cursor_path);
	free(st.queue_path);
	return NULL;
}

int notify_start(void)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		logging_msg(PLOG_ERR, "cannot initialise libcurl");
		return -1;
	}
	return worker_start(&notify_worker, notify_thread, NULL);
}

void notify_stop_request(void)
{
	worker_stop_request(&notify_worker);
}

void notify_stop(void)
{
	worker_stop(&notify_worker);
}
