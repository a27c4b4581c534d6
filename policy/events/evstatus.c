/*
 * evstatus - the status of sent messages per recipient; see evstatus.h.
 */
#include "autoconf.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "events.h"
#include "evstatus.h"
#include "xalloc.h"

void evstatus_init(struct evstatus *s, const struct evstatus_filter *f)
{
	memset(s, 0, sizeof *s);
	s->f = *f;
}

/* A copy of o's string member key, "" when absent or not a string. */
static char *evstatus_str(json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));
	return xstrdup(v != NULL ? v : "");
}

/* Parses line as an event object; NULL (counted as bad) when it is not one. */
static json_t *evstatus_parse(struct evstatus *s, const char *line, size_t len,
			      enum event_type *type, int64_t *t)
{
	json_t *o = json_loadb(line, len, JSON_REJECT_DUPLICATES, NULL);
	const char *ev = json_string_value(json_object_get(o, "event"));
	json_t *ts = json_object_get(o, "timestamp");

	if (!json_is_object(o) || ev == NULL || !json_is_integer(ts)) {
		json_decref(o);
		s->bad_lines++;
		return NULL;
	}
	*t = (int64_t)json_integer_value(ts);
	if (event_type_parse(ev, type) != 0) {
		json_decref(o);
		return NULL; /* a kind this version does not know: not an error */
	}
	return o;
}

/* True when the string member key of o equals want (NULL: no filter). */
static bool evstatus_matches(json_t *o, const char *key, const char *want, bool nocase)
{
	const char *v = json_string_value(json_object_get(o, key));

	if (want == NULL)
		return true;
	if (v == NULL)
		return false;
	return nocase ? strcasecmp(v, want) == 0 : strcmp(v, want) == 0;
}

void evstatus_request(struct evstatus *s, const char *line, size_t len)
{
	struct evstatus_row *r;
	enum event_type type;
	int64_t t;
	json_t *o = evstatus_parse(s, line, len, &type, &t);

	if (o == NULL)
		return;
	if ((type != EVENT_ACCEPTED && type != EVENT_REJECTED) || t < s->f.day ||
	    t >= s->f.day + 86400 || !evstatus_matches(o, "messageId", s->f.message_id, false) ||
	    !evstatus_matches(o, "email", s->f.email, true)) {
		json_decref(o);
		return;
	}
	if (s->n == s->cap) {
		s->cap = s->cap ? 2 * s->cap : 64;
		s->rows = xrealloc(s->rows, s->cap * sizeof *s->rows);
	}
	r = &s->rows[s->n];
	memset(r, 0, sizeof *r);
	r->seq = s->n++;
	r->message_id = evstatus_str(o, "messageId");
	r->email = evstatus_str(o, "email");
	r->from = evstatus_str(o, "from");
	r->from_domain = evstatus_str(o, "fromDomain");
	r->accepted = type == EVENT_ACCEPTED;
	r->send_reason = evstatus_str(o, type == EVENT_REJECTED ? "reason" : "-none-");
	r->deliver_reason = evstatus_str(o, "-none-");
	r->deliver = r->accepted ? EVSTATUS_QUEUED : EVSTATUS_REJECTED;
	r->request_time = r->update_time = t;
	json_decref(o);
}

/* Orders rows by email (case-insensitive), then by their order in the log. */
static int evstatus_cmp_email(const void *a, const void *b)
{
	const struct evstatus_row *x = *(struct evstatus_row *const *)a;
	const struct evstatus_row *y = *(struct evstatus_row *const *)b;
	int c = strcasecmp(x->email, y->email);

	return c != 0 ? c : (x->seq > y->seq) - (x->seq < y->seq);
}

void evstatus_index(struct evstatus *s)
{
	size_t i;

	free(s->by_email);
	s->by_email = xcalloc(s->n + 1, sizeof *s->by_email);
	for (i = 0; i < s->n; i++)
		s->by_email[i] = &s->rows[i];
	qsort(s->by_email, s->n, sizeof *s->by_email, evstatus_cmp_email);
}

/* The first index in by_email of a row for email (or s->n). */
static size_t evstatus_first(const struct evstatus *s, const char *email)
{
	size_t lo = 0, hi = s->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strcasecmp(s->by_email[mid]->email, email) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Applies a delivery event (status want, its reason) to r. */
static void evstatus_deliver(struct evstatus_row *r, int want, const char *reason, int64_t t)
{
	bool final_now = r->deliver == EVSTATUS_DELIVERED || r->deliver == EVSTATUS_DROPPED;
	bool final_new = want == EVSTATUS_DELIVERED || want == EVSTATUS_DROPPED;

	if (!r->accepted || (final_now && !final_new))
		return;
	if (final_now == final_new && t < r->deliver_time)
		return;
	r->deliver = want;
	r->deliver_time = t;
	free(r->deliver_reason);
	r->deliver_reason = xstrdup(reason != NULL ? reason : "");
}

/* Applies one feedback event of type to r. */
static void evstatus_apply(struct evstatus_row *r, enum event_type type, json_t *o, int64_t t)
{
	const char *reason = json_string_value(json_object_get(o, "reason"));
	const char *bt = json_string_value(json_object_get(o, "bounceType"));

	if ((type == EVENT_OPEN || type == EVENT_CLICK) &&
	    json_is_true(json_object_get(o, "machine")))
		return;	/* a scanner or proxy: the user did nothing */
	if (type == EVENT_DELIVERED)
		evstatus_deliver(r, EVSTATUS_DELIVERED, reason, t);
	else if (type == EVENT_DEFERRED)
		evstatus_deliver(r, EVSTATUS_DELAYED, reason, t);
	else if (type == EVENT_BOUNCE)
		evstatus_deliver(r, bt != NULL && strcmp(bt, "hard_bounce") == 0 ? EVSTATUS_DROPPED
										 : EVSTATUS_DELAYED,
				 reason, t);
	else if (type == EVENT_OPEN)
		r->opened = true;
	else if (type == EVENT_CLICK)
		r->clicked = true;
	else if (type == EVENT_UNSUBSCRIBE)
		r->unsubscribed = true;
	else if (type == EVENT_SPAMREPORT)
		r->complained = true;
	else
		return;
	if (t > r->update_time)
		r->update_time = t;
}

void evstatus_join(struct evstatus *s, const char *line, size_t len)
{
	enum event_type type;
	const char *email, *msgid, *dom;
	int64_t t;
	size_t i;
	json_t *o;

	if (s->n == 0 || (o = evstatus_parse(s, line, len, &type, &t)) == NULL)
		return;
	email = json_string_value(json_object_get(o, "email"));
	msgid = json_string_value(json_object_get(o, "messageId"));
	dom = json_string_value(json_object_get(o, "fromDomain"));
	if (type == EVENT_UNSUBSCRIBE || msgid == NULL)
		msgid = "";
	if (type == EVENT_ACCEPTED || type == EVENT_REJECTED || email == NULL || *email == '\0' ||
	    t < s->f.day) {
		json_decref(o);
		return;
	}
	for (i = evstatus_first(s, email); i < s->n; i++) {
		struct evstatus_row *r = s->by_email[i];

		if (strcasecmp(r->email, email) != 0)
			break;
		if (*msgid != '\0' ? strcmp(r->message_id, msgid) == 0
				   : dom != NULL && strcasecmp(r->from_domain, dom) == 0 &&
					     r->request_time <= t)
			evstatus_apply(r, type, o, t);
	}
	json_decref(o);
}

const char *evstatus_deliver_name(int deliver)
{
	switch (deliver) {
	case EVSTATUS_QUEUED:
		return "queued";
	case EVSTATUS_DELIVERED:
		return "delivered";
	case EVSTATUS_DROPPED:
		return "dropped";
	case EVSTATUS_REJECTED:
		return "rejected";
	case EVSTATUS_DELAYED:
		return "delayed";
	default:
		return "?";
	}
}

void evstatus_free(struct evstatus *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		struct evstatus_row *r = &s->rows[i];

		free(r->message_id);
		free(r->email);
		free(r->from);
		free(r->from_domain);
		free(r->send_reason);
		free(r->deliver_reason);
	}
	free(s->rows);
	free(s->by_email);
	memset(s, 0, sizeof *s);
}

static int evstatus_pass1(void *arg, const char *json, size_t len, off_t next)
{
	(void)next;
	evstatus_request(arg, json, len);
	return 0;
}

static int evstatus_pass2(void *arg, const char *json, size_t len, off_t next)
{
	(void)next;
	evstatus_join(arg, json, len);
	return 0;
}

/* Orders rows by request time, then by their order in the log. */
static int evstatus_cmp(const void *a, const void *b)
{
	const struct evstatus_row *x = a, *y = b;

	if (x->request_time != y->request_time)
		return x->request_time < y->request_time ? -1 : 1;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

long evstatus_read_log(struct evstatus *s, const char *path, struct strbuf *err)
{
	off_t off = 0;
	long n = events_read(path, &off, 0, evstatus_pass1, s, err);
	unsigned long bad;

	if (n < 0)
		return -1;
	bad = s->bad_lines;
	evstatus_index(s);
	off = 0;
	n = events_read(path, &off, 0, evstatus_pass2, s, NULL);
	s->bad_lines = bad;
	if (n < 0)
		return -1;
	if (s->n > 1)
		qsort(s->rows, s->n, sizeof *s->rows, evstatus_cmp);
	return (long)s->n;
}

json_t *evstatus_row_json(const struct evstatus_row *r)
{
	return json_pack("{s:s,s:s,s:s,s:s,s:s,s:i,s:s,s:b,s:b,s:b,s:b,s:I,s:I}", "MessageId",
			 r->message_id, "ToEmailAddress", r->email, "FromEmailAddress", r->from,
			 "SendStatus", r->accepted ? "accepted" : "rejected", "SendMessage",
			 r->send_reason, "DeliverStatus", r->deliver, "DeliverMessage",
			 r->deliver_reason, "UserOpened", r->opened, "UserClicked", r->clicked,
			 "UserUnsubscribed", r->unsubscribed, "UserComplained", r->complained,
			 "RequestTime", (json_int_t)r->request_time, "UpdateTime",
			 (json_int_t)r->update_time);
}
