/*
 * engine_log - the one summary line of a message (engine_log.c).
 */
#ifndef SES_ENGINE_LOG_H
#define SES_ENGINE_LOG_H

#include "policy_msg.h"

/* Writes the one summary line for the message (engine_log.c). */
void policy_msg_summary(struct policy_msg *m, const char *outcome);

#endif
