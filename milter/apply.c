/*
 * apply - makes the changes of an end-of-message plan (policy_plan):
 * recipients deleted, a new envelope sender, recipients re-added with
 * NOTIFY, header edits, a new body, the hold queue, in that order.  It
 * goes through a table of operations (apply_ops), libmilter's in the
 * daemon and fakes in the unit tests, and reports whether every change
 * was made: the caller passes that to policy_finish(), which decides what
 * is kept, logged and counted.
 *
 * Diagnostics (errors, queue ID first): "cannot delete recipient ADDR",
 * "cannot change the envelope sender", "cannot ask for NOTIFY on ADDR",
 * "cannot change header NAME", "cannot replace the body", "cannot put
 * the message on hold".
 */
#include "autoconf.h"

#include "apply.h"

/* Local submission: the recipients the policy refused leave the message. */
static int apply_rcpts(const struct apply_ops *ops, void *ctx, const struct policy_plan *p,
		       const struct policy_msg *m)
{
	size_t i;

	for (i = 0; i < p->ndelete; i++) {
		if (ops->del_rcpt(ctx, p->delete_rcpts[i]) != 0) {
			policy_msg_log(m, PLOG_ERR, "cannot delete recipient %s", p->delete_rcpts[i]);
			return -1;
		}
	}
	return 0;
}

/* The new envelope sender, and the accepted recipients asking for NOTIFY. */
static int apply_envelope(const struct apply_ops *ops, void *ctx, const struct policy_plan *p,
			  const struct policy_msg *m)
{
	size_t i;

	if (p->new_sender != NULL) {
		struct strbuf from = STRBUF_INIT;
		int rc;

		strbuf_appendf(&from, "<%s>", p->new_sender);
		rc = ops->chg_from(ctx, strbuf_cstr(&from));
		strbuf_free(&from);
		if (rc != 0) {
			policy_msg_log(m, PLOG_ERR, "cannot change the envelope sender");
			return -1;
		}
	}
	for (i = 0; i < p->nnotify; i++) {
		if (ops->del_rcpt(ctx, p->notify_rcpts[i]) != 0 ||
		    ops->add_rcpt_par(ctx, p->notify_rcpts[i], "NOTIFY=SUCCESS,FAILURE") != 0) {
			policy_msg_log(m, PLOG_ERR, "cannot ask for NOTIFY on %s", p->notify_rcpts[i]);
			return -1;
		}
	}
	return 0;
}

/* The header changes in order, then the new body. */
static int apply_content(const struct apply_ops *ops, void *ctx, const struct policy_plan *p,
			 const struct policy_msg *m)
{
	size_t i;

	for (i = 0; i < p->nhdrs; i++) {
		const struct policy_hdr_edit *h = &p->hdrs[i];
		int rc = h->at_top ? ops->ins_header(ctx, h->name, h->value)
			 : h->index == 0 ? ops->add_header(ctx, h->name, h->value)
					 : ops->chg_header(ctx, h->name, h->index, h->value);

		if (rc != 0) {
			policy_msg_log(m, PLOG_ERR, "cannot change header %s", h->name);
			return -1;
		}
	}
	if (p->body != NULL && ops->replace_body(ctx, p->body, p->body_len) != 0) {
		policy_msg_log(m, PLOG_ERR, "cannot replace the body");
		return -1;
	}
	return 0;
}

int apply_plan(const struct apply_ops *ops, void *ctx, const struct policy_plan *p,
	       const struct policy_msg *m)
{
	if (apply_rcpts(ops, ctx, p, m) != 0 || apply_envelope(ops, ctx, p, m) != 0 ||
	    apply_content(ops, ctx, p, m) != 0)
		return -1;
	/* a message meant for the hold queue must not leave without it */
	if (p->quarantine != NULL && ops->quarantine(ctx, p->quarantine) != 0) {
		policy_msg_log(m, PLOG_ERR, "cannot put the message on hold");
		return -1;
	}
	return 0;
}
