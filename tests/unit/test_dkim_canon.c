/*
 * test_dkim_canon - unit tests for policy/signing/dkim_canon.c, DKIM
 * relaxed canonicalisation: the example of RFC 6376 section 3.4.6, then
 * the edges (WSP runs, WSP at line ends and starts, empty lines at the
 * end, an empty body, a last line without CRLF, bare LF and lone CR,
 * folded and empty header values, name case, 8-bit bytes).  Every body
 * case is also fed split at every byte, which must not change the output,
 * and a large body must reach the sink in bounded chunks.
 *
 * Diagnostics: a failing case prints "got X, want Y" with the bytes
 * escaped (\r \n \t \xNN).
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

#include "dkim_canon.h"
#include "strbuf.h"
#include "tabletest.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Appends s with CR, LF, TAB and bytes outside ASCII escaped. */
static void escape(struct strbuf *out, const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\r')
			strbuf_appends(out, "\\r");
		else if (c == '\n')
			strbuf_appends(out, "\\n");
		else if (c == '\t')
			strbuf_appends(out, "\\t");
		else if (c < 0x20 || c >= 0x7f)
			strbuf_appendf(out, "\\x%02x", c);
		else
			strbuf_appendc(out, (char)c);
	}
}

/* Fails with both escaped unless got is want. */
static void expect_bytes(const char *what, const struct strbuf *got, const char *want)
{
	struct strbuf g = STRBUF_INIT, w = STRBUF_INIT;

	if (got->len == strlen(want) && (got->len == 0 || memcmp(got->data, want, got->len) == 0))
		return;
	escape(&g, got->data, got->len);
	escape(&w, want, strlen(want));
	fail_msg("%s: got \"%s\", want \"%s\"", what, strbuf_cstr(&g), strbuf_cstr(&w));
}

/* ---- header fields ----------------------------------------------------------- */

struct header_case {
	const char *name;
	const char *field, *value;
	const char *want;
};

static const struct header_case header_cases[] = {
	{ "rfc6376_example_a", "A", "X", "a:X" },
	{ "rfc6376_example_b_wsp_after_name_and_folding", "B ", "Y\t\r\n\tZ  ", "b:Y Z" },
	{ "wsp_at_both_ends_of_the_value_dropped", "Subject", " \t one  two \t", "subject:one two" },
	{ "folded_with_bare_lf_unfolds_too", "Subject", "one\n two", "subject:one two" },
	{ "folded_before_any_text", "Subject", "\r\n\tfirst", "subject:first" },
	{ "folded_twice_long_value", "Content-Type",
	  "multipart/alternative;\r\n\tboundary=\"b1\";\r\n\tcharset=utf-8",
	  "content-type:multipart/alternative; boundary=\"b1\"; charset=utf-8" },
	{ "name_case_lowered_value_case_kept", "MESSAGE-id", "<AbC@Example.COM>",
	  "message-id:<AbC@Example.COM>" },
	{ "header_with_no_value", "X-Empty", "", "x-empty:" },
	{ "header_of_only_wsp", "X-Blank", " \t \r\n ", "x-blank:" },
	{ "eight_bit_utf8_bytes_kept", "Subject", "caf\xc3\xa9  \xe2\x82\xac",
	  "subject:caf\xc3\xa9 \xe2\x82\xac" },
	{ "wsp_inside_quotes_compressed_too", "From", "\"A   B\" <a@b>", "from:\"A B\" <a@b>" },
};

static void run_header_case(void **state)
{
	const struct header_case *c = *state;
	struct strbuf out = STRBUF_INIT;

	strbuf_appends(&out, "kept|");
	dkim_canon_header(&out, c->field, c->value, strlen(c->value));
	if (strncmp(out.data, "kept|", 5) != 0)
		fail_msg("dkim_canon_header did not append");
	memmove(out.data, out.data + 5, out.len - 5);
	out.len -= 5;
	expect_bytes(c->name, &out, c->want);
	strbuf_free(&out);
}

/* ---- body ------------------------------------------------------------------------ */

struct body_case {
	const char *name;
	const char *body, *want;
};

static const struct body_case body_cases[] = {
	{ "rfc6376_example_body", " C \r\nD \t E\r\n\r\n\r\n", " C\r\nD E\r\n" },
	{ "empty_body_is_nothing", "", "" },
	{ "body_of_one_empty_line_is_nothing", "\r\n", "" },
	{ "body_of_only_empty_lines_is_nothing", "\r\n\r\n\r\n", "" },
	{ "body_of_only_wsp_lines_is_nothing", "  \r\n\t\r\n \t \r\n", "" },
	{ "last_line_without_crlf_gets_one", "abc", "abc\r\n" },
	{ "last_line_without_crlf_after_wsp", "abc \t", "abc\r\n" },
	{ "trailing_empty_lines_dropped", "abc\r\n\r\n\r\n", "abc\r\n" },
	{ "trailing_wsp_lines_dropped", "abc\r\n \r\n\t\r\n", "abc\r\n" },
	{ "inner_empty_lines_kept", "a\r\n\r\n\r\nb\r\n", "a\r\n\r\n\r\nb\r\n" },
	{ "inner_wsp_line_becomes_empty", "a\r\n   \r\nb\r\n", "a\r\n\r\nb\r\n" },
	{ "wsp_runs_become_one_space", "a  \t  b\t\tc\r\n", "a b c\r\n" },
	{ "trailing_wsp_dropped", "line \t \r\nnext\t\r\n", "line\r\nnext\r\n" },
	{ "leading_wsp_kept_as_one_space", "  \tindented\r\n", " indented\r\n" },
	{ "leading_empty_lines_kept", "\r\n\r\ntext\r\n", "\r\n\r\ntext\r\n" },
	{ "bare_lf_ends_lines", "a\nb \n\n", "a\r\nb\r\n" },
	{ "mixed_lf_and_crlf", "a\r\nb\n\r\nc", "a\r\nb\r\n\r\nc\r\n" },
	{ "lone_cr_is_data", "a\rb\r\n", "a\rb\r\n" },
	{ "cr_at_the_very_end_is_data", "a\r", "a\r\r\n" },
	{ "cr_cr_lf_keeps_one_cr_as_data", "a\r\r\n", "a\r\r\n" },
	{ "wsp_before_lone_cr_is_one_space", "a \rb\r\n", "a \rb\r\n" },
	{ "eight_bit_bytes_kept", "h\xc3\xa9llo  w\xc3\xb6rld \r\n", "h\xc3\xa9llo w\xc3\xb6rld\r\n" },
	{ "signature_separator_loses_its_space", "text\r\n-- \r\nAlice\r\n", "text\r\n--\r\nAlice\r\n" },
	{ "lines_of_prose_unchanged", "one two\r\nthree\r\nfour five\r\n", "one two\r\nthree\r\nfour five\r\n" },
	{ "line_after_text_starting_with_wsp", "a\r\n\t b\r\n c\r\n", "a\r\n b\r\n c\r\n" },
	{ "line_after_text_starting_with_cr", "a\r\n\rb\r\n\r\r\n", "a\r\n\rb\r\n\r\r\n" },
	{ "crlf_then_bare_lf", "a\r\n\nb\r\n", "a\r\n\r\nb\r\n" },
	{ "text_crlf_cr_lf_is_an_empty_line", "a\r\n\r\nb", "a\r\n\r\nb\r\n" },
};

static void append_sink(void *arg, const void *data, size_t len)
{
	strbuf_append(arg, data, len);
}

/* Canonicalises body fed in pieces of at most step bytes (0: one piece). */
static void canon_body(const char *body, size_t len, size_t step, struct strbuf *out)
{
	struct dkim_canon_body *c = malloc(sizeof *c);
	size_t i;

	assert_non_null(c);
	dkim_canon_body_init(c, append_sink, out);
	if (step == 0)
		dkim_canon_body_update(c, body, len);
	for (i = 0; step != 0 && i < len; i += step)
		dkim_canon_body_update(c, body + i, len - i < step ? len - i : step);
	dkim_canon_body_final(c);
	free(c);
}

/* Feeds the body in two pieces split at split. */
static void canon_body_split(const char *body, size_t len, size_t split, struct strbuf *out)
{
	struct dkim_canon_body c;

	dkim_canon_body_init(&c, append_sink, out);
	dkim_canon_body_update(&c, body, split);
	dkim_canon_body_update(&c, body + split, len - split);
	dkim_canon_body_final(&c);
}

static void run_body_case(void **state)
{
	const struct body_case *c = *state;
	struct strbuf out = STRBUF_INIT, what = STRBUF_INIT;
	size_t len = strlen(c->body), i;

	canon_body(c->body, len, 0, &out);
	expect_bytes(c->name, &out, c->want);
	strbuf_reset(&out);
	canon_body(c->body, len, 1, &out);
	expect_bytes("fed byte by byte", &out, c->want);
	for (i = 0; i <= len; i++) {
		strbuf_reset(&out);
		strbuf_reset(&what);
		strbuf_appendf(&what, "split at %zu", i);
		canon_body_split(c->body, len, i, &out);
		expect_bytes(strbuf_cstr(&what), &out, c->want);
	}
	strbuf_free(&out);
	strbuf_free(&what);
}

struct chunk_count {
	size_t total, max, calls;
};

static void count_sink(void *arg, const void *data, size_t len)
{
	struct chunk_count *cc = arg;

	(void)data;
	cc->total += len;
	cc->calls++;
	if (len > cc->max)
		cc->max = len;
}

static void large_body_reaches_sink_in_bounded_chunks(void **state)
{
	struct strbuf body = STRBUF_INIT;
	struct chunk_count cc = { 0, 0, 0 };
	struct dkim_canon_body c;
	size_t i;

	(void)state;
	for (i = 0; i < 20000; i++)
		strbuf_appends(&body, "0123456789 abcdefghijklmnopqrstuvwxyz\r\n");
	strbuf_appends(&body, "\r\n\r\n");
	dkim_canon_body_init(&c, count_sink, &cc);
	dkim_canon_body_update(&c, body.data, body.len);
	dkim_canon_body_final(&c);
	if (cc.total != body.len - 4 || cc.max > DKIM_CANON_CHUNK || cc.calls < 2)
		fail_msg("got %zu bytes in %zu calls of at most %zu, want %zu in chunks of at most %d",
			 cc.total, cc.calls, cc.max, body.len - 4, DKIM_CANON_CHUNK);
	strbuf_free(&body);
}

/* Counts the bytes handed over from within [from, to), and all of them. */
struct uncopied_count {
	const char *from, *to;
	size_t in_place, total;
};

static void uncopied_sink(void *arg, const void *data, size_t len)
{
	struct uncopied_count *u = arg;
	const char *p = data;

	if (p >= u->from && p + len <= u->to)
		u->in_place += len;
	u->total += len;
}

static void lines_of_text_reach_sink_uncopied_whole(void **state)
{
	struct strbuf body = STRBUF_INIT, out = STRBUF_INIT;
	struct uncopied_count u = { NULL, NULL, 0, 0 };
	struct dkim_canon_body c;
	size_t i;

	(void)state;
	for (i = 0; i < 20000; i++)
		strbuf_appends(&body, "The quick brown fox jumps over the lazy dog.\r\n");
	u.from = body.data;
	u.to = body.data + body.len;
	dkim_canon_body_init(&c, uncopied_sink, &u);
	dkim_canon_body_update(&c, body.data, body.len);
	dkim_canon_body_final(&c);
	/* one run up to the last line end, handed over in place but for its ends */
	if (u.total != body.len || u.in_place + 2 * DKIM_CANON_CHUNK < body.len)
		fail_msg("got %zu bytes, %zu of them from the body's own memory; want %zu, "
			 "all but two chunks in place", u.total, u.in_place, body.len);
	canon_body(body.data, body.len, 0, &out);
	if (out.len != body.len || memcmp(out.data, body.data, out.len) != 0)
		fail_msg("a canonical body came out changed");
	strbuf_free(&body);
	strbuf_free(&out);
}

static void empty_lines_held_back_any_number(void **state)
{
	struct strbuf body = STRBUF_INIT, out = STRBUF_INIT, want = STRBUF_INIT;
	size_t i;

	(void)state;
	strbuf_appends(&body, "a\r\n");
	for (i = 0; i < 10000; i++)
		strbuf_appends(&body, "\r\n");
	strbuf_append(&want, body.data, body.len);
	strbuf_appends(&body, "b\r\n\r\n");
	strbuf_appends(&want, "b\r\n");
	canon_body(body.data, body.len, 0, &out);
	if (out.len != want.len || memcmp(out.data, want.data, out.len) != 0)
		fail_msg("got %zu bytes, want %zu: inner empty lines must all come out", out.len,
			 want.len);
	strbuf_free(&body);
	strbuf_free(&out);
	strbuf_free(&want);
}

int main(void)
{
	static const struct CMUnitTest other[] = {
		cmocka_unit_test(large_body_reaches_sink_in_bounded_chunks),
		cmocka_unit_test(lines_of_text_reach_sink_uncopied_whole),
		cmocka_unit_test(empty_lines_held_back_any_number),
	};
	struct CMUnitTest tests[ARRAY_SIZE(header_cases) + ARRAY_SIZE(body_cases) +
				ARRAY_SIZE(other)];
	size_t n = 0;

	TABLE_TESTS(tests, header_cases, ARRAY_SIZE(header_cases), run_header_case);
	n += ARRAY_SIZE(header_cases);
	TABLE_TESTS(tests + n, body_cases, ARRAY_SIZE(body_cases), run_body_case);
	n += ARRAY_SIZE(body_cases);
	memcpy(tests + n, other, sizeof other);
	return cmocka_run_group_tests_name("dkim_canon", tests, NULL, NULL);
}
