/*
 * engine_log - the one summary line written per message.
 *
 *   QUEUEID: summary account=acme submission=smtp client=host[192.0.2.1]
 *     from=<a@example.com> accepted=2 refused=1 size=1234 attachments=0
 *     subject_chars=12 decision=reject reply="550 5.6.0 ..." rule=subject
 *     refusals: <x@example.net> 452 4.5.3 FailedOperation.TooManyRecipients
 *
 * (one line in the log).  At most a few refused recipients are listed.
 * The transaction's events are written to the event log at the same
 * moment (engine_events.c).
 */
#include "autoconf.h"

#include "engine_events.h"
#include "engine_log.h"

#define SUMMARY_MAX_REFUSALS 5

void policy_msg_summary(struct policy_msg *m, const char *outcome)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i, listed = 0, refused = 0;

	m->result.logged = true;
	strbuf_appendf(&sb, "summary account=%s submission=%s client=%s[%s]",
		       m->account != NULL ? m->account->name : "-",
		       m->conn->local ? "local" : "smtp", m->conn->client_name,
		       m->conn->client_addr);
	if (m->env.auth_login != NULL)
		strbuf_appendf(&sb, " login=%s", m->env.auth_login);
	strbuf_appendf(&sb, " from=%s", m->env.sender != NULL ? m->env.sender : "-");
	for (i = 0; i < m->env.nrcpts; i++)
		refused += m->env.rcpts[i].refused;
	strbuf_appendf(&sb, " accepted=%zu refused=%zu size=%llu", m->env.naccepted, refused, m->content.size);
	if (m->content.attachments >= 0)
		strbuf_appendf(&sb, " attachments=%d", m->content.attachments);
	if (m->hdrs.subjects > 0)
		strbuf_appendf(&sb, " subject_chars=%zu", m->hdrs.subject_chars);
	if (m->result.auth_summary != NULL)
		strbuf_appendf(&sb, " %s", m->result.auth_summary);
	strbuf_appendf(&sb, " decision=%s", outcome);
	if (m->result.decided && decision_is_refusal(&m->result.final))
		strbuf_appendf(&sb, " reply=\"%s %s %s\" rule=%s", m->result.final.code, m->result.final.xcode,
			       m->result.final.text, m->result.final.rule != NULL ? m->result.final.rule : "-");
	for (i = 0; i < m->env.nrcpts; i++) {
		const struct policy_rcpt *r = &m->env.rcpts[i];

		if (!r->refused)
			continue;
		if (listed == SUMMARY_MAX_REFUSALS) {
			strbuf_appendf(&sb, "; and %zu more", refused - listed);
			break;
		}
		strbuf_appendf(&sb, "%s%s %s %s %s", listed == 0 ? " refusals: " : "; ",
			       r->addr, r->why.code, r->why.xcode, r->why.text);
		listed++;
	}
	policy_msg_log(m, PLOG_INFO, "%s", strbuf_cstr(&sb));
	strbuf_free(&sb);
	engine_events(m);
}
