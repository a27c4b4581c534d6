/*
 * http_guard - what every libmicrohttpd listener of the daemon shares:
 * the HOST:PORT parser, the limits that keep slow or greedy clients from
 * locking others out (a connection cap, a per-address cap, an idle
 * timeout and a total time from open to close, kept by a reaper thread),
 * starting and stopping the listener, and small reply helpers.
 * See http_guard.c.
 */
#ifndef SES_HTTP_GUARD_H
#define SES_HTTP_GUARD_H

#include <netinet/in.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include <microhttpd.h>

/* A listener's limits (each listener has its own). */
struct http_guard_limits {
	unsigned max_connections; /* open at once, all addresses */
	unsigned per_ip;	  /* open at once from one address */
	unsigned idle_s;	  /* libmicrohttpd's timeout: idle time only */
	unsigned total_s;	  /* from open to close, whatever the client does */
	size_t slots;		  /* open connections tracked for total_s */
};

/* An open connection and when it opened; fd -1: the slot is free. */
struct http_guard_conn {
	int fd;
	time_t opened;
};

/*
 * One listener.  Set name ("unsubscribe", "metrics": the log lines say
 * "the NAME endpoint"), limits and, when the daemon goes on without the
 * listener, failure_note (the end of the "cannot start" line); the rest
 * belongs to http_guard.c.
 */
struct http_guard {
	const char *name;
	const char *failure_note; /* NULL: nothing */
	struct http_guard_limits limits;
	struct MHD_Daemon *daemon;
	struct http_guard_conn *conns; /* limits.slots of them */
	pthread_mutex_t lock;
	pthread_t reaper;
	volatile int stopping;
};

/* Parses HOST:PORT (IPv4) into sin; false when bad. */
bool http_guard_addr(const char *spec, struct sockaddr_in *sin);

/* The option list http_guard_start gives libmicrohttpd, END included. */
#define HTTP_GUARD_OPTIONS 6
void http_guard_options(struct http_guard *g, const struct sockaddr_in *sin,
			struct MHD_OptionItem opts[HTTP_GUARD_OPTIONS]);

/*
 * Tracks connections as they open and close: the
 * MHD_OPTION_NOTIFY_CONNECTION callback, cls the guard.
 */
void http_guard_notify(void *cls, struct MHD_Connection *conn, void **socket_ctx,
		       enum MHD_ConnectionNotificationCode code);

/*
 * Starts the listener on sin (spec, its text, for the log) with handler
 * and its reaper thread; extra, NULL or a list ended by MHD_OPTION_END,
 * adds the listener's own options (a thread pool, a completion
 * callback); 0, or -1 after logging "cannot start the NAME endpoint on
 * SPEC[ NOTE]" or "cannot start the NAME endpoint's reaper".
 */
int http_guard_start(struct http_guard *g, const struct sockaddr_in *sin, const char *spec,
		     MHD_AccessHandlerCallback handler, void *handler_cls,
		     const struct MHD_OptionItem *extra);
/* True while the listener runs. */
bool http_guard_running(const struct http_guard *g);
/* Stops it (in-flight requests finish); nothing when it does not run. */
void http_guard_stop(struct http_guard *g);

/*
 * The start of every access handler: true (the handler returns MHD_YES)
 * on a request's first call and while its body comes in, which is
 * skipped: no request of these listeners has a body they read.
 */
bool http_guard_skip_body(void **req_cls, size_t *upload_data_size);

/* A response with body (copied) and Content-Type type; NULL when out of memory. */
struct MHD_Response *http_guard_response(const void *body, size_t len, const char *type);
/* Queues r on conn with status and lets it go; MHD_NO when r is NULL. */
enum MHD_Result http_guard_send(struct MHD_Connection *conn, unsigned status,
				struct MHD_Response *r);
/* Replies status, type and body, never cached ("Cache-Control: no-store"). */
enum MHD_Result http_guard_reply(struct MHD_Connection *conn, unsigned status, const char *type,
				 const void *body, size_t len);

#endif
