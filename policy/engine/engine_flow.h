/*
 * engine_flow - the two pipelines of the engine, one per kind of mail.
 *
 * policy_mail() picks the message's flow once, at MAIL FROM: outbound for
 * an account sending (the rule table, the template, signing), inbound for
 * everything else (SPF, DKIM, DMARC, and the feedback loop's bounces,
 * complaints and unsubscribes).  Each SMTP stage of engine.c then runs the
 * flow's step; nothing downstream asks which kind of mail it is.
 *
 * This header is the engine's inside: engine.c (the shared part: the
 * contexts, reservations, the decision, the end), engine_outbound.c and
 * engine_inbound.c (the flows).  Nothing outside policy's engine includes
 * it.
 */
#ifndef SES_ENGINE_FLOW_H
#define SES_ENGINE_FLOW_H

#include "policy_msg.h"

/* Each step sets d and returns d->action, as the stage functions do. */
struct engine_flow {
	enum policy_mode mode;
	/* MAIL FROM, once the sender and the account are known */
	enum policy_action (*mail)(struct policy_msg *m, struct policy_decision *d);
	enum policy_action (*rcpt)(struct policy_msg *m, const char *rcpt,
				   struct policy_decision *d);
	/* value as the policy sees it, raw exactly as received */
	enum policy_action (*header)(struct policy_msg *m, const char *name, const char *value,
				     const char *raw, struct policy_decision *d);
	enum policy_action (*eoh)(struct policy_msg *m, struct policy_decision *d);
	enum policy_action (*body)(struct policy_msg *m, const unsigned char *chunk, size_t len,
				   struct policy_decision *d);
	/* the decision at end of message and the edits it plans */
	void (*eom)(struct policy_msg *m, struct policy_decision *d);
};

extern const struct engine_flow engine_outbound_flow;
extern const struct engine_flow engine_inbound_flow;

/* Sets the message-level decision (the first refusal sticks). */
void engine_decide(struct policy_msg *m, const struct policy_decision *d);

#define ENGINE_ALL_RCPTS ((size_t)-1)
/* Gives back the reservations of recipient rcpt (ENGINE_ALL_RCPTS: all). */
void engine_release(struct policy_msg *m, size_t rcpt);

/* Counts (and keeps, while buffering) bytes of the message as it streams. */
void engine_count(struct policy_msg *m, const void *data, size_t len);
/* Counts a header as the line it is in the message: CRLF line ends. */
void engine_count_header(struct policy_msg *m, const char *name, const char *value);

char *engine_strdup(const char *s);

/*
 * The feedback loop (engine_feedback.c): outbound, the VERP sender and
 * List-Unsubscribe; inbound, recipients that are our VERP or unsubscribe
 * addresses are kept (forged ones refused) and their mail handled at end
 * of message.
 */
bool engine_feedback_active(const struct policy_msg *m);
enum policy_action engine_feedback_rcpt(struct policy_msg *m, const char *rcpt,
					struct policy_decision *d);
void engine_feedback_inbound_eom(struct policy_msg *m, struct policy_decision *d);
void engine_feedback_outbound(struct policy_msg *m);

/* Writes the one summary line for the message (engine_log.c). */
void policy_msg_summary(struct policy_msg *m, const char *outcome);

/* Writes the transaction's accepted/rejected events (engine_events.c). */
void engine_events(struct policy_msg *m);

/* Builds the plan for decision d (engine_plan.c); frees it. */
void engine_plan_build(struct policy_msg *m, const struct policy_decision *d);
void engine_plan_free(struct policy_msg *m);

#endif
