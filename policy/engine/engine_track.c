/*
 * engine_track - open and click tracking of a template's HTML part, and
 * of the HTML parts of custom content (mime/mime_rewrite).
 *
 * Tracking happens when TrackingUrl is set, the feedback key exists, the
 * account's Tracking asks for it, the message does not say
 * X-SES-Tracking: 0 and it goes to exactly one recipient.  The last rule
 * is {{unsubscribe_url}}'s: the body is rendered once per message, so a
 * message to several recipients cannot carry per-recipient links, and it
 * leaves untracked rather than with links that name nobody.
 *
 * Links the rewriter (template/tmpl_track) offers are declined here when
 * they are the unsubscribe link (or under UnsubscribeUrl), already a
 * tracking link, or cannot be sealed (track_token: too long, blanks).
 *
 * Custom content (an account with the custom-content permission sends
 * its own MIME) is tracked on the same terms, in every text/html body
 * part mime_rewrite finds; untracked, it is left byte for byte (its
 * data-ses-track attributes too).  Tracking never refuses a message: one
 * that cannot be rewritten (not parsed, would pass the size limit) goes
 * as it came.
 *
 * Diagnostics: "tracking: N links, M left, pixel" at debug level (for
 * custom content with ", K HTML parts, L left"); "tracking: custom
 * content left untracked: WHY" (debug); "tracking: cannot seal: REASON"
 * (warning; the message goes untracked).
 */
#include "autoconf.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "account.h"
#include "engine_feedback.h"
#include "engine_track.h"
#include "mime_rewrite.h"
#include "policy_msg.h"
#include "snapshot.h"
#include "tmpl_track.h"
#include "track_token.h"

struct engine_track_ctx {
	const struct policy_msg *m;
	unsigned long tmpl_id;	/* 0 for custom content */
	const char *rcpt;
	struct strbuf base;	/* TrackingUrl for this sender domain, no '/' at the end */
	struct strbuf unsub;	/* the recipient's unsubscribe link, or "" */
	int64_t now_s;
	bool failed;
};

/* The tracking wanted: an ACCOUNT_TRACK_* mask, 0 for none. */
static int engine_track_wanted(const struct policy_msg *m)
{
	const struct policy_snapshot *snap = m->conn->snap;
	const char *opt = m->hdrs.tracking_opt;

	if (snap->feedback_key == NULL || *snap->conf->tracking_url == '\0' ||
	    m->account == NULL || m->env.sender_domain == NULL || *m->env.sender_domain == '\0' ||
	    m->queue_id[0] == '\0')
		return 0;
	if (opt != NULL && (strcmp(opt, "0") == 0 || strcasecmp(opt, "off") == 0 ||
			    strcasecmp(opt, "no") == 0))
		return 0;
	return m->account->tracking;
}

/* Appends TrackingUrl with %d replaced by domain and no trailing '/'. */
static void engine_track_base(const char *url, const char *domain, struct strbuf *out)
{
	const char *p;

	for (p = url; *p != '\0'; p++) {
		if (p[0] == '%' && p[1] == 'd') {
			strbuf_appends(out, domain);
			p++;
		} else {
			strbuf_appendc(out, *p);
		}
	}
	while (out->len > 0 && out->data[out->len - 1] == '/')
		out->data[--out->len] = '\0';
}

/* Appends BASE/KIND/TOKEN for kind; 0, or -1 after logging. */
static int engine_track_link(struct engine_track_ctx *c, enum track_kind kind, const char *url,
			     struct strbuf *out)
{
	const struct policy_msg *m = c->m;
	struct strbuf err = STRBUF_INIT;
	struct track_info info;
	size_t before = out->len;
	int rc;

	rc = track_info_set(&info, kind, m->queue_id, c->rcpt, m->account->name,
			    m->env.sender_domain, c->tmpl_id, c->now_s, url, &err);
	if (rc == 0) {
		strbuf_appendf(out, "%s/%c/", strbuf_cstr(&c->base), kind == TRACK_OPEN ? 'o' : 'c');
		rc = track_make(m->conn->snap->feedback_key, &info, out, &err);
	}
	if (rc != 0) {
		out->len = before;
		if (out->data != NULL)
			out->data[before] = '\0';
		/* a long or odd URL is expected; anything else is worth a line */
		if (kind == TRACK_OPEN)
			c->failed = true;
		policy_msg_log(m, kind == TRACK_OPEN ? PLOG_WARNING : PLOG_DEBUG,
			       "tracking: cannot seal: %s", strbuf_cstr(&err));
	}
	strbuf_free(&err);
	return rc;
}

/* The rewriter's link hook. */
static int engine_track_click(void *arg, const char *url, struct strbuf *out)
{
	struct engine_track_ctx *c = arg;
	const char *unsub_base = c->m->conn->snap->conf->unsubscribe_url;

	if ((c->unsub.len > 0 && strcmp(url, strbuf_cstr(&c->unsub)) == 0) ||
	    (*unsub_base != '\0' && strncmp(url, unsub_base, strlen(unsub_base)) == 0) ||
	    strncmp(url, strbuf_cstr(&c->base), c->base.len) == 0)
		return -1;
	return engine_track_link(c, TRACK_CLICK, url, out);
}

/*
 * Sets up c and hooks for the tracking wanted (an ACCOUNT_TRACK_* mask,
 * not 0); the pixel's URL goes into pixel.  false when the message must
 * go untracked.
 */
static bool engine_track_begin(struct engine_track_ctx *c, int wanted,
			       struct tmpl_track_hooks *hooks, struct strbuf *pixel)
{
	const struct policy_msg *m = c->m;

	engine_track_base(m->conn->snap->conf->tracking_url, m->env.sender_domain, &c->base);
	(void)engine_feedback_unsub_link(m, &c->unsub);
	if (wanted & ACCOUNT_TRACK_CLICK)
		hooks->link = engine_track_click;
	if ((wanted & ACCOUNT_TRACK_OPEN) && engine_track_link(c, TRACK_OPEN, NULL, pixel) == 0)
		hooks->pixel_url = strbuf_cstr(pixel);
	return !c->failed;
}

static void engine_track_ctx_init(struct engine_track_ctx *c, const struct policy_msg *m,
				  unsigned long tmpl_id)
{
	c->m = m;
	c->tmpl_id = tmpl_id;
	c->rcpt = engine_feedback_only_rcpt(m);
	strbuf_init(&c->base);
	strbuf_init(&c->unsub);
	c->now_s = policy_snapshot_now_us(m->conn->snap) / 1000000;
	c->failed = false;
}

static void engine_track_ctx_free(struct engine_track_ctx *c)
{
	strbuf_free(&c->base);
	strbuf_free(&c->unsub);
}

void engine_track_html(const struct policy_msg *m, const struct tmpl *t, struct strbuf *html)
{
	int wanted = engine_track_wanted(m);
	struct engine_track_ctx c;
	struct strbuf pixel = STRBUF_INIT, out = STRBUF_INIT;
	struct tmpl_track_hooks hooks = { NULL, &c, NULL };
	struct tmpl_track_count n;

	engine_track_ctx_init(&c, m, t->id);
	if (c.rcpt == NULL)
		wanted = 0;
	/* untracked, the part still loses its data-ses-track attributes */
	if (html->len == 0 || (wanted == 0 && strcasestr(html->data, TMPL_TRACK_ATTR) == NULL)) {
		engine_track_ctx_free(&c);
		return;
	}
	if (wanted == 0 || engine_track_begin(&c, wanted, &hooks, &pixel)) {
		tmpl_track_html(html->data, html->len, &hooks, &out, &n);
		policy_msg_log(m, PLOG_DEBUG, "tracking: %zu links, %zu left%s", n.tracked,
			       n.untracked, n.pixel ? ", pixel" : "");
		strbuf_reset(html);
		strbuf_append(html, out.data, out.len);
	}
	strbuf_free(&out);
	strbuf_free(&pixel);
	engine_track_ctx_free(&c);
}

/* What the rewriter did over all the HTML parts of custom content. */
struct engine_track_parts {
	const struct tmpl_track_hooks *hooks;
	struct tmpl_track_count n;
};

/* mime_rewrite's function: one HTML part. */
static int engine_track_part(void *arg, const char *html, size_t len, struct strbuf *out)
{
	struct engine_track_parts *p = arg;
	struct tmpl_track_count n;

	tmpl_track_html(html, len, p->hooks, out, &n);
	p->n.tracked += n.tracked;
	p->n.untracked += n.untracked;
	p->n.pixel = p->n.pixel || n.pixel;
	return 0;
}

/* The size of the message with body rw instead of the one received. */
static unsigned long long engine_track_size(const struct policy_msg *m,
					    const struct mime_rewritten *rw)
{
	unsigned long long size = m->hdrs.bytes + 2 + rw->body.len;

	if (rw->top_cte != NULL)
		size += strlen("Content-Transfer-Encoding: \r\n") + strlen(rw->top_cte);
	return size;
}

/* Plans the tracked body of custom content, or says why not. */
static void engine_track_plan(struct policy_msg *m, const struct tmpl_track_hooks *hooks)
{
	const struct policy_msg_content *ct = &m->content;
	struct engine_track_parts parts = { hooks, { 0, 0, false } };
	struct mime_rewritten rw;
	int rc;

	rc = mime_rewrite_html(&ct->parsed, ct->kept.data, ct->kept.len, m->hdrs.bytes + 2,
			       engine_track_part, &parts, &rw);
	if (rc < 0) {
		policy_msg_log(m, PLOG_DEBUG, "tracking: custom content left untracked: "
			       "MIME parts out of place");
	} else if (rc == 0) {
		policy_msg_log(m, PLOG_DEBUG, "tracking: custom content left untracked: "
			       "no HTML part to track (%u left)", rw.left);
	} else if (engine_track_size(m, &rw) > (unsigned long long)m->limits.max_message_size) {
		policy_msg_log(m, PLOG_DEBUG, "tracking: custom content left untracked: "
			       "tracked it would exceed %lld bytes", m->limits.max_message_size);
	} else {
		if (rw.top_cte != NULL)
			policy_msg_set_header(m, "Content-Transfer-Encoding", rw.top_cte);
		policy_msg_replace_body(m, rw.body.data, rw.body.len);
		policy_msg_log(m, PLOG_DEBUG, "tracking: %zu links, %zu left%s, %u HTML parts, "
			       "%u left", parts.n.tracked, parts.n.untracked,
			       parts.n.pixel ? ", pixel" : "", rw.parts, rw.left);
	}
	mime_rewritten_free(&rw);
}

bool engine_track_custom_wanted(const struct policy_msg *m)
{
	return engine_track_wanted(m) != 0 && m->account->custom_content && !m->edits.replace_body;
}

void engine_track_custom(struct policy_msg *m)
{
	int wanted = engine_track_wanted(m);
	struct engine_track_ctx c;
	struct strbuf pixel = STRBUF_INIT;
	struct tmpl_track_hooks hooks = { NULL, &c, NULL };

	if (!engine_track_custom_wanted(m))
		return;
	if (m->content.parsed.message == NULL || m->content.kept.data == NULL ||
	    m->hdrs.bytes + 2 > m->content.kept.len) {
		policy_msg_log(m, PLOG_DEBUG, "tracking: custom content left untracked: "
			       "MIME not parsed");
		return;
	}
	engine_track_ctx_init(&c, m, 0);
	if (c.rcpt != NULL && engine_track_begin(&c, wanted, &hooks, &pixel))
		engine_track_plan(m, &hooks);
	strbuf_free(&pixel);
	engine_track_ctx_free(&c);
}
