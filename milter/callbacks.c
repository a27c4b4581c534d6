/*
 * callbacks - libmilter adapter for the policy engine; see callbacks.h.
 *
 * Lifetimes: the connection context lives from xxfi_connect to
 * xxfi_close; the message context from xxfi_envfrom until the message
 * ends: end of message, abort, a message-level refusal, or close.  A
 * refusal at RCPT refuses that recipient only.  The session itself is
 * made at option negotiation, which comes first, to remember what was
 * negotiated; close frees it.
 *
 * Header values: the MTA is asked for SMFIP_HDR_LEADSPC when it offers it
 * (Postfix, Sendmail 8.14 and later), so a value arrives exactly as after
 * the colon and the DKIM verifier sees the field as signed; the policy
 * gets it as before (policy_header_raw).  With it negotiated the MTA also
 * writes an added or changed header as "Name:" and the value given, so
 * the blank after the colon is sent with the value.
 *
 * Replies the MTA does not wait for (ContentReplies end): the header,
 * end-of-header and body stages are negotiated as SMFIP_NR_HDR, NR_EOH
 * and NR_BODY, so the MTA streams the content without a round trip per
 * header and one worker reads it in one pass (libmilter answers continue
 * itself to an MTA that did not offer them).  A refusal decided at one of
 * them is held (session_quiet) and given at end of message, where the
 * SMTP client gets its reply to DATA anyway; the content still sent after
 * it is ignored.
 *
 * Diagnostics: "out of memory at connect"; apply.c logs the changes the MTA
 * refused, the engine the per-message summary.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include <libmilter/mfdef.h>

#include "apply.h"
#include "callbacks.h"
#include "connguard.h"
#include "engine.h"
#include "logging.h"
#include "metrics.h"
#include "reload.h"
#include "reply.h"

struct milter_session {
	struct policy_conn *conn;	/* NULL until connect */
	struct policy_msg *msg;
	bool leadspc;			/* SMFIP_HDR_LEADSPC negotiated */
	unsigned long noreply;		/* the SMFIP_NR_* content stages negotiated */
	bool held;			/* a refusal at a no-reply stage waits in why */
	struct policy_decision why;
};

static int callbacks_sessions;
static int callbacks_draining;

void callbacks_start_draining(void)
{
	__atomic_store_n(&callbacks_draining, 1, __ATOMIC_RELEASE);
}

int callbacks_active_sessions(void)
{
	return __atomic_load_n(&callbacks_sessions, __ATOMIC_ACQUIRE);
}

/*
 * Counts a decision by rule and reply class: every refusal, at any stage,
 * and (final) how a message that reached its end went on.
 */
static void session_count(const struct policy_decision *d, bool final)
{
	static const char *const classes[] = {
		[POLICY_CONTINUE] = "accept", [POLICY_ACCEPT] = "accept", [POLICY_HOLD] = "hold",
		[POLICY_DISCARD] = "discard", [POLICY_REJECT] = "5xx", [POLICY_TEMPFAIL] = "4xx",
	};
	const char *cls = (unsigned)d->action < sizeof classes / sizeof classes[0]
				  ? classes[d->action] : NULL;

	if (cls == NULL || (!final && !decision_is_refusal(d) && d->action != POLICY_DISCARD))
		return;
	if (decision_is_refusal(d))
		cls = d->code[0] == '4' ? "4xx" : "5xx";
	metrics_inc(METRIC_DECISIONS, d->rule, cls);
}

/* The session of a connection the policy has seen (connect), or NULL. */
static struct milter_session *session_get(SMFICTX *ctx)
{
	struct milter_session *s = smfi_getpriv(ctx);

	return s != NULL && s->conn != NULL ? s : NULL;
}

/* Passes the queue ID to the message once the MTA has assigned it. */
static void session_queue_id(SMFICTX *ctx, struct milter_session *s)
{
	const char *qid = smfi_getsymval(ctx, "i");

	if (s->msg != NULL && qid != NULL)
		policy_msg_set_queue_id(s->msg, qid);
}

/*
 * Ends the message context: a message that did not reach policy_finish()
 * (aborted, refused before its end, replaced by a new MAIL, or cut by
 * close) gives its reservations back and logs its summary line here.
 */
static void session_end_msg(struct milter_session *s)
{
	policy_msg_abort(s->msg);
	policy_msg_free(s->msg);
	s->msg = NULL;
}

/* Replies for a message-level stage and ends the message when it is over. */
static sfsistat session_reply(struct milter_session *s, SMFICTX *ctx,
			      const struct policy_decision *d)
{
	sfsistat st = reply_send(ctx, d);

	if (st != SMFIS_CONTINUE)
		session_end_msg(s);
	return st;
}

/*
 * The reply of a content stage (stage_nr: its SMFIP_NR_* bit): as
 * session_reply when the MTA waits for it; else nothing now, and a
 * decision that stops the message is held for the next stage answered.
 */
static sfsistat session_quiet(struct milter_session *s, SMFICTX *ctx, unsigned long stage_nr,
			      const struct policy_decision *d)
{
	if ((s->noreply & stage_nr) == 0)
		return session_reply(s, ctx, d);
	if (d->action != POLICY_CONTINUE && d->action != POLICY_HOLD) {
		s->why = *d;
		s->held = true;
		session_end_msg(s);
	}
	return SMFIS_NOREPLY;
}

/*
 * Before a content stage (stage_nr) runs: true with *st set when the
 * stage is answered for the message already, with the refusal held for
 * it when the MTA waits for this stage, else with no reply.
 */
static bool session_answered(struct milter_session *s, SMFICTX *ctx, unsigned long stage_nr,
			     sfsistat *st)
{
	if (s == NULL || s->msg != NULL)
		return false;
	if ((s->noreply & stage_nr) != 0) {
		*st = SMFIS_NOREPLY;	/* ignored: the message ended */
	} else if (s->held) {
		s->held = false;	/* the first stage the MTA waits for gives it */
		*st = reply_send(ctx, &s->why);
	} else {
		*st = SMFIS_TEMPFAIL;
	}
	return true;
}

/* The session of ctx, made (and counted) if there is none yet; NULL when out of memory. */
static struct milter_session *session_make(SMFICTX *ctx)
{
	struct milter_session *s = smfi_getpriv(ctx);

	if (s != NULL)
		return s;
	s = calloc(1, sizeof *s);
	if (s == NULL)
		return NULL;
	__atomic_add_fetch(&callbacks_sessions, 1, __ATOMIC_ACQ_REL);
	smfi_setpriv(ctx, s);
	return s;
}

static sfsistat mlfi_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
			       unsigned long f2, unsigned long f3, unsigned long *pf0,
			       unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	struct milter_session *s;
	struct policy_snapshot *snap;
	unsigned long want = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGBODY | SMFIF_DELRCPT |
			     SMFIF_QUARANTINE | SMFIF_CHGFROM | SMFIF_SETSYMLIST |
			     SMFIF_ADDRCPT_PAR;

	*pf0 = f0 & want;
	/*
	 * DATA is not negotiated away: the MTA would still send its macros,
	 * as a packet with no reply, and over TCP the milter's delayed ACK
	 * then holds the MTA's next write (the first header) for ~40 ms.
	 * Answering DATA lets the reply carry the ACK.
	 */
	*pf1 = f1 & (SMFIP_NOUNKNOWN | SMFIP_HDR_LEADSPC);
	snap = reload_current();
	/* libmilter offers these whatever the MTA does, and fakes them if need be */
	if (snap->conf->content_replies == CONFIG_REPLIES_END)
		*pf1 |= f1 & (SMFIP_NR_HDR | SMFIP_NR_EOH | SMFIP_NR_BODY);
	connguard_quick_acks(snap->conf->content_replies == CONFIG_REPLIES_END);
	policy_snapshot_unref(snap);
	*pf2 = 0;
	*pf3 = 0;
	s = session_make(ctx);
	if (s == NULL) {
		logging_msg(PLOG_ERR, "out of memory at negotiation");
		return SMFIS_TEMPFAIL;
	}
	s->leadspc = (*pf1 & SMFIP_HDR_LEADSPC) != 0;
	s->noreply = *pf1 & (SMFIP_NR_HDR | SMFIP_NR_EOH | SMFIP_NR_BODY);
	/* ask for the macros the policy needs, whatever the MTA's defaults */
	if (f0 & SMFIF_SETSYMLIST) {
		smfi_setsymlist(ctx, SMFIM_ENVFROM, "i {auth_authen}");
		smfi_setsymlist(ctx, SMFIM_ENVRCPT, "i");
		smfi_setsymlist(ctx, SMFIM_EOM, "i");
	}
	return SMFIS_CONTINUE;
}

static sfsistat mlfi_connect(SMFICTX *ctx, char *hostname, _SOCK_ADDR *hostaddr)
{
	struct milter_session *s;
	struct policy_snapshot *snap;
	bool local;

	if (__atomic_load_n(&callbacks_draining, __ATOMIC_ACQUIRE)) {
		struct policy_decision d;

		decision_set(&d, POLICY_TEMPFAIL, "stopping", "421", "4.3.2",
			     "FailedOperation.ServiceNotAvailable shutting down, try again later");
		return reply_send(ctx, &d);
	}
	s = session_make(ctx);
	if (s == NULL) {
		logging_msg(PLOG_ERR, "out of memory at connect");
		return SMFIS_TEMPFAIL;
	}
	local = policy_is_local_submission(hostname, hostaddr);
	snap = reload_current();
	s->conn = policy_conn_new(snap, logging_get(), hostname, hostaddr, local);
	policy_snapshot_unref(snap);	/* the connection holds its own reference */
	return SMFIS_CONTINUE;
}

/* HELO/EHLO: kept for the SPF check of inbound mail. */
static sfsistat mlfi_helo(SMFICTX *ctx, char *helohost)
{
	struct milter_session *s = session_get(ctx);

	if (s != NULL)
		policy_conn_set_helo(s->conn, helohost);
	return SMFIS_CONTINUE;
}

/* DATA: nothing to check; answered so that TCP does not stall (see negotiate). */
static sfsistat mlfi_data(SMFICTX *ctx)
{
	(void)ctx;
	return SMFIS_CONTINUE;
}

static sfsistat mlfi_envfrom(SMFICTX *ctx, char **argv)
{
	struct milter_session *s = session_get(ctx);
	struct policy_decision d;
	double t0;

	if (s == NULL)
		return SMFIS_TEMPFAIL;
	session_end_msg(s);	/* a transaction the MTA never closed */
	s->held = false;
	s->msg = policy_msg_new(s->conn);
	session_queue_id(ctx, s);
	t0 = metrics_now();
	policy_mail(s->msg, argv[0], smfi_getsymval(ctx, "{auth_authen}"), &d);
	metrics_observe(METRIC_STAGE_SECONDS, "mail", metrics_now() - t0);
	session_count(&d, false);
	return session_reply(s, ctx, &d);
}

static sfsistat mlfi_envrcpt(SMFICTX *ctx, char **argv)
{
	struct milter_session *s = session_get(ctx);
	struct policy_decision d;
	double t0;

	if (s == NULL || s->msg == NULL)
		return SMFIS_TEMPFAIL;
	session_queue_id(ctx, s);
	t0 = metrics_now();
	policy_rcpt(s->msg, argv[0], &d);
	metrics_observe(METRIC_STAGE_SECONDS, "rcpt", metrics_now() - t0);
	session_count(&d, false);
	return reply_send(ctx, &d);	/* refuses this recipient only */
}

static sfsistat mlfi_header(SMFICTX *ctx, char *name, char *value)
{
	struct milter_session *s = session_get(ctx);
	struct policy_decision d;
	sfsistat st;

	if (session_answered(s, ctx, SMFIP_NR_HDR, &st))
		return st;
	if (s == NULL)
		return SMFIS_TEMPFAIL;
	session_queue_id(ctx, s);
	if (s->leadspc)
		policy_header_raw(s->msg, name, value, &d);
	else
		policy_header(s->msg, name, value, &d);
	session_count(&d, false);
	return session_quiet(s, ctx, SMFIP_NR_HDR, &d);
}

static sfsistat mlfi_eoh(SMFICTX *ctx)
{
	struct milter_session *s = session_get(ctx);
	struct policy_decision d;
	sfsistat st;

	if (session_answered(s, ctx, SMFIP_NR_EOH, &st))
		return st;
	if (s == NULL)
		return SMFIS_TEMPFAIL;
	session_queue_id(ctx, s);
	policy_eoh(s->msg, &d);
	session_count(&d, false);
	return session_quiet(s, ctx, SMFIP_NR_EOH, &d);
}

static sfsistat mlfi_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	struct milter_session *s = session_get(ctx);
	struct policy_decision d;
	sfsistat st;

	if (session_answered(s, ctx, SMFIP_NR_BODY, &st))
		return st;
	if (s == NULL)
		return SMFIS_TEMPFAIL;
	policy_body(s->msg, chunk, len, &d);
	session_count(&d, false);
	return session_quiet(s, ctx, SMFIP_NR_BODY, &d);
}

/*
 * End of message in three steps: the policy decides and plans, the plan
 * is applied through libmilter, and the policy finishes the message with
 * whether that worked (the reply, log line, events and counters follow
 * from it, all the same).
 */
static sfsistat mlfi_eom(SMFICTX *ctx)
{
	struct milter_session *s = session_get(ctx);
	struct policy_decision d;
	bool applied;
	sfsistat st;
	double t0;

	if (session_answered(s, ctx, 0, &st))
		return st;	/* a refusal held from a stage the MTA did not wait for */
	if (s == NULL)
		return SMFIS_TEMPFAIL;
	session_queue_id(ctx, s);
	t0 = metrics_now();
	policy_eom(s->msg, &d);	/* a refusal plans nothing */
	applied = apply_plan(s->leadspc ? &apply_smfi_leadspc_ops : &apply_smfi_ops, ctx, policy_msg_plan(s->msg), s->msg) == 0;
	policy_finish(s->msg, applied, &d);
	metrics_observe(METRIC_STAGE_SECONDS, "eom", metrics_now() - t0);
	session_count(&d, true);
	st = reply_send(ctx, &d);
	session_end_msg(s);
	return st == SMFIS_CONTINUE ? SMFIS_ACCEPT : st;
}

static sfsistat mlfi_abort(SMFICTX *ctx)
{
	struct milter_session *s = session_get(ctx);

	if (s != NULL) {
		session_end_msg(s);
		s->held = false;
	}
	return SMFIS_CONTINUE;
}

static sfsistat mlfi_close(SMFICTX *ctx)
{
	struct milter_session *s = smfi_getpriv(ctx);

	if (s == NULL)
		return SMFIS_CONTINUE;
	session_end_msg(s);
	policy_conn_free(s->conn);
	free(s);
	smfi_setpriv(ctx, NULL);
	__atomic_sub_fetch(&callbacks_sessions, 1, __ATOMIC_ACQ_REL);
	return SMFIS_CONTINUE;
}

struct smfiDesc callbacks_desc = {
	.xxfi_name = (char *)"ses-milter",
	.xxfi_version = SMFI_VERSION,
	.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGBODY | SMFIF_DELRCPT |
		      SMFIF_QUARANTINE | SMFIF_CHGFROM | SMFIF_SETSYMLIST | SMFIF_ADDRCPT_PAR,
	.xxfi_connect = mlfi_connect,
	.xxfi_helo = mlfi_helo,
	.xxfi_envfrom = mlfi_envfrom,
	.xxfi_envrcpt = mlfi_envrcpt,
	.xxfi_header = mlfi_header,
	.xxfi_eoh = mlfi_eoh,
	.xxfi_body = mlfi_body,
	.xxfi_eom = mlfi_eom,
	.xxfi_abort = mlfi_abort,
	.xxfi_close = mlfi_close,
	.xxfi_unknown = NULL,
	.xxfi_data = mlfi_data,
	.xxfi_negotiate = mlfi_negotiate,
};
