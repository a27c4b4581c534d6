/*
 * engine - runs the rule table over one SMTP session.
 *
 * Two contexts with clear lifetimes:
 *   policy_conn  connect .. close: client identity, the snapshot in force;
 *   policy_msg   MAIL .. end of message or abort: sender, recipients,
 *                counters, the decision so far.
 * Each stage function returns the decision for that stage; the caller (the
 * milter adapter, or a unit test) turns it into a reply.  MAIL FROM picks
 * the message's flow, outbound (an account sending) or inbound, and each
 * later stage runs that flow's step (engine_flow.h).  In local
 * submission mode (sendmail(1), Postfix non_smtpd_milters) recipient
 * refusals cannot be given at RCPT, so they are kept and decided at end of
 * message (see policy_eom()).
 *
 * A message ends in one of two ways, each writing the summary line, the
 * events and the counters exactly once:
 *   policy_eom() -> plan -> the caller applies it -> policy_finish(applied)
 *   policy_msg_abort()  (client abort, a new MAIL, close, a refusal
 *                        before end of message)
 * policy_msg_free() only frees memory.
 *
 * Nothing here knows libmilter: addresses arrive as strings, the client as
 * a sockaddr.  The contexts are opaque here; the engine, its flows and the
 * rules read them through policy_msg.h, which the adapter never includes.
 */
#ifndef SES_ENGINE_H
#define SES_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "decision.h"
#include "plog.h"
#include "snapshot.h"
#include "strbuf.h"

/* A header change for the adapter to make at end of message. */
struct policy_hdr_edit {
	char *name;
	unsigned index;			/* 1-based among headers of that name; 0: add */
	char *value;			/* NULL: delete */
	bool at_top;			/* insert before every other header */
};

/* A header of the message as received, in order. */
struct policy_header {
	char *name;
	char *value;			/* folding kept, CRLF line ends */
};

/*
 * A count taken in shared state for one recipient: given back if the
 * recipient or the message does not go through, kept once it does.
 */
enum policy_resv_kind {
	POLICY_RESV_SLOT,		/* an item to delete */
	POLICY_RESV_COUNTER,		/* a counter to decrement */
};

struct policy_conn;
struct policy_msg;

/*
 * Starts a connection.  sa may be NULL (unknown client).  local says the
 * MTA presents locally submitted mail.  Takes a snapshot reference.
 */
struct policy_conn *policy_conn_new(struct policy_snapshot *snap, const struct plog *log,
				    const char *client_name, const struct sockaddr *sa,
				    bool local);
void policy_conn_free(struct policy_conn *conn);

/* Records the client's HELO/EHLO argument (the last one counts). */
void policy_conn_set_helo(struct policy_conn *conn, const char *helo);

/* True when the MTA's connect information means local submission. */
bool policy_is_local_submission(const char *client_name, const struct sockaddr *sa);

/* Begins a transaction; the previous one must have been freed. */
struct policy_msg *policy_msg_new(struct policy_conn *conn);
/*
 * Frees the message: memory only, no log line, no shared state.  End it
 * first with policy_finish() or policy_msg_abort(); reservations of a
 * message freed without either are left to expire.  NULL is allowed.
 */
void policy_msg_free(struct policy_msg *m);

/* Records the MTA's queue ID when it becomes known (may change). */
void policy_msg_set_queue_id(struct policy_msg *m, const char *queue_id);

/*
 * Stage functions: each sets d and returns d->action.  POLICY_CONTINUE
 * means go on; a refusal at RCPT refuses that recipient only.
 */
enum policy_action policy_mail(struct policy_msg *m, const char *sender,
			       const char *auth_login, struct policy_decision *d);
enum policy_action policy_rcpt(struct policy_msg *m, const char *rcpt,
			       struct policy_decision *d);
/*
 * A header: value as an MTA gives it without SMFIP_HDR_LEADSPC (one blank
 * after the colon removed).  The DKIM verifier of inbound mail is given
 * the field rebuilt with that blank (unless value starts with a tab), the
 * form nearly every field has.
 */
enum policy_action policy_header(struct policy_msg *m, const char *name,
				 const char *value, struct policy_decision *d);
/*
 * A header exactly as received: raw is all of the field after the colon
 * (SMFIP_HDR_LEADSPC).  The DKIM verifier gets raw; everything else sees
 * it as policy_header would (one leading blank removed), so the policy
 * does not change with the MTA's way of passing headers.
 */
enum policy_action policy_header_raw(struct policy_msg *m, const char *name,
				     const char *raw, struct policy_decision *d);
enum policy_action policy_eoh(struct policy_msg *m, struct policy_decision *d);
enum policy_action policy_body(struct policy_msg *m, const unsigned char *chunk,
			       size_t len, struct policy_decision *d);
/*
 * End of message, first step: decides, and when the decision lets the
 * message through, plans what the caller must change in it (see
 * policy_msg_plan()).  Nothing is kept, logged or counted yet: the caller
 * applies the plan and then calls policy_finish().
 */
enum policy_action policy_eom(struct policy_msg *m, struct policy_decision *d);

/*
 * What the caller must do to the message before it may leave, in this
 * order.  Read-only; it points into the message and is valid until the
 * message is freed.  Empty (all NULL/0) when policy_eom() refused.
 */
struct policy_plan {
	const char *const *delete_rcpts;	/* remove (local submission refusals) */
	size_t ndelete;
	const char *new_sender;			/* change the envelope sender, or NULL */
	const char *const *notify_rcpts;	/* remove and re-add with NOTIFY=SUCCESS,FAILURE */
	size_t nnotify;
	const struct policy_hdr_edit *hdrs;	/* header changes, in order */
	size_t nhdrs;
	const char *body;			/* the new body (CRLF), or NULL: keep */
	size_t body_len;
	const char *quarantine;			/* hold: the reason, or NULL */
};

/* The plan of policy_eom() (an empty one before it). */
const struct policy_plan *policy_msg_plan(const struct policy_msg *m);

/*
 * End of message, last step: applied says whether the caller made every
 * change of the plan.  Keeps the reservations of a message that goes
 * through, gives them back otherwise, and writes the summary line, the
 * events and the counters.  When applying failed, the decision becomes
 * 451 4.3.0 (rule "edit").  Sets d to the reply to give; returns its
 * action.  Once per message; later calls only repeat the reply.
 */
enum policy_action policy_finish(struct policy_msg *m, bool applied, struct policy_decision *d);

/*
 * Ends a transaction that does not reach policy_finish(): the MTA aborted
 * it, the client began another, the connection closed, or a stage refused
 * the message.  Gives back every reservation and writes the summary line
 * and events once.  Does nothing after policy_finish(); NULL is allowed.
 */
void policy_msg_abort(struct policy_msg *m);

/* Records a reservation for the recipient being checked (rules call it). */
void policy_msg_reserve(struct policy_msg *m, enum policy_resv_kind kind, const char *key);

/* The shared-state store and the clock of the message's snapshot. */
const struct store *policy_msg_store(const struct policy_msg *m);
int64_t policy_msg_now_us(const struct policy_msg *m);

/* The control headers' prefix; all of them are removed before delivery. */
#define POLICY_CONTROL_PREFIX "X-SES-"

/* Notes a header for edits and the template headers (engine_edit.c). */
void policy_msg_note_header(struct policy_msg *m, const char *name, const char *value,
			    size_t bytes);
/* How many headers named name the message has, and their bytes. */
unsigned policy_msg_header_count(const struct policy_msg *m, const char *name, size_t *bytes);
/* Plans: name gets value (changing the first, deleting others, or adding). */
void policy_msg_set_header(struct policy_msg *m, const char *name, const char *value);
/* Plans the removal of every X-SES-* header. */
void policy_msg_remove_control_headers(struct policy_msg *m);
/* Plans the replacement of the body (the engine keeps a copy). */
void policy_msg_replace_body(struct policy_msg *m, const char *body, size_t len);
/* Plans a new envelope sender (smfi_chgfrom at end of message). */
void policy_msg_set_sender(struct policy_msg *m, const char *addr);
/* Plans the removal of the index-th (1-based) header named name. */
void policy_msg_delete_header(struct policy_msg *m, const char *name, unsigned index);
/* Plans a header inserted before all others (a signature). */
void policy_msg_insert_header(struct policy_msg *m, const char *name, const char *value);
/*
 * The headers as the message will leave: the received ones with the
 * planned edits applied.  *out points into m and the edits; valid until
 * they change.  Caller frees the array.
 */
size_t policy_msg_final_headers(const struct policy_msg *m, struct policy_header **out);
/* The body as it will leave: the new one if planned, else the received one. */
const char *policy_msg_final_body(const struct policy_msg *m, size_t *len);

/* Logging with the queue ID first; used by the engine and the rules. */
void policy_msg_log(const struct policy_msg *m, enum plog_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* The {{unsubscribe_url}} of the message's one recipient; 0, or -1 (several, no key). */
int engine_feedback_unsub_link(const struct policy_msg *m, struct strbuf *out);

#endif
