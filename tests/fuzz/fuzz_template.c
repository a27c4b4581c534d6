/*
 * fuzz_template - libFuzzer target: a template's text and HTML parts and the
 * customer's X-SES-Template-Data, through variable collection, the data
 * parser, rendering, the HTML scanner and the content review.
 *
 * Input: TEXT NUL HTML NUL DATA (a missing field is a missing part).
 */
#include "autoconf.h"

#include <stdlib.h>
#include <string.h>

#include "fuzzutil.h"
#include "strbuf.h"
#include "template.h"
#include "tmpl_html.h"
#include "tmpl_render.h"
#include "tmpl_review.h"

static void fuzz_template_vars(struct tmpl *t)
{
	struct strbuf all = STRBUF_INIT;

	strbuf_appends(&all, t->text != NULL ? t->text : "");
	strbuf_appendc(&all, '\n');
	strbuf_appends(&all, t->html != NULL ? t->html : "");
	t->nvars = tmpl_collect_vars(strbuf_cstr(&all), &t->vars);
	strbuf_free(&all);
}

static void fuzz_template_html(const char *html)
{
	struct tmpl_html h;
	char what[TMPL_HTML_WHAT] = "";

	tmpl_html_scan(html, &h);
	tmpl_html_free(&h);
	if (html != NULL) {
		(void)tmpl_count_words(html, strlen(html));
		tmpl_find_url(html, what, sizeof what);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *f[3];
	struct tmpl t;
	struct tmpl_data d;
	struct tmpl_finding findings[TMPL_REVIEW_CHECKS];
	struct strbuf text = STRBUF_INIT, html = STRBUF_INIT, why = STRBUF_INIT;
	size_t i;

	fuzz_fields(data, size, f, 3);
	memset(&t, 0, sizeof t);
	t.type = (enum tmpl_type)(size % 4);
	t.text = f[0];
	t.html = f[1];
	t.account = (char *)"acme";
	t.name = (char *)"fuzz";
	t.reason = (char *)"";
	fuzz_template_vars(&t);
	(void)tmpl_review(&t, findings);
	fuzz_template_html(t.html);
	if (f[2] != NULL &&
	    tmpl_data_parse(f[2], strlen(f[2]), &d, &why) == TMPL_RENDER_OK) {
		strbuf_reset(&why);
		if (tmpl_render(&t, &d, &text, &html, &why) == TMPL_RENDER_OK)
			fuzz_template_html(html.len > 0 ? strbuf_cstr(&html) : NULL);
		tmpl_data_free(&d);
	}
	for (i = 0; i < t.nvars; i++)
		free(t.vars[i]);
	free(t.vars);
	strbuf_free(&text);
	strbuf_free(&html);
	strbuf_free(&why);
	fuzz_fields_free(f, 3);
	return 0;
}
