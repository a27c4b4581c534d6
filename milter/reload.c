/*
 * reload - atomic swap of the policy snapshot; see reload.h.
 *
 * Diagnostics: "reload: FILE:LINE: ..." for each error and "reload
 * refused, keeping configuration generation N", or "reloaded
 * configuration (generation N)".
 */
#include "autoconf.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "logging.h"
#include "metrics.h"
#include "reload.h"
#include "xalloc.h"

static pthread_mutex_t reload_lock = PTHREAD_MUTEX_INITIALIZER;
static struct policy_snapshot *reload_snap;
static char *reload_path;

void reload_init(const char *conf_path, struct policy_snapshot *first)
{
	free(reload_path);
	reload_path = conf_path != NULL ? xstrdup(conf_path) : NULL;
	pthread_mutex_lock(&reload_lock);
	reload_snap = first;
	pthread_mutex_unlock(&reload_lock);
}

struct policy_snapshot *reload_current(void)
{
	struct policy_snapshot *snap;

	pthread_mutex_lock(&reload_lock);
	snap = policy_snapshot_ref(reload_snap);
	pthread_mutex_unlock(&reload_lock);
	return snap;
}

int reload_now(void)
{
	struct diag_list diags = DIAG_LIST_INIT;
	struct policy_snapshot *fresh, *old;
	size_t i;

	fresh = policy_snapshot_load(reload_path, &diags);
	if (fresh == NULL) {
		for (i = 0; i < diags.n; i++)
			logging_msg(PLOG_ERR, "reload: %s", diags.msgs[i]);
		diag_free(&diags);
		metrics_inc(METRIC_RELOAD_FAILURES, NULL, NULL);
		metrics_set(METRIC_RELOAD_LAST_FAILED, NULL, NULL, 1);
		pthread_mutex_lock(&reload_lock);
		logging_msg(PLOG_ERR, "reload refused, keeping configuration generation %lu",
			    reload_snap->generation);
		pthread_mutex_unlock(&reload_lock);
		return -1;
	}
	pthread_mutex_lock(&reload_lock);
	old = reload_snap;
	fresh->generation = old->generation + 1;
	reload_snap = fresh;
	pthread_mutex_unlock(&reload_lock);
	metrics_set(METRIC_RELOAD_LAST_FAILED, NULL, NULL, 0);
	logging_msg(PLOG_NOTICE, "reloaded configuration (generation %lu): %zu accounts",
		    fresh->generation, fresh->accounts->n);
	policy_snapshot_unref(old);	/* freed when the last session using it ends */
	return 0;
}
