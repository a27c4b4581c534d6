/*
 * decision - construction and validation of policy outcomes.
 *
 * Diagnostics: an invalid decision is replaced by the internal-error
 * tempfail "451 4.3.0 FailedOperation.ServiceNotAvailable" and the caller
 * gets -1; the engine logs it.
 */
#include "autoconf.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "decision.h"

static const struct ses_error_def ses_errors[SES_ERR__COUNT] = {
	[SES_ERR_DOMAIN_NOT_VERIFIED] = { "OperationDenied.DomainNotVerified", POLICY_REJECT, "550", "5.7.1" },
	[SES_ERR_WITHOUT_PERMISSION] = { "FailedOperation.WithOutPermission", POLICY_REJECT, "550", "5.7.1" },
	[SES_ERR_TEMPLATE_STATUS] = { "OperationDenied.TemplateStatusError", POLICY_REJECT, "550", "5.7.1" },
	[SES_ERR_TEMPLATE_DATA] = { "InvalidParameterValue.TemplateDataError", POLICY_REJECT, "550", "5.6.0" },
	[SES_ERR_TEMPLATE_NOT_MATCH_DATA] = { "InvalidParameterValue.TemplateNotMatchData", POLICY_REJECT, "550", "5.6.0" },
	[SES_ERR_TEMPLATE_DATA_LEN] = { "InvalidParameterValue.TemplateDataLenLimit", POLICY_REJECT, "550", "5.6.0" },
	[SES_ERR_CONTENT_TOO_LARGE] = { "FailedOperation.EmailContentToolarge", POLICY_REJECT, "552", "5.3.4" },
	[SES_ERR_TOO_MANY_ATTACHMENTS] = { "FailedOperation.TooManyAttachments", POLICY_REJECT, "550", "5.6.0" },
	[SES_ERR_EMAIL_CONTENT_WRONG] = { "InvalidParameterValue.EmailContentIsWrong", POLICY_REJECT, "550", "5.6.0" },
	[SES_ERR_SUBJECT_LENGTH] = { "InvalidParameterValue.SubjectLengthError", POLICY_REJECT, "550", "5.6.0" },
	[SES_ERR_TOO_MANY_RECIPIENTS] = { "FailedOperation.TooManyRecipients", POLICY_TEMPFAIL, "452", "4.5.3" },
	[SES_ERR_BLACKLISTED] = { "FailedOperation.EmailAddrInBlacklist", POLICY_REJECT, "550", "5.7.1" },
	[SES_ERR_UNSUBSCRIBED] = { "FailedOperation.ReceiverHasUnsubscribed", POLICY_REJECT, "550", "5.7.1" },
	[SES_ERR_SUPPRESSED] = { "FailedOperation.EmailAddrInSuppressionList", POLICY_REJECT, "550", "5.7.1" },
	[SES_ERR_FREQUENCY_LIMIT] = { "FailedOperation.FrequencyLimit", POLICY_TEMPFAIL, "450", "4.7.1" },
	[SES_ERR_EXCEED_SEND_LIMIT] = { "FailedOperation.ExceedSendLimit", POLICY_TEMPFAIL, "451", "4.7.1" },
	[SES_ERR_REQUEST_LIMIT] = { "RequestLimitExceeded", POLICY_TEMPFAIL, "451", "4.7.1" },
	[SES_ERR_SUSPENDED] = { "FailedOperation.HighRejectionRate", POLICY_REJECT, "550", "5.7.1" },
	[SES_ERR_SERVICE_UNAVAILABLE] = { "FailedOperation.ServiceNotAvailable", POLICY_TEMPFAIL, "451", "4.3.0" },
	[SES_ERR_INVALID_ADDRESS] = { "InvalidParameterValue.InvalidEmailAddress", POLICY_REJECT, "550", "5.1.3" },
	/* inbound mail: the sender's own domain policy, and DNS that would not answer */
	[SES_ERR_DMARC_REJECT] = { "FailedOperation.DmarcPolicyReject", POLICY_REJECT, "550", "5.7.1" },
	[SES_ERR_AUTH_DNS] = { "FailedOperation.DnsTemporaryFailure", POLICY_TEMPFAIL, "451", "4.4.3" },
};

const struct ses_error_def *ses_error_def(enum ses_error err)
{
	if ((unsigned)err >= SES_ERR__COUNT)
		err = SES_ERR_SERVICE_UNAVAILABLE;
	return &ses_errors[err];
}

void decision_clear(struct policy_decision *d)
{
	memset(d, 0, sizeof *d);
	d->action = POLICY_CONTINUE;
}

void decision_plain(struct policy_decision *d, enum policy_action action,
		    const char *rule)
{
	decision_clear(d);
	if (action == POLICY_REJECT || action == POLICY_TEMPFAIL)
		action = POLICY_CONTINUE;	/* refusals need a reply */
	d->action = action;
	d->rule = rule;
}

bool decision_is_refusal(const struct policy_decision *d)
{
	return d->action == POLICY_REJECT || d->action == POLICY_TEMPFAIL;
}

const char *policy_action_name(enum policy_action action)
{
	switch (action) {
	case POLICY_CONTINUE:
		return "continue";
	case POLICY_ACCEPT:
		return "accept";
	case POLICY_REJECT:
		return "reject";
	case POLICY_TEMPFAIL:
		return "tempfail";
	case POLICY_HOLD:
		return "hold";
	case POLICY_DISCARD:
		return "discard";
	}
	return "unknown";
}

/* "4xx" for TEMPFAIL, "5xx" for REJECT (RFC 5321 section 4.2). */
bool decision_code_valid(const char *code, enum policy_action action)
{
	char want = action == POLICY_TEMPFAIL ? '4' : '5';

	if (action != POLICY_TEMPFAIL && action != POLICY_REJECT)
		return false;
	return code != NULL && strlen(code) == 3 && code[0] == want &&
	       code[1] >= '0' && code[1] <= '5' && isdigit((unsigned char)code[2]);
}

static bool xcode_part(const char **pp, int maxdigits)
{
	const char *p = *pp;
	int n = 0;

	while (isdigit((unsigned char)*p)) {
		p++;
		n++;
	}
	if (n == 0 || n > maxdigits)
		return false;
	/* RFC 3463: no leading zeros except the single digit 0 */
	if (n > 1 && **pp == '0')
		return false;
	*pp = p;
	return true;
}

/* class "." subject "." detail, class matching the reply code (RFC 3463). */
bool decision_xcode_valid(const char *xcode, const char *code)
{
	const char *p = xcode;

	if (xcode == NULL || code == NULL)
		return false;
	if (p[0] != code[0] || (p[0] != '2' && p[0] != '4' && p[0] != '5'))
		return false;
	p++;
	if (*p++ != '.' || !xcode_part(&p, 3) || *p++ != '.' || !xcode_part(&p, 3))
		return false;
	return *p == '\0';
}

/* Copies src into the reply text, replacing what SMTP cannot carry. */
static void decision_sanitize(char *dst, const char *src)
{
	size_t i;

	for (i = 0; src[i] != '\0' && i < DECISION_TEXT_MAX; i++) {
		unsigned char c = (unsigned char)src[i];

		/* '%' is a format character to Sendmail; 8-bit is not ASCII */
		dst[i] = (c < 0x20 || c >= 0x7f || c == '%') ? '?' : (char)c;
	}
	dst[i] = '\0';
	if (src[i] != '\0' && i >= 3)
		memcpy(dst + i - 3, "...", 3);
}

static int decision_vset(struct policy_decision *d, enum policy_action action,
			 const char *rule, const char *code, const char *xcode,
			 const char *prefix, const char *fmt, va_list ap)
{
	char raw[DECISION_TEXT_MAX * 2];
	size_t n = 0;

	decision_clear(d);
	if (!decision_code_valid(code, action) || !decision_xcode_valid(xcode, code)) {
		const struct ses_error_def *e = ses_error_def(SES_ERR_SERVICE_UNAVAILABLE);

		d->action = e->action;
		snprintf(d->code, sizeof d->code, "%s", e->code);
		snprintf(d->xcode, sizeof d->xcode, "%s", e->xcode);
		snprintf(d->text, sizeof d->text, "%s internal error", e->name);
		d->rule = "internal";
		return -1;
	}
	raw[0] = '\0';
	if (prefix != NULL) {
		n = (size_t)snprintf(raw, sizeof raw, "%s", prefix);
		if (n >= sizeof raw)
			n = sizeof raw - 1;
	}
	if (fmt != NULL && *fmt != '\0') {
		if (n > 0 && n < sizeof raw - 1)
			raw[n++] = ' ';
		vsnprintf(raw + n, sizeof raw - n, fmt, ap);	/* truncation handled by sanitize */
	}
	d->action = action;
	memcpy(d->code, code, 4);
	snprintf(d->xcode, sizeof d->xcode, "%s", xcode);
	decision_sanitize(d->text, raw);
	d->rule = rule;
	return 0;
}

int decision_set(struct policy_decision *d, enum policy_action action,
		 const char *rule, const char *code, const char *xcode,
		 const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = decision_vset(d, action, rule, code, xcode, NULL, fmt, ap);
	va_end(ap);
	return rc;
}

int decision_ses(struct policy_decision *d, const char *rule, enum ses_error err,
		 const char *fmt, ...)
{
	const struct ses_error_def *e = ses_error_def(err);
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = decision_vset(d, e->action, rule, e->code, e->xcode, e->name, fmt, ap);
	va_end(ap);
	return rc;
}
