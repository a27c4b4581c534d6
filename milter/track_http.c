/*
 * track_http - open and click tracking on the unsubscribe listener.
 *
 * TrackingUrl links end in /o/TOKEN (the pixel of an HTML part) or
 * /c/TOKEN (a link), the token sealed by track_token.h; whatever comes
 * before /o/ or /c/ in the path is the operator's (a proxy prefix):
 *
 *   GET|HEAD .../o/TOKEN   a 1x1 transparent GIF, never cached;
 *   GET|HEAD .../c/TOKEN   302 to the URL in the token, exactly as sealed
 *                          (query and fragment intact);
 *   a token that does not verify (forged, altered, an open token on /c/)
 *                          404 and no event, logged at most once a minute.
 *
 * The answer never waits for memcached or the disk: a verified request
 * is put on a bounded queue and one thread writes its event (the event
 * log, from which callbacks are delivered) and counters
 * (track_note_record).  When the queue is full the event is dropped and
 * counted in a log line; the reply still goes.  At shutdown the queue is
 * written out for at most TRACK_HTTP_DRAIN_S seconds.  A request is marked
 * machine when it is a HEAD, comes from a known scanner or proxy, or
 * within TrackingMachineSeconds of sending (track_is_machine).
 *
 * Diagnostics: "tracking request with a forged or malformed token (N more
 * refused this minute)" (notice); "tracking: event queue full, N events
 * dropped" (warning, once a minute); "tracking: N events not written at
 * shutdown"; "cannot start the tracking thread".
 */
#include "autoconf.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "http_guard.h"
#include "logging.h"
#include "ratelog.h"
#include "reload.h"
#include "snapshot.h"
#include "track_http.h"
#include "track_note.h"
#include "track_token.h"

#define TRACK_HTTP_QUEUE 256	/* events waiting to be written */
#define TRACK_HTTP_DRAIN_S 3	/* seconds the queue may take to empty at shutdown */

/* The smallest transparent 1x1 GIF. */
static const unsigned char track_http_gif[] = {
	0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 0x01, 0x00, 0x01, 0x00, 0x80, 0x00, 0x00, 0x00,
	0x00, 0x00, 0xff, 0xff, 0xff, 0x21, 0xf9, 0x04, 0x01, 0x00, 0x00, 0x00, 0x00, 0x2c,
	0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x02, 0x01, 0x44, 0x00, 0x3b,
};
static const char track_http_not_found[] =
	"<!doctype html><html><body><p>This link is not valid.</p></body></html>\n";

static struct ratelog track_http_forged_log = RATELOG_INIT(60);
static struct ratelog track_http_full_log = RATELOG_INIT(60);

/* The queue of verified requests and its one writer. */
static struct track_hit track_http_queue[TRACK_HTTP_QUEUE];
static size_t track_http_head, track_http_count;
static pthread_mutex_t track_http_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t track_http_cond = PTHREAD_COND_INITIALIZER;
static pthread_t track_http_thread;
static bool track_http_running, track_http_stopping;

/* Where "o" or "c" and the token start in url, or false. */
static bool track_http_split(const char *url, char *kind, const char **token)
{
	const char *slash = strrchr(url, '/');

	if (slash == NULL || slash - url < 2 || slash[-2] != '/' ||
	    (slash[-1] != 'o' && slash[-1] != 'c') || slash[1] == '\0')
		return false;
	*kind = slash[-1];
	*token = slash + 1;
	return true;
}

bool track_http_path(const char *url)
{
	const char *token;
	char kind;

	return track_http_split(url, &kind, &token);
}

/*
 * Writes the queued events until told to stop, then what is left for at
 * most TRACK_HTTP_DRAIN_S seconds (memcached may hang; shutdown must not).
 */
static void *track_http_writer(void *arg)
{
	struct track_hit hit;
	time_t deadline = 0;

	(void)arg;
	pthread_mutex_lock(&track_http_lock);
	for (;;) {
		while (track_http_count == 0 && !track_http_stopping)
			pthread_cond_wait(&track_http_cond, &track_http_lock);
		if (track_http_stopping && deadline == 0)
			deadline = time(NULL) + TRACK_HTTP_DRAIN_S;
		if (track_http_count > 0 && deadline != 0 && time(NULL) > deadline) {
			logging_msg(PLOG_WARNING, "tracking: %zu events not written at shutdown",
				    track_http_count);
			track_http_count = 0;
		}
		if (track_http_count == 0)
			break;
		hit = track_http_queue[track_http_head];
		track_http_head = (track_http_head + 1) % TRACK_HTTP_QUEUE;
		track_http_count--;
		pthread_mutex_unlock(&track_http_lock);
		{
			struct policy_snapshot *snap = reload_current();

			track_note_record(snap, logging_get(), &hit);
			policy_snapshot_unref(snap);
		}
		pthread_mutex_lock(&track_http_lock);
	}
	pthread_mutex_unlock(&track_http_lock);
	return NULL;
}

/* Queues hit for the writer; logs (rate-limited) when the queue is full. */
static void track_http_enqueue(const struct track_hit *hit)
{
	unsigned long held;
	bool queued = false;

	pthread_mutex_lock(&track_http_lock);
	if (track_http_running && track_http_count < TRACK_HTTP_QUEUE) {
		track_http_queue[(track_http_head + track_http_count) % TRACK_HTTP_QUEUE] = *hit;
		track_http_count++;
		queued = true;
		pthread_cond_signal(&track_http_cond);
	}
	pthread_mutex_unlock(&track_http_lock);
	if (!queued && ratelog_allow(&track_http_full_log, time(NULL), &held))
		logging_msg(PLOG_WARNING, "tracking: event queue full, %lu events dropped",
			    held + 1);
}

/* The client's address as text into out ("" when unknown). */
static void track_http_client(struct MHD_Connection *conn, char *out, size_t len)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci != NULL ? ci->client_addr : NULL;

	out[0] = '\0';
	if (sa != NULL && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out,
			  (socklen_t)len);
	else if (sa != NULL && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
			  out, (socklen_t)len);
}

/* Verifies token for kind into hit; false when it is not ours. */
static bool track_http_verify(char kind, const char *token, struct track_hit *hit,
			      long long *machine_seconds)
{
	struct policy_snapshot *snap = reload_current();
	const struct mac_key *keys[] = { snap->feedback_key, snap->feedback_key_old };
	bool ok;

	ok = track_verify(keys, 2, token, strlen(token), &hit->info) == TRACK_OK &&
	     hit->info.kind == (kind == 'o' ? TRACK_OPEN : TRACK_CLICK);
	*machine_seconds = snap->conf->tracking_machine_seconds;
	hit->when = policy_snapshot_now_us(snap) / 1000000;
	policy_snapshot_unref(snap);
	return ok;
}

static enum MHD_Result track_http_queue_reply(struct MHD_Connection *conn, unsigned status,
					      const void *body, size_t len, const char *type,
					      const char *location)
{
	struct MHD_Response *r = http_guard_response(body, len, type);

	/* every cache and proxy on the way, old ones too, must ask again */
	if (r != NULL) {
		MHD_add_response_header(r, "Cache-Control",
					"no-store, no-cache, must-revalidate, max-age=0");
		MHD_add_response_header(r, "Pragma", "no-cache");
		MHD_add_response_header(r, "Expires", "0");
		MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
		if (location != NULL)
			MHD_add_response_header(r, "Location", location);
	}
	return http_guard_send(conn, status, r);
}

enum MHD_Result track_http_answer(struct MHD_Connection *conn, const char *url,
				  const char *method)
{
	bool head = strcmp(method, "HEAD") == 0;
	const char *token, *ua;
	long long machine_seconds;
	struct track_hit hit;
	unsigned long held;
	char kind;

	memset(&hit, 0, sizeof hit);
	if ((!head && strcmp(method, "GET") != 0) || !track_http_split(url, &kind, &token) ||
	    !track_http_verify(kind, token, &hit, &machine_seconds)) {
		if (ratelog_allow(&track_http_forged_log, time(NULL), &held))
			logging_msg(PLOG_NOTICE, "tracking request with a forged or malformed "
				    "token (%lu more refused this minute)", held);
		return track_http_queue_reply(conn, MHD_HTTP_NOT_FOUND, track_http_not_found,
					      strlen(track_http_not_found),
					      "text/html; charset=utf-8", NULL);
	}
	ua = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_USER_AGENT);
	snprintf(hit.user_agent, sizeof hit.user_agent, "%s", ua != NULL ? ua : "");
	track_http_client(conn, hit.client, sizeof hit.client);
	hit.machine = track_is_machine(head, hit.user_agent, hit.info.sent, hit.when,
				       machine_seconds);
	track_http_enqueue(&hit);
	if (kind == 'o')
		return track_http_queue_reply(conn, MHD_HTTP_OK, track_http_gif,
					      sizeof track_http_gif, "image/gif", NULL);
	return track_http_queue_reply(conn, MHD_HTTP_FOUND, "", 0, "text/plain",
				      hit.info.url);
}

int track_http_start(void)
{
	track_http_stopping = false;
	track_http_head = track_http_count = 0;
	if (pthread_create(&track_http_thread, NULL, track_http_writer, NULL) != 0) {
		logging_msg(PLOG_ERR, "cannot start the tracking thread");
		return -1;
	}
	track_http_running = true;
	return 0;
}

void track_http_stop(void)
{
	if (!track_http_running)
		return;
	pthread_mutex_lock(&track_http_lock);
	track_http_stopping = true;
	pthread_cond_signal(&track_http_cond);
	pthread_mutex_unlock(&track_http_lock);
	pthread_join(track_http_thread, NULL);
	track_http_running = false;
}
