/*
 * track_note - machine detection, the event and the counters of an open
 * or click; see track_note.h.
 *
 * Uniqueness across gateways: the first human open (click) of a message
 * for a recipient adds the marker tk:KIND:MSGID:RCPT with memcached's
 * add, which succeeds on one gateway only; that one counts opened
 * (clicked).  When memcached does not answer, the event is still logged
 * and the unique counter is not added to (a miss rather than a double).
 *
 * Diagnostics (warnings): "tracking: cannot log event: REASON",
 * "tracking: cannot count KIND for DOMAIN: memcached did not answer".
 */
#include "autoconf.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "events.h"
#include "plog.h"
#include "snapshot.h"
#include "stats.h"
#include "store.h"
#include "track_note.h"

#define TRACK_MARK_TTL (30 * 86400)	/* memcached's longest relative expiry */

/* User agents of scanners and image proxies, matched case-insensitively. */
static const char *const track_machine_agents[] = {
	"GoogleImageProxy", "ggpht.com", "YahooMailProxy", "BingPreview", "Microsoft Office",
	"ms-office", "MSOffice", "Outlook-iOS-Android", "SafeLinks", "Barracuda", "Mimecast",
	"Proofpoint", "Symantec", "Trend Micro", "Forcepoint", "Cisco", "bot", "spider",
	"crawler", "preview", "scanner", "python-requests", "Go-http-client", "Wget",
};

bool track_is_machine(bool head, const char *user_agent, int64_t sent, int64_t now,
		      long long machine_seconds)
{
	size_t i;

	/* Apple Mail Privacy Protection's proxy says "Mozilla/5.0" and nothing more */
	if (head || user_agent == NULL || *user_agent == '\0' ||
	    strcmp(user_agent, "Mozilla/5.0") == 0)
		return true;
	if (machine_seconds > 0 && now - sent < machine_seconds)
		return true;
	for (i = 0; i < sizeof track_machine_agents / sizeof track_machine_agents[0]; i++)
		if (strcasestr(user_agent, track_machine_agents[i]) != NULL)
			return true;
	return false;
}

/* Adds n to kind's counter for the hit's domain; warns when it cannot. */
static void track_count(const struct policy_snapshot *snap, const struct plog *log,
			const struct track_hit *h, enum stats_kind kind)
{
	if (stats_add(&snap->store, h->info.domain, h->when, kind, 1) != STORE_OK)
		plog_msg(log, PLOG_WARNING, "tracking: cannot count %s for %s: memcached did "
			 "not answer", stats_kind_name(kind), h->info.domain);
}

/* True when this is the first human hit of its kind for (message, recipient). */
static bool track_first(const struct policy_snapshot *snap, const struct track_hit *h)
{
	struct strbuf key = STRBUF_INIT;
	const char *parts[] = { h->info.kind == TRACK_OPEN ? "o" : "c", h->info.msgid,
				h->info.rcpt, NULL };
	enum store_result r;

	store_key(&key, "tk", parts);
	r = store_add(&snap->store, strbuf_cstr(&key), "1", 1, TRACK_MARK_TTL);
	strbuf_free(&key);
	return r == STORE_OK;
}

/* Appends the event line of h to the event log. */
static void track_event(const struct policy_snapshot *snap, const struct plog *log,
			const struct track_hit *h)
{
	struct strbuf json = STRBUF_INIT, err = STRBUF_INIT;
	char tid[24] = "";
	struct event ev;

	if (snap->events_path == NULL)
		return;
	if (h->info.template_id != 0)
		snprintf(tid, sizeof tid, "%lu", h->info.template_id);
	memset(&ev, 0, sizeof ev);
	ev.type = h->info.kind == TRACK_OPEN ? EVENT_OPEN : EVENT_CLICK;
	ev.account = h->info.account;
	ev.email = h->info.rcpt;
	ev.message_id = h->info.msgid;
	ev.timestamp = h->when;
	ev.from_domain = h->info.domain;
	ev.template_id = tid;
	ev.url = h->info.url;
	ev.user_agent = h->user_agent;
	ev.client = h->client;
	ev.machine = h->machine;
	event_new_id(&ev);
	event_to_json(&ev, &json);
	if (events_append(snap->events_path, json.data, json.len, snap->conf->event_log_sync,
			  &err) != 0)
		plog_msg(log, PLOG_WARNING, "tracking: cannot log event: %s", strbuf_cstr(&err));
	strbuf_free(&json);
	strbuf_free(&err);
}

void track_note_record(const struct policy_snapshot *snap, const struct plog *log,
		       const struct track_hit *h)
{
	bool open = h->info.kind == TRACK_OPEN;

	track_event(snap, log, h);
	track_count(snap, log, h, open ? STATS_OPENS : STATS_CLICKS);
	if (!h->machine && track_first(snap, h))
		track_count(snap, log, h, open ? STATS_OPENED : STATS_CLICKED);
}
