/*
 * fuzz_mime_rewrite - libFuzzer target: a custom-content message (headers
 * and body, the sender's) through the MIME guard, the parse and the
 * rewriting of its HTML parts with the tracking rewriter, as the engine
 * runs them at end of message.  A rewriter that changes nothing must
 * leave nothing to change.
 *
 * Input: the message.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "fuzzutil.h"
#include "mime_count.h"
#include "mime_guard.h"
#include "mime_rewrite.h"
#include "tmpl_track.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	mime_count_init();
	return 0;
}

static int fuzz_link(void *arg, const char *url, struct strbuf *out)
{
	(void)arg;
	strbuf_appends(out, "https://t.example/c/");
	strbuf_appends(out, url);
	return 0;
}

static int fuzz_track(void *arg, const char *html, size_t len, struct strbuf *out)
{
	struct tmpl_track_hooks hooks = { fuzz_link, NULL, "https://t.example/o/x" };

	(void)arg;
	tmpl_track_html(html, len, &hooks, out, NULL);
	return 0;
}

static int fuzz_same(void *arg, const char *html, size_t len, struct strbuf *out)
{
	(void)arg;
	strbuf_append(out, html, len);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *msg = (const char *)data, *sep;
	struct mime_guard_verdict v;
	struct mime_rewritten rw;
	struct mime_parsed p;
	char *s = fuzz_cstr(data, size);
	size_t body_off;

	sep = strstr(s, "\r\n\r\n");
	body_off = sep != NULL ? (size_t)(sep - s) + 4 : size;
	if (mime_guard_check(msg, size, &v) == MIME_GUARD_OK &&
	    mime_parse_open_checked(s, size, &v, &p) == 0) {
		(void)mime_rewrite_html(&p, s, size, body_off, fuzz_track, NULL, &rw);
		mime_rewritten_free(&rw);
		if (mime_rewrite_html(&p, s, size, body_off, fuzz_same, NULL, &rw) > 0)
			abort();
		mime_rewritten_free(&rw);
		mime_parse_close(&p);
	}
	free(s);
	return 0;
}
