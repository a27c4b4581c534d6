/*
 * tmpl_track - open and click tracking in a rendered HTML part: a 1x1
 * pixel before </body> (or at the end) and every trackable <a href>
 * replaced by a tracking link (SPEC section 7, events open and click).
 *
 * The HTML is read as tmpl_html reads it (tags, quoted and unquoted
 * attributes, comments, <script> and <style> bodies apart) and copied
 * byte for byte except where it changes: an <a> tag whose href is
 * rewritten gets the new value double-quoted and escaped, the rest of the
 * tag untouched.  The href is decoded first (&amp; and friends, leading
 * and trailing blanks), so the URL sealed is the one a browser follows.
 *
 * Left as they are: hrefs that are not absolute http(s) (relative,
 * mailto:, tel:, "#anchor", javascript:), URLs the link hook declines
 * (the unsubscribe link, longer than TRACK_URL_MAX, blanks inside), and
 * any <a> with data-ses-track="off" (or "0", "false", "no"); the
 * data-ses-track attribute itself is removed from every <a>.  A tag cut
 * short at the end of the part is copied as it is and ends the rewriting.
 * Input holding a NUL byte is copied unchanged.
 */
#ifndef SES_TMPL_TRACK_H
#define SES_TMPL_TRACK_H

#include <stdbool.h>
#include <stddef.h>

#include "strbuf.h"

#define TMPL_TRACK_ATTR "data-ses-track"

struct tmpl_track_hooks {
	/*
	 * Appends to out the tracking link for the absolute http(s) url (as
	 * the browser would follow it); returns 0, or -1 to leave it alone.
	 * NULL: no click tracking.
	 */
	int (*link)(void *arg, const char *url, struct strbuf *out);
	void *arg;
	const char *pixel_url;	/* the open pixel's src; NULL: none */
};

struct tmpl_track_count {
	size_t tracked;		/* hrefs rewritten */
	size_t untracked;	/* <a href> left alone */
	bool pixel;		/* the pixel was added */
};

/* Appends html[0..len) with tracking to out; c (may be NULL) counts what was done. */
void tmpl_track_html(const char *html, size_t len, const struct tmpl_track_hooks *hooks,
		     struct strbuf *out, struct tmpl_track_count *c);

#endif
