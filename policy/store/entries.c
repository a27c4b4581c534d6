/*
 * entries - long-lived shared entries with last-writer-wins records; see
 * entries.h for the record format and the key scheme.
 *
 * entry_put() is a compare-and-swap loop: read the record with its CAS
 * token, keep it when it is as new as ours or newer, else swap ours in;
 * when another writer got there first (EXISTS), read again.  The loop is
 * bounded (ENTRY_PUT_TRIES) so a hot key cannot hold a milter thread.
 *
 * Diagnostics: functions answer STORE_OK or STORE_ERROR; a record that
 * does not parse is treated as absent by lookups and overwritten by puts;
 * entries_write() explains a journal failure in its err buffer.
 */
#include "autoconf.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "entries.h"
#include "journal.h"

#define ENTRY_PUT_TRIES 8

static const char *const entry_kind_names[ENTRY__COUNT] = {
	[ENTRY_BLOCKLIST] = "blocklist",
	[ENTRY_UNSUBSCRIBE] = "unsubscribe",
	[ENTRY_SUPPRESSION] = "suppression",
	[ENTRY_SUSPENSION] = "suspension",
};

/* Key prefixes, by kind (entries.h: "bl:ADDR", "un:DOMAIN:ADDR", ...). */
static const char *const entry_key_prefixes[ENTRY__COUNT] = {
	[ENTRY_BLOCKLIST] = "bl",
	[ENTRY_UNSUBSCRIBE] = "un",
	[ENTRY_SUPPRESSION] = "sp",
	[ENTRY_SUSPENSION] = "su",
};

const char *entry_kind_name(enum entry_kind kind)
{
	return (unsigned)kind < ENTRY__COUNT ? entry_kind_names[kind] : NULL;
}

int entry_kind_parse(const char *name, enum entry_kind *kind)
{
	unsigned i;

	for (i = 0; i < ENTRY__COUNT; i++)
		if (strcmp(name, entry_kind_names[i]) == 0) {
			*kind = (enum entry_kind)i;
			return 0;
		}
	return -1;
}

/* ASCII white space only: the C locale's isspace() without the locale. */
static bool entry_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

void entry_normalize_addr(const char *addr, struct strbuf *out)
{
	const char *b = addr != NULL ? addr : "", *e = b + strlen(b);

	strbuf_reset(out);
	while (b < e && entry_blank(*b))
		b++;
	while (e > b && entry_blank(e[-1]))
		e--;
	if (e - b >= 2 && *b == '<' && e[-1] == '>') {
		b++;
		e--;
		while (b < e && entry_blank(*b))
			b++;
		while (e > b && entry_blank(e[-1]))
			e--;
	}
	strbuf_reserve(out, (size_t)(e - b));
	strbuf_append(out, "", 0); /* reserve leaves a new buffer unterminated */
	for (; b < e; b++)	   /* bytes >= 0x80 pass unchanged */
		strbuf_appendc(out, *b >= 'A' && *b <= 'Z' ? (char)(*b - 'A' + 'a') : *b);
}

void entry_key(const struct entry_id *id, struct strbuf *key)
{
	struct strbuf scope = STRBUF_INIT, addr = STRBUF_INIT;
	const char *parts[3] = { NULL, NULL, NULL };
	unsigned kind = (unsigned)id->kind < ENTRY__COUNT ? (unsigned)id->kind : 0;

	entry_normalize_addr(id->scope, &scope);
	entry_normalize_addr(id->addr, &addr);
	switch (id->kind) {
	case ENTRY_UNSUBSCRIBE:
	case ENTRY_SUPPRESSION:
		parts[0] = strbuf_cstr(&scope);
		parts[1] = strbuf_cstr(&addr);
		break;
	case ENTRY_SUSPENSION:
		parts[0] = strbuf_cstr(&scope);
		break;
	default:
		parts[0] = strbuf_cstr(&addr);
		break;
	}
	store_key(key, entry_key_prefixes[kind], parts);
	strbuf_free(&scope);
	strbuf_free(&addr);
}

/* The alphabet that needs no escape (the same as store_key()'s). */
static bool entry_safe(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '.' || c == '_' || c == '@' || c == '+' || c == '-';
}

void entry_encode(const char *s, struct strbuf *out)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *c;

	for (c = (const unsigned char *)s; *c != '\0'; c++) {
		if (entry_safe(*c)) {
			strbuf_appendc(out, (char)*c);
		} else {
			strbuf_appendc(out, '%');
			strbuf_appendc(out, hex[*c >> 4]);
			strbuf_appendc(out, hex[*c & 15]);
		}
	}
}

/* The value of a hex digit, or -1. */
static int entry_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int entry_decode(const char *s, size_t len, struct strbuf *out)
{
	size_t i;
	int hi, lo;

	for (i = 0; i < len; i++) {
		if (entry_safe((unsigned char)s[i])) {
			strbuf_appendc(out, s[i]);
			continue;
		}
		if (s[i] != '%' || len - i < 3)
			return -1;
		hi = entry_hexval(s[i + 1]);
		lo = entry_hexval(s[i + 2]);
		if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
			return -1;
		strbuf_appendc(out, (char)(hi << 4 | lo));
		i += 2;
	}
	return 0;
}

void entry_record_format(const struct entry_record *rec, struct strbuf *out)
{
	strbuf_reset(out);
	strbuf_appendf(out, "%d %" PRId64 " %" PRId64 " ", rec->present ? 1 : 0, rec->stamp_us,
		       rec->expires);
	if (rec->origin[0] == '\0')
		strbuf_appendc(out, '-');
	else if (strcmp(rec->origin, "-") == 0)
		strbuf_appends(out, "%2D"); /* "-" alone means no origin */
	else
		entry_encode(rec->origin, out);
}

/* Parses 1 to 18 decimal digits (no sign) of s[0..len); 0 or -1. */
static int entry_parse_num(const char *s, size_t len, int64_t *out)
{
	int64_t v = 0;
	size_t i;

	if (len == 0 || len > 18)
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int entry_record_parse(const char *text, struct entry_record *rec)
{
	struct strbuf origin = STRBUF_INIT;
	const char *p = text, *sp;
	int rc = -1;

	memset(rec, 0, sizeof *rec);
	if ((p[0] != '0' && p[0] != '1') || p[1] != ' ')
		return -1;
	rec->present = p[0] == '1';
	p += 2;
	if ((sp = strchr(p, ' ')) == NULL || entry_parse_num(p, (size_t)(sp - p), &rec->stamp_us))
		return -1;
	p = sp + 1;
	if ((sp = strchr(p, ' ')) == NULL || entry_parse_num(p, (size_t)(sp - p), &rec->expires))
		return -1;
	p = sp + 1;
	if (strcmp(p, "-") == 0) {
		rc = 0; /* no origin */
	} else if (*p != '\0' && entry_decode(p, strlen(p), &origin) == 0 &&
		   origin.len < sizeof rec->origin) {
		memcpy(rec->origin, strbuf_cstr(&origin), origin.len + 1);
		rc = 0;
	}
	strbuf_free(&origin);
	return rc;
}

int entry_record_cmp(const struct entry_record *a, const struct entry_record *b)
{
	int c;

	if (a->stamp_us != b->stamp_us)
		return a->stamp_us < b->stamp_us ? -1 : 1;
	c = strcmp(a->origin, b->origin);
	if (c != 0)
		return c < 0 ? -1 : 1;
	if (a->present != b->present)
		return a->present ? -1 : 1; /* the removal wins a full tie */
	return 0;
}

bool entry_record_live(const struct entry_record *rec, time_t now)
{
	return rec->present && (rec->expires == 0 || rec->expires > (int64_t)now);
}

void entry_record_now(struct entry_record *rec, bool present, int64_t expires,
		      const char *origin)
{
	struct timespec ts;
	char host[256];
	size_t n;

	memset(rec, 0, sizeof *rec);
	rec->present = present;
	rec->expires = expires;
	clock_gettime(CLOCK_REALTIME, &ts);
	rec->stamp_us = (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
	if (origin == NULL) {
		if (gethostname(host, sizeof host) != 0 || host[0] == '\0')
			snprintf(host, sizeof host, "localhost");
		host[sizeof host - 1] = '\0';
		origin = host;
	}
	n = strnlen(origin, sizeof rec->origin - 1);
	memcpy(rec->origin, origin, n);
	rec->origin[n] = '\0';
}

/* Parses a stored value, which may hold any bytes; 0 or -1. */
static int entry_parse_value(const struct strbuf *val, struct entry_record *rec)
{
	if (val->len == 0 || memchr(val->data, '\0', val->len) != NULL)
		return -1;
	return entry_record_parse(val->data, rec);
}

enum store_result entry_get(const struct store *s, const struct entry_id *id,
			    struct entry_record *rec, bool *found)
{
	struct strbuf key = STRBUF_INIT, val = STRBUF_INIT;
	enum store_result r;

	*found = false;
	entry_key(id, &key);
	r = store_get_guarded(s, strbuf_cstr(&key), &val);
	if (r == STORE_OK)
		*found = entry_parse_value(&val, rec) == 0;
	strbuf_free(&key);
	strbuf_free(&val);
	return r == STORE_OK || r == STORE_NOT_FOUND ? STORE_OK : STORE_ERROR;
}

enum store_result entry_lookup(const struct store *s, const struct entry_id *id, bool *present)
{
	struct entry_record rec;
	bool found = false;
	enum store_result r;

	r = entry_get(s, id, &rec, &found);
	*present = r == STORE_OK && found && entry_record_live(&rec, time(NULL));
	return r;
}

enum store_result entry_lookup_value(enum store_result r, const struct strbuf *val,
				     bool *present)
{
	struct entry_record rec;

	*present = r == STORE_OK && entry_parse_value(val, &rec) == 0 &&
		   entry_record_live(&rec, time(NULL));
	return r == STORE_OK || r == STORE_NOT_FOUND ? STORE_OK : STORE_ERROR;
}

/*
 * Seconds from now until expires (0: never), as memcached wants them:
 * relative (store_memcached.c turns over 30 days into an absolute time,
 * which must still fit memcached's 32-bit expiry).
 */
static uint32_t entry_ttl(int64_t expires, time_t now)
{
	int64_t left, most = (int64_t)UINT32_MAX - (int64_t)now;

	if (expires == 0)
		return 0;
	left = expires - (int64_t)now;
	if (left > most)
		left = most;
	return left < 1 ? 1 : (uint32_t)left;
}

/*
 * One round of the CAS loop.  STORE_OK when done (written, or an as-new
 * record kept), STORE_EXISTS when another writer raced us, STORE_ERROR.
 */
static enum store_result entry_put_once(const struct store *s, const char *key,
					const struct strbuf *val, const struct entry_record *rec,
					uint32_t ttl)
{
	struct strbuf cur = STRBUF_INIT;
	struct entry_record old;
	uint64_t cas = 0;
	enum store_result r;

	r = store_gets(s, key, &cur, &cas);
	if (r == STORE_NOT_FOUND) {
		r = store_add(s, key, val->data, val->len, ttl);
	} else if (r == STORE_OK) {
		if (entry_parse_value(&cur, &old) == 0 && entry_record_cmp(&old, rec) >= 0)
			r = STORE_OK; /* the stored record wins */
		else
			r = store_cas(s, key, val->data, val->len, ttl, cas);
		if (r == STORE_NOT_FOUND)
			r = STORE_EXISTS; /* deleted meanwhile: add it */
	}
	strbuf_free(&cur);
	return r;
}

enum store_result entry_put(const struct store *s, const struct entry_id *id,
			    const struct entry_record *rec)
{
	struct strbuf key = STRBUF_INIT, val = STRBUF_INIT;
	enum store_result r = STORE_EXISTS;
	time_t now = time(NULL);
	uint32_t ttl;
	int tries;

	if (rec->expires != 0 && rec->expires <= (int64_t)now)
		return STORE_OK; /* nothing to keep */
	ttl = entry_ttl(rec->expires, now);
	entry_key(id, &key);
	entry_record_format(rec, &val);
	for (tries = 0; tries < ENTRY_PUT_TRIES && r == STORE_EXISTS; tries++)
		r = entry_put_once(s, strbuf_cstr(&key), &val, rec, ttl);
	strbuf_free(&key);
	strbuf_free(&val);
	return r == STORE_OK ? STORE_OK : STORE_ERROR;
}

enum entries_write_result entries_write(const struct store *s, const char *journal_path,
					const struct entry_id *id, const struct entry_record *rec,
					struct strbuf *err)
{
	if (journal_append(journal_path, id, rec, err) != 0)
		return ENTRIES_WRITE_FAILED;
	if (entry_put(s, id, rec) != STORE_OK)
		return ENTRIES_WRITE_JOURNALED;
	return ENTRIES_WRITE_OK;
}

const char *entries_write_result_text(enum entries_write_result r)
{
	switch (r) {
	case ENTRIES_WRITE_OK:
		return "recorded";
	case ENTRIES_WRITE_JOURNALED:
		return "recorded; memcached unreachable, will be restored";
	case ENTRIES_WRITE_FAILED:
		return "not recorded: the journal could not be written";
	}
	return "unknown";
}
