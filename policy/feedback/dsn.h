/*
 * dsn - delivery status notifications (RFC 3464, and RFC 6533's
 * message/global-delivery-status): what a bounce that came back to a VERP
 * address (verp.h) says about each recipient, and how to count it
 * (SPEC section 7: hard bounce, deferred, delivered).
 *
 * dsn_parse finds the report with report_find (report.h: GMime, bounded
 * work, cleaned strings), reads the per-message fields (Reporting-MTA,
 * Original-Envelope-Id, Arrival-Date) and one entry per recipient group,
 * and the Message-ID, From, To and Return-Path of the returned message
 * when it came along.  Tolerated, because real MTAs write them: field
 * names in any case, folded values, comments after the status code, a
 * missing address type ("user@example" for "rfc822; user@example"),
 * angle brackets around addresses, per-message and recipient fields in
 * one group, a missing Status (taken from the Diagnostic-Code's reply,
 * flagged status_from_diagnostic), RFC 6533 "utf-8" addresses with
 * \x{HHHH} escapes.  Also the shapes real MTAs send besides RFC 3464:
 * the status part in a multipart/mixed instead of multipart/report; a
 * DSN forwarded inside message/rfc822 (at most REPORT_FORWARD_MAX deep;
 * flagged `forwarded`, with the To header of the forwarded DSN so the
 * caller can check it was sent to the address it arrived at); CR-only
 * and mixed line ends; Action variants ("failure", "fail", "expired" for
 * failed, "deferred", "delay" for delayed, ...); a Status of a basic
 * reply code ("553" is 5.0.0, "421" is 4.0.0), "#5.1.1" or "550 5.1.1".
 *
 * Classification (dsn_classify), per recipient:
 *     DSN_CLASS_HARD       Action failed, status 5.x.x
 *     DSN_CLASS_SOFT       Action delayed; or failed with status 4.x.x
 *     DSN_CLASS_DELIVERED  Action delivered, relayed or expanded
 *     DSN_CLASS_UNKNOWN    anything else (failed without any code, failed
 *                          with 2.x.x, an unknown action): do not block
 *                          an address on it
 *
 * Diagnostics: none; dsn_parse's result says what it made of the input.
 */
#ifndef SES_DSN_H
#define SES_DSN_H

#include <stdbool.h>
#include <stddef.h>

#include "report.h"

#define DSN_RCPT_MAX 256	/* recipient entries kept */

enum dsn_result {
	DSN_OK = 0,	/* a DSN with at least one recipient entry */
	DSN_NOT_DSN,	/* no delivery-status report in the message */
	DSN_MALFORMED,	/* a delivery-status part without a usable recipient */
};

enum dsn_action {
	DSN_ACTION_UNKNOWN = 0,
	DSN_ACTION_FAILED,
	DSN_ACTION_DELAYED,
	DSN_ACTION_DELIVERED,
	DSN_ACTION_RELAYED,
	DSN_ACTION_EXPANDED,
};

enum dsn_class {
	DSN_CLASS_UNKNOWN = 0,
	DSN_CLASS_HARD,
	DSN_CLASS_SOFT,
	DSN_CLASS_DELIVERED,
};

/* One recipient group.  Strings are never NULL: "" when absent. */
struct dsn_rcpt {
	char *final_recipient;		/* the address, type and brackets removed */
	char *original_recipient;	/* likewise */
	enum dsn_action action;
	char status[12];		/* "5.1.1"; "" when absent or invalid */
	bool status_from_diagnostic;	/* no valid Status: taken from the reply */
	char *diagnostic;		/* Diagnostic-Code without its type */
	char *remote_mta;		/* Remote-MTA without its type */
};

struct dsn_report {
	char *reporting_mta;	/* without its type ("dns; ") */
	char *envelope_id;	/* Original-Envelope-Id */
	char *arrival_date;
	struct dsn_rcpt *rcpts;
	size_t n_rcpts;
	bool truncated;		/* entries, fields or input were cut short */
	unsigned forwarded;	/* message/rfc822 levels the DSN was found below */
	char *forwarded_to;	/* forwarded: the To header of the DSN; "" */
	struct report_orig orig;	/* the returned message's headers */
};

/*
 * Parses msg[0..len).  r is initialised here whatever the result (on
 * DSN_MALFORMED it holds what was found); free it with dsn_report_free.
 */
enum dsn_result dsn_parse(const char *msg, size_t len, struct dsn_report *r);
void dsn_report_free(struct dsn_report *r);

enum dsn_class dsn_classify(const struct dsn_rcpt *rc);

/* "failed", "delayed", ...; "unknown". */
const char *dsn_action_name(enum dsn_action a);
/* "hard", "soft", "delivered", "unknown". */
const char *dsn_class_name(enum dsn_class c);
/* "ok", "not a DSN", "malformed". */
const char *dsn_result_name(enum dsn_result r);

#endif
