/*
 * ratelog - rate-limited log lines; see ratelog.h.
 *
 * Diagnostics: none (the caller writes the line).
 */
#include "autoconf.h"

#include "ratelog.h"

bool ratelog_allow(struct ratelog *r, time_t now, unsigned long *suppressed)
{
	bool ok = false;

	pthread_mutex_lock(&r->lock);
	if (r->last == 0 || now - r->last >= r->interval || now < r->last) {
		*suppressed = r->held;
		r->held = 0;
		r->last = now;
		ok = true;
	} else {
		r->held++;
	}
	pthread_mutex_unlock(&r->lock);
	return ok;
}
