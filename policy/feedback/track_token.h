/*
 * track_token - sealed tokens for open and click tracking links (SPEC
 * section 7, events open and click).
 *
 * A tracking link is TRACKING-URL/o/TOKEN (the pixel) or
 * TRACKING-URL/c/TOKEN (a link).  The token says everything the gateway
 * needs, so any gateway answers without a lookup:
 *
 *     TOKEN = base64url(payload || tag)        (mac_seal64, purpose "track")
 *
 * payload: byte 0 is 0x20 | kind (1 open, 2 click); byte 1 the key id
 * (mac_key_id), so that after a rotation (feedback.key moved to
 * feedback.key.old) outstanding links still verify with the old key;
 * 4 bytes template ID and 4 bytes send time (Unix seconds), most
 * significant first; then the message ID, the recipient, the account and
 * the sender domain, each one length byte and its bytes (the account may
 * be empty); a click token ends with the URL (the rest of the payload).
 * The tag covers the kind, so an open token never redirects.
 *
 * The URL sealed is the one the browser would follow (entities decoded);
 * it must be absolute http or https, at most TRACK_URL_MAX bytes, with no
 * byte below 0x21 nor 0x7f (it becomes a Location header).  A token is at
 * most about (TRACK_URL_MAX + 600) * 4 / 3 characters.
 *
 * Diagnostics of track_make (in err): "message ID of N bytes is not
 * valid", "recipient ... is not valid", "sender domain "D" is not a valid
 * domain name", "account name "A" is not valid", "URL of N bytes is too
 * long (at most 2048)", "URL is not absolute http(s) or holds blanks".
 * Verification reports only its result: tokens come from anyone.
 */
#ifndef SES_TRACK_TOKEN_H
#define SES_TRACK_TOKEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mac.h"
#include "strbuf.h"
#include "verp.h"

#define TRACK_URL_MAX 2048	/* bytes of a tracked URL; longer ones stay untracked */
#define TRACK_MSGID_MAX 64
#define TRACK_RCPT_MAX 254
#define TRACK_ACCOUNT_MAX 64

enum track_kind {
	TRACK_OPEN = 1,
	TRACK_CLICK = 2,
};

enum track_result {
	TRACK_OK = 0,
	TRACK_MALFORMED,	/* does not decode, or its payload has a wrong shape */
	TRACK_FORGED,		/* decodes, but no key we hold made it */
};

/* What a token says (or what track_make seals). */
struct track_info {
	enum track_kind kind;
	char msgid[TRACK_MSGID_MAX + 1];
	char rcpt[TRACK_RCPT_MAX + 1];		/* normalised */
	char account[TRACK_ACCOUNT_MAX + 1];	/* "" for none */
	char domain[VERP_DOMAIN_MAX + 1];	/* normalised sender domain */
	unsigned long template_id;		/* 0 for none */
	int64_t sent;				/* Unix seconds */
	char url[TRACK_URL_MAX + 1];		/* click only; "" for open */
};

/* Fills info for track_make from loose inputs (url NULL for an open). 0 or -1. */
int track_info_set(struct track_info *info, enum track_kind kind, const char *msgid,
		   const char *rcpt, const char *account, const char *domain,
		   unsigned long template_id, int64_t sent, const char *url,
		   struct strbuf *err);

/* True for a URL track_make accepts (absolute http(s), no blanks, bounded). */
bool track_url_ok(const char *url, size_t len);

/* Appends the token for info sealed with key.  0, or -1 with err. */
int track_make(const struct mac_key *key, const struct track_info *info, struct strbuf *out,
	       struct strbuf *err);

/*
 * Verifies token[0..len) with whichever of keys[0..nkeys) its key id
 * names (NULL entries are skipped) and fills info on TRACK_OK.
 */
enum track_result track_verify(const struct mac_key *const *keys, size_t nkeys,
			       const char *token, size_t len, struct track_info *info);

/* "ok", "malformed", "forged". */
const char *track_result_name(enum track_result r);

#endif
