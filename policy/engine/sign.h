/*
 * sign - DKIM signing of accepted outbound mail; see sign.c.
 */
#ifndef SES_SIGN_H
#define SES_SIGN_H

#include "decision.h"
#include "policy_msg.h"

/*
 * Plans the DKIM-Signature headers of m (accepted, edits planned).
 * POLICY_CONTINUE, or a tempfail decision when signing failed and
 * OnFailure is tempfail.
 */
enum policy_action policy_sign(struct policy_msg *m, struct policy_decision *d);

#endif
