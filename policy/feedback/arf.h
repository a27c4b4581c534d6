/*
 * arf - abuse feedback reports (RFC 5965 ARF, as mailbox providers send
 * them through their feedback loops): who complained about which message
 * (SPEC section 7: a complaint suppresses the recipient and makes a
 * spamreport event).
 *
 * arf_parse finds the report with report_find (report.h: GMime, bounded
 * work, cleaned strings) and reads the message/feedback-report fields:
 * Feedback-Type, User-Agent, Version, Original-Mail-From,
 * Original-Rcpt-To (repeatable), Arrival-Date (or the older
 * Received-Date), Source-IP, Reported-Domain (repeatable); and from the
 * returned message (message/rfc822 or text/rfc822-headers) its From, To,
 * Message-ID, Subject, Return-Path (our VERP address, verp.h, when the
 * provider kept it) and List-Unsubscribe (our unsubscribe token,
 * unsub_token.h).
 *
 * Providers redact: Original-Rcpt-To and the returned To are often
 * missing or masked, so the reliable way back to the recipient is our own
 * VERP Return-Path or List-Unsubscribe token in the returned headers.
 *
 * Tolerated: field names in any case, folded values, angle brackets
 * around addresses, fields spread over several groups, a missing Version
 * or User-Agent.  A feedback-report part without Feedback-Type is
 * ARF_MALFORMED.  Reports in other formats (an old-style forwarded
 * message without message/feedback-report) are ARF_NOT_ARF.
 *
 * Diagnostics: none; arf_parse's result says what it made of the input.
 */
#ifndef SES_ARF_H
#define SES_ARF_H

#include <stdbool.h>
#include <stddef.h>

#include "report.h"

#define ARF_LIST_MAX 100	/* entries kept of a repeatable field */

enum arf_result {
	ARF_OK = 0,
	ARF_NOT_ARF,	/* no feedback-report part in the message */
	ARF_MALFORMED,	/* a feedback-report part without Feedback-Type */
};

enum arf_type {
	ARF_TYPE_UNKNOWN = 0,	/* a type this code does not know; see type_text */
	ARF_TYPE_ABUSE,
	ARF_TYPE_FRAUD,
	ARF_TYPE_VIRUS,
	ARF_TYPE_OTHER,
	ARF_TYPE_NOT_SPAM,
	ARF_TYPE_AUTH_FAILURE,	/* RFC 6591 */
};

/* Strings are never NULL: "" when absent. */
struct arf_report {
	enum arf_type type;
	char *type_text;		/* Feedback-Type as written, lower case */
	char *user_agent;
	char *version;
	char *original_mail_from;	/* brackets removed */
	struct report_list original_rcpt_to;	/* brackets removed */
	char *arrival_date;
	char *source_ip;
	struct report_list reported_domains;
	bool truncated;			/* fields, list entries or input cut short */
	struct report_orig orig;	/* the returned message's headers */
};

/*
 * Parses msg[0..len).  r is initialised here whatever the result; free it
 * with arf_report_free.
 */
enum arf_result arf_parse(const char *msg, size_t len, struct arf_report *r);
void arf_report_free(struct arf_report *r);

/*
 * True for reports that should suppress the recipient: every type but
 * not-spam and auth-failure (an unknown type counts as a complaint: a
 * wrong suppression costs less than mailing someone who complained).
 */
bool arf_type_is_complaint(enum arf_type t);

/* "abuse", "fraud", "virus", "other", "not-spam", "auth-failure", "unknown". */
const char *arf_type_name(enum arf_type t);
/* "ok", "not ARF", "malformed". */
const char *arf_result_name(enum arf_result r);

#endif
