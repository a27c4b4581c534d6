/*
 * engine_outbound - the outbound flow (engine_flow.h): an account sending.
 *
 * Every stage runs the rule table's rules for that stage until one
 * refuses; a rule that cannot decide gets OnFailure, never a silent pass.
 * The flow keeps what the rules compare: the recipients, the decoded
 * Subject, the attachment count.  At end of message it plans the edits
 * (control headers removed, VERP sender, List-Unsubscribe, the template's
 * body, the DKIM signature).  In local submission mode recipient refusals
 * cannot be given at RCPT, so they are kept and decided at end of message.
 *
 * Diagnostics (prefixed with the queue ID): "rule X could not decide: ...".
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "address.h"
#include "engine_feedback.h"
#include "engine_track.h"
#include "engine_flow.h"
#include "mime_count.h"
#include "prefetch.h"
#include "rfc2047.h"
#include "rule.h"
#include "sign.h"
#include "xalloc.h"

/* Turns a rule that could not decide into the configured failure action. */
static void outbound_rule_error(struct policy_msg *m, const struct rule *r,
				struct policy_decision *d)
{
	policy_msg_log(m, PLOG_ERR, "rule %s could not decide: %s", r->name,
		       d->text[0] ? d->text : "no reason given");
	m->result.rule_failed = true;
	if (m->conn->snap->conf->on_failure == CONFIG_FAIL_ACCEPT) {
		decision_plain(d, POLICY_CONTINUE, r->name);
		return;
	}
	decision_ses(d, r->name, SES_ERR_SERVICE_UNAVAILABLE, "try again later");
}

/*
 * Runs the rules for ev->stage until one refuses; d holds the outcome and
 * *by (when not NULL) the rule that refused.
 */
static enum policy_action outbound_run(struct policy_msg *m, const struct rule_event *ev,
				       struct policy_decision *d, const struct rule **by)
{
	size_t i;

	if (by != NULL)
		*by = NULL;
	for (i = 0; i < rule_table_len; i++) {
		const struct rule *r = rule_table[i];
		enum rule_result res;

		if ((r->stages & ev->stage) == 0)
			continue;
		decision_clear(d);
		res = r->check(m, ev, d);
		if (res == RULE_ERROR)
			outbound_rule_error(m, r, d);
		else if (res == RULE_PASS)
			decision_clear(d);
		if (d->action != POLICY_CONTINUE) {
			if (by != NULL)
				*by = r;
			return d->action;
		}
	}
	decision_clear(d);
	return POLICY_CONTINUE;
}

/* Runs a stage's rules; a refusal becomes the message's decision. */
static enum policy_action outbound_stage(struct policy_msg *m, const struct rule_event *ev,
					 struct policy_decision *d)
{
	if (outbound_run(m, ev, d, NULL) != POLICY_CONTINUE)
		engine_decide(m, d);
	return d->action;
}

static enum policy_action outbound_mail(struct policy_msg *m, struct policy_decision *d)
{
	struct rule_event ev = { .stage = RULE_STAGE_MAIL };

	m->limits = m->account->limits;
	m->content.buffering = true;
	return outbound_stage(m, &ev, d);
}

/* Appends a recipient record; returns it. */
static struct policy_rcpt *outbound_add_rcpt(struct policy_msg *m, const char *rcpt)
{
	struct strbuf norm = STRBUF_INIT;
	struct policy_rcpt *r;

	r = xrealloc(m->env.rcpts, (m->env.nrcpts + 1) * sizeof *m->env.rcpts);
	m->env.rcpts = r;
	r = &m->env.rcpts[m->env.nrcpts++];
	memset(r, 0, sizeof *r);
	r->addr = engine_strdup(rcpt);
	address_normalize(rcpt, &norm);
	r->norm = strbuf_detach(&norm);
	decision_clear(&r->why);
	return r;
}

/*
 * Reads every key the RCPT rules will read in one multi-get (prefetch.h):
 * one request per memcached server instead of one per lookup.  Then the
 * reserving rules plan their writes, sent together when the first check
 * asks for its answer.
 */
static void outbound_prefetch(struct policy_msg *m, const struct rule_event *ev,
			      struct prefetch *p)
{
	size_t i;

	for (i = 0; i < rule_table_len; i++) {
		const struct rule *r = rule_table[i];

		if ((r->stages & ev->stage) != 0 && r->prefetch != NULL)
			r->prefetch(m, ev, p);
	}
	if (p->n > 0)
		prefetch_run(p, policy_msg_store(m));
	p->store = policy_msg_store(m);
	m->prefetch = p;
	for (i = 0; i < rule_table_len; i++) {
		const struct rule *r = rule_table[i];

		if ((r->stages & ev->stage) != 0 && r->reserve != NULL)
			r->reserve(m, ev, p);
	}
}

static enum policy_action outbound_rcpt(struct policy_msg *m, const char *rcpt,
					struct policy_decision *d)
{
	struct prefetch pf = PREFETCH_INIT;
	struct rule_event ev = { .stage = RULE_STAGE_RCPT, .rcpt = rcpt };
	const struct rule *by;
	struct policy_rcpt *r;

	r = outbound_add_rcpt(m, rcpt);
	ev.rcpt_norm = r->norm;
	outbound_prefetch(m, &ev, &pf);
	outbound_run(m, &ev, d, &by);
	prefetch_settle(&pf);
	m->prefetch = NULL;
	prefetch_free(&pf);
	if (d->action == POLICY_HOLD && !m->result.hold) {
		/* accepted, but the message goes to the hold queue */
		m->result.hold = true;
		m->result.hold_why = *d;
	}
	if (d->action == POLICY_CONTINUE || d->action == POLICY_HOLD) {
		m->env.naccepted++;
		decision_clear(d);
		return POLICY_CONTINUE;
	}
	engine_release(m, m->env.nrcpts - 1);
	r->refused = true;
	r->refuses_message = by != NULL && by->refuses_message;
	r->why = *d;
	if (m->conn->local) {
		/* non-SMTP submission: the MTA cannot refuse one recipient now */
		decision_clear(d);
		return POLICY_CONTINUE;
	}
	return d->action;
}

/* Decodes the first Subject header for the subject rule and the logs. */
static void outbound_subject(struct policy_msg *m, const char *value)
{
	struct strbuf unfolded = STRBUF_INIT;

	if (m->hdrs.subjects++ > 0)
		return;
	rfc2047_unfold(value, strlen(value), &unfolded);
	m->hdrs.subject_status = (int)rfc2047_decode(unfolded.data ? unfolded.data : "",
						 unfolded.len, &m->hdrs.subject);
	if (m->hdrs.subject_status == RFC2047_OK)
		m->hdrs.subject_chars = utf8_chars(m->hdrs.subject.data ? m->hdrs.subject.data : "",
					      m->hdrs.subject.len);
	strbuf_free(&unfolded);
}

static enum policy_action outbound_header(struct policy_msg *m, const char *name,
					  const char *value, const char *raw,
					  struct policy_decision *d)
{
	struct rule_event ev = { .stage = RULE_STAGE_HEADER, .header_name = name,
				 .header_value = value };
	unsigned long long before = m->content.size;

	(void)raw;	/* only the inbound DKIM verifier needs the field as received */
	engine_count_header(m, name, value);
	policy_msg_note_header(m, name, value, (size_t)(m->content.size - before));
	if (strcasecmp(name, "Subject") == 0)
		outbound_subject(m, value);
	return outbound_stage(m, &ev, d);
}

static enum policy_action outbound_eoh(struct policy_msg *m, struct policy_decision *d)
{
	struct rule_event ev = { .stage = RULE_STAGE_EOH };

	engine_count(m, "\r\n", 2);
	return outbound_stage(m, &ev, d);
}

static enum policy_action outbound_body(struct policy_msg *m, const unsigned char *chunk,
					size_t len, struct policy_decision *d)
{
	struct rule_event ev = { .stage = RULE_STAGE_BODY, .body_len = len };

	engine_count(m, chunk, len);
	return outbound_stage(m, &ev, d);
}

/*
 * Local submission: the message is judged whole, by the reply a client
 * would have got first over SMTP, in this order: a refusal by a rule that
 * refuses the whole message (too many recipients, 550 5.5.3: deleting the
 * extra recipients would drop them without telling the sender); a
 * temporary refusal of any recipient defers it (the MTA retries it); other
 * permanently refused recipients are deleted, and a message left with none
 * is refused.
 */
static enum policy_action outbound_local_recipients(struct policy_msg *m,
						    struct policy_decision *d)
{
	const struct policy_rcpt *whole = NULL, *temp = NULL, *perm = NULL;
	size_t i;

	for (i = 0; i < m->env.nrcpts; i++) {
		const struct policy_rcpt *r = &m->env.rcpts[i];

		if (!r->refused)
			continue;
		if (r->refuses_message) {
			if (whole == NULL)
				whole = r;
		} else if (r->why.action == POLICY_TEMPFAIL) {
			if (temp == NULL)
				temp = r;
		} else if (perm == NULL) {
			perm = r;
		}
	}
	if (whole != NULL || temp != NULL || (perm != NULL && m->env.naccepted == 0)) {
		*d = whole != NULL ? whole->why : temp != NULL ? temp->why : perm->why;
		return d->action;
	}
	decision_clear(d);
	return POLICY_CONTINUE;
}

static void outbound_eom(struct policy_msg *m, struct policy_decision *d)
{
	struct rule_event ev = { .stage = RULE_STAGE_EOM };
	struct policy_decision signd;
	struct strbuf *kept = &m->content.kept;

	/*
	 * One guard and at most one parse, for the count and the template's
	 * attachments; none for a message of one plain part (the guard
	 * says), whose body is replaced or signed as it is, unless custom
	 * content is to be tracked (its HTML is rewritten from the parse).
	 */
	if (m->content.buffering &&
	    mime_guard_check(kept->data, kept->len, &m->content.mime) == MIME_GUARD_OK) {
		if (m->content.mime.single && !engine_track_custom_wanted(m))
			m->content.attachments = 0;
		else if (mime_parse_open_checked(strbuf_cstr(kept), kept->len, &m->content.mime,
						 &m->content.parsed) == 0)
			m->content.attachments = (int)mime_count_parsed(&m->content.parsed);
	}
	if (outbound_run(m, &ev, d, NULL) == POLICY_CONTINUE && m->conn->local)
		outbound_local_recipients(m, d);
	/* custom content is tracked from the same parse, before signing */
	if (d->action == POLICY_CONTINUE)
		engine_track_custom(m);
	mime_parse_close(&m->content.parsed);
	if (d->action == POLICY_CONTINUE && m->result.hold)
		*d = m->result.hold_why;
	if (d->action == POLICY_CONTINUE)
		decision_plain(d, POLICY_ACCEPT, "policy");
	if (!decision_is_refusal(d)) {
		policy_msg_remove_control_headers(m);
		engine_feedback_outbound(m);
		if (policy_sign(m, &signd) != POLICY_CONTINUE)
			*d = signd;
	}
}

const struct engine_flow engine_outbound_flow = {
	.mode = POLICY_MODE_OUTBOUND,
	.mail = outbound_mail,
	.rcpt = outbound_rcpt,
	.header = outbound_header,
	.eoh = outbound_eoh,
	.body = outbound_body,
	.eom = outbound_eom,
};
