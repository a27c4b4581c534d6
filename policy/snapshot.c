/*
 * snapshot - reference-counted config + data; see snapshot.h.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "snapshot.h"
#include "strbuf.h"

struct policy_snapshot *policy_snapshot_new(struct ses_config *conf,
					    struct account_db *accounts)
{
	struct policy_snapshot *snap = calloc(1, sizeof *snap);

	if (snap == NULL)
		abort();
	snap->refs = 1;
	snap->conf = conf;
	snap->accounts = accounts;
	snap->loaded = time(NULL);
	snap->generation = 1;
	return snap;
}

struct policy_snapshot *policy_snapshot_load(const char *conf_path,
					     struct diag_list *diags)
{
	struct strbuf dir = STRBUF_INIT;
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
	strbuf_free(&dir);
	if (db == NULL || diags->n > 0) {
		account_db_free(db);
		config_free(conf);
		return NULL;
	}
	return policy_snapshot_new(conf, db);
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
	account_db_free(snap->accounts);
	config_free(snap->conf);
	free(snap);
}
