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
	struct mem_entry *e = realloc(m->e, (m->n + 1) * sizeof *m->e);

	if (e == NULL)
		abort();
	m->e = e;
	e = &m->e[m->n++];
	e->key = strdup(key);
	strbuf_init(&e->val);
	e->expires = ttl ? mem_now(m) + (time_t)ttl : 0;
	e->cas = ++m->next_cas;
	return e;
}

static enum store_result mem_get(void *be, const char *key, struct strbuf *val)
{
	struct store_mem *m = be;
	struct mem_entry *e;
	enum store_result r = STORE_ERROR;

	pthread_mutex_lock(&m->lock);
	if (!m->down) {
		e = mem_find(m, key);
		if (e != NULL)
			strbuf_append(val, e->val.data, e->val.len);
		r = e != NULL ? STORE_OK : STORE_NOT_FOUND;
	}
	pthread_mutex_unlock(&m->lock);
	return r;
}

static enum store_result mem_store(void *be, const char *key, const void *val, size_t len,
				   uint32_t ttl, bool add)
{
	struct store_mem *m = be;
	struct mem_entry *e;
	enum store_result r = STORE_ERROR;

	pthread_mutex_lock(&m->lock);
	if (!m->down) {
		e = mem_find(m, key);
		if (e != NULL && add) {
			r = STORE_EXISTS;
		} else {
			if (e == NULL)
				e = mem_insert(m, key, ttl);
			e->expires = ttl ? mem_now(m) + (time_t)ttl : 0;
			e->cas = ++m->next_cas;
			strbuf_reset(&e->val);
			strbuf_append(&e->val, val, len);
			r = STORE_OK;
		}
	}
	pthread_mutex_unlock(&m->lock);
	return r;
}

static enum store_result mem_add(void *be, const char *key, const void *val, size_t len,
				 uint32_t ttl)
{
	return mem_store(be, key, val, len, ttl, true);
}

static enum store_result mem_set(void *be, const char *key, const void *val, size_t len,
				 uint32_t ttl)
{
	return mem_store(be, key, val, len, ttl, false);
}

static enum store_result mem_del(void *be, const char *key)
{
	struct store_mem *m = be;
	struct mem_entry *e;
	enum store_result r = STORE_ERROR;

	pthread_mutex_lock(&m->lock);
	if (!m->down) {
		e = mem_find(m, key);
		r = STORE_NOT_FOUND;
		if (e != NULL) {
			free(e->key);
			strbuf_free(&e->val);
			*e = m->e[--m->n];
			r = STORE_OK;
		}
	}
	pthread_mutex_unlock(&m->lock);
	return r;
}

/* Adds (or, with sign -1, subtracts down to 0) delta; creates if allowed. */
static enum store_result mem_count(struct store_mem *m, const char *key, uint64_t delta,
				   int sign, const uint64_t *initial, uint32_t ttl,
				   uint64_t *value)
{
	struct mem_entry *e;
	uint64_t v;
	char buf[32];

	e = mem_find(m, key);
	if (e == NULL) {
		if (initial == NULL)
			return STORE_NOT_FOUND;
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
	return STORE_OK;
}

static enum store_result mem_incr(void *be, const char *key, uint64_t delta, uint64_t initial,
				  uint32_t ttl, uint64_t *value)
{
	struct store_mem *m = be;
	enum store_result r = STORE_ERROR;

	pthread_mutex_lock(&m->lock);
	if (!m->down)
		r = mem_count(m, key, delta, 1, &initial, ttl, value);
	pthread_mutex_unlock(&m->lock);
	return r;
}

static enum store_result mem_decr(void *be, const char *key, uint64_t delta, uint64_t *value)
{
	struct store_mem *m = be;
	enum store_result r = STORE_ERROR;

	pthread_mutex_lock(&m->lock);
	if (!m->down)
		r = mem_count(m, key, delta, -1, NULL, 0, value);
	pthread_mutex_unlock(&m->lock);
	return r;
}

static enum store_result mem_gets(void *be, const char *key, struct strbuf *val, uint64_t *cas)
{
	struct store_mem *m = be;
	struct mem_entry *e;
	enum store_result r = STORE_ERROR;

	pthread_mutex_lock(&m->lock);
	if (!m->down) {
		e = mem_find(m, key);
		if (e != NULL) {
			strbuf_append(val, e->val.data, e->val.len);
			*cas = e->cas;
		}
		r = e != NULL ? STORE_OK : STORE_NOT_FOUND;
	}
	pthread_mutex_unlock(&m->lock);
	return r;
}

static enum store_result mem_cas(void *be, const char *key, const void *val, size_t len,
				 uint32_t ttl, uint64_t cas)
{
	struct store_mem *m = be;
	struct mem_entry *e;
	enum store_result r = STORE_ERROR;

	pthread_mutex_lock(&m->lock);
	if (!m->down) {
		e = mem_find(m, key);
		if (e == NULL) {
			r = STORE_NOT_FOUND;
		} else if (e->cas != cas) {
			r = STORE_EXISTS;
		} else {
			e->expires = ttl ? mem_now(m) + (time_t)ttl : 0;
			e->cas = ++m->next_cas;
			strbuf_reset(&e->val);
			strbuf_append(&e->val, val, len);
			r = STORE_OK;
		}
	}
	pthread_mutex_unlock(&m->lock);
	return r;
}

static enum store_result mem_epoch(void *be, struct strbuf *out)
{
	struct store_mem *m = be;
	enum store_result r = STORE_ERROR;

	pthread_mutex_lock(&m->lock);
	if (!m->down) {
		strbuf_appendf(out, "memory:%u", m->restarts);
		r = STORE_OK;
	}
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
	.free = mem_free,
};

void store_mem_open(struct store *s)
{
	struct store_mem *m = calloc(1, sizeof *m);

	if (m == NULL)
		abort();
	pthread_mutex_init(&m->lock, NULL);
	s->ops = &store_mem_ops;
	s->be = m;
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
