/*
 * stats - daily volumes per sender domain in shared state; see stats.h.
 */
#include "autoconf.h"

#include <ctype.h>
#include <stdlib.h>
#include <time.h>

#include "stats.h"

static const char *const stats_kind_names[STATS_NKINDS] = {
	"requests", "accepted", "rejected", "delivered",
	"opened",   "clicked",  "bounced",  "unsubscribed",
	"opens",    "clicks",
};

const char *stats_kind_name(enum stats_kind kind)
{
	return (unsigned)kind < STATS_NKINDS ? stats_kind_names[kind] : NULL;
}

int stats_kind_of_event(enum event_type type)
{
	switch (type) {
	case EVENT_ACCEPTED:
		return STATS_ACCEPTED;
	case EVENT_REJECTED:
		return STATS_REJECTED;
	case EVENT_DELIVERED:
		return STATS_DELIVERED;
	case EVENT_BOUNCE:
		return STATS_BOUNCED;
	case EVENT_UNSUBSCRIBE:
		return STATS_UNSUBSCRIBED;
	case EVENT_OPEN:
		return STATS_OPENED;
	case EVENT_CLICK:
		return STATS_CLICKED;
	default:
		return -1;
	}
}

void stats_day(int64_t t, char out[STATS_DAY_LEN])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL || strftime(out, STATS_DAY_LEN, "%Y%m%d", &tm) == 0)
		out[0] = '\0';
}

void stats_key(struct strbuf *out, const char *domain, const char *day, enum stats_kind kind)
{
	struct strbuf low = STRBUF_INIT;
	const char *parts[4] = { NULL, day, stats_kind_name(kind), NULL };
	const char *p;

	for (p = domain; p != NULL && *p != '\0'; p++) {
		char c = (char)tolower((unsigned char)*p);

		strbuf_append(&low, &c, 1);
	}
	parts[0] = strbuf_cstr(&low);
	store_key(out, "st", parts);
	strbuf_free(&low);
}

enum store_result stats_add(const struct store *st, const char *domain, int64_t t,
			    enum stats_kind kind, uint64_t n)
{
	struct strbuf key = STRBUF_INIT;
	char day[STATS_DAY_LEN];
	enum store_result r;
	uint64_t value;

	if (n == 0 || domain == NULL || *domain == '\0' || stats_kind_name(kind) == NULL)
		return STORE_OK;
	stats_day(t, day);
	stats_key(&key, domain, day, kind);
	r = store_incr(st, strbuf_cstr(&key), n, n, STATS_TTL, &value);
	strbuf_free(&key);
	return r == STORE_ERROR ? STORE_ERROR : STORE_OK;
}

enum store_result stats_add_batch(const struct store *st, const char *domain, int64_t t,
				  const enum stats_kind *kinds, const uint64_t *ns, size_t count)
{
	struct store_write_item items[STATS_NKINDS];
	struct strbuf keys[STATS_NKINDS];
	char day[STATS_DAY_LEN];
	enum store_result r = STORE_OK;
	size_t i, n = 0;

	if (domain == NULL || *domain == '\0')
		return STORE_OK;
	stats_day(t, day);
	for (i = 0; i < count && n < STATS_NKINDS; i++) {
		if (ns[i] == 0 || stats_kind_name(kinds[i]) == NULL)
			continue;
		strbuf_init(&keys[n]);
		stats_key(&keys[n], domain, day, kinds[i]);
		items[n] = (struct store_write_item){ .op = STORE_W_INCR,
						      .key = strbuf_cstr(&keys[n]),
						      .delta = ns[i], .initial = ns[i],
						      .ttl = STATS_TTL };
		n++;
	}
	if (n > 0 && store_mwrite(st, items, n) == STORE_ERROR)
		for (i = 0; i < n; i++)
			if (items[i].result == STORE_ERROR)
				r = STORE_ERROR;
	for (i = 0; i < n; i++)
		strbuf_free(&keys[i]);
	return r;
}

enum store_result stats_get_day(const struct store *st, const char *domain, const char *day,
				uint64_t out[STATS_NKINDS])
{
	struct strbuf key = STRBUF_INIT, val = STRBUF_INIT;
	enum store_result r = STORE_OK;
	int k;

	for (k = 0; k < STATS_NKINDS; k++) {
		out[k] = 0;
		stats_key(&key, domain, day, (enum stats_kind)k);
		strbuf_reset(&val);
		r = store_get(st, strbuf_cstr(&key), &val);
		if (r == STORE_ERROR)
			break;
		if (r == STORE_OK)
			out[k] = strtoull(strbuf_cstr(&val), NULL, 10);
		r = STORE_OK;
	}
	strbuf_free(&key);
	strbuf_free(&val);
	return r;
}
