/*
 * recheck - the domain re-check thread; see recheck.h.
 *
 * The thread waits on a condition variable with CLOCK_MONOTONIC deadlines,
 * never in sleep(), so recheck_stop_request and recheck_wake reach it at
 * once and a clock set back or forward does not shift the rounds.  A stop
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

#include <pthread.h>
#include <string.h>
#include <time.h>

#include "conftab.h"
#include "dns.h"
#include "domain_recheck.h"
#include "logging.h"
#include "recheck.h"
#include "reload.h"

static pthread_mutex_t recheck_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t recheck_cond; /* on CLOCK_MONOTONIC, set up by recheck_start */
static bool recheck_stopping_now;   /* under recheck_lock */
static unsigned long recheck_wakes; /* under recheck_lock: recheck_wake calls */

static pthread_mutex_t recheck_join_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_t recheck_tid;
static bool recheck_running; /* under recheck_join_lock: started, not joined */

/* True once a stop was asked for; the argument is unused (domain_recheck_env). */
static bool recheck_stopping(void *unused)
{
	bool stop;

	pthread_mutex_lock(&recheck_lock);
	stop = recheck_stopping_now;
	pthread_mutex_unlock(&recheck_lock);
	return stop;
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

/* True when a is before b. */
static bool recheck_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/*
 * Waits until the next round is due: delay after since, where delay is the
 * interval (for the first round at most RECHECK_FIRST_DELAY), read again
 * whenever recheck_wake is called.  An interval of 0 waits for a wake.
 * False when the thread is to stop.
 */
static bool recheck_wait(const struct timespec *since, bool first)
{
	struct timespec due, now;
	long long interval, delay;
	unsigned long seen;
	bool stop;

	for (;;) {
		pthread_mutex_lock(&recheck_lock);
		seen = recheck_wakes;
		pthread_mutex_unlock(&recheck_lock);
		interval = recheck_interval();
		delay = first && interval > RECHECK_FIRST_DELAY ? RECHECK_FIRST_DELAY : interval;
		due = *since;
		due.tv_sec += (time_t)delay;
		pthread_mutex_lock(&recheck_lock);
		while (!recheck_stopping_now && recheck_wakes == seen) {
			clock_gettime(CLOCK_MONOTONIC, &now);
			if (interval > 0 && !recheck_before(&now, &due)) {
				pthread_mutex_unlock(&recheck_lock);
				return true;
			}
			if (interval > 0)
				pthread_cond_timedwait(&recheck_cond, &recheck_lock, &due);
			else
				pthread_cond_wait(&recheck_cond, &recheck_lock);
		}
		stop = recheck_stopping_now;
		pthread_mutex_unlock(&recheck_lock);
		if (stop)
			return false;
		/* woken by a reload: the interval may have changed */
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
	pthread_condattr_t attr;
	int rc;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&recheck_cond, &attr);
	pthread_condattr_destroy(&attr);
	pthread_mutex_lock(&recheck_join_lock);
	rc = pthread_create(&recheck_tid, NULL, recheck_thread, NULL);
	recheck_running = rc == 0;
	pthread_mutex_unlock(&recheck_join_lock);
	if (rc != 0) {
		logging_msg(PLOG_ERR, "cannot start the domain re-check thread");
		return -1;
	}
	recheck_log_plan();
	return 0;
}

void recheck_wake(void)
{
	pthread_mutex_lock(&recheck_lock);
	recheck_wakes++;
	pthread_cond_broadcast(&recheck_cond);
	pthread_mutex_unlock(&recheck_lock);
}

void recheck_stop_request(void)
{
	pthread_mutex_lock(&recheck_lock);
	recheck_stopping_now = true;
	pthread_cond_broadcast(&recheck_cond);
	pthread_mutex_unlock(&recheck_lock);
}

void recheck_stop(void)
{
	recheck_stop_request();
	pthread_mutex_lock(&recheck_join_lock);
	if (recheck_running) {
		pthread_join(recheck_tid, NULL);
		recheck_running = false;
	}
	pthread_mutex_unlock(&recheck_join_lock);
}
