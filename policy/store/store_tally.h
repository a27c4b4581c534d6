/*
 * store_tally - the day counters that are policy (the daily quota
 * "dq:", the day's hard bounces "bn:" and complaints "cp:") kept across
 * a restart of the memcached server that holds them.
 *
 * Every increment through store_count() notes the value the server
 * answered; each answer is the cluster-wide count at that moment, so
 * the largest value any gateway noted is the count at the last increment
 * before a restart.  The journal replay (journal_restore_marked) raises
 * each noted counter of the day back to at least that value, with
 * compare-and-swap (the larger wins, whatever the gateways' order),
 * before the server's restore mark says "done"; until then store_count()
 * answers STORE_ERROR (OnFailure).
 *
 * Bound: after a restart a counter is short by at most the increments in
 * flight at the moment of the restart (counted by the server, not yet
 * noted: at most one per concurrent session and gateway).  Given-back
 * reservations are not subtracted from the note, so a restored counter
 * may be higher than the truth (stricter, never looser).  The notes live
 * in the gateway's memory: a counter no gateway incremented since it
 * started is not restored.
 *
 * The notes are process-wide (they must outlive configuration reloads,
 * which open a new store) and are pruned after STORE_TALLY_KEEP_S.
 */
#ifndef SES_STORE_TALLY_H
#define SES_STORE_TALLY_H

#include <stdint.h>

#include "store.h"

#define STORE_TALLY_KEEP_S (3 * 86400)

/*
 * incr through the restore mark: the counter is incremented, then read
 * with the mark (store_get_guarded); on a server not restored the
 * increment is taken back and STORE_ERROR returned.  Notes *value.
 */
enum store_result store_count(const struct store *s, const char *key, uint64_t delta,
			      uint64_t initial, uint32_t ttl, uint64_t *value);

/*
 * Notes that key held value: a read of a day counter, or the answer of
 * an increment made another way (the daily quota's, a guarded
 * store_mwrite that read the mark after it in the same request).
 */
void store_tally_note(const char *key, uint64_t value);

/*
 * Raises every noted counter in s to at least its noted value.
 * *raised counts the counters written (may be NULL).  STORE_OK or
 * STORE_ERROR.
 */
enum store_result store_tally_restore(const struct store *s, size_t *raised);

/* Forgets every note (tests). */
void store_tally_clear(void);

#endif
