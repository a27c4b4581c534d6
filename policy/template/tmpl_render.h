/*
 * tmpl_render - template data and rendering (SPEC section 4).
 *
 * Data is the X-SES-Template-Data header: a JSON object whose values are
 * all strings, at most 800 bytes.  Rendering replaces every {{name}} with
 * its value; in the HTML part values are HTML-escaped.  Every variable of
 * the template must be given and every given key must be a variable,
 * except {{unsubscribe_url}}, which the service sets (tmpl_data_set).
 */
#ifndef SES_TMPL_RENDER_H
#define SES_TMPL_RENDER_H

#include <stdbool.h>
#include <stddef.h>

#include "strbuf.h"
#include "template.h"

#define TMPL_DATA_MAX 800	/* bytes of X-SES-Template-Data */

enum tmpl_render_status {
	TMPL_RENDER_OK = 0,
	TMPL_DATA_TOO_LONG,	/* -> InvalidParameterValue.TemplateDataLenLimit */
	TMPL_DATA_NOT_JSON,	/* not a JSON object of strings -> TemplateDataError */
	TMPL_DATA_NOT_MATCH,	/* missing or unknown variables -> TemplateNotMatchData */
};

struct tmpl_data {
	char **keys;		/* sorted */
	char **values;		/* UTF-8, may contain any character */
	size_t n;
};

/*
 * Parses len bytes of data (the unfolded header value).  On failure,
 * why says what is wrong ("key 'x' is not a string") and out holds
 * nothing (tmpl_data_free on it is harmless).  Free a parsed out with
 * tmpl_data_free.
 */
enum tmpl_render_status tmpl_data_parse(const char *data, size_t len, struct tmpl_data *out,
					struct strbuf *why);
void tmpl_data_free(struct tmpl_data *d);

/*
 * The variable the service fills itself: the recipient's unsubscribe link
 * (one-click URL, or a mailto: URL), never taken from the data.
 */
#define TMPL_VAR_UNSUBSCRIBE "unsubscribe_url"

/* True when t uses the variable name. */
bool tmpl_uses_var(const struct tmpl *t, const char *name);
/* Sets key to value in d (replacing a given one), keeping d sorted. */
void tmpl_data_set(struct tmpl_data *d, const char *key, const char *value);

/*
 * Renders t with d: text and html receive the parts the template has
 * (left empty otherwise).  TMPL_DATA_NOT_MATCH names the missing or
 * unknown variables in why.
 */
enum tmpl_render_status tmpl_render(const struct tmpl *t, const struct tmpl_data *d,
				    struct strbuf *text, struct strbuf *html, struct strbuf *why);

/* Appends s HTML-escaped (& < > " ') to out. */
void tmpl_html_escape(const char *s, struct strbuf *out);

#endif
