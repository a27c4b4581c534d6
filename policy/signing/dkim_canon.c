/*
 * dkim_canon - DKIM relaxed canonicalisation of header fields and of a
 * streamed body; see dkim_canon.h.
 *
 * The body is a small state machine over bytes.  What can still turn out
 * to be dropped is held back as a count or a flag, never as bytes: a WSP
 * run (dropped at a line end, one SP before more text), a CR (a line end
 * if LF follows, else data) and the line ends of empty lines (dropped at
 * the end of the body, written out before the next text).  So memory is
 * one fixed output buffer whatever the body holds.  Runs that need no
 * change (lines of text with single spaces, CRLF between them: most of a
 * body) are copied whole, or handed to the sink uncopied when large.
 */
#include "autoconf.h"

#include <ctype.h>
#include <string.h>

#include "dkim_canon.h"

static bool dkim_canon_wsp(unsigned char c)
{
	return c == ' ' || c == '\t';
}

void dkim_canon_header(struct strbuf *out, const char *name, const char *value, size_t value_len)
{
	size_t i, n = strlen(name);
	bool wsp = false, text = false;

	while (n > 0 && dkim_canon_wsp((unsigned char)name[n - 1]))
		n--;
	for (i = 0; i < n; i++)
		strbuf_appendc(out, (char)tolower((unsigned char)name[i]));
	strbuf_appendc(out, ':');
	for (i = 0; i < value_len; i++) {
		unsigned char c = (unsigned char)value[i];

		if (c == '\r' || c == '\n')
			continue; /* unfolding */
		if (dkim_canon_wsp(c)) {
			wsp = text; /* leading WSP is dropped */
			continue;
		}
		if (wsp)
			strbuf_appendc(out, ' ');
		wsp = false;
		text = true;
		strbuf_appendc(out, (char)c);
	}
}

void dkim_canon_body_init(struct dkim_canon_body *c, dkim_canon_sink *sink, void *sink_arg)
{
	c->sink = sink;
	c->sink_arg = sink_arg;
	c->empty_lines = 0;
	c->wsp = false;
	c->cr = false;
	c->in_line = false;
	c->n = 0;
}

static void dkim_canon_flush(struct dkim_canon_body *c)
{
	if (c->n > 0)
		c->sink(c->sink_arg, c->buf, c->n);
	c->n = 0;
}

static void dkim_canon_put(struct dkim_canon_body *c, char ch)
{
	if (c->n == sizeof c->buf)
		dkim_canon_flush(c);
	c->buf[c->n++] = ch;
}

/* A byte of text (not WSP, not a line end): what was held back comes first. */
static void dkim_canon_text(struct dkim_canon_body *c, char ch)
{
	for (; c->empty_lines > 0; c->empty_lines--) {
		dkim_canon_put(c, '\r');
		dkim_canon_put(c, '\n');
	}
	if (c->wsp)
		dkim_canon_put(c, ' '); /* leading WSP of a line stays, as one SP */
	c->wsp = false;
	c->in_line = true;
	dkim_canon_put(c, ch);
}

/* A line end: a line with text ends now, an empty one is held back. */
static void dkim_canon_eol(struct dkim_canon_body *c)
{
	if (c->in_line) {
		dkim_canon_put(c, '\r');
		dkim_canon_put(c, '\n');
	} else {
		c->empty_lines++;
	}
	c->in_line = false;
	c->wsp = false;
}

/* Writes out n bytes of text, a run already known to need no change. */
static void dkim_canon_write(struct dkim_canon_body *c, const unsigned char *p, size_t n)
{
	size_t take;

	if (c->n + n > sizeof c->buf)
		dkim_canon_flush(c);
	while (n >= sizeof c->buf) { /* large runs go to the sink uncopied */
		c->sink(c->sink_arg, p, sizeof c->buf);
		p += sizeof c->buf;
		n -= sizeof c->buf;
	}
	take = n;
	memcpy(c->buf + c->n, p, take);
	c->n += take;
}

/* Bytes canonicalisation may change or drop: WSP, CR, LF. */
static const bool dkim_canon_special[256] = {
	[' '] = true,
	['\t'] = true,
	['\r'] = true,
	['\n'] = true,
};

/*
 * The length of the run at p that goes out unchanged: text bytes, single
 * spaces between two of them (most of a line of prose), and CRLFs between
 * a line's last text byte and the next line's first (a body of such lines
 * is one run).  A run starts and ends with a text byte.
 */
static size_t dkim_canon_run(const unsigned char *p, size_t len)
{
	size_t i = 0;

	for (;;) {
		while (i < len && !dkim_canon_special[p[i]])
			i++;
		if (i == 0)
			return 0;
		if (i + 1 < len && p[i] == ' ' && !dkim_canon_special[p[i + 1]])
			i += 2;
		else if (i + 2 < len && p[i] == '\r' && p[i + 1] == '\n' &&
			 !dkim_canon_special[p[i + 2]])
			i += 3;
		else
			return i;
	}
}

/*
 * Byte by byte only where something is held back or may be; a run of
 * text goes out whole once its first byte has flushed what was held.
 */
void dkim_canon_body_update(struct dkim_canon_body *c, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t i = 0, run;

	while (i < len) {
		unsigned char ch = p[i];

		if (!c->cr && (run = dkim_canon_run(p + i, len - i)) > 0) {
			dkim_canon_text(c, (char)ch);
			dkim_canon_write(c, p + i + 1, run - 1);
			i += run;
			continue;
		}
		i++;
		if (c->cr) {
			c->cr = false;
			if (ch == '\n') {
				dkim_canon_eol(c);
				continue;
			}
			dkim_canon_text(c, '\r');
		}
		if (ch == '\r')
			c->cr = true;
		else if (ch == '\n')
			dkim_canon_eol(c);
		else if (dkim_canon_wsp(ch))
			c->wsp = true;
		else
			dkim_canon_text(c, (char)ch);
	}
}

void dkim_canon_body_final(struct dkim_canon_body *c)
{
	if (c->cr)
		dkim_canon_text(c, '\r'); /* a CR at the very end is data */
	c->cr = false;
	if (c->in_line)
		dkim_canon_eol(c);
	c->empty_lines = 0;
	dkim_canon_flush(c);
}
