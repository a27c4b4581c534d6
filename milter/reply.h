/*
 * reply - the one place a policy decision becomes an SMTP reply.
 */
#ifndef SES_REPLY_H
#define SES_REPLY_H

#include <libmilter/mfapi.h>

#include "decision.h"

/*
 * Sets the reply for a refusal with smfi_setreply and returns the
 * matching SMFIS_* status (CONTINUE, ACCEPT, REJECT, TEMPFAIL, DISCARD).
 * HOLD is an end-of-message action handled by the caller.
 */
sfsistat reply_send(SMFICTX *ctx, const struct policy_decision *d);

#endif
