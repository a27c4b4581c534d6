/*
 * api_http - the HTTP API: Tencent Cloud API 3.0 for SES on ApiListen.
 *
 * A request is "POST /" with a JSON body, the action in X-TC-Action, the
 * version in X-TC-Version (2020-10-02), X-TC-Timestamp and an
 * Authorization header signed with TC3-HMAC-SHA256 (policy/api/tc3.h) by
 * an API key of an account ("sesctl account key new"); the key's account
 * is the caller.  Every answer is HTTP 200 with {"Response": {...,
 * "RequestId"}}, or {"Response": {"Error": {"Code", "Message"},
 * "RequestId"}}, as Tencent's SDKs expect.  The checks, in order:
 *
 *   body over API_MAX_BODY              RequestSizeLimitExceeded
 *   not POST /                          UnsupportedOperation
 *   no X-TC-Action                      MissingParameter
 *   X-TC-Version not 2020-10-02         NoSuchVersion
 *   Authorization unparsable            AuthFailure.InvalidAuthorization
 *   unknown SecretId                    AuthFailure.SecretIdNotFound
 *   timestamp over 5 minutes away       AuthFailure.SignatureExpire
 *   wrong signature                     AuthFailure.SignatureFailure
 *   unknown action                      InvalidAction
 *   an action that changes something    AuthFailure.SignatureFailure
 *   (SendEmail, DeleteBlackList, the    when the signature was used before
 *   template changes) signed as before  (api_replay.h)
 *
 * then the action's own (api_req.h, api_actions.h).  SendEmail builds the
 * message (api_msg.h) and submits it to the MTA as the account
 * (api_submit.h): the milter decides as for any SMTP client, and its reply
 * is the answer (MessageId: the queue ID, or the SES error code the SMTP
 * reply starts with).  Refused signatures are logged at most once a
 * minute with their count.  Connections are bounded by http_guard.h, as
 * for the other listeners: per-IP caps, an idle timeout and a bound on
 * each connection's whole life (longer here: a SendEmail waits up to
 * 120 s for the MTA); a pool of threads, for the same reason.
 *
 * Each answer counts in ses_milter_api_requests_total{action, result}.
 *
 * Diagnostics: "API endpoint on HOST:PORT", "cannot start the API
 * endpoint on X", "bad ApiListen X"; each action at info level ("api:
 * ACCOUNT SendEmail: OK 4ABC" or "...: CODE").
 */
#include "autoconf.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "account.h"
#include "api_actions.h"
#include "api_http.h"
#include "api_msg.h"
#include "api_replay.h"
#include "api_req.h"
#include "api_resp.h"
#include "api_submit.h"
#include "http_guard.h"
#include "logging.h"
#include "metrics.h"
#include "ratelog.h"
#include "reload.h"
#include "snapshot.h"
#include "tc3.h"

#define API_HTTP_THREADS 4
#define API_HTTP_VERSION "2020-10-02"

/* A SendEmail waits up to 120 s for the MTA, hence the longer bounds. */
static struct http_guard api_http_guard = {
	.name = "API",
	.limits = {
		.max_connections = 256,
		.per_ip = 16,
		.idle_s = 30,
		.total_s = 180,
		.slots = 512,
	},
};
static struct ratelog api_http_refused_log = RATELOG_INIT(60);

/* One request as it arrives. */
struct api_http_req {
	struct strbuf body;
	bool too_large;
};

/* A request's headers for tc3 (lower-case names; MHD compares ignoring case). */
static const char *api_http_header(void *arg, const char *name)
{
	return MHD_lookup_connection_value(arg, MHD_HEADER_KIND, name);
}

static enum MHD_Result api_http_send(struct MHD_Connection *conn, const struct strbuf *body)
{
	return http_guard_reply(conn, MHD_HTTP_OK, "application/json", body->data, body->len);
}

/* Logs a refused signature, at most one line a minute. */
static void api_http_log_refused(struct MHD_Connection *conn, const struct api_error *err)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	char addr[INET6_ADDRSTRLEN] = "?";
	unsigned long held;

	if (ci != NULL && ci->client_addr->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)ci->client_addr)->sin_addr, addr,
			  sizeof addr);
	if (ratelog_allow(&api_http_refused_log, time(NULL), &held))
		logging_msg(PLOG_NOTICE,
			    "api: refused a request from %s: %s %s (%lu more this minute)", addr,
			    err->code, err->message, held);
}

/* Checks the signature; the key's account (its signature in signature), or NULL with err set. */
static const struct account *api_http_auth(struct MHD_Connection *conn,
					   const struct policy_snapshot *snap,
					   const struct api_http_req *hr, char signature[65],
					   struct api_error *err)
{
	const struct account_apikey *key;
	const struct account *acct;
	struct tc3_auth auth;
	struct tc3_request req = { .method = "POST",
				   .uri = "/",
				   .query = "",
				   .body = hr->body.data,
				   .body_len = hr->body.len,
				   .timestamp = api_http_header(conn, "X-TC-Timestamp"),
				   .header = api_http_header,
				   .header_arg = conn };
	time_t now = time(NULL);

	if (!tc3_parse_auth(api_http_header(conn, "Authorization"), &auth) ||
	    req.timestamp == NULL) {
		api_fail(err, "AuthFailure.InvalidAuthorization",
			 "Authorization or X-TC-Timestamp is missing or not TC3-HMAC-SHA256");
		return NULL;
	}
	acct = account_by_api_key(snap->accounts, auth.secret_id, &key);
	if (acct == NULL) {
		api_fail(err, "AuthFailure.SecretIdNotFound", "no such SecretId");
		return NULL;
	}
	/*
	 * The service of the credential scope is not checked: it goes into
	 * the key, and the Node SDK takes it from the endpoint's first label.
	 */
	switch (tc3_verify(&req, &auth, key->secret, now)) {
	case TC3_OK:
		break;
	case TC3_EXPIRED:
		api_fail(err, "AuthFailure.SignatureExpire",
			 "X-TC-Timestamp is more than %d seconds away from the server's time",
			 TC3_WINDOW_S);
		return NULL;
	case TC3_MALFORMED:
		api_fail(err, "AuthFailure.InvalidAuthorization", "X-TC-Timestamp is not a number");
		return NULL;
	case TC3_BAD_SIGNATURE:
		api_fail(err, "AuthFailure.SignatureFailure", "the signature does not match");
		return NULL;
	}
	memcpy(signature, auth.signature, sizeof auth.signature);
	return acct;
}

/* SendEmail: the message goes to the MTA as the account; its reply answers. */
static int api_http_send_email(const struct api_ctx *c, const char *body, size_t len, json_t **out,
			       struct api_error *err)
{
	struct strbuf msg = STRBUF_INIT, id = STRBUF_INIT, reply = STRBUF_INIT;
	struct strbuf queue_id = STRBUF_INIT;
	struct api_send_email req;
	struct api_submission sub;
	int rc = -1;

	if (c->acct->nlogins == 0)
		return api_fail(err, "FailedOperation",
				"account %s has no Login to submit mail with", c->acct->name);
	if (api_parse_send_email(body, len, &req, err) != 0) {
		api_send_email_free(&req);
		return -1;
	}
	api_request_id(&id);
	api_msg_build(&req, strbuf_cstr(&id), c->now, &msg);
	sub = (struct api_submission){ .server = c->snap->conf->api_submit,
				       .login = c->acct->logins[0],
				       .mail_from = req.from_addr,
				       .rcpts = req.to,
				       .nrcpts = req.nto,
				       .msg = msg.data,
				       .len = msg.len };
	if (api_submit(&sub, &reply) != 0) {
		api_smtp_error(strbuf_cstr(&reply), err);
	} else if (!api_smtp_queue_id(strbuf_cstr(&reply), &queue_id)) {
		api_fail(err, "InternalError", "the mail server named no queue ID: %s",
			 strbuf_cstr(&reply));
	} else {
		*out = json_pack("{s:s}", "MessageId", strbuf_cstr(&queue_id));
		rc = 0;
	}
	api_send_email_free(&req);
	strbuf_free(&msg);
	strbuf_free(&id);
	strbuf_free(&reply);
	strbuf_free(&queue_id);
	return rc;
}

/* Runs the action the request names; fills out or err. */
static int api_http_act(struct MHD_Connection *conn, const struct api_http_req *hr, json_t **out,
			struct api_error *err, char *who, size_t wholen)
{
	struct policy_snapshot *snap = reload_current();
	const char *action = api_http_header(conn, "X-TC-Action");
	const char *version = api_http_header(conn, "X-TC-Version");
	const struct account *acct;
	const struct api_action *a = NULL;
	char signature[65];
	struct api_ctx c;
	int rc = -1;

	if (action == NULL) {
		api_fail(err, "MissingParameter", "X-TC-Action is required");
	} else if (version != NULL && strcmp(version, API_HTTP_VERSION) != 0) {
		api_fail(err, "NoSuchVersion", "X-TC-Version must be %s", API_HTTP_VERSION);
	} else if ((acct = api_http_auth(conn, snap, hr, signature, err)) == NULL) {
		api_http_log_refused(conn, err);
	} else {
		snprintf(who, wholen, "%s %.64s", acct->name, action);
		c = (struct api_ctx){ snap, acct, time(NULL) };
		a = api_action_find(action);
		if (a == NULL && strcmp(action, "SendEmail") != 0)
			api_fail(err, "InvalidAction", "no action %.64s", action);
		else if ((a == NULL || a->changes) &&
			 !api_replay_first(&snap->store, signature, c.now))
			api_fail(err, "AuthFailure.SignatureFailure",
				 "this signature was already used");
		else if (a == NULL)
			rc = api_http_send_email(&c, hr->body.data, hr->body.len, out, err);
		else
			rc = a->fn(&c, hr->body.data, hr->body.len, out, err);
	}
	policy_snapshot_unref(snap);
	if (rc == 0 && a != NULL && a->reloads && reload_now() != 0)
		logging_msg(PLOG_WARNING, "api: %s: changed, but the reload failed", who);
	return rc;
}

/* The result label of ses_milter_api_requests_total for an answer. */
static const char *api_http_result(int rc, const struct api_error *err)
{
	if (rc == 0)
		return "success";
	if (strncmp(err->code, "AuthFailure", strlen("AuthFailure")) == 0)
		return "auth_failure";
	if (strcmp(err->code, "RequestLimitExceeded") == 0 ||
	    strcmp(err->code, "FailedOperation.FrequencyLimit") == 0 ||
	    strcmp(err->code, "FailedOperation.ExceedSendLimit") == 0)
		return "throttled";
	if (strcmp(err->code, "InternalError") == 0 ||
	    strcmp(err->code, "FailedOperation.ServiceNotAvailable") == 0)
		return "server_error";
	return "client_error";
}

/* Answers a whole request. */
static enum MHD_Result api_http_answer(struct MHD_Connection *conn, const char *url,
				       const char *method, const struct api_http_req *hr)
{
	struct strbuf id = STRBUF_INIT, body = STRBUF_INIT;
	struct api_error err = { "", "" };
	const char *action;
	json_t *out = NULL;
	char who[160] = "";
	enum MHD_Result ret;
	int rc = -1;

	api_request_id(&id);
	if (hr->too_large)
		api_fail(&err, "RequestSizeLimitExceeded", "the body is over %u bytes",
			 API_MAX_BODY);
	else if (strcmp(method, "POST") != 0 || strcmp(url, "/") != 0)
		api_fail(&err, "UnsupportedOperation", "the API takes POST / only");
	else
		rc = api_http_act(conn, hr, &out, &err, who, sizeof who);
	if (rc == 0)
		api_render_ok(out, strbuf_cstr(&id), &body);
	else
		api_render_error(&err, strbuf_cstr(&id), &body);
	if (who[0] != '\0')
		logging_msg(PLOG_INFO, "api: %s: %s%s%s", who, rc == 0 ? "OK" : err.code,
			    rc == 0 ? "" : " ", rc == 0 ? "" : err.message);
	action = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-TC-Action");
	metrics_inc(METRIC_API_REQUESTS, action != NULL ? action : "other",
		    api_http_result(rc, &err));
	ret = api_http_send(conn, &body);
	strbuf_free(&id);
	strbuf_free(&body);
	return ret;
}

static enum MHD_Result api_http_handle(void *cls, struct MHD_Connection *conn, const char *url,
				       const char *method, const char *version,
				       const char *upload_data, size_t *upload_data_size,
				       void **req_cls)
{
	struct api_http_req *hr = *req_cls;

	(void)cls;
	(void)version;
	if (hr == NULL) {
		hr = calloc(1, sizeof *hr);
		if (hr == NULL)
			return MHD_NO;
		*req_cls = hr;
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		if (hr->body.len + *upload_data_size > API_MAX_BODY)
			hr->too_large = true; /* read and dropped: the answer says why */
		else
			strbuf_append(&hr->body, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	return api_http_answer(conn, url, method, hr);
}

/* Frees a request's state when libmicrohttpd is done with it. */
static void api_http_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
			       enum MHD_RequestTerminationCode toe)
{
	struct api_http_req *hr = *req_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (hr != NULL) {
		strbuf_free(&hr->body);
		free(hr);
	}
	*req_cls = NULL;
}

int api_http_start(void)
{
	static const struct MHD_OptionItem extra[] = {
		{ MHD_OPTION_THREAD_POOL_SIZE, API_HTTP_THREADS, NULL },
		{ MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)api_http_completed, NULL },
		{ MHD_OPTION_END, 0, NULL },
	};
	struct policy_snapshot *snap = reload_current();
	char spec[128];
	struct sockaddr_in sin;

	snprintf(spec, sizeof spec, "%s", snap->conf->api_listen);
	policy_snapshot_unref(snap);
	if (spec[0] == '\0')
		return 0;
	if (!http_guard_addr(spec, &sin)) {
		logging_msg(PLOG_ERR, "bad ApiListen %s: want IPV4-ADDRESS:PORT", spec);
		return -1;
	}
	if (http_guard_start(&api_http_guard, &sin, spec, api_http_handle, NULL, extra) != 0)
		return -1;
	logging_msg(PLOG_NOTICE, "API endpoint on %s", spec);
	return 0;
}

void api_http_stop(void)
{
	http_guard_stop(&api_http_guard);
}
