/*
 * snapshot - one immutable view of configuration and operator data.
 *
 * A connection takes a reference when it starts and keeps that snapshot
 * until it closes, so a reload never changes the rules under a session in
 * flight.  The last unref frees it.
 *
 * Folder policy/snapshot/ (main header: this one): the configuration in
 * force as one value: the snapshot built from conf/, the key ring of
 * signing/, the inbound checks of auth/, the templates and the store;
 * and the periodic re-check of the domains it holds (domain_recheck).
 * It may include util/, conf/, store/, template/, auth/ and signing/.
 */
#ifndef SES_SNAPSHOT_H
#define SES_SNAPSHOT_H

#include <stdbool.h>
#include <time.h>

#include <stdint.h>

#include "account.h"
#include "config.h"
#include "diag.h"
#include "dkim_sign.h"
#include "inbound.h"
#include "mac.h"
#include "store.h"
#include "template.h"

/* Where the policy reads the time; tests substitute their own. */
struct policy_clock {
	int64_t (*now_us)(void *arg);	/* microseconds since the epoch */
	void *arg;
};

struct policy_snapshot {
	int refs;			/* atomic */
	struct ses_config *conf;
	struct account_db *accounts;
	struct tmpl_db *templates;	/* never NULL once loaded */
	struct dkim_keyring *keys;	/* never NULL once loaded */
	struct inbound_checks *inbound;	/* NULL: inbound mail is not checked */
	struct mac_key *feedback_key;	/* VERP and unsubscribe tokens; NULL: none */
	struct store store;		/* shared state; ops NULL: none opened */
	struct policy_clock clock;	/* now_us NULL: the real clock */
	char *journal_path;		/* durable journal of long-lived entries */
	char *events_path;		/* the event log (EventLog) */
	char *restore_mark;		/* "rs:HOST:JOURNAL", store.guard */
	time_t loaded;
	unsigned long generation;	/* 1 for the first load, +1 per reload */
	struct mac_key *feedback_key_old;	/* feedback.key.old: tracking links only; NULL */
};

/*
 * Loads the config at conf_path (NULL: defaults) and the account data it
 * names.  Returns a snapshot with one reference, or NULL with every
 * problem in diags.
 */
struct policy_snapshot *policy_snapshot_load(const char *conf_path,
					     struct diag_list *diags);

/* The time in microseconds by the snapshot's clock. */
int64_t policy_snapshot_now_us(const struct policy_snapshot *snap);

/* Builds a snapshot from parts it takes over (used by tests). */
struct policy_snapshot *policy_snapshot_new(struct ses_config *conf,
					    struct account_db *accounts);

/*
 * Makes DataDir/feedback.key (mode 0600) when the snapshot has no key and
 * puts it in; only before the snapshot is shared.  0, or -1 with why.
 */
int policy_snapshot_make_key(struct policy_snapshot *snap, bool *created, struct strbuf *err);

struct policy_snapshot *policy_snapshot_ref(struct policy_snapshot *snap);
/* Drops one reference; NULL is allowed. */
void policy_snapshot_unref(struct policy_snapshot *snap);

#endif
