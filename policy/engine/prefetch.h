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
 *
 * The writes go together too.  After the multi-get each rule with a
 * reserve hook (rule.h) plans the one write its check will make
 * (prefetch_write); the first check that asks for its answer
 * (prefetch_written) sends them all with one store_mwrite, one request
 * per server.  A check then decides on its answer as it would on its own
 * write's: reserves it, takes it back, or falls back to writing itself.
 * Writes no check asked for (an earlier rule refused) are given back by
 * prefetch_settle(); a recipient refused before any check asked sends
 * none.
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
	size_t nrun;			/* items[0..nrun) have been read */
	size_t hint;			/* where prefetch_find starts: rules read in order */
	bool done;			/* prefetch_run has read the keys */
	const struct store *store;	/* set by prefetch_run */
	struct store_write_item *writes;	/* planned by the reserve hooks */
	bool *claimed;			/* writes[i] was asked for by its check */
	size_t nw, capw;
	bool written;			/* the writes have been sent */
};

#define PREFETCH_INIT { NULL, NULL, 0, 0, 0, 0, false, NULL, NULL, NULL, 0, 0, false }

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
/*
 * Reads every key added since the last call; the answers stay until
 * prefetch_free.  A reserve hook may add keys and call it again: a second
 * multi-get for what the first showed it needs (the frequency slots past
 * the first window), before any write is sent.
 */
void prefetch_run(struct prefetch *p, const struct store *s);
/* The answer for key, or NULL when key was not prefetched (or not run). */
const struct store_mget_item *prefetch_find(struct prefetch *p, const char *key);
void prefetch_free(struct prefetch *p);

/*
 * Plans write w (its key and value copied; its answer fields ignored).
 * Only before the first prefetch_written(); one write per key.
 */
void prefetch_write(struct prefetch *p, const struct store_write_item *w);
/*
 * The answer to the planned write of key, sending every planned write
 * first if they have not been sent; NULL when no write of key was
 * planned (the check writes itself).  The write is the caller's from
 * then on: it reserves or takes back what succeeded.
 */
const struct store_write_item *prefetch_written(struct prefetch *p, const char *key);
/* Gives back the planned writes that succeeded and no check asked for. */
void prefetch_settle(struct prefetch *p);

/*
 * entry_lookup() for a rule: from the message's prefetch when it holds
 * the entry, else from the store.
 */
enum store_result prefetch_entry_lookup(struct policy_msg *m, const struct entry_id *id,
					bool *present);

#endif
