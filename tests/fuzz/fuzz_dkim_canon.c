/*
 * fuzz_dkim_canon - libFuzzer target: a message body (any bytes, as a
 * client sends it) through the relaxed body canonicalisation of the DKIM
 * signer, and the same bytes as a header value.  Differential: the body
 * fed in one piece, split at a point the input picks and byte by byte
 * must give the same output, and the output must be canonical (empty or
 * ending in CRLF, no WSP before a line end, no WSP run, no empty line at
 * the end).  Anything else aborts.
 *
 * Input: the body; its first byte also picks the split point.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "dkim_canon.h"
#include "fuzzutil.h"
#include "strbuf.h"

static void append_sink(void *arg, const void *data, size_t len)
{
	if (len > DKIM_CANON_CHUNK)
		abort();
	strbuf_append(arg, data, len);
}

/* Canonicalises data in pieces of step bytes (0: one piece), split first at split. */
static void canon(const uint8_t *data, size_t size, size_t split, size_t step, struct strbuf *out)
{
	struct dkim_canon_body c;
	size_t i;

	dkim_canon_body_init(&c, append_sink, out);
	dkim_canon_body_update(&c, data, split);
	if (step == 0)
		dkim_canon_body_update(&c, data + split, size - split);
	for (i = split; step != 0 && i < size; i += step)
		dkim_canon_body_update(&c, data + i, size - i < step ? size - i : step);
	dkim_canon_body_final(&c);
}

/* Aborts unless out is relaxed-canonical. */
static void check_canonical(const struct strbuf *out)
{
	size_t i;

	if (out->len == 0)
		return;
	if (out->len < 2 || memcmp(out->data + out->len - 2, "\r\n", 2) != 0)
		abort();
	if (out->len >= 4 && memcmp(out->data + out->len - 4, "\r\n\r\n", 4) == 0)
		abort();
	if (out->len == 2)
		abort(); /* a body of one empty line is no body */
	for (i = 1; i < out->len; i++) {
		char a = out->data[i - 1], b = out->data[i];

		if ((a == ' ' || a == '\t') &&
		    (b == ' ' || b == '\t' ||
		     (b == '\r' && i + 1 < out->len && out->data[i + 1] == '\n')))
			abort();
		if (b == '\t' || (b == '\n' && a != '\r'))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strbuf whole = STRBUF_INIT, split = STRBUF_INIT, bytes = STRBUF_INIT;
	struct strbuf field = STRBUF_INIT;
	size_t at = size > 0 ? data[0] % (size + 1) : 0;

	canon(data, size, 0, 0, &whole);
	canon(data, size, at, 0, &split);
	canon(data, size, 0, 1, &bytes);
	if (whole.len != split.len || whole.len != bytes.len)
		abort();
	if (whole.len > 0 && (memcmp(whole.data, split.data, whole.len) != 0 ||
			      memcmp(whole.data, bytes.data, whole.len) != 0))
		abort();
	check_canonical(&whole);
	dkim_canon_header(&field, "Subject", (const char *)data, size);
	if (field.len > 0 && (memchr(field.data, '\r', field.len) != NULL ||
			      memchr(field.data, '\n', field.len) != NULL))
		abort();
	strbuf_free(&whole);
	strbuf_free(&split);
	strbuf_free(&bytes);
	strbuf_free(&field);
	return 0;
}
