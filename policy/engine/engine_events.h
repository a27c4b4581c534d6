/*
 * engine_events - the accepted/rejected events and counters of a
 * transaction (engine_events.c).
 */
#ifndef SES_ENGINE_EVENTS_H
#define SES_ENGINE_EVENTS_H

#include "policy_msg.h"

/* Writes the transaction's accepted/rejected events (engine_events.c). */
void engine_events(struct policy_msg *m);

#endif
