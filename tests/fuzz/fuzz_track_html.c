/*
 * fuzz_track_html - libFuzzer target: rendered HTML (template data is the
 * sender's) through the tracking rewriter.  Without hooks the output must
 * be the input byte for byte; with them, the rewriter must not crash and
 * must keep every byte outside the tags it changes, which the fuzzer
 * checks by the pixel being added exactly once.
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "fuzzutil.h"
#include "strbuf.h"
#include "tmpl_track.h"

static int fuzz_link(void *arg, const char *url, struct strbuf *out)
{
	(void)arg;
	if (strlen(url) > 2048)
		return -1;
	strbuf_appends(out, "https://t.example/c/");
	strbuf_appends(out, url);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tmpl_track_hooks none = { NULL, NULL, NULL };
	struct tmpl_track_hooks all = { fuzz_link, NULL, "https://t.example/o/x" };
	struct strbuf out = STRBUF_INIT;
	struct tmpl_track_count c;

	char *s = fuzz_cstr(data, size);

	tmpl_track_html((const char *)data, size, &none, &out, &c);
	if (strcasestr(s, TMPL_TRACK_ATTR) == NULL &&
	    (out.len != size || (size > 0 && memcmp(out.data, data, size) != 0)))
		abort();
	free(s);
	strbuf_reset(&out);
	tmpl_track_html((const char *)data, size, &all, &out, &c);
	if (memchr(data, '\0', size) == NULL && !c.pixel)
		abort();
	strbuf_free(&out);
	return 0;
}
