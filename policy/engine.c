/*
 * engine - runs the rule table over one SMTP session; see engine.h.
 *
 * The engine owns the message context: it selects the account, splits
 * addresses, counts size, decodes the Subject and counts attachments, so
 * that rules only compare.  It applies OnFailure to a rule that cannot
 * decide, and in local submission mode it turns recipient refusals into
 * end-of-message decisions.
 *
 * Diagnostics (all prefixed with the queue ID): "rule X failed: ...",
 * "Subject has N characters (over M)", the summary line (engine_log.c).
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
#include "engine.h"
#include "inbound.h"
#include "mime_count.h"
#include "rfc2047.h"
#include "rule.h"
#include "sign.h"
#include "xalloc.h"

static char *engine_strdup(const char *s)
{
	return xstrdup(s != NULL ? s : "");
}

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

#define ENGINE_ALL_RCPTS ((size_t)-1)

void policy_msg_reserve(struct policy_msg *m, enum policy_resv_kind kind, const char *key)
{
	struct policy_resv *r = xrealloc(m->resv, (m->nresv + 1) * sizeof *m->resv);

	m->resv = r;
	r[m->nresv].key = engine_strdup(key);
	r[m->nresv].kind = kind;
	r[m->nresv].rcpt = m->nrcpts > 0 ? m->nrcpts - 1 : 0;
	m->nresv++;
}

/*
 * Gives back the reservations of recipient rcpt (ENGINE_ALL_RCPTS: all).
 * A give-back that fails is logged: the count then stays taken until it
 * expires, which errs on the side of the limit.
 */
static void engine_release(struct policy_msg *m, size_t rcpt)
{
	const struct store *st = policy_msg_store(m);
	size_t i = 0;

	while (i < m->nresv) {
		struct policy_resv *r = &m->resv[i];
		enum store_result res;

		if (rcpt != ENGINE_ALL_RCPTS && r->rcpt != rcpt) {
			i++;
			continue;
		}
		res = r->kind == POLICY_RESV_SLOT ? store_del(st, r->key)
						  : store_decr(st, r->key, 1, NULL);
		if (res == STORE_ERROR)
			policy_msg_log(m, PLOG_WARNING, "could not give back %s: %s", r->key,
				       store_result_name(res));
		free(r->key);
		*r = m->resv[--m->nresv];
	}
}

/* The message went through: its reservations become real counts. */
static void engine_keep(struct policy_msg *m)
{
	size_t i;

	for (i = 0; i < m->nresv; i++)
		free(m->resv[i].key);
	m->nresv = 0;
}

const struct store *policy_msg_store(const struct policy_msg *m)
{
	return &m->conn->snap->store;
}

int64_t policy_msg_now_us(const struct policy_msg *m)
{
	return policy_snapshot_now_us(m->conn->snap);
}

struct policy_msg *policy_msg_new(struct policy_conn *conn)
{
	struct policy_msg *m = xcalloc(1, sizeof *m);

	m->conn = conn;
	m->limits = conn->snap->conf->limits;
	m->attachments = -1;
	decision_clear(&m->final);
	conn->messages++;
	return m;
}

void policy_msg_free(struct policy_msg *m)
{
	size_t i;

	if (m == NULL)
		return;
	for (i = 0; i < m->nresv; i++)
		free(m->resv[i].key);
	free(m->resv);
	for (i = 0; i < m->nrcpts; i++) {
		free(m->rcpts[i].addr);
		free(m->rcpts[i].norm);
	}
	free(m->rcpts);
	free(m->sender);
	free(m->sender_domain);
	free(m->auth_login);
	for (i = 0; i < m->nseen; i++)
		free(m->seen[i].name);
	free(m->seen);
	for (i = 0; i < m->nheaders; i++) {
		free(m->headers[i].name);
		free(m->headers[i].value);
	}
	free(m->headers);
	free(m->tmpl_id);
	free(m->tmpl_data);
	inbound_msg_free(m->inbound);
	free(m->auth_summary);
	free(m->unsub_opt);
	free(m->from);
	for (i = 0; i < m->nfeedback; i++)
		free(m->feedback_rcpts[i]);
	free(m->feedback_rcpts);
	policy_edits_free(&m->edits);
	engine_plan_free(m);
	strbuf_free(&m->content);
	strbuf_free(&m->subject);
	free(m);
}

void policy_msg_set_queue_id(struct policy_msg *m, const char *queue_id)
{
	if (queue_id != NULL && *queue_id != '\0')
		snprintf(m->queue_id, sizeof m->queue_id, "%s", queue_id);
}

void policy_msg_log(const struct policy_msg *m, enum plog_level level, const char *fmt, ...)
{
	char line[1800];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	plog_msg(m->conn->log, level, "%s: %s", m->queue_id[0] ? m->queue_id : "NOQUEUE", line);
}

/* Sets the message-level decision (the first refusal sticks). */
static void engine_decide(struct policy_msg *m, const struct policy_decision *d)
{
	if (m->decided && decision_is_refusal(&m->final))
		return;
	m->final = *d;
	m->decided = true;
	if (decision_is_refusal(d) || d->action == POLICY_DISCARD)
		engine_release(m, ENGINE_ALL_RCPTS);
}

/* Turns a rule that could not decide into the configured failure action. */
static void engine_rule_error(struct policy_msg *m, const struct rule *r,
			      struct policy_decision *d)
{
	policy_msg_log(m, PLOG_ERR, "rule %s could not decide: %s", r->name,
		       d->text[0] ? d->text : "no reason given");
	m->rule_failed = true;
	if (m->conn->snap->conf->on_failure == CONFIG_FAIL_ACCEPT) {
		decision_plain(d, POLICY_CONTINUE, r->name);
		return;
	}
	decision_ses(d, r->name, SES_ERR_SERVICE_UNAVAILABLE, "try again later");
}

/* Runs the rules for ev->stage until one refuses; d holds the outcome. */
static enum policy_action engine_run(struct policy_msg *m, const struct rule_event *ev,
				     struct policy_decision *d)
{
	size_t i;

	decision_clear(d);
	if (m->mode != POLICY_MODE_OUTBOUND)
		return POLICY_CONTINUE;
	for (i = 0; i < rule_table_len; i++) {
		const struct rule *r = rule_table[i];
		enum rule_result res;

		if ((r->stages & ev->stage) == 0)
			continue;
		decision_clear(d);
		res = r->check(m, ev, d);
		if (res == RULE_ERROR)
			engine_rule_error(m, r, d);
		else if (res == RULE_PASS)
			decision_clear(d);
		if (d->action != POLICY_CONTINUE)
			return d->action;
	}
	decision_clear(d);
	return POLICY_CONTINUE;
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
	struct rule_event ev = { .stage = RULE_STAGE_MAIL };
	bool unknown_login;
	enum address_status st;

	m->sender = engine_strdup(sender);
	st = address_split(sender, &local, &domain);
	m->sender_domain = engine_strdup(st == ADDRESS_OK ? strbuf_cstr(&domain) : "");
	strbuf_free(&local);
	strbuf_free(&domain);
	if (auth_login != NULL && *auth_login != '\0')
		m->auth_login = engine_strdup(auth_login);

	m->account = engine_account(m, auth_login, &unknown_login);
	if (unknown_login) {
		decision_set(d, POLICY_REJECT, "account", "550", "5.7.1",
			     "OperationDenied.AccountNotFound login %s has no sending account",
			     auth_login);
		engine_decide(m, d);
		return d->action;
	}
	if (m->account == NULL) {
		m->mode = POLICY_MODE_INBOUND;
		if (engine_inbound_start(m) || engine_feedback_active(m)) {
			decision_clear(d);
			return POLICY_CONTINUE;
		}
		decision_plain(d, POLICY_ACCEPT, "inbound");
		return d->action;
	}
	m->mode = POLICY_MODE_OUTBOUND;
	m->limits = m->account->limits;
	m->buffering = true;
	if (engine_run(m, &ev, d) != POLICY_CONTINUE)
		engine_decide(m, d);
	return d->action;
}

/* Appends a recipient record; returns it. */
static struct policy_rcpt *engine_add_rcpt(struct policy_msg *m, const char *rcpt)
{
	struct strbuf norm = STRBUF_INIT;
	struct policy_rcpt *r;

	r = xrealloc(m->rcpts, (m->nrcpts + 1) * sizeof *m->rcpts);
	m->rcpts = r;
	r = &m->rcpts[m->nrcpts++];
	memset(r, 0, sizeof *r);
	r->addr = engine_strdup(rcpt);
	address_normalize(rcpt, &norm);
	r->norm = strbuf_detach(&norm);
	decision_clear(&r->why);
	return r;
}

enum policy_action policy_rcpt(struct policy_msg *m, const char *rcpt,
			       struct policy_decision *d)
{
	struct rule_event ev = { .stage = RULE_STAGE_RCPT, .rcpt = rcpt };
	struct policy_rcpt *r;

	if (m->mode != POLICY_MODE_OUTBOUND) {
		if (engine_feedback_rcpt(m, rcpt, d) == POLICY_CONTINUE)
			m->naccepted++;
		return d->action;
	}
	r = engine_add_rcpt(m, rcpt);
	ev.rcpt_norm = r->norm;
	engine_run(m, &ev, d);
	if (d->action == POLICY_HOLD && !m->hold) {
		/* accepted, but the message goes to the hold queue */
		m->hold = true;
		m->hold_why = *d;
	}
	if (d->action == POLICY_CONTINUE || d->action == POLICY_HOLD) {
		m->naccepted++;
		decision_clear(d);
		return POLICY_CONTINUE;
	}
	engine_release(m, m->nrcpts - 1);
	r->refused = true;
	r->why = *d;
	if (m->conn->local) {
		/* non-SMTP submission: the MTA cannot refuse one recipient now */
		decision_clear(d);
		return POLICY_CONTINUE;
	}
	return d->action;
}

/* Counts (and keeps, while buffering) bytes of the message as it streams. */
static void engine_count(struct policy_msg *m, const void *data, size_t len)
{
	m->size += len;
	if (!m->buffering)
		return;
	if (m->size > (unsigned long long)m->limits.max_message_size) {
		/* over the limit: the size rule refuses; keep nothing more */
		m->buffering = false;
		strbuf_free(&m->content);
		return;
	}
	strbuf_append(&m->content, data, len);
}

/* Counts a header as the line it is in the message: CRLF line ends. */
static void engine_count_header(struct policy_msg *m, const char *name, const char *value)
{
	const char *p, *nl;

	engine_count(m, name, strlen(name));
	engine_count(m, ": ", 2);
	for (p = value; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
		size_t n = (size_t)(nl - p);

		if (n > 0 && p[n - 1] == '\r')
			n--;
		engine_count(m, p, n);
		engine_count(m, "\r\n", 2);
	}
	engine_count(m, p, strlen(p));
	engine_count(m, "\r\n", 2);
}

/* Decodes the first Subject header for the subject rule and the logs. */
static void engine_subject(struct policy_msg *m, const char *value)
{
	struct strbuf unfolded = STRBUF_INIT;

	if (m->subjects++ > 0)
		return;
	rfc2047_unfold(value, strlen(value), &unfolded);
	m->subject_status = (int)rfc2047_decode(unfolded.data ? unfolded.data : "",
						 unfolded.len, &m->subject);
	if (m->subject_status == RFC2047_OK)
		m->subject_chars = utf8_chars(m->subject.data ? m->subject.data : "",
					      m->subject.len);
	strbuf_free(&unfolded);
}

/*
 * A header: value as the policy sees it, raw exactly as received (for the
 * DKIM verifier only).
 */
static enum policy_action engine_header(struct policy_msg *m, const char *name,
					const char *value, const char *raw,
					struct policy_decision *d)
{
	struct rule_event ev = { .stage = RULE_STAGE_HEADER, .header_name = name,
				 .header_value = value };
	unsigned long long before;

	if (m->mode != POLICY_MODE_OUTBOUND) {
		if (m->buffering)
			engine_count_header(m, name, value);
		if (m->inbound == NULL && m->buffering)
			policy_msg_note_header(m, name, value, 0);
		engine_inbound_header(m, name, value, raw);
		decision_clear(d);
		return POLICY_CONTINUE;
	}
	before = m->size;
	engine_count_header(m, name, value);
	policy_msg_note_header(m, name, value, (size_t)(m->size - before));
	if (strcasecmp(name, "Subject") == 0)
		engine_subject(m, value);
	if (engine_run(m, &ev, d) != POLICY_CONTINUE)
		engine_decide(m, d);
	return d->action;
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
	a = engine_header(m, name, value, strbuf_cstr(&raw), d);
	strbuf_free(&raw);
	return a;
}

enum policy_action policy_header_raw(struct policy_msg *m, const char *name,
				     const char *raw, struct policy_decision *d)
{
	return engine_header(m, name, raw + (*raw == ' '), raw, d);
}

enum policy_action policy_eoh(struct policy_msg *m, struct policy_decision *d)
{
	struct rule_event ev = { .stage = RULE_STAGE_EOH };

	if (m->mode != POLICY_MODE_OUTBOUND) {
		if (m->buffering)
			engine_count(m, "\r\n", 2);
		engine_inbound_eoh(m);
		decision_clear(d);
		return POLICY_CONTINUE;
	}
	engine_count(m, "\r\n", 2);
	if (engine_run(m, &ev, d) != POLICY_CONTINUE)
		engine_decide(m, d);
	return d->action;
}

enum policy_action policy_body(struct policy_msg *m, const unsigned char *chunk,
			       size_t len, struct policy_decision *d)
{
	struct rule_event ev = { .stage = RULE_STAGE_BODY, .body_len = len };

	if (m->mode != POLICY_MODE_OUTBOUND) {
		if (m->buffering)
			engine_count(m, chunk, len);
		engine_inbound_body(m, chunk, len);
		decision_clear(d);
		return POLICY_CONTINUE;
	}
	engine_count(m, chunk, len);
	if (engine_run(m, &ev, d) != POLICY_CONTINUE)
		engine_decide(m, d);
	return d->action;
}

/*
 * Local submission: the message is judged whole, by the reply a client
 * would have got first over SMTP, in this order: too many recipients
 * refuses it (550 5.5.3: deleting the extra recipients would drop them
 * without telling the sender); a temporary refusal of any recipient
 * defers it (the MTA retries it); other permanently refused recipients
 * are deleted, and a message left with none is refused.
 */
static enum policy_action engine_local_recipients(struct policy_msg *m,
						  struct policy_decision *d)
{
	const struct policy_rcpt *count = NULL, *temp = NULL, *perm = NULL;
	size_t i;

	for (i = 0; i < m->nrcpts; i++) {
		const struct policy_rcpt *r = &m->rcpts[i];

		if (!r->refused)
			continue;
		if (r->why.rule != NULL && strcmp(r->why.rule, rule_rcpt_count.name) == 0) {
			if (count == NULL)
				count = r;
		} else if (r->why.action == POLICY_TEMPFAIL) {
			if (temp == NULL)
				temp = r;
		} else if (perm == NULL) {
			perm = r;
		}
	}
	if (count != NULL || temp != NULL || (perm != NULL && m->naccepted == 0)) {
		*d = count != NULL ? count->why : temp != NULL ? temp->why : perm->why;
		return d->action;
	}
	decision_clear(d);
	return POLICY_CONTINUE;
}

/* The outbound decision at end of message, and the edits it plans. */
static void engine_outbound_eom(struct policy_msg *m, struct policy_decision *d)
{
	struct rule_event ev = { .stage = RULE_STAGE_EOM };
	struct policy_decision signd;
	unsigned count;

	if (m->buffering &&
	    mime_guard_check(m->content.data, m->content.len, &m->mime) == MIME_GUARD_OK &&
	    mime_count_attachments(strbuf_cstr(&m->content), m->content.len, &count) == 0)
		m->attachments = (int)count;
	if (engine_run(m, &ev, d) == POLICY_CONTINUE && m->conn->local)
		engine_local_recipients(m, d);
	if (d->action == POLICY_CONTINUE && m->hold)
		*d = m->hold_why;
	if (d->action == POLICY_CONTINUE)
		decision_plain(d, POLICY_ACCEPT, "policy");
	if (!decision_is_refusal(d)) {
		policy_msg_remove_control_headers(m);
		engine_feedback_outbound(m);
		if (policy_sign(m, &signd) != POLICY_CONTINUE)
			*d = signd;
	}
}

enum policy_action policy_eom(struct policy_msg *m, struct policy_decision *d)
{
	if (m->mode != POLICY_MODE_OUTBOUND) {
		engine_inbound_eom(m, d);
		if (!decision_is_refusal(d))
			engine_feedback_inbound_eom(m, d);
	} else {
		engine_outbound_eom(m, d);
	}
	engine_decide(m, d);
	engine_plan_build(m, d);
	return d->action;
}

enum policy_action policy_finish(struct policy_msg *m, bool applied, struct policy_decision *d)
{
	if (m->finished) {
		*d = m->final;
		return d->action;
	}
	m->finished = true;
	if (!applied && !decision_is_refusal(&m->final)) {
		/* nothing leaves: the MTA keeps the message and its client retries */
		decision_ses(&m->final, "edit", SES_ERR_SERVICE_UNAVAILABLE,
			     "could not change the message, try again later");
		m->decided = true;
	}
	*d = m->final;
	if (decision_is_refusal(d) || d->action == POLICY_DISCARD)
		engine_release(m, ENGINE_ALL_RCPTS);
	else
		engine_keep(m);
	if (!m->logged)
		policy_msg_summary(m, policy_action_name(d->action));
	return d->action;
}

void policy_msg_abort(struct policy_msg *m)
{
	if (m == NULL || m->finished)
		return;
	m->finished = true;
	engine_release(m, ENGINE_ALL_RCPTS);	/* nothing kept: give it all back */
	if (!m->logged &&
	    (m->nrcpts > 0 || m->decided || m->mode == POLICY_MODE_OUTBOUND || m->inbound != NULL))
		policy_msg_summary(m, m->decided ? policy_action_name(m->final.action) : "aborted");
}
