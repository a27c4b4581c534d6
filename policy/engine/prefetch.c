/*
 * prefetch - one multi-get for a recipient's rules; see prefetch.h.
 *
 * The keys live in a growing array; lookups scan it from where the last
 * one matched, so rules that read their keys in the order they added them
 * (the frequency slots) cost one comparison per key.  The planned writes
 * are few (one per reserving rule) and looked up by a plain scan.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "engine.h"
#include "policy_msg.h"
#include "prefetch.h"
#include "xalloc.h"

static void prefetch_grow(struct prefetch *p)
{
	size_t cap = p->cap ? p->cap * 2 : 16;
	struct store_mget_item *items = realloc(p->items, cap * sizeof *items);
	struct strbuf *vals;

	if (items == NULL)
		abort();
	p->items = items;
	vals = realloc(p->vals, cap * sizeof *vals);
	if (vals == NULL)
		abort();
	p->vals = vals;
	p->cap = cap;
	for (size_t i = 0; i < p->nrun; i++)	/* the answers already read moved */
		p->items[i].val = &p->vals[i];
}

void prefetch_add(struct prefetch *p, const char *key, bool guarded)
{
	struct store_mget_item *it;

	if (p->n == p->cap)
		prefetch_grow(p);
	it = &p->items[p->n];
	memset(it, 0, sizeof *it);
	it->key = strdup(key);
	if (it->key == NULL)
		abort();
	it->guarded = guarded;
	strbuf_init(&p->vals[p->n]);
	p->n++;
}

void prefetch_add_entry(struct prefetch *p, const struct entry_id *id)
{
	struct strbuf key = STRBUF_INIT;

	entry_key(id, &key);
	prefetch_add(p, strbuf_cstr(&key), true);
	strbuf_free(&key);
}

void prefetch_run(struct prefetch *p, const struct store *s)
{
	size_t i;

	for (i = 0; i < p->n; i++)	/* vals may have moved while growing */
		p->items[i].val = &p->vals[i];
	if (p->n > p->nrun)
		store_mget(s, p->items + p->nrun, p->n - p->nrun);
	p->nrun = p->n;
	p->done = true;
	p->hint = 0;
	p->store = s;
}

const struct store_mget_item *prefetch_find(struct prefetch *p, const char *key)
{
	size_t k, i;

	if (p == NULL || !p->done || p->nrun == 0)
		return NULL;
	for (k = 0; k < p->nrun; k++) {
		i = (p->hint + k) % p->nrun;
		if (strcmp(p->items[i].key, key) == 0) {
			p->hint = (i + 1) % p->nrun;
			return &p->items[i];
		}
	}
	return NULL;
}

void prefetch_write(struct prefetch *p, const struct store_write_item *w)
{
	struct store_write_item *it;

	if (p->written)
		return;
	if (p->nw == p->capw) {
		p->capw = p->capw ? p->capw * 2 : 4;
		p->writes = xrealloc(p->writes, p->capw * sizeof *p->writes);
		p->claimed = xrealloc(p->claimed, p->capw * sizeof *p->claimed);
	}
	it = &p->writes[p->nw];
	*it = *w;
	it->key = xstrdup(w->key);
	it->val = NULL;
	if (w->len > 0)
		it->val = memcpy(xmalloc(w->len), w->val, w->len);
	p->claimed[p->nw++] = false;
}

const struct store_write_item *prefetch_written(struct prefetch *p, const char *key)
{
	size_t i;

	if (p == NULL)
		return NULL;
	for (i = 0; i < p->nw; i++)
		if (!p->claimed[i] && strcmp(p->writes[i].key, key) == 0)
			break;
	if (i == p->nw)
		return NULL;
	if (!p->written) {
		store_mwrite(p->store, p->writes, p->nw);
		p->written = true;
	}
	p->claimed[i] = true;
	return &p->writes[i];
}

void prefetch_settle(struct prefetch *p)
{
	const struct store_write_item *it;
	size_t i;

	for (i = 0; p->written && i < p->nw; i++) {
		it = &p->writes[i];
		if (p->claimed[i] || it->result != STORE_OK)
			continue;
		p->claimed[i] = true;
		if (it->op == STORE_W_INCR)
			store_decr(p->store, it->key, it->delta, NULL);
		else
			store_del(p->store, it->key);
	}
}

void prefetch_free(struct prefetch *p)
{
	size_t i;

	for (i = 0; i < p->n; i++) {
		free((char *)p->items[i].key);
		strbuf_free(&p->vals[i]);
	}
	for (i = 0; i < p->nw; i++) {
		free((char *)p->writes[i].key);
		free((void *)p->writes[i].val);
	}
	free(p->writes);
	free(p->claimed);
	free(p->items);
	free(p->vals);
	memset(p, 0, sizeof *p);
}

enum store_result prefetch_entry_lookup(struct policy_msg *m, const struct entry_id *id,
					bool *present)
{
	struct strbuf key = STRBUF_INIT;
	const struct store_mget_item *it;

	entry_key(id, &key);
	it = prefetch_find(m->prefetch, strbuf_cstr(&key));
	strbuf_free(&key);
	if (it == NULL)
		return entry_lookup(policy_msg_store(m), id, present);
	return entry_lookup_value(it->result, it->val, present);
}
