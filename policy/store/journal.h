/*
 * journal - the durable, append-only record of every entry write
 * (blocklist, unsubscribes, suppressions, suspensions; SPEC section 6).
 *
 * memcached is a cache: a restarted server comes back empty.  Each
 * gateway appends every write it makes to its journal, one line per
 * write:
 *
 *     <kind> <scope> <addr> <state> <stamp_us> <expires> <origin>
 *
 * kind as entry_kind_name(), state 1 (present) or 0 (removed), stamp in
 * microseconds, expires in seconds since the epoch (0: never).  scope,
 * addr and origin are written with entry_encode() (every byte outside
 * [A-Za-z0-9._@+-] as %XX), an empty field as "-" and a field that is
 * "-" itself as "%2D", so any byte of an address round-trips.  A line is
 * written with one write(2) and fsync'd under an exclusive flock(2) of
 * the lock file "PATH.lock", so concurrent writers (milter threads,
 * sesctl) never interleave, also while the journal is being compacted.
 *
 * Restoring keeps the newest record per entry and entry_put()s it, so
 * restoring the journals of several gateways, in any order, converges.
 *
 * Diagnostics: "FILE:LINE: REASON" per malformed line (skipped and
 * counted), "FILE: cannot open: REASON" and the like for I/O errors.
 */
#ifndef SES_JOURNAL_H
#define SES_JOURNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"
#include "entries.h"
#include "store.h"
#include "strbuf.h"

/*
 * Appends one line for (id, rec); scope and addr are normalised first.
 * Creates the file (mode 0640) when missing.  0, or -1 with the reason
 * in err (may be NULL).
 */
int journal_append(const char *path, const struct entry_id *id, const struct entry_record *rec,
		   struct strbuf *err);

/* Called per well-formed line; return 0 to go on, anything else to stop. */
typedef int journal_fn(void *arg, const struct entry_id *id, const struct entry_record *rec,
		       unsigned line);

/*
 * Calls fn for every well-formed line of path in order.  A malformed line
 * is skipped, counted in *malformed and reported in diags (both may be
 * NULL).  A missing file is an empty journal.  0, or -1 when the file
 * cannot be read (reported in diags) or fn stopped the replay.
 */
int journal_replay(const char *path, journal_fn *fn, void *arg, size_t *malformed,
		   struct diag_list *diags);

/* One journal line, owning its strings. */
struct journal_record {
	enum entry_kind kind;
	char *scope; /* "" when none */
	char *addr;  /* "" for a suspension */
	struct entry_record rec;
};

/* The records of a journal; see journal_load. */
struct journal_set {
	struct journal_record *v;
	size_t n;
	size_t lines;	  /* lines read */
	size_t malformed; /* lines skipped */
};

#define JOURNAL_SET_INIT      \
	{                     \
		NULL, 0, 0, 0 \
	}

/*
 * Reads every well-formed line of path into set (init first).  newest:
 * keep only the newest record per entry (last-writer-wins), sorted by
 * kind, scope and address.  0, or -1 as journal_replay.
 */
int journal_load(const char *path, bool newest, struct journal_set *set, struct diag_list *diags);
void journal_set_free(struct journal_set *set);
/* The entry_id of r, pointing into r. */
void journal_record_id(const struct journal_record *r, struct entry_id *id);

enum journal_result {
	JOURNAL_OK = 0,
	JOURNAL_IO_ERROR,    /* the journal could not be read or written */
	JOURNAL_STORE_ERROR, /* the store did not answer */
};

/*
 * Puts the newest record of every entry in path into the store (also
 * removals, so older adds from other gateways' journals lose; expired
 * records are left out).  *restored counts the records put, *skipped the
 * malformed lines (reported in diags, which may be NULL).  Stops at the
 * first store error.
 */
enum journal_result journal_restore(const struct store *s, const char *path, size_t *restored,
				    size_t *skipped, struct diag_list *diags);

/*
 * journal_restore() framed by the store's restore mark (store.h): the
 * mark is set "pending" on every server, the journal replayed, then each
 * "pending" turned "done" (the day counters noted by store_tally are
 * raised back in between); a server that restarted meanwhile has no mark
 * and the replay runs again (a few times at most).  Without a guard it
 * is journal_restore().
 */
enum journal_result journal_restore_marked(const struct store *s, const char *path,
					   size_t *restored, size_t *skipped,
					   struct diag_list *diags);

/*
 * Rewrites path keeping only the newest record per entry, dropping
 * entries whose newest record has expired and malformed lines (reported
 * in diags), then renames the new file over the old one.  Writers that
 * wait meanwhile append to the new file.  *before and *after (may be
 * NULL) count lines.  JOURNAL_OK or JOURNAL_IO_ERROR (file unchanged).
 */
enum journal_result journal_compact(const char *path, size_t *before, size_t *after,
				    struct diag_list *diags);

#endif
