/*
 * api_actions - the table of SES actions, and those about shared state
 * (see api_actions.h):
 *
 *   ListBlackEmailAddress  the live blocklist entries of the journal
 *                          (journal_load, as "sesctl blocklist list"),
 *                          added between StartDate and EndDate
 *   DeleteBlackList        removal records written like "sesctl blocklist
 *                          del" (entry_record_now, entries_write)
 *   GetSendEmailStatus     the rows of evstatus_read_log, as "sesctl
 *                          status", of the account's sender domains
 *   GetStatisticsReport    the day counters (stats_get_day, as "sesctl
 *                          stats") of the account's domains
 *
 * The blocklist is the service's (hard bounces of every account), as in
 * SMTP: an account sees and clears the entries that stop its mail.
 */
#include "autoconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api_actions.h"
#include "api_lookup.h"
#include "entries.h"
#include "evstatus.h"
#include "journal.h"
#include "stats.h"

#define API_DAY_S 86400
#define API_MAX_LIMIT 100
#define API_STATS_MAX_DAYS 31

/* Parses YYYY-MM-DD into the Unix time of its UTC midnight; false when not a date. */
static bool api_date(const char *s, int64_t *t)
{
	struct tm tm = { 0 };
	char *end;

	if (s == NULL || strlen(s) != 10)
		return false;
	end = strptime(s, "%Y-%m-%d", &tm);
	if (end == NULL || *end != '\0')
		return false;
	*t = (int64_t)timegm(&tm);
	return true;
}

/* The date field name (required); -1 with err set when missing or bad. */
static int api_get_date(json_t *body, const char *name, int64_t *t, struct api_error *err)
{
	const char *s;
	int rc = api_get_string(body, name, &s, err);

	if (rc < 0)
		return -1;
	if (rc == 0)
		return api_fail(err, "MissingParameter", "%s is required", name);
	if (!api_date(s, t))
		return api_fail(err, "InvalidParameterValue", "%s is not a date (YYYY-MM-DD)",
				name);
	return 0;
}

int api_get_page(json_t *body, size_t *offset, size_t *limit, struct api_error *err)
{
	unsigned long long v;
	int rc;

	*offset = 0;
	*limit = API_MAX_LIMIT;
	rc = api_get_uint(body, "Offset", &v, err);
	if (rc < 0)
		return -1;
	if (rc > 0)
		*offset = (size_t)v;
	rc = api_get_uint(body, "Limit", &v, err);
	if (rc < 0)
		return -1;
	if (rc > 0 && (v == 0 || v > API_MAX_LIMIT))
		return api_fail(err, "InvalidParameterValue", "Limit must be 1 to %d",
				API_MAX_LIMIT);
	if (rc > 0)
		*limit = (size_t)v;
	return 0;
}

/* "YYYY-MM-DD HH:MM:SS" UTC of t. */
static json_t *api_time_json(int64_t t)
{
	time_t tt = (time_t)t;
	char buf[32];
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
	return json_string(buf);
}

/* True when domain is one of the account's sender domains. */
static bool api_own_domain(const struct account *a, const char *domain)
{
	return domain != NULL && account_domain(a, domain) != NULL;
}

static int api_list_black(const struct api_ctx *c, const char *body, size_t len, json_t **out,
			  struct api_error *err)
{
	struct journal_set set = JOURNAL_SET_INIT;
	struct diag_list diags = DIAG_LIST_INIT;
	json_t *req = api_parse_body(body, len, err), *list;
	int64_t from = 0, to = 0;
	size_t offset, limit, total = 0, i;
	const char *only = NULL;

	if (req == NULL)
		return -1;
	if (api_get_date(req, "StartDate", &from, err) != 0 ||
	    api_get_date(req, "EndDate", &to, err) != 0 ||
	    api_get_page(req, &offset, &limit, err) != 0 ||
	    api_get_string(req, "EmailAddress", &only, err) < 0) {
		json_decref(req);
		return -1;
	}
	if (journal_load(c->snap->journal_path, true, &set, &diags) != 0) {
		json_decref(req);
		diag_free(&diags);
		return api_fail(err, "FailedOperation.ServiceNotAvailable",
				"the blocklist cannot be read now");
	}
	list = json_array();
	for (i = 0; i < set.n; i++) {
		const struct journal_record *r = &set.v[i];
		int64_t added = r->rec.stamp_us / 1000000;

		if (r->kind != ENTRY_BLOCKLIST || !entry_record_live(&r->rec, c->now) ||
		    added < from || added >= to + API_DAY_S ||
		    (only != NULL && *only != '\0' && strcasecmp(only, r->addr) != 0))
			continue;
		if (total++ < offset || json_array_size(list) >= limit)
			continue;
		json_array_append_new(list,
				      json_pack("{s:o,s:s}", "BounceTime", api_time_json(added),
						"EmailAddress", r->addr));
	}
	*out = json_pack("{s:o,s:I}", "BlackList", list, "TotalCount", (json_int_t)total);
	journal_set_free(&set);
	diag_free(&diags);
	json_decref(req);
	return 0;
}

static int api_delete_black(const struct api_ctx *c, const char *body, size_t len, json_t **out,
			    struct api_error *err)
{
	json_t *req = api_parse_body(body, len, err), *arr, *v;
	struct strbuf why = STRBUF_INIT, addr = STRBUF_INIT;
	size_t i;
	int rc = 0;

	if (req == NULL)
		return -1;
	arr = json_object_get(req, "EmailAddressList");
	if (arr == NULL)
		rc = api_fail(err, "MissingParameter", "EmailAddressList is required");
	else if (!json_is_array(arr) || json_array_size(arr) == 0 || json_array_size(arr) > 100)
		rc = api_fail(err, "InvalidParameterValue",
			      "EmailAddressList must be an array of 1 to 100 addresses");
	json_array_foreach(rc == 0 ? arr : NULL, i, v)
	{
		struct entry_record rec;
		struct entry_id id;

		if (!json_is_string(v) || strchr(json_string_value(v), '@') == NULL) {
			rc = api_fail(err, "InvalidParameterValue",
				      "EmailAddressList[%zu] is not an address", i);
			break;
		}
		strbuf_reset(&addr);
		entry_normalize_addr(json_string_value(v), &addr);
		id = (struct entry_id){ ENTRY_BLOCKLIST, "", strbuf_cstr(&addr) };
		entry_record_now(&rec, false, 0, NULL);
		if (entries_write(&c->snap->store, c->snap->journal_path, &id, &rec, &why) ==
		    ENTRIES_WRITE_FAILED) {
			rc = api_fail(err, "FailedOperation.ServiceNotAvailable", "%s",
				      strbuf_cstr(&why));
			break;
		}
	}
	if (rc == 0)
		*out = json_object();
	strbuf_free(&why);
	strbuf_free(&addr);
	json_decref(req);
	return rc;
}

/* GetSendEmailStatus: evstatus rows of the account's domains. */
static int api_send_status(const struct api_ctx *c, const char *body, size_t len, json_t **out,
			   struct api_error *err)
{
	json_t *req = api_parse_body(body, len, err), *list;
	struct evstatus_filter f = { 0, NULL, NULL };
	size_t offset, limit, seen = 0, i;
	struct evstatus s;

	if (req == NULL)
		return -1;
	if (api_get_date(req, "RequestDate", &f.day, err) != 0 ||
	    api_get_page(req, &offset, &limit, err) != 0 ||
	    api_get_string(req, "MessageId", &f.message_id, err) < 0 ||
	    api_get_string(req, "ToEmailAddress", &f.email, err) < 0) {
		json_decref(req);
		return -1;
	}
	evstatus_init(&s, &f);
	if (evstatus_read_log(&s, c->snap->events_path, NULL) < 0) {
		evstatus_free(&s);
		json_decref(req);
		return api_fail(err, "FailedOperation.ServiceNotAvailable",
				"the event log cannot be read now");
	}
	list = json_array();
	for (i = 0; i < s.n && json_array_size(list) < limit; i++) {
		const struct evstatus_row *r = &s.rows[i];
		json_t *o;

		if (!api_own_domain(c->acct, r->from_domain) || seen++ < offset)
			continue;
		o = evstatus_row_json(r);
		/* Tencent's numbers: SendStatus 0 sent; the reply says why not */
		json_object_set_new(o, "SendStatus", json_integer(r->accepted ? 0 : 1));
		json_object_set_new(o, "UserComplainted", json_boolean(r->complained));
		json_object_set_new(o, "DeliverTime", json_integer(r->deliver_time));
		json_array_append_new(list, o);
	}
	*out = json_pack("{s:o}", "EmailStatusList", list);
	evstatus_free(&s);
	json_decref(req);
	return 0;
}

/* Adds the counters v to the volume object o. */
static void api_volume_add(json_t *o, const uint64_t v[STATS_NKINDS])
{
	static const char *const names[STATS_NKINDS] = {
		[STATS_REQUESTS] = "RequestCount",  [STATS_ACCEPTED] = "AcceptedCount",
		[STATS_REJECTED] = "RejectedCount", [STATS_DELIVERED] = "DeliveredCount",
		[STATS_OPENED] = "OpenedCount",	    [STATS_CLICKED] = "ClickedCount",
		[STATS_BOUNCED] = "BounceCount",    [STATS_UNSUBSCRIBED] = "UnsubscribeCount",
	};
	int k;

	for (k = 0; k < STATS_NKINDS; k++) {
		json_t *old = json_object_get(o, names[k]);
		json_int_t n = old != NULL ? json_integer_value(old) : 0;

		json_object_set_new(o, names[k], json_integer(n + (json_int_t)v[k]));
	}
}

/* GetStatisticsReport: day counters of the account's domains (or one of them). */
static int api_statistics(const struct api_ctx *c, const char *body, size_t len, json_t **out,
			  struct api_error *err)
{
	json_t *req = api_parse_body(body, len, err), *days, *overall;
	const char *only = NULL;
	int64_t from = 0, to = 0, t;
	size_t i;

	if (req == NULL)
		return -1;
	if (api_get_date(req, "StartDate", &from, err) != 0 ||
	    api_get_date(req, "EndDate", &to, err) != 0 ||
	    api_get_string(req, "Domain", &only, err) < 0) {
		json_decref(req);
		return -1;
	}
	if (to < from || (to - from) / API_DAY_S >= API_STATS_MAX_DAYS) {
		json_decref(req);
		return api_fail(err, "InvalidParameterValue",
				"EndDate must be 0 to %d days after StartDate",
				API_STATS_MAX_DAYS - 1);
	}
	days = json_array();
	overall = json_object();
	for (t = from; t <= to; t += API_DAY_S) {
		char day[STATS_DAY_LEN];
		json_t *date = api_time_json(t);

		stats_day(t, day);
		for (i = 0; i < c->acct->ndomains; i++) {
			const char *d = c->acct->domains[i].name;
			uint64_t v[STATS_NKINDS];
			json_t *o;

			if (only != NULL && *only != '\0' && strcasecmp(only, d) != 0)
				continue;
			if (stats_get_day(&c->snap->store, d, day, v) != STORE_OK) {
				json_decref(date);
				json_decref(days);
				json_decref(overall);
				json_decref(req);
				return api_fail(err, "FailedOperation.ServiceNotAvailable",
						"the counters cannot be read now");
			}
			o = json_pack("{s:s%,s:s}", "SendDate", json_string_value(date), (size_t)10,
				      "Domain", d);
			api_volume_add(o, v);
			api_volume_add(overall, v);
			json_array_append_new(days, o);
		}
		json_decref(date);
	}
	*out = json_pack("{s:o,s:o}", "DailyVolumes", days, "OverallVolume", overall);
	json_decref(req);
	return 0;
}

static const struct api_action api_actions[] = {
	{ "ListBlackEmailAddress", api_list_black, false, false },
	{ "DeleteBlackList", api_delete_black, true, false },
	{ "GetSendEmailStatus", api_send_status, false, false },
	{ "GetStatisticsReport", api_statistics, false, false },
	{ "GetEmailTemplate", api_get_template, false, false },
	{ "ListEmailTemplates", api_list_templates, false, false },
	{ "CreateEmailTemplate", api_create_template, true, true },
	{ "UpdateEmailTemplate", api_update_template, true, true },
	{ "DeleteEmailTemplate", api_delete_template, true, true },
	{ "ListEmailIdentities", api_list_identities, false, false },
	{ "GetEmailIdentity", api_get_identity, false, false },
	{ NULL, NULL, false, false },
};

const struct api_action *api_action_find(const char *name)
{
	const struct api_action *a;

	for (a = api_actions; a->name != NULL; a++)
		if (strcmp(a->name, name) == 0)
			return a;
	return NULL;
}
