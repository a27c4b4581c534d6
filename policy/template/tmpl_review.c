/*
 * tmpl_review - the automatic review of a template; see tmpl_review.h.
 *
 * Words are runs of letters and digits (ASCII, and every non-ASCII code
 * point outside the CJK scripts and a few punctuation and symbol blocks);
 * each CJK ideograph, kana or hangul syllable is a word of its own, so CJK
 * text counts characters.  Variables {{x}} are not words.  The HTML part
 * is reduced to its text by tmpl_html_scan (tmpl_html.c), which also
 * counts images and finds links and external CSS.
 *
 * Links: http://, https://, ftp:// and www. anywhere in the text and in
 * the HTML's text and attribute values, and any href whose value is not
 * empty, a #fragment, a mailto: address or a single {{variable}}.  URLs
 * in <!DOCTYPE>, comments and xmlns attributes are not links.
 *
 * Diagnostics: none; each finding carries its own detail ("49 words, at
 * least 50 for transactional").
 */
#include "autoconf.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tmpl_html.h"
#include "tmpl_review.h"

#define TMPL_MAX_IMAGES 50

/* Fewest words a template of type needs. */
static size_t tmpl_min_words(enum tmpl_type type)
{
	switch (type) {
	case TMPL_TRIGGER:
		return 0;
	case TMPL_MARKETING:
		return 150;
	case TMPL_TRANSACTIONAL:
	case TMPL_NOTIFICATION:
		break;
	}
	return 50;
}

/* Fills one finding. */
static void tmpl_finding(struct tmpl_finding *f, const char *check, bool pass, const char *fmt,
			 ...) __attribute__((format(printf, 4, 5)));

static void tmpl_finding(struct tmpl_finding *f, const char *check, bool pass, const char *fmt,
			 ...)
{
	va_list ap;

	f->check = check;
	f->pass = pass;
	va_start(ap, fmt);
	/* a detail cut at 199 bytes still says what failed */
	(void)vsnprintf(f->detail, sizeof f->detail, fmt, ap);
	va_end(ap);
}

/* The words check. */
static void tmpl_check_words(const struct tmpl *t, size_t words, struct tmpl_finding *f)
{
	size_t min = tmpl_min_words(t->type);

	if (min == 0)
		tmpl_finding(f, "words", true, "%zu words, no minimum for %s", words,
			     tmpl_type_name(t->type));
	else
		tmpl_finding(f, "words", words >= min, "%zu words, at least %zu for %s", words, min,
			     tmpl_type_name(t->type));
}

/* The variables check: at most one variable per five words. */
static void tmpl_check_vars(const struct tmpl *t, size_t words, struct tmpl_finding *f)
{
	if (t->nvars == 0)
		tmpl_finding(f, "variables", true, "no variables");
	else if (words == 0 && t->type == TMPL_TRIGGER)
		tmpl_finding(f, "variables", true, "%zu variables and no words (see content)",
			     t->nvars);
	else
		tmpl_finding(f, "variables", t->nvars * 5 <= words,
			     "%zu variables to %zu words, at most 1 to 5", t->nvars, words);
}

/* The images check: at most 50, and not images without words. */
static void tmpl_check_images(const struct tmpl_html *h, struct tmpl_finding *f)
{
	if (h->images > TMPL_MAX_IMAGES)
		tmpl_finding(f, "images", false, "%zu images, at most %d", h->images,
			     TMPL_MAX_IMAGES);
	else if (h->images > 0 && h->words == 0)
		tmpl_finding(f, "images", false, "%zu images and no words: image-only", h->images);
	else
		tmpl_finding(f, "images", true, "%zu images, at most %d", h->images,
			     TMPL_MAX_IMAGES);
}

/* The links check. */
static void tmpl_check_links(const struct tmpl *t, const struct tmpl_html *h,
			     struct tmpl_finding *f)
{
	char what[TMPL_HTML_WHAT];

	what[0] = '\0';
	if (t->text != NULL)
		tmpl_find_url(t->text, what, sizeof what);
	if (what[0] == '\0' && h->link[0] != '\0')
		memcpy(what, h->link, sizeof what);
	if (what[0] == '\0')
		tmpl_finding(f, "links", true, "no links");
	else if (t->allow_links)
		tmpl_finding(f, "links", true, "%s, allowed (AllowLinks yes)", what);
	else
		tmpl_finding(f, "links", false, "%s (needs AllowLinks yes)", what);
}

bool tmpl_review(const struct tmpl *t, struct tmpl_finding out[TMPL_REVIEW_CHECKS])
{
	struct tmpl_html h;
	size_t words, i;
	bool all = true;

	tmpl_html_scan(t->html, &h);
	words = t->text != NULL ? tmpl_count_words(t->text, strlen(t->text)) : h.words;
	tmpl_check_words(t, words, &out[0]);
	tmpl_check_vars(t, words, &out[1]);
	tmpl_check_images(&h, &out[2]);
	tmpl_check_links(t, &h, &out[3]);
	if (h.css[0] != '\0')
		tmpl_finding(&out[4], "css", false, "external CSS: %s", h.css);
	else
		tmpl_finding(&out[4], "css", true, "no external CSS");
	if (words == 0 && h.words == 0 && t->nvars > 0)
		tmpl_finding(&out[5], "content", false, "variable-only: %zu variables and no words",
			     t->nvars);
	else
		tmpl_finding(&out[5], "content", true, "text besides variables");
	tmpl_html_free(&h);
	for (i = 0; i < TMPL_REVIEW_CHECKS; i++)
		all = all && out[i].pass;
	return all;
}
