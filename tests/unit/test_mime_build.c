/*
 * test_mime_build - unit tests for policy/mime/mime_build.c: the body that
 * replaces the client's message.  Single parts and their transfer
 * encoding (quoted-printable up to 10% non-ASCII bytes, base64 above),
 * multipart/alternative with text first, hostile values that look like
 * boundaries or carry very long lines, attachments of the original
 * carried over byte for byte inside multipart/mixed, and calls from many
 * threads at once.
 *
 * Every built body is parsed back with GMime (structure, transfer
 * encodings, decoded text equal to the input, lines within 78 characters,
 * CRLF only), and one test also hands the whole message to Python's
 * email package as an independent parser that must report no defects.
 *
 * Diagnostics: a failing case prints "got X, want Y".
 */
#include "autoconf.h"

#include <gmime/gmime.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mime_build.h"
#include "mime_count.h"
#include "strbuf.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static int group_setup(void **state)
{
	mime_count_init();
	return 0;
}

/* ---- helpers --------------------------------------------------------------- */

/* Appends s with every LF made CRLF. */
static void append_crlf(struct strbuf *out, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\n')
			strbuf_appendc(out, '\r');
		strbuf_appendc(out, *s);
	}
}

/* Returns s with every line break made LF.  Caller frees. */
static char *to_lf(const char *s)
{
	struct strbuf out = STRBUF_INIT;

	for (; *s != '\0'; s++) {
		if (*s == '\r' && s[1] == '\n')
			continue;
		strbuf_appendc(&out, *s == '\r' ? '\n' : *s);
	}
	strbuf_appends(&out, "");
	return strbuf_detach(&out);
}

/* The whole message: top headers from b, then its body. */
static void full_message(const struct mime_built *b, struct strbuf *m)
{
	strbuf_appends(m, "From: sender@example.com\r\nTo: rcpt@example.net\r\n"
			  "Subject: test\r\nDate: Mon, 2 Jan 2023 10:00:00 +0000\r\n"
			  "Message-ID: <t@example.com>\r\nMIME-Version: 1.0\r\n");
	strbuf_appendf(m, "Content-Type: %s\r\n", strbuf_cstr(&b->content_type));
	if (b->transfer_encoding.len > 0)
		strbuf_appendf(m, "Content-Transfer-Encoding: %s\r\n",
			       strbuf_cstr(&b->transfer_encoding));
	strbuf_appends(m, "\r\n");
	strbuf_append(m, b->body.data, b->body.len);
}

/* Parses the whole message of b with GMime.  Caller unrefs. */
static GMimeMessage *parse_back(const struct mime_built *b)
{
	struct strbuf m = STRBUF_INIT;
	GMimeStream *stream;
	GMimeParser *parser;
	GMimeMessage *msg;

	full_message(b, &m);
	stream = g_mime_stream_mem_new_with_buffer(m.data, m.len);
	parser = g_mime_parser_new_with_stream(stream);
	msg = g_mime_parser_construct_message(parser, NULL);
	g_object_unref(parser);
	g_object_unref(stream);
	strbuf_free(&m);
	assert_non_null(msg);
	return msg;
}

/* Appends the structure of obj: "type/sub" or "multipart/x[a,b]". */
static void structure(GMimeObject *obj, struct strbuf *out)
{
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	char *mime = g_mime_content_type_get_mime_type(ct);
	int i, n;

	strbuf_appends(out, mime);
	g_free(mime);
	if (!GMIME_IS_MULTIPART(obj))
		return;
	strbuf_appendc(out, '[');
	n = g_mime_multipart_get_count(GMIME_MULTIPART(obj));
	for (i = 0; i < n; i++) {
		if (i > 0)
			strbuf_appendc(out, ',');
		structure(g_mime_multipart_get_part(GMIME_MULTIPART(obj), i), out);
	}
	strbuf_appendc(out, ']');
}

/* True when obj's content type is mime ("text/plain"). */
static bool is_type(GMimeObject *obj, const char *mime)
{
	char *got = g_mime_content_type_get_mime_type(g_mime_object_get_content_type(obj));
	bool same = g_ascii_strcasecmp(got, mime) == 0;

	g_free(got);
	return same;
}

/* The first text leaf of type mime under obj (depth first), or NULL. */
static GMimeObject *find_leaf(GMimeObject *obj, const char *mime)
{
	GMimeObject *found = NULL;
	int i, n;

	if (!GMIME_IS_MULTIPART(obj))
		return GMIME_IS_TEXT_PART(obj) && is_type(obj, mime) ? obj : NULL;
	n = g_mime_multipart_get_count(GMIME_MULTIPART(obj));
	for (i = 0; i < n && found == NULL; i++)
		found = find_leaf(g_mime_multipart_get_part(GMIME_MULTIPART(obj), i), mime);
	return found;
}

/* Checks leaf mime under root decodes to want (line ends compared as LF) with cte. */
static void expect_leaf(GMimeObject *root, const char *mime, const char *want, const char *cte)
{
	GMimeObject *leaf = find_leaf(root, mime);
	const char *got_cte;
	char *text, *a, *b;

	if (leaf == NULL)
		fail_msg("%s part: got none, want one", mime);
	got_cte = g_mime_content_encoding_to_string(
		g_mime_part_get_content_encoding(GMIME_PART(leaf)));
	if (cte != NULL && strcmp(got_cte, cte) != 0)
		fail_msg("%s encoding: got %s, want %s", mime, got_cte, cte);
	text = g_mime_text_part_get_text(GMIME_TEXT_PART(leaf));
	a = to_lf(text);
	b = to_lf(want);
	if (strcmp(a, b) != 0)
		fail_msg("%s decoded: got \"%.200s\", want \"%.200s\"", mime, a, b);
	g_free(text);
	free(a);
	free(b);
}

/* Checks the structure of the built message. */
static void expect_structure(const struct mime_built *b, const char *want)
{
	GMimeMessage *msg = parse_back(b);
	struct strbuf got = STRBUF_INIT;

	structure(g_mime_message_get_mime_part(msg), &got);
	if (strcmp(strbuf_cstr(&got), want) != 0)
		fail_msg("structure: got %s, want %s", strbuf_cstr(&got), want);
	strbuf_free(&got);
	g_object_unref(msg);
}

/* Checks every line of s[0..len) ends in CRLF and has at most 78 characters. */
static void expect_lines(const char *s, size_t len)
{
	size_t start = 0, i;

	for (i = 0; i < len; i++) {
		if (s[i] == '\r' && (i + 1 == len || s[i + 1] != '\n'))
			fail_msg("byte %zu: got a lone CR, want CRLF", i);
		if (s[i] != '\n')
			continue;
		if (i == 0 || s[i - 1] != '\r')
			fail_msg("byte %zu: got a lone LF, want CRLF", i);
		if (i - 1 - start > 78)
			fail_msg("line at %zu: got %zu characters, want at most 78", start,
				 i - 1 - start);
		start = i + 1;
	}
	if (len - start > 78)
		fail_msg("last line: got %zu characters, want at most 78", len - start);
}

/* The boundary parameter of b's content type (caller frees), or NULL. */
static char *boundary_of(const char *content_type)
{
	const char *p = strstr(content_type, "boundary=\"");
	const char *q;

	if (p == NULL)
		return NULL;
	p += 10;
	q = strchr(p, '"');
	assert_non_null(q);
	return strndup(p, (size_t)(q - p));
}

/* ---- originals ------------------------------------------------------------- */

#define ORIG_HEADERS "From: sender@example.com\nTo: rcpt@example.net\nSubject: orig\n" \
	"MIME-Version: 1.0\n"

/* A PDF-like base64 attachment. */
static const char att_pdf[] =
	"Content-Type: application/pdf; name=\"invoice.pdf\"\n"
	"Content-Disposition: attachment; filename=\"invoice.pdf\"\n"
	"Content-Transfer-Encoding: base64\n"
	"\n"
	"JVBERi0xLjQKJcOkw7zDtsOfCjIgMCBvYmoKPDwvTGVuZ3RoIDMgMCBSL0ZpbHRlci9GbGF0ZURl\n"
	"Y29kZT4+CnN0cmVhbQp4nDPQM1Qo5ypUMFAwALJMLUwAVUaFUFFmVxJYD4sE0RkA\n"
	"JSVFT0YK";

/* An attached message with a multipart of its own. */
static const char att_message[] =
	"Content-Type: message/rfc822\n"
	"Content-Disposition: attachment; filename=\"fwd.eml\"\n"
	"\n"
	"From: x@example.org\n"
	"Subject: inner\n"
	"MIME-Version: 1.0\n"
	"Content-Type: multipart/mixed; boundary=\"inner\"\n"
	"\n"
	"--inner\n"
	"Content-Type: text/plain\n"
	"\n"
	"inner body\n"
	"--inner\n"
	"Content-Type: application/octet-stream; name=\"a.bin\"\n"
	"Content-Transfer-Encoding: base64\n"
	"\n"
	"AAECAwQF\n"
	"--inner--";

/* A quoted-printable text attachment with a folded header. */
static const char att_notes[] =
	"Content-Type: text/plain; charset=iso-8859-1\n"
	"Content-Disposition: attachment;\n"
	"\tfilename=\"notes.txt\"\n"
	"Content-Transfer-Encoding: quoted-printable\n"
	"\n"
	"Caf=E9 notes, with a soft =\n"
	"line break and  trailing blanks =20\n"
	"--not-a-boundary";

/* Appends (CRLF) a multipart/mixed original: a text body and the parts. */
static void orig_mixed(struct strbuf *m, const char *const *parts, size_t n)
{
	size_t i;

	append_crlf(m, ORIG_HEADERS "Content-Type: multipart/mixed; boundary=\"mix\"\n\n"
		       "This is a multi-part message in MIME format.\n--mix\n"
		       "Content-Type: text/plain; charset=utf-8\n\nOriginal body.\n");
	for (i = 0; i < n; i++) {
		append_crlf(m, "\n--mix\n");
		append_crlf(m, parts[i]);
	}
	append_crlf(m, "\n--mix--\n");
}

static void orig_none(struct strbuf *m)
{
	(void)m;
}

static void orig_mixed_1(struct strbuf *m)
{
	const char *parts[] = { att_pdf };

	orig_mixed(m, parts, 1);
}

static void orig_mixed_3(struct strbuf *m)
{
	const char *parts[] = { att_notes, att_message, att_pdf };

	orig_mixed(m, parts, 3);
}

static void orig_alternative(struct strbuf *m)
{
	append_crlf(m, ORIG_HEADERS "Content-Type: multipart/alternative; boundary=\"alt\"\n\n"
		       "--alt\nContent-Type: text/plain\n\nhi\n"
		       "--alt\nContent-Type: text/html\n\n<p>hi</p>\n--alt--\n");
}

static void orig_plain(struct strbuf *m)
{
	append_crlf(m, ORIG_HEADERS "Content-Type: text/plain\n\nJust text.\n");
}

/* mixed[ alternative[ text, related[ html, logo.png ] ], invoice.pdf ], epilogue */
static void orig_nested(struct strbuf *m)
{
	append_crlf(m, ORIG_HEADERS "Content-Type: multipart/mixed; boundary=\"b1\"\n\n"
		       "--b1\nContent-Type: multipart/alternative; boundary=\"b2\"\n\n"
		       "--b2\nContent-Type: text/plain\n\nhi\n"
		       "--b2\nContent-Type: multipart/related; boundary=\"b3\"\n\n"
		       "--b3\nContent-Type: text/html\n\n<img src=\"cid:logo\">\n"
		       "--b3\nContent-Type: image/png; name=\"logo.png\"\n"
		       "Content-ID: <logo>\nContent-Transfer-Encoding: base64\n\niVBORw0KGgo=\n"
		       "--b3--\n\n--b2--\n\n--b1\n");
	append_crlf(m, att_pdf);
	append_crlf(m, "\n--b1--  \nepilogue\n");
}

/* A message whose whole body is the attachment. */
static void orig_single_attachment(struct strbuf *m)
{
	append_crlf(m, ORIG_HEADERS);
	append_crlf(m, att_pdf);
	append_crlf(m, "\n");
}

/* An original with LF line ends: the attachment is copied with them. */
static void orig_mixed_lf(struct strbuf *m)
{
	strbuf_appends(m, ORIG_HEADERS "Content-Type: multipart/mixed; boundary=\"mix\"\n\n"
		       "--mix\nContent-Type: text/plain\n\nbody\n--mix\n");
	strbuf_appends(m, att_pdf);
	strbuf_appends(m, "\n--mix--\n");
}

/* ---- table ----------------------------------------------------------------- */

typedef void orig_fn(struct strbuf *m);

struct build_case {
	const char *name;
	const char *text, *html;	/* template output */
	orig_fn *orig;
	const char *structure;		/* parsed back */
	const char *top_cte;		/* out->transfer_encoding */
	const char *text_cte, *html_cte;
	const char *atts[3];		/* carried over, in order, as in orig (LF) */
	bool lf_atts;			/* orig has LF line ends: atts copied with them */
};

#define HELLO_TEXT "Hello Ann,\nwelcome to Example.\n"
#define HELLO_HTML "<p>Hello Ann,</p>\n<p>welcome to Example.</p>\n"
#define CJK_TEXT "山田様\n\nご登録ありがとうございます。今後ともよろしくお願いいたします。\n"

static const struct build_case build_cases[] = {
	{ "text_only_is_one_quoted_printable_part", HELLO_TEXT, NULL, orig_none,
	  "text/plain", "quoted-printable", "quoted-printable", NULL, { NULL }, false },
	{ "html_only_is_one_quoted_printable_part", NULL, HELLO_HTML, orig_none,
	  "text/html", "quoted-printable", NULL, "quoted-printable", { NULL }, false },
	{ "empty_text_counts_as_absent", "", HELLO_HTML, orig_none,
	  "text/html", "quoted-printable", NULL, "quoted-printable", { NULL }, false },
	{ "text_and_html_are_alternative_text_first", HELLO_TEXT, HELLO_HTML, orig_none,
	  "multipart/alternative[text/plain,text/html]", "", "quoted-printable",
	  "quoted-printable", { NULL }, false },
	{ "cjk_text_is_base64", CJK_TEXT, NULL, orig_none,
	  "text/plain", "base64", "base64", NULL, { NULL }, false },
	{ "cjk_html_is_base64_beside_ascii_text", HELLO_TEXT, "<p>" CJK_TEXT "</p>", orig_none,
	  "multipart/alternative[text/plain,text/html]", "", "quoted-printable", "base64",
	  { NULL }, false },
	{ "ten_percent_non_ascii_is_quoted_printable",
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "ééééé", NULL, orig_none, "text/plain", "quoted-printable", "quoted-printable", NULL,
	  { NULL }, false },
	{ "eleven_percent_non_ascii_is_base64",
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "éééééé", NULL, orig_none, "text/plain", "base64", "base64", NULL, { NULL }, false },
	{ "text_without_final_newline_decodes_exactly", "no newline at the end", NULL, orig_none,
	  "text/plain", "quoted-printable", "quoted-printable", NULL, { NULL }, false },
	{ "keeps_one_attachment_in_mixed", HELLO_TEXT, HELLO_HTML, orig_mixed_1,
	  "multipart/mixed[multipart/alternative[text/plain,text/html],application/pdf]", "",
	  "quoted-printable", "quoted-printable", { att_pdf }, false },
	{ "keeps_three_attachments_in_order", HELLO_TEXT, HELLO_HTML, orig_mixed_3,
	  "multipart/mixed[multipart/alternative[text/plain,text/html],text/plain,"
	  "message/rfc822,application/pdf]", "", "quoted-printable", "quoted-printable",
	  { att_notes, att_message, att_pdf }, false },
	{ "single_part_and_attachment_is_mixed", HELLO_TEXT, NULL, orig_mixed_1,
	  "multipart/mixed[text/plain,application/pdf]", "", "quoted-printable", NULL,
	  { att_pdf }, false },
	{ "original_alternative_has_no_attachments", HELLO_TEXT, HELLO_HTML, orig_alternative,
	  "multipart/alternative[text/plain,text/html]", "", "quoted-printable",
	  "quoted-printable", { NULL }, false },
	{ "original_plain_text_has_no_attachments", HELLO_TEXT, NULL, orig_plain,
	  "text/plain", "quoted-printable", "quoted-printable", NULL, { NULL }, false },
	{ "keeps_attachments_from_nested_multiparts", HELLO_TEXT, NULL, orig_nested,
	  "multipart/mixed[text/plain,image/png,application/pdf]", "", "quoted-printable", NULL,
	  { "Content-Type: image/png; name=\"logo.png\"\nContent-ID: <logo>\n"
	    "Content-Transfer-Encoding: base64\n\niVBORw0KGgo=", att_pdf }, false },
	{ "keeps_attachment_that_is_the_whole_original", HELLO_TEXT, NULL, orig_single_attachment,
	  "multipart/mixed[text/plain,application/pdf]", "", "quoted-printable", NULL,
	  { att_pdf }, false },
	{ "copies_attachment_with_lf_line_ends_as_sent", HELLO_TEXT, NULL, orig_mixed_lf,
	  "multipart/mixed[text/plain,application/pdf]", "", "quoted-printable", NULL,
	  { att_pdf }, true },
};

/* Checks the attachment raw (LF; made CRLF unless lf) sits whole between delimiters. */
static void expect_attachment(const struct mime_built *b, const char *raw, bool lf)
{
	char *mix = boundary_of(strbuf_cstr(&b->content_type));
	struct strbuf want = STRBUF_INIT;

	assert_non_null(mix);
	strbuf_appendf(&want, "\r\n--%s\r\n", mix);
	if (lf)
		strbuf_appends(&want, raw);
	else
		append_crlf(&want, raw);
	strbuf_appendf(&want, "\r\n--%s", mix);
	if (memmem(b->body.data, b->body.len, want.data, want.len) == NULL)
		fail_msg("attachment: got body\n%s\nwant it to contain\n%s", strbuf_cstr(&b->body),
			 strbuf_cstr(&want));
	free(mix);
	strbuf_free(&want);
}

/*
 * mime_build_parsed() over the caller's parse (the engine's one parse at
 * end of message) carries over the same attachments as mime_build().
 */
static void expect_same_from_parsed(const struct build_case *c, const struct strbuf *orig,
				    unsigned n)
{
	struct mime_parsed p;
	struct mime_built b;
	unsigned i;

	if (orig->data == NULL)
		return;	/* no original: nothing to parse */
	if (mime_parse_open(orig->data, orig->len, &p) != 0)
		fail_msg("mime_parse_open: got -1, want 0");
	if (mime_build_parsed(c->text, c->html, &p, orig->data, orig->len, &b) != 0)
		fail_msg("mime_build_parsed: got -1, want 0");
	for (i = 0; i < n; i++)
		expect_attachment(&b, c->atts[i], c->lf_atts);
	if (b.attachments != n)
		fail_msg("attachments from the caller's parse: got %u, want %u", b.attachments, n);
	mime_built_free(&b);
	mime_parse_close(&p);
}

static void run_build_case(void **state)
{
	const struct build_case *c = *state;
	struct strbuf orig = STRBUF_INIT;
	struct mime_built b;
	GMimeMessage *msg;
	unsigned n;

	c->orig(&orig);
	if (mime_build(c->text, c->html, orig.data, orig.len, &b) != 0)
		fail_msg("mime_build: got -1, want 0");
	if (strcmp(strbuf_cstr(&b.transfer_encoding), c->top_cte) != 0)
		fail_msg("top encoding: got \"%s\", want \"%s\"", strbuf_cstr(&b.transfer_encoding),
			 c->top_cte);
	expect_structure(&b, c->structure);
	msg = parse_back(&b);
	if (c->text_cte != NULL)
		expect_leaf(g_mime_message_get_mime_part(msg), "text/plain", c->text, c->text_cte);
	if (c->html_cte != NULL)
		expect_leaf(g_mime_message_get_mime_part(msg), "text/html", c->html, c->html_cte);
	g_object_unref(msg);
	for (n = 0; n < ARRAY_SIZE(c->atts) && c->atts[n] != NULL; n++)
		expect_attachment(&b, c->atts[n], c->lf_atts);
	if (b.attachments != n)
		fail_msg("attachments: got %u, want %u", b.attachments, n);
	if (!c->lf_atts)
		expect_lines(b.body.data, b.body.len);
	mime_built_free(&b);
	expect_same_from_parsed(c, &orig, n);
	strbuf_free(&orig);
}

/* ---- golden bodies, hostile values, failures --------------------------------- */

static void text_only_body_is_golden(void **state)
{
	struct mime_built b;

	assert_int_equal(mime_build("Hi Ann =)\nBye. \n", NULL, NULL, 0, &b), 0);
	if (strcmp(strbuf_cstr(&b.content_type), "text/plain; charset=utf-8") != 0)
		fail_msg("content type: got \"%s\"", strbuf_cstr(&b.content_type));
	if (strcmp(strbuf_cstr(&b.body), "Hi Ann =3D)\r\nBye.=20\r\n") != 0)
		fail_msg("body: got \"%s\", want \"Hi Ann =3D)\\r\\nBye.=20\\r\\n\"",
			 strbuf_cstr(&b.body));
	assert_int_equal(b.attachments, 0);
	mime_built_free(&b);
	mime_built_free(NULL);
}

/* The alternative body: delimiter, text part, delimiter, html part, close. */
static void alternative_body_is_golden(void **state)
{
	struct strbuf want = STRBUF_INIT;
	struct mime_built b;
	char *alt;

	assert_int_equal(mime_build("t\n", "<b>h</b>\n", NULL, 0, &b), 0);
	alt = boundary_of(strbuf_cstr(&b.content_type));
	assert_non_null(alt);
	if (strlen(alt) != 30 || strncmp(alt, "=_ses_", 6) != 0 ||
	    strspn(alt + 6, "0123456789abcdef") != 24)
		fail_msg("boundary: got \"%s\", want =_ses_ and 24 hex digits", alt);
	strbuf_appendf(&want, "multipart/alternative; boundary=\"%s\"", alt);
	if (strcmp(strbuf_cstr(&b.content_type), strbuf_cstr(&want)) != 0)
		fail_msg("content type: got \"%s\", want \"%s\"", strbuf_cstr(&b.content_type),
			 strbuf_cstr(&want));
	strbuf_reset(&want);
	strbuf_appendf(&want, "--%s\r\nContent-Type: text/plain; charset=utf-8\r\n"
		       "Content-Transfer-Encoding: quoted-printable\r\n\r\nt\r\n\r\n"
		       "--%s\r\nContent-Type: text/html; charset=utf-8\r\n"
		       "Content-Transfer-Encoding: quoted-printable\r\n\r\n<b>h</b>\r\n\r\n"
		       "--%s--\r\n", alt, alt, alt);
	if (strcmp(strbuf_cstr(&b.body), strbuf_cstr(&want)) != 0)
		fail_msg("body: got\n%s\nwant\n%s", strbuf_cstr(&b.body), strbuf_cstr(&want));
	free(alt);
	strbuf_free(&want);
	mime_built_free(&b);
}

/* Values that look like boundaries or MIME structure, long lines, lone CR. */
static void hostile_values_cannot_break_structure(void **state)
{
	struct strbuf text = STRBUF_INIT, html = STRBUF_INIT;
	struct mime_built b;
	GMimeMessage *msg;
	size_t i;

	strbuf_appends(&text, "--=_ses_000000000000000000000000\r\n"
			      "Content-Type: text/html\r\n\r\n<script>x</script>\r\n"
			      "--=_ses_000000000000000000000000--\r\n\r\n--boundary\r\n"
			      "\r\n--=_ses_\r\n.\r\nFrom here\rlone CR\n");
	for (i = 0; i < 1000; i++)
		strbuf_appendc(&text, "abc -=_\t"[i % 8]);
	strbuf_appends(&text, "\n");
	strbuf_appends(&html, "<p>\r\n--=_ses_</p>");
	for (i = 0; i < 1000; i++)
		strbuf_appends(&html, i % 2 ? "é" : "x");
	assert_int_equal(mime_build(text.data, html.data, NULL, 0, &b), 0);
	expect_lines(b.body.data, b.body.len);
	expect_structure(&b, "multipart/alternative[text/plain,text/html]");
	msg = parse_back(&b);
	expect_leaf(g_mime_message_get_mime_part(msg), "text/plain", text.data, "quoted-printable");
	expect_leaf(g_mime_message_get_mime_part(msg), "text/html", html.data, "base64");
	g_object_unref(msg);
	mime_built_free(&b);
	strbuf_free(&text);
	strbuf_free(&html);
}

static void refuses_to_build_nothing(void **state)
{
	struct mime_built b;

	assert_int_equal(mime_build(NULL, NULL, NULL, 0, &b), -1);
	mime_built_free(&b);
	assert_int_equal(mime_build("", "", NULL, 0, &b), -1);
	assert_int_equal(b.body.len, 0);
	mime_built_free(&b);
}

/* Boundaries are drawn again for every message. */
static void boundaries_differ_between_messages(void **state)
{
	struct mime_built a, b;

	assert_int_equal(mime_build("t", "h", NULL, 0, &a), 0);
	assert_int_equal(mime_build("t", "h", NULL, 0, &b), 0);
	if (strcmp(strbuf_cstr(&a.content_type), strbuf_cstr(&b.content_type)) == 0)
		fail_msg("boundaries: got the same twice (%s)", strbuf_cstr(&a.content_type));
	mime_built_free(&a);
	mime_built_free(&b);
}

/* ---- an independent parser ------------------------------------------------ */

/*
 * Python's email package (policy default) reads the whole message: it must
 * find no defect in any part, the expected content types in walk() order
 * and the text body as rendered.  Skipped where python3 is missing.
 */
static const char py_check[] =
	"python3 -c '\n"
	"import email, os, sys, email.policy\n"
	"m = email.message_from_bytes(sys.stdin.buffer.read(), policy=email.policy.default)\n"
	"bad = [str(d) for p in m.walk() for d in p.defects]\n"
	"types = \",\".join(p.get_content_type() for p in m.walk())\n"
	"text = m.get_body(preferencelist=(\"plain\",)).get_content().replace(\"\\r\\n\", \"\\n\")\n"
	"want = os.environ[\"SES_WANT_TEXT\"]\n"
	"ok = not bad and types == sys.argv[1] and text == want\n"
	"ok or print(\"got\", bad, types, repr(text), file=sys.stderr)\n"
	"sys.exit(0 if ok else 1)' ";

static void python_email_reads_mixed_without_defects(void **state)
{
	const char *types = "multipart/mixed,multipart/alternative,text/plain,text/html,"
			    "text/plain,message/rfc822,multipart/mixed,text/plain,"
			    "application/octet-stream,application/pdf";
	struct strbuf orig = STRBUF_INIT, m = STRBUF_INIT, cmd = STRBUF_INIT;
	const char *text = "Hello 山田,\n--=_ses_\nline two\n";
	struct mime_built b;
	FILE *p;
	int st;

	if (system("python3 -c 'import email.policy' >/dev/null 2>&1") != 0)
		skip();
	orig_mixed_3(&orig);
	assert_int_equal(mime_build(text, "<p>Hello &amp; bye</p>", orig.data, orig.len, &b), 0);
	full_message(&b, &m);
	setenv("SES_WANT_TEXT", text, 1);
	strbuf_appendf(&cmd, "%s'%s'", py_check, types);
	p = popen(strbuf_cstr(&cmd), "w");
	assert_non_null(p);
	fwrite(m.data, 1, m.len, p);
	st = pclose(p);
	if (st != 0)
		fail_msg("python3 email: got exit status %d, want 0 (see stderr)", st);
	mime_built_free(&b);
	strbuf_free(&orig);
	strbuf_free(&m);
	strbuf_free(&cmd);
}

/* ---- threads ----------------------------------------------------------------- */

#define THREADS 8
#define ROUNDS 40

/* Builds the three-attachment message ROUNDS times; returns NULL or a failure. */
static void *build_many(void *arg)
{
	const struct strbuf *orig = arg;
	struct mime_built b;
	int i;

	for (i = 0; i < ROUNDS; i++) {
		if (mime_build(HELLO_TEXT, CJK_TEXT, orig->data, orig->len, &b) != 0)
			return "mime_build failed";
		if (b.attachments != 3 || strncmp(b.body.data, "--=_ses_", 8) != 0)
			return "wrong body";
		mime_built_free(&b);
	}
	return NULL;
}

static void builds_from_many_threads_at_once(void **state)
{
	struct strbuf orig = STRBUF_INIT;
	pthread_t t[THREADS];
	void *res;
	int i;

	orig_mixed_3(&orig);
	for (i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, build_many, &orig), 0);
	for (i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(t[i], &res), 0);
		if (res != NULL)
			fail_msg("thread %d: got \"%s\", want success", i, (const char *)res);
	}
	strbuf_free(&orig);
}

static const struct CMUnitTest other_tests[] = {
	cmocka_unit_test(text_only_body_is_golden),
	cmocka_unit_test(alternative_body_is_golden),
	cmocka_unit_test(hostile_values_cannot_break_structure),
	cmocka_unit_test(refuses_to_build_nothing),
	cmocka_unit_test(boundaries_differ_between_messages),
	cmocka_unit_test(python_email_reads_mixed_without_defects),
	cmocka_unit_test(builds_from_many_threads_at_once),
};

static struct CMUnitTest row_test(const char *name, CMUnitTestFunction fn, const void *row)
{
	struct CMUnitTest t = { name, fn, NULL, NULL, (void *)row };

	return t;
}

int main(void)
{
	struct CMUnitTest tests[ARRAY_SIZE(build_cases) + ARRAY_SIZE(other_tests)];
	size_t i, n = 0;

	for (i = 0; i < ARRAY_SIZE(build_cases); i++)
		tests[n++] = row_test(build_cases[i].name, run_build_case, &build_cases[i]);
	for (i = 0; i < ARRAY_SIZE(other_tests); i++)
		tests[n++] = other_tests[i];
	return cmocka_run_group_tests_name("mime_build", tests, group_setup, NULL);
}
