/*
 * store_tally - notes of the day counters and their restore; see
 * store_tally.h.
 *
 * A chained hash table under one mutex; an entry is the counter's key,
 * the largest value noted and when it was last noted.
 */
#include "autoconf.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store_tally.h"
#include "xalloc.h"

#define TALLY_BUCKETS 1024
#define TALLY_CAS_TRIES 8

struct tally_note {
	struct tally_note *next;
	char *key;
	uint64_t value;
	time_t seen;
};

static pthread_mutex_t tally_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tally_note *tally_table[TALLY_BUCKETS];

static unsigned tally_hash(const char *key)
{
	unsigned h = 2166136261u;

	for (; *key != '\0'; key++)
		h = (h ^ (unsigned char)*key) * 16777619u;
	return h % TALLY_BUCKETS;
}

void store_tally_note(const char *key, uint64_t value)
{
	struct tally_note **p, *n;
	time_t now = time(NULL);

	pthread_mutex_lock(&tally_lock);
	for (p = &tally_table[tally_hash(key)]; (n = *p) != NULL;) {
		if (strcmp(n->key, key) == 0)
			break;
		if (now - n->seen > STORE_TALLY_KEEP_S) {	/* a past day: drop */
			*p = n->next;
			free(n->key);
			free(n);
			continue;
		}
		p = &n->next;
	}
	if (n == NULL) {
		n = xcalloc(1, sizeof *n);
		n->key = xstrdup(key);
		*p = n;
	}
	if (value > n->value)
		n->value = value;
	n->seen = now;
	pthread_mutex_unlock(&tally_lock);
}

enum store_result store_count(const struct store *s, const char *key, uint64_t delta,
			      uint64_t initial, uint32_t ttl, uint64_t *value)
{
	struct strbuf val = STRBUF_INIT;
	enum store_result r = store_incr(s, key, delta, initial, ttl, value);

	if (r == STORE_OK && s->guard != NULL &&
	    store_get_guarded(s, key, &val) == STORE_ERROR) {
		store_decr(s, key, delta, NULL);	/* not counted: the server is not restored */
		r = STORE_ERROR;
	}
	strbuf_free(&val);
	if (r == STORE_OK)
		store_tally_note(key, *value);
	return r;
}

/* Raises key to at least want; STORE_OK (written or already there), STORE_ERROR. */
static enum store_result tally_raise(const struct store *s, const char *key, uint64_t want,
				     bool *raised)
{
	struct strbuf cur = STRBUF_INIT;
	char text[32];
	uint64_t cas = 0;
	enum store_result r = STORE_EXISTS;
	int tries;

	*raised = false;
	snprintf(text, sizeof text, "%" PRIu64, want);
	for (tries = 0; tries < TALLY_CAS_TRIES && r == STORE_EXISTS; tries++) {
		strbuf_reset(&cur);
		r = store_gets(s, key, &cur, &cas);
		if (r == STORE_NOT_FOUND)
			r = store_add(s, key, text, strlen(text), STORE_TALLY_KEEP_S);
		else if (r == STORE_OK && strtoull(strbuf_cstr(&cur), NULL, 10) < want)
			r = store_cas(s, key, text, strlen(text), STORE_TALLY_KEEP_S, cas);
		else if (r == STORE_OK)
			break;	/* as high already */
		else
			break;
		if (r == STORE_OK)
			*raised = true;
		if (r == STORE_NOT_FOUND)
			r = STORE_EXISTS;	/* deleted meanwhile: try again */
	}
	strbuf_free(&cur);
	return r == STORE_OK ? STORE_OK : STORE_ERROR;
}

enum store_result store_tally_restore(const struct store *s, size_t *raised)
{
	struct tally_note *n;
	enum store_result r = STORE_OK;
	bool one;
	unsigned b;

	if (raised != NULL)
		*raised = 0;
	/* the lock is held across the writes: a restore is rare and short */
	pthread_mutex_lock(&tally_lock);
	for (b = 0; b < TALLY_BUCKETS && r == STORE_OK; b++)
		for (n = tally_table[b]; n != NULL && r == STORE_OK; n = n->next) {
			r = tally_raise(s, n->key, n->value, &one);
			if (one && raised != NULL)
				(*raised)++;
		}
	pthread_mutex_unlock(&tally_lock);
	return r;
}

void store_tally_clear(void)
{
	struct tally_note *n;
	unsigned b;

	pthread_mutex_lock(&tally_lock);
	for (b = 0; b < TALLY_BUCKETS; b++)
		while ((n = tally_table[b]) != NULL) {
			tally_table[b] = n->next;
			free(n->key);
			free(n);
		}
	pthread_mutex_unlock(&tally_lock);
}
