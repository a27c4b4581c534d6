/*
 * store - the shared-state backend: counters and entries that every
 * gateway sees (SPEC section 6).
 *
 * A backend is a struct of operations: memcached (store_memcached.c) in
 * production, an in-process table (store_mem.c) for unit tests.  Keys are
 * built with store_key(), which encodes any bytes into memcached's safe
 * alphabet and keeps keys within 250 bytes.  Every operation returns a
 * store_result; STORE_ERROR means the backend could not answer (down,
 * timed out) and the engine applies OnFailure.
 *
 * Folder policy/store/ (main header: this one): the state shared between
 * gateways: the store backends (memory, memcached), counters in it
 * (store_tally, stats), the lists (entries) and the journal that keeps
 * them across a memcached restart.  It may include util/ and events/.
 */
#ifndef SES_STORE_H
#define SES_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

#define STORE_KEY_MAX 250

enum store_result {
	STORE_OK = 0,
	STORE_NOT_FOUND,	/* get/del/decr: no such key */
	STORE_EXISTS,		/* add: the key is already there */
	STORE_ERROR,		/* the backend did not answer */
};

/*
 * One key of a multi-get (store_mget): the caller fills key, val and
 * guarded; the backend fills result (OK or NOT_FOUND, or ERROR when the
 * key's server did not answer), cas and restored.
 */
struct store_mget_item {
	const char *key;
	struct strbuf *val;		/* the value (reset first) */
	bool guarded;			/* answer ERROR unless key's server is restored */
	enum store_result result;
	uint64_t cas;
	bool restored;			/* the key's server holds the mark "done" */
};

/*
 * One write of a batch (store_mwrite): the caller fills op and its
 * arguments, and guarded; the backend fills result (as the single
 * operation would answer it: OK, EXISTS, NOT_FOUND, or ERROR when the
 * key's server did not answer), value (incr) and restored.
 */
enum store_write_op {
	STORE_W_ADD,		/* add val */
	STORE_W_CAS,		/* cas val over token cas */
	STORE_W_INCR,		/* incr by delta, created at initial */
	STORE_W_SET,		/* set val */
};

struct store_write_item {
	enum store_write_op op;
	const char *key;
	const void *val;		/* add, cas */
	size_t len;
	uint64_t cas;			/* cas */
	uint64_t delta, initial;	/* incr */
	uint32_t ttl;
	bool guarded;			/* undone and ERROR unless key's server is restored */
	enum store_result result;
	uint64_t value;			/* incr: the new value */
	bool restored;			/* the key's server held the mark "done" after the write */
};

struct store_ops {
	const char *name;
	/* Appends the value of key to val. */
	enum store_result (*get)(void *be, const char *key, struct strbuf *val);
	/* Stores key only if absent (atomic); ttl in seconds, 0 = no expiry. */
	enum store_result (*add)(void *be, const char *key, const void *val, size_t len,
				 uint32_t ttl);
	enum store_result (*set)(void *be, const char *key, const void *val, size_t len,
				 uint32_t ttl);
	enum store_result (*del)(void *be, const char *key);
	/* Adds delta, creating the counter at initial (with ttl) if absent. */
	enum store_result (*incr)(void *be, const char *key, uint64_t delta, uint64_t initial,
				  uint32_t ttl, uint64_t *value);
	/* Subtracts delta, stopping at 0; NOT_FOUND if absent. */
	enum store_result (*decr)(void *be, const char *key, uint64_t delta, uint64_t *value);
	/* get with the item's compare-and-swap token. */
	enum store_result (*gets)(void *be, const char *key, struct strbuf *val, uint64_t *cas);
	/* Stores only if the item still has token cas; EXISTS if it changed. */
	enum store_result (*cas)(void *be, const char *key, const void *val, size_t len,
				 uint32_t ttl, uint64_t cas);
	/*
	 * Appends a text naming the current incarnation of every server
	 * (address, process, start time).  When it changes, a server has
	 * restarted empty and long-lived entries must be restored.
	 */
	enum store_result (*epoch)(void *be, struct strbuf *out);
	void (*free)(void *be);
	/*
	 * get, plus the restore mark guard read from the server that owns
	 * key in the same request: *restored is true when that server holds
	 * the mark "done" (see store_get_guarded).
	 */
	enum store_result (*get_guarded)(void *be, const char *key, const char *guard,
					 struct strbuf *val, bool *restored);
	/*
	 * Writes the mark guard on every live server: "pending" (done false),
	 * or turns each "pending" into "done" with compare-and-swap (done
	 * true); NOT_FOUND when a server has no mark (it restarted since).
	 */
	enum store_result (*mark)(void *be, const char *guard, bool done);
	/*
	 * Reads every item's key, with its CAS token, in one request per
	 * server involved; with guard, also the mark on each of those
	 * servers (item->restored).  STORE_ERROR when a server did not
	 * answer (its items say STORE_ERROR too).
	 */
	enum store_result (*mget)(void *be, struct store_mget_item *items, size_t n,
				  const char *guard);
	/*
	 * Optional.  Makes every item's write, each server's in one request
	 * (the writes pipelined, their answers read together); with guard,
	 * reads the mark of each server that owns a guarded item after its
	 * writes, in the same request (item->restored).  An item the
	 * server did not answer says STORE_ERROR.
	 */
	enum store_result (*mwrite)(void *be, struct store_write_item *items, size_t n,
				    const char *guard);
};

struct store {
	const struct store_ops *ops;
	void *be;
	/*
	 * The restore mark of this gateway ("rs:..."), or NULL: lookups are
	 * not guarded (sesctl).  Not owned; the snapshot holds it.
	 */
	const char *guard;
};

/*
 * Builds "prefix:part:part..." into out (reset first).  Bytes outside
 * [A-Za-z0-9._@+-] are written %XX; a key that would exceed
 * STORE_KEY_MAX becomes "prefix:#" and the SHA-256 of the parts in hex.
 * parts is NULL-terminated.
 */
void store_key(struct strbuf *out, const char *prefix, const char *const *parts);

/* Convenience wrappers; a NULL store answers STORE_ERROR. */
enum store_result store_get(const struct store *s, const char *key, struct strbuf *val);
enum store_result store_add(const struct store *s, const char *key, const void *val,
			    size_t len, uint32_t ttl);
enum store_result store_set(const struct store *s, const char *key, const void *val,
			    size_t len, uint32_t ttl);
enum store_result store_del(const struct store *s, const char *key);
enum store_result store_incr(const struct store *s, const char *key, uint64_t delta,
			     uint64_t initial, uint32_t ttl, uint64_t *value);
enum store_result store_decr(const struct store *s, const char *key, uint64_t delta,
			     uint64_t *value);
enum store_result store_gets(const struct store *s, const char *key, struct strbuf *val,
			     uint64_t *cas);
enum store_result store_cas(const struct store *s, const char *key, const void *val,
			    size_t len, uint32_t ttl, uint64_t cas);
enum store_result store_epoch(const struct store *s, struct strbuf *out);
void store_free(struct store *s);

/*
 * Restore marks.  A memcached server that restarts comes back empty and
 * without this gateway's mark; until the gateway has replayed its journal
 * into it and set the mark again, the entries and day counters that
 * server owns are unknown.  store_get_guarded() reads key and the mark in
 * one request and answers STORE_ERROR (the engine's OnFailure) when the
 * mark is not "done", and wakes store_restore_wait()ers.  With no guard
 * it is store_get().
 */
enum store_result store_get_guarded(const struct store *s, const char *key,
				    struct strbuf *val);
enum store_result store_mark(const struct store *s, bool done);
/*
 * Reads n keys at once (one request per server).  An item marked guarded
 * answers STORE_ERROR when its server is not restored, as
 * store_get_guarded() would.  Returns STORE_ERROR when any item does.
 */
enum store_result store_mget(const struct store *s, struct store_mget_item *items, size_t n);
/*
 * Makes n writes at once (one request per server; a backend without
 * mwrite makes them one by one).  A guarded item whose server is not
 * restored after the write is undone (add, cas: deleted; incr:
 * decremented) and answers STORE_ERROR, as store_count() would.  Returns
 * STORE_ERROR when any item does; the other items keep their answers.
 */
enum store_result store_mwrite(const struct store *s, struct store_write_item *items, size_t n);
/* Waits up to seconds for a lookup that found a server not restored; true if one did. */
bool store_restore_wait(unsigned seconds);
/* Wakes store_restore_wait() to replay; called by store_get_guarded(). */
void store_restore_wanted(void);
/*
 * Wakes store_restore_wait() early without asking for a replay: a backend
 * met a dead or ejected server, so the restore thread compares the
 * servers' identities now instead of at its next tick.
 */
void store_servers_changed(void);
/*
 * Forgets the early wakes raised since the last store_restore_wait(): the
 * restore thread calls it after a check, whose own requests to a dead
 * server raise them and must not start the next check at once (with no
 * server answering, it would check in a tight loop).  After a replay that
 * completed (replayed), it forgets the lookups' requests for a replay too:
 * they met that replay's own mark "pending", and answering each with one
 * more replay (which sets "pending" again) would go on as long as mail
 * does.  A server that restarts after the replay is met again by the next
 * lookup, which asks again.
 */
void store_restore_settle(bool replayed);
/*
 * Ends a store_restore_wait() at once (or the next one, if none is in
 * progress), asking for nothing: the restore thread is being stopped.
 */
void store_restore_interrupt(void);
const char *store_result_name(enum store_result r);

#endif
