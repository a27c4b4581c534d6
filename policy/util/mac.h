/*
 * mac - keyed message authentication for the feedback loop: HMAC-SHA256
 * with the service's secret key, constant-time comparison, base32, and
 * sealed tokens that survive inside an email local part.
 *
 * Sealed tokens are what VERP addresses (verp.h) and unsubscribe tokens
 * (unsub_token.h) are made of:
 *
 *     PREFIX BASE32(payload) "-" TAG
 *
 * TAG is the first MAC_TAG_CHARS base32 characters (50 bits) of
 * HMAC-SHA256(key, purpose, domain, payload).  The MAC input is framed
 * (each field preceded by its 32-bit big-endian length), so no two
 * different (purpose, domain, payload) triples hash the same bytes, and the
 * purpose keeps a VERP tag from ever verifying as an unsubscribe tag.
 *
 * Base32 is RFC 4648's alphabet in lower case without padding: letters and
 * digits only, safe in a local part, a URL path and a query, and decoded
 * case-insensitively because MTAs may change the case of a local part.
 * Base64 is not usable here for exactly that reason.  Decoding is strict
 * (no padding, no stray bits), so every payload has one spelling up to
 * case.
 *
 * The secret key (mac_key.c) is 32 random bytes in a file, by default
 * DataDir/feedback.key.  mac_key_ensure() makes it with mode 0600 when it
 * is missing; mac_key_load() refuses a file others may read or that group
 * or others may write, and a file of another size.
 *
 * Diagnostics (in err, each "PATH: message"): cannot open: REASON, cannot
 * read: REASON, not a regular file, readable or writable by others (chmod
 * 0600), writable by its group (chmod 0600), N bytes (want 32), cannot
 * create: REASON, cannot write: REASON, no random bytes.
 */
#ifndef SES_MAC_H
#define SES_MAC_H

#include <stdbool.h>
#include <stddef.h>

#include "strbuf.h"

#define MAC_KEY_LEN 32		/* bytes of secret */
#define MAC_LEN 32		/* bytes of HMAC-SHA256 output */
#define MAC_TAG_CHARS 10	/* base32 characters of a sealed token's tag: 50 bits */
#define MAC_KEY_FILE "feedback.key"	/* the key's file name in DataDir */

struct mac_key {
	unsigned char bytes[MAC_KEY_LEN];
};

/* One field of a MAC input. */
struct mac_field {
	const void *data;
	size_t len;
};

/*
 * HMAC-SHA256 over the framed fields (each as a 32-bit big-endian length
 * and its bytes).  Writes MAC_LEN bytes to out.
 */
void mac_hmac(const struct mac_key *key, const struct mac_field *fields, size_t n,
	      unsigned char out[MAC_LEN]);

/* True when a[0..len) equals b[0..len); time does not depend on the bytes. */
bool mac_equal(const void *a, const void *b, size_t len);

/*
 * A short keyed hash of data under purpose: the first outlen (at most
 * MAC_LEN) bytes of mac_hmac(key, purpose, data).
 */
void mac_short_hash(const struct mac_key *key, const char *purpose, const void *data,
		    size_t len, unsigned char *out, size_t outlen);

/* Characters of the base32 form of len bytes: ceil(len * 8 / 5). */
size_t mac_base32_len(size_t len);

/* Appends data[0..len) as lower-case base32 without padding. */
void mac_base32_encode(const void *data, size_t len, struct strbuf *out);

/*
 * Appends the bytes of s[0..len), base32 in either case without padding.
 * Returns 0, or -1 for a character outside the alphabet, an impossible
 * length or non-zero bits left over (out then holds a partial result).
 */
int mac_base32_decode(const char *s, size_t len, struct strbuf *out);

/* ---- sealed tokens ---------------------------------------------------- */

enum mac_open_result {
	MAC_OPEN_OK = 0,
	MAC_OPEN_NOT_OURS,	/* does not start with the prefix */
	MAC_OPEN_MALFORMED,	/* not PREFIX BASE32 "-" TAG */
	MAC_OPEN_FORGED,	/* well formed, but the tag does not verify */
};

/*
 * Appends prefix, base32(payload), "-" and the tag of (purpose, domain,
 * payload).  The caller normalises domain.
 */
void mac_seal(const struct mac_key *key, const char *purpose, const char *domain,
	      const void *payload, size_t len, const char *prefix, struct strbuf *out);

/*
 * Checks token[0..len) against prefix (compared ignoring ASCII case) and
 * the tag of (purpose, domain, payload), and appends the payload to out.
 * out is only written on MAC_OPEN_OK.
 */
enum mac_open_result mac_open(const struct mac_key *key, const char *purpose,
			      const char *domain, const char *token, size_t len,
			      const char *prefix, struct strbuf *out);

/* True when s[0..len) starts with prefix, ASCII case ignored. */
bool mac_has_prefix(const char *s, size_t len, const char *prefix);

/* "ok", "not ours", "malformed", "forged". */
const char *mac_open_result_name(enum mac_open_result r);

/* ---- the secret key (mac_key.c) ----------------------------------------- */

/* Appends "data_dir/feedback.key". */
void mac_key_path(const char *data_dir, struct strbuf *out);

/*
 * Reads the key at path into key.  Returns 0, or -1 with the reason
 * appended to err (see the diagnostics above).
 */
int mac_key_load(const char *path, struct mac_key *key, struct strbuf *err);

/*
 * Loads the key at path, or makes a new random one there (mode 0600)
 * when there is none.  When two processes race, one key wins and both
 * end up with it.  *created (may be NULL) tells whether this call made
 * the file.  Returns 0, or -1 with the reason appended to err.
 */
int mac_key_ensure(const char *path, struct mac_key *key, bool *created, struct strbuf *err);

/* Overwrites the key in memory. */
void mac_key_clear(struct mac_key *key);

/* ---- compact sealed tokens for URLs (mac_seal64.c) ----------------------- */

#define MAC64_TAG_LEN 12	/* bytes of a compact token's tag: 96 bits */

/* Appends data[0..len) as base64url (RFC 4648 section 5) without padding. */
void mac_base64url_encode(const void *data, size_t len, struct strbuf *out);

/* Appends the bytes of base64url s[0..len); 0, or -1 as mac_base32_decode. */
int mac_base64url_decode(const char *s, size_t len, struct strbuf *out);

/*
 * Appends base64url(payload || tag), tag the first MAC64_TAG_LEN bytes of
 * HMAC-SHA256(key, purpose, payload).  Case matters: URL paths only.
 */
void mac_seal64(const struct mac_key *key, const char *purpose, const void *payload,
		size_t len, struct strbuf *out);

/*
 * Opens a mac_seal64 token: appends the payload to out on MAC_OPEN_OK;
 * MAC_OPEN_MALFORMED when it does not decode, MAC_OPEN_FORGED when the
 * tag is wrong.
 */
enum mac_open_result mac_open64(const struct mac_key *key, const char *purpose,
				const char *token, size_t len, struct strbuf *out);

/*
 * One byte naming key (of a keyed hash), carried in tokens so that a
 * verifier holding the current and the previous key picks the right one.
 */
unsigned char mac_key_id(const struct mac_key *key);

#endif
