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
 * (track_http.c).  Everything else is 404.  Requests are handled by
 * libmicrohttpd's own thread.  Slow clients cannot lock others out
 * (http_guard.c): at most 8 connections per address (256 in all), an idle
 * timeout of 5 seconds, and each connection shut down 10 seconds after it
 * opened however busy it keeps itself.  Requests with forged or unknown
 * tokens are logged at most once a minute, with their count.
 *
 * Diagnostics: "unsubscribe endpoint on HOST:PORT", "cannot start the
 * unsubscribe endpoint on X", "bad UnsubscribeListen X"; each request's
 * outcome at info level ("unsubscribe: <a@b> from DOMAIN (one-click)").
 */
#include "autoconf.h"

#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "feedback.h"
#include "http_guard.h"
#include "logging.h"
#include "ratelog.h"
#include "reload.h"
#include "snapshot.h"
#include "track_http.h"
#include "unsub_http.h"
#include "unsub_token.h"

static struct http_guard unsub_http_guard = {
	.name = "unsubscribe",
	.limits = { .max_connections = 256, .per_ip = 8, .idle_s = 5, .total_s = 10,
		    .slots = 512 },
};
static struct ratelog unsub_http_forged_log = RATELOG_INIT(60);

static enum MHD_Result unsub_http_reply(struct MHD_Connection *conn, unsigned status,
					const char *body)
{
	return http_guard_reply(conn, status, "text/html; charset=utf-8", body, strlen(body));
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
	if (http_guard_skip_body(req_cls, upload_data_size))
		return MHD_YES;	/* the body says nothing we need */
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
	if (!http_guard_addr(spec, &sin)) {
		logging_msg(PLOG_ERR, "bad UnsubscribeListen %s: want IPV4-ADDRESS:PORT", spec);
		return -1;
	}
	/* the queue first: the listener hands it requests as soon as it runs */
	if (track_http_start() != 0)
		return -1;
	if (http_guard_start(&unsub_http_guard, &sin, spec, unsub_http_handle, NULL,
			     NULL) != 0) {
		track_http_stop();
		return -1;
	}
	logging_msg(PLOG_NOTICE, "unsubscribe endpoint on %s", spec);
	return 0;
}

void unsub_http_stop(void)
{
	if (!http_guard_running(&unsub_http_guard))
		return;
	http_guard_stop(&unsub_http_guard);
	track_http_stop();
}
