/*
 * test_template_rule - template-only sending through the engine: which
 * messages are refused and with which reply, and the edits a rendered
 * template plans (new body, MIME headers, control headers removed).
 */
#include "autoconf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cmocka.h>

#include "mime_count.h"
#include "rulefix.h"
#include "template.h"

/* Adds a template to the fixture's snapshot (ids must come in order). */
static void add_template(struct fixture *f, unsigned long id, const char *account,
			 enum tmpl_status status, const char *text, const char *html)
{
	struct tmpl_db *db = f->snap->templates;
	struct tmpl *t = calloc(1, sizeof *t);

	t->id = id;
	t->account = strdup(account);
	t->name = strdup("test");
	t->type = TMPL_TRANSACTIONAL;
	t->status = status;
	t->reason = strdup(status == TMPL_REJECTED ? "links to a phishing site" : "");
	t->text = text != NULL ? strdup(text) : NULL;
	t->html = html != NULL ? strdup(html) : NULL;
	t->nvars = tmpl_collect_vars(text != NULL ? text : html, &t->vars);
	db->v = realloc(db->v, (db->n + 1) * sizeof *db->v);
	db->v[db->n++] = t;
}

static int tpl_setup(void **state)
{
	struct fixture *f;

	fx_setup(state);
	f = *state;
	add_template(f, 1, "news", TMPL_APPROVED, "Hello {{name}}, your code is {{code}}.", NULL);
	add_template(f, 2, "news", TMPL_UNDER_REVIEW, "Pending {{name}}.", NULL);
	add_template(f, 3, "news", TMPL_REJECTED, "Rejected {{name}}.", NULL);
	add_template(f, 4, "acme", TMPL_APPROVED, "Not yours {{name}}.", NULL);
	add_template(f, 5, "news", TMPL_APPROVED, "Hi {{name}}", "<p>Hi <b>{{name}}</b></p>");
	add_template(f, 6, "news", TMPL_APPROVED, "Hi {{name}}. Leave: {{unsubscribe_url}}", NULL);
	add_template(f, 7, "news", TMPL_APPROVED, "Marketing for {{name}}.", NULL);
	f->snap->templates->v[6]->type = TMPL_MARKETING;
	/* the feedback key, as DataDir/feedback.key would give it */
	f->snap->feedback_key = calloc(1, sizeof *f->snap->feedback_key);
	memset(f->snap->feedback_key, 0x5a, sizeof *f->snap->feedback_key);
	policy_msg_free(f->msg);
	policy_conn_free(f->conn);
	fx_connect(f, "app.news.example", "198.18.0.7", 40000);
	return 0;
}

/* MAIL, RCPT and the headers given (NULL-terminated pairs); returns EOM. */
static enum policy_action send_with(struct fixture *f, ...)
{
	static const unsigned char body[] = "client body\r\n";
	enum policy_action a;
	const char *name;
	va_list ap;

	expect_action(policy_mail(f->msg, "<news@news.example>", NULL, &f->d), POLICY_CONTINUE);
	expect_action(policy_rcpt(f->msg, "<reader@example.net>", &f->d), POLICY_CONTINUE);
	expect_action(policy_header(f->msg, "Subject", "News", &f->d), POLICY_CONTINUE);
	va_start(ap, f);
	while ((name = va_arg(ap, const char *)) != NULL)
		expect_action(policy_header(f->msg, name, va_arg(ap, const char *), &f->d),
			      POLICY_CONTINUE);
	va_end(ap);
	expect_action(policy_eoh(f->msg, &f->d), POLICY_CONTINUE);
	a = policy_body(f->msg, body, sizeof body - 1, &f->d);
	return a == POLICY_CONTINUE ? policy_eom(f->msg, &f->d) : a;
}

/* Asserts the planned edits hold a change of header name at index to want. */
static void expect_edit(const struct fixture *f, const char *name, unsigned index,
			const char *want)
{
	const struct policy_edits *e = &f->msg->edits;
	size_t i;

	for (i = 0; i < e->nhdrs; i++)
		if (strcasecmp(e->hdrs[i].name, name) == 0 && e->hdrs[i].index == index &&
		    ((want == NULL && e->hdrs[i].value == NULL) ||
		     (want != NULL && e->hdrs[i].value != NULL &&
		      strncmp(e->hdrs[i].value, want, strlen(want)) == 0)))
			return;
	fail_msg("edits: got no %s #%u -> %s, want one", name, index, want ? want : "(deleted)");
}

static void message_without_template_is_refused(void **state)
{
	struct fixture *f = *state;

	expect_action(send_with(f, NULL), POLICY_REJECT);
	expect_reply(&f->d, "550", "5.7.1", "FailedOperation.WithOutPermission");
}

static void unknown_template_is_refused(void **state)
{
	struct fixture *f = *state;

	expect_action(send_with(f, "X-SES-Template", "99", NULL), POLICY_REJECT);
	expect_reply(&f->d, "550", "5.7.1", "OperationDenied.TemplateStatusError");
}

static void template_of_another_account_is_refused(void **state)
{
	struct fixture *f = *state;

	expect_action(send_with(f, "X-SES-Template", "4", "X-SES-Template-Data",
				"{\"name\":\"x\"}", NULL), POLICY_REJECT);
	expect_reply(&f->d, "550", "5.7.1", "OperationDenied.TemplateStatusError");
}

static void template_under_review_is_refused(void **state)
{
	struct fixture *f = *state;

	expect_action(send_with(f, "X-SES-Template", "2", NULL), POLICY_REJECT);
	expect_reply(&f->d, "550", "5.7.1", "OperationDenied.TemplateStatusError template 2 is under review");
}

static void rejected_template_is_refused_with_its_reason(void **state)
{
	struct fixture *f = *state;

	expect_action(send_with(f, "X-SES-Template", "3", NULL), POLICY_REJECT);
	expect_reply(&f->d, "550", "5.7.1",
		     "OperationDenied.TemplateStatusError template 3 is rejected: links to a phishing site");
}

static void template_id_that_is_not_a_number_is_refused(void **state)
{
	struct fixture *f = *state;

	expect_action(send_with(f, "X-SES-Template", "1; drop", NULL), POLICY_REJECT);
	expect_reply(&f->d, "550", "5.7.1", "OperationDenied.TemplateStatusError");
}

static void data_that_is_not_json_is_refused(void **state)
{
	struct fixture *f = *state;

	expect_action(send_with(f, "X-SES-Template", "1", "X-SES-Template-Data", "{name: x}", NULL),
		      POLICY_REJECT);
	expect_reply(&f->d, "550", "5.6.0", "InvalidParameterValue.TemplateDataError");
}

static void data_missing_a_variable_is_refused(void **state)
{
	struct fixture *f = *state;

	expect_action(send_with(f, "X-SES-Template", "1", "X-SES-Template-Data",
				"{\"name\":\"Ann\"}", NULL), POLICY_REJECT);
	expect_reply(&f->d, "550", "5.6.0", "InvalidParameterValue.TemplateNotMatchData");
}

static void data_over_800_bytes_is_refused(void **state)
{
	struct fixture *f = *state;
	char data[1024];

	snprintf(data, sizeof data, "{\"name\":\"%0790d\",\"code\":\"1\"}", 0);
	expect_action(send_with(f, "X-SES-Template", "1", "X-SES-Template-Data", data, NULL),
		      POLICY_REJECT);
	expect_reply(&f->d, "550", "5.6.0", "InvalidParameterValue.TemplateDataLenLimit");
}

static void approved_template_is_rendered_into_the_body(void **state)
{
	struct fixture *f = *state;

	expect_action(send_with(f, "X-SES-Template", "1", "X-SES-Template-Data",
				"{\"name\":\"Ann\",\"code\":\"42\"}", NULL), POLICY_ACCEPT);
	assert_true(f->msg->edits.replace_body);
	assert_non_null(strstr(strbuf_cstr(&f->msg->edits.body), "Hello Ann, your code is 42."));
	assert_null(strstr(strbuf_cstr(&f->msg->edits.body), "client body"));
	expect_edit(f, "Content-Type", 0, "text/plain; charset=utf-8");
	expect_edit(f, "MIME-Version", 0, "1.0");
	expect_edit(f, "X-SES-Template", 1, NULL);
	expect_edit(f, "X-SES-Template-Data", 1, NULL);
}

static void unsubscribe_url_is_the_recipients_own_link(void **state)
{
	struct fixture *f = *state;
	struct strbuf joined = STRBUF_INIT;
	const char *body, *p;

	/* a value in the data is not used: the service sets the link */
	expect_action(send_with(f, "X-SES-Template", "6", "X-SES-Template-Data",
				"{\"name\":\"Ann\",\"unsubscribe_url\":\"http://evil.example\"}",
				NULL),
		      POLICY_ACCEPT);
	/* the body is quoted-printable: join its soft line breaks */
	for (p = strbuf_cstr(&f->msg->edits.body); *p != '\0'; p++) {
		if (strncmp(p, "=\r\n", 3) == 0)
			p += 2;
		else
			strbuf_appendc(&joined, *p);
	}
	body = strbuf_cstr(&joined);
	assert_non_null(strstr(body, "Leave: mailto:u-"));
	assert_non_null(strstr(body, "@news.example"));
	assert_null(strstr(body, "evil.example"));
	strbuf_free(&joined);
}

static void unsubscribe_url_needs_one_recipient(void **state)
{
	struct fixture *f = *state;

	expect_action(policy_mail(f->msg, "<news@news.example>", NULL, &f->d), POLICY_CONTINUE);
	expect_action(policy_rcpt(f->msg, "<a@example.net>", &f->d), POLICY_CONTINUE);
	expect_action(policy_rcpt(f->msg, "<b@example.net>", &f->d), POLICY_CONTINUE);
	expect_action(policy_header(f->msg, "Subject", "News", &f->d), POLICY_CONTINUE);
	expect_action(policy_header(f->msg, "X-SES-Template", "6", &f->d), POLICY_CONTINUE);
	expect_action(policy_header(f->msg, "X-SES-Template-Data", "{\"name\":\"Ann\"}", &f->d),
		      POLICY_CONTINUE);
	expect_action(policy_eoh(f->msg, &f->d), POLICY_CONTINUE);
	expect_action(policy_eom(f->msg, &f->d), POLICY_REJECT);
	expect_reply(&f->d, "550", "5.6.0", "InvalidParameterValue.TemplateNotMatchData");
}

static void marketing_template_gets_list_unsubscribe_and_verp_sender(void **state)
{
	struct fixture *f = *state;

	expect_action(send_with(f, "X-SES-Template", "7", "X-SES-Template-Data",
				"{\"name\":\"Ann\"}", NULL),
		      POLICY_ACCEPT);
	expect_edit(f, "List-Unsubscribe", 0, "<mailto:u-");
	assert_non_null(f->msg->edits.new_sender);
	assert_true(strncmp(f->msg->edits.new_sender, "b-", 2) == 0);
	assert_non_null(strstr(f->msg->edits.new_sender, "@news.example"));
}

static void transactional_template_gets_no_list_unsubscribe(void **state)
{
	struct fixture *f = *state;
	size_t i;

	expect_action(send_with(f, "X-SES-Template", "1", "X-SES-Template-Data",
				"{\"name\":\"Ann\",\"code\":\"42\"}", NULL),
		      POLICY_ACCEPT);
	for (i = 0; i < f->msg->edits.nhdrs; i++)
		if (strcasecmp(f->msg->edits.hdrs[i].name, "List-Unsubscribe") == 0)
			fail_msg("edits: got List-Unsubscribe, want none");
}

static void text_and_html_become_multipart_alternative_with_escaped_values(void **state)
{
	struct fixture *f = *state;

	expect_action(send_with(f, "X-SES-Template", "5", "X-SES-Template-Data",
				"{\"name\":\"<script>\"}", "Content-Type", "text/plain", NULL),
		      POLICY_ACCEPT);
	expect_edit(f, "Content-Type", 1, "multipart/alternative;");
	assert_non_null(strstr(strbuf_cstr(&f->msg->edits.body), "&lt;script&gt;"));
}

static void control_headers_are_removed_from_custom_content_too(void **state)
{
	struct fixture *f = *state;

	policy_msg_free(f->msg);
	policy_conn_free(f->conn);
	fx_connect(f, "client.example", "192.0.2.10", 40000);	/* acme: custom content */
	expect_action(policy_mail(f->msg, "<news@example.com>", NULL, &f->d), POLICY_CONTINUE);
	expect_action(policy_rcpt(f->msg, "<reader@example.net>", &f->d), POLICY_CONTINUE);
	expect_action(fx_headers(f, "Subject", "s", "X-SES-Trigger-Type", "1",
				 "x-ses-unsubscribe", "0", "X-SES-Trigger-Type", "0", NULL),
		      POLICY_CONTINUE);
	expect_action(policy_eom(f->msg, &f->d), POLICY_ACCEPT);
	assert_false(f->msg->edits.replace_body);
	expect_edit(f, "X-SES-Trigger-Type", 2, NULL);
	expect_edit(f, "X-SES-Trigger-Type", 1, NULL);
	expect_edit(f, "x-ses-unsubscribe", 1, NULL);
}

static void rendered_message_over_the_size_limit_is_refused(void **state)
{
	struct fixture *f = *state;

	f->snap->accounts->accounts[2]->limits.max_message_size = 700;
	expect_action(send_with(f, "X-SES-Template", "1", "X-SES-Template-Data",
				"{\"name\":\"Ann\",\"code\":\"" "0123456789012345678901234567890123456789"
				"0123456789012345678901234567890123456789012345678901234567890123456789"
				"0123456789012345678901234567890123456789012345678901234567890123456789"
				"0123456789012345678901234567890123456789012345678901234567890123456789"
				"0123456789012345678901234567890123456789012345678901234567890123456789"
				"0123456789012345678901234567890123456789012345678901234567890123456789"
				"0123456789012345678901234567890123456789012345678901234567890123456789"
				"0123456789012345678901234567890123456789012345678901234567890123456789"
				"0123456789012345678901234567890123456789012345678901234567890123456789"
				"\"}", NULL), POLICY_REJECT);
	expect_reply(&f->d, "552", "5.3.4", "FailedOperation.EmailContentToolarge");
}

#define T(name) cmocka_unit_test_setup_teardown(name, tpl_setup, fx_teardown)

/*
 * A template message whose Content-Type is a multipart without boundary
 * and with an 8-bit parameter: refused with the reason, no GMime parse (it
 * used to invent a boundary and grow memory until abort).  The watchdog
 * makes a loop a failure.
 */
static void multipart_without_boundary_is_refused_not_parsed(void **state)
{
	static const char *const cts[] = {
		"multipart/mixed; pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp"
		"=\"\xc3\xa9t\xc3\xa9\"",
		"multipart/mixed; title=\"\xc3\xa9\"",
		"multipart/alternative; boundary=\"\"",
	};
	static const char *const why[] = {
		"malformed MIME: Content-Type of part 1: a parameter name over 64 bytes",
		"malformed MIME: Content-Type of part 1: multipart/mixed without a boundary",
		"malformed MIME: Content-Type of part 1: an empty boundary",
	};
	struct fixture *f = *state;
	size_t i;

	for (i = 0; i < sizeof cts / sizeof cts[0]; i++) {
		if (i > 0) {
			policy_msg_free(f->msg);
			policy_conn_free(f->conn);
			fx_connect(f, "app.news.example", "198.18.0.7", 40000);
		}
		alarm(20);
		expect_action(send_with(f, "X-SES-Template", "1", "X-SES-Template-Data",
					"{\"name\":\"Ann\",\"code\":\"42\"}", "Content-Type",
					cts[i], NULL), POLICY_REJECT);
		alarm(0);
		expect_reply(&f->d, "550", "5.6.0", "InvalidParameterValue.EmailContentIsWrong");
		if (strstr(f->d.text, why[i]) == NULL)
			fail_msg("reply text: got \"%s\", want it to hold \"%s\"", f->d.text, why[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(message_without_template_is_refused),
		T(unknown_template_is_refused),
		T(template_of_another_account_is_refused),
		T(template_under_review_is_refused),
		T(rejected_template_is_refused_with_its_reason),
		T(template_id_that_is_not_a_number_is_refused),
		T(data_that_is_not_json_is_refused),
		T(data_missing_a_variable_is_refused),
		T(unsubscribe_url_is_the_recipients_own_link),
		T(unsubscribe_url_needs_one_recipient),
		T(marketing_template_gets_list_unsubscribe_and_verp_sender),
		T(transactional_template_gets_no_list_unsubscribe),
		T(data_over_800_bytes_is_refused),
		T(approved_template_is_rendered_into_the_body),
		T(text_and_html_become_multipart_alternative_with_escaped_values),
		T(control_headers_are_removed_from_custom_content_too),
		T(rendered_message_over_the_size_limit_is_refused),
		T(multipart_without_boundary_is_refused_not_parsed),
	};

	mime_count_init();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
