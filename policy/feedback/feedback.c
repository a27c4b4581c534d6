/*
 * feedback - bounces, complaints and unsubscribes into entries; see
 * feedback.h.
 */
#include "autoconf.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "arf.h"
#include "dsn.h"
#include "entries.h"
#include "feedback.h"
#include "xalloc.h"
#include "store_tally.h"
#include "unsub_token.h"
#include "verp.h"

#define FEEDBACK_DAY_S 86400LL

enum feedback_addr feedback_classify(const struct mac_key *key, const char *rcpt)
{
	struct verp_info vi;
	struct unsub_info ui;
	enum verp_result vr;
	enum unsub_result ur;

	vr = verp_decode(key, rcpt, &vi);
	if (vr == VERP_OK)
		return FEEDBACK_ADDR_BOUNCE;
	if (vr != VERP_NOT_VERP)
		return FEEDBACK_ADDR_FORGED;
	memset(&ui, 0, sizeof ui);
	ur = unsub_mailto_verify(key, rcpt, &ui);
	unsub_info_free(&ui);
	if (ur == UNSUB_OK)
		return FEEDBACK_ADDR_UNSUB;
	return ur == UNSUB_NOT_TOKEN ? FEEDBACK_ADDR_NONE : FEEDBACK_ADDR_FORGED;
}

/* Records one entry; false (and r->store_failed) when nothing could be written. */
static bool feedback_record(const struct feedback_ctx *c, enum entry_kind kind, const char *scope,
			    const char *addr, struct feedback_result *r)
{
	struct entry_id id = { kind, scope, addr };
	struct entry_record rec;
	struct strbuf err = STRBUF_INIT;
	enum entries_write_result w;

	memset(&rec, 0, sizeof rec);
	rec.present = true;
	rec.stamp_us = c->now_us;
	rec.expires = kind == ENTRY_BLOCKLIST
			      ? c->now_us / 1000000 + c->blocklist_days * FEEDBACK_DAY_S
			      : 0;
	snprintf(rec.origin, sizeof rec.origin, "%s", c->origin);
	w = entries_write(c->store, c->journal_path, &id, &rec, &err);
	if (w == ENTRIES_WRITE_FAILED) {
		strbuf_appendf(&r->log, "cannot record %s of <%s>: %s\n", entry_kind_name(kind),
			       addr, strbuf_cstr(&err));
		r->store_failed = true;
	}
	strbuf_free(&err);
	return w != ENTRIES_WRITE_FAILED;
}

/* Passes one event to the context's emitter. */
static void feedback_emit(const struct feedback_ctx *c, enum event_type type,
			  enum event_bounce bounce, const char *email, const char *reason,
			  const char *domain, const char *msgid)
{
	const struct account *acct = account_by_domain(c->accounts, domain, NULL);
	struct feedback_note n = { type, bounce, email, reason != NULL ? reason : "", domain,
				   acct != NULL ? acct->name : NULL, msgid != NULL ? msgid : "" };

	if (c->emit != NULL)
		c->emit(c->emit_arg, &n);
}

/* "STATUS DIAGNOSTIC" of a DSN entry, into out. */
static const char *feedback_dsn_reason(const struct dsn_rcpt *rc, struct strbuf *out)
{
	strbuf_reset(out);
	strbuf_appendf(out, "%s%s%s", rc->status, rc->status[0] && rc->diagnostic[0] ? " " : "",
		       rc->diagnostic);
	return strbuf_cstr(out);
}

/* Formats the UTC day of t_s (seconds) as YYYYMMDD. */
static void feedback_day(int64_t t_s, char out[16])
{
	time_t t = (time_t)t_s;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 16, "%Y%m%d", &tm);
}

/* The counter prefix:ACCOUNT:DAY (days_ago before today) into *v; -1 when unknown. */
static int feedback_counter(const struct feedback_ctx *c, const char *prefix, const char *account,
			    int days_ago, uint64_t delta, uint64_t *v)
{
	struct strbuf key = STRBUF_INIT, val = STRBUF_INIT;
	char day[16];
	const char *parts[3] = { account, day, NULL };
	enum store_result res;

	feedback_day(c->now_us / 1000000 - days_ago * FEEDBACK_DAY_S, day);
	store_key(&key, prefix, parts);
	*v = 0;
	if (delta > 0) {
		res = store_count(c->store, strbuf_cstr(&key), delta, delta, 3 * FEEDBACK_DAY_S, v);
	} else {
		res = store_get_guarded(c->store, strbuf_cstr(&key), &val);
		if (res == STORE_OK) {
			*v = strtoull(strbuf_cstr(&val), NULL, 10);
			store_tally_note(strbuf_cstr(&key), *v);
		}
	}
	strbuf_free(&key);
	strbuf_free(&val);
	return res == STORE_OK || res == STORE_NOT_FOUND ? 0 : -1;
}

/* Counts a complaint about account's mail (warm-up reads it). */
static void feedback_count_complaint(const struct feedback_ctx *c, const struct account *acct)
{
	uint64_t n;

	feedback_counter(c, "cp", acct->name, 0, 1, &n);
}

/*
 * Counts a hard bounce of account and suspends it when its bounce rate
 * over today and yesterday reaches the limit on a large enough sample.
 */
static void feedback_account_bounce(const struct feedback_ctx *c, const struct account *acct,
				    struct feedback_result *r)
{
	uint64_t b0, b1, s0, s1;
	struct entry_id id = { ENTRY_SUSPENSION, acct->name, "" };
	bool already = false;

	if (feedback_counter(c, "bn", acct->name, 0, 1, &b0) != 0 || c->suspend_rate <= 0)
		return;
	if (feedback_counter(c, "bn", acct->name, 1, 0, &b1) != 0 ||
	    feedback_counter(c, "dq", acct->name, 0, 0, &s0) != 0 ||
	    feedback_counter(c, "dq", acct->name, 1, 0, &s1) != 0)
		return;
	if (s0 + s1 < (uint64_t)c->suspend_min ||
	    (b0 + b1) * 100 < (uint64_t)c->suspend_rate * (s0 + s1))
		return;
	if (entry_lookup(c->store, &id, &already) == STORE_OK && already)
		return;
	if (feedback_record(c, ENTRY_SUSPENSION, acct->name, "", r)) {
		r->suspended++;
		strbuf_appendf(&r->log, "account %s suspended: %" PRIu64 " hard bounces for %" PRIu64
			       " accepted recipients today and yesterday (limit %lld%%)\n",
			       acct->name, b0 + b1, s0 + s1, c->suspend_rate);
	}
}

/* The store key saying that message msgid went to rcpt, into out. */
static void feedback_sent_key(const struct mac_key *key, const char *msgid, const char *rcpt,
			      struct strbuf *out)
{
	struct strbuf norm = STRBUF_INIT;
	unsigned char h[VERP_RCPT_HASH_LEN];
	char id[VERP_MSGID_MAX + 1], hex[2 * VERP_RCPT_HASH_LEN + 1];
	const char *parts[] = { id, hex, NULL };
	size_t i;

	snprintf(id, sizeof id, "%s", msgid);
	verp_norm_rcpt(rcpt, &norm);
	verp_rcpt_hash(key, strbuf_cstr(&norm), h);
	for (i = 0; i < sizeof h; i++)
		snprintf(hex + 2 * i, 3, "%02x", h[i]);
	store_key(out, "vsent", parts);
	strbuf_free(&norm);
}

int feedback_note_rcpts(const struct mac_key *key, const struct store *store, const char *msgid,
			const char *const *rcpts, size_t n, struct strbuf *err)
{
	struct store_write_item *items = xcalloc(n ? n : 1, sizeof *items);
	struct strbuf *keys = xcalloc(n ? n : 1, sizeof *keys);
	size_t i, failed = 0, first = 0;

	for (i = 0; i < n; i++) {
		feedback_sent_key(key, msgid, rcpts[i], &keys[i]);
		items[i] = (struct store_write_item){ .op = STORE_W_SET, .key = strbuf_cstr(&keys[i]),
						      .val = "1", .len = 1,
						      .ttl = FEEDBACK_SENT_TTL };
	}
	if (n > 0)
		store_mwrite(store, items, n);
	for (i = n; i-- > 0;)
		if (items[i].result != STORE_OK) {
			failed++;
			first = i;
		}
	if (failed > 0)
		strbuf_appendf(err, "cannot record %zu of the %zu recipients of message %s "
			       "(<%s>: %s)", failed, n, msgid, rcpts[first],
			       store_result_name(items[first].result));
	for (i = 0; i < n; i++)
		strbuf_free(&keys[i]);
	free(keys);
	free(items);
	return failed > 0 ? -1 : 0;
}

/*
 * True when cand is a recipient vi's address accepts reports about: the
 * one it names, or, for a message-only address, one recorded by
 * feedback_note_rcpt.  A store that does not answer sets r->store_failed,
 * so the report is refused for now and comes again.
 */
static bool feedback_rcpt_ok(const struct feedback_ctx *c, const struct verp_info *vi,
			     const char *cand, struct feedback_result *r)
{
	struct strbuf k = STRBUF_INIT, v = STRBUF_INIT;
	enum store_result sr;

	if (vi->form != VERP_RCPT_NONE)
		return verp_rcpt_matches(c->key, vi, cand);
	feedback_sent_key(c->key, vi->msgid, cand, &k);
	sr = store_get(c->store, strbuf_cstr(&k), &v);
	strbuf_free(&k);
	strbuf_free(&v);
	if (sr == STORE_ERROR) {
		strbuf_appendf(&r->log, "cannot look up the recipients of message %s\n", vi->msgid);
		r->store_failed = true;
	}
	return sr == STORE_OK;
}

/* The report recipient that info's VERP address accepts, or NULL. */
static const char *feedback_dsn_rcpt(const struct feedback_ctx *c, const struct verp_info *vi,
				     const struct dsn_rcpt *rc, struct feedback_result *r)
{
	const char *cand[2] = { rc->final_recipient, rc->original_recipient };
	size_t i;

	for (i = 0; i < 2; i++) {
		if (cand[i][0] == '\0')
			continue;
		if (feedback_rcpt_ok(c, vi, cand[i], r))
			return cand[i];
	}
	return NULL;
}

/* A DSN to a VERP address: hard failures blocklisted. */
static void feedback_dsn(const struct feedback_ctx *c, const struct verp_info *vi,
			 const struct dsn_report *d, struct feedback_result *r)
{
	const struct account *acct = account_by_domain(c->accounts, vi->domain, NULL);
	struct strbuf why = STRBUF_INIT;
	size_t i;

	for (i = 0; i < d->n_rcpts; i++) {
		const struct dsn_rcpt *rc = &d->rcpts[i];
		const char *addr = feedback_dsn_rcpt(c, vi, rc, r);
		enum dsn_class cl = dsn_classify(rc);

		if (addr != NULL && cl != DSN_CLASS_UNKNOWN)
			feedback_emit(c,
				      cl == DSN_CLASS_DELIVERED		   ? EVENT_DELIVERED
				      : rc->action == DSN_ACTION_DELAYED ? EVENT_DEFERRED
									 : EVENT_BOUNCE,
				      cl == DSN_CLASS_HARD   ? EVENT_BOUNCE_HARD
				      : cl == DSN_CLASS_SOFT ? EVENT_BOUNCE_SOFT
							     : EVENT_BOUNCE_NONE,
				      addr, feedback_dsn_reason(rc, &why), vi->domain, vi->msgid);
		if (addr == NULL && r->store_failed) {
			r->ignored++;
		} else if (addr == NULL) {
			strbuf_appendf(&r->log, "bounce for message %s names <%s>, not its recipient: "
				       "ignored\n", vi->msgid, rc->final_recipient);
			r->ignored++;
		} else if (cl == DSN_CLASS_HARD) {
			if (feedback_record(c, ENTRY_BLOCKLIST, NULL, addr, r)) {
				r->blocklisted++;
				strbuf_appendf(&r->log, "bounce: <%s> %s (hard) for message %s: "
					       "blocklisted\n", addr, rc->status, vi->msgid);
			}
			if (acct != NULL)
				feedback_account_bounce(c, acct, r);
		} else if (cl == DSN_CLASS_SOFT) {
			r->deferred++;
			strbuf_appendf(&r->log, "deferred: <%s> %s for message %s\n", addr,
				       rc->status, vi->msgid);
		} else if (cl == DSN_CLASS_DELIVERED) {
			r->delivered++;
			strbuf_appendf(&r->log, "delivered: <%s> for message %s\n", addr, vi->msgid);
		} else {
			r->ignored++;
		}
	}
	strbuf_free(&why);
}

/* The complained-about recipient of an ARF report that vi accepts, or NULL. */
static const char *feedback_arf_rcpt(const struct feedback_ctx *c, const struct verp_info *vi,
				     const struct arf_report *a, struct feedback_result *r)
{
	size_t i;

	for (i = 0; i < a->original_rcpt_to.n; i++)
		if (feedback_rcpt_ok(c, vi, a->original_rcpt_to.v[i], r))
			return a->original_rcpt_to.v[i];
	if (a->orig.to != NULL && vi->form != VERP_RCPT_NONE &&
	    verp_rcpt_matches(c->key, vi, a->orig.to))
		return a->orig.to;
	return NULL;
}

/* A complaint to a VERP address: the recipient suppressed for the account. */
static void feedback_arf(const struct feedback_ctx *c, const struct verp_info *vi,
			 const struct arf_report *a, struct feedback_result *r)
{
	const struct account *acct = account_by_domain(c->accounts, vi->domain, NULL);
	const char *addr;

	if (!arf_type_is_complaint(a->type)) {
		strbuf_appendf(&r->log, "feedback report (%s) for message %s: nothing to do\n",
			       arf_type_name(a->type), vi->msgid);
		return;
	}
	addr = acct != NULL ? feedback_arf_rcpt(c, vi, a, r) : NULL;
	if (r->store_failed)
		return;
	if (acct == NULL || addr == NULL) {
		strbuf_appendf(&r->log, "complaint for message %s of %s: %s: ignored\n", vi->msgid,
			       vi->domain, acct == NULL ? "no account has the domain"
						    : "no recipient the address was made for");
		r->ignored++;
		return;
	}
	feedback_emit(c, EVENT_SPAMREPORT, EVENT_BOUNCE_NONE, addr, arf_type_name(a->type), vi->domain,
		      vi->msgid);
	feedback_count_complaint(c, acct);
	if (feedback_record(c, ENTRY_SUPPRESSION, acct->name, addr, r)) {
		r->suppressed++;
		strbuf_appendf(&r->log, "spamreport: <%s> (%s) for message %s: suppressed for "
			       "account %s\n", addr, arf_type_name(a->type), vi->msgid, acct->name);
	}
}

/*
 * True when the To value `to` names address rcpt ("<...>" or bare),
 * ASCII case ignored.  A forwarded DSN is only believed when it was sent
 * to the VERP address it arrived at: the sender's own content cannot hold
 * that address (its tag is made after the content), so a copy of a
 * customer message that an auto-reply returns cannot pass for one.
 */
bool feedback_to_names(const char *to, const char *rcpt)
{
	size_t n;
	const char *p;

	if (*rcpt == '<')
		rcpt++;
	n = strcspn(rcpt, ">");
	if (n == 0)
		return false;
	for (p = to; (p = strchr(p, '@')) != NULL; p++) {
		const char *start = p;

		while (start > to && strchr(" ,<:\"", start[-1]) == NULL)
			start--;
		if (strncasecmp(start, rcpt, n) == 0 &&
		    (start[n] == '\0' || strchr(" ,>;", start[n]) != NULL))
			return true;
	}
	return false;
}

static void feedback_bounce(const struct feedback_ctx *c, const char *rcpt, const char *msg,
			    size_t len, struct feedback_result *r)
{
	struct verp_info vi;
	struct dsn_report d;
	struct arf_report a;

	if (verp_decode(c->key, rcpt, &vi) != VERP_OK)
		return;
	if (dsn_parse(msg, len, &d) == DSN_OK && d.forwarded > 0 &&
	    !feedback_to_names(d.forwarded_to, rcpt)) {
		strbuf_appendf(&r->log, "forwarded bounce for message %s was not sent to its VERP "
			       "address: ignored\n", vi.msgid);
		r->ignored++;
	} else if (d.n_rcpts > 0) {
		feedback_dsn(c, &vi, &d, r);
	} else if (arf_parse(msg, len, &a) == ARF_OK) {
		feedback_arf(c, &vi, &a, r);
		arf_report_free(&a);
	} else {
		arf_report_free(&a);
		strbuf_appendf(&r->log, "mail to the VERP address of message %s is neither a "
			       "DSN nor a feedback report: ignored\n", vi.msgid);
		r->ignored++;
	}
	dsn_report_free(&d);
}

/* The address inside a From value ("Name <a@b>" or "a@b"), into out. */
static void feedback_from_addr(const char *from, struct strbuf *out)
{
	const char *lt = strrchr(from, '<'), *gt;

	if (lt != NULL && (gt = strchr(lt, '>')) != NULL)
		strbuf_append(out, lt + 1, (size_t)(gt - lt - 1));
	else
		strbuf_appends(out, from);
}

static void feedback_unsubscribe(const struct feedback_ctx *c, const char *rcpt,
				 const char *env_sender, const char *from,
				 struct feedback_result *r)
{
	struct strbuf who = STRBUF_INIT;
	struct unsub_info ui;
	const char *addr = NULL;

	memset(&ui, 0, sizeof ui);
	if (unsub_mailto_verify(c->key, rcpt, &ui) != UNSUB_OK) {
		unsub_info_free(&ui);
		return;
	}
	if (!ui.rcpt_hashed) {
		addr = strbuf_cstr(&ui.rcpt);
	} else if (env_sender != NULL && unsub_rcpt_matches(c->key, &ui, env_sender)) {
		verp_norm_rcpt(env_sender, &who);
		addr = strbuf_cstr(&who);
	} else if (from != NULL) {
		feedback_from_addr(from, &who);
		if (unsub_rcpt_matches(c->key, &ui, strbuf_cstr(&who)))
			addr = strbuf_cstr(&who);
	}
	if (addr == NULL) {
		strbuf_appendf(&r->log, "unsubscribe request for %s from a mailbox the token was "
			       "not made for: ignored\n", ui.domain);
		r->ignored++;
	} else {
		feedback_emit(c, EVENT_UNSUBSCRIBE, EVENT_BOUNCE_NONE, addr, "", ui.domain, "");
		if (feedback_record(c, ENTRY_UNSUBSCRIBE, ui.domain, addr, r)) {
			r->unsubscribed++;
			strbuf_appendf(&r->log, "unsubscribe: <%s> from %s\n", addr, ui.domain);
		}
	}
	strbuf_free(&who);
	unsub_info_free(&ui);
}

void feedback_handle(const struct feedback_ctx *c, const char *rcpt, const char *env_sender,
		     const char *from, const char *msg, size_t len, struct feedback_result *r)
{
	switch (feedback_classify(c->key, rcpt)) {
	case FEEDBACK_ADDR_BOUNCE:
		feedback_bounce(c, rcpt, msg, len, r);
		break;
	case FEEDBACK_ADDR_UNSUB:
		feedback_unsubscribe(c, rcpt, env_sender, from, r);
		break;
	default:
		break;
	}
}

int feedback_verp_sender(const struct mac_key *key, const char *domain, const char *msgid,
			 const char *rcpt, struct strbuf *out)
{
	struct strbuf err = STRBUF_INIT;
	char id[VERP_MSGID_MAX + 1];
	int rc;

	snprintf(id, sizeof id, "%s", msgid);
	rc = verp_encode(key, domain, id, rcpt, out, NULL, &err);
	strbuf_free(&err);
	return rc;
}

int feedback_list_unsubscribe(const struct mac_key *key, const char *domain, const char *rcpt,
			      const char *account, const char *url_base, struct strbuf *out)
{
	struct strbuf mailto = STRBUF_INIT, url = STRBUF_INIT, err = STRBUF_INIT;
	const char *acct = account != NULL && strlen(account) <= UNSUB_MAILTO_ACCOUNT_MAX ? account
											 : NULL;
	int rc = unsub_mailto_make(key, domain, rcpt, acct, &mailto, &err);

	if (rc == 0 && url_base != NULL && *url_base != '\0')
		rc = unsub_url_make(key, domain, rcpt, acct, &url, &err);
	if (rc == 0) {
		strbuf_appendf(out, "<mailto:%s>", strbuf_cstr(&mailto));
		if (url.len > 0)
			strbuf_appendf(out, ", <%s%s%s>", url_base,
				       url_base[strlen(url_base) - 1] == '/' ? "" : "/",
				       strbuf_cstr(&url));
	}
	strbuf_free(&mailto);
	strbuf_free(&url);
	strbuf_free(&err);
	return rc;
}

int feedback_unsubscribe_link(const struct mac_key *key, const char *domain, const char *rcpt,
			      const char *account, const char *url_base, struct strbuf *out)
{
	struct strbuf tok = STRBUF_INIT, err = STRBUF_INIT;
	const char *acct = account != NULL && strlen(account) <= UNSUB_MAILTO_ACCOUNT_MAX ? account
											 : NULL;
	bool url = url_base != NULL && *url_base != '\0';
	int rc = url ? unsub_url_make(key, domain, rcpt, acct, &tok, &err)
		     : unsub_mailto_make(key, domain, rcpt, acct, &tok, &err);

	if (rc == 0 && url)
		strbuf_appendf(out, "%s%s%s", url_base,
			       url_base[strlen(url_base) - 1] == '/' ? "" : "/", strbuf_cstr(&tok));
	else if (rc == 0)
		strbuf_appendf(out, "mailto:%s", strbuf_cstr(&tok));
	strbuf_free(&tok);
	strbuf_free(&err);
	return rc;
}

int feedback_unsubscribe_url(const struct feedback_ctx *c, const char *token,
			     struct feedback_result *r)
{
	struct unsub_info ui;
	int rc = 1;

	memset(&ui, 0, sizeof ui);
	if (unsub_url_verify(c->key, token, &ui) == UNSUB_OK && !ui.rcpt_hashed) {
		feedback_emit(c, EVENT_UNSUBSCRIBE, EVENT_BOUNCE_NONE, strbuf_cstr(&ui.rcpt), "",
			      ui.domain, "");
		rc = -1;
		if (feedback_record(c, ENTRY_UNSUBSCRIBE, ui.domain, strbuf_cstr(&ui.rcpt), r)) {
			r->unsubscribed++;
			strbuf_appendf(&r->log, "unsubscribe: <%s> from %s (one-click)\n",
				       strbuf_cstr(&ui.rcpt), ui.domain);
			rc = 0;
		}
	} else {
		strbuf_appends(&r->log, "unsubscribe request with a token that is not ours: "
					"ignored\n");
		r->ignored++;
	}
	unsub_info_free(&ui);
	return rc;
}
