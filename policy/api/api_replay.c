/*
 * api_replay - one use per signature (see api_replay.h).
 */
#include "autoconf.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "api_replay.h"
#include "strbuf.h"
#include "tc3.h"

#define API_REPLAY_TTL (2 * TC3_WINDOW_S + 60) /* a timestamp passes this long at most */
#define API_REPLAY_SLOTS 8192
#define API_REPLAY_PROBE 16

struct api_replay_slot {
	char sig[65];
	time_t seen;
};

static struct api_replay_slot api_replay_table[API_REPLAY_SLOTS];
static pthread_mutex_t api_replay_lock = PTHREAD_MUTEX_INITIALIZER;

static size_t api_replay_hash(const char *s)
{
	size_t h = 5381;

	for (; *s != '\0'; s++)
		h = h * 33 + (unsigned char)*s;
	return h;
}

/* The local table: false when signature is there and not expired. */
static bool api_replay_local(const char *signature, time_t now)
{
	size_t h = api_replay_hash(signature), i, victim = h % API_REPLAY_SLOTS;
	bool first = true;

	pthread_mutex_lock(&api_replay_lock);
	for (i = 0; i < API_REPLAY_PROBE; i++) {
		struct api_replay_slot *sl = &api_replay_table[(h + i) % API_REPLAY_SLOTS];

		if (sl->seen != 0 && now - sl->seen < API_REPLAY_TTL &&
		    strcmp(sl->sig, signature) == 0) {
			first = false;
			break;
		}
		if (sl->seen < api_replay_table[victim].seen)
			victim = (h + i) % API_REPLAY_SLOTS;
	}
	if (first) {
		snprintf(api_replay_table[victim].sig, sizeof api_replay_table[victim].sig, "%s",
			 signature);
		api_replay_table[victim].seen = now;
	}
	pthread_mutex_unlock(&api_replay_lock);
	return first;
}

bool api_replay_first(const struct store *s, const char *signature, time_t now)
{
	struct strbuf key = STRBUF_INIT;
	const char *parts[] = { signature, NULL };
	enum store_result r = STORE_ERROR;
	bool local = api_replay_local(signature, now);

	if (s != NULL && s->ops != NULL) {
		store_key(&key, "tc3", parts);
		r = store_add(s, strbuf_cstr(&key), "1", 1, API_REPLAY_TTL);
		strbuf_free(&key);
	}
	if (r == STORE_EXISTS)
		return false;
	return local;
}
