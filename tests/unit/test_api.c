/*
 * test_api - unit tests for policy/api: the TC3-HMAC-SHA256 signature
 * matches one made by Tencent's Node SDK (pinned vector), wrong keys,
 * bodies, days and old timestamps are told apart; SendEmail bodies parse
 * into their fields or give the precise error code; the message carries
 * the template headers, attachments and encoded words; SMTP replies
 * become the SES error code they start with; a signature is taken once.
 *
 * Diagnostics: cmocka's "got X, want Y" on the failing field.
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

#include "api_msg.h"
#include "api_replay.h"
#include "api_req.h"
#include "api_resp.h"
#include "store_mem.h"
#include "tabletest.h"
#include "tc3.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- TC3 signatures --------------------------------------------------------------- */

/*
 * Made with tencentcloud-sdk-nodejs-common's Sign.sign3 (method POST, url
 * http://127.0.0.1:8443/, Content-Type application/json, timestamp
 * 1767225600, service ses, this body, SecretId AKIDexample, SecretKey
 * s3cr3tKeyExample).  The SDK signs the host without the port.
 */
static const char vec_body[] =
	"{\"FromEmailAddress\":\"noreply@example.com\",\"Destination\":[\"a@example.org\"],"
	"\"Subject\":\"Hi\",\"Template\":{\"TemplateID\":1,\"TemplateData\":\"{\\\"name\\\":\\\"x\\\"}\"}}";
static const char vec_auth[] =
	"TC3-HMAC-SHA256 Credential=AKIDexample/2026-01-01/ses/tc3_request, "
	"SignedHeaders=content-type;host, "
	"Signature=42b82bee450d4024ae195f10e5dab752f5d781f7d546e0b9c51cb7a5aa1abb8a";
#define VEC_TIME 1767225600

static const char *vec_header(void *arg, const char *name)
{
	(void)arg;
	if (strcmp(name, "content-type") == 0)
		return "application/json";
	if (strcmp(name, "host") == 0)
		return "127.0.0.1:8443";
	return NULL;
}

static struct tc3_request vec_request(const char *body)
{
	return (struct tc3_request){ "POST",	   "/",	       "",   body, strlen(body),
				     "1767225600", vec_header, NULL, false };
}

static void sdk_signature_verifies(void **state)
{
	struct tc3_request req = vec_request(vec_body);
	struct tc3_auth a;

	(void)state;
	assert_true(tc3_parse_auth(vec_auth, &a));
	assert_string_equal(a.secret_id, "AKIDexample");
	assert_string_equal(a.date, "2026-01-01");
	assert_string_equal(a.service, "ses");
	assert_int_equal(tc3_verify(&req, &a, "s3cr3tKeyExample", VEC_TIME + 10), TC3_OK);
}

static void wrong_secret_is_bad_signature(void **state)
{
	struct tc3_request req = vec_request(vec_body);
	struct tc3_auth a;

	(void)state;
	assert_true(tc3_parse_auth(vec_auth, &a));
	assert_int_equal(tc3_verify(&req, &a, "s3cr3tKeyExamplf", VEC_TIME), TC3_BAD_SIGNATURE);
}

static void altered_body_is_bad_signature(void **state)
{
	char body[sizeof vec_body];
	struct tc3_request req;
	struct tc3_auth a;

	(void)state;
	memcpy(body, vec_body, sizeof body);
	body[strlen(body) - 5] = 'y';
	req = vec_request(body);
	assert_true(tc3_parse_auth(vec_auth, &a));
	assert_int_equal(tc3_verify(&req, &a, "s3cr3tKeyExample", VEC_TIME), TC3_BAD_SIGNATURE);
}

static void timestamp_six_minutes_old_is_expired(void **state)
{
	struct tc3_request req = vec_request(vec_body);
	struct tc3_auth a;

	(void)state;
	assert_true(tc3_parse_auth(vec_auth, &a));
	assert_int_equal(tc3_verify(&req, &a, "s3cr3tKeyExample", VEC_TIME + 360), TC3_EXPIRED);
	assert_int_equal(tc3_verify(&req, &a, "s3cr3tKeyExample", VEC_TIME - 360), TC3_EXPIRED);
	assert_int_equal(tc3_verify(&req, &a, "s3cr3tKeyExample", VEC_TIME + 299), TC3_OK);
}

static void timestamp_not_a_number_is_malformed(void **state)
{
	struct tc3_request req = vec_request(vec_body);
	struct tc3_auth a;

	(void)state;
	req.timestamp = "17672256OO";
	assert_true(tc3_parse_auth(vec_auth, &a));
	assert_int_equal(tc3_verify(&req, &a, "s3cr3tKeyExample", VEC_TIME), TC3_MALFORMED);
}

static void credential_of_another_day_is_bad_signature(void **state)
{
	struct tc3_request req = vec_request(vec_body);
	struct tc3_auth a;

	(void)state;
	assert_true(tc3_parse_auth(vec_auth, &a));
	memcpy(a.date, "2025-12-31", 10);
	assert_int_equal(tc3_verify(&req, &a, "s3cr3tKeyExample", VEC_TIME), TC3_BAD_SIGNATURE);
}

struct auth_case {
	const char *name;
	const char *header;
};

static const struct auth_case bad_auth_cases[] = {
	{ "auth_without_algorithm_is_refused", "Credential=a/2026-01-01/ses/tc3_request, "
					       "SignedHeaders=host, Signature=00" },
	{ "auth_with_short_signature_is_refused",
	  "TC3-HMAC-SHA256 Credential=a/2026-01-01/ses/tc3_request, SignedHeaders=host, "
	  "Signature=abcd" },
	{ "auth_without_scope_is_refused",
	  "TC3-HMAC-SHA256 Credential=a/2026-01-01/ses, SignedHeaders=host, "
	  "Signature=42b82bee450d4024ae195f10e5dab752f5d781f7d546e0b9c51cb7a5aa1abb8a" },
	{ "auth_without_signed_headers_is_refused",
	  "TC3-HMAC-SHA256 Credential=a/2026-01-01/ses/tc3_request, "
	  "Signature=42b82bee450d4024ae195f10e5dab752f5d781f7d546e0b9c51cb7a5aa1abb8a" },
	{ "auth_with_empty_id_is_refused",
	  "TC3-HMAC-SHA256 Credential=/2026-01-01/ses/tc3_request, SignedHeaders=host, "
	  "Signature=42b82bee450d4024ae195f10e5dab752f5d781f7d546e0b9c51cb7a5aa1abb8a" },
};

static void run_bad_auth(void **state)
{
	const struct auth_case *c = *state;
	struct tc3_auth a;

	assert_false(tc3_parse_auth(c->header, &a));
}

/* ---- SendEmail bodies ------------------------------------------------------------- */

struct parse_case {
	const char *name;
	const char *body;
	const char *code; /* NULL: parses */
};

static const struct parse_case parse_cases[] = {
	{ "templated_send_parses",
	  "{\"FromEmailAddress\":\"Shop <news@example.com>\",\"Destination\":[\"a@example.org\"],"
	  "\"Subject\":\"Hi\",\"Template\":{\"TemplateID\":7,\"TemplateData\":\"{\\\"n\\\": \\\"x\\\"}\"}}",
	  NULL },
	{ "template_id_as_string_parses",
	  "{\"FromEmailAddress\":\"news@example.com\",\"Destination\":[\"a@example.org\"],"
	  "\"Subject\":\"Hi\",\"Template\":{\"TemplateID\":\"7\"}}",
	  NULL },
	{ "simple_content_parses",
	  "{\"FromEmailAddress\":\"news@example.com\",\"Destination\":[\"a@example.org\"],"
	  "\"Subject\":\"Hi\",\"Simple\":{\"Text\":\"aGVsbG8=\",\"Html\":\"PGI+aGk8L2I+\"}}",
	  NULL },
	{ "body_not_json_is_invalid_parameter", "{\"FromEmailAddress\":", "InvalidParameter" },
	{ "body_array_is_invalid_parameter", "[1,2]", "InvalidParameter" },
	{ "missing_from_is_missing_parameter",
	  "{\"Destination\":[\"a@example.org\"],\"Subject\":\"Hi\",\"Template\":{\"TemplateID\":1}}",
	  "MissingParameter" },
	{ "missing_destination_is_missing_parameter",
	  "{\"FromEmailAddress\":\"n@example.com\",\"Subject\":\"Hi\",\"Template\":{\"TemplateID\":1}}",
	  "MissingParameter" },
	{ "destination_string_is_invalid_value",
	  "{\"FromEmailAddress\":\"n@example.com\",\"Destination\":\"a@example.org\","
	  "\"Subject\":\"Hi\",\"Template\":{\"TemplateID\":1}}",
	  "InvalidParameterValue" },
	{ "subject_number_is_invalid_value",
	  "{\"FromEmailAddress\":\"n@example.com\",\"Destination\":[\"a@example.org\"],"
	  "\"Subject\":5,\"Template\":{\"TemplateID\":1}}",
	  "InvalidParameterValue" },
	{ "from_with_line_break_is_invalid_value",
	  "{\"FromEmailAddress\":\"n@example.com\\r\\nBcc: x@y\",\"Destination\":[\"a@example.org\"],"
	  "\"Subject\":\"Hi\",\"Template\":{\"TemplateID\":1}}",
	  "InvalidParameterValue" },
	{ "destination_with_angle_bracket_is_invalid_value",
	  "{\"FromEmailAddress\":\"n@example.com\",\"Destination\":[\"a>b@example.org\"],"
	  "\"Subject\":\"Hi\",\"Template\":{\"TemplateID\":1}}",
	  "InvalidParameterValue" },
	{ "subject_with_line_break_is_subject_error",
	  "{\"FromEmailAddress\":\"n@example.com\",\"Destination\":[\"a@example.org\"],"
	  "\"Subject\":\"Hi\\nBcc: x@y\",\"Template\":{\"TemplateID\":1}}",
	  "InvalidParameterValue.SubjectLengthError" },
	{ "template_data_not_json_is_template_data_error",
	  "{\"FromEmailAddress\":\"n@example.com\",\"Destination\":[\"a@example.org\"],"
	  "\"Subject\":\"Hi\",\"Template\":{\"TemplateID\":1,\"TemplateData\":\"{oops\"}}",
	  "InvalidParameterValue.TemplateDataError" },
	{ "attachment_not_base64_is_invalid_value",
	  "{\"FromEmailAddress\":\"n@example.com\",\"Destination\":[\"a@example.org\"],"
	  "\"Subject\":\"Hi\",\"Template\":{\"TemplateID\":1},"
	  "\"Attachments\":[{\"FileName\":\"a.txt\",\"Content\":\"not base64!\"}]}",
	  "InvalidParameterValue" },
	{ "attachment_without_content_is_missing_parameter",
	  "{\"FromEmailAddress\":\"n@example.com\",\"Destination\":[\"a@example.org\"],"
	  "\"Subject\":\"Hi\",\"Template\":{\"TemplateID\":1},"
	  "\"Attachments\":[{\"FileName\":\"a.txt\"}]}",
	  "MissingParameter" },
	{ "no_content_is_missing_parameter",
	  "{\"FromEmailAddress\":\"n@example.com\",\"Destination\":[\"a@example.org\"],"
	  "\"Subject\":\"Hi\"}",
	  "MissingParameter" },
	{ "template_and_simple_is_invalid_value",
	  "{\"FromEmailAddress\":\"n@example.com\",\"Destination\":[\"a@example.org\"],"
	  "\"Subject\":\"Hi\",\"Template\":{\"TemplateID\":1},\"Simple\":{\"Text\":\"aGk=\"}}",
	  "InvalidParameterValue" },
	{ "negative_template_id_is_invalid_value",
	  "{\"FromEmailAddress\":\"n@example.com\",\"Destination\":[\"a@example.org\"],"
	  "\"Subject\":\"Hi\",\"Template\":{\"TemplateID\":-1}}",
	  "InvalidParameterValue" },
	{ "trigger_type_two_is_invalid_value",
	  "{\"FromEmailAddress\":\"n@example.com\",\"Destination\":[\"a@example.org\"],"
	  "\"Subject\":\"Hi\",\"Template\":{\"TemplateID\":1},\"TriggerType\":2}",
	  "InvalidParameterValue" },
};

static void run_parse(void **state)
{
	const struct parse_case *c = *state;
	struct api_send_email req;
	struct api_error err = { "", "" };
	int rc;

	rc = api_parse_send_email(c->body, strlen(c->body), &req, &err);
	if (c->code == NULL) {
		if (rc != 0)
			fail_msg("got %s (%s), want success", err.code, err.message);
	} else {
		assert_int_equal(rc, -1);
		assert_string_equal(err.code, c->code);
	}
	api_send_email_free(&req);
}

static void template_data_is_compact_json(void **state)
{
	const char *body =
		"{\"FromEmailAddress\":\"Shop <news@example.com>\",\"Destination\":[\"a@example.org\"],"
		"\"Subject\":\"Hi\",\"Template\":{\"TemplateID\":7,"
		"\"TemplateData\":\"{\\n \\\"n\\\" : \\\"\xe4\xbd\xa0\\\"}\"}}";
	struct api_send_email req;
	struct api_error err;

	(void)state;
	assert_int_equal(api_parse_send_email(body, strlen(body), &req, &err), 0);
	assert_string_equal(req.from_addr, "news@example.com");
	assert_int_equal(req.template_id, 7);
	assert_string_equal(req.template_data, "{\"n\":\"\xe4\xbd\xa0\"}");
	api_send_email_free(&req);
}

/* ---- the message ------------------------------------------------------------------ */

static void message_names_template_and_keeps_attachment(void **state)
{
	const char *body =
		"{\"FromEmailAddress\":\"Shop <news@example.com>\",\"Destination\":[\"a@example.org\"],"
		"\"Subject\":\"Caf\xc3\xa9\",\"Template\":{\"TemplateID\":7,\"TemplateData\":\"{}\"},"
		"\"Unsubscribe\":\"1\",\"TriggerType\":1,"
		"\"Attachments\":[{\"FileName\":\"r.txt\",\"Content\":\"aGVsbG8=\"}]}";
	struct strbuf msg = STRBUF_INIT;
	struct api_send_email req;
	struct api_error err;
	const char *m;

	(void)state;
	assert_int_equal(api_parse_send_email(body, strlen(body), &req, &err), 0);
	api_msg_build(&req, "id1", VEC_TIME, &msg);
	m = strbuf_cstr(&msg);
	assert_non_null(strstr(m, "\r\nX-SES-Template: 7\r\n"));
	assert_non_null(strstr(m, "\r\nX-SES-Template-Data: {}\r\n"));
	assert_non_null(strstr(m, "\r\nX-SES-Unsubscribe: 1\r\n"));
	assert_non_null(strstr(m, "\r\nX-SES-Trigger-Type: 1\r\n"));
	assert_non_null(strstr(m, "\r\nSubject: =?UTF-8?B?Q2Fmw6k=?=\r\n"));
	assert_non_null(strstr(m, "\r\nTo: a@example.org\r\n"));
	assert_non_null(strstr(m, "Message-ID: <id1@example.com>"));
	assert_non_null(strstr(m, "multipart/mixed; boundary=\"=_id1\""));
	assert_non_null(strstr(m, "filename=\"r.txt\"\r\n\r\naGVsbG8=\r\n--=_id1--\r\n"));
	strbuf_free(&msg);
	api_send_email_free(&req);
}

static void several_destinations_are_undisclosed(void **state)
{
	const char *body =
		"{\"FromEmailAddress\":\"news@example.com\",\"Destination\":[\"a@example.org\","
		"\"b@example.org\"],\"Subject\":\"Hi\",\"Simple\":{\"Text\":\"aGk=\"}}";
	struct strbuf msg = STRBUF_INIT;
	struct api_send_email req;
	struct api_error err;

	(void)state;
	assert_int_equal(api_parse_send_email(body, strlen(body), &req, &err), 0);
	api_msg_build(&req, "id2", VEC_TIME, &msg);
	assert_non_null(strstr(strbuf_cstr(&msg), "\r\nTo: undisclosed-recipients:;\r\n"));
	assert_null(strstr(strbuf_cstr(&msg), "b@example.org"));
	assert_null(strstr(strbuf_cstr(&msg), "X-SES-Template"));
	strbuf_free(&msg);
	api_send_email_free(&req);
}

static void cc_is_written_and_bcc_only_in_the_envelope(void **state)
{
	const char *body =
		"{\"FromEmailAddress\":\"news@example.com\",\"Destination\":[\"a@example.org\"],"
		"\"Cc\":[\"c1@example.org\",\"c2@example.org\"],\"Bcc\":[\"hidden@example.org\"],"
		"\"Subject\":\"Hi\",\"Simple\":{\"Text\":\"aGk=\"}}";
	struct strbuf msg = STRBUF_INIT;
	struct api_send_email req;
	struct api_error err;

	(void)state;
	assert_int_equal(api_parse_send_email(body, strlen(body), &req, &err), 0);
	assert_int_equal(req.nto, 4);
	assert_string_equal(req.to[3], "hidden@example.org");
	api_msg_build(&req, "id3", VEC_TIME, &msg);
	assert_non_null(
		strstr(strbuf_cstr(&msg),
		       "\r\nTo: a@example.org\r\nCc: c1@example.org,\r\n c2@example.org\r\n"));
	assert_null(strstr(strbuf_cstr(&msg), "hidden"));
	strbuf_free(&msg);
	api_send_email_free(&req);
}

static void over_fifty_recipients_in_all_are_refused(void **state)
{
	struct strbuf body = STRBUF_INIT;
	struct api_send_email req;
	struct api_error err;
	int i;

	(void)state;
	strbuf_appends(&body, "{\"FromEmailAddress\":\"news@example.com\",\"Destination\":[");
	for (i = 0; i < 50; i++)
		strbuf_appendf(&body, "%s\"r%d@example.org\"", i > 0 ? "," : "", i);
	strbuf_appends(&body, "],\"Bcc\":[\"one@example.org\"],\"Subject\":\"Hi\","
			      "\"Template\":{\"TemplateID\":1}}");
	assert_int_equal(api_parse_send_email(body.data, body.len, &req, &err), -1);
	assert_string_equal(err.code, "InvalidParameterValue");
	api_send_email_free(&req);
	strbuf_free(&body);
}

/* ---- answers ---------------------------------------------------------------------- */

struct smtp_case {
	const char *name;
	const char *reply;
	const char *code;
};

static const struct smtp_case smtp_cases[] = {
	{ "blocklisted_reply_keeps_its_code",
	  "550 5.7.1 FailedOperation.EmailAddrInBlacklist <a@example.org> is on the blocklist",
	  "FailedOperation.EmailAddrInBlacklist" },
	{ "rate_reply_keeps_dotless_code", "451 4.7.1 RequestLimitExceeded too fast",
	  "RequestLimitExceeded" },
	{ "multi_line_reply_reads_last_line",
	  "550-5.7.1 first\n550 5.7.1 OperationDenied.TemplateStatusError no such template",
	  "OperationDenied.TemplateStatusError" },
	{ "mta_refusal_is_failed_operation", "554 5.7.1 <a@b>: Relay access denied",
	  "FailedOperation" },
	{ "mta_tempfail_is_service_not_available", "451 4.3.5 Server configuration problem",
	  "FailedOperation.ServiceNotAvailable" },
};

static void run_smtp(void **state)
{
	const struct smtp_case *c = *state;
	struct api_error err;

	api_smtp_error(c->reply, &err);
	assert_string_equal(err.code, c->code);
}

static void queue_id_comes_from_250_reply(void **state)
{
	struct strbuf id = STRBUF_INIT;

	(void)state;
	assert_true(api_smtp_queue_id("250 2.0.0 Ok: queued as 4Xk2Bq0Hz1z9v", &id));
	assert_string_equal(strbuf_cstr(&id), "4Xk2Bq0Hz1z9v");
	assert_false(api_smtp_queue_id("250 2.0.0 Ok", &id));
	strbuf_free(&id);
}

static void error_answer_has_tencent_shape(void **state)
{
	struct api_error err;
	struct strbuf out = STRBUF_INIT;

	(void)state;
	api_fail(&err, "AuthFailure.SignatureFailure", "no");
	api_render_error(&err, "rid", &out);
	assert_string_equal(strbuf_cstr(&out),
			    "{\"Response\":{\"Error\":{\"Code\":\"AuthFailure.SignatureFailure\","
			    "\"Message\":\"no\"},\"RequestId\":\"rid\"}}");
	strbuf_reset(&out);
	api_render_ok(json_pack("{s:s}", "MessageId", "Q1"), "rid", &out);
	assert_string_equal(strbuf_cstr(&out),
			    "{\"Response\":{\"MessageId\":\"Q1\",\"RequestId\":\"rid\"}}");
	strbuf_free(&out);
}

static void signature_is_taken_once(void **state)
{
	struct store s;

	(void)state;
	store_mem_open(&s);
	assert_true(api_replay_first(&s, "aaaa", 1000));
	assert_false(api_replay_first(&s, "aaaa", 1001));
	assert_true(api_replay_first(&s, "bbbb", 1001));
	store_free(&s);
	/* without a store, this process remembers */
	assert_true(api_replay_first(NULL, "cccc", 1000));
	assert_false(api_replay_first(NULL, "cccc", 1200));
	assert_true(api_replay_first(NULL, "cccc", 1000 + 2 * TC3_WINDOW_S + 61));
}

int main(void)
{
	const struct CMUnitTest fixed[] = {
		cmocka_unit_test(sdk_signature_verifies),
		cmocka_unit_test(wrong_secret_is_bad_signature),
		cmocka_unit_test(altered_body_is_bad_signature),
		cmocka_unit_test(timestamp_six_minutes_old_is_expired),
		cmocka_unit_test(timestamp_not_a_number_is_malformed),
		cmocka_unit_test(credential_of_another_day_is_bad_signature),
		cmocka_unit_test(template_data_is_compact_json),
		cmocka_unit_test(message_names_template_and_keeps_attachment),
		cmocka_unit_test(several_destinations_are_undisclosed),
		cmocka_unit_test(cc_is_written_and_bcc_only_in_the_envelope),
		cmocka_unit_test(over_fifty_recipients_in_all_are_refused),
		cmocka_unit_test(queue_id_comes_from_250_reply),
		cmocka_unit_test(error_answer_has_tencent_shape),
		cmocka_unit_test(signature_is_taken_once),
	};
	struct CMUnitTest tests[ARRAY_SIZE(fixed) + ARRAY_SIZE(bad_auth_cases) +
				ARRAY_SIZE(parse_cases) + ARRAY_SIZE(smtp_cases)];
	size_t n = 0;

	memcpy(tests, fixed, sizeof fixed);
	n += ARRAY_SIZE(fixed);
	TABLE_TESTS(tests + n, bad_auth_cases, ARRAY_SIZE(bad_auth_cases), run_bad_auth);
	n += ARRAY_SIZE(bad_auth_cases);
	TABLE_TESTS(tests + n, parse_cases, ARRAY_SIZE(parse_cases), run_parse);
	n += ARRAY_SIZE(parse_cases);
	TABLE_TESTS(tests + n, smtp_cases, ARRAY_SIZE(smtp_cases), run_smtp);
	n += ARRAY_SIZE(smtp_cases);
	return cmocka_run_group_tests_name("api", tests, NULL, NULL);
}
