/*
 * unsub_http - the one-click unsubscribe endpoint (RFC 8058): a small
 * HTTP listener (libmicrohttpd) on UnsubscribeListen that takes the
 * tokens of UnsubscribeUrl links.  See unsub_http.c.
 */
#ifndef SES_UNSUB_HTTP_H
#define SES_UNSUB_HTTP_H

/* Starts the listener when UnsubscribeListen is set; 0, or -1 after logging. */
int unsub_http_start(void);
/* Stops it (in-flight requests finish); nothing when it does not run. */
void unsub_http_stop(void);

#endif
