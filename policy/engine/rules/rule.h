/*
 * rule - the interface every policy rule implements, and the rule table.
 *
 * A rule has a name, the SMTP stages it looks at and a check.  The check
 * returns RULE_PASS (no objection), RULE_MATCH (it filled in a refusal) or
 * RULE_ERROR (it could not decide; the engine applies OnFailure, never a
 * silent pass).  Rules read the message context and never change the
 * counters the engine keeps; a rule that needs state of its own keeps it in
 * the per-message rule_state.  Adding a rule means adding a file and a row
 * in rules.c.
 *
 * Folder policy/engine/rules/ is part of the engine folder: the rules
 * see the message and plan its edits through policy_msg.h, never
 * through engine.h, and the outbound flow runs rule_table.
 */
#ifndef SES_RULE_H
#define SES_RULE_H

#include <stdbool.h>
#include <stddef.h>

#include "decision.h"

struct account;
struct policy_msg;
struct prefetch;

enum rule_stage {
	RULE_STAGE_MAIL = 1 << 0,
	RULE_STAGE_RCPT = 1 << 1,
	RULE_STAGE_HEADER = 1 << 2,
	RULE_STAGE_EOH = 1 << 3,
	RULE_STAGE_BODY = 1 << 4,
	RULE_STAGE_EOM = 1 << 5,
};

enum rule_result {
	RULE_PASS = 0,
	RULE_MATCH,
	RULE_ERROR,
};

/* What the current stage carries; fields not of this stage are NULL/0. */
struct rule_event {
	enum rule_stage stage;
	const char *rcpt;		/* RCPT: the address as given */
	const char *rcpt_norm;		/* RCPT: normalised (address_normalize) */
	const char *header_name;	/* HEADER */
	const char *header_value;	/* HEADER: as received, possibly folded */
	size_t body_len;		/* BODY: bytes in this chunk */
};

struct rule {
	const char *name;		/* short, for logs: "rcpt_count" */
	unsigned stages;		/* enum rule_stage bits */
	/*
	 * A refusal of one recipient refuses the whole message where
	 * recipients cannot be refused one by one (local submission): the
	 * recipient cannot be dropped without telling the sender.
	 */
	bool refuses_message;
	enum rule_result (*check)(struct policy_msg *m, const struct rule_event *ev,
				  struct policy_decision *d);
	/*
	 * RCPT, optional: adds the shared-state keys check will read to p,
	 * so the engine reads them all in one request (prefetch.h).
	 */
	void (*prefetch)(struct policy_msg *m, const struct rule_event *ev, struct prefetch *p);
	/*
	 * RCPT, optional: after the prefetch answered, plans the write check
	 * will make (prefetch_write), so the engine sends the recipient's
	 * writes together; check finds the answer with prefetch_written().
	 */
	void (*reserve)(struct policy_msg *m, const struct rule_event *ev, struct prefetch *p);
};

/* The rules of the outbound policy, in SMTP order. */
extern const struct rule *const rule_table[];
extern const size_t rule_table_len;

extern const struct rule rule_sender_domain;
extern const struct rule rule_suspended;
extern const struct rule rule_rcpt_count;
extern const struct rule rule_blocklist;
extern const struct rule rule_unsubscribed;
extern const struct rule rule_suppressed;
extern const struct rule rule_frequency;
extern const struct rule rule_rate;
extern const struct rule rule_quota;
extern const struct rule rule_subject;
extern const struct rule rule_size;
extern const struct rule rule_mime;
extern const struct rule rule_attachments;
extern const struct rule rule_template;

/* The account's daily quota: DailyQuota, or by reputation level. */
long long rule_quota_for(const struct account *a);

#endif
