/*
 * dkim_canon - DKIM "relaxed" canonicalisation (RFC 6376 section 3.4.2
 * and 3.4.4), for the signer (dkim_sign.c).  Pure functions of their
 * input: no allocation beyond the strbuf they are given, no OpenSSL.
 *
 * Header fields: the name in lower case (WSP after it dropped), a colon,
 * the value unfolded (every CR and LF removed: a milter folds with LF, a
 * message file with CRLF), runs of SP/TAB as one SP, no WSP at either
 * end.  The caller adds the CRLF that ends each field in the hash input
 * (the DKIM-Signature field being signed has none).
 *
 * Body: streamed, so a body of any size is canonicalised without a copy.
 * Input lines end with CRLF; a bare LF ends a line as well (a CR not
 * before LF is data).  WSP at the end of a line is dropped, other WSP
 * runs become one SP, empty lines at the end of the body are dropped and
 * a last line without a line end gets CRLF (after its WSP is dropped:
 * SMTP delivers every body with a final CRLF, so that is what a verifier
 * will see).  An empty body (or one of
 * only empty lines) canonicalises to nothing: RFC 6376 3.4.4 adds CRLF
 * only to a non-empty body, as python3-dkim and libopendkim hash it.
 * The output goes to a sink in chunks of at most DKIM_CANON_CHUNK bytes.
 */
#ifndef SES_DKIM_CANON_H
#define SES_DKIM_CANON_H

#include <stdbool.h>
#include <stddef.h>

#include "strbuf.h"

#define DKIM_CANON_CHUNK 4096

/* Appends "name:value", relaxed, without the final CRLF, to out. */
void dkim_canon_header(struct strbuf *out, const char *name, const char *value, size_t value_len);

/* Takes canonical body output; arg is dkim_canon_body's sink_arg. */
typedef void dkim_canon_sink(void *arg, const void *data, size_t len);

/* The state of one body canonicalisation; on the stack is fine. */
struct dkim_canon_body {
	dkim_canon_sink *sink;
	void *sink_arg;
	size_t empty_lines; /* line ends held back: maybe trailing empty lines */
	bool wsp;	    /* a WSP run held back: dropped if the line ends */
	bool cr;	    /* a CR held back: a line end if LF follows */
	bool in_line;	    /* the current line has output */
	size_t n;	    /* bytes in buf */
	char buf[DKIM_CANON_CHUNK];
};

void dkim_canon_body_init(struct dkim_canon_body *c, dkim_canon_sink *sink, void *sink_arg);
/* Canonicalises the next len bytes of the body; any split is fine. */
void dkim_canon_body_update(struct dkim_canon_body *c, const void *data, size_t len);
/* Ends the body: the last line's CRLF, then everything left to the sink. */
void dkim_canon_body_final(struct dkim_canon_body *c);

#endif
