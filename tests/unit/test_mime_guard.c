/*
 * test_mime_guard - unit tests for policy/mime/mime_guard.c and mime_param.c:
 * hostile Content-Type and Content-Disposition values and structures are
 * refused (malformed or over a bound) with a precise reason, well-formed
 * ones pass, and mime_build and mime_count on them end quickly in bounded
 * memory.
 *
 * Every test runs under a watchdog: alarm() kills the program after
 * MG_TEST_SECONDS, and (without AddressSanitizer, which reserves address
 * space of its own) RLIMIT_AS caps the process at MG_TEST_AS_MB, so a
 * parser that loops or grows fails the run instead of taking the machine.
 *
 * Diagnostics: a failing case prints "got X, want Y".
 */
#include "autoconf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmocka.h>

#include "mime_build.h"
#include "mime_count.h"
#include "mime_guard.h"
#include "strbuf.h"

#define MG_TEST_SECONDS 20
#define MG_TEST_AS_MB 1024

#if defined(__SANITIZE_ADDRESS__)
#define MG_TEST_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MG_TEST_ASAN 1
#endif
#endif

#define HDRS "From: a@acme.example\r\nSubject: s\r\nMIME-Version: 1.0\r\n"
#define LONG_NAME "pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp"

static int group_setup(void **state)
{
	(void)state;
#ifndef MG_TEST_ASAN
	struct rlimit rl = { (rlim_t)MG_TEST_AS_MB << 20, (rlim_t)MG_TEST_AS_MB << 20 };

	setrlimit(RLIMIT_AS, &rl);
#endif
	mime_count_init();
	return 0;
}

static int test_setup(void **state)
{
	(void)state;
	alarm(MG_TEST_SECONDS);
	return 0;
}

/* One message and what the guard says about it. */
struct mg_case {
	const char *name;
	const char *msg;		/* NULL: built by build() */
	void (*build)(struct strbuf *m);
	enum mime_guard_status want;
	const char *why;		/* substring of the reason */
};

static void many_params(struct strbuf *m)
{
	unsigned i;

	strbuf_appends(m, HDRS "Content-Type: multipart/mixed; boundary=b");
	for (i = 0; i < 10000; i++)	/* short enough for one 64 KiB field */
		strbuf_appendf(m, ";%c=%u", 'a' + i % 26, i % 10);
	strbuf_appends(m, "\r\n\r\n--b\r\n\r\nx\r\n--b--\r\n");
}

static void deep(struct strbuf *m, unsigned n)
{
	unsigned i;

	strbuf_appends(m, HDRS);
	for (i = 0; i < n; i++)
		strbuf_appendf(m, "Content-Type: multipart/mixed; boundary=d%u\r\n\r\n--d%u\r\n", i, i);
	strbuf_appends(m, "Content-Type: text/plain\r\n\r\nx\r\n");
}

static void deep_33(struct strbuf *m) { deep(m, 33); }
static void deep_32(struct strbuf *m) { deep(m, 32); }

static void deep_messages(struct strbuf *m)
{
	unsigned i;

	strbuf_appends(m, HDRS);
	for (i = 0; i < 40; i++)
		strbuf_appends(m, "Content-Type: message/rfc822\r\n\r\nSubject: in\r\n");
	strbuf_appends(m, "\r\nx\r\n");
}

static void many_parts(struct strbuf *m)
{
	unsigned i;

	strbuf_appends(m, HDRS "Content-Type: multipart/mixed; boundary=b\r\n\r\n");
	for (i = 0; i < 400000; i++)
		strbuf_appends(m, "--b\r\n\r\n");
	strbuf_appends(m, "--b--\r\n");
}

static void many_fields(struct strbuf *m)
{
	unsigned i;

	strbuf_appends(m, HDRS);
	for (i = 0; i < 1000000; i++)
		strbuf_appends(m, "X:\r\n");
	strbuf_appends(m, "\r\nx\r\n");
}

static void huge_field(struct strbuf *m)
{
	unsigned i;

	strbuf_appends(m, HDRS "Content-Type: text/plain; name=\"a");
	for (i = 0; i < 2000; i++)
		strbuf_appends(m, "\r\n aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa");
	strbuf_appends(m, "\"\r\n\r\nx\r\n");
}

static const struct mg_case cases[] = {
	{ "multipart without boundary, Latin-1 parameter",
	  HDRS "Content-Type: multipart/mixed; " LONG_NAME "=\"\xe9t\xe9\"\r\n\r\nbody\r\n", NULL,
	  MIME_GUARD_MALFORMED, "Content-Type of part 1: invalid UTF-8" },
	{ "multipart without boundary, UTF-8 parameter",
	  HDRS "Content-Type: multipart/mixed; " LONG_NAME "=\"\xc3\xa9t\xc3\xa9\"\r\n\r\nbody\r\n",
	  NULL, MIME_GUARD_MALFORMED, "Content-Type of part 1: a parameter name over 64 bytes" },
	{ "multipart without boundary, short UTF-8 parameter",
	  HDRS "Content-Type: multipart/related; title=\"\xc3\xa9\"\r\n\r\nbody\r\n", NULL,
	  MIME_GUARD_MALFORMED, "Content-Type of part 1: multipart/related without a boundary" },
	{ "RFC 2231 sections with a gap",
	  HDRS "Content-Type: text/plain; name*0*=utf-8''%E9; name*2*=%E9\r\n\r\nx\r\n", NULL,
	  MIME_GUARD_MALFORMED, "sections not 0..2" },
	{ "RFC 2231 section that is no number",
	  HDRS "Content-Type: text/plain; name*x*=junk\r\n\r\nx\r\n", NULL,
	  MIME_GUARD_MALFORMED, "bad parameter name" },
	{ "RFC 2231 section with a leading zero",
	  HDRS "Content-Type: text/plain; name*00=a\r\n\r\nx\r\n", NULL,
	  MIME_GUARD_MALFORMED, "bad parameter name" },
	{ "RFC 2231 bad percent escape",
	  HDRS "Content-Disposition: attachment; filename*=utf-8''%ZZ.pdf\r\n\r\nx\r\n", NULL,
	  MIME_GUARD_MALFORMED, "bad RFC 2231 encoding" },
	{ "RFC 2231 section given twice",
	  HDRS "Content-Type: text/plain; name*0=a; name*0=b\r\n\r\nx\r\n", NULL,
	  MIME_GUARD_MALFORMED, "given twice" },
	{ "boundary given twice",
	  HDRS "Content-Type: multipart/mixed; boundary=a; BOUNDARY=b\r\n\r\n--a\r\n\r\nx\r\n",
	  NULL, MIME_GUARD_MALFORMED, "parameter boundary given twice" },
	{ "10000 parameters", NULL, many_params, MIME_GUARD_TOO_COMPLEX, "more than 64 parameters" },
	{ "33 nested multiparts", NULL, deep_33, MIME_GUARD_TOO_COMPLEX, "deeper than 32" },
	{ "32 nested multiparts", NULL, deep_32, MIME_GUARD_OK, "" },
	{ "40 nested messages", NULL, deep_messages, MIME_GUARD_TOO_COMPLEX, "deeper than 32" },
	{ "400000 empty parts", NULL, many_parts, MIME_GUARD_TOO_COMPLEX, "more than 1000 MIME parts" },
	{ "1000000 header fields", NULL, many_fields, MIME_GUARD_TOO_COMPLEX,
	  "more than 20000 header fields" },
	{ "a 100 KB Content-Type", NULL, huge_field, MIME_GUARD_TOO_COMPLEX, "over 65536 bytes" },
	{ "empty boundary",
	  HDRS "Content-Type: multipart/mixed; boundary=\r\n\r\n--\r\n\r\nx\r\n", NULL,
	  MIME_GUARD_MALFORMED, "boundary has an empty or bad value" },
	{ "quoted empty boundary",
	  HDRS "Content-Type: multipart/mixed; boundary=\"\"\r\n\r\n--\r\n\r\nx\r\n", NULL,
	  MIME_GUARD_MALFORMED, "an empty boundary" },
	{ "boundary over 70 characters",
	  HDRS "Content-Type: multipart/mixed; boundary=" LONG_NAME "x\r\n\r\nx\r\n", NULL,
	  MIME_GUARD_MALFORMED, "over 70 characters" },
	{ "8-bit boundary",
	  HDRS "Content-Type: multipart/mixed; boundary=\"\xc3\xa9\"\r\n\r\nx\r\n", NULL,
	  MIME_GUARD_MALFORMED, "outside RFC 2046" },
	{ "RFC 2231 encoded boundary",
	  HDRS "Content-Type: multipart/mixed; boundary*=utf-8''ab\r\n\r\nx\r\n", NULL,
	  MIME_GUARD_MALFORMED, "encoded boundary" },
	{ "invalid UTF-8 in a parameter",
	  HDRS "Content-Type: text/plain; name=\"\xe9t\xe9.pdf\"\r\n\r\nx\r\n", NULL,
	  MIME_GUARD_MALFORMED, "Content-Type of part 1: invalid UTF-8" },
	{ "invalid UTF-8 in a nested disposition",
	  HDRS "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n"
	  "Content-Disposition: attachment; filename=\"\xff\"\r\n\r\nx\r\n--b--\r\n", NULL,
	  MIME_GUARD_MALFORMED, "Content-Disposition of part 2: invalid UTF-8" },
	{ "unterminated quoted string",
	  HDRS "Content-Type: text/plain; name=\"abc\r\n\r\nx\r\n", NULL,
	  MIME_GUARD_MALFORMED, "unterminated quoted string" },
	{ "junk after a parameter",
	  HDRS "Content-Type: multipart/mixed; boundary=a b\r\n\r\nx\r\n", NULL,
	  MIME_GUARD_MALFORMED, "junk at byte" },
	{ "type without subtype",
	  HDRS "Content-Type: multipart\r\n\r\nx\r\n", NULL, MIME_GUARD_MALFORMED, "no subtype" },
	{ "two Content-Type fields",
	  HDRS "Content-Type: text/plain\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\nx\r\n",
	  NULL, MIME_GUARD_MALFORMED, "two Content-Type fields" },
	{ "well-formed multipart with RFC 2231 and UTF-8 names",
	  HDRS "Content-Type: multipart/mixed; boundary=\"=_a b'c\";\r\n\r\n--=_a b'c\r\n"
	  "Content-Type: text/plain; charset=utf-8 (comment)\r\n\r\nhi\r\n--=_a b'c\r\n"
	  "Content-Type: application/pdf; name=\"\xc3\xa9t\xc3\xa9.pdf\"\r\n"
	  "Content-Disposition: attachment; filename*0*=utf-8''%C3%A9; filename*1=t.pdf\r\n"
	  "\r\nJVBERi0=\r\n--=_a b'c--\r\n", NULL, MIME_GUARD_OK, "" },
	{ "no MIME at all", "From: a@acme.example\r\n\r\nhello\r\n", NULL, MIME_GUARD_OK, "" },
};

static void guard_judges_hostile_content_types(void **state)
{
	struct mime_guard_verdict v;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct strbuf m = STRBUF_INIT;

		if (cases[i].msg != NULL)
			strbuf_appends(&m, cases[i].msg);
		else
			cases[i].build(&m);
		mime_guard_check(m.data, m.len, &v);
		if (v.status != cases[i].want || strstr(v.why, cases[i].why) == NULL)
			fail_msg("%s: got status %d (%s), want %d (%s)", cases[i].name, v.status,
				 v.why, cases[i].want, cases[i].why);
		strbuf_free(&m);
	}
}

/*
 * Every hostile case also goes through mime_build and mime_count, as a
 * template message would: each ends (the watchdog) in bounded memory and
 * says -1 when the guard refuses.  Without the guard, the first case
 * grows memory until abort inside g_mime_multipart_get_boundary.
 */
static void build_and_count_end_on_hostile_content_types(void **state)
{
	struct mime_built b;
	unsigned count;
	size_t i;
	int rc, rc2;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct strbuf m = STRBUF_INIT;

		if (cases[i].msg != NULL)
			strbuf_appends(&m, cases[i].msg);
		else
			cases[i].build(&m);
		rc = mime_build("hello", NULL, m.data, m.len, &b);
		mime_built_free(&b);
		rc2 = mime_count_attachments(m.data, m.len, &count);
		if (rc != (cases[i].want == MIME_GUARD_OK ? 0 : -1) || rc2 != rc)
			fail_msg("%s: got mime_build %d, mime_count %d, want %d", cases[i].name, rc,
				 rc2, cases[i].want == MIME_GUARD_OK ? 0 : -1);
		strbuf_free(&m);
	}
}

static void attachment_names_read_from_raw_parameters(void **state)
{
	static const char *const yes[] = {
		"application/pdf; name=\"a.pdf\"",
		"application/pdf; NAME*=utf-8''%C3%A9.pdf",
		"application/pdf; name*0=a; name*1=b",
	};
	static const char *const no[] = {
		"text/plain; charset=utf-8",
		"text/plain; filename=a.pdf",
		"text/plain; name=\"\xff\"",	/* malformed: parses to nothing */
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof yes / sizeof yes[0]; i++)
		if (!mime_field_has_param(yes[i], strlen(yes[i]), true, "name"))
			fail_msg("%s: got no name parameter, want one", yes[i]);
	for (i = 0; i < sizeof no / sizeof no[0]; i++)
		if (mime_field_has_param(no[i], strlen(no[i]), true, "name"))
			fail_msg("%s: got a name parameter, want none", no[i]);
}

static void boundary_read_from_raw_value(void **state)
{
	char b[MIME_GUARD_MAX_BOUNDARY + 1];
	const char *v = " multipart/mixed;\r\n\tboundary=\"=_x y\"; charset=x\r\n";

	(void)state;
	assert_int_equal(mime_field_boundary(v, strlen(v), b), 0);
	if (strcmp(b, "=_x y") != 0)
		fail_msg("boundary: got \"%s\", want \"=_x y\"", b);
	v = " multipart/mixed; " LONG_NAME "=\"\xc3\xa9\"";
	if (mime_field_boundary(v, strlen(v), b) != -1)
		fail_msg("no boundary: got \"%s\", want -1 (none invented)", b);
}

/*
 * The guard says "one plain part" only for messages with nothing to count
 * or carry over, and then GMime's count agrees: 0.
 */
static void single_part_said_only_when_nothing_to_count(void **state)
{
	static const struct {
		const char *msg;
		bool single;
	} parts[] = {
		{ "Subject: a\r\n\r\nhello\r\n", true },
		{ "Content-Type: text/plain; charset=utf-8\r\n\r\nhello\r\n", true },
		{ "Content-Type: text/html\r\nContent-Transfer-Encoding: base64\r\n\r\naGk=\r\n", true },
		{ "Subject: no body", true },
		{ "Content-Disposition: inline\r\n\r\nhello\r\n", false },
		{ "Content-Disposition: attachment; filename=a.txt\r\n\r\nhello\r\n", false },
		{ "Content-Type: application/pdf; name=\"a.pdf\"\r\n\r\nJVBE\r\n", false },
		{ "Content-Type: application/pdf; name*0=a; name*1=b\r\n\r\nJVBE\r\n", false },
		{ "Content-Type: message/rfc822\r\n\r\nSubject: inner\r\n\r\nhi\r\n", false },
		{ "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nhi\r\n--b--\r\n",
		  false },
		{ "Content-Type: multipart/mixed; boundary=b\r\n\r\nno part at all\r\n", false },
		{ "Content-Type: text/plain\r\n\r\n--b\r\nContent-Disposition: attachment\r\n", true },
		/* a header block cut by a line that is no field: GMime reads on */
		{ "From: a@example.com\r\nC; name=\"a.pdf\"\r\nContent-Disposition: attachment; "
		  "filename=\"a.pdf\"\r\n\r\nJVBE\r\n", false },
	};
	struct mime_guard_verdict v;
	unsigned count;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof parts / sizeof parts[0]; i++) {
		const char *m = parts[i].msg;

		assert_int_equal(mime_guard_check(m, strlen(m), &v), MIME_GUARD_OK);
		if (v.single != parts[i].single)
			fail_msg("case %zu: got single=%d, want %d", i, v.single, parts[i].single);
		if (v.single && (mime_count_attachments(m, strlen(m), &count) != 0 || count != 0))
			fail_msg("case %zu: single, but GMime counts %u attachments", i, count);
	}
	/* a refused message is never single */
	assert_int_equal(mime_guard_check("Content-Type: text/plain; a=\"\xff\"\r\n\r\n", 30, &v) !=
			 MIME_GUARD_OK, true);
	assert_false(v.single);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(guard_judges_hostile_content_types, test_setup),
		cmocka_unit_test_setup(build_and_count_end_on_hostile_content_types, test_setup),
		cmocka_unit_test_setup(attachment_names_read_from_raw_parameters, test_setup),
		cmocka_unit_test_setup(boundary_read_from_raw_value, test_setup),
		cmocka_unit_test_setup(single_part_said_only_when_nothing_to_count, test_setup),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
