/*
 * domain_recheck - one re-check round over the verified sender domains,
 * and what is remembered between rounds; see domain_recheck.h for what is
 * logged when.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "domain_recheck.h"
#include "xalloc.h"

enum domain_recheck_state {
	DOMAIN_RECHECK_NEW,   /* never checked */
	DOMAIN_RECHECK_MATCH, /* the last check found every record ok */
	DOMAIN_RECHECK_DRIFT, /* the last check found drift (logged) */
};

struct domain_recheck_entry {
	char *domain;
	enum domain_recheck_state state;
	char *drift;  /* DRIFT: what was logged, as domain_recheck_fingerprint makes it */
	bool failing; /* the last check could not be made (logged) */
	bool taken;   /* moved on to the next round's table */
};

struct domain_recheck {
	struct domain_recheck_entry *v; /* sorted by domain */
	size_t n;
};

/* What a round counted, for its summary line. */
struct domain_recheck_counts {
	size_t domains, match, drifted, failed;
};

struct domain_recheck *domain_recheck_new(void)
{
	return xcalloc(1, sizeof(struct domain_recheck));
}

/* Frees the entries of rc and the array. */
static void domain_recheck_clear(struct domain_recheck *rc)
{
	size_t i;

	for (i = 0; i < rc->n; i++) {
		free(rc->v[i].domain);
		free(rc->v[i].drift);
	}
	free(rc->v);
	rc->v = NULL;
	rc->n = 0;
}

void domain_recheck_free(struct domain_recheck *rc)
{
	if (rc == NULL)
		return;
	domain_recheck_clear(rc);
	free(rc);
}

static int domain_recheck_entry_cmp(const void *x, const void *y)
{
	const struct domain_recheck_entry *a = x, *b = y;

	return strcmp(a->domain, b->domain);
}

/*
 * Moves what old knows of domain (marking it taken there), or a new
 * entry, to the end of next; returns it there.
 */
static struct domain_recheck_entry *
domain_recheck_take(struct domain_recheck *old, struct domain_recheck *next, const char *domain)
{
	struct domain_recheck_entry key = { (char *)domain, DOMAIN_RECHECK_NEW, NULL, false,
					    false };
	struct domain_recheck_entry *found, *e;

	found = old->n > 0 ? bsearch(&key, old->v, old->n, sizeof *old->v, domain_recheck_entry_cmp)
			   : NULL;
	e = xrealloc(next->v, (next->n + 1) * sizeof *next->v);
	next->v = e;
	e = &next->v[next->n++];
	if (found != NULL && !found->taken) {
		*e = *found;
		found->drift = NULL; /* e has it now */
		found->taken = true;
	} else {
		*e = key;
	}
	e->domain = xstrdup(domain);
	return e;
}

/* ---- one domain ------------------------------------------------------------ */

static int domain_recheck_strcmp(const void *x, const void *y)
{
	return strcmp(*(char *const *)x, *(char *const *)y);
}

/*
 * What the drift of recs is, as a string that compares equal when the
 * same records are off with the same current values (in any order: a
 * name server may rotate them).  Caller frees.
 */
static char *domain_recheck_fingerprint(const struct domain_check_records *recs)
{
	struct strbuf sb = STRBUF_INIT;
	char **sorted;
	size_t i, j;

	for (i = 0; i < recs->n; i++) {
		const struct domain_check_record *r = &recs->v[i];

		if (r->verdict == DOMAIN_CHECK_OK)
			continue;
		strbuf_appendf(&sb, "%s %s %s\n", domain_check_kind_name(r->kind), r->name,
			       domain_check_verdict_name(r->verdict));
		sorted = xmalloc((r->current.n + 1) * sizeof *sorted);
		for (j = 0; j < r->current.n; j++)
			sorted[j] = r->current.v[j];
		qsort(sorted, r->current.n, sizeof *sorted, domain_recheck_strcmp);
		for (j = 0; j < r->current.n; j++)
			strbuf_appendf(&sb, "\t%s\n", sorted[j]);
		free(sorted);
	}
	strbuf_appends(&sb, "");
	return strbuf_detach(&sb);
}

/* Logs one warning per record of recs that does not match. */
static void domain_recheck_log_drift(const struct domain_check_records *recs,
				     const struct plog *log)
{
	struct strbuf want = STRBUF_INIT, cur = STRBUF_INIT;
	size_t i;

	for (i = 0; i < recs->n; i++) {
		const struct domain_check_record *r = &recs->v[i];

		if (r->verdict == DOMAIN_CHECK_OK)
			continue;
		strbuf_reset(&want);
		strbuf_reset(&cur);
		domain_check_show_expected(&want, r);
		domain_check_show_current(&cur, r);
		plog_msg(log, PLOG_WARNING, "domain %s drifted: %s %s %s expected %s current %s",
			 recs->domain, domain_check_kind_name(r->kind), r->name,
			 domain_check_type_name(r->kind), strbuf_cstr(&want), strbuf_cstr(&cur));
	}
	strbuf_free(&want);
	strbuf_free(&cur);
}

/* Appends why recs cannot be checked at all to why; false then. */
static bool domain_recheck_ready(const struct domain_check_records *recs, struct strbuf *why)
{
	size_t i;

	for (i = 0; i < recs->n; i++)
		if (recs->v[i].unset) {
			strbuf_appendf(why, "%s is not set", recs->v[i].key);
			return false;
		}
	if (domain_check_count(recs, DOMAIN_CHECK_DKIM) == 0) {
		strbuf_appends(why, "it has no DKIM key");
		return false;
	}
	return true;
}

/* Records what a check that worked found for e, logging what changed. */
static void domain_recheck_update(struct domain_recheck_entry *e,
				  const struct domain_check_records *recs,
				  enum domain_check_result res, const struct plog *log)
{
	char *fp = NULL;
	bool logged = false;

	if (res == DOMAIN_CHECK_DRIFT) {
		fp = domain_recheck_fingerprint(recs);
		if (e->state != DOMAIN_RECHECK_DRIFT || strcmp(fp, e->drift) != 0) {
			domain_recheck_log_drift(recs, log);
			logged = true;
		}
	} else if (e->state == DOMAIN_RECHECK_DRIFT) {
		plog_msg(log, PLOG_NOTICE, "domain %s records match again", e->domain);
		logged = true;
	} else if (e->state == DOMAIN_RECHECK_NEW) {
		plog_msg(log, PLOG_DEBUG, "domain %s records match", e->domain);
	}
	if (e->failing && !logged)
		plog_msg(log, PLOG_INFO, "domain %s can be re-checked again", e->domain);
	free(e->drift);
	e->drift = fp;
	e->state = res == DOMAIN_CHECK_DRIFT ? DOMAIN_RECHECK_DRIFT : DOMAIN_RECHECK_MATCH;
	e->failing = false;
}

/*
 * Checks the domain of e and logs what changed.  False when env says to
 * stop after a check that failed (which may have failed because of it).
 */
static bool domain_recheck_domain(struct domain_recheck_entry *e,
				  const struct policy_snapshot *snap,
				  const struct domain_recheck_env *env,
				  struct domain_recheck_counts *counts)
{
	struct domain_check_records recs;
	struct strbuf why = STRBUF_INIT;
	enum domain_check_result res = DOMAIN_CHECK_FAILED;

	if (domain_check_build(snap->conf, snap->keys, e->domain, &recs, &why) == 0 &&
	    domain_recheck_ready(&recs, &why))
		res = domain_check_run(&recs, &env->dns, &why);
	if (res == DOMAIN_CHECK_FAILED && env->stopping != NULL && env->stopping(env->arg)) {
		domain_check_free(&recs);
		strbuf_free(&why);
		return false;
	}
	counts->domains++;
	if (res == DOMAIN_CHECK_FAILED) {
		counts->failed++;
		if (!e->failing)
			plog_msg(env->log, PLOG_NOTICE, "cannot re-check domain %s: %s", e->domain,
				 strbuf_cstr(&why));
		e->failing = true;
	} else {
		counts->match += res == DOMAIN_CHECK_MATCH;
		counts->drifted += res == DOMAIN_CHECK_DRIFT;
		domain_recheck_update(e, &recs, res, env->log);
	}
	domain_check_free(&recs);
	strbuf_free(&why);
	return true;
}

/* ---- a round ------------------------------------------------------------------ */

/* Re-checks the verified domains of snap into next, taking entries from rc. */
static bool domain_recheck_all(struct domain_recheck *rc, struct domain_recheck *next,
			       const struct policy_snapshot *snap,
			       const struct domain_recheck_env *env,
			       struct domain_recheck_counts *counts)
{
	const struct account_db *db = snap->accounts;
	struct domain_recheck_entry *e;
	size_t i, j;

	for (i = 0; db != NULL && i < db->n; i++)
		for (j = 0; j < db->accounts[i]->ndomains; j++) {
			const struct account_domain *d = &db->accounts[i]->domains[j];

			if (!d->verified)
				continue;
			if (env->stopping != NULL && env->stopping(env->arg))
				return false;
			e = domain_recheck_take(rc, next, d->name);
			if (!domain_recheck_domain(e, snap, env, counts))
				return false;
		}
	return true;
}

bool domain_recheck_round(struct domain_recheck *rc, const struct policy_snapshot *snap,
			  const struct domain_recheck_env *env)
{
	struct domain_recheck next = { NULL, 0 };
	struct domain_recheck_counts counts = { 0, 0, 0, 0 };
	bool done;
	size_t i;

	done = domain_recheck_all(rc, &next, snap, env, &counts);
	/* interrupted: keep what is known of the domains not reached */
	for (i = 0; !done && i < rc->n; i++)
		if (!rc->v[i].taken)
			domain_recheck_take(rc, &next, rc->v[i].domain);
	domain_recheck_clear(rc);
	qsort(next.v, next.n, sizeof *next.v, domain_recheck_entry_cmp);
	*rc = next;
	if (done)
		plog_msg(
			env->log, PLOG_INFO,
			"re-checked %zu verified domain%s: %zu match, %zu drifted, %zu not checked",
			counts.domains, counts.domains == 1 ? "" : "s", counts.match,
			counts.drifted, counts.failed);
	return done;
}
