/*
 * test_arf - unit tests for policy/feedback/arf.c: feedback reports in the shapes
 * mailbox providers send (a minimal RFC 5965 report, Yahoo and AOL style,
 * a Microsoft JMRP-like report with a base64 part, an RFC 6591
 * auth-failure report, several recipients with folded lower-case fields
 * and CRLF) under tests/unit/fixtures/arf, each also with CRLF line
 * ends; the feedback types; an old-style forwarded complaint and a DSN,
 * which are not ARF; and hostile input: missing parts, wrong types,
 * garbled fields, 8-bit junk, long lists, huge input and thousands of
 * damaged copies of every fixture.
 *
 * Table rows are named after the behaviour they pin down; main() turns
 * every row into its own cmocka test.
 *
 * Diagnostics: a failing case prints "got X, want Y".
 */
#include "autoconf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "arf.h"
#include "mime_count.h"
#include "report.h"
#include "strbuf.h"

#include "reportfix.h"

static int group_setup(void **state)
{
	mime_count_init();
	return 0;
}

static void expect_str(const char *what, const char *got, const char *want)
{
	if (want != NULL && strcmp(got, want) != 0)
		fail_msg("%s: got \"%s\", want \"%s\"", what, got, want);
}

/* Fails unless l holds exactly the entries of want (NULL-terminated). */
static void expect_list(const char *what, const struct report_list *l,
			const char *const *want)
{
	size_t n = 0;

	while (want[n] != NULL)
		n++;
	if (l->n != n)
		fail_msg("%s: got %zu entries, want %zu", what, l->n, n);
	for (n = 0; want[n] != NULL; n++)
		expect_str(what, l->v[n], want[n]);
}

/* Fails unless every string of r is clean (reportfix_expect_clean). */
static void expect_arf_clean(const struct arf_report *r)
{
	size_t i;

	reportfix_expect_clean("Feedback-Type", r->type_text);
	reportfix_expect_clean("User-Agent", r->user_agent);
	reportfix_expect_clean("Version", r->version);
	reportfix_expect_clean("Original-Mail-From", r->original_mail_from);
	reportfix_expect_clean("Arrival-Date", r->arrival_date);
	reportfix_expect_clean("Source-IP", r->source_ip);
	reportfix_expect_clean("orig Message-ID", r->orig.message_id);
	reportfix_expect_clean("orig From", r->orig.from);
	reportfix_expect_clean("orig To", r->orig.to);
	reportfix_expect_clean("orig Subject", r->orig.subject);
	reportfix_expect_clean("orig Return-Path", r->orig.return_path);
	reportfix_expect_clean("orig List-Unsubscribe", r->orig.list_unsubscribe);
	if (r->original_rcpt_to.n > ARF_LIST_MAX || r->reported_domains.n > ARF_LIST_MAX)
		fail_msg("lists: got %zu and %zu entries, want at most %d each",
			 r->original_rcpt_to.n, r->reported_domains.n, ARF_LIST_MAX);
	for (i = 0; i < r->original_rcpt_to.n; i++)
		reportfix_expect_clean("Original-Rcpt-To", r->original_rcpt_to.v[i]);
	for (i = 0; i < r->reported_domains.n; i++)
		reportfix_expect_clean("Reported-Domain", r->reported_domains.v[i]);
}

/* ---- realistic reports ---------------------------------------------------------- */

struct fixture_case {
	const char *name;
	const char *file;
	enum arf_result want;
	enum arf_type type;
	const char *user_agent;
	const char *version;
	const char *mail_from;
	const char *arrival_date;
	const char *source_ip;
	const char *rcpts[4];		/* NULL-terminated */
	const char *domains[3];		/* NULL-terminated */
	const char *orig_message_id;
	const char *orig_to;
	const char *orig_return_path;
	const char *orig_list_unsubscribe;
	const char *orig_subject;
};

#define VERP_A "b-cefdiwlygjvvimdqkf5ge33cibsxqylnobwgkltpojtq-2c6jg7ox3o@example.com"
#define VERP_C "b-cafdiwlygjvvimdqkf5a-bekg24lqnu@example.com"
#define UNSUB_MAILTO "<mailto:u-decgcy3nmvrg6ysamv4gc3lqnrss433sm4-n5iimgvh32@example.com>"
#define UNSUB_URL "<https://unsub.example.com/u/u-dufwk6dbnvygyzjomnxw2bdbmnwwkytpmjagk6dbnvygy" \
		  "zjon5zgo-hyegvq7vez>"

static const struct fixture_case fixture_cases[] = {
	{ "reads_minimal_report", "arf/minimal.eml", ARF_OK, ARF_TYPE_ABUSE,
	  "SomeGenerator/1.0", "1", "", "", "", { NULL }, { NULL },
	  "<20241118091200.ord1234@example.com>", "<customer@isp.example.net>", "", "",
	  "Your order 1234 has shipped" },
	{ "reads_yahoo_style_report", "arf/yahoo.eml", ARF_OK, ARF_TYPE_ABUSE,
	  "Yahoo!-Mail-Feedback/2.0", "0.1", VERP_C, "Mon, 18 Nov 2024 09:12:02 +0000",
	  "203.0.113.5", { "redacted@yahoo.com", NULL }, { "example.com", NULL },
	  "<bulk-88@example.com>", "redacted@yahoo.com", "<" VERP_C ">",
	  "<mailto:u-ckpcnz4pyrn43ya-6ho7ukauf3@example.com>, " UNSUB_URL, "Weekly digest" },
	{ "reads_aol_style_report", "arf/aol.eml", ARF_OK, ARF_TYPE_ABUSE, "AOL SComp", "0.1", "",
	  "Mon, 18 Nov 2024 09:12:02 -0500", "203.0.113.5", { NULL }, { "example.com", NULL },
	  "<promo-2024-11@example.com>", "redacted@aol.com",
	  "<b-cifdiwlygjvvimdqkf5dh3lgir7harkw-fwuptoahrs@example.com>", UNSUB_MAILTO,
	  "Sommerschlussverkauf" },
	{ "reads_jmrp_style_report_with_base64_part", "arf/jmrp.eml", ARF_OK, ARF_TYPE_ABUSE,
	  "JMRP/1.0", "1", VERP_A, "Mon, 18 Nov 2024 09:12:03 +0000", "203.0.113.5", { NULL },
	  { "example.com", NULL }, "<20241118091200.ord1234@example.com>",
	  "<masked@outlook.com>", "<" VERP_A ">", UNSUB_MAILTO ", " UNSUB_URL,
	  "Your order 1234 has shipped" },
	{ "reads_auth_failure_report", "arf/auth_failure.eml", ARF_OK, ARF_TYPE_AUTH_FAILURE,
	  "Receiver-Forensics/2.3", "1", "spoofer@198-51-100-99.example.net",
	  "Mon, 18 Nov 2024 14:59:01 +0000", "198.51.100.99",
	  { "victim@receiver.example.net", NULL }, { "example.com", NULL },
	  "<forged-1@198-51-100-99.example.net>", "victim@receiver.example.net", "", "", NULL },
	{ "reads_several_recipients_and_folded_lower_case_fields", "arf/several_rcpts.eml",
	  ARF_OK, ARF_TYPE_ABUSE, "Provider-FBL/3.1 (build 2024.11)", "1", VERP_C,
	  "Mon, 18 Nov 2024 09:12:02 +0000", "2001:db8::25",
	  { "first@provider.example.net", "second@provider.example.net",
	    "third@provider.example.net", NULL },
	  { "example.com", "news.example.com", NULL }, "<bulk-88@example.com>",
	  "undisclosed-recipients:;", "", "", "Weekly digest" },
	{ "calls_legacy_forwarded_complaint_not_arf", "arf/jmrp_legacy.eml", ARF_NOT_ARF,
	  ARF_TYPE_UNKNOWN, "", "", "", "", "", { NULL }, { NULL }, "", "", "", "", "" },
	{ "calls_bounce_not_arf", "dsn/postfix_hard.eml", ARF_NOT_ARF, ARF_TYPE_UNKNOWN, "", "",
	  "", "", "", { NULL }, { NULL }, "", "", "", "", "" },
};

static void check_fixture(const struct fixture_case *c, const char *msg, size_t len)
{
	struct arf_report r;
	enum arf_result got = arf_parse(msg, len, &r);

	if (got != c->want)
		fail_msg("%s: got %s, want %s", c->file, arf_result_name(got),
			 arf_result_name(c->want));
	expect_arf_clean(&r);
	if (r.type != c->type)
		fail_msg("type: got %s (\"%s\"), want %s", arf_type_name(r.type), r.type_text,
			 arf_type_name(c->type));
	expect_str("User-Agent", r.user_agent, c->user_agent);
	expect_str("Version", r.version, c->version);
	expect_str("Original-Mail-From", r.original_mail_from, c->mail_from);
	expect_str("Arrival-Date", r.arrival_date, c->arrival_date);
	expect_str("Source-IP", r.source_ip, c->source_ip);
	expect_list("Original-Rcpt-To", &r.original_rcpt_to, c->rcpts);
	expect_list("Reported-Domain", &r.reported_domains, c->domains);
	expect_str("orig Message-ID", r.orig.message_id, c->orig_message_id);
	expect_str("orig To", r.orig.to, c->orig_to);
	expect_str("orig Return-Path", r.orig.return_path, c->orig_return_path);
	expect_str("orig List-Unsubscribe", r.orig.list_unsubscribe, c->orig_list_unsubscribe);
	expect_str("orig Subject", r.orig.subject, c->orig_subject);
	if (r.truncated || r.orig.present != (c->want == ARF_OK))
		fail_msg("got truncated %d, orig.present %d; want false, %d", r.truncated,
			 r.orig.present, c->want == ARF_OK);
	arf_report_free(&r);
}

static void run_fixture_case(void **state)
{
	const struct fixture_case *c = *state;
	size_t len, crlf_len;
	char *msg = reportfix_load(c->file, &len), *crlf = reportfix_crlf(msg, len, &crlf_len);

	check_fixture(c, msg, len);
	check_fixture(c, crlf, crlf_len);
	free(msg);
	free(crlf);
}

/* ---- feedback types and field syntax -------------------------------------------- */

struct built_case {
	const char *name;
	const char *part_type;
	const char *cte;
	const char *body;
	enum arf_result want;
	enum arf_type type;
	const char *type_text;
	bool complaint;
};

static const struct built_case built_cases[] = {
	{ "reads_abuse", "message/feedback-report", NULL, "Feedback-Type: abuse\n", ARF_OK,
	  ARF_TYPE_ABUSE, "abuse", true },
	{ "reads_fraud", "message/feedback-report", NULL, "Feedback-Type: fraud\n", ARF_OK,
	  ARF_TYPE_FRAUD, "fraud", true },
	{ "reads_virus", "message/feedback-report", NULL, "Feedback-Type: virus\n", ARF_OK,
	  ARF_TYPE_VIRUS, "virus", true },
	{ "reads_other", "message/feedback-report", NULL, "Feedback-Type: other\n", ARF_OK,
	  ARF_TYPE_OTHER, "other", true },
	{ "reads_not_spam_as_no_complaint", "message/feedback-report", NULL,
	  "Feedback-Type: not-spam\n", ARF_OK, ARF_TYPE_NOT_SPAM, "not-spam", false },
	{ "reads_type_in_any_case", "message/feedback-report", NULL, "FEEDBACK-TYPE: Abuse\n",
	  ARF_OK, ARF_TYPE_ABUSE, "abuse", true },
	{ "reads_type_with_comment", "message/feedback-report", NULL,
	  "Feedback-Type: abuse (user clicked spam)\n", ARF_OK, ARF_TYPE_ABUSE,
	  "abuse (user clicked spam)", true },
	{ "keeps_unknown_type_as_complaint", "message/feedback-report", NULL,
	  "Feedback-Type: opt-out\n", ARF_OK, ARF_TYPE_UNKNOWN, "opt-out", true },
	{ "keeps_first_of_repeated_types", "message/feedback-report", NULL,
	  "Feedback-Type: not-spam\nFeedback-Type: abuse\n", ARF_OK, ARF_TYPE_NOT_SPAM,
	  "not-spam", false },
	{ "merges_fields_split_by_blank_line", "message/feedback-report", NULL,
	  "User-Agent: x/1\n\n\nFeedback-Type: virus\n", ARF_OK, ARF_TYPE_VIRUS, "virus", true },
	{ "reads_quoted_printable_part", "message/feedback-report", "quoted-printable",
	  "Feedback-=\nType: fra=75d\n", ARF_OK, ARF_TYPE_FRAUD, "fraud", true },
	{ "calls_missing_type_malformed", "message/feedback-report", NULL,
	  "User-Agent: x/1\nVersion: 1\n", ARF_MALFORMED, ARF_TYPE_UNKNOWN, "", true },
	{ "calls_empty_type_malformed", "message/feedback-report", NULL, "Feedback-Type:\n",
	  ARF_MALFORMED, ARF_TYPE_UNKNOWN, "", true },
	{ "calls_empty_part_malformed", "message/feedback-report", NULL, "", ARF_MALFORMED,
	  ARF_TYPE_UNKNOWN, "", true },
	{ "calls_text_part_not_arf", "text/plain", NULL, "Feedback-Type: abuse\n", ARF_NOT_ARF,
	  ARF_TYPE_UNKNOWN, "", true },
	{ "calls_delivery_status_not_arf", "message/delivery-status", NULL,
	  "Feedback-Type: abuse\n", ARF_NOT_ARF, ARF_TYPE_UNKNOWN, "", true },
};

static void run_built_case(void **state)
{
	const struct built_case *c = *state;
	struct strbuf m = STRBUF_INIT;
	struct arf_report r;
	enum arf_result got;

	reportfix_build(&m, "feedback-report", c->part_type, c->cte, c->body, "message/rfc822",
			"Message-ID: <orig@example.com>\nFrom: shop@example.com\n\nbody\n");
	got = arf_parse(m.data, m.len, &r);
	if (got != c->want)
		fail_msg("got %s, want %s", arf_result_name(got), arf_result_name(c->want));
	expect_arf_clean(&r);
	expect_str("type text", r.type_text, c->type_text);
	if (r.type != c->type || arf_type_is_complaint(r.type) != c->complaint)
		fail_msg("got %s (complaint %d), want %s (%d)", arf_type_name(r.type),
			 arf_type_is_complaint(r.type), arf_type_name(c->type), c->complaint);
	if (got != ARF_NOT_ARF)
		expect_str("orig Message-ID", r.orig.message_id, "<orig@example.com>");
	arf_report_free(&r);
	strbuf_free(&m);
}

/* ---- hostile input -------------------------------------------------------------- */

static enum arf_result parse_clean(const char *m, size_t len, struct arf_report *r)
{
	enum arf_result got = arf_parse(m, len, r);

	if (got != ARF_OK && got != ARF_NOT_ARF && got != ARF_MALFORMED)
		fail_msg("got result %d, want a known one", (int)got);
	expect_arf_clean(r);
	return got;
}

static void keeps_first_100_of_500_recipients(void **state)
{
	struct strbuf body = STRBUF_INIT, m = STRBUF_INIT;
	struct arf_report r;
	size_t i;

	strbuf_appends(&body, "Feedback-Type: abuse\n");
	for (i = 0; i < 500; i++)
		strbuf_appendf(&body, "Original-Rcpt-To: <r%zu@example.org>\n"
				      "Reported-Domain: d%zu.example\n", i, i);
	reportfix_build(&m, "feedback-report", "message/feedback-report", NULL, body.data, NULL,
			NULL);
	assert_int_equal(parse_clean(m.data, m.len, &r), ARF_OK);
	if (r.original_rcpt_to.n != ARF_LIST_MAX || r.reported_domains.n != ARF_LIST_MAX ||
	    !r.truncated)
		fail_msg("got %zu recipients, %zu domains, truncated %d; want %d, %d, truncated",
			 r.original_rcpt_to.n, r.reported_domains.n, r.truncated, ARF_LIST_MAX,
			 ARF_LIST_MAX);
	expect_str("last recipient kept", r.original_rcpt_to.v[ARF_LIST_MAX - 1],
		   "r99@example.org");
	arf_report_free(&r);
	strbuf_free(&body);
	strbuf_free(&m);
}

static void cleans_8bit_junk_in_fields_and_headers(void **state)
{
	struct strbuf m = STRBUF_INIT;
	struct arf_report r;

	reportfix_build(&m, "feedback-report", "message/feedback-report", "8bit",
			"Feedback-Type: abuse\nUser-Agent: Bad\xff\xfe\x01" "Agent/1\x7f\n"
			"Source-IP: 192.0.2.1\x1b[31m\n",
			"text/rfc822-headers",
			"Message-ID: <\xff\xfe@example.com>\nSubject: \x01\x02 caf\xe9\n");
	assert_int_equal(parse_clean(m.data, m.len, &r), ARF_OK);
	expect_str("User-Agent", r.user_agent, "Bad?? Agent/1");
	expect_str("Source-IP", r.source_ip, "192.0.2.1 [31m");
	arf_report_free(&r);
	strbuf_free(&m);
}

static void reads_report_before_huge_returned_message(void **state)
{
	struct strbuf m = STRBUF_INIT, orig = STRBUF_INIT;
	struct arf_report r;
	size_t i;

	strbuf_appends(&orig, "Message-ID: <big@example.com>\nReturn-Path: <" VERP_A ">\n\n");
	for (i = 0; i < 3 * 1024 * 1024 / 32; i++)
		strbuf_appends(&orig, "Spam spam spam spam spam spam.\n");
	reportfix_build(&m, "feedback-report", "message/feedback-report", NULL,
			"Feedback-Type: abuse\nUser-Agent: x/1\nVersion: 1\n", "message/rfc822",
			orig.data);
	assert_int_equal(parse_clean(m.data, m.len, &r), ARF_OK);
	expect_str("orig Return-Path", r.orig.return_path, "<" VERP_A ">");
	if (!r.truncated)
		fail_msg("truncated: got false, want true for %zu bytes", m.len);
	arf_report_free(&r);
	strbuf_free(&m);
	strbuf_free(&orig);
}

static void reads_report_without_returned_message(void **state)
{
	struct strbuf m = STRBUF_INIT;
	struct arf_report r;

	reportfix_build(&m, "feedback-report", "message/feedback-report", NULL,
			"Feedback-Type: abuse\n", NULL, NULL);
	assert_int_equal(parse_clean(m.data, m.len, &r), ARF_OK);
	if (r.orig.present)
		fail_msg("orig.present: got true, want false");
	arf_report_free(&r);
	strbuf_free(&m);
}

static void mutate_one(const char *msg, size_t len, void *arg)
{
	struct arf_report r;

	(void)parse_clean(msg, len, &r);
	arf_report_free(&r);
	(*(size_t *)arg)++;
}

static void survives_damaged_copies_of_every_fixture(void **state)
{
	size_t i, runs = 0;

	for (i = 0; i < ARRAY_SIZE(fixture_cases); i++) {
		size_t len;
		char *msg = reportfix_load(fixture_cases[i].file, &len);

		reportfix_mutate(msg, len, 29, mutate_one, &runs);
		free(msg);
	}
	if (runs < 2000)
		fail_msg("damaged copies: got %zu, want at least 2000", runs);
}

static void survives_odd_messages(void **state)
{
	static const char *const msgs[] = {
		"",
		"\n\n\n",
		"Content-Type: multipart/report; report-type=feedback-report\n\nno boundary\n",
		"Content-Type: multipart/report; boundary=b\n\n--b\n"
		"Content-Type: message/feedback-report\n",
		"Content-Type: multipart/report; boundary=b\n\n--b\n"
		"Content-Type: message/feedback-report\n\nFeedback-Type: abuse",
		"Content-Type: multipart/report; boundary=b\n\n--b\n"
		"Content-Type: message/feedback-report; charset=\"\n\n:\n::\n: :\n \n\t\n",
		"Content-Type: multipart/report; boundary=b\n\n--b\n"
		"Content-Type: message/feedback-report\nContent-Transfer-Encoding: base64\n\n"
		"!!!!not base64!!!!\n--b\nContent-Type: message/rfc822\n\n--b--\n",
	};
	struct arf_report r;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(msgs); i++) {
		(void)parse_clean(msgs[i], strlen(msgs[i]), &r);
		arf_report_free(&r);
	}
}

static void names_types_and_results(void **state)
{
	expect_str("type", arf_type_name(ARF_TYPE_NOT_SPAM), "not-spam");
	expect_str("type", arf_type_name(ARF_TYPE_AUTH_FAILURE), "auth-failure");
	expect_str("type", arf_type_name(ARF_TYPE_UNKNOWN), "unknown");
	expect_str("result", arf_result_name(ARF_NOT_ARF), "not ARF");
	expect_str("result", arf_result_name((enum arf_result)99), "unknown");
	if (arf_type_is_complaint(ARF_TYPE_AUTH_FAILURE) || !arf_type_is_complaint(ARF_TYPE_ABUSE))
		fail_msg("complaint: got auth-failure yes or abuse no, want the reverse");
	arf_report_free(NULL);
}

static const struct CMUnitTest other_tests[] = {
	cmocka_unit_test(keeps_first_100_of_500_recipients),
	cmocka_unit_test(cleans_8bit_junk_in_fields_and_headers),
	cmocka_unit_test(reads_report_before_huge_returned_message),
	cmocka_unit_test(reads_report_without_returned_message),
	cmocka_unit_test(survives_damaged_copies_of_every_fixture),
	cmocka_unit_test(survives_odd_messages),
	cmocka_unit_test(names_types_and_results),
};

static struct CMUnitTest row_test(const char *name, CMUnitTestFunction fn, const void *row)
{
	struct CMUnitTest t = { name, fn, NULL, NULL, (void *)row };

	return t;
}

int main(void)
{
	struct CMUnitTest tests[ARRAY_SIZE(fixture_cases) + ARRAY_SIZE(built_cases) +
			       ARRAY_SIZE(other_tests)];
	size_t i, n = 0;

	for (i = 0; i < ARRAY_SIZE(fixture_cases); i++)
		tests[n++] = row_test(fixture_cases[i].name, run_fixture_case, &fixture_cases[i]);
	for (i = 0; i < ARRAY_SIZE(built_cases); i++)
		tests[n++] = row_test(built_cases[i].name, run_built_case, &built_cases[i]);
	for (i = 0; i < ARRAY_SIZE(other_tests); i++)
		tests[n++] = other_tests[i];
	return cmocka_run_group_tests_name("arf", tests, group_setup, NULL);
}
