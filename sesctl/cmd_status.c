/*
 * cmd_status - sesctl status: what happened to the messages of one day,
 * per recipient, like GetSendEmailStatus (policy/events/evstatus.h joins them).
 *
 *   status --date YYYY-MM-DD [--message-id ID] [--to ADDR] [--json]
 *
 * Reads this gateway's event log (EventLog, default DataDir/events.log)
 * twice: the requests of the UTC day, then the events that join them.
 * Output: an aligned table, or with --json one object per line:
 *
 *   {"MessageId":"4Xyz","ToEmailAddress":"a@example.net",
 *    "FromEmailAddress":"news@example.com","SendStatus":"accepted",
 *    "SendMessage":"","DeliverStatus":1,"DeliverMessage":"2.0.0 ok",
 *    "UserOpened":false,"UserClicked":false,"UserUnsubscribed":false,
 *    "UserComplained":false,"RequestTime":1714550400,"UpdateTime":1714550460}
 *
 * Exit status: 0 (rows printed), 1 (nothing found, or the log cannot be
 * read), 2 (usage).
 *
 * Diagnostics: "sesctl: no messages found", "sesctl: PATH: N lines are not
 * events, skipped", events_read's "cannot open|read PATH: REASON".
 */
#include "autoconf.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "events.h"
#include "evstatus.h"
#include "sesctl.h"

struct status_req {
	struct evstatus_filter f;
	bool json;
};

/* Parses the command line; SESCTL_OK or SESCTL_USAGE. */
static int status_parse(struct sesctl *ctx, struct status_req *req, int argc, char **argv)
{
	static const struct sesctl_opt opts[] = {
		{ "date", true, 1 }, { "message-id", true, 2 }, { "to", true, 3 },
		{ "json", false, 4 }, { NULL, false, 0 },
	};
	struct sesctl_args args;
	const char *v, *date = NULL;
	int id, rc = SESCTL_OK;

	sesctl_args_init(&args, argc, argv);
	while ((id = sesctl_args_next(ctx, &args, opts, &v)) > 0) {
		if (id == 1)
			date = v;
		else if (id == 2)
			req->f.message_id = v;
		else if (id == 3)
			req->f.email = v;
		else
			req->json = true;
	}
	if (id < 0 || args.noperands != 0 || date == NULL ||
	    sesctl_parse_date("--date", date, &req->f.day) != 0)
		rc = SESCTL_USAGE;
	sesctl_args_free(&args);
	return rc;
}

/* Reads the log at path; SESCTL_OK or SESCTL_FAIL. */
static int status_read(const char *path, struct evstatus *s)
{
	struct strbuf err = STRBUF_INIT;
	long n = evstatus_read_log(s, path, &err);

	if (err.len > 0)
		fprintf(stderr, "sesctl: %s%s", strbuf_cstr(&err),
			err.data[err.len - 1] == '\n' ? "" : "\n");
	strbuf_free(&err);
	if (s->bad_lines > 0)
		sesctl_err("%s: %lu lines are not events, skipped", path, s->bad_lines);
	return n < 0 ? SESCTL_FAIL : SESCTL_OK;
}

/* Prints one row as a JSON object line. */
static void status_json(const struct evstatus_row *r)
{
	json_t *o = evstatus_row_json(r);
	char *s = o != NULL ? json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER |
						 JSON_ENSURE_ASCII)
			    : NULL;

	if (s != NULL)
		puts(s);
	free(s);
	json_decref(o);
}

/* Appends s to out with control bytes shown as '?', for the table. */
static const char *status_cell(const char *s, struct strbuf *out)
{
	strbuf_reset(out);
	for (; *s != '\0'; s++) {
		char c = (unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s;

		strbuf_append(out, &c, 1);
	}
	if (out->len == 0)
		strbuf_appends(out, "-");
	return strbuf_cstr(out);
}

/* Formats t as "YYYY-MM-DD HH:MM:SS" UTC into out (20 bytes). */
static const char *status_time(int64_t t, char out[20])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL || strftime(out, 20, "%Y-%m-%d %H:%M:%S", &tm) == 0)
		snprintf(out, 20, "?");
	return out;
}

/* Prints the rows as a table: columns as wide as their widest cell. */
static void status_table(const struct evstatus *s)
{
	struct strbuf c1 = STRBUF_INIT, c2 = STRBUF_INIT, c3 = STRBUF_INIT;
	int wid = (int)strlen("MESSAGE-ID"), wto = (int)strlen("TO");
	char t1[20], t2[20], dl[24];
	size_t i;

	for (i = 0; i < s->n; i++) {
		int a = (int)strlen(status_cell(s->rows[i].message_id, &c1));
		int b = (int)strlen(status_cell(s->rows[i].email, &c2));

		wid = a > wid ? a : wid;
		wto = b > wto ? b : wto;
	}
	printf("%-19s  %-*s  %-*s  %-8s  %-11s  %-6s  %-7s  %-12s  %-10s  %-19s  %s\n",
	       "REQUESTED", wid, "MESSAGE-ID", wto, "TO", "SEND", "DELIVER", "OPENED", "CLICKED",
	       "UNSUBSCRIBED", "COMPLAINED", "UPDATED", "REASON");
	for (i = 0; i < s->n; i++) {
		const struct evstatus_row *r = &s->rows[i];

		snprintf(dl, sizeof dl, "%d %s", r->deliver, evstatus_deliver_name(r->deliver));
		printf("%-19s  %-*s  %-*s  %-8s  %-11s  %-6s  %-7s  %-12s  %-10s  %-19s  %s\n",
		       status_time(r->request_time, t1), wid, status_cell(r->message_id, &c1), wto,
		       status_cell(r->email, &c2), r->accepted ? "accepted" : "rejected", dl,
		       r->opened ? "yes" : "no", r->clicked ? "yes" : "no",
		       r->unsubscribed ? "yes" : "no", r->complained ? "yes" : "no",
		       status_time(r->update_time, t2),
		       status_cell(r->accepted ? r->deliver_reason : r->send_reason, &c3));
	}
	strbuf_free(&c1);
	strbuf_free(&c2);
	strbuf_free(&c3);
}

/* The event log of the configuration: EventLog or DataDir/events.log.  Caller frees. */
static char *status_log_path(const struct sesctl *ctx)
{
	struct strbuf sb = STRBUF_INIT;

	if (*ctx->conf->event_log != '\0')
		strbuf_appends(&sb, ctx->conf->event_log);
	else
		strbuf_appendf(&sb, "%s/events.log", ctx->conf->data_dir);
	return strbuf_detach(&sb);
}

int sesctl_cmd_status(struct sesctl *ctx, int argc, char **argv)
{
	struct status_req req;
	struct evstatus s;
	char *path;
	size_t i;
	int rc;

	memset(&req, 0, sizeof req);
	if (status_parse(ctx, &req, argc, argv) != SESCTL_OK)
		return sesctl_usage("status --date YYYY-MM-DD [--message-id ID] [--to ADDR] "
				    "[--json]");
	evstatus_init(&s, &req.f);
	path = status_log_path(ctx);
	rc = status_read(path, &s);
	if (rc == SESCTL_OK && s.n == 0) {
		sesctl_err("no messages found");
		rc = SESCTL_FAIL;
	}
	if (rc == SESCTL_OK) {
		if (req.json)
			for (i = 0; i < s.n; i++)
				status_json(&s.rows[i]);
		else
			status_table(&s);
	}
	evstatus_free(&s);
	free(path);
	return rc;
}
