/*
 * reply - decision to smfi_setreply + SMFIS_*; see reply.h.
 *
 * Diagnostics: "smfi_setreply failed for 550 5.7.1 ..." (the MTA then
 * uses its generic text; the action still holds).
 */
#include "autoconf.h"

#include "logging.h"
#include "reply.h"

sfsistat reply_send(SMFICTX *ctx, const struct policy_decision *d)
{
	switch (d->action) {
	case POLICY_CONTINUE:
	case POLICY_HOLD:
		return SMFIS_CONTINUE;
	case POLICY_ACCEPT:
		return SMFIS_ACCEPT;
	case POLICY_DISCARD:
		return SMFIS_DISCARD;
	case POLICY_REJECT:
	case POLICY_TEMPFAIL:
		/* libmilter's prototype lacks const; it does not modify them */
		if (smfi_setreply(ctx, (char *)d->code, (char *)d->xcode, (char *)d->text) !=
		    MI_SUCCESS)
			logging_msg(PLOG_WARNING, "smfi_setreply failed for %s %s %s", d->code,
				    d->xcode, d->text);
		return d->action == POLICY_REJECT ? SMFIS_REJECT : SMFIS_TEMPFAIL;
	}
	return SMFIS_TEMPFAIL;
}
