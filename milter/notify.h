/*
 * notify - the thread that delivers the event log to the customers'
 * callback URLs (SPEC section 7).
 *
 * It reads the event log (EventLog) from a cursor, a byte offset and the
 * log's inode saved in EVENTLOG.cursor, and POSTs each event to the
 * account's CallbackUrl and to the SenderCallbackUrl of the event's
 * sender, when the account has them (notify_http.h: signature, timeouts,
 * TLS).  Failed deliveries wait in the retry queue (policy/events/cbqueue.h),
 * saved in EVENTLOG.retry; the cursor is saved after the queue, and only
 * after the events before it were delivered or queued, so a restart or a
 * crash loses nothing and at worst delivers an event twice
 * (at-least-once: receivers deduplicate by eventid).
 *
 * Unless EventLogSync is set, the thread fdatasyncs the log before it
 * delivers what it read, about every NOTIFY_POLL_MS.  Milter threads never
 * wait for it: they only append to the log.  One daemon delivers one log;
 * EventLog is read at start (a reload does not move it), while accounts,
 * URLs, secrets and the Callback* keys are taken from the snapshot in
 * force at each pass.
 */
#ifndef SES_NOTIFY_H
#define SES_NOTIFY_H

#define NOTIFY_POLL_MS 500	/* how often the log is looked at for new events */
#define NOTIFY_BATCH 100	/* events read per pass before the cursor is saved */

/* Starts the thread (in the milter process, signals blocked).  0 or -1. */
int notify_start(void);

/* Tells the thread to stop without waiting; a POST in progress is abandoned. */
void notify_stop_request(void);

/* Tells the thread to stop and waits until it has.  Harmless when it never started. */
void notify_stop(void);

#endif
