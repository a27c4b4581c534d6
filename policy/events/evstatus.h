/*
 * evstatus - the status of sent messages per recipient, joined from the
 * event log (SPEC section 7; sesctl(8) status), like GetSendEmailStatus.
 *
 * Two passes over the log.  The first keeps the requests: accepted and
 * rejected events whose timestamp falls on the asked UTC day (and match
 * the message ID and recipient filters); each is one row.  The second
 * joins the other events to the rows:
 *
 *   by messageId and email (case-insensitive): delivered, bounce,
 *   deferred, spamreport, open, click;
 *   by email and fromDomain, for events without messageId (unsubscribe
 *   always): every row of that recipient and sender domain requested at
 *   or before the event.
 *
 * DeliverStatus: 3 for a rejected recipient; else 0 until an event says
 * more: delivered 1, hard bounce 2, deferred or soft bounce 8.  A final
 * state (1, 2) is not undone by a later deferral; among states of the same
 * kind the latest event wins.  UserOpened, UserClicked, UserUnsubscribed
 * and UserComplained are set by open, click, unsubscribe and spamreport.
 *
 * Lines that are not JSON objects with a string "event" and an integer
 * "timestamp" are counted in bad_lines and skipped.
 *
 * Diagnostics: none printed; the caller reports bad_lines.
 */
#ifndef SES_EVSTATUS_H
#define SES_EVSTATUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "strbuf.h"

enum evstatus_deliver {
	EVSTATUS_QUEUED = 0,
	EVSTATUS_DELIVERED = 1,
	EVSTATUS_DROPPED = 2,
	EVSTATUS_REJECTED = 3,
	EVSTATUS_DELAYED = 8,
};

struct evstatus_filter {
	int64_t day;		/* Unix time of the UTC midnight of the day asked */
	const char *message_id; /* NULL: any */
	const char *email;	/* NULL: any; compared case-insensitively */
};

struct evstatus_row {
	char *message_id, *email, *from, *from_domain;
	bool accepted;		/* SendStatus: accepted or rejected */
	char *send_reason;	/* the rejection's reply, or "" */
	int deliver;		/* enum evstatus_deliver */
	char *deliver_reason;	/* the last delivery event's reason, or "" */
	bool opened, clicked, unsubscribed, complained;
	int64_t request_time, update_time, deliver_time;
	size_t seq;		/* order in the log */
};

struct evstatus {
	struct evstatus_filter f;
	struct evstatus_row *rows;
	size_t n, cap;
	struct evstatus_row **by_email; /* built by evstatus_index */
	unsigned long bad_lines;
};

/* Starts an empty result for filter f (its strings are borrowed). */
void evstatus_init(struct evstatus *s, const struct evstatus_filter *f);
/* Pass 1: takes one log line (need not be NUL-terminated). */
void evstatus_request(struct evstatus *s, const char *line, size_t len);
/* Between the passes: sorts the rows for the joins. */
void evstatus_index(struct evstatus *s);
/* Pass 2: joins one log line to the rows. */
void evstatus_join(struct evstatus *s, const char *line, size_t len);
/* "queued", "delivered", "dropped", "rejected", "delayed". */
const char *evstatus_deliver_name(int deliver);
void evstatus_free(struct evstatus *s);

/*
 * Reads the event log at path in both passes (init s first) and sorts the
 * rows by request time, then log order.  The number of rows, or -1 when
 * the log cannot be read (reason in err, which may be NULL).  Lines that
 * are not events are counted in s->bad_lines.
 */
long evstatus_read_log(struct evstatus *s, const char *path, struct strbuf *err);

/* A row as GetSendEmailStatus gives it (MessageId, ToEmailAddress, ...). */
json_t *evstatus_row_json(const struct evstatus_row *r);

#endif
