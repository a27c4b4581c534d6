/*
 * test_mime_count - unit tests for policy/mime/mime_count.c: which MIME parts
 * count as attachments (disposition, file names, attached messages), that
 * bodies and alternatives do not, nesting, and that broken or hostile
 * structures neither crash nor hide attachments.
 *
 * Messages are built by small helpers so each case shows only its
 * structure; table rows are named after the behaviour they pin down and
 * main() turns every row into its own cmocka test.  The group setup calls
 * mime_count_init() (twice: it must be idempotent).
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

#include "mime_count.h"
#include "strbuf.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static int group_setup(void **state)
{
	mime_count_init();
	mime_count_init();
	return 0;
}

/* ---- message builders ---------------------------------------------------- */

static void headers(struct strbuf *m)
{
	strbuf_appends(m, "From: sender@example.com\n"
			  "To: rcpt@example.net\n"
			  "Subject: test\n"
			  "Date: Mon, 2 Jan 2023 10:00:00 +0000\n"
			  "Message-ID: <t@example.com>\n"
			  "MIME-Version: 1.0\n");
}

static void text_part(struct strbuf *m)
{
	strbuf_appends(m, "Content-Type: text/plain; charset=utf-8\n\nHello.\n");
}

static void html_part(struct strbuf *m)
{
	strbuf_appends(m, "Content-Type: text/html; charset=utf-8\n\n<p>Hello.</p>\n");
}

static void attachment_part(struct strbuf *m, unsigned i)
{
	strbuf_appendf(m, "Content-Type: application/octet-stream\n"
			  "Content-Disposition: attachment; filename=\"file%u.bin\"\n"
			  "Content-Transfer-Encoding: base64\n\nAAECAwQF\n", i);
}

static void boundary(struct strbuf *m, const char *b)
{
	strbuf_appendf(m, "\n--%s\n", b);
}

static void close_boundary(struct strbuf *m, const char *b)
{
	strbuf_appendf(m, "\n--%s--\n", b);
}

/* A multipart/mixed message: a text body and n attachments. */
static void mixed_with_attachments(struct strbuf *m, unsigned n)
{
	unsigned i;

	headers(m);
	strbuf_appends(m, "Content-Type: multipart/mixed; boundary=\"mix\"\n\n"
			  "This is a multi-part message in MIME format.\n");
	boundary(m, "mix");
	text_part(m);
	for (i = 0; i < n; i++) {
		boundary(m, "mix");
		attachment_part(m, i);
	}
	close_boundary(m, "mix");
}

/* One of the table's messages, built into m. */
typedef void build_fn(struct strbuf *m);

static void build_plain_text(struct strbuf *m)
{
	headers(m);
	text_part(m);
}

static void build_headers_only(struct strbuf *m)
{
	headers(m);
	strbuf_appends(m, "\n");
}

static void build_alternative(struct strbuf *m)
{
	headers(m);
	strbuf_appends(m, "Content-Type: multipart/alternative; boundary=\"alt\"\n");
	boundary(m, "alt");
	text_part(m);
	boundary(m, "alt");
	html_part(m);
	close_boundary(m, "alt");
}

static void build_mixed_0(struct strbuf *m)
{
	mixed_with_attachments(m, 0);
}

static void build_mixed_1(struct strbuf *m)
{
	mixed_with_attachments(m, 1);
}

static void build_mixed_10(struct strbuf *m)
{
	mixed_with_attachments(m, 10);
}

static void build_mixed_11(struct strbuf *m)
{
	mixed_with_attachments(m, 11);
}

static void build_attachment_without_filename(struct strbuf *m)
{
	headers(m);
	strbuf_appends(m, "Content-Type: multipart/mixed; boundary=\"mix\"\n");
	boundary(m, "mix");
	text_part(m);
	boundary(m, "mix");
	strbuf_appends(m, "Content-Type: text/plain\nContent-Disposition: attachment\n\nnotes\n");
	close_boundary(m, "mix");
}

static void build_inline_image_with_filename(struct strbuf *m)
{
	headers(m);
	strbuf_appends(m, "Content-Type: multipart/related; boundary=\"rel\"\n");
	boundary(m, "rel");
	html_part(m);
	boundary(m, "rel");
	strbuf_appends(m, "Content-Type: image/png\n"
			  "Content-Disposition: inline; filename=\"logo.png\"\n"
			  "Content-ID: <logo@example.com>\n"
			  "Content-Transfer-Encoding: base64\n\niVBORw0KGgo=\n");
	close_boundary(m, "rel");
}

static void build_inline_image_without_name(struct strbuf *m)
{
	headers(m);
	strbuf_appends(m, "Content-Type: multipart/related; boundary=\"rel\"\n");
	boundary(m, "rel");
	html_part(m);
	boundary(m, "rel");
	strbuf_appends(m, "Content-Type: image/png\n"
			  "Content-Disposition: inline\n"
			  "Content-ID: <logo@example.com>\n"
			  "Content-Transfer-Encoding: base64\n\niVBORw0KGgo=\n");
	close_boundary(m, "rel");
}

static void build_content_type_name(struct strbuf *m)
{
	headers(m);
	strbuf_appends(m, "Content-Type: multipart/mixed; boundary=\"mix\"\n");
	boundary(m, "mix");
	text_part(m);
	boundary(m, "mix");
	strbuf_appends(m, "Content-Type: application/pdf; name=\"invoice.pdf\"\n"
			  "Content-Transfer-Encoding: base64\n\nJVBERi0=\n");
	close_boundary(m, "mix");
}

static void build_single_part_attachment(struct strbuf *m)
{
	headers(m);
	strbuf_appends(m, "Content-Type: application/pdf\n"
			  "Content-Disposition: attachment; filename=\"only.pdf\"\n"
			  "Content-Transfer-Encoding: base64\n\nJVBERi0=\n");
}

/* An attached message with three attachments of its own counts once. */
static void build_attached_message(struct strbuf *m)
{
	headers(m);
	strbuf_appends(m, "Content-Type: multipart/mixed; boundary=\"outer\"\n");
	boundary(m, "outer");
	text_part(m);
	boundary(m, "outer");
	strbuf_appends(m, "Content-Type: message/rfc822\n"
			  "Content-Disposition: inline\n\n");
	mixed_with_attachments(m, 3);
	close_boundary(m, "outer");
}

/* mixed[ alternative[ text, related[ html, inline logo.png ] ], report.pdf ] */
static void build_nested(struct strbuf *m)
{
	headers(m);
	strbuf_appends(m, "Content-Type: multipart/mixed; boundary=\"b1\"\n");
	boundary(m, "b1");
	strbuf_appends(m, "Content-Type: multipart/alternative; boundary=\"b2\"\n");
	boundary(m, "b2");
	text_part(m);
	boundary(m, "b2");
	strbuf_appends(m, "Content-Type: multipart/related; boundary=\"b3\"\n");
	boundary(m, "b3");
	html_part(m);
	boundary(m, "b3");
	strbuf_appends(m, "Content-Type: image/png; name=\"logo.png\"\n"
			  "Content-Disposition: inline\n\nxx\n");
	close_boundary(m, "b3");
	close_boundary(m, "b2");
	boundary(m, "b1");
	attachment_part(m, 1);
	close_boundary(m, "b1");
}

struct count_case {
	const char *name;
	build_fn *build;
	unsigned want;
};

static const struct count_case count_cases[] = {
	{ "plain_text_has_no_attachments", build_plain_text, 0 },
	{ "headers_only_has_no_attachments", build_headers_only, 0 },
	{ "alternative_text_and_html_has_no_attachments", build_alternative, 0 },
	{ "mixed_with_only_a_body_has_no_attachments", build_mixed_0, 0 },
	{ "counts_one_attachment", build_mixed_1, 1 },
	{ "counts_ten_attachments", build_mixed_10, 10 },
	{ "counts_eleven_attachments", build_mixed_11, 11 },
	{ "counts_attachment_disposition_without_filename", build_attachment_without_filename, 1 },
	{ "counts_inline_image_with_filename", build_inline_image_with_filename, 1 },
	{ "ignores_inline_image_without_name", build_inline_image_without_name, 0 },
	{ "counts_content_type_name", build_content_type_name, 1 },
	{ "counts_single_part_attachment_message", build_single_part_attachment, 1 },
	{ "counts_attached_message_once", build_attached_message, 1 },
	{ "counts_through_nested_multiparts", build_nested, 2 },
};

static void run_count_case(void **state)
{
	const struct count_case *c = *state;
	struct strbuf m = STRBUF_INIT;
	unsigned count = 12345;
	int rc;

	c->build(&m);
	rc = mime_count_attachments(m.data, m.len, &count);
	strbuf_free(&m);
	if (rc != 0)
		fail_msg("mime_count_attachments: got %d, want 0", rc);
	if (count != c->want)
		fail_msg("attachments: got %u, want %u", count, c->want);
}

/* CRLF line ends, as the MTA hands the message over, count the same. */
static void counts_with_crlf_line_ends(void **state)
{
	struct strbuf lf = STRBUF_INIT, crlf = STRBUF_INIT;
	unsigned count = 0;
	size_t i;

	mixed_with_attachments(&lf, 3);
	for (i = 0; i < lf.len; i++) {
		if (lf.data[i] == '\n')
			strbuf_appendc(&crlf, '\r');
		strbuf_appendc(&crlf, lf.data[i]);
	}
	assert_int_equal(mime_count_attachments(crlf.data, crlf.len, &count), 0);
	if (count != 3)
		fail_msg("attachments with CRLF: got %u, want 3", count);
	strbuf_free(&lf);
	strbuf_free(&crlf);
}

/* Reads only len bytes: a message cut before its attachments counts none. */
static void reads_only_len_bytes(void **state)
{
	struct strbuf m = STRBUF_INIT;
	unsigned count = 99;
	const char *first;

	mixed_with_attachments(&m, 2);
	first = strstr(m.data, "Content-Disposition: attachment");
	assert_non_null(first);
	assert_int_equal(mime_count_attachments(m.data, (size_t)(first - m.data), &count), 0);
	if (count != 0)
		fail_msg("attachments in a cut message: got %u, want 0", count);
	strbuf_free(&m);
}

/* ---- broken and hostile structure -------------------------------------- */

/* rc must be 0 or -1; with 0, count must be at most max. */
static void expect_sane(const char *what, const char *msg, size_t len, unsigned max)
{
	unsigned count = 0;
	int rc = mime_count_attachments(msg, len, &count);

	if (rc != 0 && rc != -1)
		fail_msg("%s: got rc %d, want 0 or -1", what, rc);
	if (rc == 0 && count > max)
		fail_msg("%s: got %u attachments, want at most %u", what, count, max);
}

static void survives_missing_closing_boundary(void **state)
{
	struct strbuf m = STRBUF_INIT;

	headers(&m);
	strbuf_appends(&m, "Content-Type: multipart/mixed; boundary=\"mix\"\n");
	boundary(&m, "mix");
	text_part(&m);
	boundary(&m, "mix");
	attachment_part(&m, 1);
	boundary(&m, "mix");
	attachment_part(&m, 2);	/* and no "--mix--" */
	expect_sane("missing closing boundary", m.data, m.len, 2);
	strbuf_free(&m);
}

static void survives_garbage_boundaries(void **state)
{
	static const char *const types[] = {
		"multipart/mixed",
		"multipart/mixed; boundary=",
		"multipart/mixed; boundary=\"\"",
		"multipart/mixed; boundary=\"unterminated",
		"multipart/mixed; boundary=\"\\\"\\\\\"",
		"multipart/mixed; boundary=\"not-used-below\"",
		"multipart/; boundary=x",
		"multipart/mixed; boundary=\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(types); i++) {
		struct strbuf m = STRBUF_INIT;

		headers(&m);
		strbuf_appendf(&m, "Content-Type: %s\n", types[i]);
		boundary(&m, "x");
		attachment_part(&m, 1);
		boundary(&m, "");
		strbuf_appends(&m, "--\n----\n-- --\n");
		close_boundary(&m, "x");
		expect_sane(types[i], m.data, m.len, 1);
		strbuf_free(&m);
	}
}

static void survives_non_mime_input(void **state)
{
	static const char bytes[] = "\x00\x01\xff\xfe--\n\n\r\r\n:::\0\0";
	static const char headers_only[] = "Content-Type: multipart/mixed; boundary=x";
	struct strbuf big = STRBUF_INIT;
	size_t i;

	expect_sane("empty input", "", 0, 0);
	expect_sane("binary bytes", bytes, sizeof bytes - 1, 0);
	expect_sane("header without body", headers_only, sizeof headers_only - 1, 0);
	for (i = 0; i < 20000; i++)
		strbuf_appends(&big, "--x\n");
	expect_sane("only boundaries", big.data, big.len, 0);
	strbuf_free(&big);
}

/* Nests depth multiparts and puts leaves attachments at the bottom. */
static void build_deep(struct strbuf *m, unsigned depth, unsigned leaves)
{
	unsigned i;

	headers(m);
	for (i = 0; i < depth; i++) {
		strbuf_appendf(m, "Content-Type: multipart/mixed; boundary=\"d%u\"\n", i);
		strbuf_appendf(m, "\n--d%u\n", i);
	}
	text_part(m);
	for (i = 0; i < leaves; i++) {
		strbuf_appendf(m, "\n--d%u\n", depth - 1);
		attachment_part(m, i);
	}
	for (i = depth; i-- > 0;)
		strbuf_appendf(m, "\n--d%u--\n", i);
}

static void survives_200_deep_nesting(void **state)
{
	struct strbuf m = STRBUF_INIT;
	unsigned count = 0;
	int rc;

	build_deep(&m, 200, 0);
	rc = mime_count_attachments(m.data, m.len, &count);
	if (rc != 0 && rc != -1)
		fail_msg("200 deep: got rc %d, want 0 or -1", rc);
	if (rc == 0 && count != 0)
		fail_msg("200 deep with no attachment: got %u, want 0", count);
	strbuf_free(&m);
}

static void survives_5000_deep_nesting(void **state)
{
	struct strbuf m = STRBUF_INIT;

	build_deep(&m, 5000, 1);
	expect_sane("5000 deep", m.data, m.len, 1);
	strbuf_free(&m);
}

/* The deepest nesting mime_guard lets through (MIME_GUARD_MAX_DEPTH). */
static void counts_attachments_32_deep(void **state)
{
	struct strbuf m = STRBUF_INIT;
	unsigned count = 0;

	build_deep(&m, 32, 11);
	assert_int_equal(mime_count_attachments(m.data, m.len, &count), 0);
	strbuf_free(&m);
	if (count != 11)
		fail_msg("11 attachments 32 deep: got %u, want 11", count);
}

static void refuses_33_deep_without_parsing(void **state)
{
	struct strbuf m = STRBUF_INIT;
	unsigned count = 0;
	int rc;

	build_deep(&m, 33, 1);
	rc = mime_count_attachments(m.data, m.len, &count);
	strbuf_free(&m);
	if (rc != -1)
		fail_msg("33 deep: got rc %d, want -1 (refused by mime_guard)", rc);
}

static void deep_nesting_does_not_hide_attachments(void **state)
{
	struct strbuf m = STRBUF_INIT;
	unsigned count = 0;
	int rc;

	build_deep(&m, 70, 11);
	rc = mime_count_attachments(m.data, m.len, &count);
	strbuf_free(&m);
	if (rc == 0 && count != 11)
		fail_msg("11 attachments 70 deep: got rc 0 and %u, want -1 or 11", count);
}

static const struct CMUnitTest other_tests[] = {
	cmocka_unit_test(counts_with_crlf_line_ends),
	cmocka_unit_test(reads_only_len_bytes),
	cmocka_unit_test(survives_missing_closing_boundary),
	cmocka_unit_test(survives_garbage_boundaries),
	cmocka_unit_test(survives_non_mime_input),
	cmocka_unit_test(survives_200_deep_nesting),
	cmocka_unit_test(survives_5000_deep_nesting),
	cmocka_unit_test(counts_attachments_32_deep),
	cmocka_unit_test(refuses_33_deep_without_parsing),
	cmocka_unit_test(deep_nesting_does_not_hide_attachments),
};

static struct CMUnitTest row_test(const char *name, CMUnitTestFunction fn,
				  const void *row)
{
	struct CMUnitTest t = { name, fn, NULL, NULL, (void *)row };

	return t;
}

int main(void)
{
	struct CMUnitTest tests[ARRAY_SIZE(count_cases) + ARRAY_SIZE(other_tests)];
	size_t i, n = 0;

	for (i = 0; i < ARRAY_SIZE(count_cases); i++)
		tests[n++] = row_test(count_cases[i].name, run_count_case, &count_cases[i]);
	for (i = 0; i < ARRAY_SIZE(other_tests); i++)
		tests[n++] = other_tests[i];
	return cmocka_run_group_tests_name("mime_count", tests, group_setup, NULL);
}
