/*
 * engine_events - the events of an outbound message's transaction,
 * written to the event log when its summary line is (SPEC section 7).
 *
 *   accepted  one per recipient of an accepted (or held) message;
 *   rejected  one per recipient refused at RCPT (or deleted at the end of
 *             a locally submitted message), with that recipient's reply as
 *             reason; one per remaining recipient of a refused message,
 *             with the message's reply; one without email when the message
 *             was refused before any recipient (at MAIL, say).
 *
 * A transaction the client abandoned gives only its refused recipients'
 * events.  Inbound mail and mail of no account give none.  Writing is
 * one open, one write and one close (no DNS, no network): delivering the
 * events to callback URLs is the daemon's delivery thread's work.
 *
 * The same recipients are counted in the shared daily counters of the
 * sender domain (stats.h): accepted, rejected, and requests (the two
 * together); a message refused before any recipient counts nothing.  Three
 * increments per message at most, whatever its number of recipients.
 *
 * Diagnostics: "QUEUEID: cannot log event: cannot write PATH: REASON"
 * and "QUEUEID: cannot count requests for DOMAIN: memcached did not
 * answer" (warnings); the message's outcome does not change.
 */
#include "autoconf.h"

#include <string.h>

#include "engine_events.h"
#include "events.h"
#include "stats.h"

/* Appends addr without blanks and angle brackets around it. */
static void engine_events_addr(const char *addr, struct strbuf *out)
{
	size_t len;

	if (addr == NULL)
		return;
	while (*addr == ' ' || *addr == '\t')
		addr++;
	len = strlen(addr);
	while (len > 0 && (addr[len - 1] == ' ' || addr[len - 1] == '\t'))
		len--;
	if (len >= 2 && addr[0] == '<' && addr[len - 1] == '>') {
		addr++;
		len -= 2;
	}
	strbuf_append(out, addr, len);
}

/* Appends "CODE X.Y.Z TEXT" of d. */
static void engine_events_reply(const struct policy_decision *d, struct strbuf *out)
{
	strbuf_appendf(out, "%s %s %s", d->code, d->xcode, d->text);
}

/* Writes one event of type for rcpt_addr (NULL: the message) with reason. */
static void engine_events_write(struct policy_msg *m, struct event *ev, enum event_type type,
				const char *rcpt_addr, const struct policy_decision *why)
{
	struct strbuf email = STRBUF_INIT, reason = STRBUF_INIT, json = STRBUF_INIT,
		      err = STRBUF_INIT;
	const struct policy_snapshot *snap = m->conn->snap;

	if (snap->events_path == NULL)
		return;
	engine_events_addr(rcpt_addr, &email);
	if (why != NULL)
		engine_events_reply(why, &reason);
	ev->type = type;
	ev->email = strbuf_cstr(&email);
	ev->reason = strbuf_cstr(&reason);
	event_new_id(ev);
	event_to_json(ev, &json);
	if (events_append(snap->events_path, json.data, json.len, snap->conf->event_log_sync,
			  &err) != 0)
		policy_msg_log(m, PLOG_WARNING, "cannot log event: %s", strbuf_cstr(&err));
	strbuf_free(&email);
	strbuf_free(&reason);
	strbuf_free(&json);
	strbuf_free(&err);
}

/* Adds the message's accepted and rejected recipients to the day counters. */
static void engine_events_count(struct policy_msg *m, int64_t t, uint64_t accepted,
				uint64_t rejected)
{
	static const enum stats_kind kinds[3] = { STATS_REQUESTS, STATS_ACCEPTED,
						  STATS_REJECTED };
	const struct store *st = policy_msg_store(m);
	const char *dom = m->env.sender_domain;
	const uint64_t ns[3] = { accepted + rejected, accepted, rejected };

	/*
	 * A rule already found the store not answering: counting now would
	 * only wait for it again (and keep its connections marked dead
	 * longer, delaying the recovery of the policy itself).
	 */
	if (dom == NULL || *dom == '\0' || accepted + rejected == 0 || m->result.rule_failed)
		return;
	/* one batch: a round trip per server, not one per counter */
	if (stats_add_batch(st, dom, t, kinds, ns, 3) != STORE_OK)
		policy_msg_log(m, PLOG_WARNING, "cannot count requests for %s: memcached did "
			       "not answer", dom);
}

void engine_events(struct policy_msg *m)
{
	uint64_t naccepted = 0, nrejected = 0;
	struct strbuf from = STRBUF_INIT;
	const struct policy_decision *msg_why = NULL;
	bool accepted = false;
	struct event ev;
	size_t i;

	if (m->mode != POLICY_MODE_OUTBOUND || m->account == NULL)
		return;
	if (m->result.decided && decision_is_refusal(&m->result.final))
		msg_why = &m->result.final;
	else if (m->result.decided)
		accepted = m->result.final.action == POLICY_ACCEPT || m->result.final.action == POLICY_HOLD;
	memset(&ev, 0, sizeof ev);
	engine_events_addr(m->env.sender, &from);
	ev.account = m->account->name;
	ev.message_id = m->queue_id;
	ev.timestamp = policy_msg_now_us(m) / 1000000;
	ev.from = strbuf_cstr(&from);
	ev.from_domain = m->env.sender_domain;
	ev.template_id = m->hdrs.tmpl_id;
	ev.subject = m->hdrs.subjects > 0 ? strbuf_cstr(&m->hdrs.subject) : NULL;
	for (i = 0; i < m->env.nrcpts; i++) {
		const struct policy_rcpt *r = &m->env.rcpts[i];

		if (r->refused || msg_why != NULL) {
			engine_events_write(m, &ev, EVENT_REJECTED, r->addr,
					    r->refused ? &r->why : msg_why);
			nrejected++;
		} else if (accepted) {
			engine_events_write(m, &ev, EVENT_ACCEPTED, r->addr, NULL);
			naccepted++;
		}
	}
	if (m->env.nrcpts == 0 && msg_why != NULL)
		engine_events_write(m, &ev, EVENT_REJECTED, NULL, msg_why);
	engine_events_count(m, ev.timestamp, naccepted, nrejected);
	strbuf_free(&from);
}
