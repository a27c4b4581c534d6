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
 *
 * Folder policy/engine/ (main header: this one): the engine that runs a
 * session (engine.c), its two flows (engine_outbound.c,
 * engine_inbound.c), its stage files (engine_edit, engine_feedback,
 * engine_log, engine_events, engine_plan, sign), the message context
 * they share (policy_msg), the decision value and the rules
 * (engine/rules/).  It may include every other folder of policy/; none
 * may include it.  engine.c includes the flows and stage headers; no
 * flow, stage or rule includes engine.h.
 */
#ifndef SES_ENGINE_H
#define SES_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "decision.h"
#include "engine_types.h"
#include "plog.h"
#include "snapshot.h"
#include "strbuf.h"

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

#endif
