/*
 * worker - start, stoppable wait, stop and join; see worker.h.
 *
 * Diagnostics: "cannot start WHAT" (error) when the thread cannot be
 * created.
 */
#include "autoconf.h"

#include <pthread.h>
#include <time.h>

#include "logging.h"
#include "worker.h"

int worker_start(struct worker *w, void *(*fn)(void *), void *arg)
{
	pthread_condattr_t attr;
	int rc;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cond, &attr);
	pthread_condattr_destroy(&attr);
	pthread_mutex_lock(&w->join_lock);
	rc = pthread_create(&w->tid, NULL, fn, arg);
	w->running = rc == 0;
	pthread_mutex_unlock(&w->join_lock);
	if (rc != 0) {
		logging_msg(PLOG_ERR, "cannot start %s", w->what);
		return -1;
	}
	return 0;
}

bool worker_stopping(struct worker *w)
{
	bool stop;

	pthread_mutex_lock(&w->lock);
	stop = w->stopping;
	pthread_mutex_unlock(&w->lock);
	return stop;
}

unsigned long worker_wakes(struct worker *w)
{
	unsigned long n;

	pthread_mutex_lock(&w->lock);
	n = w->wakes;
	pthread_mutex_unlock(&w->lock);
	return n;
}

/* True when a is before b. */
static bool worker_before(const struct timespec *a, const struct timespec *b)
{
	return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

enum worker_wait worker_wait_until(struct worker *w, const struct timespec *due, unsigned long seen)
{
	enum worker_wait why = WORKER_DUE;
	struct timespec now;

	pthread_mutex_lock(&w->lock);
	for (;;) {
		if (w->stopping) {
			why = WORKER_STOP;
			break;
		}
		if (w->wakes != seen) {
			why = WORKER_WOKEN;
			break;
		}
		if (due == NULL) {
			pthread_cond_wait(&w->cond, &w->lock);
			continue;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (!worker_before(&now, due))
			break;
		pthread_cond_timedwait(&w->cond, &w->lock, due);
	}
	pthread_mutex_unlock(&w->lock);
	return why;
}

bool worker_wait_ms(struct worker *w, long ms)
{
	struct timespec due;

	clock_gettime(CLOCK_MONOTONIC, &due);
	due.tv_sec += ms / 1000;
	due.tv_nsec += (ms % 1000) * 1000000L;
	if (due.tv_nsec >= 1000000000L) {
		due.tv_sec++;
		due.tv_nsec -= 1000000000L;
	}
	/* wakes do not end this wait: only the deadline or a stop */
	while (worker_wait_until(w, &due, worker_wakes(w)) == WORKER_WOKEN)
		;
	return !worker_stopping(w);
}

void worker_wake(struct worker *w)
{
	pthread_mutex_lock(&w->lock);
	w->wakes++;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

void worker_stop_request(struct worker *w)
{
	pthread_mutex_lock(&w->lock);
	w->stopping = true;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
	if (w->interrupt != NULL)
		w->interrupt();
}

void worker_stop(struct worker *w)
{
	worker_stop_request(w);
	pthread_mutex_lock(&w->join_lock);
	if (w->running) {
		pthread_join(w->tid, NULL);
		w->running = false;
	}
	pthread_mutex_unlock(&w->join_lock);
}
