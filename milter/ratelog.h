/*
 * ratelog - at most one log line per interval for events an outsider can
 * repeat at will (forged unsubscribe links, malformed milter packets), with
 * the number of events the interval held, so a flood cannot fill the log.
 */
#ifndef SES_RATELOG_H
#define SES_RATELOG_H

#include <pthread.h>
#include <stdbool.h>
#include <time.h>

struct ratelog {
	pthread_mutex_t lock;
	time_t interval;	/* seconds between lines */
	time_t last;		/* when the last line was allowed; 0: never */
	unsigned long held;	/* events since then that wrote no line */
};

#define RATELOG_INIT(seconds) { PTHREAD_MUTEX_INITIALIZER, (seconds), 0, 0 }

/*
 * Counts one event at now; true when it may write a line, and then
 * *suppressed holds how many events since the previous line wrote none.
 */
bool ratelog_allow(struct ratelog *r, time_t now, unsigned long *suppressed);

#endif
