/*
 * dkim_sign - DKIM signatures for outbound mail (SPEC section 5), made
 * with OpenSSL.  The key ring is in dkim_keys.c, signing in dkim_sign.c,
 * relaxed canonicalisation in dkim_canon.c.  (Verification, in auth/,
 * uses libopendkim; signing did too until its per-signature key parsing
 * and body hashing cost more than the RSA operation itself.)
 *
 * Keys are operator data: DataDir/keys/DOMAIN/SELECTOR.rsa.pem (RSA, 2048
 * bits by default, 1024 selectable) and optionally
 * DataDir/keys/DOMAIN/SELECTOR.ed25519.pem (Ed25519), PEM.  A key file
 * must not be readable by others (mode 0600 or 0640) unless the operator
 * allows it.  Keys are parsed once, when the ring is loaded.  A domain
 * signs with every key it has: rsa-sha256, plus ed25519-sha256 (RFC 8463)
 * as a second signature.
 *
 * Canonicalisation relaxed/relaxed; the signed headers are those of
 * DKIM_SIGN_HEADERS present in the message, and From is signed once more
 * than it occurs (oversigned) so no From can be added later.  The body
 * is hashed once per message, whatever the number of keys.
 *
 * Folder policy/signing/ (main header: this one): what outbound mail is
 * signed with and what a sender domain must publish: the DKIM key ring
 * and signer (dkim_keys, dkim_sign, dkim_canon) and the judgement of a domain's DNS
 * records (domain_check).  It may include util/ and conf/; the engine's
 * signing step is engine/sign.c.
 */
#ifndef SES_DKIM_SIGN_H
#define SES_DKIM_SIGN_H

#include <stdbool.h>
#include <stddef.h>

#include "diag.h"
#include "strbuf.h"

#define DKIM_SIGN_HEADERS "From:To:Cc:Reply-To:Subject:Date:Message-ID:MIME-Version:" \
	"Content-Type:Content-Transfer-Encoding:List-Unsubscribe:List-Unsubscribe-Post"

enum dkim_key_type { DKIM_KEY_RSA, DKIM_KEY_ED25519 };

struct evp_pkey_st;		/* OpenSSL's EVP_PKEY */

struct dkim_key {
	char *domain;		/* lower case */
	char *selector;
	enum dkim_key_type type;
	unsigned char *pem;	/* the private key, PEM, NUL-terminated */
	size_t pem_len;
	struct evp_pkey_st *pkey; /* the same, parsed once; read-only, shared */
};

struct dkim_keyring {
	struct dkim_key *v;	/* sorted by domain, RSA before Ed25519 */
	size_t n;
};

/*
 * Loads every key under dir (DataDir/keys).  A missing directory is an
 * empty ring.  A key readable by others is an error unless
 * allow_world_readable.  NULL when any error was found (each in diags).
 */
struct dkim_keyring *dkim_keyring_load(const char *dir, bool allow_world_readable,
				       struct diag_list *diags);
void dkim_keyring_free(struct dkim_keyring *ring);

/* Sets *first and *count to the keys of domain (case-insensitive). */
void dkim_keyring_find(const struct dkim_keyring *ring, const char *domain, size_t *first,
		       size_t *count);

/* One header as the message will be delivered. */
struct dkim_header {
	const char *name;
	const char *value;	/* as in the message, folding kept (CRLF) */
};

/*
 * Signs a message for domain with each of its keys: headers in order
 * (values folded with CRLF or LF), body with CRLF line ends (a bare LF
 * counts as one).  Appends one DKIM-Signature header value per
 * key to sigs (an array of strbufs of size *nsigs on return, caller frees
 * each and the array).  0, or -1 with a reason in err.  Thread-safe.
 * A domain without keys gets no signature (0, *sigs NULL, *nsigs 0).
 * Each value lacks the "DKIM-Signature: " name and is folded with CRLF
 * TAB (libopendkim's form); RSA signatures come before Ed25519 ones.
 * A message without a From field is an error.
 */
int dkim_sign_message(const struct dkim_keyring *ring, const char *domain,
		      const struct dkim_header *headers, size_t nheaders, const char *body,
		      size_t body_len, struct strbuf **sigs, size_t *nsigs, struct strbuf *err);

/*
 * Fetches OpenSSL's SHA-256 once; dkim_sign_message calls it too, but the
 * daemon calls it before threads start to fail early.  0 or -1.
 */
int dkim_sign_init(void);

/* RSA key sizes a key file may have (and dkim_key_generate makes). */
#define DKIM_RSA_BITS_MIN 1024
#define DKIM_RSA_BITS_MAX 4096

/*
 * For the operator tool: creates a new private key at path (mode 0640,
 * never replacing a file) and appends to dns_txt_value the TXT record to
 * publish at SELECTOR._domainkey.DOMAIN ("v=DKIM1; k=rsa; p=...").
 * rsa_bits is ignored for Ed25519.  0, or -1 with a reason in err.
 */
int dkim_key_generate(const char *path, enum dkim_key_type type, int rsa_bits,
		      struct strbuf *dns_txt_value, struct strbuf *err);

/* Appends the DNS TXT record value of k's public key to out.  0 or -1. */
int dkim_key_public_txt(const struct dkim_key *k, struct strbuf *out);

#endif
