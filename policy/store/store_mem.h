/*
 * store_mem - an in-process store.h backend with an adjustable clock.
 *
 * For unit tests of the rules that use shared state: same semantics as
 * memcached (add is atomic, counters stop at 0, entries expire), a clock
 * the test moves, and a switch that makes every operation fail like a
 * dead server.
 */
#ifndef SES_STORE_MEM_H
#define SES_STORE_MEM_H

#include <stdbool.h>
#include <time.h>

#include "store.h"

void store_mem_open(struct store *s);
/* Sets the time the store sees (0: the real clock). */
void store_mem_set_time(struct store *s, time_t now);
/* Makes every operation answer STORE_ERROR while down is true. */
void store_mem_set_down(struct store *s, bool down);
/* Loses every entry and changes the epoch, like a restarted server. */
void store_mem_restart(struct store *s);
/* Entries that have not expired. */
size_t store_mem_count(struct store *s);

#endif
