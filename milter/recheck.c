/*
 * recheck - the domain re-check thread; see recheck.h.
 *
 * The thread waits in worker_wait_until() (worker.h: CLOCK_MONOTONIC
 * deadlines, never sleep()), so recheck_stop_request and recheck_wake
 * reach it at once and a clock set back or forward does not shift the
 * rounds.  A stop
 * during a round is seen before each domain and each lookup (recheck_query
 * refuses to ask once stopping), so the longest wait is one lookup already
 * sent: RECHECK_DNS_TIMEOUT times RECHECK_DNS_TRIES seconds.
 *
 * Diagnostics: "cannot start the domain re-check thread" (error),
 * "re-checking verified domains every D, first in S s" or "domain
 * re-check is off (DomainRecheckInterval 0)" at start (info), "domain
 * re-check: WHY" when DnsServer cannot be used (notice), "domain re-check
 * stopped before the end of a round" (info), and domain_recheck.h's lines.
 */
#include "autoconf.h"

#include <string.h>
#include <time.h>

#include "conftab.h"
#include "dns.h"
#include "domain_recheck.h"
#include "logging.h"
#include "recheck.h"
#include "reload.h"
#include "worker.h"

static struct worker recheck_worker = WORKER_INIT("the domain re-check thread", NULL);

/* True once a stop was asked for; the argument is unused (domain_recheck_env). */
static bool recheck_stopping(void *unused)
{
	return worker_stopping(&recheck_worker);
}

/* dns_query, unless stopping: a stop is not held up by lookups not yet sent. */
static enum dns_status recheck_query(void *arg, const char *name, enum dns_rrtype type,
				     struct dns_answers *out, struct strbuf *err)
{
	if (recheck_stopping(NULL)) {
		memset(out, 0, sizeof *out);
		strbuf_appends(err, "stopping");
		return DNS_TEMPFAIL;
	}
	return dns_query(arg, name, type, out, err);
}

/* DomainRecheckInterval of the snapshot in force, in seconds. */
static long long recheck_interval(void)
{
	struct policy_snapshot *snap = reload_current();
	long long interval = snap->conf->domain_recheck_interval;

	policy_snapshot_unref(snap);
	return interval;
}

/*
 * Waits until the next round is due: delay after since, where delay is the
 * interval (for the first round at most RECHECK_FIRST_DELAY), read again
 * whenever recheck_wake is called.  An interval of 0 waits for a wake.
 * False when the thread is to stop.
 */
static bool recheck_wait(const struct timespec *since, bool first)
{
	struct timespec due;
	long long interval, delay;
	unsigned long seen;

	for (;;) {
		seen = worker_wakes(&recheck_worker);
		interval = recheck_interval();
		delay = first && interval > RECHECK_FIRST_DELAY ? RECHECK_FIRST_DELAY : interval;
		due = *since;
		due.tv_sec += (time_t)delay;
		switch (worker_wait_until(&recheck_worker, interval > 0 ? &due : NULL, seen)) {
		case WORKER_DUE:
			return true;
		case WORKER_STOP:
			return false;
		case WORKER_WOKEN:
			break; /* woken by a reload: the interval may have changed */
		}
	}
}

/* One round over the snapshot in force; false when a stop ended it. */
static bool recheck_round(struct domain_recheck *rc)
{
	struct policy_snapshot *snap = reload_current();
	struct strbuf err = STRBUF_INIT;
	struct dns_resolver *dns;
	bool done = true;

	dns = dns_resolver_new(snap->conf->dns_server, RECHECK_DNS_TIMEOUT, RECHECK_DNS_TRIES,
			       &err);
	if (dns == NULL) {
		logging_msg(PLOG_NOTICE, "domain re-check: %s", strbuf_cstr(&err));
	} else {
		struct domain_recheck_env env = {
			{ recheck_query, dns }, logging_get(), recheck_stopping, NULL
		};

		done = domain_recheck_round(rc, snap, &env);
		if (!done)
			logging_msg(PLOG_INFO, "domain re-check stopped before the end of a round");
	}
	dns_resolver_free(dns);
	strbuf_free(&err);
	policy_snapshot_unref(snap);
	return done;
}

static void *recheck_thread(void *unused)
{
	struct domain_recheck *rc = domain_recheck_new();
	struct timespec last;
	bool first = true;

	clock_gettime(CLOCK_MONOTONIC, &last);
	while (recheck_wait(&last, first)) {
		first = false;
		clock_gettime(CLOCK_MONOTONIC, &last);
		if (!recheck_round(rc))
			break;
	}
	domain_recheck_free(rc);
	return NULL;
}

/* Logs when the first round will run, or that there will be none. */
static void recheck_log_plan(void)
{
	long long interval = recheck_interval();
	struct strbuf every = STRBUF_INIT;

	if (interval == 0) {
		logging_msg(PLOG_INFO, "domain re-check is off (DomainRecheckInterval 0)");
		return;
	}
	conftab_duration_format(interval, &every);
	logging_msg(PLOG_INFO, "re-checking verified domains every %s, first in %llds",
		    strbuf_cstr(&every),
		    interval > RECHECK_FIRST_DELAY ? (long long)RECHECK_FIRST_DELAY : interval);
	strbuf_free(&every);
}

int recheck_start(void)
{
	if (worker_start(&recheck_worker, recheck_thread, NULL) != 0)
		return -1;
	recheck_log_plan();
	return 0;
}

void recheck_wake(void)
{
	worker_wake(&recheck_worker);
}

void recheck_stop_request(void)
{
	worker_stop_request(&recheck_worker);
}

void recheck_stop(void)
{
	worker_stop(&recheck_worker);
}
