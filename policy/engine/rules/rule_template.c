/*
 * rule_template - EOM: template-only content (SPEC section 4).
 *
 * An account without the custom-content permission sends templates only:
 * the message names one with X-SES-Template: ID and gives its variables
 * with X-SES-Template-Data: {JSON object of strings}.  The template must
 * be the account's and approved; the data must match its variables.  The
 * rule renders it and plans the edits that make the message the rendered
 * template: a new body (text and HTML as multipart/alternative, the
 * client's attachments kept; the HTML tracked by engine_track) and its MIME headers.  The engine removes
 * every X-SES-* header of every outbound message.  The size limit applies
 * to the message as it will leave.
 *
 * Refusals: 550 5.7.1 FailedOperation.WithOutPermission (no template),
 * 550 5.7.1 OperationDenied.TemplateStatusError (missing, another
 * account's, not approved), 550 5.6.0 InvalidParameterValue.
 * TemplateDataError / TemplateNotMatchData / TemplateDataLenLimit,
 * 552 5.3.4 FailedOperation.EmailContentToolarge after rendering.
 */
#include "autoconf.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine_feedback.h"
#include "engine_track.h"
#include "policy_msg.h"
#include "mime_build.h"
#include "rule.h"
#include "template.h"
#include "tmpl_render.h"

#define TEMPLATE_RULE "template"

/* Finds the template the message names; refuses when it may not be used. */
static const struct tmpl *template_find(struct policy_msg *m, struct policy_decision *d)
{
	const struct tmpl *t = NULL;
	unsigned long id = 0;
	char *end = NULL;

	if (m->hdrs.tmpl_id == NULL) {
		decision_ses(d, TEMPLATE_RULE, SES_ERR_WITHOUT_PERMISSION,
			     "account %s sends templates only: X-SES-Template is missing",
			     m->account->name);
		return NULL;
	}
	if (isdigit((unsigned char)m->hdrs.tmpl_id[0]))
		id = strtoul(m->hdrs.tmpl_id, &end, 10);
	if (end != NULL && *end == '\0')
		t = tmpl_by_id(m->conn->snap->templates, id);
	if (t == NULL || strcmp(t->account, m->account->name) != 0) {
		decision_ses(d, TEMPLATE_RULE, SES_ERR_TEMPLATE_STATUS,
			     "template %s does not exist for account %s", m->hdrs.tmpl_id,
			     m->account->name);
		return NULL;
	}
	if (t->status != TMPL_APPROVED) {
		decision_ses(d, TEMPLATE_RULE, SES_ERR_TEMPLATE_STATUS, "template %lu is %s%s%s", id,
			     t->status == TMPL_REJECTED ? "rejected" : "under review",
			     t->status == TMPL_REJECTED && *t->reason ? ": " : "",
			     t->status == TMPL_REJECTED ? t->reason : "");
		return NULL;
	}
	return t;
}

/* The refusal for a data or rendering problem. */
static enum rule_result template_data_refusal(enum tmpl_render_status st, const char *why,
					      struct policy_decision *d)
{
	enum ses_error err = st == TMPL_DATA_TOO_LONG ? SES_ERR_TEMPLATE_DATA_LEN
			     : st == TMPL_DATA_NOT_JSON ? SES_ERR_TEMPLATE_DATA
							: SES_ERR_TEMPLATE_NOT_MATCH_DATA;

	decision_ses(d, TEMPLATE_RULE, err, "%s", why);
	return RULE_MATCH;
}

/* The size the message will have once rendered. */
static unsigned long long template_final_size(const struct policy_msg *m,
					      const struct mime_built *b)
{
	static const char *const replaced[] = { "Content-Type", "Content-Transfer-Encoding",
						 "MIME-Version" };
	unsigned long long size = m->hdrs.bytes + 2 + b->body.len;
	size_t bytes, i;

	for (i = 0; i < m->hdrs.nseen; i++)
		if (strncasecmp(m->hdrs.seen[i].name, POLICY_CONTROL_PREFIX,
				strlen(POLICY_CONTROL_PREFIX)) == 0)
			size -= m->hdrs.seen[i].bytes;
	for (i = 0; i < sizeof replaced / sizeof replaced[0]; i++) {
		policy_msg_header_count(m, replaced[i], &bytes);
		size -= bytes;
	}
	size += strlen("Content-Type: \r\n") + b->content_type.len + strlen("MIME-Version: 1.0\r\n");
	if (b->transfer_encoding.len > 0)
		size += strlen("Content-Transfer-Encoding: \r\n") + b->transfer_encoding.len;
	return size;
}

/* Plans the edits that turn the message into the rendered template. */
static void template_plan(struct policy_msg *m, const struct mime_built *b)
{
	policy_msg_set_header(m, "MIME-Version", "1.0");
	policy_msg_set_header(m, "Content-Type", strbuf_cstr(&b->content_type));
	if (b->transfer_encoding.len > 0)
		policy_msg_set_header(m, "Content-Transfer-Encoding",
				      strbuf_cstr(&b->transfer_encoding));
	else if (policy_msg_header_count(m, "Content-Transfer-Encoding", NULL) > 0)
		policy_msg_set_header(m, "Content-Transfer-Encoding", "7bit");
	policy_msg_replace_body(m, b->body.data, b->body.len);
}

/* Sets {{unsubscribe_url}} to the recipient's own link (the service's, not the data's). */
static enum tmpl_render_status template_unsub_link(const struct policy_msg *m,
						   struct tmpl_data *td, struct strbuf *why)
{
	struct strbuf link = STRBUF_INIT;
	enum tmpl_render_status st = TMPL_RENDER_OK;

	if (engine_feedback_unsub_link(m, &link) == 0) {
		tmpl_data_set(td, TMPL_VAR_UNSUBSCRIBE, strbuf_cstr(&link));
	} else {
		strbuf_appends(why, "{{" TMPL_VAR_UNSUBSCRIBE "}} needs a message to exactly one "
				    "recipient");
		st = TMPL_DATA_NOT_MATCH;
	}
	strbuf_free(&link);
	return st;
}

/*
 * The new body: the attachments carried over from the parse made at end
 * of message (policy_msg_content); none from a message of one plain part
 * (not parsed: it has none); else from a parse of their own.
 */
static int template_build(const struct policy_msg *m, const char *text, const char *html,
			  struct mime_built *b)
{
	const struct policy_msg_content *c = &m->content;

	if (c->parsed.message != NULL)
		return mime_build_parsed(text, html, &c->parsed, c->kept.data, c->kept.len, b);
	if (c->mime.status == MIME_GUARD_OK && c->mime.single)
		return mime_build_parsed(text, html, NULL, c->kept.data, c->kept.len, b);
	return mime_build(text, html, c->kept.data, c->kept.len, b);
}

/* Renders t with the message's data into the planned edits. */
static enum rule_result template_apply(struct policy_msg *m, const struct tmpl *t,
				       struct policy_decision *d)
{
	struct strbuf why = STRBUF_INIT, text = STRBUF_INIT, html = STRBUF_INIT;
	const char *data = m->hdrs.tmpl_data != NULL ? m->hdrs.tmpl_data : "{}";
	struct tmpl_data td = { NULL, NULL, 0 };
	struct mime_built b;
	enum tmpl_render_status st;
	enum rule_result res = RULE_PASS;

	memset(&b, 0, sizeof b);
	st = tmpl_data_parse(data, strlen(data), &td, &why);
	if (st == TMPL_RENDER_OK && tmpl_uses_var(t, TMPL_VAR_UNSUBSCRIBE))
		st = template_unsub_link(m, &td, &why);
	if (st == TMPL_RENDER_OK)
		st = tmpl_render(t, &td, &text, &html, &why);
	if (st == TMPL_RENDER_OK)
		engine_track_html(m, t, &html);
	if (st != TMPL_RENDER_OK) {
		res = template_data_refusal(st, strbuf_cstr(&why), d);
	} else if (template_build(m, text.len ? text.data : NULL, html.len ? html.data : NULL,
				  &b) != 0) {
		decision_ses(d, TEMPLATE_RULE, SES_ERR_SERVICE_UNAVAILABLE, "could not build MIME");
		res = RULE_ERROR;
	} else if (template_final_size(m, &b) > (unsigned long long)m->limits.max_message_size) {
		decision_ses(d, TEMPLATE_RULE, SES_ERR_CONTENT_TOO_LARGE,
			     "rendered message exceeds %lld bytes", m->limits.max_message_size);
		res = RULE_MATCH;
	} else {
		template_plan(m, &b);
	}
	mime_built_free(&b);
	tmpl_data_free(&td);
	strbuf_free(&why);
	strbuf_free(&text);
	strbuf_free(&html);
	return res;
}

static enum rule_result template_check(struct policy_msg *m, const struct rule_event *ev,
				       struct policy_decision *d)
{
	const struct tmpl *t;

	if (m->account->custom_content)
		return RULE_PASS;
	t = template_find(m, d);
	if (t == NULL)
		return RULE_MATCH;
	return template_apply(m, t, d);
}

const struct rule rule_template = {
	.name = TEMPLATE_RULE,
	.stages = RULE_STAGE_EOM,
	.check = template_check,
};
