/*
 * engine_inbound - the inbound flow (engine_flow.h): mail of no account.
 *
 * It runs the inbound checks (inbound.c): starting them at MAIL FROM,
 * feeding them the message, and turning their verdict into edits and a
 * decision at end of message:
 *
 *   - every Authentication-Results header that claims our authserv-id is
 *     removed (a sender could forge one to look checked), and ours is
 *     inserted above all headers;
 *   - DMARC's disposition: reject (550 5.7.1), hold (the MTA's hold
 *     queue), or tempfail when DNS failures left the verdict open.
 *
 * Recipients that are the feedback loop's own addresses (VERP bounces,
 * unsubscribe mail: engine_feedback.c) are kept and their mail read at end
 * of message.  Mail presented as a local submission has no client to check
 * and, unless it is feedback, is accepted at MAIL FROM.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "authres.h"
#include "engine_feedback.h"
#include "engine_flow.h"
#include "inbound.h"
#include "xalloc.h"

#define ENGINE_AUTHRES "Authentication-Results"

/* Starts the checks when the snapshot has them and there is a client to check. */
static bool inbound_start(struct policy_msg *m)
{
	const struct policy_conn *c = m->conn;

	if (c->snap->inbound == NULL || c->local || c->client_addr[0] == '\0')
		return false;
	m->inbound = inbound_msg_new(c->snap->inbound, m->queue_id, c->client_addr, c->helo,
				     m->env.sender);
	return true;
}

static enum policy_action inbound_mail(struct policy_msg *m, struct policy_decision *d)
{
	if (inbound_start(m) || engine_feedback_active(m)) {
		decision_clear(d);
		return POLICY_CONTINUE;
	}
	decision_plain(d, POLICY_ACCEPT, "inbound");
	return d->action;
}

static enum policy_action inbound_rcpt(struct policy_msg *m, const char *rcpt,
				       struct policy_decision *d)
{
	if (engine_feedback_rcpt(m, rcpt, d) == POLICY_CONTINUE)
		m->env.naccepted++;
	return d->action;
}

static enum policy_action inbound_header(struct policy_msg *m, const char *name,
					 const char *value, const char *raw,
					 struct policy_decision *d)
{
	decision_clear(d);
	if (m->content.buffering) {	/* feedback mail: kept for end of message */
		engine_count_header(m, name, value);
		if (m->inbound == NULL)
			policy_msg_note_header(m, name, value, 0);
	}
	if (m->inbound == NULL)
		return POLICY_CONTINUE;
	if (!m->content.buffering) /* the engine counts what it keeps */
		m->content.size += strlen(name) + strlen(value) + 4; /* "Name: value" CRLF, about */
	policy_msg_note_header(m, name, value, 0);
	inbound_msg_header(m->inbound, name, raw);
	return POLICY_CONTINUE;
}

static enum policy_action inbound_eoh(struct policy_msg *m, struct policy_decision *d)
{
	decision_clear(d);
	if (m->content.buffering)
		engine_count(m, "\r\n", 2);
	if (m->inbound != NULL)
		inbound_msg_eoh(m->inbound);
	return POLICY_CONTINUE;
}

static enum policy_action inbound_body(struct policy_msg *m, const unsigned char *chunk,
				       size_t len, struct policy_decision *d)
{
	decision_clear(d);
	if (m->content.buffering)
		engine_count(m, chunk, len);
	else
		m->content.size += len;
	if (m->inbound != NULL)
		inbound_msg_body(m->inbound, chunk, len);
	return POLICY_CONTINUE;
}

/* Plans the removal of every Authentication-Results header claiming id; returns how many. */
static unsigned engine_inbound_forged(struct policy_msg *m, const char *id)
{
	unsigned k = 0, *idx = NULL, n = 0;
	size_t i;

	for (i = 0; i < m->hdrs.n; i++) {
		if (strcasecmp(m->hdrs.list[i].name, ENGINE_AUTHRES) != 0)
			continue;
		k++;
		if (!authres_claims_id(m->hdrs.list[i].value, id))
			continue;
		idx = xrealloc(idx, (n + 1) * sizeof *idx);
		idx[n++] = k;
	}
	/* last first: a removal does not move the ones before it */
	for (k = n; k > 0; k--)
		policy_msg_delete_header(m, ENGINE_AUTHRES, idx[k - 1]);
	free(idx);
	return n;
}

/* The checks' verdict as a decision and the Authentication-Results edits. */
static void inbound_checks_eom(struct policy_msg *m, struct policy_decision *d)
{
	const struct ses_config *conf = m->conn->snap->conf;
	struct inbound_verdict v;
	unsigned forged;

	if (m->inbound == NULL) {
		decision_plain(d, POLICY_ACCEPT, "inbound");
		return;
	}
	inbound_msg_eom(m->inbound, conf, &v);
	m->result.auth_summary = xstrdup(strbuf_cstr(&v.summary));
	switch (v.outcome) {
	case INBOUND_REJECT:
		decision_ses(d, "dmarc", SES_ERR_DMARC_REJECT, "%s", strbuf_cstr(&v.reason));
		break;
	case INBOUND_TEMPFAIL:
		decision_ses(d, "dmarc", SES_ERR_AUTH_DNS, "%s", strbuf_cstr(&v.reason));
		break;
	case INBOUND_HOLD:
		decision_plain(d, POLICY_HOLD, "dmarc");
		snprintf(d->text, sizeof d->text, "DMARC quarantine: %s", strbuf_cstr(&v.reason));
		break;
	default:
		decision_plain(d, POLICY_ACCEPT, "inbound");
	}
	if (!decision_is_refusal(d)) {
		forged = engine_inbound_forged(m, inbound_checks_authserv_id(m->conn->snap->inbound));
		if (forged > 0)
			policy_msg_log(m, PLOG_NOTICE,
				       "removed %u Authentication-Results header(s) claiming %s",
				       forged, inbound_checks_authserv_id(m->conn->snap->inbound));
		policy_msg_insert_header(m, ENGINE_AUTHRES, strbuf_cstr(&v.authres));
	}
	inbound_verdict_free(&v);
}

static void inbound_eom(struct policy_msg *m, struct policy_decision *d)
{
	inbound_checks_eom(m, d);
	if (!decision_is_refusal(d))
		engine_feedback_inbound_eom(m, d);
}

const struct engine_flow engine_inbound_flow = {
	.mode = POLICY_MODE_INBOUND,
	.mail = inbound_mail,
	.rcpt = inbound_rcpt,
	.header = inbound_header,
	.eoh = inbound_eoh,
	.body = inbound_body,
	.eom = inbound_eom,
};
