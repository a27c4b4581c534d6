/*
 * bufstock - a small stock of large buffers, kept from one message for
 * the next.  See bufstock.h.
 */
#include "autoconf.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "bufstock.h"

static pthread_mutex_t bufstock_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	char *data;
	size_t cap;
} bufstock[BUFSTOCK_COUNT];
static size_t bufstock_total;

/* Takes the largest stocked buffer of at least need bytes; NULL if none. */
static char *bufstock_take(size_t need, size_t *cap)
{
	char *data = NULL;
	size_t i, best = BUFSTOCK_COUNT;

	pthread_mutex_lock(&bufstock_lock);
	for (i = 0; i < BUFSTOCK_COUNT; i++)
		if (bufstock[i].data != NULL && bufstock[i].cap >= need &&
		    (best == BUFSTOCK_COUNT || bufstock[i].cap > bufstock[best].cap))
			best = i;
	if (best < BUFSTOCK_COUNT) {
		data = bufstock[best].data;
		*cap = bufstock[best].cap;
		bufstock[best].data = NULL;
		bufstock[best].cap = 0;
		bufstock_total -= *cap;
	}
	pthread_mutex_unlock(&bufstock_lock);
	return data;
}

void bufstock_reserve(struct strbuf *sb, size_t extra)
{
	size_t cap = 0;
	char *data;

	if (extra < ((size_t)-1) / 2 - sb->len && sb->len + extra + 1 > sb->cap &&
	    sb->len + extra + 1 >= BUFSTOCK_MIN &&
	    (data = bufstock_take(sb->len + extra + 1, &cap)) != NULL) {
		if (sb->len > 0)
			memcpy(data, sb->data, sb->len);
		data[sb->len] = '\0';
		free(sb->data);
		sb->data = data;
		sb->cap = cap;
		return;
	}
	strbuf_reserve(sb, extra);	/* and its overflow check */
}

void bufstock_give(struct strbuf *sb)
{
	char *drop = sb->data;
	size_t i, slot = BUFSTOCK_COUNT;

	if (sb->data != NULL && sb->cap >= BUFSTOCK_MIN && sb->cap <= BUFSTOCK_BYTES) {
		pthread_mutex_lock(&bufstock_lock);
		/* an empty slot, else the smallest buffer if this one is larger */
		for (i = 0; i < BUFSTOCK_COUNT; i++) {
			if (bufstock[i].data == NULL) {
				slot = i;
				break;
			}
			if (bufstock[i].cap < sb->cap &&
			    (slot == BUFSTOCK_COUNT || bufstock[i].cap < bufstock[slot].cap))
				slot = i;
		}
		if (slot < BUFSTOCK_COUNT) {
			size_t total = bufstock_total - bufstock[slot].cap + sb->cap;

			if (total <= BUFSTOCK_BYTES) {
				drop = bufstock[slot].data;
				bufstock[slot].data = sb->data;
				bufstock[slot].cap = sb->cap;
				bufstock_total = total;
			}
		}
		pthread_mutex_unlock(&bufstock_lock);
	}
	free(drop);
	sb->data = NULL;
	sb->len = 0;
	sb->cap = 0;
}

void bufstock_drain(void)
{
	size_t i;

	pthread_mutex_lock(&bufstock_lock);
	for (i = 0; i < BUFSTOCK_COUNT; i++) {
		free(bufstock[i].data);
		bufstock[i].data = NULL;
		bufstock[i].cap = 0;
	}
	bufstock_total = 0;
	pthread_mutex_unlock(&bufstock_lock);
}

void bufstock_count(size_t *buffers, size_t *bytes)
{
	size_t i, n = 0;

	pthread_mutex_lock(&bufstock_lock);
	for (i = 0; i < BUFSTOCK_COUNT; i++)
		n += bufstock[i].data != NULL;
	*bytes = bufstock_total;
	pthread_mutex_unlock(&bufstock_lock);
	*buffers = n;
}
