/*
 * feedback - what comes back to the service, turned into policy
 * (SPEC section 7):
 *
 *   - a bounce (RFC 3464 DSN) sent to a VERP envelope sender (verp.h):
 *     a hard failure (5.x.x) puts the recipient on the global blocklist
 *     for BlocklistDays; delays and successes are counted and logged;
 *   - a complaint (RFC 5965 ARF report) sent to a VERP address: the
 *     recipient goes on the suppression list of the account that owns
 *     the sender domain;
 *   - a mail to an unsubscribe address (unsub_token.h, "u-...@domain"):
 *     (sender domain, recipient) goes on the unsubscribe list.
 *
 * Hard bounces and complaints are also counted per account and UTC day
 * ("bn:ACCOUNT:DAY", "cp:ACCOUNT:DAY", beside the quota's accepted count
 * "dq:ACCOUNT:DAY"; warm-up reads them too).  When an account's hard
 * bounces of today and yesterday reach SuspendBounceRate percent of its
 * accepted recipients of those days, and those number at least
 * SuspendMinSample, the account is suspended in shared state (as `sesctl
 * account suspend` does) until an operator resumes it.
 *
 * A VERP address that names a recipient only accepts reports about that
 * recipient; one naming only the message (several recipients) accepts
 * the listed recipients that feedback_note_rcpt recorded for the message
 * when it was sent (otherwise anyone who saw the address, any of its
 * recipients, could blocklist any address).  A hashed unsubscribe token is
 * matched against the envelope sender and the From address of the
 * request.  A DSN forwarded inside another message (dsn.h) counts only
 * when its To header names the VERP address it arrived at.  Addresses that look like ours but do not verify are
 * "forged": the engine refuses them at RCPT and nothing is recorded.
 *
 * Outbound, this module makes the VERP envelope sender and the
 * List-Unsubscribe header value (RFC 2369, RFC 8058).
 *
 * Diagnostics: each handled address appends lines to the result's log
 * ("bounce: <x@example.net> 5.1.1 blocklisted"), for the engine to log
 * with the queue ID.
 *
 * Folder policy/feedback/ (main header: this one): the feedback loop:
 * VERP senders and unsubscribe tokens (verp, unsub_token), the parsers
 * of what comes back (report, dsn, arf) and what it changes (feedback,
 * feedback_note).  It may include util/, events/, conf/, store/ and
 * snapshot/.
 */
#ifndef SES_FEEDBACK_H
#define SES_FEEDBACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "account.h"
#include "events.h"
#include "mac.h"
#include "store.h"
#include "strbuf.h"

enum feedback_addr {
	FEEDBACK_ADDR_NONE,	/* an ordinary address */
	FEEDBACK_ADDR_BOUNCE,	/* a VERP address of ours */
	FEEDBACK_ADDR_UNSUB,	/* an unsubscribe address of ours */
	FEEDBACK_ADDR_FORGED,	/* looks like one of ours but does not verify */
};

/* Classifies a recipient address as the MTA gives it ("<...>" or bare). */
enum feedback_addr feedback_classify(const struct mac_key *key, const char *rcpt);

/* An event that handling produced (SPEC section 7), for the event log. */
struct feedback_note {
	enum event_type type;		/* bounce, deferred, delivered, spamreport, unsubscribe */
	enum event_bounce bounce;	/* bounce: hard or soft */
	const char *email;		/* the recipient */
	const char *reason;		/* status and diagnostic, or "" */
	const char *domain;		/* the sender domain */
	const char *account;		/* its account, or NULL */
	const char *msgid;		/* the message (queue ID), or "" */
};

typedef void feedback_emit_fn(void *arg, const struct feedback_note *n);

/* What handling needs: the key, where entries go, the accounts, the time. */
struct feedback_ctx {
	const struct mac_key *key;
	const struct store *store;
	const char *journal_path;
	const struct account_db *accounts;
	long long blocklist_days;
	int64_t now_us;
	const char *origin;		/* this host, for the entries' records */
	long long suspend_rate;		/* percent of hard bounces that suspends; 0: never */
	long long suspend_min;		/* accepted recipients needed to judge */
	feedback_emit_fn *emit;		/* called per event; NULL: none */
	void *emit_arg;
};

struct feedback_result {
	unsigned blocklisted, suppressed, unsubscribed, deferred, delivered;
	unsigned ignored;		/* report entries that could not be used */
	unsigned suspended;		/* accounts suspended for their bounce rate */
	bool store_failed;		/* an entry could not be recorded at all */
	struct strbuf log;		/* one line per event, '\n'-separated */
};

/*
 * Handles the message msg[0..len) sent to rcpt (classified as BOUNCE or
 * UNSUB) with envelope sender env_sender and From header from (may be
 * NULL).  Adds to r (zero it first; free r->log with strbuf_free).
 */
void feedback_handle(const struct feedback_ctx *c, const char *rcpt, const char *env_sender,
		     const char *from, const char *msg, size_t len, struct feedback_result *r);

/*
 * True when a To header value names rcpt (a VERP address, "<...>" or
 * bare), ASCII case ignored: a DSN forwarded inside another message is
 * used only when it was sent to the address it came back to.
 */
bool feedback_to_names(const char *to, const char *rcpt);

struct policy_snapshot;
struct plog;

/*
 * Records n where feedback events go: the event log of snap and the
 * shared daily volumes (feedback_note.c).  what prefixes warnings (a
 * queue ID, "unsubscribe"); now_s is the event's time.
 */
void feedback_note_record(const struct policy_snapshot *snap, const struct plog *log,
			  const char *what, int64_t now_s, const struct feedback_note *n);

/*
 * Verifies a one-click unsubscribe token (the last path segment of an
 * UnsubscribeUrl link) and records (domain, recipient) with an event.
 * Returns 0 when recorded, 1 when the token is not one of ours (nothing
 * done), -1 when it could not be recorded.  r's log says which.
 */
int feedback_unsubscribe_url(const struct feedback_ctx *c, const char *token,
			     struct feedback_result *r);

/*
 * Appends the VERP envelope sender for a message from domain: msgid
 * (the queue ID; at most 20 bytes are used) and rcpt, the recipient when
 * the message has exactly one (NULL otherwise).  0, or -1 (out unchanged).
 */
int feedback_verp_sender(const struct mac_key *key, const char *domain, const char *msgid,
			 const char *rcpt, struct strbuf *out);

/*
 * Records in store that the message msgid (cut as feedback_verp_sender
 * cuts it) went to rcpts[0..n-1], for FEEDBACK_SENT_TTL seconds: a report
 * to the message's VERP address that names no recipient is accepted for
 * the recorded ones only.  One store_mwrite: a round trip per server for
 * all of them.  0, or -1 with the reason appended to err (the others are
 * still recorded).
 */
int feedback_note_rcpts(const struct mac_key *key, const struct store *store, const char *msgid,
			const char *const *rcpts, size_t n, struct strbuf *err);

#define FEEDBACK_SENT_TTL (30 * 86400)	/* memcached's longest relative expiry */

/*
 * Appends the List-Unsubscribe value for rcpt of a message from domain:
 * "<mailto:u-...@domain>", and ", <URL/u-...>" when url_base is not
 * empty.  0, or -1 (out unchanged).
 */
int feedback_list_unsubscribe(const struct mac_key *key, const char *domain, const char *rcpt,
			      const char *account, const char *url_base, struct strbuf *out);

/*
 * Appends the unsubscribe link for {{unsubscribe_url}}: URL/u-... when
 * url_base is not empty, else "mailto:u-...@domain".  0, or -1.
 */
int feedback_unsubscribe_link(const struct mac_key *key, const char *domain, const char *rcpt,
			      const char *account, const char *url_base, struct strbuf *out);

#endif
