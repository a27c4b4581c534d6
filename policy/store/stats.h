/*
 * stats - daily volumes per sender domain in shared state, the counters
 * behind sesctl(8) stats (SPEC section 7).
 *
 * One memcached counter per sender domain, UTC day and kind:
 *
 *     st:DOMAIN:YYYYMMDD:KIND      e.g. st:example.com:20240501:accepted
 *
 * built with store_key() (so any bytes in DOMAIN are encoded safely), the
 * domain lower-cased first.  Every gateway adds to the same counters, so
 * they count the traffic of all gateways.  A counter is created by its
 * first increment and lives STATS_TTL seconds from then (about 400 days;
 * the memcached backend turns TTLs over 30 days into absolute times).
 *
 * Kinds: requests (= accepted + rejected recipients), accepted, rejected,
 * delivered, opened, clicked, bounced (hard and soft), unsubscribed, and
 * the raw opens and clicks.  opened and clicked count each (message,
 * recipient) once, humans only (track_note.c marks the first with a
 * memcached add, so all gateways agree); opens and clicks count every
 * event, scanners and repeats included.
 *
 * Counting must never change what happens to a message: stats_add only
 * reports a failure, and its callers log it and go on.
 *
 * Diagnostics: none of its own; callers log "cannot count KIND for
 * DOMAIN: memcached did not answer".
 */
#ifndef SES_STATS_H
#define SES_STATS_H

#include <stdint.h>

#include "events.h"
#include "store.h"
#include "strbuf.h"

enum stats_kind {
	STATS_REQUESTS = 0,
	STATS_ACCEPTED,
	STATS_REJECTED,
	STATS_DELIVERED,
	STATS_OPENED,
	STATS_CLICKED,
	STATS_BOUNCED,
	STATS_UNSUBSCRIBED,
	STATS_OPENS,		/* every open event, machines and repeats too */
	STATS_CLICKS,		/* every click event, likewise */
	STATS_NKINDS
};

#define STATS_TTL (400u * 86400u)
#define STATS_DAY_LEN 9 /* YYYYMMDD and NUL */

/* "requests", ...; NULL for a value out of range. */
const char *stats_kind_name(enum stats_kind kind);

/* The kind an event of type counts as, or -1 for one not counted here. */
int stats_kind_of_event(enum event_type type);

/* The UTC day of t (Unix seconds) as YYYYMMDD. */
void stats_day(int64_t t, char out[STATS_DAY_LEN]);

/* Builds the key of domain's counter of kind on day (YYYYMMDD) into out. */
void stats_key(struct strbuf *out, const char *domain, const char *day, enum stats_kind kind);

/*
 * Adds n to domain's counter of kind for the UTC day of t.  n == 0, an
 * empty or NULL domain: nothing to do, STORE_OK.  STORE_ERROR when the
 * store did not answer.
 */
enum store_result stats_add(const struct store *st, const char *domain, int64_t t,
			    enum stats_kind kind, uint64_t n);

/*
 * Adds ns[i] to domain's counter of kinds[i] for the UTC day of t, for i
 * below count (at most STATS_NKINDS), in one store_mwrite: one round trip
 * per server for all of them.  Zero amounts are left out.  STORE_ERROR
 * when the store did not answer one of them (the others still count).
 */
enum store_result stats_add_batch(const struct store *st, const char *domain, int64_t t,
				  const enum stats_kind *kinds, const uint64_t *ns, size_t count);

/*
 * Reads every counter of domain on day (YYYYMMDD) into out; an absent
 * counter is 0.  STORE_OK, or STORE_ERROR when the store did not answer.
 */
enum store_result stats_get_day(const struct store *st, const char *domain, const char *day,
				uint64_t out[STATS_NKINDS]);

#endif
