/*
 * notify_http - one signed callback POST with libcurl.
 *
 * The body is the event's JSON line.  Headers: Content-Type:
 * application/json, X-SES-Event-Id: EVENTID and, when a secret is known,
 * X-SES-Signature: t=UNIX,v1=HEX where HEX is events_sign(secret, UNIX,
 * body) (HMAC-SHA256 over "UNIX.BODY").  Only http and https, no
 * redirects followed, TLS peers verified (against CallbackCaFile when
 * set), connect within min(5, CallbackTimeout) seconds and done within
 * CallbackTimeout.  A transfer in progress is abandoned as soon as the
 * stop function says so.
 *
 * Diagnostics: the reason of a failure, in why: "HTTP 503", "Couldn't
 * connect to server", "Timeout was reached", "stopping", ...
 */
#ifndef SES_NOTIFY_HTTP_H
#define SES_NOTIFY_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include "strbuf.h"

enum notify_http_result {
	NOTIFY_HTTP_OK = 0,	/* 2xx */
	NOTIFY_HTTP_RETRY,	/* no answer, 5xx, 408, 429, other 1xx/3xx */
	NOTIFY_HTTP_REFUSED,	/* another 4xx: the receiver refuses this event */
};

struct notify_http;

struct notify_http_opts {
	long timeout;			/* seconds for the whole POST */
	const char *ca_file;		/* NULL or "": the system's CAs */
	bool (*stopping)(void);		/* true: abandon the transfer */
};

/* A handle that keeps connections open between POSTs; NULL on failure. */
struct notify_http *notify_http_new(void);
void notify_http_free(struct notify_http *h);

/* POSTs body to url, signed with secret when it is not empty. */
enum notify_http_result notify_http_post(struct notify_http *h, const struct notify_http_opts *o,
					 const char *url, const char *secret,
					 const char *eventid, const char *body, size_t len,
					 struct strbuf *why);

#endif
