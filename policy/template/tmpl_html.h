/*
 * tmpl_html - what the template review needs to know about text and HTML:
 * words, images, links and external CSS (used by tmpl_review.c).
 *
 * The HTML is read the way a lenient browser would, without a DOM: text
 * between tags (entities &amp; &lt; &gt; &quot; &apos; &nbsp; &#NN; &#xHH;
 * decoded), <script> and <style> contents apart, comments and
 * declarations skipped, attribute values decoded and checked one by one.
 */
#ifndef SES_TMPL_HTML_H
#define SES_TMPL_HTML_H

#include <stddef.h>

#include "strbuf.h"

#define TMPL_HTML_WHAT 100	/* bytes of a "what was found" phrase */

struct tmpl_html {
	struct strbuf text;		/* the text between tags, decoded */
	size_t words;			/* tmpl_count_words of text */
	size_t images;			/* <img> tags */
	char link[TMPL_HTML_WHAT];	/* the first link: 'href "x"', or "" */
	char css[TMPL_HTML_WHAT];	/* the first external CSS, or "" */
};

/* Scans html (NULL: no HTML part) into h; free h with tmpl_html_free. */
void tmpl_html_scan(const char *html, struct tmpl_html *h);
void tmpl_html_free(struct tmpl_html *h);

/* Words in UTF-8 text s (see tmpl_review.c); {{variables}} are not words. */
size_t tmpl_count_words(const char *s, size_t len);

/* Sets what to 'link "URL"' for the first URL in s, or leaves it alone. */
void tmpl_find_url(const char *s, char *what, size_t len);

/* Appends s[0..len) to out with entities decoded as the scanner decodes them. */
void tmpl_html_decode(const char *s, size_t len, struct strbuf *out);

#endif
