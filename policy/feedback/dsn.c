/*
 * dsn - delivery status notifications; see dsn.h.
 *
 * Diagnostics: none.
 */
#include "autoconf.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dsn.h"
#include "report.h"
#include "strbuf.h"
#include "xalloc.h"

static const char *const dsn_part_types[] = {
	"message/delivery-status", "message/global-delivery-status", NULL
};

/* ---- values ------------------------------------------------------------------- */

/* Splits "type; rest": *type gets the lower-cased type ("" if no ';'). */
static const char *dsn_typed(const char *value, char *type, size_t cap)
{
	const char *semi = strchr(value, ';'), *rest;
	size_t n = 0;

	type[0] = '\0';
	if (semi == NULL)
		return value;
	while (value < semi && n + 1 < cap && *value != ' ')
		type[n++] = (char)tolower((unsigned char)*value++);
	type[n] = '\0';
	for (rest = semi + 1; *rest == ' '; rest++)
		;
	return rest;
}

/* Appends code point cp as UTF-8; false for a surrogate or out of range. */
static bool dsn_put_utf8(unsigned long cp, struct strbuf *out)
{
	char b[4];

	if (cp < 0x80) {
		b[0] = (char)cp;
		strbuf_append(out, b, 1);
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3f));
		strbuf_append(out, b, 2);
	} else if (cp < 0x10000) {
		if (cp >= 0xd800 && cp <= 0xdfff)
			return false;
		b[0] = (char)(0xe0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		strbuf_append(out, b, 3);
	} else if (cp <= 0x10ffff) {
		b[0] = (char)(0xf0 | (cp >> 18));
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		strbuf_append(out, b, 4);
	} else {
		return false;
	}
	return true;
}

/* The value of a hex digit. */
static unsigned long dsn_hex(unsigned char c)
{
	return isdigit(c) ? (unsigned long)(c - '0') : (unsigned long)(tolower(c) - 'a' + 10);
}

/* Appends s with RFC 6533 "\x{HHHH}" escapes decoded; bad ones kept. */
static void dsn_unescape_utf8(const char *s, struct strbuf *out)
{
	while (*s != '\0') {
		unsigned long cp = 0;
		size_t n = 0;

		if (strncmp(s, "\\x{", 3) == 0) {
			while (n < 6 && isxdigit((unsigned char)s[3 + n]))
				cp = cp * 16 + dsn_hex((unsigned char)s[3 + n++]);
			if (n > 0 && s[3 + n] == '}' && cp != 0 && dsn_put_utf8(cp, out)) {
				s += 4 + n;
				continue;
			}
		}
		strbuf_appendc(out, *s++);
	}
}

/* A new string: the address of a recipient field, type and <> removed. */
static char *dsn_address(const char *value)
{
	struct strbuf sb = STRBUF_INIT;
	const char *addr;
	char type[16], *r;
	size_t n;

	if (value == NULL)
		return report_strdup(NULL);
	addr = dsn_typed(value, type, sizeof type);
	n = strlen(addr);
	if (n >= 2 && addr[0] == '<' && addr[n - 1] == '>') {
		addr++;
		n -= 2;
	}
	if (strcmp(type, "utf-8") == 0) {
		char *copy = xstrndup(addr, n);

		dsn_unescape_utf8(copy, &sb);
		free(copy);
	} else {
		strbuf_append(&sb, addr, n);
	}
	r = report_strdup(strbuf_cstr(&sb));
	strbuf_free(&sb);
	return r;
}

/* A new string: value without its "type;" ("" for NULL). */
static char *dsn_untyped(const char *value)
{
	char type[16];

	return report_strdup(value != NULL ? dsn_typed(value, type, sizeof type) : NULL);
}

static enum dsn_action dsn_action_parse(const char *v)
{
	static const struct {
		const char *name;
		enum dsn_action action;
	} names[] = {
		{ "failed", DSN_ACTION_FAILED },       { "delayed", DSN_ACTION_DELAYED },
		{ "delivered", DSN_ACTION_DELIVERED }, { "relayed", DSN_ACTION_RELAYED },
		{ "expanded", DSN_ACTION_EXPANDED },
		/* what real MTAs write instead */
		{ "failure", DSN_ACTION_FAILED },      { "fail", DSN_ACTION_FAILED },
		{ "expired", DSN_ACTION_FAILED },      { "delay", DSN_ACTION_DELAYED },
		{ "deferred", DSN_ACTION_DELAYED },    { "delivery", DSN_ACTION_DELIVERED },
		{ "relay", DSN_ACTION_RELAYED },       { "expansion", DSN_ACTION_EXPANDED },
	};
	size_t i, n = 0;

	if (v == NULL)
		return DSN_ACTION_UNKNOWN;
	while (isalpha((unsigned char)v[n]))
		n++;
	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (n == strlen(names[i].name) && strncasecmp(v, names[i].name, n) == 0)
			return names[i].action;
	return DSN_ACTION_UNKNOWN;
}

/* Reads 1..3 digits; returns how many, 0 if none or more. */
static size_t dsn_digits(const char *s)
{
	size_t n = 0;

	while (n < 4 && isdigit((unsigned char)s[n]))
		n++;
	return n >= 1 && n <= 3 ? n : 0;
}

/*
 * Parses an RFC 3463 code "c.sss.ddd" at the start of s into out; true
 * when valid and followed by the end, a blank, '(' or ';'.
 */
static bool dsn_status_parse(const char *s, char out[12])
{
	size_t a, b, n;

	if (s[0] != '2' && s[0] != '4' && s[0] != '5')
		return false;
	if (s[1] != '.' || (a = dsn_digits(s + 2)) == 0 || s[2 + a] != '.' ||
	    (b = dsn_digits(s + 3 + a)) == 0)
		return false;
	n = 3 + a + b;
	if (s[n] != '\0' && strchr(" ();,]", s[n]) == NULL)
		return false;
	memcpy(out, s, n);
	out[n] = '\0';
	return true;
}

/*
 * Derives a status from a Diagnostic-Code text ("550 5.1.1 ...",
 * "550-5.1.1 ...", "550 ..."); true when it found one.
 */
static bool dsn_status_from_diag(const char *text, char out[12])
{
	const char *code;

	if (*text == '#')	/* "#5.1.1" */
		text++;
	if (dsn_status_parse(text, out))
		return true;
	if ((text[0] != '4' && text[0] != '5') || !isdigit((unsigned char)text[1]) ||
	    !isdigit((unsigned char)text[2]) || (text[3] != ' ' && text[3] != '-' && text[3]))
		return false;
	code = text[3] != '\0' ? text + 4 : text + 3;
	if (*code == '#')	/* "550 #5.1.0" */
		code++;
	if (*code != '\0' && dsn_status_parse(code, out) && out[0] == text[0])
		return true;
	out[0] = text[0];
	memcpy(out + 1, ".0.0", 5);
	return true;
}

/* ---- groups ----------------------------------------------------------------- */

/* True when g holds fields of a recipient. */
static bool dsn_is_rcpt_group(const struct report_group *g)
{
	return report_group_get(g, "Final-Recipient") != NULL ||
	       report_group_get(g, "Original-Recipient") != NULL ||
	       report_group_get(g, "Action") != NULL;
}

/* Reads one recipient group into rc. */
static void dsn_rcpt_read(const struct report_group *g, struct dsn_rcpt *rc)
{
	const char *status = report_group_get(g, "Status");

	rc->final_recipient = dsn_address(report_group_get(g, "Final-Recipient"));
	rc->original_recipient = dsn_address(report_group_get(g, "Original-Recipient"));
	rc->action = dsn_action_parse(report_group_get(g, "Action"));
	rc->diagnostic = dsn_untyped(report_group_get(g, "Diagnostic-Code"));
	rc->remote_mta = dsn_untyped(report_group_get(g, "Remote-MTA"));
	if (status != NULL && dsn_status_from_diag(status, rc->status))
		return;	/* "5.1.1", "#5.1.1", "553", "550 5.1.1" */
	rc->status[0] = '\0';
	rc->status_from_diagnostic = dsn_status_from_diag(rc->diagnostic, rc->status);
}

/* Adds a recipient entry for g unless DSN_RCPT_MAX are there already. */
static void dsn_add_rcpt(struct dsn_report *r, const struct report_group *g)
{
	struct dsn_rcpt *v;

	if (r->n_rcpts >= DSN_RCPT_MAX) {
		r->truncated = true;
		return;
	}
	v = xrealloc(r->rcpts, (r->n_rcpts + 1) * sizeof *v);
	r->rcpts = v;
	memset(&v[r->n_rcpts], 0, sizeof v[r->n_rcpts]);
	dsn_rcpt_read(g, &v[r->n_rcpts++]);
}

/* Fills r from the parsed fields of the status part. */
static void dsn_read_fields(const struct report_fields *f, struct dsn_report *r)
{
	size_t i;

	if (f->n == 0)
		return;
	free(r->reporting_mta);
	free(r->envelope_id);
	free(r->arrival_date);
	r->reporting_mta = dsn_untyped(report_group_get(&f->groups[0], "Reporting-MTA"));
	r->envelope_id = report_strdup(report_group_get(&f->groups[0], "Original-Envelope-Id"));
	r->arrival_date = report_strdup(report_group_get(&f->groups[0], "Arrival-Date"));
	for (i = 0; i < f->n; i++)
		if (dsn_is_rcpt_group(&f->groups[i]))
			dsn_add_rcpt(r, &f->groups[i]);
}

enum dsn_result dsn_parse(const char *msg, size_t len, struct dsn_report *r)
{
	struct report_fields f;
	struct report_msg rm;
	enum dsn_result res = DSN_NOT_DSN;

	memset(r, 0, sizeof *r);
	r->reporting_mta = report_strdup(NULL);
	r->envelope_id = report_strdup(NULL);
	r->arrival_date = report_strdup(NULL);
	r->forwarded_to = NULL;
	if (report_find_opts(msg, len, dsn_part_types,
			     REPORT_FIND_MIXED | REPORT_FIND_FORWARDED | REPORT_FIND_LINE_ENDS, &rm)) {
		r->forwarded = rm.depth;
		r->forwarded_to = rm.to;
		rm.to = NULL;
		report_fields_parse(strbuf_cstr(&rm.part), rm.part.len, DSN_RCPT_MAX + 1, &f);
		dsn_read_fields(&f, r);
		r->truncated |= f.truncated || rm.part_truncated || rm.input_truncated;
		res = r->n_rcpts > 0 ? DSN_OK : DSN_MALFORMED;
		report_fields_free(&f);
	}
	if (r->forwarded_to == NULL)
		r->forwarded_to = report_strdup(NULL);
	r->orig = rm.orig;	/* moved: every string "" when absent */
	memset(&rm.orig, 0, sizeof rm.orig);
	report_msg_free(&rm);
	return res;
}

void dsn_report_free(struct dsn_report *r)
{
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->n_rcpts; i++) {
		free(r->rcpts[i].final_recipient);
		free(r->rcpts[i].original_recipient);
		free(r->rcpts[i].diagnostic);
		free(r->rcpts[i].remote_mta);
	}
	free(r->rcpts);
	free(r->reporting_mta);
	free(r->envelope_id);
	free(r->arrival_date);
	free(r->forwarded_to);
	report_orig_free(&r->orig);
	memset(r, 0, sizeof *r);
}

enum dsn_class dsn_classify(const struct dsn_rcpt *rc)
{
	switch (rc->action) {
	case DSN_ACTION_DELIVERED:
	case DSN_ACTION_RELAYED:
	case DSN_ACTION_EXPANDED:
		return DSN_CLASS_DELIVERED;
	case DSN_ACTION_DELAYED:
		return DSN_CLASS_SOFT;
	case DSN_ACTION_FAILED:
		if (rc->status[0] == '5')
			return DSN_CLASS_HARD;
		if (rc->status[0] == '4')
			return DSN_CLASS_SOFT;
		return DSN_CLASS_UNKNOWN;
	case DSN_ACTION_UNKNOWN:
		break;
	}
	return DSN_CLASS_UNKNOWN;
}

const char *dsn_action_name(enum dsn_action a)
{
	switch (a) {
	case DSN_ACTION_FAILED:
		return "failed";
	case DSN_ACTION_DELAYED:
		return "delayed";
	case DSN_ACTION_DELIVERED:
		return "delivered";
	case DSN_ACTION_RELAYED:
		return "relayed";
	case DSN_ACTION_EXPANDED:
		return "expanded";
	case DSN_ACTION_UNKNOWN:
		break;
	}
	return "unknown";
}

const char *dsn_class_name(enum dsn_class c)
{
	switch (c) {
	case DSN_CLASS_HARD:
		return "hard";
	case DSN_CLASS_SOFT:
		return "soft";
	case DSN_CLASS_DELIVERED:
		return "delivered";
	case DSN_CLASS_UNKNOWN:
		break;
	}
	return "unknown";
}

const char *dsn_result_name(enum dsn_result r)
{
	switch (r) {
	case DSN_OK:
		return "ok";
	case DSN_NOT_DSN:
		return "not a DSN";
	case DSN_MALFORMED:
		return "malformed";
	}
	return "unknown";
}
