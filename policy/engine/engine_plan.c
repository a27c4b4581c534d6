/*
 * engine_plan - the end-of-message plan: a read-only view of what the
 * caller must change in a message that goes through (recipients to
 * delete, a new sender, NOTIFY re-adds, header edits, a new body, the
 * hold queue), built by policy_eom() from the decision and the planned
 * edits.  The caller applies it and reports with policy_finish(); it
 * never reads the engine's own lists.
 */
#include "autoconf.h"

#include <stdlib.h>

#include "engine_plan.h"
#include "xalloc.h"

/* The plan of a message that has none yet, or was refused. */
static const struct policy_plan engine_plan_empty;

/* The addresses of the recipients whose refused flag is refused; caller frees. */
static const char **engine_plan_rcpts(const struct policy_msg *m, bool refused, size_t *n)
{
	const char **out = xcalloc(m->env.nrcpts + 1, sizeof *out);
	size_t i;

	*n = 0;
	for (i = 0; i < m->env.nrcpts; i++)
		if (m->env.rcpts[i].refused == refused)
			out[(*n)++] = m->env.rcpts[i].addr;
	return out;
}

void engine_plan_build(struct policy_msg *m, const struct policy_decision *d)
{
	struct policy_plan *p;

	engine_plan_free(m);
	p = xcalloc(1, sizeof *p);
	m->plan = p;
	if (decision_is_refusal(d) || d->action == POLICY_DISCARD)
		return;
	/* local submission: the recipients refused at RCPT leave the message here */
	if (m->conn->local)
		p->delete_rcpts = engine_plan_rcpts(m, true, &p->ndelete);
	p->new_sender = m->edits.new_sender;
	if (m->edits.notify_success)
		p->notify_rcpts = engine_plan_rcpts(m, false, &p->nnotify);
	p->hdrs = m->edits.hdrs;
	p->nhdrs = m->edits.nhdrs;
	if (m->edits.replace_body) {
		p->body = strbuf_cstr(&m->edits.body);
		p->body_len = m->edits.body.len;
	}
	if (d->action == POLICY_HOLD)
		p->quarantine = m->result.final.text[0] ? m->result.final.text : "held by policy";
}

void engine_plan_free(struct policy_msg *m)
{
	if (m->plan == NULL)
		return;
	free((void *)m->plan->delete_rcpts);
	free((void *)m->plan->notify_rcpts);
	free(m->plan);
	m->plan = NULL;
}

const struct policy_plan *policy_msg_plan(const struct policy_msg *m)
{
	return m->plan != NULL ? m->plan : &engine_plan_empty;
}
