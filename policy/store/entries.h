/*
 * entries - long-lived shared entries: blocklist, unsubscribes,
 * suppressions and suspensions (SPEC sections 3, 6 and 7).
 *
 * Each entry is one memcached item holding a record
 *
 *     "<state> <stamp> <expires> <origin>"
 *
 * state 1 (present) or 0 (removed, a tombstone), stamp in microseconds
 * since the epoch, expires in seconds since the epoch (0: never), origin
 * the host that wrote it.  Writes are last-writer-wins by (stamp, origin)
 * with compare-and-swap, so an add and a removal made on different
 * gateways converge whatever order they arrive in.  Every write is also
 * appended to a local journal (journal.h); after a memcached server
 * restarts, each gateway replays its journal and the cluster holds every
 * entry again.
 *
 * Keys: "bl:ADDR", "un:DOMAIN:ADDR", "sp:ACCOUNT:ADDR", "su:ACCOUNT",
 * built with store_key() from lower-cased addresses.
 */
#ifndef SES_ENTRIES_H
#define SES_ENTRIES_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "store.h"
#include "strbuf.h"

enum entry_kind {
	ENTRY_BLOCKLIST,	/* scope: none; global hard-bounce list */
	ENTRY_UNSUBSCRIBE,	/* scope: sender domain */
	ENTRY_SUPPRESSION,	/* scope: account */
	ENTRY_SUSPENSION,	/* scope: account; addr is "" */
	ENTRY__COUNT
};

struct entry_id {
	enum entry_kind kind;
	const char *scope;	/* domain or account; NULL/"" for the blocklist */
	const char *addr;	/* recipient address; "" for a suspension */
};

struct entry_record {
	bool present;
	int64_t stamp_us;
	int64_t expires;	/* 0: never */
	char origin[64];
};

/* "blocklist", "unsubscribe", ...; NULL for an unknown kind. */
const char *entry_kind_name(enum entry_kind kind);
int entry_kind_parse(const char *name, enum entry_kind *kind);

/* Normalises an address for keys: brackets removed, lower-cased. */
void entry_normalize_addr(const char *addr, struct strbuf *out);

/* The memcached key of id (addr and scope normalised). */
void entry_key(const struct entry_id *id, struct strbuf *key);

/*
 * Looks id up.  *present is true when a record says present and has not
 * expired.  STORE_OK (also when absent) or STORE_ERROR.
 */
enum store_result entry_lookup(const struct store *s, const struct entry_id *id,
			       bool *present);

/*
 * entry_lookup() of a value already read (a multi-get, prefetch.h): r is
 * what the read answered (OK, NOT_FOUND or ERROR), val the value.
 */
enum store_result entry_lookup_value(enum store_result r, const struct strbuf *val,
				     bool *present);

/*
 * Writes rec for id with last-writer-wins: an existing record with a
 * later (stamp, origin) is kept.  STORE_OK or STORE_ERROR.
 */
enum store_result entry_put(const struct store *s, const struct entry_id *id,
			    const struct entry_record *rec);

/* Formats and parses the record text; parse returns 0 or -1. */
void entry_record_format(const struct entry_record *rec, struct strbuf *out);
int entry_record_parse(const char *text, struct entry_record *rec);

/* ---- additions beyond the interface above -------------------------------- */

/*
 * Last-writer-wins order: by stamp, then origin (bytewise), then a
 * removal above an add, so any two different records have a winner.
 * Returns <0, 0 or >0 like strcmp; the greater record wins.
 */
int entry_record_cmp(const struct entry_record *a, const struct entry_record *b);

/* True when rec says present and has not expired at now. */
bool entry_record_live(const struct entry_record *rec, time_t now);

/*
 * Fills rec as a change made now (stamp: the real-time clock) by origin
 * (NULL: this host's name; a long one is cut): present or removed,
 * expiring at expires (0: never).
 */
void entry_record_now(struct entry_record *rec, bool present, int64_t expires,
		      const char *origin);

/*
 * Reads the record of id into rec; *found is false when there is none or
 * it does not parse.  STORE_OK or STORE_ERROR.
 */
enum store_result entry_get(const struct store *s, const struct entry_id *id,
			    struct entry_record *rec, bool *found);

/*
 * The encoding of the record's origin and of journal fields: every byte
 * outside [A-Za-z0-9._@+-] is written %XX (upper-case hex); appends to out.
 */
void entry_encode(const char *s, struct strbuf *out);
/*
 * Decodes len bytes of s, appending to out.  -1 for a bad escape, a raw
 * byte outside the alphabet, or an encoded NUL.
 */
int entry_decode(const char *s, size_t len, struct strbuf *out);

/* What entries_write achieved. */
enum entries_write_result {
	ENTRIES_WRITE_OK,	 /* in the journal and in the store */
	ENTRIES_WRITE_JOURNALED, /* in the journal; the store did not answer */
	ENTRIES_WRITE_FAILED,	 /* the journal could not be written: nothing done */
};

/*
 * The one way to change an entry: appends rec to the journal at
 * journal_path first (durable, fsync'd), then entry_put()s it.  When the
 * store is down the change is still recorded and a later restore
 * (journal_restore) brings it in.  When the journal cannot be written
 * the store is not touched either, so the store never holds what a
 * restore would lose.  err (may be NULL) receives the reason on FAILED.
 */
enum entries_write_result entries_write(const struct store *s, const char *journal_path,
					const struct entry_id *id,
					const struct entry_record *rec, struct strbuf *err);

/* "recorded", "recorded; memcached unreachable, will be restored", ... */
const char *entries_write_result_text(enum entries_write_result r);

#endif
