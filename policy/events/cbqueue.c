/*
 * cbqueue - callback deliveries waiting for a retry; see cbqueue.h.
 *
 * Diagnostics: "FILE:LINE: malformed queue line skipped", "cannot open
 * FILE: REASON", "cannot write FILE: REASON", "cannot rename TMP to
 * FILE: REASON" (appended to the caller's err).
 */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cbqueue.h"
#include "durable.h"
#include "xalloc.h"

static char *cbqueue_strdup(const char *s)
{
	return xstrdup(s != NULL ? s : "");
}

void cbqueue_free(struct cbqueue *q)
{
	size_t i;

	for (i = 0; i < q->n; i++) {
		free(q->v[i].url);
		free(q->v[i].account);
		free(q->v[i].json);
	}
	free(q->v);
	for (i = 0; i < q->nurls; i++)
		free(q->urls[i].url);
	free(q->urls);
	memset(q, 0, sizeof *q);
}

void cbqueue_add(struct cbqueue *q, const char *url, const char *account, const char *json,
		 int64_t first, unsigned attempts)
{
	struct cbqueue_entry *e;

	q->v = xrealloc(q->v, (q->n + 1) * sizeof *q->v);
	e = &q->v[q->n++];
	e->url = cbqueue_strdup(url);
	e->account = cbqueue_strdup(account);
	e->json = cbqueue_strdup(json);
	e->first = first;
	e->attempts = attempts;
	q->dirty = true;
}

void cbqueue_remove(struct cbqueue *q, size_t i)
{
	free(q->v[i].url);
	free(q->v[i].account);
	free(q->v[i].json);
	memmove(&q->v[i], &q->v[i + 1], (q->n - i - 1) * sizeof *q->v);
	q->n--;
	q->dirty = true;
}

/* The state of url, or NULL when it has none. */
static struct cbqueue_url *cbqueue_url_find(const struct cbqueue *q, const char *url)
{
	size_t i;

	for (i = 0; i < q->nurls; i++)
		if (strcmp(q->urls[i].url, url) == 0)
			return &q->urls[i];
	return NULL;
}

bool cbqueue_url_due(const struct cbqueue *q, const char *url, int64_t now)
{
	const struct cbqueue_url *u = cbqueue_url_find(q, url);

	return u == NULL || u->next_at <= now;
}

bool cbqueue_url_waits(const struct cbqueue *q, const char *url, int64_t now)
{
	size_t i;

	if (!cbqueue_url_due(q, url, now))
		return true;
	for (i = 0; i < q->n; i++)
		if (strcmp(q->v[i].url, url) == 0)
			return true;
	return false;
}

long cbqueue_backoff(unsigned fails)
{
	long wait = CBQUEUE_BACKOFF_MIN;

	while (fails-- > 1 && wait < CBQUEUE_BACKOFF_MAX)
		wait *= 2;
	return wait < CBQUEUE_BACKOFF_MAX ? wait : CBQUEUE_BACKOFF_MAX;
}

long cbqueue_url_failed(struct cbqueue *q, const char *url, int64_t now)
{
	struct cbqueue_url *u = cbqueue_url_find(q, url);
	long wait;

	if (u == NULL) {
		q->urls = xrealloc(q->urls, (q->nurls + 1) * sizeof *q->urls);
		u = &q->urls[q->nurls++];
		u->url = cbqueue_strdup(url);
		u->fails = 0;
	}
	u->fails++;
	wait = cbqueue_backoff(u->fails);
	u->next_at = now + wait;
	return wait;
}

void cbqueue_url_ok(struct cbqueue *q, const char *url)
{
	struct cbqueue_url *u = cbqueue_url_find(q, url);
	size_t i;

	if (u == NULL)
		return;
	i = (size_t)(u - q->urls);
	free(u->url);
	memmove(&q->urls[i], &q->urls[i + 1], (q->nurls - i - 1) * sizeof *q->urls);
	q->nurls--;
}

/* Appends entry e as one JSON line. */
static void cbqueue_format(const struct cbqueue_entry *e, struct strbuf *out)
{
	json_t *o = json_pack("{s:s, s:s, s:I, s:I, s:s}", "url", e->url, "account", e->account,
			      "first", (json_int_t)e->first, "attempts", (json_int_t)e->attempts,
			      "event", e->json);
	char *text;

	if (o == NULL || (text = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER)) == NULL)
		abort(); /* the strings were valid UTF-8 when they were queued */
	strbuf_appends(out, text);
	strbuf_appendc(out, '\n');
	free(text);
	json_decref(o);
}

int cbqueue_write_atomic(const char *path, const struct strbuf *data, struct strbuf *err)
{
	return durable_replace(path, data->data, data->len, 0640, err);
}

int cbqueue_save(struct cbqueue *q, const char *path, struct strbuf *err)
{
	struct strbuf data = STRBUF_INIT;
	size_t i;
	int rc;

	for (i = 0; i < q->n; i++)
		cbqueue_format(&q->v[i], &data);
	rc = cbqueue_write_atomic(path, &data, err);
	if (rc == 0)
		q->dirty = false;
	strbuf_free(&data);
	return rc;
}

/* Adds the entry of one saved line; false when it is malformed. */
static bool cbqueue_parse(struct cbqueue *q, const char *line)
{
	const char *url, *account, *event;
	json_int_t first, attempts;
	json_t *o = json_loads(line, 0, NULL);
	bool ok;

	ok = o != NULL && json_unpack(o, "{s:s, s:s, s:I, s:I, s:s}", "url", &url, "account",
				      &account, "first", &first, "attempts", &attempts, "event",
				      &event) == 0;
	if (ok)
		cbqueue_add(q, url, account, event, (int64_t)first, (unsigned)attempts);
	json_decref(o);
	return ok;
}

long cbqueue_load(struct cbqueue *q, const char *path, struct strbuf *err)
{
	char *line = NULL;
	size_t cap = 0;
	unsigned lineno = 0;
	long added = 0;
	FILE *fp = fopen(path, "re");

	if (fp == NULL) {
		if (errno == ENOENT)
			return 0;
		strbuf_appendf(err, "cannot open %s: %s", path, strerror(errno));
		return -1;
	}
	while (getline(&line, &cap, fp) > 0) {
		lineno++;
		if (cbqueue_parse(q, line))
			added++;
		else
			strbuf_appendf(err, "%s%s:%u: malformed queue line skipped", err->len ? "\n" : "",
				       path, lineno);
	}
	free(line);
	fclose(fp);
	q->dirty = false;
	return added;
}
