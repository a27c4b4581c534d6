/*
 * cmd_feedback - sesctl feedback classify: how the gateway would read a
 * bounce or complaint, for operators debugging their bounce flow.
 *
 *   feedback classify FILE|- [--rcpt ADDR] [--json]
 *
 * Parses the message as ses-milter does (dsn.h, then arf.h) and prints
 * its kind (dsn, arf, unsubscribe, other) and per recipient the address,
 * action, status, class and what the gateway would do with it (blocklist
 * for BlocklistDays, soft bounce or deferred event, delivered event,
 * suppression, nothing).  Nothing is written anywhere.
 *
 * The gateway only acts on a report sent to one of its VERP addresses,
 * and only for the recipient that address names (or one recorded for its
 * message).  Without --rcpt that cannot be checked and the output says
 * so; with --rcpt ADDR (the address the report was sent to) and a
 * readable DataDir/feedback.key, the address is verified and each
 * recipient matched against it.  Recorded recipients live in memcached
 * and are not looked up.
 *
 * Output: "key: value" lines, a block per recipient; with --json one
 * object.  Exit status: 0, 1 (file unreadable), 2 (bad command line).
 */
#include "autoconf.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arf.h"
#include "dsn.h"
#include "feedback.h"
#include "mac.h"
#include "mime_count.h"
#include "sesctl.h"
#include "verp.h"

#define FB_READ_MAX (2 * REPORT_SCAN_MAX) /* bytes read; the parsers use less */

struct fb_req {
	const char *file, *rcpt;
	bool json;
	struct mac_key key;
	bool have_key;
	struct strbuf key_err;	/* why there is no key */
	struct verp_info vi;
	enum verp_result vr;
};

/* Reads the file (or stdin for "-") into out; 0, or -1 after printing why. */
static int fb_read(const char *file, struct strbuf *out)
{
	FILE *fp = strcmp(file, "-") == 0 ? stdin : fopen(file, "rb");
	char buf[8192];
	size_t n;

	if (fp == NULL) {
		sesctl_err("%s: %s", file, strerror(errno));
		return -1;
	}
	while (out->len < FB_READ_MAX && (n = fread(buf, 1, sizeof buf, fp)) > 0)
		strbuf_append(out, buf, n);
	if (fp != stdin)
		fclose(fp);
	return 0;
}

/* What the gateway does with a recipient of class cl. */
static const char *fb_effect(const struct sesctl *ctx, const struct dsn_rcpt *rc,
			     struct strbuf *out)
{
	strbuf_reset(out);
	switch (dsn_classify(rc)) {
	case DSN_CLASS_HARD:
		strbuf_appendf(out, "blocklist for %lld days, hard bounce event",
			       ctx->conf->blocklist_days);
		break;
	case DSN_CLASS_SOFT:
		strbuf_appends(out, rc->action == DSN_ACTION_DELAYED ? "deferred event"
								   : "soft bounce event");
		break;
	case DSN_CLASS_DELIVERED:
		strbuf_appends(out, "delivered event");
		break;
	case DSN_CLASS_UNKNOWN:
		strbuf_appends(out, "nothing (not classified)");
		break;
	}
	return strbuf_cstr(out);
}

/* Whether recipient addr would pass the VERP check, into out. */
static const char *fb_check(const struct fb_req *req, const char *addr, struct strbuf *out)
{
	strbuf_reset(out);
	if (req->rcpt == NULL)
		strbuf_appends(out, "needs the VERP address it was sent to (--rcpt)");
	else if (!req->have_key)
		strbuf_appends(out, "not verified: no readable feedback key");
	else if (req->vr != VERP_OK)
		strbuf_appendf(out, "refused: --rcpt is %s", verp_result_name(req->vr));
	else if (req->vi.form == VERP_RCPT_NONE)
		strbuf_appendf(out, "needs the recorded recipients of message %s (memcached): "
				    "not checked", req->vi.msgid);
	else if (addr[0] != '\0' && verp_rcpt_matches(&req->key, &req->vi, addr))
		strbuf_appends(out, "ok: the VERP address names it");
	else
		strbuf_appends(out, "refused: the VERP address names another recipient");
	return strbuf_cstr(out);
}

/* Adds one recipient to the JSON array or prints it. */
static void fb_emit(json_t *arr, const char *addr, const char *action, const char *status,
		    const char *cls, const char *effect, const char *check)
{
	if (arr != NULL) {
		json_array_append_new(arr, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "address", addr,
						     "action", action, "status", status, "class",
						     cls, "effect", effect, "check", check));
		return;
	}
	printf("recipient: %s\n  action: %s\n  status: %s\n  class: %s\n  effect: %s\n"
	       "  check: %s\n", addr, action, status[0] ? status : "-", cls, effect, check);
}

/* The recipients of a DSN. */
static void fb_dsn(const struct sesctl *ctx, const struct fb_req *req,
		   const struct dsn_report *d, json_t *o, json_t *arr)
{
	struct strbuf eff = STRBUF_INIT, chk = STRBUF_INIT;
	size_t i;

	if (arr != NULL) {
		json_object_set_new(o, "forwarded", json_integer((json_int_t)d->forwarded));
		json_object_set_new(o, "reporting_mta", json_string(d->reporting_mta));
	} else {
		printf("reporting-mta: %s\n", d->reporting_mta[0] ? d->reporting_mta : "-");
		if (d->forwarded > 0)
			printf("forwarded: %u levels down, sent to %s\n", d->forwarded,
			       d->forwarded_to[0] ? d->forwarded_to : "-");
	}
	if (d->forwarded > 0 && req->rcpt != NULL && arr == NULL &&
	    !feedback_to_names(d->forwarded_to, req->rcpt))
		printf("note: the forwarded DSN was not sent to --rcpt: the gateway ignores it\n");
	for (i = 0; i < d->n_rcpts; i++) {
		const struct dsn_rcpt *rc = &d->rcpts[i];
		const char *addr = rc->final_recipient[0] ? rc->final_recipient
							  : rc->original_recipient;

		fb_emit(arr, addr, dsn_action_name(rc->action), rc->status,
			dsn_class_name(dsn_classify(rc)), fb_effect(ctx, rc, &eff),
			fb_check(req, addr, &chk));
	}
	strbuf_free(&eff);
	strbuf_free(&chk);
}

/* The complained-about recipients of an ARF report. */
static void fb_arf(const struct fb_req *req, const struct arf_report *a, json_t *arr)
{
	struct strbuf chk = STRBUF_INIT;
	const char *effect = arf_type_is_complaint(a->type)
				     ? "suppression for the sender domain's account, complaint event"
				     : "nothing (not a complaint)";
	size_t i;

	for (i = 0; i < a->original_rcpt_to.n; i++)
		fb_emit(arr, a->original_rcpt_to.v[i], arf_type_name(a->type), "", "complaint",
			effect, fb_check(req, a->original_rcpt_to.v[i], &chk));
	if (a->original_rcpt_to.n == 0)
		fb_emit(arr, a->orig.to, arf_type_name(a->type), "", "complaint", effect,
			fb_check(req, a->orig.to, &chk));
	strbuf_free(&chk);
}

/* Loads DataDir/feedback.key into req when it is readable. */
static void fb_load_key(const struct sesctl *ctx, struct fb_req *req)
{
	struct strbuf path = STRBUF_INIT;

	mac_key_path(ctx->conf->data_dir, &path);
	req->have_key = mac_key_load(strbuf_cstr(&path), &req->key, &req->key_err) == 0;
	if (req->have_key)
		req->vr = verp_decode(&req->key, req->rcpt, &req->vi);
	strbuf_free(&path);
}

/* Classifies msg and prints the result. */
static void fb_classify(const struct sesctl *ctx, struct fb_req *req, const struct strbuf *msg)
{
	json_t *o = req->json ? json_object() : NULL, *arr = req->json ? json_array() : NULL;
	struct dsn_report d;
	struct arf_report a;
	const char *kind = "other";
	char *s;

	memset(&a, 0, sizeof a);
	if (dsn_parse(msg->data, msg->len, &d) == DSN_OK)
		kind = "dsn";
	else if (arf_parse(msg->data, msg->len, &a) == ARF_OK)
		kind = "arf";
	else if (req->have_key && req->rcpt != NULL &&
		 feedback_classify(&req->key, req->rcpt) == FEEDBACK_ADDR_UNSUB)
		kind = "unsubscribe";
	if (o != NULL)
		json_object_set_new(o, "kind", json_string(kind));
	else
		printf("kind: %s\n", kind);
	if (req->rcpt != NULL && !req->have_key && o == NULL)
		printf("verp: not verified: %s\n", strbuf_cstr(&req->key_err));
	else if (req->rcpt != NULL && req->have_key && o == NULL)
		printf("verp: %s\n", verp_result_name(req->vr));
	else if (req->rcpt == NULL && o == NULL)
		printf("verp: not checked (the gateway checks the address the report was sent "
		       "to: give it with --rcpt)\n");
	if (strcmp(kind, "dsn") == 0)
		fb_dsn(ctx, req, &d, o, arr);
	else if (strcmp(kind, "arf") == 0)
		fb_arf(req, &a, arr);
	else if (strcmp(kind, "unsubscribe") == 0 && o == NULL)
		printf("effect: unsubscribe of the token's recipient from its domain\n");
	if (o != NULL) {
		json_object_set_new(o, "verp", json_string(req->rcpt == NULL ? "not checked"
							   : !req->have_key ? "no key"
							   : verp_result_name(req->vr)));
		json_object_set_new(o, "recipients", arr);
		s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
		if (s != NULL)
			puts(s);
		free(s);
		json_decref(o);
	}
	dsn_report_free(&d);
	arf_report_free(&a);
}

static int fb_cmd_classify(struct sesctl *ctx, int argc, char **argv)
{
	static const struct sesctl_opt opts[] = {
		{ "rcpt", true, 1 }, { "json", false, 2 }, { NULL, false, 0 },
	};
	struct fb_req req;
	struct sesctl_args args;
	struct strbuf msg = STRBUF_INIT;
	const char *v;
	int id, rc = SESCTL_OK;

	memset(&req, 0, sizeof req);
	strbuf_init(&req.key_err);
	sesctl_args_init(&args, argc, argv);
	while ((id = sesctl_args_next(ctx, &args, opts, &v)) > 0) {
		if (id == 1)
			req.rcpt = v;
		else
			req.json = true;
	}
	if (id < 0 || args.noperands != 1)
		rc = SESCTL_USAGE;
	req.file = args.noperands == 1 ? args.operands[0] : NULL;
	sesctl_args_free(&args);
	if (rc == SESCTL_OK && fb_read(req.file, &msg) != 0)
		rc = SESCTL_FAIL;
	if (rc == SESCTL_OK) {
		mime_count_init();
		if (req.rcpt != NULL)
			fb_load_key(ctx, &req);
		fb_classify(ctx, &req, &msg);
	}
	if (req.have_key)
		mac_key_clear(&req.key);
	strbuf_free(&req.key_err);
	strbuf_free(&msg);
	return rc;
}

int sesctl_cmd_feedback(struct sesctl *ctx, int argc, char **argv)
{
	static const struct sesctl_sub subs[] = {
		{ "classify", fb_cmd_classify, "feedback classify FILE|- [--rcpt ADDR] [--json]" },
		{ NULL, NULL, NULL },
	};

	return sesctl_run_sub(ctx, subs, argc, argv);
}
