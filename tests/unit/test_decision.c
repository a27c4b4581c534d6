/*
 * test_decision - unit tests for policy/engine/decision.c: the SES error table,
 * the validating constructor decision_set(), reply-text sanitising,
 * decision_ses() and the reply-less decision_plain().
 *
 * Table rows are named after the behaviour they pin down; main() turns
 * every row into its own cmocka test, so a failure names the row.
 *
 * Diagnostics: a failing case prints "got X, want Y"; texts are shown with
 * unprintable bytes as \xNN.
 */
#include "autoconf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "decision.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* The internal-error tempfail every invalid decision turns into. */
#define INTERNAL_NAME "FailedOperation.ServiceNotAvailable"

/* Writes s into buf with bytes outside printable ASCII as \xNN. */
static const char *show(const char *s, char *buf, size_t len)
{
	size_t n = 0;

	if (s == NULL)
		return "(null)";
	buf[0] = '\0';
	for (; *s != '\0' && n + 5 < len; s++) {
		unsigned char c = (unsigned char)*s;

		if (c >= 0x20 && c < 0x7f && c != '\\')
			buf[n++] = (char)c;
		else
			n += (size_t)snprintf(buf + n, len - n, "\\x%02x", c);
	}
	buf[n] = '\0';
	return buf;
}

static void expect_str(const char *what, const char *got, const char *want)
{
	char g[1024], w[1024];

	if (got == NULL || want == NULL ? got != want : strcmp(got, want) != 0)
		fail_msg("%s: got \"%s\", want \"%s\"", what, show(got, g, sizeof g),
			 show(want, w, sizeof w));
}

static void expect_int(const char *what, long long got, long long want)
{
	if (got != want)
		fail_msg("%s: got %lld, want %lld", what, got, want);
}

static void expect_action(const struct policy_decision *d, enum policy_action want)
{
	if (d->action != want)
		fail_msg("action: got %s, want %s", policy_action_name(d->action),
			 policy_action_name(want));
}

/* Checks that d is the internal-error tempfail of an invalid decision. */
static void expect_internal_error(const struct policy_decision *d)
{
	expect_action(d, POLICY_TEMPFAIL);
	expect_str("code", d->code, "451");
	expect_str("xcode", d->xcode, "4.3.0");
	expect_str("rule", d->rule, "internal");
	if (strncmp(d->text, INTERNAL_NAME, strlen(INTERNAL_NAME)) != 0)
		fail_msg("text: got \"%s\", want it to start with \"%s\"", d->text,
			 INTERNAL_NAME);
}

/* ---- the SES error table ---------------------------------------------- */

struct ses_case {
	enum ses_error err;
	const char *name;
	enum policy_action action;
	const char *code;
	const char *xcode;
};

/*
 * One row per SES_ERR_* in enum order: SPEC section 8 where it names the
 * reply, the rest pin today's table.
 */
static const struct ses_case ses_cases[] = {
	{ SES_ERR_DOMAIN_NOT_VERIFIED, "OperationDenied.DomainNotVerified",
	  POLICY_REJECT, "550", "5.7.1" },
	{ SES_ERR_WITHOUT_PERMISSION, "FailedOperation.WithOutPermission",
	  POLICY_REJECT, "550", "5.7.1" },
	{ SES_ERR_TEMPLATE_STATUS, "OperationDenied.TemplateStatusError",
	  POLICY_REJECT, "550", "5.7.1" },
	{ SES_ERR_TEMPLATE_DATA, "InvalidParameterValue.TemplateDataError",
	  POLICY_REJECT, "550", "5.6.0" },
	{ SES_ERR_TEMPLATE_NOT_MATCH_DATA, "InvalidParameterValue.TemplateNotMatchData",
	  POLICY_REJECT, "550", "5.6.0" },
	{ SES_ERR_TEMPLATE_DATA_LEN, "InvalidParameterValue.TemplateDataLenLimit",
	  POLICY_REJECT, "550", "5.6.0" },
	{ SES_ERR_CONTENT_TOO_LARGE, "FailedOperation.EmailContentToolarge",
	  POLICY_REJECT, "552", "5.3.4" },
	{ SES_ERR_TOO_MANY_ATTACHMENTS, "FailedOperation.TooManyAttachments",
	  POLICY_REJECT, "550", "5.6.0" },
	{ SES_ERR_EMAIL_CONTENT_WRONG, "InvalidParameterValue.EmailContentIsWrong",
	  POLICY_REJECT, "550", "5.6.0" },
	{ SES_ERR_SUBJECT_LENGTH, "InvalidParameterValue.SubjectLengthError",
	  POLICY_REJECT, "550", "5.6.0" },
	{ SES_ERR_TOO_MANY_RECIPIENTS, "FailedOperation.TooManyRecipients",
	  POLICY_TEMPFAIL, "452", "4.5.3" },
	{ SES_ERR_BLACKLISTED, "FailedOperation.EmailAddrInBlacklist",
	  POLICY_REJECT, "550", "5.7.1" },
	{ SES_ERR_UNSUBSCRIBED, "FailedOperation.ReceiverHasUnsubscribed",
	  POLICY_REJECT, "550", "5.7.1" },
	{ SES_ERR_SUPPRESSED, "FailedOperation.EmailAddrInSuppressionList",
	  POLICY_REJECT, "550", "5.7.1" },
	{ SES_ERR_FREQUENCY_LIMIT, "FailedOperation.FrequencyLimit",
	  POLICY_TEMPFAIL, "450", "4.7.1" },
	{ SES_ERR_EXCEED_SEND_LIMIT, "FailedOperation.ExceedSendLimit",
	  POLICY_TEMPFAIL, "451", "4.7.1" },
	{ SES_ERR_REQUEST_LIMIT, "RequestLimitExceeded",
	  POLICY_TEMPFAIL, "451", "4.7.1" },
	{ SES_ERR_SUSPENDED, "FailedOperation.HighRejectionRate",
	  POLICY_REJECT, "550", "5.7.1" },
	{ SES_ERR_SERVICE_UNAVAILABLE, "FailedOperation.ServiceNotAvailable",
	  POLICY_TEMPFAIL, "451", "4.3.0" },
	{ SES_ERR_INVALID_ADDRESS, "InvalidParameterValue.InvalidEmailAddress",
	  POLICY_REJECT, "550", "5.1.3" },
	{ SES_ERR_DMARC_REJECT, "FailedOperation.DmarcPolicyReject",
	  POLICY_REJECT, "550", "5.7.1" },
	{ SES_ERR_AUTH_DNS, "FailedOperation.DnsTemporaryFailure",
	  POLICY_TEMPFAIL, "451", "4.4.3" },
};

/* Every entry: a refusal whose code fits its action and whose xcode fits its code. */
static void every_ses_error_is_a_consistent_refusal(void **state)
{
	int i, j;

	for (i = 0; i < SES_ERR__COUNT; i++) {
		const struct ses_error_def *e = ses_error_def((enum ses_error)i);

		if (e == NULL || e->name == NULL || e->code == NULL || e->xcode == NULL)
			fail_msg("SES_ERR %d: got an incomplete entry, want name, code, xcode", i);
		if (*e->name == '\0' || strchr(e->name, ' ') != NULL)
			fail_msg("SES_ERR %d: got name \"%s\", want one non-empty word", i,
				 e->name);
		if (e->action != POLICY_REJECT && e->action != POLICY_TEMPFAIL)
			fail_msg("%s: got action %s, want reject or tempfail", e->name,
				 policy_action_name(e->action));
		if (!decision_code_valid(e->code, e->action))
			fail_msg("%s: got code %s for %s, want %s", e->name, e->code,
				 policy_action_name(e->action),
				 e->action == POLICY_REJECT ? "5xx" : "4xx");
		if (e->xcode[0] != e->code[0])
			fail_msg("%s: got xcode class %c, want %c (code %s)", e->name,
				 e->xcode[0], e->code[0], e->code);
		if (!decision_xcode_valid(e->xcode, e->code))
			fail_msg("%s: got invalid xcode %s for code %s, want valid", e->name,
				 e->xcode, e->code);
		for (j = 0; j < i; j++)
			if (strcmp(ses_error_def((enum ses_error)j)->name, e->name) == 0)
				fail_msg("%s: got the name for SES_ERR %d and %d, want unique",
					 e->name, j, i);
	}
}

static void ses_errors_match_spec_replies(void **state)
{
	size_t i;

	expect_int("rows in ses_cases", (long long)ARRAY_SIZE(ses_cases), SES_ERR__COUNT);
	for (i = 0; i < ARRAY_SIZE(ses_cases); i++) {
		const struct ses_case *c = &ses_cases[i];
		const struct ses_error_def *e = ses_error_def(c->err);

		expect_str("name", e->name, c->name);
		if (e->action != c->action)
			fail_msg("%s: action: got %s, want %s", c->name,
				 policy_action_name(e->action), policy_action_name(c->action));
		if (strcmp(e->code, c->code) != 0 || strcmp(e->xcode, c->xcode) != 0)
			fail_msg("%s: got %s %s, want %s %s", c->name, e->code, e->xcode,
				 c->code, c->xcode);
	}
}

static void out_of_range_ses_error_means_service_unavailable(void **state)
{
	const struct ses_error_def *e = ses_error_def(SES_ERR__COUNT);

	expect_str("name", e->name, INTERNAL_NAME);
	expect_str("code", e->code, "451");
	expect_str("xcode", e->xcode, "4.3.0");
}

/* ---- decision_set validation ---------------------------------------- */

struct set_case {
	const char *name;
	enum policy_action action;
	const char *code;
	const char *xcode;
	bool valid;
};

static const struct set_case set_cases[] = {
	{ "accepts_550_5_7_1_reject", POLICY_REJECT, "550", "5.7.1", true },
	{ "accepts_552_5_3_4_reject", POLICY_REJECT, "552", "5.3.4", true },
	{ "accepts_451_4_7_1_tempfail", POLICY_TEMPFAIL, "451", "4.7.1", true },
	{ "accepts_452_4_5_3_tempfail", POLICY_TEMPFAIL, "452", "4.5.3", true },
	{ "accepts_single_zero_parts", POLICY_TEMPFAIL, "450", "4.0.0", true },
	{ "accepts_three_digit_parts", POLICY_REJECT, "554", "5.999.999", true },
	{ "refuses_4xx_with_reject", POLICY_REJECT, "451", "4.7.1", false },
	{ "refuses_5xx_with_tempfail", POLICY_TEMPFAIL, "550", "5.7.1", false },
	{ "refuses_xcode_class_mismatch", POLICY_REJECT, "550", "4.7.1", false },
	{ "refuses_tempfail_with_5_xcode", POLICY_TEMPFAIL, "451", "5.7.1", false },
	{ "refuses_xcode_without_detail", POLICY_REJECT, "550", "5.7", false },
	{ "refuses_xcode_with_leading_zero", POLICY_REJECT, "550", "5.07.1", false },
	{ "refuses_xcode_detail_with_leading_zero", POLICY_REJECT, "550", "5.7.01", false },
	{ "refuses_xcode_four_digit_subject", POLICY_REJECT, "550", "5.1000.1", false },
	{ "refuses_xcode_four_digit_detail", POLICY_REJECT, "550", "5.1.1000", false },
	{ "refuses_xcode_class_6", POLICY_REJECT, "550", "6.1.1", false },
	{ "refuses_xcode_with_fourth_part", POLICY_REJECT, "550", "5.7.1.1", false },
	{ "refuses_xcode_with_trailing_dot", POLICY_REJECT, "550", "5.7.1.", false },
	{ "refuses_xcode_with_empty_part", POLICY_REJECT, "550", "5..1", false },
	{ "refuses_xcode_with_space", POLICY_REJECT, "550", "5.7.1 ", false },
	{ "refuses_xcode_with_sign", POLICY_REJECT, "550", "5.+7.1", false },
	{ "refuses_empty_xcode", POLICY_REJECT, "550", "", false },
	{ "refuses_null_xcode", POLICY_REJECT, "550", NULL, false },
	{ "refuses_null_code", POLICY_REJECT, NULL, "5.7.1", false },
	{ "refuses_empty_code", POLICY_REJECT, "", "5.7.1", false },
	{ "refuses_two_digit_code", POLICY_REJECT, "55", "5.7.1", false },
	{ "refuses_four_digit_code", POLICY_REJECT, "5500", "5.7.1", false },
	{ "refuses_code_second_digit_above_5", POLICY_REJECT, "560", "5.7.1", false },
	{ "refuses_code_with_letter", POLICY_REJECT, "55x", "5.7.1", false },
	{ "refuses_2xx_reject", POLICY_REJECT, "250", "2.0.0", false },
	{ "refuses_code_with_hold", POLICY_HOLD, "550", "5.7.1", false },
	{ "refuses_code_with_accept", POLICY_ACCEPT, "250", "2.0.0", false },
	{ "refuses_code_with_continue", POLICY_CONTINUE, "550", "5.7.1", false },
	{ "refuses_code_with_discard", POLICY_DISCARD, "550", "5.7.1", false },
};

static void run_set_case(void **state)
{
	const struct set_case *c = *state;
	struct policy_decision d;
	int rc;

	/* a stale earlier decision must not survive either outcome */
	decision_ses(&d, "stale", SES_ERR_BLACKLISTED, "stale text");
	rc = decision_set(&d, c->action, "test_rule", c->code, c->xcode, "detail %d", 42);
	if (!c->valid) {
		expect_int("decision_set return", rc, -1);
		expect_internal_error(&d);
		return;
	}
	expect_int("decision_set return", rc, 0);
	expect_action(&d, c->action);
	expect_str("code", d.code, c->code);
	expect_str("xcode", d.xcode, c->xcode);
	expect_str("text", d.text, "detail 42");
	expect_str("rule", d.rule, "test_rule");
	if (!decision_is_refusal(&d))
		fail_msg("decision_is_refusal: got false, want true");
}

/* ---- the validators on their own -------------------------------------- */

struct xcode_case {
	const char *name;
	const char *xcode;
	const char *code;
	bool valid;
};

static const struct xcode_case xcode_cases[] = {
	{ "xcode_accepts_2_class_for_2xx", "2.0.0", "250", true },
	{ "xcode_accepts_4_class_for_4xx", "4.7.1", "451", true },
	{ "xcode_accepts_5_class_for_5xx", "5.7.1", "550", true },
	{ "xcode_refuses_class_6_even_with_6xx", "6.1.1", "650", false },
	{ "xcode_refuses_class_3", "3.1.1", "354", false },
	{ "xcode_refuses_mismatched_class", "5.7.1", "451", false },
	{ "xcode_refuses_missing_detail", "5.7", "550", false },
	{ "xcode_refuses_missing_subject", "5", "550", false },
	{ "xcode_refuses_leading_zero", "5.07.1", "550", false },
	{ "xcode_refuses_four_digits", "5.1000.1", "550", false },
	{ "xcode_refuses_two_digit_class", "55.1.1", "550", false },
	{ "xcode_refuses_null_code", "5.7.1", NULL, false },
};

static void run_xcode_case(void **state)
{
	const struct xcode_case *c = *state;
	bool got = decision_xcode_valid(c->xcode, c->code);

	if (got != c->valid)
		fail_msg("decision_xcode_valid(\"%s\", \"%s\"): got %s, want %s", c->xcode,
			 c->code != NULL ? c->code : "(null)", got ? "true" : "false",
			 c->valid ? "true" : "false");
}

/* ---- text sanitising ------------------------------------------------- */

struct text_case {
	const char *name;
	const char *in;
	const char *want;
};

static const struct text_case text_cases[] = {
	{ "keeps_printable_ascii", "Subject has 1000 characters (limit 998)",
	  "Subject has 1000 characters (limit 998)" },
	{ "keeps_empty_text", "", "" },
	{ "replaces_cr_lf", "line one\r\n250 fake reply", "line one??250 fake reply" },
	{ "replaces_bare_lf", "a\nb", "a?b" },
	{ "replaces_tab", "a\tb", "a?b" },
	{ "replaces_control_bytes", "\x01\x07\x1b[0m\x1f", "???[0m?" },
	{ "replaces_del", "a\x7f" "b", "a?b" },
	{ "replaces_each_utf8_byte", "caf\xc3\xa9", "caf??" },
	{ "replaces_latin1_byte", "\xff\x80", "??" },
	{ "replaces_percent", "100% sure %s %n", "100? sure ?s ?n" },
};

static void run_text_case(void **state)
{
	const struct text_case *c = *state;
	struct policy_decision d;

	expect_int("decision_set return",
		   decision_set(&d, POLICY_REJECT, "t", "550", "5.7.1", "%s", c->in), 0);
	expect_str("text", d.text, c->want);
}

/* Every byte value alone: printable ASCII except '%' survives, the rest is '?'. */
static void sanitises_every_byte_value(void **state)
{
	struct policy_decision d;
	int c;

	for (c = 1; c < 256; c++) {
		char in[2] = { (char)c, '\0' };
		char want = (c >= 0x20 && c < 0x7f && c != '%') ? (char)c : '?';

		decision_set(&d, POLICY_REJECT, "t", "550", "5.7.1", "%s", in);
		if (d.text[0] != want || d.text[1] != '\0')
			fail_msg("byte 0x%02x: got text \"\\x%02x%s\", want \"%c\"", c,
				 (unsigned char)d.text[0], d.text[1] ? "..." : "", want);
	}
}

/* Formatting a NUL ends the text there: the reply holds no NUL or what follows. */
static void ends_text_at_embedded_nul(void **state)
{
	struct policy_decision d;

	decision_set(&d, POLICY_REJECT, "t", "550", "5.7.1", "before%cafter", '\0');
	expect_str("text", d.text, "before");
}

struct length_case {
	const char *name;
	size_t in_len;
	size_t want_len;
	bool ellipsis;
};

static const struct length_case length_cases[] = {
	{ "keeps_text_of_max_length", DECISION_TEXT_MAX, DECISION_TEXT_MAX, false },
	{ "keeps_text_one_below_max", DECISION_TEXT_MAX - 1, DECISION_TEXT_MAX - 1, false },
	{ "truncates_text_one_over_max", DECISION_TEXT_MAX + 1, DECISION_TEXT_MAX, true },
	{ "truncates_text_twice_max", 2 * DECISION_TEXT_MAX, DECISION_TEXT_MAX, true },
	{ "truncates_10kb_text", 10240, DECISION_TEXT_MAX, true },
};

static void run_length_case(void **state)
{
	const struct length_case *c = *state;
	struct policy_decision d;
	char in[10241];
	size_t i, len;

	assert_true(c->in_len < sizeof in);
	memset(in, 'x', c->in_len);
	in[c->in_len] = '\0';
	decision_set(&d, POLICY_REJECT, "t", "550", "5.7.1", "%s", in);
	len = strlen(d.text);
	expect_int("text length", (long long)len, (long long)c->want_len);
	if (c->ellipsis)
		expect_str("text end", d.text + len - 3, "...");
	for (i = 0; i < (c->ellipsis ? len - 3 : len); i++)
		if (d.text[i] != 'x')
			fail_msg("text[%zu]: got 0x%02x, want 'x'", i, (unsigned char)d.text[i]);
}

/* The sanitiser works on the whole text, name included, after truncation too. */
static void truncates_and_sanitises_ses_detail(void **state)
{
	struct policy_decision d;
	char detail[1000];
	size_t i;

	for (i = 0; i < sizeof detail - 1; i++)
		detail[i] = i % 2 ? '\n' : 'a';
	detail[sizeof detail - 1] = '\0';
	decision_ses(&d, "t", SES_ERR_SUBJECT_LENGTH, "%s", detail);
	expect_int("text length", (long long)strlen(d.text), DECISION_TEXT_MAX);
	for (i = 0; d.text[i] != '\0'; i++)
		if ((unsigned char)d.text[i] < 0x20 || (unsigned char)d.text[i] >= 0x7f)
			fail_msg("text[%zu]: got 0x%02x, want printable ASCII", i,
				 (unsigned char)d.text[i]);
	expect_str("text end", d.text + DECISION_TEXT_MAX - 3, "...");
}

/* ---- decision_ses ------------------------------------------------------ */

static void ses_text_starts_with_error_name(void **state)
{
	struct policy_decision d;
	int i;

	for (i = 0; i < SES_ERR__COUNT; i++) {
		const struct ses_error_def *e = ses_error_def((enum ses_error)i);
		char want[DECISION_TEXT_MAX + 1];

		snprintf(want, sizeof want, "%s sender example.com", e->name);
		expect_int("decision_ses return",
			   decision_ses(&d, "some_rule", (enum ses_error)i, "sender %s",
					"example.com"), 0);
		expect_str(e->name, d.text, want);
		expect_action(&d, e->action);
		expect_str("code", d.code, e->code);
		expect_str("xcode", d.xcode, e->xcode);
		expect_str("rule", d.rule, "some_rule");
		if (!decision_is_refusal(&d))
			fail_msg("%s: decision_is_refusal: got false, want true", e->name);
	}
}

static void ses_detail_cannot_forge_a_second_reply_line(void **state)
{
	struct policy_decision d;

	decision_ses(&d, "t", SES_ERR_DOMAIN_NOT_VERIFIED, "domain %s",
		     "evil.example\r\n250 2.0.0 Ok");
	expect_str("text", d.text,
		   "OperationDenied.DomainNotVerified domain evil.example??250 2.0.0 Ok");
}

/* ---- decision_plain, decision_clear, names ------------------------- */

struct plain_case {
	const char *name;
	enum policy_action in;
	enum policy_action want;
};

static const struct plain_case plain_cases[] = {
	{ "plain_continue_stays_continue", POLICY_CONTINUE, POLICY_CONTINUE },
	{ "plain_accept_stays_accept", POLICY_ACCEPT, POLICY_ACCEPT },
	{ "plain_hold_stays_hold", POLICY_HOLD, POLICY_HOLD },
	{ "plain_discard_stays_discard", POLICY_DISCARD, POLICY_DISCARD },
	{ "plain_reject_becomes_continue", POLICY_REJECT, POLICY_CONTINUE },
	{ "plain_tempfail_becomes_continue", POLICY_TEMPFAIL, POLICY_CONTINUE },
};

static void run_plain_case(void **state)
{
	const struct plain_case *c = *state;
	struct policy_decision d;

	decision_ses(&d, "stale", SES_ERR_BLACKLISTED, "stale text");
	decision_plain(&d, c->in, "plain_rule");
	expect_action(&d, c->want);
	if (decision_is_refusal(&d))
		fail_msg("decision_is_refusal: got true, want false");
	expect_str("code", d.code, "");
	expect_str("xcode", d.xcode, "");
	expect_str("text", d.text, "");
	expect_str("rule", d.rule, "plain_rule");
}

static void clear_gives_continue_without_reply(void **state)
{
	struct policy_decision d;

	decision_ses(&d, "stale", SES_ERR_SUSPENDED, "x");
	decision_clear(&d);
	expect_action(&d, POLICY_CONTINUE);
	expect_str("code", d.code, "");
	expect_str("xcode", d.xcode, "");
	expect_str("text", d.text, "");
	if (d.rule != NULL)
		fail_msg("rule: got \"%s\", want NULL", d.rule);
	if (decision_is_refusal(&d))
		fail_msg("decision_is_refusal: got true, want false");
}

static void names_every_action(void **state)
{
	static const struct {
		enum policy_action action;
		const char *name;
	} names[] = {
		{ POLICY_CONTINUE, "continue" }, { POLICY_ACCEPT, "accept" },
		{ POLICY_REJECT, "reject" }, { POLICY_TEMPFAIL, "tempfail" },
		{ POLICY_HOLD, "hold" }, { POLICY_DISCARD, "discard" },
		{ (enum policy_action)99, "unknown" },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		expect_str("policy_action_name", policy_action_name(names[i].action),
			   names[i].name);
}

static const struct CMUnitTest other_tests[] = {
	cmocka_unit_test(every_ses_error_is_a_consistent_refusal),
	cmocka_unit_test(ses_errors_match_spec_replies),
	cmocka_unit_test(out_of_range_ses_error_means_service_unavailable),
	cmocka_unit_test(sanitises_every_byte_value),
	cmocka_unit_test(ends_text_at_embedded_nul),
	cmocka_unit_test(truncates_and_sanitises_ses_detail),
	cmocka_unit_test(ses_text_starts_with_error_name),
	cmocka_unit_test(ses_detail_cannot_forge_a_second_reply_line),
	cmocka_unit_test(clear_gives_continue_without_reply),
	cmocka_unit_test(names_every_action),
};

static struct CMUnitTest row_test(const char *name, CMUnitTestFunction fn,
				  const void *row)
{
	struct CMUnitTest t = { name, fn, NULL, NULL, (void *)row };

	return t;
}

int main(void)
{
	struct CMUnitTest tests[ARRAY_SIZE(set_cases) + ARRAY_SIZE(xcode_cases) +
				ARRAY_SIZE(text_cases) + ARRAY_SIZE(length_cases) +
				ARRAY_SIZE(plain_cases) + ARRAY_SIZE(other_tests)];
	size_t i, n = 0;

	for (i = 0; i < ARRAY_SIZE(set_cases); i++)
		tests[n++] = row_test(set_cases[i].name, run_set_case, &set_cases[i]);
	for (i = 0; i < ARRAY_SIZE(xcode_cases); i++)
		tests[n++] = row_test(xcode_cases[i].name, run_xcode_case, &xcode_cases[i]);
	for (i = 0; i < ARRAY_SIZE(text_cases); i++)
		tests[n++] = row_test(text_cases[i].name, run_text_case, &text_cases[i]);
	for (i = 0; i < ARRAY_SIZE(length_cases); i++)
		tests[n++] = row_test(length_cases[i].name, run_length_case, &length_cases[i]);
	for (i = 0; i < ARRAY_SIZE(plain_cases); i++)
		tests[n++] = row_test(plain_cases[i].name, run_plain_case, &plain_cases[i]);
	for (i = 0; i < ARRAY_SIZE(other_tests); i++)
		tests[n++] = other_tests[i];
	return cmocka_run_group_tests_name("decision", tests, NULL, NULL);
}
