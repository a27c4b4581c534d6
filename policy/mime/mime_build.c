/*
 * mime_build - the MIME body of a rendered template; see mime_build.h.
 *
 * GMime does what it does best here: it parses the client's message to
 * find the attachment parts (the definition of mime_count.c) and encodes
 * the new parts (quoted-printable, base64) with its stateful encoders.
 * The MIME structure around them is written by hand, for two reasons:
 *
 *  - Attachments must be copied byte for byte.  GMime re-serialises a
 *    parsed part from its model (re-folding headers, changing line ends),
 *    so instead each attachment's raw bytes are cut from the original:
 *    from the offset of its first header (g_mime_header_get_offset) to
 *    the line break before the next delimiter line of an enclosing
 *    multipart, found with the same test GMime's parser uses ("--B" or
 *    "--B--", then only white space).  For a leaf part this is exactly
 *    the end of GMime's content stream (stream->bound_end).
 *  - The boundaries must be checked against everything they enclose,
 *    which is simple when the parts are already bytes.
 *
 * The encoders see text with LF line ends (GMime's quoted-printable
 * encoder treats LF as the line break) and their output gets CRLF.  A
 * quoted-printable part that does not end in a line break gets a final
 * soft line break "=", and inside a multipart a CRLF precedes every
 * delimiter, so each part decodes to exactly its input.
 *
 * Boundaries are "=_ses_" and 24 hex digits from RAND_bytes; "=_" cannot
 * occur in quoted-printable or base64 output, and every part is checked
 * anyway; a boundary found in a part is drawn again.
 *
 * Threads: no static state; GMime objects live within one call.  GMime
 * must have been initialised (mime_count_init) before threads start.
 *
 * Diagnostics: none logged; mime_build returns -1 when the original does
 * not parse or no random boundary could be drawn.
 */
#include "autoconf.h"

#include <gmime/gmime.h>
#include <openssl/rand.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "mime_build.h"
#include "mime_count.h"
#include "mime_guard.h"
#include "xalloc.h"

#define MIME_BOUNDARY_BYTES 12		/* 24 hex digits */
#define MIME_BOUNDARY_TRIES 8

/* One new part: the type, the transfer encoding and the encoded content. */
struct mime_leaf {
	const char *type;		/* "text/plain" or "text/html" */
	const char *cte;		/* "quoted-printable" or "base64" */
	struct strbuf enc;		/* CRLF line ends, ends with CRLF */
};

/* The attachments of the original, each as raw bytes (headers and content). */
struct mime_atts {
	struct strbuf *v;
	size_t n;
};

/* The boundaries of the multiparts enclosing a part, innermost first. */
struct mime_bnode {
	char boundary[MIME_GUARD_MAX_BOUNDARY + 1];	/* "" when none */
	struct mime_bnode *up;
};

/* A part waiting to be visited, with its enclosing boundaries. */
struct mime_todo {
	GMimeObject *obj;
	struct mime_bnode *chain;
};

/* ---- encoding the new parts ------------------------------------------------ */

void mime_build_to_lf(const char *src, struct strbuf *out)
{
	for (; *src != '\0'; src++) {
		if (*src == '\r') {
			strbuf_appendc(out, '\n');
			if (src[1] == '\n')
				src++;
		} else {
			strbuf_appendc(out, *src);
		}
	}
}

/* Appends s[0..len) with every LF made CRLF (s has no CR). */
static void mime_build_to_crlf(const char *s, size_t len, struct strbuf *out)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (s[i] == '\n')
			strbuf_appendc(out, '\r');
		strbuf_appendc(out, s[i]);
	}
}

/* True when at most 10% of s[0..len) are bytes outside ASCII. */
static bool mime_build_mostly_ascii(const char *s, size_t len)
{
	size_t i, high = 0;

	for (i = 0; i < len; i++)
		high += (unsigned char)s[i] >= 0x80;
	return high * 10 <= len;
}

/* Encodes src (UTF-8) as a part of the given type into leaf. */
static void mime_build_encode(const char *src, const char *type, struct mime_leaf *leaf)
{
	struct strbuf lf = STRBUF_INIT;
	bool base64;

	mime_build_to_lf(src, &lf);
	base64 = !mime_build_mostly_ascii(lf.data, lf.len);
	leaf->type = type;
	leaf->cte = base64 ? "base64" : "quoted-printable";
	strbuf_init(&leaf->enc);
	mime_encode_lf(lf.data, lf.len, base64, &leaf->enc);
	strbuf_free(&lf);
}

void mime_encode_lf(const char *s, size_t len, bool base64, struct strbuf *out)
{
	GMimeEncoding state;
	size_t n, start = out->len;
	char *buf;

	g_mime_encoding_init_encode(&state, base64 ? GMIME_CONTENT_ENCODING_BASE64
						   : GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE);
	buf = xmalloc(g_mime_encoding_outlen(&state, len) + 16);
	n = g_mime_encoding_step(&state, s, len, buf);
	n += g_mime_encoding_flush(&state, "", 0, buf + n);
	mime_build_to_crlf(buf, n, out);
	if (out->len > start && out->data[out->len - 1] != '\n')
		strbuf_appends(out, "=\r\n");	/* QP only: base64 ends in LF */
	free(buf);
}

/* ---- the attachments of the original ------------------------------------ */


/* True when line s[0..len) (no line break) delimits a part of boundary b. */
static bool mime_build_is_delimiter(const char *s, size_t len, const char *b)
{
	size_t blen = strlen(b), i;

	if (len < blen + 2 || s[0] != '-' || s[1] != '-' || memcmp(s + 2, b, blen) != 0)
		return false;
	i = blen + 2;
	if (len >= i + 2 && s[i] == '-' && s[i + 1] == '-')
		i += 2;
	for (; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return false;
	return true;
}

/* True when the line at s[0..len) delimits a part of any boundary in chain. */
static bool mime_build_is_any_delimiter(const char *s, size_t len, const struct mime_bnode *chain)
{
	for (; chain != NULL; chain = chain->up)
		if (mime_build_is_delimiter(s, len, chain->boundary))
			return true;
	return false;
}

/* Where the part starting at start ends: before the line break ahead of a delimiter. */
static size_t mime_build_part_end(const char *msg, size_t len, size_t start,
				  const struct mime_bnode *chain)
{
	const char *nl;
	size_t line = start, next;

	while (line < len) {
		nl = memchr(msg + line, '\n', len - line);
		next = nl != NULL ? (size_t)(nl - msg) + 1 : len;
		if (line > start &&
		    mime_build_is_any_delimiter(msg + line, next - line - (nl != NULL), chain)) {
			line--;		/* the LF that belongs to the delimiter */
			if (line > start && msg[line - 1] == '\r')
				line--;
			return line;
		}
		line = next;
	}
	if (len > start && msg[len - 1] == '\n')
		len -= len - 1 > start && msg[len - 2] == '\r' ? 2 : 1;
	return len;
}

/* Adds msg[start..end) as an attachment to atts, after prefix. */
static void mime_build_add(struct mime_atts *atts, const char *prefix, const char *msg,
			   size_t start, size_t end)
{
	struct strbuf *sb;

	atts->v = xrealloc(atts->v, (atts->n + 1) * sizeof *atts->v);
	sb = &atts->v[atts->n++];
	strbuf_init(sb);
	strbuf_appends(sb, prefix);
	strbuf_append(sb, msg + start, end - start);
}

/* Offset of obj's first header in the original, or -1. */
static gint64 mime_build_first_header(GMimeObject *obj)
{
	GMimeHeaderList *list = g_mime_object_get_header_list(obj);

	if (list == NULL || g_mime_header_list_get_count(list) == 0)
		return -1;
	return g_mime_header_get_offset(g_mime_header_list_get_header_at(list, 0));
}

/*
 * Copies attachment part obj inside a multipart.  A part without headers
 * (a multipart/digest member) gets the Content-Type it had implicitly.
 */
static int mime_build_copy_child(GMimeObject *obj, const struct mime_bnode *chain,
				 const char *msg, size_t len, struct mime_atts *atts)
{
	const char *prefix = "";
	gint64 start = mime_build_first_header(obj);

	if (start < 0 && GMIME_IS_MESSAGE_PART(obj)) {
		GMimeMessage *inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));

		start = inner != NULL ? mime_build_first_header(GMIME_OBJECT(inner)) : -1;
		prefix = "Content-Type: message/rfc822\r\n\r\n";
	}
	if (start < 0 || (size_t)start > len)
		return -1;
	mime_build_add(atts, prefix, msg, (size_t)start,
		       mime_build_part_end(msg, len, (size_t)start, chain));
	return 0;
}

/*
 * Copies a top-level attachment: its Content-* headers and the whole body.
 * The headers are written from their raw names and values (CRLF line
 * ends): serialising them through GMime could re-encode a value.
 */
static void mime_build_copy_root(GMimeObject *obj, GMimeParser *parser, const char *msg,
				 size_t len, struct mime_atts *atts)
{
	GMimeHeaderList *list = g_mime_object_get_header_list(obj);
	gint64 body = g_mime_parser_get_headers_end(parser);
	size_t start = body < 0 || (size_t)body > len ? len : (size_t)body;
	struct strbuf lf = STRBUF_INIT;
	struct strbuf *sb;
	int i, n = list != NULL ? g_mime_header_list_get_count(list) : 0;

	for (i = 0; i < n; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(list, i);
		const char *name = g_mime_header_get_raw_name(h);
		const char *value = g_mime_header_get_raw_value(h);

		if (name == NULL || value == NULL || g_ascii_strncasecmp(name, "Content-", 8) != 0)
			continue;
		strbuf_appendf(&lf, "%s:", name);
		mime_build_to_lf(value, &lf);
		if (lf.len > 0 && lf.data[lf.len - 1] != '\n')
			strbuf_appendc(&lf, '\n');
	}
	if (start < len && msg[start] == '\r')
		start++;
	if (start < len && msg[start] == '\n')
		start++;
	mime_build_add(atts, "", msg, 0, 0);
	sb = &atts->v[atts->n - 1];
	mime_build_to_crlf(lf.data, lf.len, sb);
	strbuf_appends(sb, "\r\n");
	strbuf_append(sb, msg + start, mime_build_part_end(msg, len, start, NULL) - start);
	strbuf_free(&lf);
}

/*
 * The boundary of multipart mp into b, read from the raw Content-Type
 * value: g_mime_multipart_get_boundary() would invent one when there is
 * none and re-encode every parameter (GMime 3.2 loops there on a long
 * name with an 8-bit value).  "" when there is no valid boundary: GMime
 * then read the multipart's body as one prologue.
 */
static void mime_build_boundary_of(GMimeMultipart *mp, char *b)
{
	GMimeHeaderList *list = g_mime_object_get_header_list(GMIME_OBJECT(mp));
	GMimeHeader *h = list != NULL ? g_mime_header_list_get_header(list, "Content-Type") : NULL;
	const char *raw = h != NULL ? g_mime_header_get_raw_value(h) : NULL;

	if (raw == NULL || mime_field_boundary(raw, strlen(raw), b) != 0)
		b[0] = '\0';
}

/* Pushes the children of multipart mp (last first, so they pop in order). */
static void mime_build_push_children(GArray *todo, GMimeMultipart *mp, GPtrArray *nodes,
				     struct mime_bnode *chain)
{
	struct mime_bnode *node = g_new(struct mime_bnode, 1);
	struct mime_todo t;
	int i;

	mime_build_boundary_of(mp, node->boundary);
	node->up = chain;
	g_ptr_array_add(nodes, node);
	for (i = g_mime_multipart_get_count(mp) - 1; i >= 0; i--) {
		t.obj = g_mime_multipart_get_part(mp, i);
		t.chain = node;
		g_array_append_val(todo, t);
	}
}

/*
 * Copies the attachments under multipart root in document order, without
 * recursion: the nesting depth is the sender's choice.
 */
static int mime_build_walk(GMimeObject *root, const char *msg, size_t len,
			   struct mime_atts *atts)
{
	GArray *todo = g_array_new(FALSE, FALSE, sizeof(struct mime_todo));
	GPtrArray *nodes = g_ptr_array_new_with_free_func(g_free);
	struct mime_todo t;
	int rc = 0;

	mime_build_push_children(todo, GMIME_MULTIPART(root), nodes, NULL);
	while (todo->len > 0 && rc == 0) {
		t = g_array_index(todo, struct mime_todo, todo->len - 1);
		g_array_set_size(todo, todo->len - 1);
		if (GMIME_IS_MULTIPART(t.obj))
			mime_build_push_children(todo, GMIME_MULTIPART(t.obj), nodes, t.chain);
		else if (mime_count_is_attachment(t.obj))
			rc = mime_build_copy_child(t.obj, t.chain, msg, len, atts);
	}
	g_array_free(todo, TRUE);
	g_ptr_array_free(nodes, TRUE);
	return rc;
}

/* Collects the attachments of msg[0..len), parsed as p, into atts.  0 or -1. */
static int mime_build_attachments(const struct mime_parsed *p, const char *msg, size_t len,
				  struct mime_atts *atts)
{
	GMimeObject *root = g_mime_message_get_mime_part(p->message);

	if (root != NULL && GMIME_IS_MULTIPART(root))
		return mime_build_walk(root, msg, len, atts);
	if (root != NULL && mime_count_is_attachment(root))
		mime_build_copy_root(root, p->parser, msg, len, atts);
	return 0;
}

static void mime_atts_free(struct mime_atts *atts)
{
	size_t i;

	for (i = 0; i < atts->n; i++)
		strbuf_free(&atts->v[i]);
	free(atts->v);
}

/* ---- boundaries and assembly --------------------------------------------- */

/* Draws a new boundary into b (NUL-terminated).  0 or -1. */
static int mime_build_draw(char b[static 6 + 2 * MIME_BOUNDARY_BYTES + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char r[MIME_BOUNDARY_BYTES];
	size_t i;

	if (RAND_bytes(r, sizeof r) != 1)
		return -1;
	memcpy(b, "=_ses_", 6);
	for (i = 0; i < sizeof r; i++) {
		b[6 + 2 * i] = hex[r[i] >> 4];
		b[7 + 2 * i] = hex[r[i] & 15];
	}
	b[6 + 2 * sizeof r] = '\0';
	return 0;
}

/* True when b occurs in none of the leaves, attachments or in other. */
static bool mime_build_unique(const char *b, const struct mime_leaf *leaves, size_t nleaves,
			      const struct mime_atts *atts, const char *other)
{
	size_t blen = strlen(b), i;

	if (other != NULL && strcmp(b, other) == 0)
		return false;
	for (i = 0; i < nleaves; i++)
		if (leaves[i].enc.len > 0 &&
		    memmem(leaves[i].enc.data, leaves[i].enc.len, b, blen) != NULL)
			return false;
	for (i = 0; i < atts->n; i++)
		if (atts->v[i].len > 0 && memmem(atts->v[i].data, atts->v[i].len, b, blen) != NULL)
			return false;
	return true;
}

/* Draws a boundary into b that is unique (see mime_build_unique).  0 or -1. */
static int mime_build_boundary(char *b, const struct mime_leaf *leaves, size_t nleaves,
			       const struct mime_atts *atts, const char *other)
{
	int i;

	for (i = 0; i < MIME_BOUNDARY_TRIES; i++)
		if (mime_build_draw(b) == 0 && mime_build_unique(b, leaves, nleaves, atts, other))
			return 0;
	return -1;
}

/* Appends a delimiter line for b (closing when close), after a CRLF unless first. */
static void mime_build_delim(struct strbuf *out, const char *b, bool close)
{
	if (out->len > 0)
		strbuf_appends(out, "\r\n");
	strbuf_appendf(out, "--%s%s\r\n", b, close ? "--" : "");
}

/* Appends leaf's headers and content. */
static void mime_build_leaf(struct strbuf *out, const struct mime_leaf *leaf)
{
	strbuf_appendf(out, "Content-Type: %s; charset=utf-8\r\n"
		       "Content-Transfer-Encoding: %s\r\n\r\n", leaf->type, leaf->cte);
	strbuf_append(out, leaf->enc.data, leaf->enc.len);
}

/* Appends the body of a multipart/alternative of the leaves, boundary alt. */
static void mime_build_alternative(struct strbuf *out, const struct mime_leaf *leaves,
				   size_t n, const char *alt)
{
	size_t i;

	for (i = 0; i < n; i++) {
		mime_build_delim(out, alt, false);
		mime_build_leaf(out, &leaves[i]);
	}
	mime_build_delim(out, alt, true);
}

/* Appends the body of the multipart/mixed: the leaves (alt when two), then atts. */
static void mime_build_mixed(struct strbuf *out, const struct mime_leaf *leaves, size_t n,
			     const struct mime_atts *atts, const char *mix, const char *alt)
{
	struct strbuf inner = STRBUF_INIT;
	size_t i;

	mime_build_delim(out, mix, false);
	if (n == 1) {
		mime_build_leaf(out, &leaves[0]);
	} else {
		mime_build_alternative(&inner, leaves, n, alt);
		strbuf_appendf(out, "Content-Type: multipart/alternative;\r\n"
			       " boundary=\"%s\"\r\n\r\n", alt);
		strbuf_append(out, inner.data, inner.len);
	}
	for (i = 0; i < atts->n; i++) {
		mime_build_delim(out, mix, false);
		strbuf_append(out, atts->v[i].data, atts->v[i].len);
	}
	mime_build_delim(out, mix, true);
	strbuf_free(&inner);
}

/* Fills out from the encoded leaves and the attachments.  0 or -1. */
static int mime_build_assemble(const struct mime_leaf *leaves, size_t n,
			       const struct mime_atts *atts, struct mime_built *out)
{
	char alt[6 + 2 * MIME_BOUNDARY_BYTES + 1] = "", mix[sizeof alt] = "";

	if (n == 1 && atts->n == 0) {
		strbuf_appendf(&out->content_type, "%s; charset=utf-8", leaves[0].type);
		strbuf_appends(&out->transfer_encoding, leaves[0].cte);
		strbuf_append(&out->body, leaves[0].enc.data, leaves[0].enc.len);
		return 0;
	}
	if (n == 2 && mime_build_boundary(alt, leaves, n, atts, NULL) != 0)
		return -1;
	if (atts->n == 0) {
		strbuf_appendf(&out->content_type, "multipart/alternative; boundary=\"%s\"", alt);
		mime_build_alternative(&out->body, leaves, n, alt);
		return 0;
	}
	if (mime_build_boundary(mix, leaves, n, atts, alt) != 0)
		return -1;
	strbuf_appendf(&out->content_type, "multipart/mixed; boundary=\"%s\"", mix);
	mime_build_mixed(&out->body, leaves, n, atts, mix, alt);
	out->attachments = (unsigned)atts->n;
	return 0;
}

int mime_build_parsed(const char *text, const char *html, const struct mime_parsed *parsed,
		      const char *orig, size_t orig_len, struct mime_built *out)
{
	struct mime_atts atts = { NULL, 0 };
	struct mime_leaf leaves[2];
	size_t n = 0, i;
	int rc = 0;

	strbuf_init(&out->content_type);
	strbuf_init(&out->transfer_encoding);
	strbuf_init(&out->body);
	out->attachments = 0;
	if (parsed != NULL && mime_build_attachments(parsed, orig, orig_len, &atts) != 0)
		rc = -1;
	if (rc == 0 && text != NULL && *text != '\0')
		mime_build_encode(text, "text/plain", &leaves[n++]);
	if (rc == 0 && html != NULL && *html != '\0')
		mime_build_encode(html, "text/html", &leaves[n++]);
	if (rc == 0 && n == 0)
		rc = -1;	/* nothing to send: a caller's mistake */
	if (rc == 0)
		rc = mime_build_assemble(leaves, n, &atts, out);
	for (i = 0; i < n; i++)
		strbuf_free(&leaves[i].enc);
	mime_atts_free(&atts);
	if (rc != 0) {
		strbuf_reset(&out->content_type);
		strbuf_reset(&out->transfer_encoding);
		strbuf_reset(&out->body);
	}
	return rc;
}

int mime_build(const char *text, const char *html, const char *orig, size_t orig_len,
	       struct mime_built *out)
{
	struct mime_parsed p;
	int rc;

	if (orig == NULL)
		return mime_build_parsed(text, html, NULL, NULL, 0, out);
	if (mime_parse_open(orig, orig_len, &p) != 0) {
		strbuf_init(&out->content_type);
		strbuf_init(&out->transfer_encoding);
		strbuf_init(&out->body);
		out->attachments = 0;
		return -1;
	}
	rc = mime_build_parsed(text, html, &p, orig, orig_len, out);
	mime_parse_close(&p);
	return rc;
}

void mime_built_free(struct mime_built *out)
{
	if (out == NULL)
		return;
	strbuf_free(&out->content_type);
	strbuf_free(&out->transfer_encoding);
	strbuf_free(&out->body);
	out->attachments = 0;
}
