/*
 * feedback_note - where a feedback event goes: the event log and the
 * shared daily volumes (stats.c), for the engine (a message's feedback)
 * and for the unsubscribe endpoint alike.
 *
 * Diagnostics (warnings, prefixed with what): "cannot log event: ...",
 * "cannot count KIND for DOMAIN: memcached did not answer".  The
 * feedback's outcome does not change.
 */
#include "autoconf.h"

#include <string.h>

#include "events.h"
#include "feedback.h"
#include "plog.h"
#include "snapshot.h"
#include "stats.h"

void feedback_note_record(const struct policy_snapshot *snap, const struct plog *log,
			  const char *what, int64_t now_s, const struct feedback_note *n)
{
	struct strbuf json = STRBUF_INIT, err = STRBUF_INIT;
	int kind = stats_kind_of_event(n->type);
	struct event ev;

	if (kind >= 0 && n->domain != NULL && *n->domain != '\0' &&
	    stats_add(&snap->store, n->domain, now_s, (enum stats_kind)kind, 1) != STORE_OK)
		plog_msg(log, PLOG_WARNING, "%s: cannot count %s for %s: memcached did not answer",
			 what, stats_kind_name((enum stats_kind)kind), n->domain);
	if (snap->events_path == NULL)
		return;
	memset(&ev, 0, sizeof ev);
	ev.type = n->type;
	ev.bounce = n->bounce;
	ev.account = n->account;
	ev.email = n->email;
	ev.message_id = n->msgid;
	ev.timestamp = now_s;
	ev.reason = n->reason;
	ev.from_domain = n->domain;
	event_new_id(&ev);
	event_to_json(&ev, &json);
	if (events_append(snap->events_path, json.data, json.len, snap->conf->event_log_sync,
			  &err) != 0)
		plog_msg(log, PLOG_WARNING, "%s: cannot log event: %s", what, strbuf_cstr(&err));
	strbuf_free(&json);
	strbuf_free(&err);
}
