/*
 * api_replay - a signed request is taken once: its signature is
 * remembered for the timestamp window, so a request copied off the wire
 * cannot be sent again while its timestamp still passes.
 *
 * The signatures live in the shared store (memcached "add" with an
 * expiry: one gateway sees what another took); when the store is not
 * configured or does not answer, in a table of this process (recent
 * signatures, oldest forgotten first when it is full), so a gateway
 * still refuses what it has seen itself.
 */
#ifndef SES_API_REPLAY_H
#define SES_API_REPLAY_H

#include <stdbool.h>
#include <time.h>

#include "store.h"

/* Remembers signature at now; false when it was already seen. */
bool api_replay_first(const struct store *s, const char *signature, time_t now);

#endif
