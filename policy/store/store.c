/*
 * store - key encoding and the dispatch wrappers; see store.h.
 */
#include "autoconf.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <time.h>

#include "store.h"

/* The bytes a key keeps as they are: [A-Za-z0-9._@+-]; the others become %XX. */
static const bool store_key_safe[256] = {
	['a' ... 'z'] = true, ['A' ... 'Z'] = true, ['0' ... '9'] = true,
	['.'] = true, ['_'] = true, ['@'] = true, ['+'] = true, ['-'] = true,
};

/* Replaces the encoded parts by the hex SHA-256 of the raw parts. */
static void store_key_hash(struct strbuf *out, const char *prefix, const char *const *parts)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	strbuf_reset(out);
	strbuf_appendf(out, "%s:#", prefix);
	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		goto out;
	for (; *parts != NULL; parts++)	/* length-prefixed: no ambiguity */
		if (EVP_DigestUpdate(ctx, *parts, strlen(*parts) + 1) != 1)
			goto out;
	if (EVP_DigestFinal_ex(ctx, md, &mdlen) != 1)
		goto out;
	for (i = 0; i < mdlen; i++) {
		strbuf_appendc(out, hex[md[i] >> 4]);
		strbuf_appendc(out, hex[md[i] & 15]);
	}
out:
	EVP_MD_CTX_free(ctx);
}

/*
 * Rules build keys for every recipient (the frequency rule one per slot
 * of the hourly limit), so the key is written in one pass straight into
 * a buffer with room for any key up to STORE_KEY_MAX, and the hashed
 * form is taken as soon as it grows past that.
 */
void store_key(struct strbuf *out, const char *prefix, const char *const *parts)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t plen = strlen(prefix);
	const char *const *p;
	const unsigned char *c;
	char *d, *limit;

	strbuf_reset(out);
	/* past limit by at most ":" or one "%XX" before the check stops it */
	strbuf_reserve(out, plen + STORE_KEY_MAX + 4);
	d = out->data;
	limit = out->data + STORE_KEY_MAX;
	memcpy(d, prefix, plen);
	d += plen;
	for (p = parts; *p != NULL && d <= limit; p++) {
		*d++ = ':';
		for (c = (const unsigned char *)*p; *c != '\0' && d <= limit; c++) {
			if (store_key_safe[*c]) {
				*d++ = (char)*c;
			} else {
				*d++ = '%';
				*d++ = hex[*c >> 4];
				*d++ = hex[*c & 15];
			}
		}
	}
	if (d > limit) {
		store_key_hash(out, prefix, parts);
		return;
	}
	out->len = (size_t)(d - out->data);
	*d = '\0';
}

enum store_result store_get(const struct store *s, const char *key, struct strbuf *val)
{
	return s != NULL ? s->ops->get(s->be, key, val) : STORE_ERROR;
}

enum store_result store_add(const struct store *s, const char *key, const void *val,
			    size_t len, uint32_t ttl)
{
	return s != NULL ? s->ops->add(s->be, key, val, len, ttl) : STORE_ERROR;
}

enum store_result store_set(const struct store *s, const char *key, const void *val,
			    size_t len, uint32_t ttl)
{
	return s != NULL ? s->ops->set(s->be, key, val, len, ttl) : STORE_ERROR;
}

enum store_result store_del(const struct store *s, const char *key)
{
	return s != NULL ? s->ops->del(s->be, key) : STORE_ERROR;
}

enum store_result store_incr(const struct store *s, const char *key, uint64_t delta,
			     uint64_t initial, uint32_t ttl, uint64_t *value)
{
	return s != NULL ? s->ops->incr(s->be, key, delta, initial, ttl, value) : STORE_ERROR;
}

enum store_result store_decr(const struct store *s, const char *key, uint64_t delta,
			     uint64_t *value)
{
	return s != NULL ? s->ops->decr(s->be, key, delta, value) : STORE_ERROR;
}

enum store_result store_gets(const struct store *s, const char *key, struct strbuf *val,
			     uint64_t *cas)
{
	return s != NULL ? s->ops->gets(s->be, key, val, cas) : STORE_ERROR;
}

enum store_result store_cas(const struct store *s, const char *key, const void *val,
			    size_t len, uint32_t ttl, uint64_t cas)
{
	return s != NULL ? s->ops->cas(s->be, key, val, len, ttl, cas) : STORE_ERROR;
}

enum store_result store_epoch(const struct store *s, struct strbuf *out)
{
	return s != NULL ? s->ops->epoch(s->be, out) : STORE_ERROR;
}

void store_free(struct store *s)
{
	if (s == NULL)
		return;
	if (s->ops != NULL && s->ops->free != NULL)
		s->ops->free(s->be);
	s->ops = NULL;
	s->be = NULL;
}

const char *store_result_name(enum store_result r)
{
	switch (r) {
	case STORE_OK:
		return "ok";
	case STORE_NOT_FOUND:
		return "not found";
	case STORE_EXISTS:
		return "exists";
	case STORE_ERROR:
		return "backend error";
	}
	return "unknown";
}

enum store_result store_get_guarded(const struct store *s, const char *key, struct strbuf *val)
{
	enum store_result r;
	bool restored = false;

	if (s == NULL)
		return STORE_ERROR;
	if (s->guard == NULL)
		return s->ops->get(s->be, key, val);
	r = s->ops->get_guarded(s->be, key, s->guard, val, &restored);
	if (r == STORE_ERROR || restored)
		return r;
	strbuf_reset(val);
	store_restore_wanted();
	return STORE_ERROR;
}

/*
 * True when a guarded item was answered by a server not yet restored: the
 * answer does not count (a backend failure, as for store_get_guarded).
 */
static bool store_item_unrestored(const struct store *s, bool guarded,
				  enum store_result result, bool restored)
{
	return s->guard != NULL && guarded && result != STORE_ERROR && !restored;
}

/* A batch's result: STORE_ERROR when any item failed; wakes the replay when wanted. */
static enum store_result store_batch_result(bool failed, bool wanted)
{
	if (wanted)
		store_restore_wanted();
	return failed ? STORE_ERROR : STORE_OK;
}

/* A backend without mget: one request per key. */
static void store_mget_each(const struct store *s, struct store_mget_item *items, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct store_mget_item *it = &items[i];

		if (s->guard != NULL && it->guarded && s->ops->get_guarded != NULL) {
			it->result = s->ops->get_guarded(s->be, it->key, s->guard, it->val,
							 &it->restored);
		} else if (s->ops->gets != NULL) {
			it->result = s->ops->gets(s->be, it->key, it->val, &it->cas);
			it->restored = true;
		} else {
			it->result = s->ops->get(s->be, it->key, it->val);
			it->restored = true;
		}
	}
}

enum store_result store_mget(const struct store *s, struct store_mget_item *items, size_t n)
{
	bool failed = false, wanted = false;
	size_t i;

	for (i = 0; i < n; i++) {
		items[i].result = STORE_ERROR;
		items[i].restored = false;
		items[i].cas = 0;
		strbuf_reset(items[i].val);
	}
	if (s == NULL)
		return STORE_ERROR;
	if (s->ops->mget != NULL)
		s->ops->mget(s->be, items, n, s->guard);
	else
		store_mget_each(s, items, n);
	for (i = 0; i < n; i++) {
		struct store_mget_item *it = &items[i];

		if (store_item_unrestored(s, it->guarded, it->result, it->restored)) {
			strbuf_reset(it->val);
			it->result = STORE_ERROR;
			wanted = true;
		}
		failed |= it->result == STORE_ERROR;
	}
	return store_batch_result(failed, wanted);
}

/* One write of a batch through the single operations. */
static enum store_result store_write_one(const struct store *s, struct store_write_item *it)
{
	switch (it->op) {
	case STORE_W_ADD:
		return s->ops->add(s->be, it->key, it->val, it->len, it->ttl);
	case STORE_W_CAS:
		return s->ops->cas(s->be, it->key, it->val, it->len, it->ttl, it->cas);
	case STORE_W_INCR:
		return s->ops->incr(s->be, it->key, it->delta, it->initial, it->ttl, &it->value);
	case STORE_W_SET:
		return s->ops->set(s->be, it->key, it->val, it->len, it->ttl);
	}
	return STORE_ERROR;
}

/* A backend without mwrite: one request per write, and per guarded mark. */
static void store_mwrite_each(const struct store *s, struct store_write_item *items, size_t n)
{
	struct strbuf val = STRBUF_INIT;
	size_t i;

	for (i = 0; i < n; i++) {
		struct store_write_item *it = &items[i];

		it->result = store_write_one(s, it);
		it->restored = true;
		if (it->result == STORE_OK && s->guard != NULL && it->guarded) {
			strbuf_reset(&val);
			if (s->ops->get_guarded(s->be, it->key, s->guard, &val, &it->restored) ==
			    STORE_ERROR)
				it->result = STORE_ERROR;
		}
	}
	strbuf_free(&val);
}

/* Takes back a write that landed on a server not restored: it does not count. */
static void store_write_undo(const struct store *s, const struct store_write_item *it)
{
	if (it->op == STORE_W_INCR)
		s->ops->decr(s->be, it->key, it->delta, NULL);
	else
		s->ops->del(s->be, it->key);
}

enum store_result store_mwrite(const struct store *s, struct store_write_item *items, size_t n)
{
	bool failed = false, wanted = false;
	size_t i;

	for (i = 0; i < n; i++) {
		items[i].result = STORE_ERROR;
		items[i].restored = false;
		items[i].value = 0;
	}
	if (s == NULL)
		return STORE_ERROR;
	if (s->ops->mwrite != NULL)
		s->ops->mwrite(s->be, items, n, s->guard);
	else
		store_mwrite_each(s, items, n);
	for (i = 0; i < n; i++) {
		struct store_write_item *it = &items[i];

		if (store_item_unrestored(s, it->guarded, it->result, it->restored)) {
			if (it->result == STORE_OK)
				store_write_undo(s, it);
			it->result = STORE_ERROR;
			wanted = true;
		}
		failed |= it->result == STORE_ERROR;
	}
	return store_batch_result(failed, wanted);
}

enum store_result store_mark(const struct store *s, bool done)
{
	if (s == NULL || s->guard == NULL)
		return STORE_ERROR;
	return s->ops->mark(s->be, s->guard, done);
}

/*
 * The one process-wide signal: milter threads that found a server not
 * restored wake the restore thread at once instead of at its next tick
 * (wanted: replay); a request that met a dead or ejected server wakes it
 * to compare the servers' identities now (nudged: replay if they changed).
 * It carries no state but these two, so it does not break the snapshot
 * rule (configuration never changes after start).
 */
static pthread_mutex_t store_restore_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t store_restore_cond = PTHREAD_COND_INITIALIZER;
static bool store_restore_flag, store_restore_nudged;

static void store_restore_signal(bool *flag)
{
	pthread_mutex_lock(&store_restore_lock);
	if (!*flag) {
		*flag = true;
		pthread_cond_broadcast(&store_restore_cond);
	}
	pthread_mutex_unlock(&store_restore_lock);
}

void store_restore_wanted(void)
{
	store_restore_signal(&store_restore_flag);
}

void store_servers_changed(void)
{
	store_restore_signal(&store_restore_nudged);
}

void store_restore_settle(bool replayed)
{
	pthread_mutex_lock(&store_restore_lock);
	store_restore_nudged = false;
	if (replayed)
		store_restore_flag = false;
	pthread_mutex_unlock(&store_restore_lock);
}

void store_restore_interrupt(void)
{
	/* the same early wake: the waiter sees its stop when it returns */
	store_restore_signal(&store_restore_nudged);
}

bool store_restore_wait(unsigned seconds)
{
	struct timespec until;
	bool wanted;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += (time_t)seconds;
	pthread_mutex_lock(&store_restore_lock);
	while (!store_restore_flag && !store_restore_nudged &&
	       pthread_cond_timedwait(&store_restore_cond, &store_restore_lock, &until) == 0)
		;
	wanted = store_restore_flag;
	store_restore_flag = false;
	store_restore_nudged = false;
	pthread_mutex_unlock(&store_restore_lock);
	return wanted;
}
