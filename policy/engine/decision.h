/*
 * decision - the one value every policy outcome is expressed in.
 *
 * A decision carries the action, the SMTP reply code, the RFC 3463 enhanced
 * status code, the reply text (which starts with the SES error name
 * customers know from the API) and the name of the rule that decided.
 * decision_set() is the only constructor: it validates that the code fits
 * the action, that the enhanced code's class digit matches the reply code
 * (Postfix treats a mismatch as a configuration error), and that the text is
 * printable and short enough for one SMTP reply line.  The SES error table
 * (ses_error) keeps the codes for each named refusal in one place.
 */
#ifndef SES_DECISION_H
#define SES_DECISION_H

#include <stdbool.h>

enum policy_action {
	POLICY_CONTINUE = 0,	/* no objection; later stages still run */
	POLICY_ACCEPT,		/* accept; skip the remaining checks */
	POLICY_REJECT,		/* permanent refusal, 5xx */
	POLICY_TEMPFAIL,	/* temporary refusal, 4xx */
	POLICY_HOLD,		/* accept into the MTA's hold queue */
	POLICY_DISCARD,		/* accept and drop silently */
};

#define DECISION_TEXT_MAX 400	/* reply text, without code and status */

struct policy_decision {
	enum policy_action action;
	char code[4];		/* "550"; empty for CONTINUE/ACCEPT/HOLD/DISCARD */
	char xcode[12];		/* "5.7.1" */
	char text[DECISION_TEXT_MAX + 1];
	const char *rule;	/* static string naming the deciding rule */
};

/* The refusals of SPEC section 8: name, code and enhanced status. */
enum ses_error {
	SES_ERR_DOMAIN_NOT_VERIFIED,
	SES_ERR_WITHOUT_PERMISSION,
	SES_ERR_TEMPLATE_STATUS,
	SES_ERR_TEMPLATE_DATA,
	SES_ERR_TEMPLATE_NOT_MATCH_DATA,
	SES_ERR_TEMPLATE_DATA_LEN,
	SES_ERR_CONTENT_TOO_LARGE,
	SES_ERR_TOO_MANY_ATTACHMENTS,
	SES_ERR_EMAIL_CONTENT_WRONG,
	SES_ERR_SUBJECT_LENGTH,
	SES_ERR_TOO_MANY_RECIPIENTS,
	SES_ERR_BLACKLISTED,
	SES_ERR_UNSUBSCRIBED,
	SES_ERR_SUPPRESSED,
	SES_ERR_FREQUENCY_LIMIT,
	SES_ERR_EXCEED_SEND_LIMIT,
	SES_ERR_REQUEST_LIMIT,
	SES_ERR_SUSPENDED,
	SES_ERR_SERVICE_UNAVAILABLE,
	SES_ERR_INVALID_ADDRESS,
	SES_ERR_DMARC_REJECT,
	SES_ERR_AUTH_DNS,
	SES_ERR__COUNT
};

struct ses_error_def {
	const char *name;	/* "OperationDenied.DomainNotVerified" */
	enum policy_action action;
	const char *code;
	const char *xcode;
};

const struct ses_error_def *ses_error_def(enum ses_error err);

/* Clears d to CONTINUE with no reply. */
void decision_clear(struct policy_decision *d);

/*
 * Sets d from its parts after validating them.  Returns 0, or -1 when the
 * parts are inconsistent; then d becomes the internal-error tempfail so a
 * bug never turns into an unexplained accept.
 */
int decision_set(struct policy_decision *d, enum policy_action action,
		 const char *rule, const char *code, const char *xcode,
		 const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* Sets d to the SES refusal err; the text is the error name, a space, detail. */
int decision_ses(struct policy_decision *d, const char *rule, enum ses_error err,
		 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Sets d to a reply-less action (CONTINUE, ACCEPT, HOLD, DISCARD). */
void decision_plain(struct policy_decision *d, enum policy_action action,
		    const char *rule);

/* True for REJECT and TEMPFAIL. */
bool decision_is_refusal(const struct policy_decision *d);

const char *policy_action_name(enum policy_action action);

/* Validators, exposed for tests and for configured reply overrides. */
bool decision_code_valid(const char *code, enum policy_action action);
bool decision_xcode_valid(const char *xcode, const char *code);

#endif
