/*
 * dkim_verify - DKIM (RFC 6376, RFC 8463) verification of inbound mail
 * with libopendkim, one result per signature named as RFC 8601 names
 * them.
 *
 * A struct dkim_verify_lib holds one libopendkim library handle, made
 * once before threads start and only read afterwards; many verifiers, one
 * per message, may use it from many threads at once.  Keys are never
 * looked up by libopendkim's own resolver (not thread-safe): every lookup
 * goes to the fetch function the verifier was given, normally a
 * dns_query() of TXT on a resolver of the calling thread.
 *
 * A verifier is fed the message as a milter sees it: headers one by one
 * (each value exactly as received, see dkim_verifier_header),
 * end of headers, body chunks, end of message.  It then holds one result
 * per DKIM-Signature field, in the order the fields appear, for at most
 * max_signatures fields; further DKIM-Signature fields are not handed to
 * libopendkim at all (a guard against denial of service), so a signature
 * whose h= covers one of those fields cannot verify.  Bad input never
 * makes verification fail: it makes results.
 *
 * Results (status, reason):
 *   pass       "signature verified": signature and body hash verified
 *              (DKIM_SIG_CHECK) and libopendkim found no other error.
 *   fail       "signature mismatch", "body hash mismatch": the
 *              cryptographic check failed (RFC 8601 section 2.7.1).
 *   policy     "rsa-sha1 not accepted" (RFC 8301: a verified rsa-sha1
 *              signature), "key too small" (RSA under 1024 bits).
 *   temperror  "key lookup failed": the key's DNS lookup failed
 *              (TEMPFAIL); "internal error": libopendkim gave up on the
 *              message (its text in detail).
 *   permerror  what RFC 6376 calls PERMFAIL:
 *              "no key": NXDOMAIN, no TXT record, or a name that cannot
 *              be asked for (RFC 6376 section 6.1.2);
 *              "key revoked": empty p=.  RFC 6376 section 6.1.2 says
 *              PERMFAIL (key revoked), no different from a removed key,
 *              so the status of "no key" rather than "fail";
 *              "bad key record": not a DKIM key, wrong key type,
 *              undecodable, over 1024 bytes, several records;
 *              "inappropriate key algorithm": the record's k= ("rsa"
 *              when absent) is not the key type of the signature's a=
 *              (RFC 6376 section 6.1.2, RFC 8463);
 *              "syntax error": tags missing, empty, repeated or
 *              malformed, bad base64, i= not dkim-quoted-printable, a
 *              field over 32 KB (see dkim_field.h);
 *              "unsupported version", "unsupported algorithm",
 *              "unsupported canonicalization";
 *              "expired": x= has passed (RFC 6376 section 6.1.1 allows
 *              PERMFAIL);
 *              "identity not in signing domain", "From not signed",
 *              "l= exceeds body length", "identity not allowed by key"
 *              (key t=s).
 *   neutral    "timestamp in the future" (t= later than now and five
 *              minutes), "not verified" (libopendkim did not evaluate
 *              the signature; RFC 8601's catch-all).
 *
 * Diagnostics: dkim_verify_lib_new says why it failed in err.  Results
 * carry a static English reason and, when there is one, a detail for the
 * log: the key lookup ("s1._domainkey.example.com: lookup failed: no
 * answer from 192.0.2.53 (timeout)"), libopendkim's text for the
 * signature ("signature expired"), or why a field is a syntax error
 * ("tag d= repeated").  Nothing is logged here.
 */
#ifndef SES_DKIM_VERIFY_H
#define SES_DKIM_VERIFY_H

#include <stddef.h>

#include "dns.h"
#include "strbuf.h"

/* The most signatures a message may have evaluated (dkim_verify_lib_new). */
#define DKIM_VERIFY_MAX_SIGNATURES 64

enum dkim_verify_status {
	DKIM_VERIFY_PASS,
	DKIM_VERIFY_FAIL,
	DKIM_VERIFY_NEUTRAL,
	DKIM_VERIFY_POLICY,
	DKIM_VERIFY_TEMPERROR,
	DKIM_VERIFY_PERMERROR,
};

/*
 * One signature's result; strings are owned by the verifier.  Tag values
 * are copied without blanks, at most 255 bytes of each.
 */
struct dkim_verify_sig {
	char *domain;	 /* d=, lower case; "" if missing */
	char *selector;	 /* s=; "" if missing */
	char *identity;	 /* i= decoded, or NULL when absent */
	char *algorithm; /* a= lower case ("rsa-sha256", "ed25519-sha256"...); "" if missing */
	char *b_prefix;	 /* the first 8 characters of b= (header.b); "" if missing */
	enum dkim_verify_status status;
	const char *reason; /* static English, see above */
	char *detail;	    /* NULL, or diagnostic text for the log */
};

/*
 * The key lookup: the TXT record(s) at name ("sel._domainkey.example.com",
 * as the signature wrote it).  Returns a dns_status; on DNS_OK appends
 * the first record's text to txt.  On other results err may say why.  A
 * name the function cannot ask for is DNS_BADNAME.  Called on the thread
 * that calls dkim_verifier_eom.
 */
typedef enum dns_status (*dkim_verify_fetch_fn)(void *arg, const char *name, struct strbuf *txt,
						struct strbuf *err);

struct dkim_verify_lib;

/*
 * Sets up libopendkim for verifying (once, before threads start).
 * max_signatures (1..DKIM_VERIFY_MAX_SIGNATURES) is how many signatures
 * of one message are evaluated.  NULL with the reason in err.
 */
struct dkim_verify_lib *dkim_verify_lib_new(unsigned max_signatures, struct strbuf *err);
/* Frees lib (NULL ok); no verifier of it may remain. */
void dkim_verify_lib_free(struct dkim_verify_lib *lib);

struct dkim_verifier;

/*
 * A verifier for one message, used by one thread at a time.  id (copied)
 * names the message to libopendkim, e.g. the queue ID.  fetch(fetch_arg,
 * ...) looks up keys.  Never NULL (allocation failure aborts).
 */
struct dkim_verifier *dkim_verifier_new(struct dkim_verify_lib *lib, const char *id,
					dkim_verify_fetch_fn fetch, void *fetch_arg);

/*
 * One header field, in message order, exactly as received: value is all
 * of the field after the colon, its leading blanks included (what a
 * milter gets with SMFIP_HDR_LEADSPC), folded with LF or CRLF; the
 * verifier hashes "name:value" with CRLF line ends, so simple header
 * canonicalisation sees the field as the signer did.  0, or -1 after end
 * of headers.
 */
int dkim_verifier_header(struct dkim_verifier *v, const char *name, const char *value);

/* End of headers.  0 (also when called twice). */
int dkim_verifier_eoh(struct dkim_verifier *v);

/*
 * A body chunk as the MTA gives it (CRLF line ends); ends the headers if
 * dkim_verifier_eoh was not called.  0, or -1 after end of message.
 */
int dkim_verifier_body(struct dkim_verifier *v, const unsigned char *chunk, size_t len);

/*
 * End of message: evaluates every signature (at most max_signatures) and
 * sets *sigs to the results, in header order; returns their number, 0
 * when the message has no DKIM-Signature (dkim=none).  The results stay
 * owned by v; calling again returns the same results.
 */
size_t dkim_verifier_eom(struct dkim_verifier *v, const struct dkim_verify_sig **sigs);

/* Frees v and its results; NULL ok. */
void dkim_verifier_free(struct dkim_verifier *v);

/* "pass", "fail", "neutral", "policy", "temperror", "permerror". */
const char *dkim_verify_status_name(enum dkim_verify_status s);

#endif
