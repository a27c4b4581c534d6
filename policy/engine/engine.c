/*
 * engine - one SMTP session through the policy; see engine.h.
 *
 * The shared part of the engine: the connection and message contexts,
 * the account that picks the message's flow at MAIL FROM (engine_flow.h:
 * engine_outbound.c, engine_inbound.c), the stage functions that run the
 * flow's steps, the reservations taken in shared state, the decision, and
 * the two ways a message ends (policy_finish, policy_msg_abort).
 *
 * Diagnostics (all prefixed with the queue ID): "could not give back KEY",
 * the summary line (engine_log.c).
 */
#include "autoconf.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "address.h"
#include "bufstock.h"
#include "engine.h"
#include "engine_flow.h"
#include "engine_log.h"
#include "engine_plan.h"
#include "inbound.h"
#include "xalloc.h"

bool policy_is_local_submission(const char *client_name, const struct sockaddr *sa)
{
	const struct sockaddr_in *sin;

	/* Sendmail -bs and similar: no client address at all. */
	if (sa == NULL)
		return true;
	/*
	 * Postfix presents sendmail(1)/pickup mail to non_smtpd_milters as
	 * "localhost" [127.0.0.1] port 0; a TCP client always has a port.
	 */
	if (sa->sa_family != AF_INET)
		return false;
	sin = (const struct sockaddr_in *)(const void *)sa;
	return sin->sin_port == 0 && ntohl(sin->sin_addr.s_addr) == INADDR_LOOPBACK &&
	       client_name != NULL && strcasecmp(client_name, "localhost") == 0;
}

struct policy_conn *policy_conn_new(struct policy_snapshot *snap, const struct plog *log,
				    const char *client_name, const struct sockaddr *sa,
				    bool local)
{
	struct policy_conn *c = xcalloc(1, sizeof *c);

	c->snap = policy_snapshot_ref(snap);
	c->log = log;
	c->client_name = engine_strdup(client_name);
	c->local = local;
	if (sa != NULL && (sa->sa_family == AF_INET || sa->sa_family == AF_INET6)) {
		size_t len = sa->sa_family == AF_INET ? sizeof(struct sockaddr_in)
						      : sizeof(struct sockaddr_in6);
		const void *addr = sa->sa_family == AF_INET
			? (const void *)&((const struct sockaddr_in *)(const void *)sa)->sin_addr
			: (const void *)&((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;

		memcpy(&c->client_sa, sa, len);
		c->have_sa = true;
		if (inet_ntop(sa->sa_family, addr, c->client_addr, sizeof c->client_addr) == NULL)
			c->client_addr[0] = '\0';
	}
	return c;
}

void policy_conn_free(struct policy_conn *conn)
{
	if (conn == NULL)
		return;
	policy_snapshot_unref(conn->snap);
	free(conn->client_name);
	free(conn->helo);
	free(conn);
}

void policy_conn_set_helo(struct policy_conn *conn, const char *helo)
{
	free(conn->helo);
	conn->helo = helo != NULL ? engine_strdup(helo) : NULL;
}

/* The message went through: its reservations become real counts. */
static void engine_keep(struct policy_msg *m)
{
	size_t i;

	for (i = 0; i < m->resv.n; i++)
		free(m->resv.list[i].key);
	m->resv.n = 0;
}

struct policy_msg *policy_msg_new(struct policy_conn *conn)
{
	struct policy_msg *m = xcalloc(1, sizeof *m);

	m->conn = conn;
	m->limits = conn->snap->conf->limits;
	m->content.attachments = -1;
	m->flow = &engine_inbound_flow;	/* until MAIL FROM finds an account */
	decision_clear(&m->result.final);
	conn->messages++;
	return m;
}

void policy_msg_free(struct policy_msg *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->resv.n; i++)
		free(m->resv.list[i].key);
	free(m->resv.list);
	for (i = 0; i < m->env.nrcpts; i++) {
		free(m->env.rcpts[i].addr);
		free(m->env.rcpts[i].norm);
	}
	free(m->env.rcpts);
	free(m->env.sender);
	free(m->env.sender_domain);
	free(m->env.auth_login);
	for (i = 0; i < m->hdrs.nseen; i++)
		free(m->hdrs.seen[i].name);
	free(m->hdrs.seen);
	for (i = 0; i < m->hdrs.n; i++) {
		free(m->hdrs.list[i].name);
		free(m->hdrs.list[i].value);
	}
	free(m->hdrs.list);
	free(m->hdrs.tmpl_id);
	free(m->hdrs.tmpl_data);
	inbound_msg_free(m->inbound);
	free(m->result.auth_summary);
	free(m->hdrs.unsub_opt);
	free(m->hdrs.tracking_opt);
	free(m->hdrs.from);
	for (i = 0; i < m->env.nfeedback; i++)
		free(m->env.feedback_rcpts[i]);
	free(m->env.feedback_rcpts);
	policy_edits_free(&m->edits);
	engine_plan_free(m);
	mime_parse_close(&m->content.parsed);
	bufstock_give(&m->content.kept);	/* a large buffer kept for the next message */
	strbuf_free(&m->hdrs.subject);
	free(m);
}

void policy_msg_set_queue_id(struct policy_msg *m, const char *queue_id)
{
	if (queue_id != NULL && *queue_id != '\0')
		snprintf(m->queue_id, sizeof m->queue_id, "%s", queue_id);
}

/* Picks the sending account: AUTH login, local account, trusted network. */
static const struct account *engine_account(struct policy_msg *m, const char *auth_login,
					    bool *unknown_login)
{
	const struct account_db *db = m->conn->snap->accounts;
	const struct ses_config *conf = m->conn->snap->conf;
	const struct account *a;

	*unknown_login = false;
	if (auth_login != NULL && *auth_login != '\0') {
		a = account_by_login(db, auth_login);
		if (a == NULL)
			*unknown_login = true;
		return a;
	}
	if (m->conn->local)
		return *conf->local_account ? account_by_name(db, conf->local_account) : NULL;
	if (m->conn->have_sa)
		return account_by_addr(db, (const struct sockaddr *)&m->conn->client_sa);
	return NULL;
}

enum policy_action policy_mail(struct policy_msg *m, const char *sender,
			       const char *auth_login, struct policy_decision *d)
{
	struct strbuf local = STRBUF_INIT, domain = STRBUF_INIT;
	bool unknown_login;
	enum address_status st;

	m->env.sender = engine_strdup(sender);
	st = address_split(sender, &local, &domain);
	m->env.sender_domain = engine_strdup(st == ADDRESS_OK ? strbuf_cstr(&domain) : "");
	strbuf_free(&local);
	strbuf_free(&domain);
	if (auth_login != NULL && *auth_login != '\0')
		m->env.auth_login = engine_strdup(auth_login);

	m->account = engine_account(m, auth_login, &unknown_login);
	if (unknown_login) {
		decision_set(d, POLICY_REJECT, "account", "550", "5.7.1",
			     "OperationDenied.AccountNotFound login %s has no sending account",
			     auth_login);
		engine_decide(m, d);
		return d->action;
	}
	m->flow = m->account != NULL ? &engine_outbound_flow : &engine_inbound_flow;
	m->mode = m->flow->mode;
	return m->flow->mail(m, d);
}

enum policy_action policy_rcpt(struct policy_msg *m, const char *rcpt,
			       struct policy_decision *d)
{
	return m->flow->rcpt(m, rcpt, d);
}

enum policy_action policy_header(struct policy_msg *m, const char *name,
				 const char *value, struct policy_decision *d)
{
	struct strbuf raw = STRBUF_INIT;
	enum policy_action a;

	/* an MTA without SMFIP_HDR_LEADSPC removes one blank, never a tab */
	if (*value != '\t')
		strbuf_appendc(&raw, ' ');
	strbuf_appends(&raw, value);
	a = m->flow->header(m, name, value, strbuf_cstr(&raw), d);
	strbuf_free(&raw);
	return a;
}

enum policy_action policy_header_raw(struct policy_msg *m, const char *name,
				     const char *raw, struct policy_decision *d)
{
	return m->flow->header(m, name, raw + (*raw == ' '), raw, d);
}

enum policy_action policy_eoh(struct policy_msg *m, struct policy_decision *d)
{
	return m->flow->eoh(m, d);
}

enum policy_action policy_body(struct policy_msg *m, const unsigned char *chunk,
			       size_t len, struct policy_decision *d)
{
	return m->flow->body(m, chunk, len, d);
}

enum policy_action policy_eom(struct policy_msg *m, struct policy_decision *d)
{
	m->flow->eom(m, d);
	engine_decide(m, d);
	engine_plan_build(m, d);
	return d->action;
}

enum policy_action policy_finish(struct policy_msg *m, bool applied, struct policy_decision *d)
{
	if (m->result.finished) {
		*d = m->result.final;
		return d->action;
	}
	m->result.finished = true;
	if (!applied && !decision_is_refusal(&m->result.final)) {
		/* nothing leaves: the MTA keeps the message and its client retries */
		decision_ses(&m->result.final, "edit", SES_ERR_SERVICE_UNAVAILABLE,
			     "could not change the message, try again later");
		m->result.decided = true;
	}
	*d = m->result.final;
	if (decision_is_refusal(d) || d->action == POLICY_DISCARD)
		engine_release(m, ENGINE_ALL_RCPTS);
	else
		engine_keep(m);
	if (!m->result.logged)
		policy_msg_summary(m, policy_action_name(d->action));
	return d->action;
}

void policy_msg_abort(struct policy_msg *m)
{
	if (m == NULL || m->result.finished)
		return;
	m->result.finished = true;
	engine_release(m, ENGINE_ALL_RCPTS);	/* nothing kept: give it all back */
	if (!m->result.logged &&
	    (m->env.nrcpts > 0 || m->result.decided || m->mode == POLICY_MODE_OUTBOUND || m->inbound != NULL))
		policy_msg_summary(m, m->result.decided ? policy_action_name(m->result.final.action) : "aborted");
}
