/*
 * mime_guard - one linear pass over a message's MIME structure before
 * GMime parses it; see mime_guard.h.
 *
 * The walk follows GMime's parser: a header block ends at an empty line
 * or at a line that is no header field; a multipart's body is split at
 * lines that are "--boundary" (or "--boundary--") followed only by white
 * space, checked against every enclosing multipart, innermost first; a
 * message/rfc822 (global, news) part, or a part without Content-Type in
 * a multipart/digest, holds a whole message.  Each line costs at most one
 * comparison per enclosing boundary (MIME_GUARD_MAX_DEPTH).
 *
 * Diagnostics: the reason of a refusal in the verdict, naming the part.
 */
#include "autoconf.h"

#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "mime_guard.h"

struct mg_frame {
	char b[MIME_GUARD_MAX_BOUNDARY + 1];
	size_t blen;
	bool multipart;			/* false: an enclosed message */
	bool digest;			/* multipart/digest */
};

struct mg {
	const char *msg;
	size_t len;
	struct mg_frame st[MIME_GUARD_MAX_DEPTH];
	size_t depth;
	unsigned parts, fields;
	bool headers;			/* in a header block */
	size_t fstart;			/* current field, or SIZE_MAX */
	size_t ct, ctlen;		/* the Content-Type value of the entity */
	unsigned nct;
	bool nested;			/* a multipart or an enclosed message was seen */
	/*
	 * The top entity has a disposition or a name, or its header block
	 * ends without an empty line (where a lenient parser may read on).
	 */
	bool root_unplain;
	struct mime_guard_verdict *v;
};

/* Is line s[0..len) (no LF) "--b" (close: "--b--") and only white space? */
static bool mg_is_delim(const char *s, size_t len, const struct mg_frame *f, bool close)
{
	size_t i = f->blen + 2;

	if (len < i || s[0] != '-' || s[1] != '-' || memcmp(s + 2, f->b, f->blen) != 0)
		return false;
	if (close) {
		if (len < i + 2 || s[i] != '-' || s[i + 1] != '-')
			return false;
		i += 2;
	}
	for (; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return false;
	return true;
}

/* The frame whose delimiter line s is (*close for its end), or -1. */
static int mg_match(const struct mg *g, const char *s, size_t len, bool *close)
{
	size_t k;

	if (len < 2 || s[0] != '-' || s[1] != '-')
		return -1;
	for (k = g->depth; k-- > 0;) {
		if (!g->st[k].multipart)
			continue;
		*close = mg_is_delim(s, len, &g->st[k], true);
		if (*close || mg_is_delim(s, len, &g->st[k], false))
			return (int)k;
	}
	return -1;
}

/* Counts one more entity. */
static bool mg_part(struct mg *g)
{
	if (++g->parts <= MIME_GUARD_MAX_PARTS)
		return true;
	mime_guard_set(g->v, MIME_GUARD_TOO_COMPLEX, "more than %d MIME parts",
		       MIME_GUARD_MAX_PARTS);
	return false;
}

/* Pushes a frame; false when nested too deep. */
static struct mg_frame *mg_push(struct mg *g, bool multipart)
{
	struct mg_frame *f;

	if (g->depth == MIME_GUARD_MAX_DEPTH) {
		mime_guard_set(g->v, MIME_GUARD_TOO_COMPLEX, "MIME parts nested deeper than %d "
			       "levels", MIME_GUARD_MAX_DEPTH);
		return NULL;
	}
	f = &g->st[g->depth++];
	memset(f, 0, sizeof *f);
	f->multipart = multipart;
	g->nested = true;
	return f;
}

/* Ends the field being read: its size; a Content-* field's syntax. */
static bool mg_field_end(struct mg *g, size_t end)
{
	struct mime_field f;
	const char *s, *colon;
	size_t len;

	if (g->fstart == SIZE_MAX)
		return true;
	s = g->msg + g->fstart;
	len = end - g->fstart;
	g->fstart = SIZE_MAX;
	if (len > MIME_GUARD_MAX_FIELD_BYTES) {
		mime_guard_set(g->v, MIME_GUARD_TOO_COMPLEX, "a header field over %d bytes",
			       MIME_GUARD_MAX_FIELD_BYTES);
		return false;
	}
	colon = memchr(s, ':', len);
	if ((size_t)(colon - s) == 12 && strncasecmp(s, "Content-Type", 12) == 0) {
		if (++g->nct > 1) {
			mime_guard_set(g->v, MIME_GUARD_MALFORMED, "two Content-Type fields in part %u",
				       g->parts);
			return false;
		}
		g->ct = (size_t)(colon + 1 - g->msg);
		g->ctlen = (size_t)(s + len - colon - 1);
	} else if ((size_t)(colon - s) == 19 && strncasecmp(s, "Content-Disposition", 19) == 0) {
		char why[sizeof g->v->why];

		if (g->depth == 0)
			g->root_unplain = true;
		if (mime_field_parse(colon + 1, (size_t)(s + len - colon - 1), false, &f, g->v) ==
		    MIME_GUARD_OK)
			return true;
		memcpy(why, g->v->why, sizeof why);
		mime_guard_set(g->v, g->v->status, "Content-Disposition of part %u: %s", g->parts,
			       why);
		return false;
	}
	return true;
}

/* True when the entity's type is message/rfc822, message/global or message/news. */
static bool mg_is_message(const struct mime_field *f)
{
	return f->tlen == 7 && strncasecmp(f->type, "message", 7) == 0 &&
	       ((f->slen == 6 && strncasecmp(f->subtype, "rfc822", 6) == 0) ||
		(f->slen == 6 && strncasecmp(f->subtype, "global", 6) == 0) ||
		(f->slen == 4 && strncasecmp(f->subtype, "news", 4) == 0));
}

/* True when a Content-Type has a name parameter (RFC 2231 sections too). */
static bool mg_has_name(const struct mime_field *f)
{
	size_t i;

	for (i = 0; i < f->np; i++)
		if (f->p[i].nlen == 4 && strncasecmp(f->p[i].name, "name", 4) == 0)
			return true;
	return false;
}

/* The header block ended: what the entity's body is. */
static bool mg_entity_end(struct mg *g)
{
	bool in_digest = g->depth > 0 && g->st[g->depth - 1].digest;
	struct mg_frame *fr;
	struct mime_field f;
	char why[sizeof g->v->why];

	g->headers = false;
	if (g->nct == 0) {
		if (!in_digest)
			return true;
		g->headers = true;	/* a digest member is a message */
		return mg_push(g, false) != NULL && mg_part(g);
	}
	g->nct = 0;
	if (mime_field_parse(g->msg + g->ct, g->ctlen, true, &f, g->v) != MIME_GUARD_OK)
		goto refused;
	if (f.tlen == 9 && strncasecmp(f.type, "multipart", 9) == 0) {
		char b[MIME_GUARD_MAX_BOUNDARY + 1];

		if (mime_field_boundary_why(&f, b, g->v) != MIME_GUARD_OK)
			goto refused;
		if ((fr = mg_push(g, true)) == NULL)
			return false;
		memcpy(fr->b, b, sizeof b);
		fr->blen = strlen(b);
		fr->digest = f.slen == 6 && strncasecmp(f.subtype, "digest", 6) == 0;
		return true;
	}
	if (mg_is_message(&f)) {
		g->headers = true;
		return mg_push(g, false) != NULL && mg_part(g);
	}
	if (g->depth == 0 && mg_has_name(&f))
		g->root_unplain = true;
	return true;
refused:
	memcpy(why, g->v->why, sizeof why);
	mime_guard_set(g->v, g->v->status, "Content-Type of part %u: %s", g->parts, why);
	return false;
}

/* One header-block line s[0..len) (no LF) at offset off; *body: it is a body line. */
static bool mg_header_line(struct mg *g, size_t off, const char *s, size_t len, bool *body)
{
	const char *colon = memchr(s, ':', len);

	*body = false;
	if (len == 0 || (len == 1 && s[0] == '\r'))
		return mg_field_end(g, off) && mg_entity_end(g);
	if ((s[0] == ' ' || s[0] == '\t') && g->fstart != SIZE_MAX) {
		if (off + len - g->fstart <= MIME_GUARD_MAX_FIELD_BYTES)
			return true;
		mime_guard_set(g->v, MIME_GUARD_TOO_COMPLEX, "a header field over %d bytes",
			       MIME_GUARD_MAX_FIELD_BYTES);
		return false;
	}
	if (colon != NULL && colon > s && memchr(s, ' ', (size_t)(colon - s)) == NULL &&
	    memchr(s, '\t', (size_t)(colon - s)) == NULL) {
		if (!mg_field_end(g, off))
			return false;
		if (++g->fields > MIME_GUARD_MAX_FIELDS) {
			mime_guard_set(g->v, MIME_GUARD_TOO_COMPLEX, "more than %d header fields",
				       MIME_GUARD_MAX_FIELDS);
			return false;
		}
		g->fstart = off;
		return true;
	}
	*body = true;		/* no header: the body starts here */
	if (g->depth == 0)
		g->root_unplain = true;
	return mg_field_end(g, off) && mg_entity_end(g);
}

/* One line s[0..len) (no LF) at offset off. */
static bool mg_line(struct mg *g, size_t off, const char *s, size_t len)
{
	bool close = false, body = true;
	int k = mg_match(g, s, len, &close);

	if (k >= 0) {
		if (g->headers && !(mg_field_end(g, off) && mg_entity_end(g)))
			return false;
		g->depth = close ? (size_t)k : (size_t)k + 1;
		g->headers = !close;
		g->nct = 0;
		return close || mg_part(g);
	}
	while (g->headers && body) {
		size_t depth = g->depth;

		if (!mg_header_line(g, off, s, len, &body))
			return false;
		if (body && !(g->headers && g->depth > depth))
			break;	/* a body line, unless it starts an enclosed message */
	}
	return true;
}

enum mime_guard_status mime_guard_check(const char *msg, size_t len,
					struct mime_guard_verdict *v)
{
	struct mg g;
	size_t off = 0, next;
	const char *nl;

	memset(&g, 0, sizeof g);
	g.msg = msg;
	g.len = len;
	g.v = v;
	g.parts = 1;
	g.headers = true;
	g.fstart = SIZE_MAX;
	v->status = MIME_GUARD_OK;
	v->why[0] = '\0';
	v->single = false;
	while (off < len) {
		nl = memchr(msg + off, '\n', len - off);
		next = nl != NULL ? (size_t)(nl - msg) + 1 : len;
		if (!mg_line(&g, off, msg + off, next - off - (nl != NULL)))
			return v->status;
		off = next;
	}
	if (g.headers && !(mg_field_end(&g, len) && mg_entity_end(&g)))
		return v->status;
	v->single = !g.nested && g.parts == 1 && !g.root_unplain;
	return MIME_GUARD_OK;
}
