/*
 * test_dsn - unit tests for policy/feedback/dsn.c (and the report parsing it
 * shares with ARF, policy/feedback/report.c and report_mime.c): realistic DSNs from
 * Postfix, Sendmail, Exim and Gmail under tests/unit/fixtures/dsn, each
 * also with CRLF line ends; sloppy but real-world field syntax; mail that
 * is not a DSN; the classification into hard, soft and delivered; and
 * hostile input: missing or wrong parts, garbled fields, 8-bit junk and
 * NUL bytes, huge messages, values and recipient lists, deep nesting, and
 * thousands of damaged copies of every fixture.  Under the sanitizer
 * build these also show that nothing leaks or reads out of bounds.
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

#include "dsn.h"
#include "mime_count.h"
#include "report.h"
#include "strbuf.h"

#include "reportfix.h"

static int group_setup(void **state)
{
	mime_count_init();
	return 0;
}

/* Fails unless every string of r is clean (reportfix_expect_clean). */
static void expect_dsn_clean(const struct dsn_report *r)
{
	size_t i;

	reportfix_expect_clean("Reporting-MTA", r->reporting_mta);
	reportfix_expect_clean("Original-Envelope-Id", r->envelope_id);
	reportfix_expect_clean("Arrival-Date", r->arrival_date);
	reportfix_expect_clean("orig Message-ID", r->orig.message_id);
	reportfix_expect_clean("orig From", r->orig.from);
	reportfix_expect_clean("orig To", r->orig.to);
	reportfix_expect_clean("orig Subject", r->orig.subject);
	reportfix_expect_clean("orig Return-Path", r->orig.return_path);
	reportfix_expect_clean("orig List-Unsubscribe", r->orig.list_unsubscribe);
	if (r->n_rcpts > DSN_RCPT_MAX)
		fail_msg("recipients: got %zu, want at most %d", r->n_rcpts, DSN_RCPT_MAX);
	for (i = 0; i < r->n_rcpts; i++) {
		reportfix_expect_clean("Final-Recipient", r->rcpts[i].final_recipient);
		reportfix_expect_clean("Original-Recipient", r->rcpts[i].original_recipient);
		reportfix_expect_clean("Diagnostic-Code", r->rcpts[i].diagnostic);
		reportfix_expect_clean("Remote-MTA", r->rcpts[i].remote_mta);
		reportfix_expect_clean("Status", r->rcpts[i].status);
	}
}

static void expect_str(const char *what, const char *got, const char *want)
{
	if (want != NULL && strcmp(got, want) != 0)
		fail_msg("%s: got \"%s\", want \"%s\"", what, got, want);
}

/* ---- realistic DSNs ------------------------------------------------------------ */

struct rcpt_want {
	const char *final;
	const char *original;
	enum dsn_action action;
	const char *status;
	enum dsn_class cls;
	const char *diagnostic;
	const char *remote_mta;
};

struct fixture_case {
	const char *name;
	const char *file;
	enum dsn_result want;
	const char *reporting_mta;
	const char *arrival_date;
	const char *orig_message_id;
	const char *orig_return_path;
	const char *orig_to;
	const char *orig_subject;
	size_t n;
	struct rcpt_want r[3];
};

#define VERP_A "<b-cefdiwlygjvvimdqkf5ge33cibsxqylnobwgkltpojtq-2c6jg7ox3o@example.com>"

static const struct fixture_case fixture_cases[] = {
	{ "reads_postfix_hard_bounce", "dsn/postfix_hard.eml", DSN_OK, "mx1.example.com",
	  "Mon, 18 Nov 2024 09:12:02 +0000 (UTC)", "<20241118091200.ord1234@example.com>",
	  VERP_A, "nobody@example.org", "Your order 1234 has shipped", 1,
	  { { "nobody@example.org", "nobody@example.org", DSN_ACTION_FAILED, "5.1.1",
	      DSN_CLASS_HARD, "550 5.1.1 <nobody@example.org>: Recipient address rejected: "
			      "User unknown in virtual mailbox table", "mx.example.org" } } },
	{ "reads_postfix_delay_warning_with_header_part", "dsn/postfix_delayed.eml", DSN_OK,
	  "mx1.example.com", NULL, "<weekly-2024-47@example.com>",
	  "<b-cafdiwlygjvvimdqkf5a-bekg24lqnu@example.com>", "slow@example.net, other@example.net",
	  "Wochen\xc3\xbc" "bersicht", 1,
	  { { "slow@example.net", "slow@example.net", DSN_ACTION_DELAYED, "4.4.1", DSN_CLASS_SOFT,
	      "connect to mx.example.net[192.0.2.50]:25: Connection timed out", "" } } },
	{ "reads_postfix_success_report", "dsn/postfix_relayed.eml", DSN_OK, "mx1.example.com",
	  NULL, "<20241118091200.ord1234@example.com>", "", "bob@example.org", NULL, 2,
	  { { "bob@example.org", "bob@example.org", DSN_ACTION_RELAYED, "2.0.0",
	      DSN_CLASS_DELIVERED, "250 2.0.0 Ok: queued as 4Yx2kW1n3Lz9", "mx.example.org" },
	    { "carol@example.org", "", DSN_ACTION_DELIVERED, "2.0.0", DSN_CLASS_DELIVERED,
	      "delivered to mailbox", "" } } },
	{ "reads_postfix_bounce_of_three_recipients", "dsn/postfix_mixed.eml", DSN_OK,
	  "mx1.example.com", NULL, "<bulk-88@example.com>", "", NULL, "Weekly digest", 3,
	  { { "full@example.org", "full@example.org", DSN_ACTION_FAILED, "5.2.2", DSN_CLASS_HARD,
	      "552 5.2.2 Mailbox full", "mx.example.org" },
	    { "gone@example.net", "gone@example.net", DSN_ACTION_FAILED, "5.1.1", DSN_CLASS_HARD,
	      "550 5.1.1 No such user", "mx.example.net" },
	    { "later@example.net", "later@example.net", DSN_ACTION_DELAYED, "4.7.1",
	      DSN_CLASS_SOFT, "451 4.7.1 Try again later", "mx.example.net" } } },
	{ "reads_sendmail_bounce_with_upper_case_types", "dsn/sendmail_hard.eml", DSN_OK,
	  "relay.example.net", "Mon, 18 Nov 2024 09:12:02 GMT", "<reset-77@example.com>",
	  "<b-cifdiwlygjvvimdqkf5dh3lgir7harkw-fwuptoahrs@example.com>",
	  "Jonathan Smith-Jones <Jonathan.Smith-Jones@mail.example.org>", "Reset your password", 1,
	  { { "Jonathan.Smith-Jones@mail.example.org", "", DSN_ACTION_FAILED, "5.1.1",
	      DSN_CLASS_HARD, "550 5.1.1 <Jonathan.Smith-Jones@mail.example.org>... User unknown",
	      "mx.mail.example.org" } } },
	{ "reads_exim_bounce", "dsn/exim_hard.eml", DSN_OK, "mail.example.net", "",
	  "<invoice-5521@example.com>", VERP_A, "alice@example.org", "Invoice 5521", 1,
	  { { "alice@example.org", "", DSN_ACTION_FAILED, "5.0.0", DSN_CLASS_HARD,
	      "550 5.1.1 <alice@example.org>: Recipient address rejected: User unknown",
	      "mx.example.org" } } },
	{ "reads_gmail_bounce_behind_related_html_part", "dsn/gmail_hard.eml", DSN_OK,
	  "googlemail.com", NULL, "<20241118091200.ord1234@example.com>", VERP_A,
	  "someone@example.org", NULL, 1,
	  { { "someone@example.org", "", DSN_ACTION_FAILED, "5.1.1", DSN_CLASS_HARD, NULL,
	      "mx.example.org. (192.0.2.40, the server for the domain example.org.)" } } },
	{ "reads_utf8_global_dsn", "dsn/global_utf8.eml", DSN_OK, "mx.example.de", NULL,
	  "<utf8-1@example.com>", "", "j\xc3\xb6rg@b\xc3\xbc" "cher.example.de",
	  "Gr\xc3\xbc\xc3\x9f" "e", 1,
	  { { "j\xc3\xb6rg@b\xc3\xbc" "cher.example.de", "j\xc3\xb6rg@b\xc3\xbc" "cher.example.de",
	      DSN_ACTION_FAILED, "5.2.1", DSN_CLASS_HARD,
	      "550 5.2.1 Postfach von j\xc3\xb6rg ist gesperrt", "" } } },
	/* shapes real MTAs send besides RFC 3464 (written for these tests) */
	{ "reads_exchange_style_failure_with_odd_case_names", "dsn/exchange_failure.eml", DSN_OK,
	  "AM0PR01MB1234.eurprd01.prod.outlook.example.net", "Mon, 18 Nov 2024 09:12:03 +0000",
	  "<20241118091200.ord1234@example.com>", VERP_A, "nobody@example.org",
	  "Your order 1234 has shipped", 1,
	  { { "nobody@example.org", "", DSN_ACTION_FAILED, "5.1.10", DSN_CLASS_HARD,
	      "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient nobody@example.org not found "
	      "by SMTP address lookup", "" } } },
	{ "reads_qmail_style_status_part_in_multipart_mixed_with_basic_code",
	  "dsn/qmail_embedded.eml", DSN_OK, "mail.example.net", "",
	  "<20241118091200.ord1234@example.com>", VERP_A, "nobody@example.net", NULL, 1,
	  { { "nobody@example.net", "", DSN_ACTION_FAILED, "5.0.0", DSN_CLASS_HARD,
	      "553 sorry, that domain isn't in my list of allowed rcpthosts", "192.0.2.60" } } },
	{ "reads_gmail_style_delay_with_folded_diagnostic", "dsn/gmail_delayed.eml", DSN_OK,
	  "googlemail.com", "Mon, 18 Nov 2024 09:12:02 -0800 (PST)",
	  "<20241118091200.ord1234@example.com>", VERP_A, "slow@example.org", NULL, 1,
	  { { "slow@example.org", "", DSN_ACTION_DELAYED, "4.4.1", DSN_CLASS_SOFT,
	      "The recipient server did not accept our requests to connect. [mx.example.org. "
	      "192.0.2.41: timed out]", "" } } },
	{ "reads_dsn_forwarded_inside_message_rfc822", "dsn/forwarded.eml", DSN_OK,
	  "mx1.example.net", NULL, "<20241118091200.ord1234@example.com>", "", "gone@example.org",
	  NULL, 1,
	  { { "gone@example.org", "gone@example.org", DSN_ACTION_FAILED, "5.1.1", DSN_CLASS_HARD,
	      "550 5.1.1 <gone@example.org>: User unknown", "mx.example.org" } } },
	{ "reads_cr_only_and_mixed_line_ends_with_upper_case_types", "dsn/cr_only.eml", DSN_OK,
	  "mx.example.net", "Mon, 18 Nov 2024 09:12:02 GMT", "<reset-77@example.com>", "", "",
	  "Reset your password", 1,
	  { { "closed@example.org", "", DSN_ACTION_FAILED, "5.2.1", DSN_CLASS_HARD,
	      "550 5.2.1 <closed@example.org>... Mailbox disabled for this recipient", "" } } },
	{ "calls_qmail_plain_text_bounce_not_a_dsn", "dsn/qmail_plain.eml", DSN_NOT_DSN, "",
	  "", "", "", "", "", 0, { { NULL } } },
	{ "calls_feedback_report_not_a_dsn", "arf/yahoo.eml", DSN_NOT_DSN, "", "", "", "", "", "",
	  0, { { NULL } } },
};

/* Checks one parse of a fixture against c. */
static void check_fixture(const struct fixture_case *c, const char *msg, size_t len)
{
	struct dsn_report r;
	enum dsn_result got = dsn_parse(msg, len, &r);
	size_t i;

	if (got != c->want)
		fail_msg("%s: got %s, want %s", c->file, dsn_result_name(got),
			 dsn_result_name(c->want));
	expect_dsn_clean(&r);
	expect_str("Reporting-MTA", r.reporting_mta, c->reporting_mta);
	expect_str("Arrival-Date", r.arrival_date, c->arrival_date);
	expect_str("orig Message-ID", r.orig.message_id, c->orig_message_id);
	expect_str("orig Return-Path", r.orig.return_path, c->orig_return_path);
	expect_str("orig To", r.orig.to, c->orig_to);
	expect_str("orig Subject", r.orig.subject, c->orig_subject);
	if (r.orig.present != (c->want == DSN_OK))
		fail_msg("orig.present: got %d, want %d", r.orig.present, c->want == DSN_OK);
	if (r.n_rcpts != c->n || r.truncated)
		fail_msg("recipients: got %zu (truncated %d), want %zu", r.n_rcpts, r.truncated,
			 c->n);
	for (i = 0; i < c->n; i++) {
		const struct dsn_rcpt *g = &r.rcpts[i];
		const struct rcpt_want *w = &c->r[i];

		expect_str("Final-Recipient", g->final_recipient, w->final);
		expect_str("Original-Recipient", g->original_recipient, w->original);
		expect_str("Status", g->status, w->status);
		expect_str("Diagnostic-Code", g->diagnostic, w->diagnostic);
		expect_str("Remote-MTA", g->remote_mta, w->remote_mta);
		if (g->action != w->action || dsn_classify(g) != w->cls || g->status_from_diagnostic)
			fail_msg("recipient %zu: got %s/%s (from diagnostic %d), want %s/%s", i,
				 dsn_action_name(g->action), dsn_class_name(dsn_classify(g)),
				 g->status_from_diagnostic, dsn_action_name(w->action),
				 dsn_class_name(w->cls));
	}
	dsn_report_free(&r);
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

/* ---- field syntax and structure ----------------------------------------------- */

struct built_case {
	const char *name;
	const char *report_type;
	const char *part_type;
	const char *cte;
	const char *body;
	enum dsn_result want;
	const char *final;	/* first recipient; NULL: not checked */
	const char *status;
	bool from_diag;
	enum dsn_class cls;
};

static const struct built_case built_cases[] = {
	{ "reads_fields_in_one_group", "delivery-status", "message/delivery-status", NULL,
	  "Reporting-MTA: dns; mx.example.net\nFinal-Recipient: rfc822; a@b.example\n"
	  "Action: failed\nStatus: 5.1.1\n",
	  DSN_OK, "a@b.example", "5.1.1", false, DSN_CLASS_HARD },
	{ "takes_status_from_enhanced_reply", "delivery-status", "message/delivery-status", NULL,
	  "Reporting-MTA: dns; mx\n\nFinal-Recipient: rfc822; a@b.example\nAction: failed\n"
	  "Diagnostic-Code: smtp; 550 5.1.1 no such user\n",
	  DSN_OK, "a@b.example", "5.1.1", true, DSN_CLASS_HARD },
	{ "takes_status_from_multiline_reply", "delivery-status", "message/delivery-status", NULL,
	  "Reporting-MTA: dns; mx\n\nFinal-Recipient: rfc822; a@b.example\nAction: failed\n"
	  "Status: 5.1\nDiagnostic-Code: smtp; 550-5.7.1 blocked\n 550 5.7.1 see url\n",
	  DSN_OK, "a@b.example", "5.7.1", true, DSN_CLASS_HARD },
	{ "takes_class_from_basic_reply", "delivery-status", "message/delivery-status", NULL,
	  "Reporting-MTA: dns; mx\n\nFinal-Recipient: rfc822; a@b.example\nAction: failed\n"
	  "Diagnostic-Code: smtp; 554 Message refused\n",
	  DSN_OK, "a@b.example", "5.0.0", true, DSN_CLASS_HARD },
	{ "calls_failure_with_temporary_reply_soft", "delivery-status",
	  "message/delivery-status", NULL,
	  "Reporting-MTA: dns; mx\n\nFinal-Recipient: rfc822; a@b.example\nAction: failed\n"
	  "Diagnostic-Code: smtp; 421 4.4.2 too slow\n",
	  DSN_OK, "a@b.example", "4.4.2", true, DSN_CLASS_SOFT },
	{ "calls_failure_without_any_code_unknown", "delivery-status", "message/delivery-status",
	  NULL,
	  "Reporting-MTA: dns; mx\n\nFinal-Recipient: rfc822; a@b.example\nAction: failed\n"
	  "Status: bogus\nDiagnostic-Code: X-Local; mailbox disabled\n",
	  DSN_OK, "a@b.example", "", false, DSN_CLASS_UNKNOWN },
	{ "ignores_comment_after_status", "delivery-status", "message/delivery-status", NULL,
	  "Reporting-MTA: dns; mx\n\nFinal-Recipient: rfc822; a@b.example\nAction: failed\n"
	  "Status: 5.7.1 (delivery not authorized)\n",
	  DSN_OK, "a@b.example", "5.7.1", false, DSN_CLASS_HARD },
	{ "refuses_status_with_bad_class", "delivery-status", "message/delivery-status", NULL,
	  "Reporting-MTA: dns; mx\n\nFinal-Recipient: rfc822; a@b.example\nAction: failed\n"
	  "Status: 6.1.1\n",
	  DSN_OK, "a@b.example", "", false, DSN_CLASS_UNKNOWN },
	{ "refuses_status_with_long_detail", "delivery-status", "message/delivery-status", NULL,
	  "Reporting-MTA: dns; mx\n\nFinal-Recipient: rfc822; a@b.example\nAction: failed\n"
	  "Status: 5.1.1000\n",
	  DSN_OK, "a@b.example", "", false, DSN_CLASS_UNKNOWN },
	{ "reads_names_in_any_case_and_blank_before_colon", "delivery-status",
	  "message/delivery-status", NULL,
	  "REPORTING-MTA: dns; mx\n\nfinal-recipient : RFC822;<A@B.example>\nACTION: FAILED\n"
	  "status:\t5.2.2\n",
	  DSN_OK, "A@B.example", "5.2.2", false, DSN_CLASS_HARD },
	{ "reads_address_without_type", "delivery-status", "message/delivery-status", NULL,
	  "Reporting-MTA: mx\n\nFinal-Recipient: a@b.example\nAction: delayed\n",
	  DSN_OK, "a@b.example", "", false, DSN_CLASS_SOFT },
	{ "reads_folded_address", "delivery-status", "message/delivery-status", NULL,
	  "Reporting-MTA: dns; mx\n\nFinal-Recipient:\n rfc822;\n\ta@b.example\nAction: relayed\n"
	  "Status: 2.0.0\n",
	  DSN_OK, "a@b.example", "2.0.0", false, DSN_CLASS_DELIVERED },
	{ "skips_garbage_lines_between_fields", "delivery-status", "message/delivery-status", NULL,
	  "Reporting-MTA: dns; mx\n\nthis is not a field\nFinal-Recipient: rfc822; a@b.example\n"
	  "%%%\nAction: expanded\n: no name\nStatus: 2.0.0\n",
	  DSN_OK, "a@b.example", "2.0.0", false, DSN_CLASS_DELIVERED },
	{ "reads_base64_status_part", "delivery-status", "message/delivery-status", "base64",
	  "UmVwb3J0aW5nLU1UQTogZG5zOyBteAoKRmluYWwtUmVjaXBpZW50OiByZmM4MjI7IGFAYi5leGFt\n"
	  "cGxlCkFjdGlvbjogZmFpbGVkClN0YXR1czogNS4xLjEK",
	  DSN_OK, "a@b.example", "5.1.1", false, DSN_CLASS_HARD },
	{ "reads_quoted_printable_status_part", "delivery-status", "message/delivery-status",
	  "quoted-printable",
	  "Reporting-MTA: dns; mx\n\nFinal-Recipient: rfc822; a=40b.example\nAction: fail=\ned\n"
	  "Status: 5.1.1\n",
	  DSN_OK, "a@b.example", "5.1.1", false, DSN_CLASS_HARD },
	{ "reads_report_without_report_type", NULL, "message/delivery-status", NULL,
	  "Reporting-MTA: dns; mx\n\nFinal-Recipient: rfc822; a@b.example\nAction: failed\n"
	  "Status: 5.1.1\n",
	  DSN_OK, "a@b.example", "5.1.1", false, DSN_CLASS_HARD },
	{ "calls_unknown_action_unknown", "delivery-status", "message/delivery-status", NULL,
	  "Reporting-MTA: dns; mx\n\nFinal-Recipient: rfc822; a@b.example\nAction: bounced\n"
	  "Status: 5.1.1\n",
	  DSN_OK, "a@b.example", "5.1.1", false, DSN_CLASS_UNKNOWN },
	{ "calls_failed_with_success_code_unknown", "delivery-status", "message/delivery-status",
	  NULL,
	  "Reporting-MTA: dns; mx\n\nFinal-Recipient: rfc822; a@b.example\nAction: failed\n"
	  "Status: 2.0.0\n",
	  DSN_OK, "a@b.example", "2.0.0", false, DSN_CLASS_UNKNOWN },
	{ "reads_action_failure_as_failed", "delivery-status", "message/delivery-status", NULL,
	  "Reporting-MTA: dns; mx\n\nFinal-Recipient: rfc822; a@b.example\nAction: Failure\n"
	  "Status: 5.1.1\n",
	  DSN_OK, "a@b.example", "5.1.1", false, DSN_CLASS_HARD },
	{ "reads_action_expired_as_failed", "delivery-status", "message/delivery-status", NULL,
	  "Reporting-MTA: dns; mx\n\nFinal-Recipient: rfc822; a@b.example\nAction: expired\n"
	  "Status: 4.4.7\n",
	  DSN_OK, "a@b.example", "4.4.7", false, DSN_CLASS_SOFT },
	{ "reads_action_deferred_as_delayed", "delivery-status", "message/delivery-status", NULL,
	  "Reporting-MTA: dns; mx\n\nFinal-Recipient: rfc822; a@b.example\nAction: DEFERRED\n"
	  "Status: 4.2.2\n",
	  DSN_OK, "a@b.example", "4.2.2", false, DSN_CLASS_SOFT },
	{ "reads_three_digit_permanent_status_as_5_0_0", "delivery-status",
	  "message/delivery-status", NULL,
	  "Reporting-MTA: dns; mx\n\nFinal-Recipient: rfc822; a@b.example\nAction: failed\n"
	  "Status: 553\n",
	  DSN_OK, "a@b.example", "5.0.0", false, DSN_CLASS_HARD },
	{ "reads_three_digit_temporary_status_as_4_0_0", "delivery-status",
	  "message/delivery-status", NULL,
	  "Reporting-MTA: dns; mx\n\nFinal-Recipient: rfc822; a@b.example\nAction: failure\n"
	  "Status: 421 try later\n",
	  DSN_OK, "a@b.example", "4.0.0", false, DSN_CLASS_SOFT },
	{ "reads_reply_and_enhanced_code_in_status", "delivery-status",
	  "message/delivery-status", NULL,
	  "Reporting-MTA: dns; mx\n\nFinal-Recipient: rfc822; a@b.example\nAction: failed\n"
	  "Status: 550 5.1.1 (user unknown)\n",
	  DSN_OK, "a@b.example", "5.1.1", false, DSN_CLASS_HARD },
	{ "reads_hash_before_enhanced_code", "delivery-status", "message/delivery-status", NULL,
	  "Reporting-MTA: dns; mx\n\nFinal-Recipient: rfc822; a@b.example\nAction: failed\n"
	  "Status: #5.1.1,\n",
	  DSN_OK, "a@b.example", "5.1.1", false, DSN_CLASS_HARD },
	{ "takes_status_from_reply_with_hash_code", "delivery-status", "message/delivery-status",
	  NULL,
	  "Reporting-MTA: dns; mx\n\nFinal-Recipient: rfc822; a@b.example\nAction: failed\n"
	  "Diagnostic-Code: smtp; 550 #5.1.0 Address rejected\n",
	  DSN_OK, "a@b.example", "5.1.0", true, DSN_CLASS_HARD },
	{ "takes_status_from_bare_enhanced_code_with_comment", "delivery-status",
	  "message/delivery-status", NULL,
	  "Reporting-MTA: dns; mx\n\nFinal-Recipient: rfc822; a@b.example\nAction: failed\n"
	  "Diagnostic-Code: X-Notes; 5.1.1 (user not listed in public directory)\n",
	  DSN_OK, "a@b.example", "5.1.1", true, DSN_CLASS_HARD },
	{ "calls_empty_status_part_malformed", "delivery-status", "message/delivery-status",
	  NULL, "", DSN_MALFORMED, NULL, NULL, false, DSN_CLASS_UNKNOWN },
	{ "calls_per_message_fields_only_malformed", "delivery-status",
	  "message/delivery-status", NULL, "Reporting-MTA: dns; mx\nArrival-Date: today\n\n\n",
	  DSN_MALFORMED, NULL, NULL, false, DSN_CLASS_UNKNOWN },
	{ "calls_report_with_other_part_type_not_a_dsn", "delivery-status", "text/plain", NULL,
	  "Final-Recipient: rfc822; a@b.example\nAction: failed\nStatus: 5.1.1\n", DSN_NOT_DSN,
	  NULL, NULL, false, DSN_CLASS_UNKNOWN },
	{ "calls_feedback_report_part_not_a_dsn", "feedback-report", "message/feedback-report",
	  NULL, "Feedback-Type: abuse\n", DSN_NOT_DSN, NULL, NULL, false, DSN_CLASS_UNKNOWN },
};

static void run_built_case(void **state)
{
	const struct built_case *c = *state;
	struct strbuf m = STRBUF_INIT;
	struct dsn_report r;
	enum dsn_result got;

	reportfix_build(&m, c->report_type, c->part_type, c->cte, c->body, "text/rfc822-headers",
			"Message-ID: <orig@example.com>\nFrom: shop@example.com\n");
	got = dsn_parse(m.data, m.len, &r);
	if (got != c->want)
		fail_msg("got %s, want %s", dsn_result_name(got), dsn_result_name(c->want));
	expect_dsn_clean(&r);
	if (got == DSN_OK) {
		expect_str("Final-Recipient", r.rcpts[0].final_recipient, c->final);
		expect_str("Status", r.rcpts[0].status, c->status);
		if (r.rcpts[0].status_from_diagnostic != c->from_diag ||
		    dsn_classify(&r.rcpts[0]) != c->cls)
			fail_msg("got class %s (from diagnostic %d), want %s (%d)",
				 dsn_class_name(dsn_classify(&r.rcpts[0])),
				 r.rcpts[0].status_from_diagnostic, dsn_class_name(c->cls),
				 c->from_diag);
		expect_str("orig Message-ID", r.orig.message_id, "<orig@example.com>");
	}
	dsn_report_free(&r);
	strbuf_free(&m);
}

/* ---- whole messages that are not, or hardly, DSNs ----------------------------- */

struct raw_case {
	const char *name;
	const char *msg;
	enum dsn_result want;
};

static const struct raw_case raw_cases[] = {
	{ "calls_empty_input_not_a_dsn", "", DSN_NOT_DSN },
	{ "calls_plain_message_not_a_dsn",
	  "From: a@example.com\nTo: b@example.com\nSubject: hi\n\nFinal-Recipient: rfc822; x@y\n"
	  "Action: failed\nStatus: 5.1.1\n", DSN_NOT_DSN },
	{ "calls_top_level_status_part_not_a_dsn",
	  "From: a@example.com\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; x\n\n"
	  "Final-Recipient: rfc822; x@y.example\nAction: failed\nStatus: 5.1.1\n", DSN_NOT_DSN },
	{ "calls_report_without_boundary_not_a_dsn",
	  "From: a@example.com\nContent-Type: multipart/report; report-type=delivery-status\n\n"
	  "--x\nContent-Type: message/delivery-status\n\nFinal-Recipient: rfc822; x@y.example\n"
	  "Action: failed\n--x--\n", DSN_NOT_DSN },
	{ "reads_forwarded_bounce",
	  "From: a@example.com\nContent-Type: multipart/mixed; boundary=o\n\n--o\n"
	  "Content-Type: message/rfc822\n\nFrom: MAILER-DAEMON@x.example\n"
	  "Content-Type: multipart/report; report-type=delivery-status; boundary=i\n\n--i\n"
	  "Content-Type: message/delivery-status\n\nReporting-MTA: dns; x\n\n"
	  "Final-Recipient: rfc822; victim@y.example\nAction: failed\nStatus: 5.1.1\n--i--\n"
	  "--o--\n", DSN_OK },
	{ "calls_bounce_forwarded_three_times_not_a_dsn",
	  "From: a@example.com\nContent-Type: message/rfc822\n\nContent-Type: message/rfc822\n\n"
	  "Content-Type: message/rfc822\n\nFrom: MAILER-DAEMON@x.example\n"
	  "Content-Type: multipart/report; report-type=delivery-status; boundary=i\n\n--i\n"
	  "Content-Type: message/delivery-status\n\nReporting-MTA: dns; x\n\n"
	  "Final-Recipient: rfc822; victim@y.example\nAction: failed\nStatus: 5.1.1\n--i--\n",
	  DSN_NOT_DSN },
	{ "reads_status_part_in_top_level_multipart_mixed",
	  "From: a@example.com\nContent-Type: multipart/mixed; boundary=o\n\n--o\n"
	  "Content-Type: text/plain\n\nI could not deliver it.\n--o\n"
	  "Content-Type: message/delivery-status\n\nReporting-MTA: dns; x\n\n"
	  "Final-Recipient: rfc822; a@y.example\nAction: failed\nStatus: 5.1.1\n--o--\n",
	  DSN_OK },
	{ "reads_report_wrapped_with_disclaimer",
	  "From: a@example.com\nContent-Type: multipart/mixed; boundary=o\n\n--o\n"
	  "Content-Type: text/plain\n\nThis message was scanned.\n--o\n"
	  "Content-Type: multipart/report; report-type=delivery-status; boundary=i\n\n--i\n"
	  "Content-Type: message/delivery-status\n\nReporting-MTA: dns; x\n\n"
	  "Final-Recipient: rfc822; a@y.example\nAction: failed\nStatus: 5.1.1\n--i--\n--o--\n",
	  DSN_OK },
	{ "calls_report_nested_two_levels_down_not_a_dsn",
	  "From: a@example.com\nContent-Type: multipart/mixed; boundary=o\n\n--o\n"
	  "Content-Type: multipart/mixed; boundary=m\n\n--m\n"
	  "Content-Type: multipart/report; report-type=delivery-status; boundary=i\n\n--i\n"
	  "Content-Type: message/delivery-status\n\nReporting-MTA: dns; x\n\n"
	  "Final-Recipient: rfc822; a@y.example\nAction: failed\nStatus: 5.1.1\n--i--\n--m--\n"
	  "--o--\n", DSN_NOT_DSN },
	{ "survives_headers_only", "From: a@example.com\nContent-Type: multipart/report;"
				   " boundary=b\n", DSN_NOT_DSN },
	{ "survives_lone_boundaries", "Content-Type: multipart/report; boundary=b\n\n--b\n--b\n"
				      "--b--\n--b\n", DSN_NOT_DSN },
};

static void run_raw_case(void **state)
{
	const struct raw_case *c = *state;
	struct dsn_report r;
	enum dsn_result got = dsn_parse(c->msg, strlen(c->msg), &r);

	if (got != c->want)
		fail_msg("got %s, want %s", dsn_result_name(got), dsn_result_name(c->want));
	expect_dsn_clean(&r);
	dsn_report_free(&r);
}

static void flags_forwarded_dsn_with_its_to_header(void **state)
{
	size_t len;
	char *msg = reportfix_load("dsn/forwarded.eml", &len);
	struct dsn_report r;

	assert_int_equal(dsn_parse(msg, len, &r), DSN_OK);
	if (r.forwarded != 1)
		fail_msg("forwarded: got %u, want 1", r.forwarded);
	expect_str("forwarded To", r.forwarded_to,
		   "b-cefdiwlygjvvimdqkf5ge33cibsxqylnobwgkltpojtq-2c6jg7ox3o@example.com");
	dsn_report_free(&r);
	free(msg);
	msg = reportfix_load("dsn/postfix_hard.eml", &len);
	assert_int_equal(dsn_parse(msg, len, &r), DSN_OK);
	if (r.forwarded != 0)
		fail_msg("forwarded: got %u, want 0 for a DSN sent directly", r.forwarded);
	dsn_report_free(&r);
	free(msg);
}

/* ---- hostile input ------------------------------------------------------------- */

/* Parses m and returns the result, checking every string on the way. */
static enum dsn_result parse_clean(const char *m, size_t len, struct dsn_report *r)
{
	enum dsn_result got = dsn_parse(m, len, r);

	if (got != DSN_OK && got != DSN_NOT_DSN && got != DSN_MALFORMED)
		fail_msg("got result %d, want a known one", (int)got);
	expect_dsn_clean(r);
	return got;
}

static void cleans_8bit_junk_controls_and_nul_bytes(void **state)
{
	static const char body[] =
		"Reporting-MTA: dns; mx\xff\xfe.example\x01\n\n"
		"Final-Recipient: rfc822; a\x00" "b@c.example\n"
		"Action: failed\nStatus: 5.1.1\n"
		"Diagnostic-Code: smtp; 550 \xc3\x28 bad \xed\xa0\x80 surrogate \xf4\x90\x80\x80"
		" big \xc0\xaf overlong \x7f del \xc2\x85 nel\r\tend\n";
	struct strbuf m = STRBUF_INIT, b = STRBUF_INIT;
	struct dsn_report r;

	/* built by hand: reportfix_build would stop at the NUL */
	strbuf_append(&b, body, sizeof body - 1);
	strbuf_appends(&m, "Content-Type: multipart/report; boundary=b\n\n--b\n"
			   "Content-Type: message/delivery-status\n\n");
	strbuf_append(&m, b.data, b.len);
	strbuf_appends(&m, "--b--\n");
	assert_int_equal(parse_clean(m.data, m.len, &r), DSN_OK);
	expect_str("Reporting-MTA", r.reporting_mta, "mx??.example");
	expect_str("Final-Recipient", r.rcpts[0].final_recipient, "a b@c.example");
	expect_str("Diagnostic-Code", r.rcpts[0].diagnostic,
		   "550 ?( bad ??? surrogate ???? big ?? overlong del nel end");
	dsn_report_free(&r);
	strbuf_free(&m);
	strbuf_free(&b);
}

static void keeps_first_256_of_10000_recipients(void **state)
{
	struct strbuf body = STRBUF_INIT, m = STRBUF_INIT;
	struct dsn_report r;
	size_t i;

	strbuf_appends(&body, "Reporting-MTA: dns; mx\n");
	for (i = 0; i < 10000; i++)
		strbuf_appendf(&body, "\nFinal-Recipient: rfc822; r%zu@example.org\nAction: failed\n"
				      "Status: 5.1.1\n", i);
	reportfix_build(&m, "delivery-status", "message/delivery-status", NULL, body.data, NULL,
			NULL);
	assert_int_equal(parse_clean(m.data, m.len, &r), DSN_OK);
	if (r.n_rcpts != DSN_RCPT_MAX || !r.truncated)
		fail_msg("got %zu recipients, truncated %d; want %d, truncated", r.n_rcpts,
			 r.truncated, DSN_RCPT_MAX);
	expect_str("last kept", r.rcpts[DSN_RCPT_MAX - 1].final_recipient, "r255@example.org");
	dsn_report_free(&r);
	strbuf_free(&body);
	strbuf_free(&m);
}

static void caps_megabyte_folded_value(void **state)
{
	struct strbuf body = STRBUF_INIT, m = STRBUF_INIT;
	struct dsn_report r;
	size_t i;

	strbuf_appends(&body, "Reporting-MTA: dns; mx\n\nFinal-Recipient: rfc822; a@b.example\n"
			      "Action: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550");
	for (i = 0; i < 100000; i++)
		strbuf_appends(&body, "\n   more");
	strbuf_appends(&body, "\n");
	reportfix_build(&m, "delivery-status", "message/delivery-status", NULL, body.data, NULL,
			NULL);
	assert_int_equal(parse_clean(m.data, m.len, &r), DSN_OK);
	if (strlen(r.rcpts[0].diagnostic) < REPORT_VALUE_MAX - 10 || !r.truncated)
		fail_msg("got %zu bytes of diagnostic, truncated %d; want about %d, truncated",
			 strlen(r.rcpts[0].diagnostic), r.truncated, REPORT_VALUE_MAX);
	dsn_report_free(&r);
	strbuf_free(&body);
	strbuf_free(&m);
}

static void reads_report_before_six_megabyte_returned_message(void **state)
{
	struct strbuf m = STRBUF_INIT, orig = STRBUF_INIT;
	struct dsn_report r;
	size_t i;

	strbuf_appends(&orig, "Message-ID: <big@example.com>\nFrom: shop@example.com\n"
			      "Content-Type: application/octet-stream\n\n");
	for (i = 0; i < 6 * 1024 * 1024 / 64; i++)
		strbuf_appends(&orig, "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNkZWZnaGlqa2xtbm9w\n");
	reportfix_build(&m, "delivery-status", "message/delivery-status", NULL,
			"Reporting-MTA: dns; mx\n\nFinal-Recipient: rfc822; a@b.example\n"
			"Action: failed\nStatus: 5.3.4\n", "message/rfc822", orig.data);
	assert_int_equal(parse_clean(m.data, m.len, &r), DSN_OK);
	expect_str("orig Message-ID", r.orig.message_id, "<big@example.com>");
	if (!r.truncated)
		fail_msg("truncated: got false, want true for %zu bytes", m.len);
	dsn_report_free(&r);
	strbuf_free(&m);
	strbuf_free(&orig);
}

static void survives_deep_nesting(void **state)
{
	struct strbuf m = STRBUF_INIT;
	struct dsn_report r;
	size_t i;

	strbuf_appends(&m, "Content-Type: multipart/report; boundary=b0\n\n");
	for (i = 1; i < 20000; i++)
		strbuf_appendf(&m, "--b%zu\nContent-Type: multipart/report; boundary=b%zu\n\n",
			       i - 1, i);
	assert_int_equal(parse_clean(m.data, m.len, &r), DSN_NOT_DSN);
	dsn_report_free(&r);
	strbuf_reset(&m);
	for (i = 0; i < 20000; i++)
		strbuf_appends(&m, "Content-Type: message/rfc822\n\n");
	assert_int_equal(parse_clean(m.data, m.len, &r), DSN_NOT_DSN);
	dsn_report_free(&r);
	strbuf_free(&m);
}

static void mutate_one(const char *msg, size_t len, void *arg)
{
	struct dsn_report r;

	(void)parse_clean(msg, len, &r);
	dsn_report_free(&r);
	(*(size_t *)arg)++;
}

static void survives_damaged_copies_of_every_fixture(void **state)
{
	size_t i, runs = 0;

	for (i = 0; i < ARRAY_SIZE(fixture_cases); i++) {
		size_t len;
		char *msg = reportfix_load(fixture_cases[i].file, &len);

		reportfix_mutate(msg, len, 41, mutate_one, &runs);
		free(msg);
	}
	if (runs < 2000)
		fail_msg("damaged copies: got %zu, want at least 2000", runs);
}

/* ---- classification and names -------------------------------------------------- */

static void classifies_every_action_and_status(void **state)
{
	static const struct {
		enum dsn_action action;
		const char *status;
		enum dsn_class want;
	} rows[] = {
		{ DSN_ACTION_FAILED, "5.1.1", DSN_CLASS_HARD },
		{ DSN_ACTION_FAILED, "5.7.1", DSN_CLASS_HARD },
		{ DSN_ACTION_FAILED, "4.4.7", DSN_CLASS_SOFT },
		{ DSN_ACTION_FAILED, "2.0.0", DSN_CLASS_UNKNOWN },
		{ DSN_ACTION_FAILED, "", DSN_CLASS_UNKNOWN },
		{ DSN_ACTION_DELAYED, "4.4.1", DSN_CLASS_SOFT },
		{ DSN_ACTION_DELAYED, "5.1.1", DSN_CLASS_SOFT },
		{ DSN_ACTION_DELAYED, "", DSN_CLASS_SOFT },
		{ DSN_ACTION_DELIVERED, "2.0.0", DSN_CLASS_DELIVERED },
		{ DSN_ACTION_RELAYED, "", DSN_CLASS_DELIVERED },
		{ DSN_ACTION_EXPANDED, "2.0.0", DSN_CLASS_DELIVERED },
		{ DSN_ACTION_UNKNOWN, "5.1.1", DSN_CLASS_UNKNOWN },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(rows); i++) {
		struct dsn_rcpt rc;

		memset(&rc, 0, sizeof rc);
		rc.action = rows[i].action;
		snprintf(rc.status, sizeof rc.status, "%s", rows[i].status);
		if (dsn_classify(&rc) != rows[i].want)
			fail_msg("%s %s: got %s, want %s", dsn_action_name(rows[i].action),
				 rows[i].status, dsn_class_name(dsn_classify(&rc)),
				 dsn_class_name(rows[i].want));
	}
}

static void names_results_actions_and_classes(void **state)
{
	expect_str("result", dsn_result_name(DSN_NOT_DSN), "not a DSN");
	expect_str("result", dsn_result_name((enum dsn_result)99), "unknown");
	expect_str("action", dsn_action_name(DSN_ACTION_EXPANDED), "expanded");
	expect_str("action", dsn_action_name((enum dsn_action)99), "unknown");
	expect_str("class", dsn_class_name(DSN_CLASS_SOFT), "soft");
	expect_str("class", dsn_class_name((enum dsn_class)99), "unknown");
	dsn_report_free(NULL);
}

static const struct CMUnitTest other_tests[] = {
	cmocka_unit_test(flags_forwarded_dsn_with_its_to_header),
	cmocka_unit_test(cleans_8bit_junk_controls_and_nul_bytes),
	cmocka_unit_test(keeps_first_256_of_10000_recipients),
	cmocka_unit_test(caps_megabyte_folded_value),
	cmocka_unit_test(reads_report_before_six_megabyte_returned_message),
	cmocka_unit_test(survives_deep_nesting),
	cmocka_unit_test(survives_damaged_copies_of_every_fixture),
	cmocka_unit_test(classifies_every_action_and_status),
	cmocka_unit_test(names_results_actions_and_classes),
};

static struct CMUnitTest row_test(const char *name, CMUnitTestFunction fn, const void *row)
{
	struct CMUnitTest t = { name, fn, NULL, NULL, (void *)row };

	return t;
}

int main(void)
{
	struct CMUnitTest tests[ARRAY_SIZE(fixture_cases) + ARRAY_SIZE(built_cases) +
			       ARRAY_SIZE(raw_cases) + ARRAY_SIZE(other_tests)];
	size_t i, n = 0;

	for (i = 0; i < ARRAY_SIZE(fixture_cases); i++)
		tests[n++] = row_test(fixture_cases[i].name, run_fixture_case, &fixture_cases[i]);
	for (i = 0; i < ARRAY_SIZE(built_cases); i++)
		tests[n++] = row_test(built_cases[i].name, run_built_case, &built_cases[i]);
	for (i = 0; i < ARRAY_SIZE(raw_cases); i++)
		tests[n++] = row_test(raw_cases[i].name, run_raw_case, &raw_cases[i]);
	for (i = 0; i < ARRAY_SIZE(other_tests); i++)
		tests[n++] = other_tests[i];
	return cmocka_run_group_tests_name("dsn", tests, group_setup, NULL);
}
