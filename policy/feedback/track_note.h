/*
 * track_note - what an open or click request means: whether a machine
 * made it, and its event and counters (track_note.c).  For the tracking
 * endpoint (milter/track_http.c); tokens are in track_token.h.
 */
#ifndef SES_TRACK_NOTE_H
#define SES_TRACK_NOTE_H

#include <stdbool.h>
#include <stdint.h>

#include "plog.h"
#include "track_token.h"

#define TRACK_UA_MAX 255
#define TRACK_CLIENT_MAX 63

/* One verified request. */
struct track_hit {
	struct track_info info;
	char user_agent[TRACK_UA_MAX + 1];
	char client[TRACK_CLIENT_MAX + 1];	/* the client's IP address */
	bool machine;
	int64_t when;				/* Unix seconds */
};

/*
 * True when the request was made by a machine rather than the
 * recipient: a HEAD request, no user agent or a known scanner's or image
 * proxy's (Google, Yahoo, Outlook/Office, security gateways, bots, Apple
 * Mail Privacy Protection's bare "Mozilla/5.0"), or
 * within machine_seconds of sending (link scanners fetch on arrival).
 */
bool track_is_machine(bool head, const char *user_agent, int64_t sent, int64_t now,
		      long long machine_seconds);

struct policy_snapshot;

/*
 * Writes the open or click event of h to the event log (callbacks are
 * delivered from there) and adds to the day counters: opens/clicks
 * always, opened/clicked the first time a person opens or clicks the
 * message for this recipient.  Warnings go to log, prefixed "tracking".
 */
void track_note_record(const struct policy_snapshot *snap, const struct plog *log,
		       const struct track_hit *h);

#endif
