/*
 * cmd_quota - sesctl quota show | warmup | release.
 *
 *   quota show ACCOUNT [--rcpt ADDR]   level, quota, used and left today,
 *                                      sends to ADDR in the last 60 minutes
 *   quota warmup [--date YYYY-MM-DD] [--dry-run]
 *                                      the daily reputation step (cron)
 *   quota release [--postfix-config DIR] [--dry-run]
 *                                      releases accounts' held mail from before today
 *
 * Warm-up: an account whose mail yesterday (UTC) was healthy (bounce
 * rate under 5 %, complaints under 0.1 %) rises one level (at most 20);
 * one whose mail was not falls one (at least 1); an account that sent
 * nothing stays.  Each account changes at most once per day (LevelDate).
 * Yesterday's counts come from shared state: accepted recipients
 * ("dq:ACCOUNT:DAY"), hard bounces ("bn:...") and complaints ("cp:...").
 *
 * Diagnostics: "sesctl: memcached did not answer", "acme: level 3 -> 4
 * (yesterday: 120 accepted, 1 bounced, 0 complaints)".
 */
#include "autoconf.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "address.h"
#include "rule.h"
#include "sesctl.h"
#include "store.h"

#define QUOTA_DAY_LEN 16

/* Formats the UTC day of t as YYYYMMDD (key form) or YYYY-MM-DD. */
static void quota_day(time_t t, bool dashes, char *out, size_t len)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, len, dashes ? "%Y-%m-%d" : "%Y%m%d", &tm);
}

/* Reads counter prefix:account:day; absent counts as 0. */
static int quota_counter(const struct store *st, const char *prefix, const char *account,
			 const char *day, uint64_t *value)
{
	struct strbuf key = STRBUF_INIT, val = STRBUF_INIT;
	const char *parts[3] = { account, day, NULL };
	enum store_result r;

	store_key(&key, prefix, parts);
	r = store_get(st, strbuf_cstr(&key), &val);
	*value = r == STORE_OK ? strtoull(strbuf_cstr(&val), NULL, 10) : 0;
	strbuf_free(&key);
	strbuf_free(&val);
	return r == STORE_ERROR ? -1 : 0;
}

/* Sends to rcpt in the last 60 minutes: the taken frequency slots. */
static long long quota_hour_count(const struct store *st, const struct account *a,
				  const char *rcpt)
{
	struct strbuf key = STRBUF_INIT, val = STRBUF_INIT, norm = STRBUF_INIT;
	char slot[24];
	const char *parts[4] = { a->name, NULL, slot, NULL };
	int64_t now_us = (int64_t)time(NULL) * 1000000;
	long long i, n = 0;

	address_normalize(rcpt, &norm);
	parts[1] = strbuf_cstr(&norm);
	for (i = 0; i < a->limits.recipient_hourly_limit; i++) {
		snprintf(slot, sizeof slot, "%lld", i);
		store_key(&key, "fq", parts);
		strbuf_reset(&val);
		if (store_get(st, strbuf_cstr(&key), &val) == STORE_OK &&
		    strtoll(strbuf_cstr(&val), NULL, 10) > now_us - 3600LL * 1000000)
			n++;
	}
	strbuf_free(&key);
	strbuf_free(&val);
	strbuf_free(&norm);
	return n;
}

static int quota_show(struct sesctl *ctx, int argc, char **argv)
{
	static const struct sesctl_opt opts[] = { { "rcpt", true, 1 }, { NULL, false, 0 } };
	struct sesctl_args args;
	struct account_db *db = NULL;
	const struct account *a;
	const char *rcpt = NULL, *v;
	char day[QUOTA_DAY_LEN];
	struct store st = { NULL, NULL, NULL };
	uint64_t used = 0;
	long long quota;
	int id, rc = SESCTL_FAIL;

	sesctl_args_init(&args, argc, argv);
	while ((id = sesctl_args_next(ctx, &args, opts, &v)) > 0)
		rcpt = v;
	if (id < 0 || args.noperands != 1) {
		sesctl_args_free(&args);
		return SESCTL_USAGE;
	}
	db = sesctl_load_db(ctx);
	a = db != NULL ? account_by_name(db, args.operands[0]) : NULL;
	if (db != NULL && a == NULL)
		sesctl_err("no account %s", args.operands[0]);
	if (a == NULL || sesctl_open_store(ctx, &st) != SESCTL_OK)
		goto out;
	quota_day(time(NULL), false, day, sizeof day);
	if (quota_counter(&st, "dq", a->name, day, &used) != 0) {
		sesctl_err("memcached did not answer");
		goto out;
	}
	quota = rule_quota_for(a);
	printf("account:    %s\nlevel:      %lld\nquota:      %lld per day%s\n", a->name, a->level,
	       quota, a->limits.daily_quota > 0 ? " (DailyQuota)" : "");
	printf("used today: %" PRIu64 "\nleft today: %lld\n", used,
	       (long long)used >= quota ? 0 : quota - (long long)used);
	if (rcpt != NULL)
		printf("last hour:  %lld of %lld to %s\n", quota_hour_count(&st, a, rcpt),
		       a->limits.recipient_hourly_limit, rcpt);
	rc = SESCTL_OK;
out:
	store_free(&st);
	account_db_free(db);
	sesctl_args_free(&args);
	return rc;
}

/* The level after yesterday's mail: sent, bounced, complaints. */
static long long quota_next_level(long long level, uint64_t sent, uint64_t bounced,
				  uint64_t complained)
{
	if (sent == 0)
		return level;
	/* healthy: bounces under 5 %, complaints under 0.1 % */
	if (bounced * 100 < sent * 5 && complained * 1000 < sent)
		return level < 20 ? level + 1 : 20;
	return level > 1 ? level - 1 : 1;
}

/* Writes the new level and today's date into the account file. */
static int quota_set_level(struct sesctl *ctx, const char *name, long long level,
			   const char *today, const char *done)
{
	struct sesctl_edit ed;
	char value[24];
	int rc;

	snprintf(value, sizeof value, "%lld", level);
	rc = sesctl_edit_account(ctx, &ed, name);
	if (rc == SESCTL_OK) {
		datafile_set(&ed.df, "ReputationLevel", value);
		datafile_set(&ed.df, "LevelDate", today);
		rc = sesctl_edit_commit(ctx, &ed, false, done);
	}
	sesctl_edit_end(&ed);
	return rc;
}

/* One account's warm-up step; prints what it does. */
static int quota_warm_one(struct sesctl *ctx, const struct store *st, const struct account *a,
			  time_t today_t, bool dry_run)
{
	char today[QUOTA_DAY_LEN], yday[QUOTA_DAY_LEN];
	struct strbuf line = STRBUF_INIT;
	uint64_t sent, bounced, complained;
	long long next;
	int rc = SESCTL_OK;

	quota_day(today_t, true, today, sizeof today);
	quota_day(today_t - 86400, false, yday, sizeof yday);
	if (strcmp(a->level_date, today) == 0) {
		printf("%s: level %lld, already set today\n", a->name, a->level);
		return SESCTL_OK;
	}
	if (quota_counter(st, "dq", a->name, yday, &sent) != 0 ||
	    quota_counter(st, "bn", a->name, yday, &bounced) != 0 ||
	    quota_counter(st, "cp", a->name, yday, &complained) != 0) {
		sesctl_err("%s: memcached did not answer", a->name);
		return SESCTL_FAIL;
	}
	next = quota_next_level(a->level, sent, bounced, complained);
	strbuf_appendf(&line, "%s: level %lld -> %lld (yesterday: %" PRIu64 " accepted, %" PRIu64
		       " bounced, %" PRIu64 " complaints)", a->name, a->level, next, sent, bounced,
		       complained);
	if (next == a->level || dry_run)
		printf("%s%s\n", strbuf_cstr(&line), dry_run ? " [dry run]" : "");
	else
		rc = quota_set_level(ctx, a->name, next, today, strbuf_cstr(&line));
	strbuf_free(&line);
	return rc;
}

/* Parses YYYY-MM-DD as midnight UTC. 0 or -1. */
static int quota_parse_day(const char *s, time_t *out)
{
	struct tm tm;
	char *end;

	memset(&tm, 0, sizeof tm);
	end = strptime(s, "%Y-%m-%d", &tm);
	if (end == NULL || *end != '\0')
		return -1;
	*out = timegm(&tm);
	return 0;
}

static int quota_warmup(struct sesctl *ctx, int argc, char **argv)
{
	static const struct sesctl_opt opts[] = {
		{ "date", true, 1 }, { "dry-run", false, 2 }, { NULL, false, 0 }
	};
	struct sesctl_args args;
	struct account_db *db;
	struct store st = { NULL, NULL, NULL };
	time_t today = time(NULL);
	bool dry_run = false;
	const char *v;
	size_t i;
	int id, rc = SESCTL_OK;

	sesctl_args_init(&args, argc, argv);
	while ((id = sesctl_args_next(ctx, &args, opts, &v)) > 0) {
		if (id == 1 && quota_parse_day(v, &today) != 0)
			id = -1;
		if (id == 2)
			dry_run = true;
		if (id < 0)
			break;
	}
	if (id < 0 || args.noperands != 0) {
		sesctl_args_free(&args);
		return SESCTL_USAGE;
	}
	sesctl_args_free(&args);
	db = sesctl_load_db(ctx);
	if (db == NULL || sesctl_open_store(ctx, &st) != SESCTL_OK) {
		account_db_free(db);
		return SESCTL_FAIL;
	}
	for (i = 0; i < db->n; i++)
		if (quota_warm_one(ctx, &st, db->accounts[i], today, dry_run) != SESCTL_OK)
			rc = SESCTL_FAIL;
	store_free(&st);
	account_db_free(db);
	return rc;
}

/* Runs argv (no shell); its standard output is appended to out. 0 or -1. */
static int quota_exec(char *const argv[], struct strbuf *out)
{
	char buf[4096];
	int fds[2], status;
	ssize_t n;
	pid_t pid;

	if (pipe(fds) != 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		close(fds[0]);
		close(fds[1]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(fds[1]);
	while ((n = read(fds[0], buf, sizeof buf)) > 0)
		if (out != NULL)
			strbuf_append(out, buf, (size_t)n);
	close(fds[0]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -1;
	return 0;
}

/* Releases one held message with postsuper -H.  0 or -1. */
static int quota_release_one(const char *config_dir, const char *id)
{
	char *argv[6];
	int i = 0;

	argv[i++] = (char *)"postsuper";
	if (config_dir != NULL) {
		argv[i++] = (char *)"-c";
		argv[i++] = (char *)config_dir;
	}
	argv[i++] = (char *)"-H";
	argv[i++] = (char *)id;
	argv[i] = NULL;
	return quota_exec(argv, NULL);
}

/*
 * True when a held message is an account's (its sender domain is one of
 * db's): the quota holds only those; inbound mail held by DMARC's
 * quarantine stays for the operator to judge.
 */
static bool quota_is_outbound(const struct account_db *db, const char *sender)
{
	struct strbuf local = STRBUF_INIT, domain = STRBUF_INIT;
	bool yes = sender != NULL &&
		   address_split(sender, &local, &domain) == ADDRESS_OK &&
		   account_by_domain(db, strbuf_cstr(&domain), NULL) != NULL;

	strbuf_free(&local);
	strbuf_free(&domain);
	return yes;
}

/* Walks postqueue -j output: accounts' held messages that arrived before cutoff. */
static int quota_release_held(const struct account_db *db, const char *config_dir, time_t cutoff,
			      bool dry_run)
{
	struct strbuf out = STRBUF_INIT;
	char *argv[5], *line, *save = NULL;
	int i = 0, released = 0, failed = 0;

	argv[i++] = (char *)"postqueue";
	if (config_dir != NULL) {
		argv[i++] = (char *)"-c";
		argv[i++] = (char *)config_dir;
	}
	argv[i++] = (char *)"-j";
	argv[i] = NULL;
	if (quota_exec(argv, &out) != 0) {
		sesctl_err("postqueue -j failed");
		strbuf_free(&out);
		return SESCTL_FAIL;
	}
	for (line = strtok_r(out.data, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		json_t *msg = json_loads(line, 0, NULL);
		const char *queue = json_string_value(json_object_get(msg, "queue_name"));
		const char *id = json_string_value(json_object_get(msg, "queue_id"));
		json_int_t arrived = json_integer_value(json_object_get(msg, "arrival_time"));
		const char *sender = json_string_value(json_object_get(msg, "sender"));

		if (queue != NULL && id != NULL && strcmp(queue, "hold") == 0 && arrived < cutoff &&
		    quota_is_outbound(db, sender)) {
			if (dry_run)
				printf("would release %s\n", id);
			else if (quota_release_one(config_dir, id) == 0)
				released++;
			else
				failed++;
		}
		json_decref(msg);
	}
	strbuf_free(&out);
	if (!dry_run)
		printf("released %d held messages%s\n", released, failed ? " (some failed)" : "");
	return failed ? SESCTL_FAIL : SESCTL_OK;
}

static int quota_release(struct sesctl *ctx, int argc, char **argv)
{
	static const struct sesctl_opt opts[] = {
		{ "postfix-config", true, 1 }, { "dry-run", false, 2 }, { NULL, false, 0 }
	};
	struct sesctl_args args;
	const char *config_dir = NULL, *v;
	struct account_db *db;
	bool dry_run = false;
	time_t now = time(NULL);
	int id, rc;

	sesctl_args_init(&args, argc, argv);
	while ((id = sesctl_args_next(ctx, &args, opts, &v)) > 0) {
		if (id == 1)
			config_dir = v;
		else
			dry_run = true;
	}
	if (id < 0 || args.noperands != 0) {
		sesctl_args_free(&args);
		return SESCTL_USAGE;
	}
	sesctl_args_free(&args);
	if ((db = sesctl_load_db(ctx)) == NULL)
		return SESCTL_FAIL;
	/* held today means over today's quota: release what is older */
	rc = quota_release_held(db, config_dir, now - now % 86400, dry_run);
	account_db_free(db);
	return rc;
}

int sesctl_cmd_quota(struct sesctl *ctx, int argc, char **argv)
{
	static const struct sesctl_sub subs[] = {
		{ "show", quota_show, "quota show ACCOUNT [--rcpt ADDR]" },
		{ "warmup", quota_warmup, "quota warmup [--date YYYY-MM-DD] [--dry-run]" },
		{ "release", quota_release, "quota release [--postfix-config DIR] [--dry-run]" },
		{ NULL, NULL, NULL },
	};

	return sesctl_run_sub(ctx, subs, argc, argv);
}
