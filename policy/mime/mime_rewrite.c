/*
 * mime_rewrite - rewrites the HTML parts of a message in place; see
 * mime_rewrite.h.
 *
 * GMime finds the parts and where their bytes are: the content of a leaf
 * is the range of GMime's content stream (bound_start..bound_end, the
 * line break before the next delimiter excluded, as mime_build relies on
 * too) and its headers start at g_mime_header_get_offset.  The new body
 * is the original with those ranges replaced ("splices", in document
 * order), so nothing GMime would re-serialise differently is touched.
 * The decoders and encoders are GMime's (mime_build_to_lf and
 * mime_encode_lf for the encoding).
 *
 * A part that changes from 7bit or 8bit to quoted-printable gets its
 * Content-Transfer-Encoding header replaced (or one added before its
 * first header); for the message's own body that header is the caller's
 * to set (out->top_cte).  A part with more than one such header is left
 * alone: which one a reader believes is anyone's guess.
 *
 * The depth of the walk is bounded by mime_guard (MIME_GUARD_MAX_DEPTH),
 * which the caller ran before the parse.
 *
 * Threads: no static state; GMime must have been initialised
 * (mime_count_init).  Diagnostics: none; counts in struct mime_rewritten.
 */
#include "autoconf.h"

#include <gmime/gmime.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mime_build.h"
#include "mime_rewrite.h"
#include "xalloc.h"

#define MIME_REWRITE_MAX_LINE 998	/* RFC 5322 2.1.1, octets before CRLF */
#define MIME_REWRITE_CTE_QP "Content-Transfer-Encoding: quoted-printable\r\n"

/* msg[start..end) becomes repl. */
struct mime_splice {
	size_t start, end;
	struct strbuf repl;
};

struct mime_rw {
	const char *msg;
	size_t len, body_off;
	GMimeObject *root;
	mime_rewrite_fn fn;
	void *arg;
	struct mime_splice *v;
	size_t n;
	struct mime_rewritten *out;
};

/* Charsets in which an ASCII byte is not always that ASCII character. */
static const char *const mime_rewrite_unsafe[] = {
	"utf-16", "utf16", "utf-32", "utf32", "ucs-2", "ucs2", "ucs-4", "ucs4", "utf-7", "utf7",
	"unicode", "csunicode", "iso-2022-", "hz-gb-2312", "ebcdic", "cp037", "ibm037", "cp500",
	"ibm500", "cp875", "ibm875", "cp1026", "ibm1026",
};

static bool mime_rewrite_charset_ok(GMimeObject *obj)
{
	const char *cs = g_mime_object_get_content_type_parameter(obj, "charset");
	size_t i;

	if (cs == NULL)
		return true;
	for (i = 0; i < sizeof mime_rewrite_unsafe / sizeof mime_rewrite_unsafe[0]; i++)
		if (strncasecmp(cs, mime_rewrite_unsafe[i], strlen(mime_rewrite_unsafe[i])) == 0)
			return false;
	return true;
}

/* True when bytes s[0..len) look like text this module may rewrite. */
static bool mime_rewrite_bytes_ok(const char *s, size_t len)
{
	if (len >= 2 && (((unsigned char)s[0] == 0xfe && (unsigned char)s[1] == 0xff) ||
			 ((unsigned char)s[0] == 0xff && (unsigned char)s[1] == 0xfe)))
		return false;
	return memchr(s, '\0', len) == NULL;
}

/* True when a line of s[0..len) has more than MIME_REWRITE_MAX_LINE octets before its CRLF. */
static bool mime_rewrite_long_lines(const char *s, size_t len)
{
	size_t i, line = 0;

	for (i = 0; i < len; i++) {
		if (s[i] == '\n') {
			line = 0;
		} else if (s[i] != '\r' || i + 1 >= len || s[i + 1] != '\n') {
			if (++line > MIME_REWRITE_MAX_LINE)
				return true;
		}
	}
	return false;
}

/* Decodes s[0..len) of transfer encoding enc into out. */
static void mime_rewrite_decode(GMimeContentEncoding enc, const char *s, size_t len,
				struct strbuf *out)
{
	GMimeEncoding state;
	size_t n;
	char *buf;

	g_mime_encoding_init_decode(&state, enc);
	buf = xmalloc(g_mime_encoding_outlen(&state, len) + 16);
	n = g_mime_encoding_step(&state, s, len, buf);
	n += g_mime_encoding_flush(&state, "", 0, buf + n);
	strbuf_append(out, buf, n);
	free(buf);
}

static struct strbuf *mime_rewrite_splice(struct mime_rw *rw, size_t start, size_t end)
{
	struct mime_splice *s;

	rw->v = xrealloc(rw->v, (rw->n + 1) * sizeof *rw->v);
	s = &rw->v[rw->n++];
	s->start = start;
	s->end = end;
	strbuf_init(&s->repl);
	return &s->repl;
}

/* The end of the header field starting at at: after its last folded line. */
static size_t mime_rewrite_field_end(const char *msg, size_t len, size_t at)
{
	const char *nl;

	while (at < len) {
		nl = memchr(msg + at, '\n', len - at);
		if (nl == NULL)
			return len;
		at = (size_t)(nl - msg) + 1;
		if (at >= len || (msg[at] != ' ' && msg[at] != '\t'))
			break;
	}
	return at;
}

/*
 * Where part obj's Content-Transfer-Encoding goes: [*start, *end) to
 * replace with a new field.  0, or -1 when it cannot be placed.
 */
static int mime_rewrite_cte_at(const struct mime_rw *rw, GMimeObject *obj, size_t *start,
			       size_t *end)
{
	GMimeHeaderList *list = g_mime_object_get_header_list(obj);
	int i, n = list != NULL ? g_mime_header_list_get_count(list) : 0, found = 0;
	gint64 at = -1, first = -1;

	for (i = 0; i < n; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(list, i);

		if (i == 0)
			first = g_mime_header_get_offset(h);
		if (g_ascii_strcasecmp(g_mime_header_get_name(h), "Content-Transfer-Encoding") == 0) {
			at = g_mime_header_get_offset(h);
			found++;
		}
	}
	if (found > 1 || (found == 0 && (at = first) < 0) || (size_t)at < rw->body_off ||
	    (size_t)at > rw->len)
		return -1;
	*start = (size_t)at;
	*end = found ? mime_rewrite_field_end(rw->msg, rw->len, *start) : *start;
	return 0;
}

/*
 * Encodes the rewritten html back for enc into repl; *to_qp set when a
 * 7bit or 8bit part must become quoted-printable.  crlf_end: the encoded
 * original ended in a line break (which base64 output then keeps).
 */
static void mime_rewrite_encode(GMimeContentEncoding enc, const struct strbuf *html,
				bool crlf_end, struct strbuf *repl, bool *to_qp)
{
	struct strbuf lf = STRBUF_INIT;

	*to_qp = false;
	if (enc == GMIME_CONTENT_ENCODING_BINARY ||
	    ((enc == GMIME_CONTENT_ENCODING_DEFAULT || enc == GMIME_CONTENT_ENCODING_7BIT ||
	      enc == GMIME_CONTENT_ENCODING_8BIT) &&
	     !mime_rewrite_long_lines(html->data, html->len))) {
		strbuf_append(repl, html->data, html->len);
		return;
	}
	*to_qp = enc != GMIME_CONTENT_ENCODING_BASE64 &&
		 enc != GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE;
	mime_build_to_lf(strbuf_cstr(html), &lf);
	mime_encode_lf(lf.data, lf.len, enc == GMIME_CONTENT_ENCODING_BASE64, repl);
	/* base64 ends in a line break as the original did (inside a multipart
	 * the one before the delimiter is not the part's) */
	if (enc == GMIME_CONTENT_ENCODING_BASE64) {
		while (repl->len > 0 && (repl->data[repl->len - 1] == '\n' ||
					 repl->data[repl->len - 1] == '\r'))
			repl->data[--repl->len] = '\0';
		if (crlf_end)
			strbuf_appends(repl, "\r\n");
	}
	strbuf_free(&lf);
}

/* Rewrites the content of part into new splices; true when it was rewritten. */
static bool mime_rewrite_content(struct mime_rw *rw, GMimePart *part, size_t start, size_t end)
{
	GMimeContentEncoding enc = g_mime_part_get_content_encoding(part);
	struct strbuf raw = STRBUF_INIT, html = STRBUF_INIT, repl = STRBUF_INIT;
	size_t hstart = 0, hend = 0;
	bool ok = false, to_qp = false, top = GMIME_OBJECT(part) == rw->root;

	if (enc == GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE || enc == GMIME_CONTENT_ENCODING_BASE64)
		mime_rewrite_decode(enc, rw->msg + start, end - start, &raw);
	else if (enc != GMIME_CONTENT_ENCODING_UUENCODE)
		strbuf_append(&raw, rw->msg + start, end - start);
	if (raw.len > 0 && mime_rewrite_bytes_ok(raw.data, raw.len) &&
	    rw->fn(rw->arg, strbuf_cstr(&raw), raw.len, &html) == 0 &&
	    (html.len != raw.len || memcmp(html.data, raw.data, raw.len) != 0)) {
		mime_rewrite_encode(enc, &html, rw->msg[end - 1] == '\n', &repl, &to_qp);
		ok = !to_qp || top || mime_rewrite_cte_at(rw, GMIME_OBJECT(part), &hstart, &hend) == 0;
	}
	if (ok) {
		if (to_qp && top)
			rw->out->top_cte = "quoted-printable";
		else if (to_qp)
			strbuf_appends(mime_rewrite_splice(rw, hstart, hend), MIME_REWRITE_CTE_QP);
		strbuf_append(mime_rewrite_splice(rw, start, end), repl.data, repl.len);
	}
	strbuf_free(&raw);
	strbuf_free(&html);
	strbuf_free(&repl);
	return ok;
}

/* Rewrites leaf obj when it is an HTML body part. */
static void mime_rewrite_leaf(struct mime_rw *rw, GMimeObject *obj)
{
	GMimeContentType *ct = g_mime_object_get_content_type(obj);
	GMimeDataWrapper *w;
	GMimeStream *s;
	size_t start, end;

	if (ct == NULL || !g_mime_content_type_is_type(ct, "text", "html") ||
	    mime_count_is_attachment(obj))
		return;
	w = g_mime_part_get_content(GMIME_PART(obj));
	s = w != NULL ? g_mime_data_wrapper_get_stream(w) : NULL;
	if (s == NULL || s->bound_start < (gint64)rw->body_off)
		goto left;
	start = (size_t)s->bound_start;
	end = s->bound_end < 0 ? rw->len : (size_t)s->bound_end;
	if (end > rw->len || end < start || !mime_rewrite_charset_ok(obj) ||
	    !mime_rewrite_content(rw, GMIME_PART(obj), start, end))
		goto left;
	rw->out->parts++;
	return;
left:
	rw->out->left++;
}

static void mime_rewrite_walk(struct mime_rw *rw, GMimeObject *obj)
{
	int i;

	if (GMIME_IS_MULTIPART(obj)) {
		for (i = 0; i < g_mime_multipart_get_count(GMIME_MULTIPART(obj)); i++)
			mime_rewrite_walk(rw, g_mime_multipart_get_part(GMIME_MULTIPART(obj), i));
	} else if (GMIME_IS_PART(obj)) {
		mime_rewrite_leaf(rw, obj);
	}
}

/* Writes the body with the splices into out; -1 when they are out of order. */
static int mime_rewrite_assemble(const struct mime_rw *rw, struct strbuf *out)
{
	size_t at = rw->body_off, i;

	for (i = 0; i < rw->n; i++) {
		if (rw->v[i].start < at || rw->v[i].end < rw->v[i].start)
			return -1;
		strbuf_append(out, rw->msg + at, rw->v[i].start - at);
		strbuf_append(out, rw->v[i].repl.data, rw->v[i].repl.len);
		at = rw->v[i].end;
	}
	strbuf_append(out, rw->msg + at, rw->len - at);
	return 0;
}

int mime_rewrite_html(const struct mime_parsed *p, const char *msg, size_t len, size_t body_off,
		      mime_rewrite_fn fn, void *arg, struct mime_rewritten *out)
{
	struct mime_rw rw = { msg, len, body_off, NULL, fn, arg, NULL, 0, out };
	int rc = 0;
	size_t i;

	memset(out, 0, sizeof *out);
	strbuf_init(&out->body);
	if (p->message == NULL || body_off > len)
		return -1;
	rw.root = g_mime_message_get_mime_part(p->message);
	if (rw.root != NULL)
		mime_rewrite_walk(&rw, rw.root);
	if (out->parts > 0)
		rc = mime_rewrite_assemble(&rw, &out->body) == 0 ? (int)out->parts : -1;
	for (i = 0; i < rw.n; i++)
		strbuf_free(&rw.v[i].repl);
	free(rw.v);
	if (rc <= 0) {
		strbuf_free(&out->body);
		out->top_cte = NULL;
	}
	return rc;
}

void mime_rewritten_free(struct mime_rewritten *out)
{
	strbuf_free(&out->body);
}
