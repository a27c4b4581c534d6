/*
 * events - the event value, its JSON form and the durable event log
 * (SPEC section 7).
 *
 * An event says what happened to one recipient of one message (or to the
 * message, when it was refused before any recipient): accepted, rejected,
 * deferred, delivered, bounce, spamreport, unsubscribe, open, click.  Its
 * JSON form is one object whose keys are those of the callback contract,
 * always in this order and always present ("" when unknown):
 *
 *     {"event":"accepted","email":"a@example.net","bulkId":"4Xyz",
 *      "messageId":"4Xyz","timestamp":1700000000,"reason":"",
 *      "bounceType":"","from":"news@example.com","fromDomain":"example.com",
 *      "templateId":"7","subject":"Hello","eventid":"9f...32 hex",
 *      "account":"acme"}
 *
 * open and click events have four more keys at the end: "url" (the link
 * followed; "" for open), "userAgent", "ip" (the client's address) and
 * "machine" (true when a scanner, privacy proxy or HEAD request made it).
 *
 * timestamp is in Unix seconds; eventid is 128 random bits in hex.  Strings
 * are made valid UTF-8 first (each invalid byte becomes U+FFFD) and
 * jansson escapes quotes and control bytes, so hostile addresses or
 * subjects still give valid JSON.
 *
 * The event log is a file of such objects, one per line, appended with a
 * single write(2) on a descriptor opened with O_APPEND: the kernel places
 * each write at the end of the file as one unit, so lines written by
 * concurrent threads and processes never interleave, and no lock is
 * taken.  Whether each append is also fsync'd is the caller's choice
 * (EventLogSync); the delivery thread syncs the log before it delivers
 * what it read, so a receiver never learns of an event the log could lose.
 *
 * A line cut short by a crash is followed by the next whole line on the
 * same line of the file; the reader then recovers the last object that
 * starts with {"event": and reports the lost prefix.
 *
 * Diagnostics: events_append's "cannot open|write PATH: REASON";
 * events_read's "PATH:OFFSET: malformed event line (N bytes)" and
 * "cannot open|read PATH: REASON".
 *
 * Folder policy/events/ (main header: this one): the event value and the
 * event log, the callback retry queue (cbqueue) and the status join of
 * sesctl status (evstatus).  It may include util/ only.
 */
#ifndef SES_EVENTS_H
#define SES_EVENTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "strbuf.h"

enum event_type {
	EVENT_ACCEPTED = 0,
	EVENT_REJECTED,
	EVENT_DEFERRED,
	EVENT_DELIVERED,
	EVENT_BOUNCE,
	EVENT_SPAMREPORT,
	EVENT_UNSUBSCRIBE,
	EVENT_OPEN,
	EVENT_CLICK,
	EVENT_NTYPES
};

enum event_bounce {
	EVENT_BOUNCE_NONE = 0,
	EVENT_BOUNCE_SOFT,		/* "soft_bounce" */
	EVENT_BOUNCE_HARD,		/* "hard_bounce" */
};

#define EVENT_ID_LEN 32			/* hex digits */

/* One event; the strings are borrowed (NULL: unknown, written as ""). */
struct event {
	enum event_type type;
	const char *account;
	const char *email;		/* the recipient, no angle brackets */
	const char *message_id;		/* bulkId and messageId: the queue ID */
	int64_t timestamp;		/* Unix seconds */
	const char *reason;		/* the reply or the bounce's diagnostic */
	enum event_bounce bounce;
	const char *from;		/* the sender address, no angle brackets */
	const char *from_domain;
	const char *template_id;
	const char *subject;		/* decoded, UTF-8 */
	char eventid[EVENT_ID_LEN + 1];
	/* open and click only (written for those types alone, after "account") */
	const char *url;		/* click: the link followed */
	const char *user_agent;
	const char *client;		/* the client's IP address */
	bool machine;			/* a scanner or proxy, not a person */
};

/* "accepted", ... ; NULL for a value out of range. */
const char *event_type_name(enum event_type type);
/* The type named name; 0, or -1 when unknown. */
int event_type_parse(const char *name, enum event_type *type);

/* Fills ev->eventid with 128 fresh random bits in hex. */
void event_new_id(struct event *ev);

/* Appends the JSON object of ev (no newline) to out. */
void event_to_json(const struct event *ev, struct strbuf *out);

/*
 * Appends s (len bytes, may hold NULs) to out as valid UTF-8: invalid
 * sequences become U+FFFD, NUL becomes U+FFFD too.
 */
void event_utf8_clean(const char *s, size_t len, struct strbuf *out);

/*
 * Appends one line (json and a newline) to the log at path with one
 * write(2), creating the file (mode 0640) when missing; fsyncs it when
 * sync.  0, or -1 with the reason appended to err (may be NULL).
 */
int events_append(const char *path, const char *json, size_t len, bool sync,
		  struct strbuf *err);

/* Called per line; return 0 to go on, anything else to stop before it. */
typedef int events_fn(void *arg, const char *json, size_t len, off_t next);

/*
 * Calls fn for each whole line of the log at path from byte offset
 * *offset on, in order, at most max lines (0: no limit); a last line
 * without its newline (being written) is left for later.  *offset
 * becomes the offset after the last line handed to fn (or skipped as
 * malformed, each reported in err as a line).  A missing file is empty.
 * Returns the number of lines handed to fn, or -1 when the file cannot
 * be read (reason in err).
 */
long events_read(const char *path, off_t *offset, size_t max, events_fn *fn, void *arg,
		 struct strbuf *err);

/*
 * True for a callback URL: http:// or https:// (any case), a host, at most
 * 2048 bytes, no blanks or control bytes.
 */
bool events_url_valid(const char *url);

/*
 * HMAC-SHA256 over "TIMESTAMP." followed by body, keyed with secret, as
 * 64 lower-case hex digits into out (65 bytes).  The callback signature.
 */
void events_sign(const char *secret, long long timestamp, const char *body, size_t len,
		 char out[65]);

#endif
