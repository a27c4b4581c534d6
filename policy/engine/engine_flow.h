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
 *
 * The flows call the message context's operations (policy_msg.h,
 * policy_msg.c) and the stage headers, never engine.c.
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

#endif
