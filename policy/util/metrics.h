/*
 * metrics - the daemon's Prometheus metrics: a fixed registry of counters,
 * gauges and histograms, and their text exposition (format 0.0.4).
 *
 * Every metric is declared once in the table of metrics.c with at most two
 * labels, each with a closed list of values.  A value that is not in the
 * list is counted under "other" when the list has it, else dropped: label
 * values are bounded by construction and never carry an address or free
 * text.  (The one label with operator-chosen values, the account name of
 * ses_milter_account_suspended, is rendered by the caller from the
 * configured accounts with metrics_render_gauge_family().)
 *
 * Updates are lock-free: each series is a C11 atomic, so the hot path
 * pays a short label lookup and one relaxed atomic add.  Histograms keep
 * per-bucket counts and the sum in nanoseconds; rendering makes the
 * buckets cumulative and adds +Inf, _sum (seconds) and _count.
 *
 * This lives in util/, the bottom layer, so store/, engine/, auth/ and the
 * adapter can all count without new arrows between folders.
 */
#ifndef SES_METRICS_H
#define SES_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

enum metric_id {
	METRIC_DECISIONS,		/* rule, class */
	METRIC_STAGE_SECONDS,		/* stage: mail rcpt eom sign memcached */
	METRIC_MEMCACHED_ERRORS,	/* kind: error timeout */
	METRIC_MEMCACHED_EJECTIONS,	/* a server failed or was found ejected */
	METRIC_JOURNAL_APPENDS,		/* result: ok error */
	METRIC_JOURNAL_RESTORES,	/* result: ok error */
	METRIC_CALLBACK_QUEUE_DEPTH,
	METRIC_CALLBACK_OLDEST_AGE,
	METRIC_SIGNATURES,		/* algorithm */
	METRIC_INBOUND_AUTH,		/* method, result */
	METRIC_SESSIONS_ACTIVE,
	METRIC_WORKER_RESTARTS,
	METRIC_CONFIG_AGE,
	METRIC_CONFIG_GENERATION,
	METRIC_RELOAD_FAILURES,
	METRIC_RELOAD_LAST_FAILED,
	METRIC_API_REQUESTS,		/* action, result */
	METRIC_ACCOUNTS_SUSPENDED,
	METRIC_BACKEND_UP,
	METRIC_JOURNAL_WRITABLE,
	METRIC__COUNT
};

enum metric_type { METRIC_COUNTER, METRIC_GAUGE, METRIC_HISTOGRAM };

struct metric_label {
	const char *name;		/* NULL: no such label */
	const char *const *values;	/* NULL-terminated */
};

struct metric_def {
	const char *name;
	const char *help;
	enum metric_type type;
	struct metric_label label[2];
	const double *buckets;		/* histogram: upper bounds, ascending */
	size_t nbuckets;
};

/* The definition of id (for tests and documentation). */
const struct metric_def *metrics_def(enum metric_id id);

/*
 * Adds n to the counter (or histogram count) id at the series named by
 * the label values (NULL for a label the metric does not have).
 */
void metrics_add(enum metric_id id, const char *l1, const char *l2, uint64_t n);
#define metrics_inc(id, l1, l2) metrics_add((id), (l1), (l2), 1)
/* Declared for the HTTP API: one request with its action and result. */
#define metrics_counter_inc(id, l1, l2) metrics_add((id), (l1), (l2), 1)

/* Sets a gauge (or, for a count kept elsewhere, a counter) to v. */
void metrics_set(enum metric_id id, const char *l1, const char *l2, double v);

/* Adds one observation of seconds to the histogram id. */
void metrics_observe(enum metric_id id, const char *l1, double seconds);

/* Monotonic seconds, for timing a stage: metrics_observe(.., metrics_now() - t0). */
double metrics_now(void);

/* The current value of a series (tests). */
double metrics_value(enum metric_id id, const char *l1, const char *l2);

/* Sets every series to zero (tests). */
void metrics_reset(void);

/* Appends every registered metric in the text exposition format. */
void metrics_render(struct strbuf *out);

/*
 * Appends one gauge family whose single label takes the n values given
 * (operator-chosen names, such as accounts).
 */
void metrics_render_gauge_family(struct strbuf *out, const char *name, const char *help,
				 const char *label, const char *const *values,
				 const double *nums, size_t n);

/* Appends s as a label value: backslash, double quote and newline escaped. */
void metrics_escape(struct strbuf *out, const char *s);

#endif
