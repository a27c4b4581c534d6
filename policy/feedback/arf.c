/*
 * arf - abuse feedback reports; see arf.h.
 *
 * Diagnostics: none.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "arf.h"
#include "report.h"
#include "strbuf.h"
#include "xalloc.h"

#define ARF_GROUPS_MAX 8	/* the part is one group; a few strays are merged */

static const char *const arf_part_types[] = { "message/feedback-report", NULL };

static const struct {
	const char *name;
	enum arf_type type;
} arf_types[] = {
	{ "abuse", ARF_TYPE_ABUSE },	       { "fraud", ARF_TYPE_FRAUD },
	{ "virus", ARF_TYPE_VIRUS },	       { "other", ARF_TYPE_OTHER },
	{ "not-spam", ARF_TYPE_NOT_SPAM },     { "auth-failure", ARF_TYPE_AUTH_FAILURE },
};

/* The type named by the first word of v (ASCII case ignored). */
static enum arf_type arf_type_parse(const char *v)
{
	size_t i, n = strcspn(v, " (;");

	for (i = 0; i < sizeof arf_types / sizeof arf_types[0]; i++)
		if (n == strlen(arf_types[i].name) && strncasecmp(v, arf_types[i].name, n) == 0)
			return arf_types[i].type;
	return ARF_TYPE_UNKNOWN;
}

/* A new string: v with one pair of surrounding angle brackets removed. */
static char *arf_address(const char *v)
{
	size_t n = strlen(v);
	char *inner, *r;

	if (n < 2 || v[0] != '<' || v[n - 1] != '>')
		return report_strdup(v);
	inner = xstrndup(v + 1, n - 2);
	r = report_strdup(inner);	/* cleaned again: "< a >" leaves blanks */
	free(inner);
	return r;
}

/* Replaces *dst with a copy of v unless *dst is set already. */
static void arf_set_once(char **dst, const char *v, bool address)
{
	if (**dst != '\0')
		return;
	free(*dst);
	*dst = address ? arf_address(v) : report_strdup(v);
}

/* Takes one field into r. */
static void arf_field(struct arf_report *r, const char *name, const char *v)
{
	size_t before;

	if (strcasecmp(name, "Feedback-Type") == 0) {
		char *p;

		arf_set_once(&r->type_text, v, false);
		for (p = r->type_text; *p != '\0'; p++)
			if (*p >= 'A' && *p <= 'Z')
				*p = (char)(*p - 'A' + 'a');
	} else if (strcasecmp(name, "User-Agent") == 0) {
		arf_set_once(&r->user_agent, v, false);
	} else if (strcasecmp(name, "Version") == 0) {
		arf_set_once(&r->version, v, false);
	} else if (strcasecmp(name, "Original-Mail-From") == 0) {
		arf_set_once(&r->original_mail_from, v, true);
	} else if (strcasecmp(name, "Arrival-Date") == 0 ||
		   strcasecmp(name, "Received-Date") == 0) {
		arf_set_once(&r->arrival_date, v, false);
	} else if (strcasecmp(name, "Source-IP") == 0) {
		arf_set_once(&r->source_ip, v, false);
	} else if (strcasecmp(name, "Original-Rcpt-To") == 0) {
		char *a = arf_address(v);

		before = r->original_rcpt_to.n;
		report_list_add(&r->original_rcpt_to, a, ARF_LIST_MAX);
		r->truncated |= before == r->original_rcpt_to.n;
		free(a);
	} else if (strcasecmp(name, "Reported-Domain") == 0) {
		before = r->reported_domains.n;
		report_list_add(&r->reported_domains, v, ARF_LIST_MAX);
		r->truncated |= before == r->reported_domains.n;
	}
}

/* Sets every string of r to "". */
static void arf_report_init(struct arf_report *r)
{
	memset(r, 0, sizeof *r);
	r->type_text = report_strdup(NULL);
	r->user_agent = report_strdup(NULL);
	r->version = report_strdup(NULL);
	r->original_mail_from = report_strdup(NULL);
	r->arrival_date = report_strdup(NULL);
	r->source_ip = report_strdup(NULL);
}

enum arf_result arf_parse(const char *msg, size_t len, struct arf_report *r)
{
	enum arf_result res = ARF_NOT_ARF;
	struct report_fields f;
	struct report_msg rm;
	size_t i, j;

	arf_report_init(r);
	if (report_find(msg, len, arf_part_types, &rm)) {
		report_fields_parse(strbuf_cstr(&rm.part), rm.part.len, ARF_GROUPS_MAX, &f);
		for (i = 0; i < f.n; i++)
			for (j = 0; j < f.groups[i].n; j++)
				arf_field(r, f.groups[i].v[j].name, f.groups[i].v[j].value);
		r->truncated |= f.truncated || rm.part_truncated || rm.input_truncated;
		r->type = arf_type_parse(r->type_text);
		res = r->type_text[0] != '\0' ? ARF_OK : ARF_MALFORMED;
		report_fields_free(&f);
	}
	r->orig = rm.orig;	/* moved: every string "" when absent */
	memset(&rm.orig, 0, sizeof rm.orig);
	report_msg_free(&rm);
	return res;
}

void arf_report_free(struct arf_report *r)
{
	if (r == NULL)
		return;
	free(r->type_text);
	free(r->user_agent);
	free(r->version);
	free(r->original_mail_from);
	free(r->arrival_date);
	free(r->source_ip);
	report_list_free(&r->original_rcpt_to);
	report_list_free(&r->reported_domains);
	report_orig_free(&r->orig);
	memset(r, 0, sizeof *r);
}

bool arf_type_is_complaint(enum arf_type t)
{
	return t != ARF_TYPE_NOT_SPAM && t != ARF_TYPE_AUTH_FAILURE;
}

const char *arf_type_name(enum arf_type t)
{
	size_t i;

	for (i = 0; i < sizeof arf_types / sizeof arf_types[0]; i++)
		if (arf_types[i].type == t)
			return arf_types[i].name;
	return "unknown";
}

const char *arf_result_name(enum arf_result r)
{
	switch (r) {
	case ARF_OK:
		return "ok";
	case ARF_NOT_ARF:
		return "not ARF";
	case ARF_MALFORMED:
		return "malformed";
	}
	return "unknown";
}
