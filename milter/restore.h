/*
 * restore - brings long-lived entries back into memcached after a server
 * restarted empty.
 *
 * A thread asks the store every RestoreCheckInterval seconds who its
 * servers are (store_epoch: address, process, start time).  At the first
 * answer, and whenever the answer changes, it replays this gateway's
 * journal into the store (journal_restore: last-writer-wins, so every
 * gateway replaying its own journal converges on the newest records).
 */
#ifndef SES_RESTORE_H
#define SES_RESTORE_H

/* Runs the first replay, then starts the watcher thread.  0 or -1. */
int restore_start(void);

/* Tells the thread to stop, without waiting: its wait ends at once. */
void restore_stop_request(void);

/*
 * Tells the thread to stop and waits until it has (a replay in progress
 * ends first).  Harmless when it never started.
 */
void restore_stop(void);

#endif
