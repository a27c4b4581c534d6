/*
 * store_mem - in-process backend for tests; see store_mem.h.
 *
 * A linear table under one mutex: tests hold few keys.
 */
#include "autoconf.h"

#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_mem.h"
#include "xalloc.h"

struct mem_entry {
	char *key;
	struct strbuf val;
	time_t expires;		/* 0: never */
	uint64_t cas;		/* changes on every write */
};

struct store_mem {
	pthread_mutex_t lock;
	struct mem_entry *e;
	size_t n;
	time_t now;		/* 0: real clock */
	bool down;
	uint64_t next_cas;
	unsigned restarts;
};

static time_t mem_now(const struct store_mem *m)
{
	return m->now != 0 ? m->now : time(NULL);
}

/* Finds a live entry; drops it if it has expired. Caller holds the lock. */
static struct mem_entry *mem_find(struct store_mem *m, const char *key)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		if (strcmp(m->e[i].key, key) != 0)
			continue;
		if (m->e[i].expires != 0 && m->e[i].expires <= mem_now(m)) {
			free(m->e[i].key);
			strbuf_free(&m->e[i].val);
			m->e[i] = m->e[--m->n];
			return NULL;
		}
		return &m->e[i];
	}
	return NULL;
}

static struct mem_entry *mem_insert(struct store_mem *m, const char *key, uint32_t ttl)
{
	struct mem_entry *e = xrealloc(m->e, (m->n + 1) * sizeof *m->e);

	m->e = e;
	e = &m->e[m->n++];
	e->key = xstrdup(key);
	strbuf_init(&e->val);
	e->expires = ttl ? mem_now(m) + (time_t)ttl : 0;
	e->cas = ++m->next_cas;
	return e;
}

/* Takes the lock when the store is up; false (lock not held) when it is "down". */
static bool mem_lock_up(struct store_mem *m)
{
	pthread_mutex_lock(&m->lock);
	if (!m->down)
		return true;
	pthread_mutex_unlock(&m->lock);
	return false;
}

/* Gives e a new value, expiry and CAS (the lock is held). */
static void mem_fill(struct store_mem *m, struct mem_entry *e, const void *val, size_t len,
		     uint32_t ttl)
{
	e->expires = ttl ? mem_now(m) + (time_t)ttl : 0;
	e->cas = ++m->next_cas;
	strbuf_reset(&e->val);
	strbuf_append(&e->val, val, len);
}

/* get and gets: the value, and its CAS when cas is not NULL. */
static enum store_result mem_read(void *be, const char *key, struct strbuf *val, uint64_t *cas)
{
	struct store_mem *m = be;
	struct mem_entry *e;

	if (!mem_lock_up(m))
		return STORE_ERROR;
	e = mem_find(m, key);
	if (e != NULL) {
		strbuf_append(val, e->val.data, e->val.len);
		if (cas != NULL)
			*cas = e->cas;
	}
	pthread_mutex_unlock(&m->lock);
	return e != NULL ? STORE_OK : STORE_NOT_FOUND;
}

static enum store_result mem_get(void *be, const char *key, struct strbuf *val)
{
	return mem_read(be, key, val, NULL);
}

static enum store_result mem_gets(void *be, const char *key, struct strbuf *val, uint64_t *cas)
{
	return mem_read(be, key, val, cas);
}

/*
 * add, set and cas: want_cas NULL stores whatever is there (add: only
 * when nothing is); otherwise only over the entry with that CAS.
 */
static enum store_result mem_write(void *be, const char *key, const void *val, size_t len,
				   uint32_t ttl, bool add, const uint64_t *want_cas)
{
	struct store_mem *m = be;
	struct mem_entry *e;
	enum store_result r = STORE_OK;

	if (!mem_lock_up(m))
		return STORE_ERROR;
	e = mem_find(m, key);
	if (want_cas != NULL && e == NULL)
		r = STORE_NOT_FOUND;
	else if ((want_cas != NULL && e->cas != *want_cas) || (e != NULL && add))
		r = STORE_EXISTS;
	else
		mem_fill(m, e != NULL ? e : mem_insert(m, key, ttl), val, len, ttl);
	pthread_mutex_unlock(&m->lock);
	return r;
}

static enum store_result mem_add(void *be, const char *key, const void *val, size_t len,
				 uint32_t ttl)
{
	return mem_write(be, key, val, len, ttl, true, NULL);
}

static enum store_result mem_set(void *be, const char *key, const void *val, size_t len,
				 uint32_t ttl)
{
	return mem_write(be, key, val, len, ttl, false, NULL);
}

static enum store_result mem_cas(void *be, const char *key, const void *val, size_t len,
				 uint32_t ttl, uint64_t cas)
{
	return mem_write(be, key, val, len, ttl, false, &cas);
}

static enum store_result mem_del(void *be, const char *key)
{
	struct store_mem *m = be;
	struct mem_entry *e;

	if (!mem_lock_up(m))
		return STORE_ERROR;
	e = mem_find(m, key);
	if (e != NULL) {
		free(e->key);
		strbuf_free(&e->val);
		*e = m->e[--m->n];
	}
	pthread_mutex_unlock(&m->lock);
	return e != NULL ? STORE_OK : STORE_NOT_FOUND;
}

/* Adds (or, with sign -1, subtracts down to 0) delta; creates if allowed. */
static enum store_result mem_count(void *be, const char *key, uint64_t delta, int sign,
				   const uint64_t *initial, uint32_t ttl, uint64_t *value)
{
	struct store_mem *m = be;
	struct mem_entry *e;
	uint64_t v;
	char buf[32];

	if (!mem_lock_up(m))
		return STORE_ERROR;
	e = mem_find(m, key);
	if (e == NULL && initial == NULL) {
		pthread_mutex_unlock(&m->lock);
		return STORE_NOT_FOUND;
	}
	if (e == NULL) {
		e = mem_insert(m, key, ttl);
		v = *initial;
	} else {
		v = strtoull(strbuf_cstr(&e->val), NULL, 10);
		v = sign > 0 ? v + delta : (v > delta ? v - delta : 0);
	}
	snprintf(buf, sizeof buf, "%" PRIu64, v);
	e->cas = ++m->next_cas;
	strbuf_reset(&e->val);
	strbuf_appends(&e->val, buf);
	if (value != NULL)
		*value = v;
	pthread_mutex_unlock(&m->lock);
	return STORE_OK;
}

static enum store_result mem_incr(void *be, const char *key, uint64_t delta, uint64_t initial,
				  uint32_t ttl, uint64_t *value)
{
	return mem_count(be, key, delta, 1, &initial, ttl, value);
}

static enum store_result mem_decr(void *be, const char *key, uint64_t delta, uint64_t *value)
{
	return mem_count(be, key, delta, -1, NULL, 0, value);
}

static enum store_result mem_epoch(void *be, struct strbuf *out)
{
	struct store_mem *m = be;

	if (!mem_lock_up(m))
		return STORE_ERROR;
	strbuf_appendf(out, "memory:%u", m->restarts);
	pthread_mutex_unlock(&m->lock);
	return STORE_OK;
}

/* key and the mark guard under one lock, like one request to one server. */
static enum store_result mem_get_guarded(void *be, const char *key, const char *guard,
					 struct strbuf *val, bool *restored)
{
	struct store_mem *m = be;
	struct mem_entry *e;

	if (!mem_lock_up(m))
		return STORE_ERROR;
	e = mem_find(m, guard);
	*restored = e != NULL && e->val.len == 4 && memcmp(e->val.data, "done", 4) == 0;
	e = mem_find(m, key);
	if (e != NULL)
		strbuf_append(val, e->val.data, e->val.len);
	pthread_mutex_unlock(&m->lock);
	return e != NULL ? STORE_OK : STORE_NOT_FOUND;
}

/* Every key under one lock, like one request to one server. */
static enum store_result mem_mget(void *be, struct store_mget_item *items, size_t n,
				  const char *guard)
{
	struct store_mem *m = be;
	struct mem_entry *e;
	bool restored = false;
	size_t i;

	if (!mem_lock_up(m))
		return STORE_ERROR;
	if (guard != NULL) {
		e = mem_find(m, guard);
		restored = e != NULL && e->val.len == 4 && memcmp(e->val.data, "done", 4) == 0;
	}
	for (i = 0; i < n; i++) {
		e = mem_find(m, items[i].key);
		items[i].restored = restored;
		items[i].result = e != NULL ? STORE_OK : STORE_NOT_FOUND;
		if (e != NULL) {
			strbuf_append(items[i].val, e->val.data, e->val.len);
			items[i].cas = e->cas;
		}
	}
	pthread_mutex_unlock(&m->lock);
	return STORE_OK;
}

/* The writes one after another, then the mark: one request to one server. */
static enum store_result mem_mwrite(void *be, struct store_write_item *items, size_t n,
				    const char *guard)
{
	struct store_mem *m = be;
	struct mem_entry *e;
	bool restored = false;
	size_t i;

	for (i = 0; i < n; i++) {
		struct store_write_item *it = &items[i];

		if (it->op == STORE_W_ADD)
			it->result = mem_write(be, it->key, it->val, it->len, it->ttl, true, NULL);
		else if (it->op == STORE_W_CAS)
			it->result = mem_write(be, it->key, it->val, it->len, it->ttl, false, &it->cas);
		else if (it->op == STORE_W_SET)
			it->result = mem_write(be, it->key, it->val, it->len, it->ttl, false, NULL);
		else
			it->result = mem_count(be, it->key, it->delta, 1, &it->initial, it->ttl,
					       &it->value);
	}
	if (!mem_lock_up(m)) {
		for (i = 0; i < n; i++)
			items[i].result = STORE_ERROR;	/* the answers are lost */
		return STORE_ERROR;
	}
	if (guard != NULL) {
		e = mem_find(m, guard);
		restored = e != NULL && e->val.len == 4 && memcmp(e->val.data, "done", 4) == 0;
	}
	for (i = 0; i < n; i++)
		items[i].restored = restored;
	pthread_mutex_unlock(&m->lock);
	return STORE_OK;
}

static enum store_result mem_mark(void *be, const char *guard, bool done)
{
	struct store_mem *m = be;
	struct mem_entry *e;
	enum store_result r = STORE_OK;

	if (!mem_lock_up(m))
		return STORE_ERROR;
	e = mem_find(m, guard);
	if (!done)
		mem_fill(m, e != NULL ? e : mem_insert(m, guard, 0), "pending", 7, 0);
	else if (e == NULL)
		r = STORE_NOT_FOUND;	/* restarted since "pending" */
	else
		mem_fill(m, e, "done", 4, 0);
	pthread_mutex_unlock(&m->lock);
	return r;
}

static void mem_clear(struct store_mem *m)
{
	size_t i;

	for (i = 0; i < m->n; i++) {
		free(m->e[i].key);
		strbuf_free(&m->e[i].val);
	}
	m->n = 0;
}

static void mem_free(void *be)
{
	struct store_mem *m = be;

	mem_clear(m);
	free(m->e);
	pthread_mutex_destroy(&m->lock);
	free(m);
}

static const struct store_ops store_mem_ops = {
	.name = "memory",
	.get = mem_get,
	.add = mem_add,
	.set = mem_set,
	.del = mem_del,
	.incr = mem_incr,
	.decr = mem_decr,
	.gets = mem_gets,
	.cas = mem_cas,
	.epoch = mem_epoch,
	.get_guarded = mem_get_guarded,
	.mark = mem_mark,
	.mget = mem_mget,
	.mwrite = mem_mwrite,
	.free = mem_free,
};

void store_mem_open(struct store *s)
{
	struct store_mem *m = xcalloc(1, sizeof *m);

	pthread_mutex_init(&m->lock, NULL);
	s->ops = &store_mem_ops;
	s->be = m;
	s->guard = NULL;
}

void store_mem_set_time(struct store *s, time_t now)
{
	struct store_mem *m = s->be;

	pthread_mutex_lock(&m->lock);
	m->now = now;
	pthread_mutex_unlock(&m->lock);
}

void store_mem_set_down(struct store *s, bool down)
{
	struct store_mem *m = s->be;

	pthread_mutex_lock(&m->lock);
	m->down = down;
	pthread_mutex_unlock(&m->lock);
}

size_t store_mem_count(struct store *s)
{
	struct store_mem *m = s->be;
	size_t i, n = 0;

	pthread_mutex_lock(&m->lock);
	for (i = 0; i < m->n; i++)
		if (m->e[i].expires == 0 || m->e[i].expires > mem_now(m))
			n++;
	pthread_mutex_unlock(&m->lock);
	return n;
}

void store_mem_restart(struct store *s)
{
	struct store_mem *m = s->be;

	pthread_mutex_lock(&m->lock);
	mem_clear(m);
	m->restarts++;
	pthread_mutex_unlock(&m->lock);
}
