/*
 * cbqueue - the callback deliveries waiting for a retry, and the backoff
 * of each callback URL (SPEC section 7).
 *
 * A delivery is one event (its JSON line, as in the event log) for one
 * URL.  When a POST to a URL fails, the delivery joins the queue and the
 * URL is backed off: 10 s after the first failure, doubling with each
 * further one up to 1 h (CBQUEUE_BACKOFF_MIN, CBQUEUE_BACKOFF_MAX).  While
 * a URL is backed off or has deliveries queued, its new events join the
 * queue behind them instead of being tried, so a dead or slow endpoint
 * costs one attempt per backoff step and never holds up the others, and
 * each URL receives its events in log order.  The first success resets
 * the URL's backoff.  A delivery older than the retry window
 * (CallbackRetryHours) is given up.
 *
 * The queue is kept in memory and saved whole to a file (one JSON object
 * per line: url, account, first, attempts, event) with a write to a
 * temporary file, fsync and rename, so it survives a restart; the
 * backoff of the URLs is not saved (after a restart each is tried again
 * at once).  Plain C: no sockets; the daemon's delivery thread
 * (milter/notify.c) does the POSTs.
 *
 * Diagnostics: "FILE:LINE: malformed queue line skipped", "cannot open
 * FILE: REASON", "cannot write FILE: REASON", "cannot rename TMP to FILE:
 * REASON".
 */
#ifndef SES_CBQUEUE_H
#define SES_CBQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

#define CBQUEUE_BACKOFF_MIN 10	 /* seconds after a URL's first failure */
#define CBQUEUE_BACKOFF_MAX 3600 /* the longest wait between attempts */

struct cbqueue_entry {
	char *url;
	char *account;
	char *json;		/* the event, as in the log */
	int64_t first;		/* Unix seconds of the first attempt */
	unsigned attempts;
};

struct cbqueue_url {
	char *url;
	unsigned fails;		/* consecutive failures */
	int64_t next_at;	/* Unix seconds; 0: may be tried */
};

struct cbqueue {
	struct cbqueue_entry *v; /* in arrival order */
	size_t n;
	struct cbqueue_url *urls;
	size_t nurls;
	bool dirty;		/* changed since loaded or saved */
};

#define CBQUEUE_INIT { NULL, 0, NULL, 0, false }

void cbqueue_free(struct cbqueue *q);

/* Queues a delivery (copies the strings). */
void cbqueue_add(struct cbqueue *q, const char *url, const char *account, const char *json,
		 int64_t first, unsigned attempts);

/* Removes entry i (keeping the order). */
void cbqueue_remove(struct cbqueue *q, size_t i);

/* True when url is not to be tried now: backed off, or deliveries queued. */
bool cbqueue_url_waits(const struct cbqueue *q, const char *url, int64_t now);

/* True when url's backoff has passed (queued deliveries may be tried). */
bool cbqueue_url_due(const struct cbqueue *q, const char *url, int64_t now);

/* Records a failed attempt at url: backs it off.  Returns the wait in seconds. */
long cbqueue_url_failed(struct cbqueue *q, const char *url, int64_t now);

/* Records a successful attempt at url: its backoff ends. */
void cbqueue_url_ok(struct cbqueue *q, const char *url);

/* Seconds to wait after fails consecutive failures (1: CBQUEUE_BACKOFF_MIN). */
long cbqueue_backoff(unsigned fails);

/*
 * Saves the entries to path (atomically; an empty queue leaves an
 * empty file) and clears dirty.  0, or -1 with the reason in err.
 */
int cbqueue_save(struct cbqueue *q, const char *path, struct strbuf *err);

/*
 * Replaces path with data: written to path.tmp, fsync'd, renamed.  0, or
 * -1 with the reason in err.  Also used for the delivery cursor.
 */
int cbqueue_write_atomic(const char *path, const struct strbuf *data, struct strbuf *err);

/*
 * Adds the entries saved at path (a missing file is an empty queue).
 * Returns the number added, or -1 when the file cannot be read; a
 * malformed line is skipped and reported in err.
 */
long cbqueue_load(struct cbqueue *q, const char *path, struct strbuf *err);

#endif
