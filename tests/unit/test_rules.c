/*
 * test_rules - the outbound rules through the engine, stage by stage, as
 * the milter adapter drives them: account selection, sender domain,
 * suspension, recipients per message (SMTP and local submission), Subject,
 * size and attachments, each at its boundary.
 */
#include "autoconf.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mime_count.h"
#include "rule.h"
#include "rulefix.h"

/* ---- account selection and MAIL rules ---------------------------------- */

static void inbound_client_is_accepted_untouched(void **state)
{
	struct fixture *f = *state;

	policy_msg_free(f->msg);
	policy_conn_free(f->conn);
	fx_connect(f, "mx.elsewhere.example", "203.0.113.5", 40000);
	expect_action(policy_mail(f->msg, "<a@elsewhere.example>", NULL, &f->d), POLICY_ACCEPT);
	assert_int_equal(f->msg->mode, POLICY_MODE_INBOUND);
}

static void trusted_network_selects_account(void **state)
{
	struct fixture *f = *state;

	expect_action(policy_mail(f->msg, "<news@example.com>", NULL, &f->d), POLICY_CONTINUE);
	assert_string_equal(f->msg->account->name, "acme");
}

static void auth_login_selects_account_over_network(void **state)
{
	struct fixture *f = *state;

	expect_action(policy_mail(f->msg, "<a@sleepy.example>", "sleepy", &f->d), POLICY_REJECT);
	assert_string_equal(f->msg->account->name, "sleepy");
	expect_reply(&f->d, "550", "5.7.1", "FailedOperation.HighRejectionRate");
}

static void unknown_auth_login_is_refused(void **state)
{
	struct fixture *f = *state;

	expect_action(policy_mail(f->msg, "<news@example.com>", "nobody", &f->d), POLICY_REJECT);
	expect_reply(&f->d, "550", "5.7.1", "OperationDenied.AccountNotFound");
}

static void verified_domain_passes_case_insensitively(void **state)
{
	struct fixture *f = *state;

	expect_action(policy_mail(f->msg, "<News@EXAMPLE.Com>", NULL, &f->d), POLICY_CONTINUE);
}

static void unverified_domain_is_refused(void **state)
{
	struct fixture *f = *state;

	expect_action(policy_mail(f->msg, "<a@unverified.example>", NULL, &f->d), POLICY_REJECT);
	expect_reply(&f->d, "550", "5.7.1", "OperationDenied.DomainNotVerified");
}

static void foreign_domain_is_refused(void **state)
{
	struct fixture *f = *state;

	expect_action(policy_mail(f->msg, "<a@sleepy.example>", NULL, &f->d), POLICY_REJECT);
	expect_reply(&f->d, "550", "5.7.1", "OperationDenied.DomainNotVerified");
}

static void null_sender_is_refused_for_account(void **state)
{
	struct fixture *f = *state;

	expect_action(policy_mail(f->msg, "<>", NULL, &f->d), POLICY_REJECT);
	expect_reply(&f->d, "550", "5.7.1", "OperationDenied.DomainNotVerified");
}

static void suspended_account_is_refused(void **state)
{
	struct fixture *f = *state;

	policy_msg_free(f->msg);
	policy_conn_free(f->conn);
	fx_connect(f, "client.example", "198.51.100.7", 40000);
	expect_action(policy_mail(f->msg, "<a@sleepy.example>", NULL, &f->d), POLICY_REJECT);
	expect_reply(&f->d, "550", "5.7.1", "FailedOperation.HighRejectionRate");
}

/* ---- recipients ------------------------------------------------------------ */

static void fiftieth_recipient_accepted_fifty_first_refused(void **state)
{
	struct fixture *f = *state;
	char rcpt[64];
	int i;

	f->snap->accounts->accounts[0]->limits.sends_per_second = 1000;	/* not this rule */
	expect_action(policy_mail(f->msg, "<news@example.com>", NULL, &f->d), POLICY_CONTINUE);
	for (i = 1; i <= 50; i++) {
		snprintf(rcpt, sizeof rcpt, "<u%d@example.net>", i);
		expect_action(policy_rcpt(f->msg, rcpt, &f->d), POLICY_CONTINUE);
	}
	expect_action(policy_rcpt(f->msg, "<u51@example.net>", &f->d), POLICY_TEMPFAIL);
	expect_reply(&f->d, "452", "4.5.3", "FailedOperation.TooManyRecipients");
	assert_int_equal(f->msg->env.naccepted, 50);
}

static void local_submission_refuses_too_many_recipients_at_end(void **state)
{
	struct fixture *f = *state;
	char rcpt[64];
	int i;

	f->snap->accounts->accounts[0]->limits.sends_per_second = 1000;	/* not this rule */
	policy_msg_free(f->msg);
	policy_conn_free(f->conn);
	fx_connect(f, "localhost", "127.0.0.1", 0);
	assert_true(f->conn->local);
	expect_action(policy_mail(f->msg, "<news@example.com>", NULL, &f->d), POLICY_CONTINUE);
	assert_string_equal(f->msg->account->name, "acme");
	/* no refusal at RCPT: the MTA cannot give one for local submission */
	for (i = 1; i <= 51; i++) {
		snprintf(rcpt, sizeof rcpt, "<u%d@example.net>", i);
		expect_action(policy_rcpt(f->msg, rcpt, &f->d), POLICY_CONTINUE);
	}
	assert_true(f->msg->env.rcpts[50].refused);
	expect_action(fx_headers(f, "Subject", "hello", NULL), POLICY_CONTINUE);
	/* the whole message is refused, so the sender learns why */
	expect_action(policy_eom(f->msg, &f->d), POLICY_REJECT);
	expect_reply(&f->d, "550", "5.5.3", "FailedOperation.TooManyRecipients");
}

static void local_submission_without_recipients_left_is_refused(void **state)
{
	struct fixture *f = *state;

	policy_msg_free(f->msg);
	policy_conn_free(f->conn);
	fx_connect(f, "localhost", "127.0.0.1", 0);
	expect_action(policy_mail(f->msg, "<news@example.com>", NULL, &f->d), POLICY_CONTINUE);
	f->msg->limits.max_recipients = 0;	/* every recipient over the limit */
	expect_action(policy_rcpt(f->msg, "<a@example.net>", &f->d), POLICY_CONTINUE);
	expect_action(fx_headers(f, "Subject", "hello", NULL), POLICY_CONTINUE);
	expect_action(policy_eom(f->msg, &f->d), POLICY_REJECT);
	expect_reply(&f->d, "550", "5.5.3", "FailedOperation.TooManyRecipients");
}

static void tcp_loopback_client_is_not_local_submission(void **state)
{
	struct sockaddr_in sin = fx_addr("127.0.0.1", 25000);
	struct sockaddr_in zero = fx_addr("127.0.0.1", 0);

	(void)state;
	assert_false(policy_is_local_submission("localhost", (struct sockaddr *)&sin));
	assert_true(policy_is_local_submission("localhost", (struct sockaddr *)&zero));
	assert_true(policy_is_local_submission(NULL, NULL));
}

/* ---- Subject --------------------------------------------------------------- */

/* Returns n copies of the UTF-8 character ch (caller frees). */
static char *repeat(const char *ch, size_t n)
{
	size_t len = strlen(ch), i;
	char *s = malloc(len * n + 1);

	for (i = 0; i < n; i++)
		memcpy(s + i * len, ch, len);
	s[len * n] = '\0';
	return s;
}

static void subject_of_998_cjk_characters_is_accepted(void **state)
{
	struct fixture *f = *state;
	char *subject = repeat("\xe4\xb8\xad", 998);	/* U+4E2D */

	fx_start(f);
	expect_action(fx_headers(f, "Subject", subject, NULL), POLICY_CONTINUE);
	assert_int_equal(f->msg->hdrs.subject_chars, 998);
	free(subject);
}

static void subject_of_999_characters_is_refused(void **state)
{
	struct fixture *f = *state;
	char *subject = repeat("a", 999);

	fx_start(f);
	expect_action(fx_headers(f, "Subject", subject, NULL), POLICY_REJECT);
	expect_reply(&f->d, "550", "5.6.0", "InvalidParameterValue.SubjectLengthError");
	free(subject);
}

static void encoded_subject_is_counted_after_decoding(void **state)
{
	struct fixture *f = *state;

	/* "=?UTF-8?B?5Lit5paH?=" is two CJK characters, 20 bytes encoded */
	fx_start(f);
	f->msg->limits.subject_max_chars = 2;
	expect_action(fx_headers(f, "Subject", "=?UTF-8?B?5Lit5paH?=", NULL), POLICY_CONTINUE);
	assert_int_equal(f->msg->hdrs.subject_chars, 2);
}

static void folded_subject_is_unfolded_before_counting(void **state)
{
	struct fixture *f = *state;

	fx_start(f);
	f->msg->limits.subject_max_chars = 11;
	expect_action(fx_headers(f, "Subject", "hello\r\n world", NULL), POLICY_CONTINUE);
	assert_int_equal(f->msg->hdrs.subject_chars, 11);
}

static void subject_with_invalid_utf8_is_refused(void **state)
{
	struct fixture *f = *state;

	fx_start(f);
	expect_action(fx_headers(f, "Subject", "caf\xe9", NULL), POLICY_REJECT);
	expect_reply(&f->d, "550", "5.6.0", "InvalidParameterValue.SubjectLengthError");
}

static void encoded_subject_with_invalid_utf8_is_refused(void **state)
{
	struct fixture *f = *state;

	fx_start(f);
	expect_action(fx_headers(f, "Subject", "=?utf-8?B?/w==?=", NULL), POLICY_REJECT);
	expect_reply(&f->d, "550", "5.6.0", "InvalidParameterValue.SubjectLengthError");
}

static void latin1_encoded_subject_is_accepted(void **state)
{
	struct fixture *f = *state;

	fx_start(f);
	expect_action(fx_headers(f, "Subject", "=?ISO-8859-1?Q?caf=E9?=", NULL), POLICY_CONTINUE);
	assert_string_equal(strbuf_cstr(&f->msg->hdrs.subject), "caf\xc3\xa9");
}

static void missing_subject_is_refused(void **state)
{
	struct fixture *f = *state;

	fx_start(f);
	expect_action(fx_headers(f, "From", "news@example.com", NULL), POLICY_REJECT);
	expect_reply(&f->d, "550", "5.6.0", "InvalidParameterValue.SubjectLengthError");
}

static void empty_subject_is_refused(void **state)
{
	struct fixture *f = *state;

	fx_start(f);
	expect_action(fx_headers(f, "Subject", "", NULL), POLICY_REJECT);
	expect_reply(&f->d, "550", "5.6.0", "InvalidParameterValue.SubjectLengthError");
}

static void second_subject_is_refused(void **state)
{
	struct fixture *f = *state;

	fx_start(f);
	expect_action(fx_headers(f, "Subject", "one", "subject", "two", NULL), POLICY_REJECT);
	expect_reply(&f->d, "550", "5.6.0", "InvalidParameterValue.SubjectLengthError");
}

/* ---- size ------------------------------------------------------------------ */

/* Streams a message of exactly total bytes as the engine counts them. */
static enum policy_action send_sized(struct fixture *f, unsigned long long total)
{
	/* "Subject: s\r\n" (12) + "\r\n" (2) */
	unsigned long long body = total - 14;
	static unsigned char chunk[65536];
	enum policy_action a;

	memset(chunk, 'x', sizeof chunk);
	a = fx_headers(f, "Subject", "s", NULL);
	while (a == POLICY_CONTINUE && body > 0) {
		size_t n = body > sizeof chunk ? sizeof chunk : (size_t)body;

		a = policy_body(f->msg, chunk, n, &f->d);
		body -= n;
	}
	return a;
}

static void message_of_exactly_4_mib_is_accepted(void **state)
{
	struct fixture *f = *state;

	fx_start(f);
	expect_action(send_sized(f, 4194304), POLICY_CONTINUE);
	assert_int_equal(f->msg->content.size, 4194304);
	expect_action(policy_eom(f->msg, &f->d), POLICY_ACCEPT);
}

static void message_one_byte_over_4_mib_is_refused(void **state)
{
	struct fixture *f = *state;

	fx_start(f);
	expect_action(send_sized(f, 4194305), POLICY_REJECT);
	expect_reply(&f->d, "552", "5.3.4", "FailedOperation.EmailContentToolarge");
	assert_false(f->msg->content.buffering);	/* nothing kept past the limit */
}

static void oversized_header_block_is_refused_before_body(void **state)
{
	struct fixture *f = *state;
	char *big = repeat("y", 3000);

	fx_start(f);
	f->msg->limits.max_message_size = 2048;
	expect_action(policy_header(f->msg, "X-Big", big, &f->d), POLICY_REJECT);
	expect_reply(&f->d, "552", "5.3.4", "FailedOperation.EmailContentToolarge");
	free(big);
}

/* ---- attachments ----------------------------------------------------------- */

/* Sends a multipart/mixed message with n attachments and ends it. */
static enum policy_action send_attachments(struct fixture *f, int n)
{
	struct strbuf body = STRBUF_INIT;
	enum policy_action a;
	int i;

	a = fx_headers(f, "Subject", "files", "MIME-Version", "1.0", "Content-Type",
		       "multipart/mixed; boundary=\"b1\"", NULL);
	if (a != POLICY_CONTINUE)
		return a;
	strbuf_appends(&body, "--b1\r\nContent-Type: text/plain\r\n\r\nhello\r\n");
	for (i = 0; i < n; i++)
		strbuf_appendf(&body, "--b1\r\nContent-Type: application/octet-stream\r\n"
			       "Content-Disposition: attachment; filename=\"f%d.bin\"\r\n"
			       "Content-Transfer-Encoding: base64\r\n\r\nAAAA\r\n", i);
	strbuf_appends(&body, "--b1--\r\n");
	a = policy_body(f->msg, (const unsigned char *)body.data, body.len, &f->d);
	strbuf_free(&body);
	return a == POLICY_CONTINUE ? policy_eom(f->msg, &f->d) : a;
}

static void ten_attachments_are_accepted(void **state)
{
	struct fixture *f = *state;

	fx_start(f);
	expect_action(send_attachments(f, 10), POLICY_ACCEPT);
	assert_int_equal(f->msg->content.attachments, 10);
}

static void eleventh_attachment_is_refused(void **state)
{
	struct fixture *f = *state;

	fx_start(f);
	expect_action(send_attachments(f, 11), POLICY_REJECT);
	expect_reply(&f->d, "550", "5.6.0", "FailedOperation.TooManyAttachments");
}

static void account_limit_overrides_default(void **state)
{
	struct fixture *f = *state;

	f->snap->accounts->accounts[0]->limits.max_attachments = 1;
	fx_start(f);
	expect_action(send_attachments(f, 2), POLICY_REJECT);
	f->snap->accounts->accounts[0]->limits.max_attachments = 10;
}

/* ---- the table itself --------------------------------------------------------- */

static void rule_table_lists_rules_in_smtp_order(void **state)
{
	unsigned last = 0;
	size_t i;

	(void)state;
	for (i = 0; i < rule_table_len; i++) {
		unsigned first = rule_table[i]->stages & (unsigned)-(int)rule_table[i]->stages;

		if (first < last)
			fail_msg("got %s (stage %u) after stage %u, want SMTP order",
				 rule_table[i]->name, first, last);
		last = first;
		assert_non_null(rule_table[i]->check);
	}
}

#define T(name) cmocka_unit_test_setup_teardown(name, fx_setup, fx_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(inbound_client_is_accepted_untouched),
		T(trusted_network_selects_account),
		T(auth_login_selects_account_over_network),
		T(unknown_auth_login_is_refused),
		T(verified_domain_passes_case_insensitively),
		T(unverified_domain_is_refused),
		T(foreign_domain_is_refused),
		T(null_sender_is_refused_for_account),
		T(suspended_account_is_refused),
		T(fiftieth_recipient_accepted_fifty_first_refused),
		T(local_submission_refuses_too_many_recipients_at_end),
		T(local_submission_without_recipients_left_is_refused),
		cmocka_unit_test(tcp_loopback_client_is_not_local_submission),
		T(subject_of_998_cjk_characters_is_accepted),
		T(subject_of_999_characters_is_refused),
		T(encoded_subject_is_counted_after_decoding),
		T(folded_subject_is_unfolded_before_counting),
		T(subject_with_invalid_utf8_is_refused),
		T(encoded_subject_with_invalid_utf8_is_refused),
		T(latin1_encoded_subject_is_accepted),
		T(missing_subject_is_refused),
		T(empty_subject_is_refused),
		T(second_subject_is_refused),
		T(message_of_exactly_4_mib_is_accepted),
		T(message_one_byte_over_4_mib_is_refused),
		T(oversized_header_block_is_refused_before_body),
		T(ten_attachments_are_accepted),
		T(eleventh_attachment_is_refused),
		T(account_limit_overrides_default),
		cmocka_unit_test(rule_table_lists_rules_in_smtp_order),
	};

	mime_count_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
