/*
 * metrics - the registry: the table of metrics, label lookup and the
 * atomic series; see metrics.h.  The text rendering is metrics_text.c.
 *
 * Storage: each metric owns METRICS_CELLS atomic 64-bit cells.  A counter
 * or gauge series is one cell (a gauge holds a double's bits); a histogram
 * series is nbuckets + 1 bucket counts (the last is +Inf) and one cell of
 * the sum in nanoseconds.  Series are numbered l1 * n2 + l2.
 */
#include "autoconf.h"

#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "metrics.h"
#include "metrics_cells.h"

static const char *const metrics_rules[] = {
	"account", "attachments", "blocklist", "dkim", "dmarc", "edit", "feedback",
	"frequency", "inbound", "internal", "mime", "policy", "quota", "rate",
	"rcpt_count", "sender_domain", "size", "stopping", "subject", "suppressed",
	"suspended", "template", "unsubscribed", "none", "other", NULL
};
/* accept: the message went on; hold: into the hold queue */
static const char *const metrics_classes[] = { "accept", "hold", "discard", "4xx", "5xx", NULL };
static const char *const metrics_stages[] = { "mail", "rcpt", "eom", "sign", "memcached", NULL };
static const char *const metrics_mc_kinds[] = { "error", "timeout", NULL };
static const char *const metrics_results[] = { "ok", "error", NULL };
static const char *const metrics_algorithms[] = { "rsa-sha256", "ed25519-sha256", "other", NULL };
static const char *const metrics_auth_methods[] = { "spf", "dkim", "dmarc", NULL };
static const char *const metrics_auth_results[] = {
	"pass", "fail", "softfail", "neutral", "none", "temperror", "permerror", "policy",
	"other", NULL
};
/* The actions of the HTTP API (Tencent Cloud SES, API 3.0) */
static const char *const metrics_api_actions[] = {
	"SendEmail", "BatchSendEmail", "GetSendEmailStatus", "GetStatisticsReport",
	"ListBlackEmailAddress", "DeleteBlackList", "CreateEmailTemplate",
	"UpdateEmailTemplate", "DeleteEmailTemplate", "GetEmailTemplate", "ListEmailTemplates",
	"CreateEmailIdentity", "GetEmailIdentity", "ListEmailIdentities", "DeleteEmailIdentity",
	"UpdateEmailIdentity", "CreateEmailAddress", "ListEmailAddress", "DeleteEmailAddress",
	"other", NULL
};
static const char *const metrics_api_results[] = {
	"success", "auth_failure", "client_error", "throttled", "server_error", NULL
};

/* Seconds: 100 us to 10 s, for milter stages and memcached round trips. */
static const double metrics_latency_buckets[] = {
	0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
	1, 2.5, 10
};

#define L0 { { NULL, NULL }, { NULL, NULL } }
#define L1(n, v) { { n, v }, { NULL, NULL } }
#define L2(n, v, m, w) { { n, v }, { m, w } }

static const struct metric_def metrics_defs[METRIC__COUNT] = {
	[METRIC_DECISIONS] = { "ses_milter_decisions_total",
		"Policy outcomes: refusals at any stage and the end of each message, by rule and reply class.",
		METRIC_COUNTER, L2("rule", metrics_rules, "class", metrics_classes), NULL, 0 },
	[METRIC_STAGE_SECONDS] = { "ses_milter_stage_duration_seconds",
		"Time spent in a milter stage, in DKIM signing, or in one memcached round trip.",
		METRIC_HISTOGRAM, L1("stage", metrics_stages), metrics_latency_buckets,
		sizeof metrics_latency_buckets / sizeof metrics_latency_buckets[0] },
	[METRIC_MEMCACHED_ERRORS] = { "ses_milter_memcached_errors_total",
		"memcached requests that got no answer: timeouts and other errors.",
		METRIC_COUNTER, L1("kind", metrics_mc_kinds), NULL, 0 },
	[METRIC_MEMCACHED_EJECTIONS] = { "ses_milter_memcached_ejections_total",
		"memcached requests that found their server failed or ejected and moved to another.",
		METRIC_COUNTER, L0, NULL, 0 },
	[METRIC_JOURNAL_APPENDS] = { "ses_milter_journal_appends_total",
		"Entries appended to the journal.", METRIC_COUNTER,
		L1("result", metrics_results), NULL, 0 },
	[METRIC_JOURNAL_RESTORES] = { "ses_milter_journal_restores_total",
		"Journal replays into memcached servers that restarted empty.", METRIC_COUNTER,
		L1("result", metrics_results), NULL, 0 },
	[METRIC_CALLBACK_QUEUE_DEPTH] = { "ses_milter_callback_queue_events",
		"Events waiting for callback delivery.", METRIC_GAUGE, L0, NULL, 0 },
	[METRIC_CALLBACK_OLDEST_AGE] = { "ses_milter_callback_queue_oldest_age_seconds",
		"Age of the oldest event waiting for callback delivery (0: none).",
		METRIC_GAUGE, L0, NULL, 0 },
	[METRIC_SIGNATURES] = { "ses_milter_dkim_signatures_total",
		"DKIM signatures made, by algorithm.", METRIC_COUNTER,
		L1("algorithm", metrics_algorithms), NULL, 0 },
	[METRIC_INBOUND_AUTH] = { "ses_milter_inbound_auth_results_total",
		"SPF, DKIM and DMARC results of inbound mail.", METRIC_COUNTER,
		L2("method", metrics_auth_methods, "result", metrics_auth_results), NULL, 0 },
	[METRIC_SESSIONS_ACTIVE] = { "ses_milter_sessions_active",
		"Milter connections open now.", METRIC_GAUGE, L0, NULL, 0 },
	[METRIC_WORKER_RESTARTS] = { "ses_milter_worker_restarts_total",
		"Times the supervisor restarted the milter process after it died.",
		METRIC_COUNTER, L0, NULL, 0 },
	[METRIC_CONFIG_AGE] = { "ses_milter_config_age_seconds",
		"Seconds since the configuration in force was loaded.", METRIC_GAUGE, L0, NULL, 0 },
	[METRIC_CONFIG_GENERATION] = { "ses_milter_config_generation",
		"Generation of the configuration in force (1 at start, +1 per reload).",
		METRIC_GAUGE, L0, NULL, 0 },
	[METRIC_RELOAD_FAILURES] = { "ses_milter_config_reload_failures_total",
		"Reloads refused because the new configuration or data had errors.",
		METRIC_COUNTER, L0, NULL, 0 },
	[METRIC_RELOAD_LAST_FAILED] = { "ses_milter_config_last_reload_failed",
		"1 when the last reload was refused (the old configuration stays in force).",
		METRIC_GAUGE, L0, NULL, 0 },
	[METRIC_API_REQUESTS] = { "ses_milter_api_requests_total",
		"HTTP API requests, by action and result.", METRIC_COUNTER,
		L2("action", metrics_api_actions, "result", metrics_api_results), NULL, 0 },
	[METRIC_ACCOUNTS_SUSPENDED] = { "ses_milter_accounts_suspended",
		"Accounts suspended now (account file or shared state).", METRIC_GAUGE, L0, NULL, 0 },
	[METRIC_BACKEND_UP] = { "ses_milter_backend_up",
		"1 when memcached answered the last health probe.", METRIC_GAUGE, L0, NULL, 0 },
	[METRIC_JOURNAL_WRITABLE] = { "ses_milter_journal_writable",
		"1 when the journal could be opened for writing at the last health probe.",
		METRIC_GAUGE, L0, NULL, 0 },
};

_Atomic uint64_t metrics_cells[METRIC__COUNT][METRICS_CELLS];

const struct metric_def *metrics_def(enum metric_id id)
{
	return (unsigned)id < METRIC__COUNT ? &metrics_defs[id] : NULL;
}

size_t metrics_label_count(const struct metric_label *l)
{
	size_t n = 0;

	if (l->name == NULL)
		return 1;
	while (l->values[n] != NULL)
		n++;
	return n;
}

size_t metrics_series_cells(const struct metric_def *d)
{
	return d->type == METRIC_HISTOGRAM ? d->nbuckets + 2 : 1;
}

/* The index of v in l's values, "other" for an unknown one; -1: drop. */
static long metrics_label_index(const struct metric_label *l, const char *v)
{
	long i, other = -1;

	if (l->name == NULL)
		return 0;
	if (v == NULL)
		v = "none";
	for (i = 0; l->values[i] != NULL; i++) {
		if (strcmp(l->values[i], v) == 0)
			return i;
		if (strcmp(l->values[i], "other") == 0)
			other = i;
	}
	return other;
}

/* The first cell of the series (l1, l2) of id, or NULL to drop. */
static _Atomic uint64_t *metrics_series(enum metric_id id, const char *l1, const char *l2)
{
	const struct metric_def *d = metrics_def(id);
	long i1, i2;
	size_t at;

	if (d == NULL)
		return NULL;
	i1 = metrics_label_index(&d->label[0], l1);
	i2 = metrics_label_index(&d->label[1], l2);
	if (i1 < 0 || i2 < 0)
		return NULL;
	at = ((size_t)i1 * metrics_label_count(&d->label[1]) + (size_t)i2) * metrics_series_cells(d);
	if (at + metrics_series_cells(d) > METRICS_CELLS)
		return NULL;	/* the unit test keeps the table within bounds */
	return &metrics_cells[id][at];
}

void metrics_add(enum metric_id id, const char *l1, const char *l2, uint64_t n)
{
	_Atomic uint64_t *c = metrics_series(id, l1, l2);

	if (c != NULL && metrics_defs[id].type == METRIC_COUNTER)
		atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

void metrics_set(enum metric_id id, const char *l1, const char *l2, double v)
{
	_Atomic uint64_t *c = metrics_series(id, l1, l2);
	uint64_t bits;

	if (c == NULL || metrics_defs[id].type == METRIC_HISTOGRAM)
		return;
	if (metrics_defs[id].type == METRIC_COUNTER) {
		atomic_store_explicit(c, v > 0 ? (uint64_t)v : 0, memory_order_relaxed);
		return;
	}
	memcpy(&bits, &v, sizeof bits);
	atomic_store_explicit(c, bits, memory_order_relaxed);
}

void metrics_observe(enum metric_id id, const char *l1, double seconds)
{
	const struct metric_def *d = metrics_def(id);
	_Atomic uint64_t *c = metrics_series(id, l1, NULL);
	size_t b = 0;

	if (c == NULL || d->type != METRIC_HISTOGRAM)
		return;
	if (seconds < 0)
		seconds = 0;
	while (b < d->nbuckets && seconds > d->buckets[b])
		b++;
	atomic_fetch_add_explicit(&c[b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&c[d->nbuckets + 1], (uint64_t)(seconds * 1e9 + 0.5),
				  memory_order_relaxed);
}

double metrics_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double metrics_cell_value(const struct metric_def *d, const _Atomic uint64_t *c)
{
	uint64_t bits = atomic_load_explicit(c, memory_order_relaxed);
	double v;

	if (d->type != METRIC_GAUGE)
		return (double)bits;
	memcpy(&v, &bits, sizeof v);
	return v;
}

double metrics_value(enum metric_id id, const char *l1, const char *l2)
{
	const struct metric_def *d = metrics_def(id);
	_Atomic uint64_t *c = metrics_series(id, l1, l2);
	uint64_t n = 0;
	size_t b;

	if (c == NULL)
		return 0;
	if (d->type != METRIC_HISTOGRAM)
		return metrics_cell_value(d, c);
	for (b = 0; b <= d->nbuckets; b++)
		n += atomic_load_explicit(&c[b], memory_order_relaxed);
	return (double)n;	/* a histogram's value: its count */
}

void metrics_reset(void)
{
	size_t i, j;

	for (i = 0; i < METRIC__COUNT; i++)
		for (j = 0; j < METRICS_CELLS; j++)
			atomic_store_explicit(&metrics_cells[i][j], 0, memory_order_relaxed);
}
