/*
 * engine_feedback - the engine's side of the feedback loop (feedback.c):
 *
 *   outbound, at end of message (after rendering, before signing): the
 *   envelope sender becomes the VERP address of the message (Verp; with
 *   DsnNotifySuccess the recipients are re-added with
 *   NOTIFY=SUCCESS,FAILURE so deliveries are reported too; with several
 *   recipients it names the message only, and the recipients are recorded
 *   in the store so that reports to it can name them only), and
 *   a message to one recipient that asks for it (X-SES-Unsubscribe other
 *   than 0, or any marketing template) gets List-Unsubscribe, plus
 *   List-Unsubscribe-Post when UnsubscribeUrl gives the one-click URL;
 *
 *   inbound, at RCPT: a recipient that is one of our VERP or unsubscribe
 *   addresses is kept and the message buffered; one that looks like ours
 *   but does not verify is refused (550 5.1.1) and nothing is recorded;
 *   at end of message (only when the inbound checks did not refuse it)
 *   the mail is handled, and discarded when it was for our addresses only
 *   (unless FeedbackDeliver).
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "engine_feedback.h"
#include "events.h"
#include "feedback.h"
#include "stats.h"
#include "template.h"
#include "xalloc.h"

bool engine_feedback_active(const struct policy_msg *m)
{
	return m->conn->snap->feedback_key != NULL && !m->conn->local;
}

enum policy_action engine_feedback_rcpt(struct policy_msg *m, const char *rcpt,
					struct policy_decision *d)
{
	enum feedback_addr k;
	char **v;

	decision_clear(d);
	if (!engine_feedback_active(m)) {
		m->env.nplain++;
		return POLICY_CONTINUE;
	}
	k = feedback_classify(m->conn->snap->feedback_key, rcpt);
	if (k == FEEDBACK_ADDR_FORGED) {
		decision_set(d, POLICY_REJECT, "feedback", "550", "5.1.1",
			     "FailedOperation.InvalidFeedbackAddress %s is not an address of ours",
			     rcpt);
		return d->action;
	}
	if (k == FEEDBACK_ADDR_NONE) {
		m->env.nplain++;
		return POLICY_CONTINUE;
	}
	v = xrealloc(m->env.feedback_rcpts, (m->env.nfeedback + 1) * sizeof *v);
	v[m->env.nfeedback] = xstrdup(rcpt);
	m->env.feedback_rcpts = v;
	m->env.nfeedback++;
	m->content.buffering = true; /* the report is read at end of message */
	return POLICY_CONTINUE;
}

/* Writes one event of the feedback to the event log and the daily volumes. */
static void engine_feedback_emit(void *arg, const struct feedback_note *n)
{
	struct policy_msg *m = arg;

	feedback_note_record(m->conn->snap, m->conn->log,
			     m->queue_id[0] ? m->queue_id : "NOQUEUE",
			     policy_msg_now_us(m) / 1000000, n);
}

void engine_feedback_inbound_eom(struct policy_msg *m, struct policy_decision *d)
{
	const struct policy_snapshot *snap = m->conn->snap;
	struct feedback_result r;
	struct feedback_ctx c;
	char host[64];
	size_t i;

	if (m->env.nfeedback == 0)
		return;
	if (gethostname(host, sizeof host) != 0)
		host[0] = '\0';
	host[sizeof host - 1] = '\0';
	c = (struct feedback_ctx){ snap->feedback_key, &snap->store, snap->journal_path,
				   snap->accounts, snap->conf->blocklist_days,
				   policy_msg_now_us(m), host[0] ? host : "localhost",
				   snap->conf->suspend_bounce_rate, snap->conf->suspend_min_sample,
				   engine_feedback_emit, m };
	memset(&r, 0, sizeof r);
	for (i = 0; i < m->env.nfeedback; i++)
		feedback_handle(&c, m->env.feedback_rcpts[i], m->env.sender, m->hdrs.from,
				strbuf_cstr(&m->content.kept), m->content.kept.len, &r);
	for (char *line = r.log.data, *nl; line != NULL && *line != '\0'; line = nl + 1) {
		if ((nl = strchr(line, '\n')) == NULL)
			break;
		*nl = '\0';
		policy_msg_log(m, PLOG_INFO, "%s", line);
	}
	strbuf_free(&r.log);
	if (r.store_failed) {
		/* the sender keeps the report and tries again */
		decision_ses(d, "feedback", SES_ERR_SERVICE_UNAVAILABLE,
			     "cannot record the report now, try again later");
		return;
	}
	if (m->env.nplain == 0 && !snap->conf->feedback_deliver)
		decision_plain(d, POLICY_DISCARD, "feedback");
}

/* True when the message asks for List-Unsubscribe (see the header). */
static bool engine_feedback_wants_unsub(const struct policy_msg *m)
{
	const struct tmpl *t;
	char *end = NULL;
	unsigned long id;

	if (m->hdrs.unsub_opt != NULL && strcmp(m->hdrs.unsub_opt, "0") != 0 && *m->hdrs.unsub_opt != '\0')
		return true;
	if (m->hdrs.tmpl_id == NULL)
		return false;
	id = strtoul(m->hdrs.tmpl_id, &end, 10);
	t = end != NULL && *end == '\0' ? tmpl_by_id(m->conn->snap->templates, id) : NULL;
	return t != NULL && t->type == TMPL_MARKETING;
}

const char *engine_feedback_only_rcpt(const struct policy_msg *m)
{
	const char *only = NULL;
	size_t i;

	for (i = 0; i < m->env.nrcpts; i++) {
		if (m->env.rcpts[i].refused)
			continue;
		if (only != NULL)
			return NULL;
		only = m->env.rcpts[i].addr;
	}
	return only;
}

/*
 * Records the recipients of a message whose VERP address names none, so
 * that reports to it are accepted for them only (feedback_note_rcpts, one
 * batch for all).  Without the record such reports are ignored: logged,
 * the message goes.
 */
static void engine_feedback_note_rcpts(struct policy_msg *m, const char *msgid)
{
	const struct policy_snapshot *snap = m->conn->snap;
	const char **rcpts = xcalloc(m->env.nrcpts + 1, sizeof *rcpts);
	struct strbuf err = STRBUF_INIT;
	size_t i, n = 0;

	for (i = 0; i < m->env.nrcpts; i++)
		if (!m->env.rcpts[i].refused)
			rcpts[n++] = m->env.rcpts[i].addr;
	if (feedback_note_rcpts(snap->feedback_key, &snap->store, msgid, rcpts, n, &err) != 0)
		policy_msg_log(m, PLOG_WARNING, "%s; bounces will not name them",
			       strbuf_cstr(&err));
	strbuf_free(&err);
	free(rcpts);
}

void engine_feedback_outbound(struct policy_msg *m)
{
	const struct policy_snapshot *snap = m->conn->snap;
	const char *rcpt = engine_feedback_only_rcpt(m);
	const char *msgid = m->queue_id[0] ? m->queue_id : "x";
	struct strbuf v = STRBUF_INIT;

	if (snap->feedback_key == NULL || m->env.sender_domain == NULL || *m->env.sender_domain == '\0')
		return;
	if (snap->conf->verp &&
	    feedback_verp_sender(snap->feedback_key, m->env.sender_domain, msgid, rcpt, &v) == 0) {
		policy_msg_set_sender(m, strbuf_cstr(&v));
		/* success DSNs only mean something when they come back to us */
		m->edits.notify_success = snap->conf->dsn_notify_success;
		if (rcpt == NULL)
			engine_feedback_note_rcpts(m, msgid);
	}
	strbuf_reset(&v);
	if (rcpt != NULL && engine_feedback_wants_unsub(m) &&
	    feedback_list_unsubscribe(snap->feedback_key, m->env.sender_domain, rcpt,
				      m->account != NULL ? m->account->name : NULL,
				      snap->conf->unsubscribe_url, &v) == 0) {
		policy_msg_set_header(m, "List-Unsubscribe", strbuf_cstr(&v));
		if (*snap->conf->unsubscribe_url != '\0')
			policy_msg_set_header(m, "List-Unsubscribe-Post",
					      "List-Unsubscribe=One-Click");
	}
	strbuf_free(&v);
}

int engine_feedback_unsub_link(const struct policy_msg *m, struct strbuf *out)
{
	const struct policy_snapshot *snap = m->conn->snap;
	const char *rcpt = engine_feedback_only_rcpt(m);

	if (snap->feedback_key == NULL || rcpt == NULL || m->env.sender_domain == NULL)
		return -1;
	return feedback_unsubscribe_link(snap->feedback_key, m->env.sender_domain, rcpt,
					 m->account != NULL ? m->account->name : NULL,
					 snap->conf->unsubscribe_url, out);
}
