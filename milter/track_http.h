/*
 * track_http - the open and click endpoints (/o/TOKEN, /c/TOKEN) on the
 * unsubscribe listener (unsub_http.c); see track_http.c.
 */
#ifndef SES_TRACK_HTTP_H
#define SES_TRACK_HTTP_H

#include <stdbool.h>

#include <microhttpd.h>

/* True when url is a tracking request (.../o/TOKEN or .../c/TOKEN). */
bool track_http_path(const char *url);

/* Answers the tracking request url (track_http_path was true). */
enum MHD_Result track_http_answer(struct MHD_Connection *conn, const char *url,
				  const char *method);

/* Starts (0, or -1 after logging) and stops the thread that records events. */
int track_http_start(void);
void track_http_stop(void);

#endif
