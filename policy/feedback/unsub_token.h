/*
 * unsub_token - unforgeable unsubscribe tokens for List-Unsubscribe
 * (RFC 2369) and one-click unsubscribe (RFC 8058), SPEC section 7.
 *
 * A token names (sender domain, recipient, optional account) and is a
 * sealed token (mac.h) with the prefix "u-":
 *
 *     u-<base32 payload>-<tag>
 *
 * tag = 10 base32 characters of HMAC-SHA256(key, "unsub", D, payload).
 * Tokens use only [a-z2-7-], so they need no escaping in a local part, a
 * URL path or a query, and decode in any case.  Two forms:
 *
 *   mailto  "u-...@<sender domain>", for <mailto:u-...@domain>.  The
 *           domain is the address's own, so D is that domain and the
 *           payload does not repeat it.  The local part stays within 64
 *           octets: the recipient travels inline when it fits and as a
 *           64-bit keyed hash otherwise (as in verp.h).  A hashed token
 *           verifies, and the caller then checks the mailbox that sent
 *           the request (envelope sender or From) with
 *           unsub_rcpt_matches(); a request from another mailbox (a
 *           forwarded alias) cannot be attributed, and the https form
 *           still works for it.
 *   url     for https://HOST/PATH/u-...: self-contained, so a one-click
 *           POST needs no state.  The payload carries the domain and the
 *           whole recipient; D is "".
 *
 * Payload: byte 0 is 0x10 | flags (0x01 recipient inline, 0x02 recipient
 * hashed, 0x04 domain inside, 0x08 account inside); then, when flagged,
 * the domain and the account, each as one length byte and its bytes; then
 * the recipient (inline: the rest of the payload) or its hash.  The MAC
 * covers the flags, so a mailto token never verifies as a url token.
 * Domains and recipients are normalised as verp.h describes before they
 * are sealed, so tokens for "User@Example.COM" and "user@example.com" are
 * the same; the account name is case-sensitive and must be a valid
 * account name (account.h).  There is no expiry: an unsubscribe link must
 * keep working, and repeating a request changes nothing.
 *
 * Diagnostics of the make functions (in err): sender domain "D" is not a
 * valid domain name; no recipient; recipient of N bytes is too long (at
 * most 1024); account name "A" is not valid; account name of N bytes is
 * too long for a mailto token (at most 21).
 */
#ifndef SES_UNSUB_TOKEN_H
#define SES_UNSUB_TOKEN_H

#include <stdbool.h>

#include "mac.h"
#include "strbuf.h"
#include "verp.h"

#define UNSUB_PREFIX "u-"
#define UNSUB_RCPT_MAX 1024		/* bytes of a recipient in a url token */
#define UNSUB_ACCOUNT_MAX 64
#define UNSUB_MAILTO_ACCOUNT_MAX 21	/* so a hashed recipient always fits */
#define UNSUB_RCPT_HASH_LEN 8

enum unsub_result {
	UNSUB_OK = 0,
	UNSUB_NOT_TOKEN,	/* no "u-" token at all */
	UNSUB_MALFORMED,	/* looks like one but does not decode */
	UNSUB_FORGED,		/* decodes, but the tag is wrong */
};

/* What a token says.  Free with unsub_info_free. */
struct unsub_info {
	char domain[VERP_DOMAIN_MAX + 1];	/* normalised sender domain */
	char account[UNSUB_ACCOUNT_MAX + 1];	/* "" when the token names none */
	bool rcpt_hashed;			/* rcpt unknown: test with unsub_rcpt_matches */
	struct strbuf rcpt;			/* the normalised recipient, or "" */
	unsigned char rcpt_hash[UNSUB_RCPT_HASH_LEN];
};

/*
 * Appends the mailto address "u-...@domain" for (domain, rcpt, account);
 * account may be NULL or "".  Returns 0, or -1 with the reason appended to
 * err and out unchanged.
 */
int unsub_mailto_make(const struct mac_key *key, const char *domain, const char *rcpt,
		      const char *account, struct strbuf *out, struct strbuf *err);

/* Appends the url token "u-..." for the same data; as unsub_mailto_make. */
int unsub_url_make(const struct mac_key *key, const char *domain, const char *rcpt,
		   const char *account, struct strbuf *out, struct strbuf *err);

/*
 * Verifies the address an unsubscribe request was sent to ("<u-...@d>" or
 * bare) and fills info (initialised here; free it whatever the result).
 */
enum unsub_result unsub_mailto_verify(const struct mac_key *key, const char *address,
				      struct unsub_info *info);

/* Verifies a url token taken from a request's path or query; as above. */
enum unsub_result unsub_url_verify(const struct mac_key *key, const char *token,
				   struct unsub_info *info);

/* True when candidate is the recipient info names (inline or hashed). */
bool unsub_rcpt_matches(const struct mac_key *key, const struct unsub_info *info,
			const char *candidate);

void unsub_info_free(struct unsub_info *info);

/* "ok", "not a token", "malformed", "forged". */
const char *unsub_result_name(enum unsub_result r);

#endif
