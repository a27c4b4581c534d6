/*
 * worker - the skeleton every background thread of the daemon shares:
 * start, a wait that a stop (or a wake) ends at once, stop and join.
 *
 * A worker is a static struct per thread (WORKER_INIT).  Its thread waits
 * with worker_wait_until() on a condition variable with CLOCK_MONOTONIC
 * deadlines, never in sleep(), so worker_stop_request() reaches it at once
 * and a clock set back or forward does not shift its timing.  A thread
 * that sleeps elsewhere (restore, in store_restore_wait()) names an
 * interrupt function that wakes that wait too; it checks
 * worker_stopping() when it wakes.
 *
 * Shutdown is two steps, as main.c drains sessions between them:
 * worker_stop_request() (no new work; returns at once), then worker_stop()
 * (joins).  Both are harmless for a worker that never started.
 */
#ifndef SES_WORKER_H
#define SES_WORKER_H

#include <pthread.h>
#include <stdbool.h>
#include <time.h>

struct worker {
	const char *what;	/* "the NAME thread", for the start failure line */
	void (*interrupt)(void); /* wakes a wait outside the worker, or NULL */
	pthread_mutex_t lock;
	pthread_cond_t cond;	/* on CLOCK_MONOTONIC once started */
	bool stopping;		/* under lock */
	unsigned long wakes;	/* under lock: worker_wake calls */
	pthread_mutex_t join_lock;
	pthread_t tid;
	bool running;		/* under join_lock: started, not joined */
};

#define WORKER_INIT(what, interrupt)                                                   \
	{ (what), (interrupt), PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, false, \
	  0, PTHREAD_MUTEX_INITIALIZER, 0, false }

enum worker_wait {
	WORKER_DUE,	/* the deadline passed */
	WORKER_WOKEN,	/* worker_wake was called since seen */
	WORKER_STOP,	/* a stop was asked for */
};

/*
 * Starts fn(arg) on a new thread; 0, or -1 after logging "cannot start
 * WHAT".
 */
int worker_start(struct worker *w, void *(*fn)(void *), void *arg);

/* True once a stop was asked for. */
bool worker_stopping(struct worker *w);

/* The count of worker_wake calls so far: what worker_wait_until compares. */
unsigned long worker_wakes(struct worker *w);

/*
 * Waits until due (CLOCK_MONOTONIC; NULL: no deadline), until
 * worker_wake is called after the count seen was read, or until a stop.
 */
enum worker_wait worker_wait_until(struct worker *w, const struct timespec *due,
				   unsigned long seen);

/* Waits ms milliseconds or until a stop; false when stopping. */
bool worker_wait_ms(struct worker *w, long ms);

/* Ends the thread's current wait with WORKER_WOKEN (a reload, for example). */
void worker_wake(struct worker *w);

/* Asks the thread to stop and wakes it, without waiting. */
void worker_stop_request(struct worker *w);

/* worker_stop_request, then waits until the thread has ended. */
void worker_stop(struct worker *w);

#endif
