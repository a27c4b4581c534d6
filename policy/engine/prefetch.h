/*
 * prefetch - the shared-state keys one recipient's rules will read,
 * fetched together before the rules run.
 *
 * Before the RCPT rules run, each rule with a prefetch hook (rule.h) adds
 * the keys it will read; prefetch_run() reads them all with one multi-get
 * (store_mget: one request per memcached server, the restore mark of each
 * read in the same request).  The rules then find their answers with
 * prefetch_find() instead of a request each; a key not prefetched (or no
 * prefetch at all: other stages, unit tests calling a rule alone) is read
 * from the store as before.
 *
 * The answers are as old as the multi-get: a rule that writes (a
 * reservation) still writes atomically and treats the answer as a hint.
 */
#ifndef SES_PREFETCH_H
#define SES_PREFETCH_H

#include <stdbool.h>
#include <stddef.h>

#include "entries.h"
#include "store.h"
#include "strbuf.h"

struct policy_msg;

struct prefetch {
	struct store_mget_item *items;
	struct strbuf *vals;		/* items[i].val, set by prefetch_run */
	size_t n, cap;
	size_t hint;			/* where prefetch_find starts: rules read in order */
	bool done;			/* prefetch_run has read the keys */
};

#define PREFETCH_INIT { NULL, NULL, 0, 0, 0, false }

/*
 * Adds key (copied).  guarded: its answer is STORE_ERROR unless its
 * server is restored (entries, day counters); unguarded keys are answered
 * whatever the mark says.  A key added twice is read twice (harmless, and
 * cheaper than looking for it among a thousand frequency slots); both
 * answers come from the same multi-get.
 */
void prefetch_add(struct prefetch *p, const char *key, bool guarded);
/* Adds the key of an entry lookup (guarded). */
void prefetch_add_entry(struct prefetch *p, const struct entry_id *id);
/* Reads every key added; the answers stay until prefetch_free. */
void prefetch_run(struct prefetch *p, const struct store *s);
/* The answer for key, or NULL when key was not prefetched (or not run). */
const struct store_mget_item *prefetch_find(struct prefetch *p, const char *key);
void prefetch_free(struct prefetch *p);

/*
 * entry_lookup() for a rule: from the message's prefetch when it holds
 * the entry, else from the store.
 */
enum store_result prefetch_entry_lookup(struct policy_msg *m, const struct entry_id *id,
					bool *present);

#endif
