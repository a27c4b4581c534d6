/*
 * test_mime_rewrite - unit tests for policy/mime/mime_rewrite.c: which
 * HTML parts of a customer's message are rewritten (with the real
 * tracking rewriter, template/tmpl_track), that they decode to the
 * tracked HTML, and that every other byte stays.  The link hook writes
 * "T(URL)", the pixel's src is "P".
 *
 * Diagnostics: cmocka's, with the message that failed printed first.
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
#include <gmime/gmime.h>

#include "mime_count.h"
#include "mime_guard.h"
#include "mime_rewrite.h"
#include "strbuf.h"
#include "tmpl_track.h"

#define PX "<img src=\"P\" width=\"1\" height=\"1\" alt=\"\" " \
	   "style=\"display:block;border:0;width:1px;height:1px\">"
#define HTML_IN "<html><body><a href=\"https://x.example/a\">x</a></body></html>"
#define HTML_OUT "<html><body><a href=\"T(https://x.example/a)\">x</a>" PX "</body></html>"

static int group_setup(void **state)
{
	(void)state;
	mime_count_init();
	return 0;
}

static int link_hook(void *arg, const char *url, struct strbuf *out)
{
	(void)arg;
	strbuf_appendf(out, "T(%s)", url);
	return 0;
}

/* The link of a real tracking link's length (about 100 bytes longer). */
static int long_link_hook(void *arg, const char *url, struct strbuf *out)
{
	(void)arg;
	strbuf_appendf(out, "T(%s)%0100d", url, 0);
	return 0;
}

/* arg non-NULL: long links. */
static int track_fn(void *arg, const char *html, size_t len, struct strbuf *out)
{
	struct tmpl_track_hooks hooks = { arg != NULL ? long_link_hook : link_hook, NULL, "P" };

	tmpl_track_html(html, len, &hooks, out, NULL);
	return 0;
}

/* Appends s with every LF made CRLF. */
static void crlf(struct strbuf *out, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\n')
			strbuf_appendc(out, '\r');
		strbuf_appendc(out, *s);
	}
}

struct result {
	struct strbuf msg;		/* the original, CRLF */
	struct strbuf after;		/* headers (top CTE applied) and the new body */
	struct mime_rewritten rw;
	int rc;
	size_t body_off;
};

/* Rewrites message text (LF line ends) as the engine does: guard, parse, rewrite. */
static void rewrite_with(const char *text, void *arg, struct result *r)
{
	struct mime_guard_verdict v;
	struct mime_parsed p;
	const char *sep;

	strbuf_init(&r->msg);
	strbuf_init(&r->after);
	crlf(&r->msg, text);
	sep = strstr(r->msg.data, "\r\n\r\n");
	assert_non_null(sep);
	r->body_off = (size_t)(sep - r->msg.data) + 4;
	assert_int_equal(mime_guard_check(r->msg.data, r->msg.len, &v), MIME_GUARD_OK);
	assert_int_equal(mime_parse_open_checked(r->msg.data, r->msg.len, &v, &p), 0);
	r->rc = mime_rewrite_html(&p, r->msg.data, r->msg.len, r->body_off, track_fn, arg, &r->rw);
	mime_parse_close(&p);
	if (r->rc > 0 && r->rw.top_cte != NULL) {
		const char *cte = strstr(r->msg.data, "Content-Transfer-Encoding: ");

		assert_non_null(cte);
		strbuf_append(&r->after, r->msg.data, (size_t)(cte - r->msg.data));
		strbuf_appendf(&r->after, "Content-Transfer-Encoding: %s\r\n\r\n", r->rw.top_cte);
	} else {
		strbuf_append(&r->after, r->msg.data, r->body_off);
	}
	if (r->rc > 0)
		strbuf_append(&r->after, r->rw.body.data, r->rw.body.len);
}

static void rewrite(const char *text, struct result *r)
{
	rewrite_with(text, NULL, r);
}

static void result_free(struct result *r)
{
	strbuf_free(&r->msg);
	strbuf_free(&r->after);
	mime_rewritten_free(&r->rw);
}

/* The decoded content of the nth text/html part of the rewritten message. */
static void html_part(const struct result *r, int nth, struct strbuf *out, char *cte, size_t ctesz)
{
	struct mime_parsed p;
	GMimePartIter *it;
	GMimeObject *root;
	int seen = 0;

	assert_int_equal(mime_parse_open(r->after.data, r->after.len, &p), 0);
	root = g_mime_message_get_mime_part(p.message);
	it = g_mime_part_iter_new(root);
	do {
		GMimeObject *obj = GMIME_IS_MULTIPART(root) ? g_mime_part_iter_get_current(it) : root;
		GMimeStream *mem;
		GByteArray *bytes;

		if (obj == NULL || !GMIME_IS_PART(obj) ||
		    !g_mime_content_type_is_type(g_mime_object_get_content_type(obj), "text", "html") ||
		    seen++ != nth)
			continue;
		mem = g_mime_stream_mem_new();
		g_mime_data_wrapper_write_to_stream(g_mime_part_get_content(GMIME_PART(obj)), mem);
		bytes = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
		strbuf_append(out, (const char *)bytes->data, bytes->len);
		snprintf(cte, ctesz, "%s",
			 g_mime_part_get_content_encoding(GMIME_PART(obj)) ==
					 GMIME_CONTENT_ENCODING_DEFAULT
				 ? "default"
				 : g_mime_content_encoding_to_string(
					   g_mime_part_get_content_encoding(GMIME_PART(obj))));
		g_object_unref(mem);
		break;
	} while (GMIME_IS_MULTIPART(root) && g_mime_part_iter_next(it));
	g_mime_part_iter_free(it);
	mime_parse_close(&p);
}

/* Every line of s within max octets. */
static void expect_lines_within(const char *s, size_t max)
{
	const char *nl;

	for (; (nl = strchr(s, '\n')) != NULL; s = nl + 1)
		assert_true((size_t)(nl - s) <= max + 1);	/* + the CR */
	assert_true(strlen(s) <= max);
}

static void expect_html(const struct result *r, int nth, const char *want, const char *cte)
{
	struct strbuf got = STRBUF_INIT;
	char gotcte[32] = "";

	html_part(r, nth, &got, gotcte, sizeof gotcte);
	assert_string_equal(strbuf_cstr(&got), want);
	assert_string_equal(gotcte, cte);
	strbuf_free(&got);
}

static void single_part_quoted_printable(void **state)
{
	struct result r;

	(void)state;
	rewrite("From: a@b.example\nContent-Type: text/html; charset=utf-8\n"
		"Content-Transfer-Encoding: quoted-printable\n\n"
		"<html><body><a href=3D\"https://x.example/a\">x</a>=\n</body></html>\n", &r);
	assert_int_equal(r.rc, 1);
	assert_null(r.rw.top_cte);
	expect_html(&r, 0, HTML_OUT "\r\n", "quoted-printable");
	expect_lines_within(r.rw.body.data, 76);
	result_free(&r);
}

static void single_part_base64(void **state)
{
	struct result r;
	gchar *b64 = g_base64_encode((const guchar *)HTML_IN, strlen(HTML_IN));
	char *msg = g_strdup_printf("Content-Type: text/html\nContent-Transfer-Encoding: base64\n"
				    "\n%s\n", b64);

	(void)state;
	rewrite(msg, &r);
	assert_int_equal(r.rc, 1);
	expect_html(&r, 0, HTML_OUT, "base64");
	expect_lines_within(r.rw.body.data, 76);
	assert_memory_equal(r.rw.body.data + r.rw.body.len - 2, "\r\n", 2);
	assert_memory_equal(r.rw.body.data + r.rw.body.len - 3, "=", 1);	/* not a blank line */
	result_free(&r);
	g_free(msg);
	g_free(b64);
}

#define ALT_TEXT "--b1\nContent-Type: text/plain\n\nsee https://x.example/a\n"
static void alternative_text_stays_html_is_tracked(void **state)
{
	struct result r;
	const char *after;

	(void)state;
	rewrite("Content-Type: multipart/alternative; boundary=b1\n\n" ALT_TEXT
		"--b1\nContent-Type: text/html; charset=iso-8859-1\n\n" HTML_IN "\n--b1--\n", &r);
	assert_int_equal(r.rc, 1);
	expect_html(&r, 0, HTML_OUT, "default");
	after = r.rw.body.data;
	assert_memory_equal(after, "--b1\r\nContent-Type: text/plain\r\n\r\nsee https://x.example/a\r\n"
			    "--b1\r\nContent-Type: text/html; charset=iso-8859-1\r\n\r\n",
			    strlen(ALT_TEXT) + 4 + strlen("--b1\r\nContent-Type: text/html; "
							  "charset=iso-8859-1\r\n\r\n"));
	assert_non_null(strstr(after, "</body></html>\r\n--b1--\r\n"));
	result_free(&r);
}

#define ATTACHMENT "Content-Type: application/pdf; name=a.pdf\n" \
		   "Content-Disposition: attachment; filename=a.pdf\n" \
		   "Content-Transfer-Encoding: base64\n\nJVBERi0xLjQK\n"
static void mixed_attachment_is_kept_byte_for_byte(void **state)
{
	struct result r;
	struct strbuf att = STRBUF_INIT;

	(void)state;
	rewrite("Content-Type: multipart/mixed; boundary=m\n\n--m\n"
		"Content-Type: multipart/alternative; boundary=b1\n\n" ALT_TEXT
		"--b1\nContent-Type: text/html\nContent-Transfer-Encoding: quoted-printable\n\n"
		HTML_IN "\n--b1--\n--m\n" ATTACHMENT "--m--\n", &r);
	assert_int_equal(r.rc, 1);
	expect_html(&r, 0, HTML_OUT, "quoted-printable");
	crlf(&att, "--m\n" ATTACHMENT "--m--\n");
	assert_true(r.rw.body.len > att.len);
	assert_memory_equal(r.rw.body.data + r.rw.body.len - att.len, att.data, att.len);
	strbuf_free(&att);
	result_free(&r);
}

static void html_attachment_is_left(void **state)
{
	struct result r;

	(void)state;
	rewrite("Content-Type: multipart/mixed; boundary=m\n\n--m\n"
		"Content-Type: text/plain\n\nhello\n--m\n"
		"Content-Type: text/html\nContent-Disposition: attachment; filename=p.html\n\n"
		HTML_IN "\n--m--\n", &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.rw.parts, 0);
	result_free(&r);
}

static void utf16_is_left(void **state)
{
	struct result r;

	(void)state;
	rewrite("Content-Type: text/html; charset=UTF-16LE\n"
		"Content-Transfer-Encoding: base64\n\nPABhACAAaAByAGUAZgA9ACIAaAB0AHQAcAA6AC8ALwB4AC8AIgA+AA==\n",
		&r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.rw.left, 1);
	result_free(&r);
}

static void bom_without_charset_is_left(void **state)
{
	struct result r;

	(void)state;
	rewrite("Content-Type: text/html\nContent-Transfer-Encoding: base64\n\n//48AGEAPgA=\n", &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.rw.left, 1);
	result_free(&r);
}

/* An HTML line of n links: rewritten it passes 998 octets. */
static char *long_line_html(int n)
{
	GString *s = g_string_new("<html><body>");
	int i;

	for (i = 0; i < n; i++)
		g_string_append_printf(s, "<a href=\"https://x.example/%d\">%d</a>", i, i);
	g_string_append(s, "</body></html>");
	return g_string_free(s, FALSE);
}

static void long_7bit_line_becomes_quoted_printable(void **state)
{
	struct result r;
	char *html = long_line_html(20);
	char *msg = g_strdup_printf("Content-Type: multipart/alternative; boundary=b1\n\n" ALT_TEXT
				    "--b1\nContent-Type: text/html\nContent-Transfer-Encoding: 7bit\n"
				    "\n%s\n--b1--\n", html);
	struct strbuf want = STRBUF_INIT;
	struct tmpl_track_hooks hooks = { long_link_hook, NULL, "P" };

	(void)state;
	assert_true(strlen(html) < 998);
	rewrite_with(msg, &r, &r);
	assert_int_equal(r.rc, 1);
	tmpl_track_html(html, strlen(html), &hooks, &want, NULL);
	assert_true(want.len > 998);
	expect_html(&r, 0, want.data, "quoted-printable");
	expect_lines_within(r.rw.body.data, 76);
	assert_non_null(strstr(r.rw.body.data, "\r\nContent-Type: text/html\r\n"
					       "Content-Transfer-Encoding: quoted-printable\r\n\r\n"));
	assert_null(strstr(r.rw.body.data, "7bit"));
	strbuf_free(&want);
	result_free(&r);
	g_free(msg);
	g_free(html);
}

static void long_line_without_cte_header_gets_one(void **state)
{
	struct result r;
	char *html = long_line_html(20);
	char *msg = g_strdup_printf("Content-Type: multipart/related; boundary=b1\n\n"
				    "--b1\nContent-Type: text/html\n\n%s\n--b1--\n", html);

	(void)state;
	rewrite_with(msg, &r, &r);
	assert_int_equal(r.rc, 1);
	assert_non_null(strstr(r.rw.body.data, "--b1\r\nContent-Transfer-Encoding: "
					       "quoted-printable\r\nContent-Type: text/html\r\n"));
	expect_lines_within(r.rw.body.data, 76);
	result_free(&r);
	g_free(msg);
	g_free(html);
}

static void long_line_in_top_part_sets_top_cte(void **state)
{
	struct result r;
	char *html = long_line_html(20);
	char *msg = g_strdup_printf("Content-Type: text/html\nContent-Transfer-Encoding: 8bit\n\n%s\n",
				    html);

	(void)state;
	rewrite_with(msg, &r, &r);
	assert_int_equal(r.rc, 1);
	assert_string_equal(r.rw.top_cte, "quoted-printable");
	expect_lines_within(r.rw.body.data, 76);
	result_free(&r);
	g_free(msg);
	g_free(html);
}

static void plain_text_only_is_nothing_to_do(void **state)
{
	struct result r;

	(void)state;
	rewrite("Content-Type: text/plain\n\n<a href=\"https://x.example/\">x</a>\n", &r);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.rw.parts + r.rw.left, 0);
	result_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(single_part_quoted_printable),
		cmocka_unit_test(single_part_base64),
		cmocka_unit_test(alternative_text_stays_html_is_tracked),
		cmocka_unit_test(mixed_attachment_is_kept_byte_for_byte),
		cmocka_unit_test(html_attachment_is_left),
		cmocka_unit_test(utf16_is_left),
		cmocka_unit_test(bom_without_charset_is_left),
		cmocka_unit_test(long_7bit_line_becomes_quoted_printable),
		cmocka_unit_test(long_line_without_cte_header_gets_one),
		cmocka_unit_test(long_line_in_top_part_sets_top_cte),
		cmocka_unit_test(plain_text_only_is_nothing_to_do),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
