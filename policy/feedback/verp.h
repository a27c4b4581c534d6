/*
 * verp - VERP envelope senders: an outbound message's MAIL FROM names the
 * message and its recipient, on the sender domain, so that a bounce sent
 * back to it (SPEC section 7) says which message and recipient failed, and
 * nobody else can make such an address.
 *
 * Format: a sealed token (mac.h) as the local part,
 *
 *     b-<base32 payload>-<tag>@<sender domain>
 *
 * tag = 10 base32 characters (50 bits) of HMAC-SHA256(key, "verp",
 * domain, payload), so an address cannot be forged, altered, or moved to
 * another sender domain.  Base32 is case-insensitive: an MTA that folds
 * the local part to lower (or upper) case does not break it.  The payload
 * (at most VERP_PAYLOAD_MAX bytes, so the local part never exceeds 64
 * octets, RFC 5321 section 4.5.3.1.1) is
 *
 *     byte 0      0x10 | form (1 inline recipient, 2 hashed, 0 none)
 *     byte 1      L, the message id's length (1..VERP_MSGID_MAX)
 *     L bytes     the message id (any bytes but NUL)
 *     the rest    form 1: the normalised recipient
 *                 form 2: VERP_RCPT_HASH_LEN bytes of HMAC(key,
 *                         "verp-rcpt", normalised recipient)
 *                 form 0: nothing
 *
 * Over-long recipients: an address of up to 29 bytes minus the message
 * id's length (17 bytes beside a 12-character queue ID) travels inline and
 * decodes without any lookup.  A longer one
 * (any length, any bytes: quotes, blanks, UTF-8) travels as a 64-bit keyed
 * hash; the decoder then knows the message id and the hash, and the caller
 * recovers the address by testing candidates with verp_rcpt_matches():
 * the recipients it recorded for that message id when it sent it (it
 * keeps them anyway for status and events), or the Original-Recipient and
 * Final-Recipient of the DSN that came back.  Where a store lookup suits
 * better, base32 of info.rcpt_hash (13 characters) is a ready key part
 * for a "message id + recipient id -> address" entry written at send time.
 * Either way a forged bounce can only name the recipient the address was
 * made for.
 *
 * A milter changes MAIL FROM once per transaction, not per recipient, so
 * a message with several recipients gets form 0 (no recipient): the
 * bounce identifies the message and the DSN's recipient fields say who
 * failed, checked against the message's recorded recipients.
 *
 * Normalisation, also used by unsub_token.h: a domain is lower-cased,
 * loses a trailing dot, has UTF-8 labels turned into A-labels and must be
 * a valid host name; a recipient is normalised like shared-state keys
 * (entries.h: brackets and blanks removed, ASCII lower-cased, other bytes
 * kept), so an address differing only in case gives the same token.
 *
 * Diagnostics of verp_encode (in err): sender domain "D" is not a valid
 * domain name; message id of N bytes (want 1..20).
 */
#ifndef SES_VERP_H
#define SES_VERP_H

#include <stdbool.h>

#include "mac.h"
#include "strbuf.h"

#define VERP_PREFIX "b-"
#define VERP_LOCAL_MAX 64	/* RFC 5321 limit on a local part */
#define VERP_PAYLOAD_MAX 31	/* base32 of 31 bytes is 50 chars: 2 + 50 + 1 + 10 = 63 */
#define VERP_MSGID_MAX 20	/* so a hashed recipient always fits */
#define VERP_RCPT_HASH_LEN 8
#define VERP_DOMAIN_MAX 253

enum verp_rcpt_form {
	VERP_RCPT_NONE = 0,	/* the address names the message only */
	VERP_RCPT_INLINE = 1,	/* the recipient itself */
	VERP_RCPT_HASHED = 2,	/* a keyed hash of the recipient */
};

enum verp_result {
	VERP_OK = 0,
	VERP_NOT_VERP,	/* not a VERP address at all (no "b-" local part) */
	VERP_MALFORMED, /* looks like one but does not decode */
	VERP_FORGED,	/* decodes, but the tag is wrong for this domain */
};

/* What a VERP address says. */
struct verp_info {
	char domain[VERP_DOMAIN_MAX + 1];	/* normalised sender domain */
	char msgid[VERP_MSGID_MAX + 1];
	enum verp_rcpt_form form;
	char rcpt[VERP_PAYLOAD_MAX + 1];	/* VERP_RCPT_INLINE: the recipient; else "" */
	unsigned char rcpt_hash[VERP_RCPT_HASH_LEN]; /* INLINE and HASHED */
};

/*
 * Appends the VERP address for (msgid, rcpt) on domain to out, e.g.
 * "b-cacme...-k3v0q7pzae@example.com".  rcpt NULL, "" or "<>" makes a
 * message-only address.  *form (may be NULL) says how the recipient was
 * stored.  Returns 0, or -1 with the reason appended to err and out
 * unchanged.
 */
int verp_encode(const struct mac_key *key, const char *domain, const char *msgid,
		const char *rcpt, struct strbuf *out, enum verp_rcpt_form *form,
		struct strbuf *err);

/*
 * Decodes address ("<b-...@domain>" or bare, as an MTA hands it over) into
 * info.  info is zeroed first and filled only on VERP_OK.
 */
enum verp_result verp_decode(const struct mac_key *key, const char *address,
			     struct verp_info *info);

/*
 * True when candidate (any form an MTA or a DSN writes: brackets, case)
 * is the recipient info was made for.  False for VERP_RCPT_NONE.
 */
bool verp_rcpt_matches(const struct mac_key *key, const struct verp_info *info,
		       const char *candidate);

/* "ok", "not VERP", "malformed", "forged". */
const char *verp_result_name(enum verp_result r);

/* ---- normalisation shared with unsub_token -------------------------------- */

/*
 * Appends domain normalised as above.  Returns 0, or -1 when it is not a
 * valid domain name (out then holds a partial result to discard).
 */
int verp_norm_domain(const char *domain, struct strbuf *out);

/* Replaces out with rcpt normalised as above. */
void verp_norm_rcpt(const char *rcpt, struct strbuf *out);

/* Writes the VERP_RCPT_HASH_LEN-byte keyed hash of a normalised recipient. */
void verp_rcpt_hash(const struct mac_key *key, const char *norm_rcpt,
		    unsigned char out[VERP_RCPT_HASH_LEN]);

#endif
