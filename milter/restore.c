/*
 * restore - the journal-replay watcher; see restore.h.
 *
 * The thread sleeps in store_restore_wait(): a lookup that found a server
 * without this gateway's restore mark wakes it at once, so the window in
 * which that server's lookups fail (OnFailure) lasts one replay.  It is a
 * worker (worker.h) whose stop interrupts that wait too
 * (store_restore_interrupt); a replay in progress ends first, bounded by
 * the memcached timeouts.
 *
 * Diagnostics: "a memcached server has no restore mark (servers NOW):
 * restoring entries from JOURNAL", "memcached servers changed (OLD -> NEW):
 * restoring entries from JOURNAL", "restored N entries from JOURNAL (M
 * malformed lines skipped)", "restore from JOURNAL stopped: memcached did
 * not answer" (retried at the next check), "memcached servers answer as at
 * the last replay (NOW): nothing to restore" (the servers of a stopped
 * restore came back with their entries, e.g. after a freeze), and each
 * malformed journal line.  NOW is each server's "host:port:pid:start;", a
 * server that did not answer "host:port:-1:0;".
 */
#include "autoconf.h"

#include <string.h>

#include "journal.h"
#include "logging.h"
#include "metrics.h"
#include "reload.h"
#include "restore.h"
#include "worker.h"

/* Replays the journal of snap into its store; true when it completed. */
static bool restore_run(struct policy_snapshot *snap)
{
	struct diag_list diags = DIAG_LIST_INIT;
	size_t restored = 0, skipped = 0, i;
	enum journal_result r;

	r = journal_restore_marked(&snap->store, snap->journal_path, &restored, &skipped, &diags);
	for (i = 0; i < diags.n; i++)
		logging_msg(PLOG_WARNING, "restore: %s", diags.msgs[i]);
	diag_free(&diags);
	metrics_inc(METRIC_JOURNAL_RESTORES, r == JOURNAL_OK ? "ok" : "error", NULL);
	if (r == JOURNAL_OK) {
		logging_msg(PLOG_NOTICE, "restored %zu entries from %s (%zu malformed lines skipped)",
			    restored, snap->journal_path, skipped);
		return true;
	}
	logging_msg(PLOG_ERR, "restore from %s stopped: %s", snap->journal_path,
		    r == JOURNAL_STORE_ERROR ? "memcached did not answer" : "journal not readable");
	return false;
}

/*
 * One check: restores when the servers' identities changed, or when a
 * lookup found a server without this gateway's restore mark (wanted).
 * *stopped says a restore did not complete since the last replay; when the
 * servers answer again as they did then, they kept their entries and the
 * check says so instead of replaying.  True when a replay completed.
 */
static bool restore_check(struct strbuf *last, bool *stopped, bool wanted)
{
	struct policy_snapshot *snap = reload_current();
	struct strbuf now = STRBUF_INIT;
	bool same, replayed = false;

	if (store_epoch(&snap->store, &now) != STORE_OK)
		goto out;
	same = strcmp(strbuf_cstr(&now), strbuf_cstr(last)) == 0;
	if (wanted || !same) {
		if (same)
			logging_msg(PLOG_WARNING, "a memcached server has no restore mark "
				    "(servers %s): restoring entries from %s",
				    strbuf_cstr(&now), snap->journal_path);
		else if (last->len > 0)
			logging_msg(PLOG_WARNING, "memcached servers changed (%s -> %s): "
				    "restoring entries from %s", strbuf_cstr(last),
				    strbuf_cstr(&now), snap->journal_path);
		/* on failure keep the old epoch, so the next check tries again */
		*stopped = !restore_run(snap);
		replayed = !*stopped;
		if (!*stopped) {
			strbuf_reset(last);
			strbuf_append(last, now.data, now.len);
		}
	} else if (*stopped) {
		logging_msg(PLOG_NOTICE, "memcached servers answer as at the last replay (%s): "
			    "nothing to restore", strbuf_cstr(&now));
		*stopped = false;
	}
out:
	strbuf_free(&now);
	policy_snapshot_unref(snap);
	return replayed;
}

/* The servers' identities at the last replay; the thread's alone once started. */
static struct strbuf restore_last = STRBUF_INIT;
/* A restore stopped since that replay; the thread's alone once started. */
static bool restore_stopped;

static struct worker restore_worker = WORKER_INIT("the restore thread", store_restore_interrupt);

static void *restore_thread(void *unused)
{
	bool wanted, replayed;

	(void)unused;
	while (!worker_stopping(&restore_worker)) {
		struct policy_snapshot *snap;
		long long interval;

		snap = reload_current();
		interval = snap->conf->restore_check_interval;
		policy_snapshot_unref(snap);
		wanted = store_restore_wait((unsigned)interval);
		if (worker_stopping(&restore_worker))
			break;
		replayed = restore_check(&restore_last, &restore_stopped, wanted);
		/* the check's own failed requests, and lookups that met its "pending", wake no check */
		store_restore_settle(replayed);
	}
	strbuf_free(&restore_last);
	return NULL;
}

int restore_start(void)
{
	/*
	 * The first replay runs before the milter serves: until it has set
	 * this gateway's restore mark every lookup would answer as a backend
	 * failure.  It is bounded by the memcached timeouts when no server
	 * answers; the thread then tries again.
	 */
	store_restore_settle(restore_check(&restore_last, &restore_stopped, false));
	return worker_start(&restore_worker, restore_thread, NULL);
}

void restore_stop_request(void)
{
	worker_stop_request(&restore_worker);
}

void restore_stop(void)
{
	worker_stop(&restore_worker);
}
