/*
 * recheck - the thread that looks up the records of every verified sender
 * domain again every DomainRecheckInterval and logs drift (SPEC section
 * 5).  The rounds and what they log are policy/snapshot/domain_recheck.c's; this
 * module is the timing, the resolver and the thread's lifetime.
 *
 * The first round runs RECHECK_FIRST_DELAY seconds after start (or one
 * interval after, when that is shorter), so an operator sees drift soon
 * after a restart; then one every interval, counted from the start of
 * the last round.  Each round uses the snapshot in force when it starts
 * (DnsServer, ServiceSpfInclude, ServiceMx, the accounts and the DKIM
 * keys) and holds a reference to it until it ends.  Milter threads never
 * wait for it: it shares nothing with them but the snapshot.
 */
#ifndef SES_RECHECK_H
#define SES_RECHECK_H

/* Seconds from start to the first round (at most one interval). */
#define RECHECK_FIRST_DELAY 30

/* Per lookup: seconds per try and tries, so a stop waits at most their product. */
#define RECHECK_DNS_TIMEOUT 2
#define RECHECK_DNS_TRIES 2

/* Starts the thread (in the milter process, signals blocked).  0 or -1. */
int recheck_start(void);

/* After a reload: the thread reads DomainRecheckInterval again at once. */
void recheck_wake(void);

/*
 * Tells the thread to stop, without waiting: it wakes from its wait at
 * once, and a round in progress ends before its next lookup.
 */
void recheck_stop_request(void);

/* Tells the thread to stop and waits until it has.  Harmless when it never started. */
void recheck_stop(void);

#endif
