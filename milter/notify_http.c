/*
 * notify_http - one signed callback POST; see notify_http.h.
 *
 * Diagnostics: none logged here; the caller logs why.
 */
#include "autoconf.h"

#include <curl/curl.h>
#include <stdlib.h>
#include <time.h>

#include "events.h"
#include "notify_http.h"
#include "xalloc.h"

#define NOTIFY_CONNECT_TIMEOUT 5

struct notify_http {
	CURL *curl;
};

struct notify_http *notify_http_new(void)
{
	struct notify_http *h = xcalloc(1, sizeof *h);

	h->curl = curl_easy_init();
	if (h->curl == NULL) {
		free(h);
		return NULL;
	}
	return h;
}

void notify_http_free(struct notify_http *h)
{
	if (h == NULL)
		return;
	curl_easy_cleanup(h->curl);
	free(h);
}

/* The answer's body is not used. */
static size_t notify_http_discard(char *data, size_t size, size_t n, void *arg)
{
	return size * n;
}

/* Progress callback: non-zero abandons the transfer. */
static int notify_http_progress(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut,
				curl_off_t un)
{
	const struct notify_http_opts *o = arg;

	return o->stopping != NULL && o->stopping() ? 1 : 0;
}

/* The request's headers.  Caller frees with curl_slist_free_all. */
static struct curl_slist *notify_http_headers(const char *secret, const char *eventid,
					      const char *body, size_t len)
{
	struct curl_slist *hdrs = NULL;
	struct strbuf sb = STRBUF_INIT;
	long long now = (long long)time(NULL);
	char sig[65];

	hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	hdrs = curl_slist_append(hdrs, "Expect:"); /* no 100-continue round trip */
	strbuf_appendf(&sb, "X-SES-Event-Id: %s", eventid);
	hdrs = curl_slist_append(hdrs, strbuf_cstr(&sb));
	if (secret != NULL && *secret != '\0') {
		events_sign(secret, now, body, len, sig);
		strbuf_reset(&sb);
		strbuf_appendf(&sb, "X-SES-Signature: t=%lld,v1=%s", now, sig);
		hdrs = curl_slist_append(hdrs, strbuf_cstr(&sb));
	}
	strbuf_free(&sb);
	if (hdrs == NULL)
		abort();
	return hdrs;
}

/* Sets the options of one POST on h's handle. */
static void notify_http_setopts(CURL *c, const struct notify_http_opts *o, const char *url,
				const struct curl_slist *hdrs, const char *body, size_t len)
{
	long connect = o->timeout < NOTIFY_CONNECT_TIMEOUT ? o->timeout : NOTIFY_CONNECT_TIMEOUT;

	curl_easy_reset(c);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, connect);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, o->timeout);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (o->ca_file != NULL && *o->ca_file != '\0')
		curl_easy_setopt(c, CURLOPT_CAINFO, o->ca_file);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "ses-milter/" VERSION);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, notify_http_discard);
	curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, notify_http_progress);
	curl_easy_setopt(c, CURLOPT_XFERINFODATA, o);
}

enum notify_http_result notify_http_post(struct notify_http *h, const struct notify_http_opts *o,
					 const char *url, const char *secret,
					 const char *eventid, const char *body, size_t len,
					 struct strbuf *why)
{
	struct curl_slist *hdrs = notify_http_headers(secret, eventid, body, len);
	long status = 0;
	CURLcode rc;

	notify_http_setopts(h->curl, o, url, hdrs, body, len);
	rc = curl_easy_perform(h->curl);
	curl_slist_free_all(hdrs);
	if (rc != CURLE_OK) {
		strbuf_appends(why, rc == CURLE_ABORTED_BY_CALLBACK ? "stopping" : curl_easy_strerror(rc));
		return NOTIFY_HTTP_RETRY;
	}
	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status >= 200 && status < 300)
		return NOTIFY_HTTP_OK;
	strbuf_appendf(why, "HTTP %ld", status);
	if (status >= 400 && status < 500 && status != 408 && status != 429)
		return NOTIFY_HTTP_REFUSED;
	return NOTIFY_HTTP_RETRY;
}
