/*
 * snapshot - reference-counted config + data; see snapshot.h.
 */
#include "autoconf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "snapshot.h"
#include "store_memcached.h"
#include "strbuf.h"
#include "xalloc.h"

struct policy_snapshot *policy_snapshot_new(struct ses_config *conf,
					    struct account_db *accounts)
{
	struct policy_snapshot *snap = xcalloc(1, sizeof *snap);

	snap->refs = 1;
	snap->conf = conf;
	snap->accounts = accounts;
	snap->templates = xcalloc(1, sizeof *snap->templates);	/* none until loaded */
	snap->keys = xcalloc(1, sizeof *snap->keys);
	snap->loaded = time(NULL);
	snap->generation = 1;
	return snap;
}

int64_t policy_snapshot_now_us(const struct policy_snapshot *snap)
{
	struct timespec ts;

	if (snap->clock.now_us != NULL)
		return snap->clock.now_us(snap->clock.arg);
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* Opens the memcached pool named by conf; adds a diagnostic on failure. */
static int snapshot_open_store(struct policy_snapshot *snap, struct diag_list *diags)
{
	const struct ses_config *conf = snap->conf;
	struct store_memcached_opts o = {
		.servers = conf->memcached_servers,
		.timeout_ms = (unsigned)conf->memcached_timeout_ms,
		.pool_size = (unsigned)conf->memcached_pool_size,
		.dead_retry_s = (unsigned)conf->memcached_dead_retry,
	};
	char err[256];

	if (store_memcached_open(&snap->store, &o, err, sizeof err) != 0) {
		diag_add(diags, conf->path, 0, "MemcachedServers: %s", err);
		return -1;
	}
	return 0;
}

/*
 * Names this gateway's restore mark after its host and journal, so two
 * gateways on one host (two journals) each wait for their own replay.
 */
static void snapshot_restore_mark(struct policy_snapshot *snap)
{
	struct strbuf key = STRBUF_INIT;
	char host[256] = "localhost";
	const char *parts[3] = { host, snap->journal_path, NULL };

	if (gethostname(host, sizeof host) != 0)
		snprintf(host, sizeof host, "localhost");
	host[sizeof host - 1] = '\0';
	store_key(&key, "rs", parts);
	snap->restore_mark = strbuf_detach(&key);
	snap->store.guard = snap->restore_mark;
}

/*
 * Loads DataDir/feedback.key when it exists (a bad one is an error); a
 * missing key leaves the feedback loop off until policy_snapshot_make_key
 * (the daemon at start) makes it, so a configuration check writes nothing.
 */
static int snapshot_feedback_key(struct policy_snapshot *snap, struct diag_list *diags)
{
	struct strbuf path = STRBUF_INIT, err = STRBUF_INIT;
	struct mac_key *key;
	int rc = 0;

	mac_key_path(snap->conf->data_dir, &path);
	if (access(strbuf_cstr(&path), F_OK) != 0 && errno == ENOENT) {
		strbuf_free(&path);
		return 0;
	}
	key = xcalloc(1, sizeof *key);
	if (mac_key_load(strbuf_cstr(&path), key, &err) != 0) {
		diag_add(diags, snap->conf->path, 0, "feedback key: %s", strbuf_cstr(&err));
		free(key);
		rc = -1;
	} else {
		snap->feedback_key = key;
	}
	strbuf_free(&path);
	strbuf_free(&err);
	return rc;
}

/*
 * Loads DataDir/feedback.key.old when it exists: the key before a
 * rotation, with which tracking links already sent still verify.
 */
static int snapshot_feedback_key_old(struct policy_snapshot *snap, struct diag_list *diags)
{
	struct strbuf path = STRBUF_INIT, err = STRBUF_INIT;
	struct mac_key *key;
	int rc = 0;

	mac_key_path(snap->conf->data_dir, &path);
	strbuf_appends(&path, ".old");
	if (access(strbuf_cstr(&path), F_OK) == 0) {
		key = xcalloc(1, sizeof *key);
		if (mac_key_load(strbuf_cstr(&path), key, &err) != 0) {
			diag_add(diags, snap->conf->path, 0, "old feedback key: %s",
				 strbuf_cstr(&err));
			free(key);
			rc = -1;
		} else {
			snap->feedback_key_old = key;
		}
	}
	strbuf_free(&path);
	strbuf_free(&err);
	return rc;
}

int policy_snapshot_make_key(struct policy_snapshot *snap, bool *created, struct strbuf *err)
{
	struct strbuf path = STRBUF_INIT;
	struct mac_key *key;
	int rc;

	*created = false;
	if (snap->feedback_key != NULL)
		return 0;
	key = xcalloc(1, sizeof *key);
	mac_key_path(snap->conf->data_dir, &path);
	rc = mac_key_ensure(strbuf_cstr(&path), key, created, err);
	if (rc == 0)
		snap->feedback_key = key;
	else
		free(key);
	strbuf_free(&path);
	return rc;
}

struct policy_snapshot *policy_snapshot_load(const char *conf_path,
					     struct diag_list *diags)
{
	struct strbuf dir = STRBUF_INIT;
	struct policy_snapshot *snap;
	struct tmpl_db *templates;
	struct dkim_keyring *keys;
	struct inbound_checks *inbound;
	struct ses_config *conf;
	struct account_db *db;

	conf = config_load(conf_path, diags);
	if (conf == NULL)
		return NULL;
	strbuf_appendf(&dir, "%s/accounts", conf->data_dir);
	db = account_db_load(strbuf_cstr(&dir), conf, diags);
	if (db != NULL && *conf->local_account != '\0' &&
	    account_by_name(db, conf->local_account) == NULL)
		diag_add(diags, conf->path, 0, "LocalAccount %s: no such account in %s",
			 conf->local_account, strbuf_cstr(&dir));
	strbuf_reset(&dir);
	strbuf_appendf(&dir, "%s/templates", conf->data_dir);
	templates = tmpl_db_load(strbuf_cstr(&dir), diags);
	strbuf_reset(&dir);
	strbuf_appendf(&dir, "%s/keys", conf->data_dir);
	keys = dkim_keyring_load(strbuf_cstr(&dir), conf->allow_world_readable_keys, diags);
	inbound = conf->inbound_checks ? inbound_checks_load(conf, diags) : NULL;
	if (db == NULL || templates == NULL || keys == NULL || diags->n > 0) {
		strbuf_free(&dir);
		inbound_checks_free(inbound);
		dkim_keyring_free(keys);
		tmpl_db_free(templates);
		account_db_free(db);
		config_free(conf);
		return NULL;
	}
	snap = policy_snapshot_new(conf, db);
	tmpl_db_free(snap->templates);
	snap->templates = templates;
	dkim_keyring_free(snap->keys);
	snap->keys = keys;
	snap->inbound = inbound;
	if (snapshot_feedback_key(snap, diags) != 0 ||
	    snapshot_feedback_key_old(snap, diags) != 0) {
		policy_snapshot_unref(snap);
		return NULL;
	}
	strbuf_reset(&dir);
	if (*conf->journal_file != '\0')
		strbuf_appends(&dir, conf->journal_file);
	else
		strbuf_appendf(&dir, "%s/state.journal", conf->data_dir);
	snap->journal_path = strbuf_detach(&dir);
	if (*conf->event_log != '\0')
		strbuf_appends(&dir, conf->event_log);
	else
		strbuf_appendf(&dir, "%s/events.log", conf->data_dir);
	snap->events_path = strbuf_detach(&dir);
	if (snapshot_open_store(snap, diags) != 0) {
		policy_snapshot_unref(snap);
		return NULL;
	}
	snapshot_restore_mark(snap);
	return snap;
}

struct policy_snapshot *policy_snapshot_ref(struct policy_snapshot *snap)
{
	__atomic_add_fetch(&snap->refs, 1, __ATOMIC_RELAXED);
	return snap;
}

void policy_snapshot_unref(struct policy_snapshot *snap)
{
	if (snap == NULL)
		return;
	if (__atomic_sub_fetch(&snap->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	store_free(&snap->store);
	tmpl_db_free(snap->templates);
	dkim_keyring_free(snap->keys);
	inbound_checks_free(snap->inbound);
	if (snap->feedback_key != NULL) {
		mac_key_clear(snap->feedback_key);
		free(snap->feedback_key);
	}
	if (snap->feedback_key_old != NULL) {
		mac_key_clear(snap->feedback_key_old);
		free(snap->feedback_key_old);
	}
	free(snap->journal_path);
	free(snap->events_path);
	free(snap->restore_mark);
	account_db_free(snap->accounts);
	config_free(snap->conf);
	free(snap);
}
