/*
 * api_http - the HTTP API (Tencent Cloud API 3.0 for SES) on ApiListen:
 * a libmicrohttpd listener that checks TC3-HMAC-SHA256 signatures against
 * the accounts' API keys and answers SES actions.  See api_http.c.
 */
#ifndef SES_API_HTTP_H
#define SES_API_HTTP_H

/* Starts the listener when ApiListen is set; 0, or -1 after logging. */
int api_http_start(void);
/* Stops it (in-flight requests finish); nothing when it does not run. */
void api_http_stop(void);

#endif
