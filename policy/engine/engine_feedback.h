/*
 * engine_feedback - the feedback loop as a part of the engine
 * (engine_feedback.c), called by the flows and by rule_template.
 */
#ifndef SES_ENGINE_FEEDBACK_H
#define SES_ENGINE_FEEDBACK_H

#include <stdbool.h>

#include "decision.h"
#include "policy_msg.h"
#include "strbuf.h"

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


/* The one recipient that went through, or NULL when there are several. */
const char *engine_feedback_only_rcpt(const struct policy_msg *m);

/* The {{unsubscribe_url}} of the message's one recipient; 0, or -1 (several, no key). */
int engine_feedback_unsub_link(const struct policy_msg *m, struct strbuf *out);

#endif
