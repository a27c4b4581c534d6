/*
 * metrics_http - /metrics (Prometheus text format) and /healthz on
 * MetricsListen: a small HTTP listener (libmicrohttpd).  See metrics_http.c.
 */
#ifndef SES_METRICS_HTTP_H
#define SES_METRICS_HTTP_H

/*
 * Starts the listener unless MetricsListen is "off" or empty; 0, also when
 * it cannot listen (logged: metrics never stop the mail), -1 for a bad
 * address.
 */
int metrics_http_start(void);
/* Stops it (in-flight requests finish); nothing when it does not run. */
void metrics_http_stop(void);

#endif
