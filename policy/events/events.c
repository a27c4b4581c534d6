/*
 * events - event values, their JSON form and the event log; see events.h.
 *
 * Diagnostics (appended to the caller's err): "cannot open PATH: REASON",
 * "cannot write PATH: REASON", "cannot read PATH: REASON",
 * "PATH:OFFSET: malformed event line (N bytes) skipped" and
 * "PATH:OFFSET: N bytes of a line cut short skipped".
 */
#include "autoconf.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "events.h"

#define EVENTS_MODE 0640
#define EVENTS_START "{\"event\":" /* how every line the encoder writes starts */

static const char *const event_names[EVENT_NTYPES] = {
	"accepted", "rejected", "deferred", "delivered", "bounce",
	"spamreport", "unsubscribe", "open", "click",
};

const char *event_type_name(enum event_type type)
{
	return (unsigned)type < EVENT_NTYPES ? event_names[type] : NULL;
}

int event_type_parse(const char *name, enum event_type *type)
{
	unsigned i;

	for (i = 0; i < EVENT_NTYPES; i++)
		if (strcmp(name, event_names[i]) == 0) {
			*type = (enum event_type)i;
			return 0;
		}
	return -1;
}

void event_new_id(struct event *ev)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char rnd[EVENT_ID_LEN / 2];
	size_t got = 0, i;
	ssize_t n;

	while (got < sizeof rnd) {
		n = getrandom(rnd + got, sizeof rnd - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			abort(); /* the kernel has no entropy source at all */
		got += (size_t)n;
	}
	for (i = 0; i < sizeof rnd; i++) {
		ev->eventid[2 * i] = hex[rnd[i] >> 4];
		ev->eventid[2 * i + 1] = hex[rnd[i] & 15];
	}
	ev->eventid[EVENT_ID_LEN] = '\0';
}

/* Length of the valid UTF-8 sequence at s (n bytes left), or 0. */
static size_t event_utf8_seq(const unsigned char *s, size_t n)
{
	unsigned cp, need, i;

	if (s[0] > 0 && s[0] < 0x80)
		return 1;
	if (s[0] >= 0xC2 && s[0] <= 0xDF)
		need = 1, cp = s[0] & 0x1F;
	else if (s[0] >= 0xE0 && s[0] <= 0xEF)
		need = 2, cp = s[0] & 0x0F;
	else if (s[0] >= 0xF0 && s[0] <= 0xF4)
		need = 3, cp = s[0] & 0x07;
	else
		return 0;
	if (n <= need)
		return 0;
	for (i = 1; i <= need; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if ((need == 2 && cp < 0x800) || (need == 3 && cp < 0x10000) || cp > 0x10FFFF ||
	    (cp >= 0xD800 && cp <= 0xDFFF))
		return 0; /* overlong, beyond Unicode, or a surrogate */
	return need + 1;
}

void event_utf8_clean(const char *s, size_t len, struct strbuf *out)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;

	while (i < len) {
		n = event_utf8_seq(p + i, len - i);
		if (n == 0) {
			strbuf_appends(out, "\xEF\xBF\xBD"); /* U+FFFD */
			i++;
			continue;
		}
		strbuf_append(out, p + i, n);
		i += n;
	}
}

/* Sets key in obj to s made valid UTF-8 ("" for NULL). */
static void event_set_str(json_t *obj, const char *key, const char *s)
{
	struct strbuf clean = STRBUF_INIT;

	if (s != NULL)
		event_utf8_clean(s, strlen(s), &clean);
	json_object_set_new(obj, key, json_stringn_nocheck(strbuf_cstr(&clean), clean.len));
	strbuf_free(&clean);
}

void event_to_json(const struct event *ev, struct strbuf *out)
{
	static const char *const bounces[] = { "", "soft_bounce", "hard_bounce" };
	json_t *obj = json_object();
	char *text;

	if (obj == NULL)
		abort();
	/* insertion order is the output order; the reader relies on "event" first */
	event_set_str(obj, "event", event_type_name(ev->type));
	event_set_str(obj, "email", ev->email);
	event_set_str(obj, "bulkId", ev->message_id);
	event_set_str(obj, "messageId", ev->message_id);
	json_object_set_new(obj, "timestamp", json_integer((json_int_t)ev->timestamp));
	event_set_str(obj, "reason", ev->reason);
	event_set_str(obj, "bounceType", (unsigned)ev->bounce <= EVENT_BOUNCE_HARD ? bounces[ev->bounce] : "");
	event_set_str(obj, "from", ev->from);
	event_set_str(obj, "fromDomain", ev->from_domain);
	event_set_str(obj, "templateId", ev->template_id);
	event_set_str(obj, "subject", ev->subject);
	event_set_str(obj, "eventid", ev->eventid);
	event_set_str(obj, "account", ev->account);
	if (ev->type == EVENT_OPEN || ev->type == EVENT_CLICK) {
		event_set_str(obj, "url", ev->url);
		event_set_str(obj, "userAgent", ev->user_agent);
		event_set_str(obj, "ip", ev->client);
		json_object_set_new(obj, "machine", json_boolean(ev->machine));
	}
	text = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (text == NULL)
		abort(); /* only on memory exhaustion: every string is valid */
	strbuf_appends(out, text);
	free(text);
	json_decref(obj);
}

/* Appends "cannot VERB PATH: REASON" to err when err is not NULL. */
static void events_err(struct strbuf *err, const char *verb, const char *path, int errnum)
{
	if (err != NULL)
		strbuf_appendf(err, "cannot %s %s: %s", verb, path, strerror(errnum));
}

int events_append(const char *path, const char *json, size_t len, bool sync,
		  struct strbuf *err)
{
	struct strbuf line = STRBUF_INIT;
	ssize_t n;
	int fd, rc = -1;

	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, EVENTS_MODE);
	if (fd < 0) {
		events_err(err, "open", path, errno);
		return -1;
	}
	strbuf_append(&line, json, len);
	strbuf_appendc(&line, '\n');
	/*
	 * One write: a short write is not retried, since a second write could
	 * land after another writer's line; a regular file on a local file
	 * system takes the whole line or fails (ENOSPC, EIO).
	 */
	do
		n = write(fd, line.data, line.len);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)line.len)
		events_err(err, "write", path, n < 0 ? errno : EIO);
	else if (sync && fdatasync(fd) != 0)
		events_err(err, "write", path, errno);
	else
		rc = 0;
	close(fd);
	strbuf_free(&line);
	return rc;
}

/* True when json[0..len) is one JSON object. */
static bool events_valid(const char *json, size_t len)
{
	json_t *v = json_loadb(json, len, JSON_REJECT_DUPLICATES, NULL);
	bool ok = v != NULL && json_is_object(v);

	json_decref(v);
	return ok;
}

/*
 * Hands the line at off (len bytes, no newline) to fn when it is an
 * event, or the last event that starts within it (a cut line followed by
 * a whole one); reports what is skipped.  fn's return value, or 0.
 */
static int events_line(const char *path, off_t off, char *line, size_t len, off_t next,
		       events_fn *fn, void *arg, struct strbuf *err, long *handed)
{
	char *start = line, *p;

	if (!events_valid(line, len)) {
		start = NULL;
		for (p = line + 1; (p = memmem(p, len - (size_t)(p - line), EVENTS_START,
					       strlen(EVENTS_START))) != NULL; p++)
			start = p;
		if (start != NULL && !events_valid(start, len - (size_t)(start - line)))
			start = NULL;
		if (err != NULL)
			strbuf_appendf(err, "%s%s:%lld: %s (%zu bytes) skipped", err->len ? "\n" : "",
				       path, (long long)off,
				       start != NULL ? "the start of a line cut short"
						     : "malformed event line",
				       start != NULL ? (size_t)(start - line) : len);
		if (start == NULL)
			return 0;
	}
	(*handed)++;
	return fn(arg, start, len - (size_t)(start - line), next);
}

long events_read(const char *path, off_t *offset, size_t max, events_fn *fn, void *arg,
		 struct strbuf *err)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	long handed = 0;
	off_t off = *offset;
	FILE *fp;

	fp = fopen(path, "re");
	if (fp == NULL) {
		if (errno == ENOENT)
			return 0;
		events_err(err, "open", path, errno);
		return -1;
	}
	if (fseeko(fp, off, SEEK_SET) != 0) {
		events_err(err, "read", path, errno);
		fclose(fp);
		return -1;
	}
	while ((max == 0 || (size_t)handed < max) && (n = getline(&line, &cap, fp)) > 0) {
		if (line[n - 1] != '\n')
			break; /* being written: read it next time */
		line[n - 1] = '\0';
		if (events_line(path, off, line, (size_t)n - 1, off + n, fn, arg, err, &handed) != 0) {
			handed--;
			break;
		}
		off += n;
	}
	if (ferror(fp)) {
		events_err(err, "read", path, errno);
		handed = -1;
	}
	*offset = off;
	free(line);
	fclose(fp);
	return handed;
}

bool events_url_valid(const char *url)
{
	size_t len = strlen(url), skip, i;

	if (strncasecmp(url, "https://", 8) == 0)
		skip = 8;
	else if (strncasecmp(url, "http://", 7) == 0)
		skip = 7;
	else
		return false;
	if (len > 2048 || len == skip || url[skip] == '/' || url[skip] == ':' || url[skip] == '?')
		return false;
	for (i = 0; i < len; i++)
		if ((unsigned char)url[i] <= 0x20 || url[i] == 0x7f)
			return false;
	return true;
}

void events_sign(const char *secret, long long timestamp, const char *body, size_t len,
		 char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0, i;
	struct strbuf msg = STRBUF_INIT;

	strbuf_appendf(&msg, "%lld.", timestamp);
	strbuf_append(&msg, body, len);
	if (HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)msg.data,
		 msg.len, mac, &maclen) == NULL || maclen != 32)
		abort();
	for (i = 0; i < 32; i++) {
		out[2 * i] = hex[mac[i] >> 4];
		out[2 * i + 1] = hex[mac[i] & 15];
	}
	out[64] = '\0';
	strbuf_free(&msg);
}
