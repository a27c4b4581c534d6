/*
 * engine_plan - builds and frees the end-of-message plan
 * (engine_plan.c); the plan itself is engine_types.h's.
 */
#ifndef SES_ENGINE_PLAN_H
#define SES_ENGINE_PLAN_H

#include "decision.h"
#include "policy_msg.h"

/* Builds the plan for decision d (engine_plan.c); frees it. */
void engine_plan_build(struct policy_msg *m, const struct policy_decision *d);
void engine_plan_free(struct policy_msg *m);

#endif
