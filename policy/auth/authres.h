/*
 * authres - building and recognising Authentication-Results (RFC 8601).
 *
 * A struct authres collects one result per method (spf, dkim, dmarc...)
 * with an optional comment, reason and properties, then formats one header
 * value: "authserv-id; spf=pass smtp.mailfrom=example.com; dkim=..." or
 * "authserv-id; none".  Values that are not RFC 2045 tokens (nor
 * local-part@domain) are written as quoted strings; bytes that a header
 * cannot carry (control characters, CR, LF) become '?', because results
 * hold envelope data a client chose.
 *
 * authres_claims_id tells whether an existing header claims our
 * authserv-id, so forged copies can be removed before ours is added.
 *
 * Diagnostics: authres_init and authres_add return -1 for a name that is
 * not a token (authserv-id, method, result, property); nothing is logged.
 */
#ifndef SES_AUTHRES_H
#define SES_AUTHRES_H

#include <stdbool.h>
#include <stddef.h>

#include "strbuf.h"

struct authres_prop {
	char *name;	/* "ptype.property", e.g. "header.d" */
	char *value;
};

struct authres_entry {
	char *method;
	char *result;
	char *comment;	/* NULL or text shown as "(text)" after the result */
	char *reason;	/* NULL or text shown as reason="text" */
	struct authres_prop *props;
	size_t nprops;
};

struct authres {
	char *servid;
	struct authres_entry *entries;
	size_t n;
};

/* Starts an empty result set for authserv_id; 0, or -1 when the id is not valid. */
int authres_init(struct authres *ar, const char *authserv_id);

/* Frees everything ar holds; ar may be re-initialised afterwards. */
void authres_free(struct authres *ar);

/*
 * Adds "method=result", with reason="..." when reason is not NULL, and the
 * properties given as name, value pairs ended by NULL, e.g.
 *   authres_add(&ar, "spf", "pass", NULL, "smtp.mailfrom", "example.com", NULL);
 * A NULL value drops that property.  Returns 0, or -1 (nothing added) when
 * method, result or a property name is not a valid token.
 */
int authres_add(struct authres *ar, const char *method, const char *result,
		const char *reason, ...) __attribute__((sentinel));

/* Sets the comment of the last added result ("dmarc=fail (p=reject)"); -1 if none. */
int authres_comment(struct authres *ar, const char *comment);

/* Appends the header value (without "Authentication-Results:" and unfolded). */
void authres_format(const struct authres *ar, struct strbuf *out);

/*
 * True when header_value (an Authentication-Results value) begins with
 * authserv_id, compared case-insensitively after skipping blanks and
 * comments; the id may be quoted and followed by a version ("id 1;").
 */
bool authres_claims_id(const char *header_value, const char *authserv_id);

#endif
