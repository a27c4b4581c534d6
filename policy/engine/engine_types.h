/*
 * engine_types - what the engine, its parts and its caller share: the
 * header edit and header values, the kinds of reservation, the
 * end-of-message plan (engine_plan.c) and the message's log line
 * (policy_msg.c).  engine.h (the caller's view) and policy_msg.h (the
 * engine's own view) both include it, so neither includes the other.
 */
#ifndef SES_ENGINE_TYPES_H
#define SES_ENGINE_TYPES_H

#include <stdbool.h>
#include <stddef.h>

#include "plog.h"

struct policy_msg;

/* A header change for the adapter to make at end of message. */
struct policy_hdr_edit {
	char *name;
	unsigned index;			/* 1-based among headers of that name; 0: add */
	char *value;			/* NULL: delete */
	bool at_top;			/* insert before every other header */
};

/* A header of the message as received, in order. */
struct policy_header {
	char *name;
	char *value;			/* folding kept, CRLF line ends */
};

/*
 * A count taken in shared state for one recipient: given back if the
 * recipient or the message does not go through, kept once it does.
 */
enum policy_resv_kind {
	POLICY_RESV_SLOT,		/* an item to delete */
	POLICY_RESV_COUNTER,		/* a counter to decrement */
};

/* Logging with the queue ID first; used by the engine and the rules. */
void policy_msg_log(const struct policy_msg *m, enum plog_level level, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * What the caller must do to the message before it may leave, in this
 * order.  Read-only; it points into the message and is valid until the
 * message is freed.  Empty (all NULL/0) when policy_eom() refused.
 */
struct policy_plan {
	const char *const *delete_rcpts;	/* remove (local submission refusals) */
	size_t ndelete;
	const char *new_sender;			/* change the envelope sender, or NULL */
	const char *const *notify_rcpts;	/* remove and re-add with NOTIFY=SUCCESS,FAILURE */
	size_t nnotify;
	const struct policy_hdr_edit *hdrs;	/* header changes, in order */
	size_t nhdrs;
	const char *body;			/* the new body (CRLF), or NULL: keep */
	size_t body_len;
	const char *quarantine;			/* hold: the reason, or NULL */
};

/* The plan of policy_eom() (an empty one before it). */
const struct policy_plan *policy_msg_plan(const struct policy_msg *m);

#endif
