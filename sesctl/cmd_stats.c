/*
 * cmd_stats - sesctl stats: daily volumes per sender domain.
 *
 *   stats --from YYYY-MM-DD --to YYYY-MM-DD [--domain DOMAIN]... [--json] [--raw]
 *
 * Reads the shared day counters (stats.h) that every gateway adds to,
 * for each UTC day of the range (at most SESCTL_STATS_MAX_DAYS) and each
 * domain: those given, else every sender domain of the account data.  A
 * counter that is absent reads as 0.  Output: an aligned table, or with
 * --json one object per line:
 *
 *   {"date":"2024-05-01","domain":"example.com","requests":3,"accepted":2,
 *    "rejected":1,"delivered":2,"opened":0,"clicked":0,"bounced":0,
 *    "unsubscribed":0}
 *
 * opened and clicked count each (message, recipient) once, people only;
 * --raw adds "opens" and "clicks": every event, scanners and repeats too.
 *
 * Exit status: 0, 1 (no domain to report, account data unreadable), 2
 * (bad dates), 3 (memcached did not answer; nothing printed).
 *
 * Diagnostics: "sesctl: --from: not a date (want YYYY-MM-DD): X",
 * "sesctl: --to is before --from", "sesctl: at most N days at a time",
 * "sesctl: no sender domains in the account data",
 * "sesctl: memcached (SERVERS) did not answer".
 */
#include "autoconf.h"

#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sesctl.h"
#include "stats.h"
#include "store.h"
#include "xalloc.h"

#define SESCTL_STATS_MAX_DAYS 400

/* One row: a day and a domain with its counters. */
struct stats_row {
	int64_t day;	    /* Unix seconds of its UTC midnight */
	const char *domain; /* borrowed */
	uint64_t v[STATS_NKINDS];
};

struct stats_req {
	int64_t from, to;
	bool json;
	bool raw;		/* --raw: the opens and clicks columns too */
	const char **domains; /* borrowed from argv or the account db */
	size_t ndomains;
};

/* Adds domain to req unless it is there already. */
static void stats_add_domain(struct stats_req *req, const char *domain)
{
	size_t i;

	for (i = 0; i < req->ndomains; i++)
		if (strcasecmp(req->domains[i], domain) == 0)
			return;
	req->domains = xrealloc(req->domains, (req->ndomains + 1) * sizeof *req->domains);
	req->domains[req->ndomains++] = domain;
}

/* Parses the command line into req; SESCTL_OK or SESCTL_USAGE. */
static int stats_parse(struct sesctl *ctx, struct stats_req *req, int argc, char **argv)
{
	static const struct sesctl_opt opts[] = {
		{ "from", true, 1 }, { "to", true, 2 }, { "domain", true, 3 },
		{ "json", false, 4 }, { "raw", false, 5 }, { NULL, false, 0 },
	};
	struct sesctl_args args;
	const char *v, *from = NULL, *to = NULL;
	int id, rc = SESCTL_OK;

	sesctl_args_init(&args, argc, argv);
	while ((id = sesctl_args_next(ctx, &args, opts, &v)) > 0) {
		if (id == 1)
			from = v;
		else if (id == 2)
			to = v;
		else if (id == 3)
			stats_add_domain(req, sesctl_lower((char *)v));
		else if (id == 5)
			req->raw = true;
		else
			req->json = true;
	}
	if (id < 0 || args.noperands != 0 || from == NULL || to == NULL)
		rc = SESCTL_USAGE;
	else if (sesctl_parse_date("--from", from, &req->from) != 0 ||
		 sesctl_parse_date("--to", to, &req->to) != 0)
		rc = SESCTL_USAGE;
	else if (req->to < req->from) {
		sesctl_err("--to is before --from");
		rc = SESCTL_USAGE;
	} else if ((req->to - req->from) / 86400 + 1 > SESCTL_STATS_MAX_DAYS) {
		sesctl_err("at most %d days at a time", SESCTL_STATS_MAX_DAYS);
		rc = SESCTL_USAGE;
	}
	sesctl_args_free(&args);
	return rc;
}

/* Reads every row of req into *rows (caller frees); STORE_OK or STORE_ERROR. */
static enum store_result stats_fetch(const struct store *st, const struct stats_req *req,
				     struct stats_row **rows, size_t *n)
{
	size_t ndays = (size_t)((req->to - req->from) / 86400 + 1), d, i;
	char day[STATS_DAY_LEN];

	*n = 0;
	*rows = xcalloc(ndays * req->ndomains + 1, sizeof **rows);
	for (d = 0; d < ndays; d++) {
		int64_t t = req->from + (int64_t)d * 86400;

		stats_day(t, day);
		for (i = 0; i < req->ndomains; i++) {
			struct stats_row *r = &(*rows)[(*n)++];

			r->day = t;
			r->domain = req->domains[i];
			if (stats_get_day(st, r->domain, day, r->v) != STORE_OK)
				return STORE_ERROR;
		}
	}
	return STORE_OK;
}

/* Formats the UTC day of t as YYYY-MM-DD into out (11 bytes). */
static void stats_date(int64_t t, char out[11])
{
	char d[STATS_DAY_LEN];

	stats_day(t, d);
	snprintf(out, 11, "%.4s-%.2s-%.2s", d, d + 4, d + 6);
}

/* The order of the printed columns after date and domain. */
static const enum stats_kind stats_columns[] = {
	STATS_REQUESTS, STATS_ACCEPTED, STATS_REJECTED, STATS_DELIVERED,
	STATS_OPENED,	STATS_CLICKED,	STATS_BOUNCED,	STATS_UNSUBSCRIBED,
	STATS_OPENS,	STATS_CLICKS,	/* --raw only: these two come last */
};
#define STATS_NCOLUMNS (sizeof stats_columns / sizeof stats_columns[0])
#define STATS_NRAW 2

/* Prints rows as one JSON object per line. */
static void stats_print_json(const struct stats_row *rows, size_t n, size_t ncol)
{
	char date[11];
	size_t i, c;

	for (i = 0; i < n; i++) {
		json_t *o = json_object();
		char *s;

		stats_date(rows[i].day, date);
		json_object_set_new(o, "date", json_string(date));
		json_object_set_new(o, "domain", json_string(rows[i].domain));
		for (c = 0; c < ncol; c++)
			json_object_set_new(o, stats_kind_name(stats_columns[c]),
					    json_integer((json_int_t)rows[i].v[stats_columns[c]]));
		s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
		if (s != NULL)
			puts(s);
		free(s);
		json_decref(o);
	}
}

/* Prints rows as a table: columns as wide as their widest cell. */
static void stats_print_table(const struct stats_row *rows, size_t n, size_t ncol)
{
	int wdom = (int)strlen("DOMAIN"), w[STATS_NCOLUMNS];
	char date[11], num[24], name[32];
	size_t i, c, k;

	for (c = 0; c < ncol; c++)
		w[c] = (int)strlen(stats_kind_name(stats_columns[c]));
	for (i = 0; i < n; i++) {
		if ((int)strlen(rows[i].domain) > wdom)
			wdom = (int)strlen(rows[i].domain);
		for (c = 0; c < ncol; c++) {
			int len = snprintf(num, sizeof num, "%" PRIu64, rows[i].v[stats_columns[c]]);

			w[c] = len > w[c] ? len : w[c];
		}
	}
	printf("%-10s  %-*s", "DATE", wdom, "DOMAIN");
	for (c = 0; c < ncol; c++) {
		snprintf(name, sizeof name, "%s", stats_kind_name(stats_columns[c]));
		for (k = 0; name[k] != '\0'; k++)
			name[k] = (char)(name[k] - ('a' <= name[k] && name[k] <= 'z' ? 32 : 0));
		printf("  %*s", w[c], name);
	}
	putchar('\n');
	for (i = 0; i < n; i++) {
		stats_date(rows[i].day, date);
		printf("%-10s  %-*s", date, wdom, rows[i].domain);
		for (c = 0; c < ncol; c++)
			printf("  %*" PRIu64, w[c], rows[i].v[stats_columns[c]]);
		putchar('\n');
	}
}

/* Adds every sender domain of the account data to req; SESCTL_OK or FAIL. */
static int stats_all_domains(const struct sesctl *ctx, struct stats_req *req,
			     struct account_db **db)
{
	size_t a, d;

	*db = sesctl_load_db(ctx);
	if (*db == NULL)
		return SESCTL_FAIL;
	for (a = 0; a < (*db)->n; a++)
		for (d = 0; d < (*db)->accounts[a]->ndomains; d++)
			stats_add_domain(req, (*db)->accounts[a]->domains[d].name);
	if (req->ndomains == 0) {
		sesctl_err("no sender domains in the account data");
		return SESCTL_FAIL;
	}
	return SESCTL_OK;
}

int sesctl_cmd_stats(struct sesctl *ctx, int argc, char **argv)
{
	static const char usage[] =
		"stats --from YYYY-MM-DD --to YYYY-MM-DD [--domain DOMAIN]... [--json] [--raw]";
	struct stats_req req = { 0, 0, false, false, NULL, 0 };
	struct account_db *db = NULL;
	struct stats_row *rows = NULL;
	struct store st = { NULL, NULL, NULL };
	size_t n = 0;
	int rc = stats_parse(ctx, &req, argc, argv);

	if (rc == SESCTL_USAGE)
		sesctl_usage(usage);
	if (rc == SESCTL_OK && req.ndomains == 0)
		rc = stats_all_domains(ctx, &req, &db);
	if (rc == SESCTL_OK)
		rc = sesctl_open_store(ctx, &st);
	if (rc == SESCTL_OK && stats_fetch(&st, &req, &rows, &n) != STORE_OK) {
		sesctl_err("memcached (%s) did not answer", ctx->conf->memcached_servers);
		rc = SESCTL_UNAVAILABLE;
	} else if (rc == SESCTL_OK && req.json) {
		stats_print_json(rows, n, STATS_NCOLUMNS - (req.raw ? 0 : STATS_NRAW));
	} else if (rc == SESCTL_OK) {
		stats_print_table(rows, n, STATS_NCOLUMNS - (req.raw ? 0 : STATS_NRAW));
	}
	free(rows);
	store_free(&st);
	account_db_free(db);
	free(req.domains);
	return rc;
}
