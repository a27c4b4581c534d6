/*
 * dkimvfix - the fixture of the DKIM verification tests, on top of
 * dkimfix: a DNS stub for the key lookups, a key ring with one domain per
 * key lookup outcome, a verifier library, feeding a message to a
 * verifier, editing signature tags, and signing with python3-dkim.
 *
 * Diagnostics: helpers fail the running test with "got X, want Y".
 */
#ifndef SES_DKIMVFIX_H
#define SES_DKIMVFIX_H

#include <stdbool.h>
#include <stddef.h>

#include "dkim_sign.h"
#include "dkim_verify.h"
#include "dns.h"
#include "strbuf.h"

#define VLIB_MAX 8 /* signatures vlib evaluates per message */

extern struct dkim_verify_lib *vlib;
extern struct dkim_keyring *vring;
extern unsigned stub_lookups; /* key lookups so far (atomic) */

/*
 * The DNS stub, read-only after setup: "SEL._domainkey.DOM" of the keys
 * of ring and vring, with the outcomes their domains are named after.
 */
enum dns_status stub_fetch(void *arg, const char *name, struct strbuf *txt, struct strbuf *err);

/* A message to feed, as a milter sees it. */
struct vmsg {
	const struct strbuf *sigs; /* DKIM-Signature values, fed first */
	size_t nsigs;
	const struct dkim_header *h;
	size_t nh;
	const struct strbuf *body;
	size_t chunk; /* body chunk size; 0: one chunk */
	bool lf;      /* values folded with LF instead of CRLF */
	bool raw;     /* values are fed as given; else after the ": " write_message writes */
};

/*
 * Feeds m to a new verifier of lib (with stub_fetch) and sets *res, *n to
 * its results.  Returns the verifier; caller frees.
 */
struct dkim_verifier *verify_msg(struct dkim_verify_lib *lib, const struct vmsg *m,
				 const struct dkim_verify_sig **res, size_t *n);

/* Fails unless there are want_n results and result i has status and reason. */
void expect_sig(const struct dkim_verify_sig *res, size_t got_n, size_t want_n, size_t i,
		enum dkim_verify_status status, const char *reason);

/* Signs the first nh sample headers and body for domain with ring r. */
void vsign(const struct dkim_keyring *r, const char *domain, size_t nh, const struct strbuf *body,
	   struct strbuf **sigs, size_t *nsigs);

/*
 * Sets out to sig unfolded on one line with tag set to value (added at
 * the end when absent; value NULL removes it), then append appended.
 */
void edit_tag(const struct strbuf *sig, const char *tag, const char *value, const char *append,
	      struct strbuf *out);

/* How python3-dkim signs (for domain example.com). */
struct py_sig {
	int key;	      /* a PEM kind of dkimfix: PEM_RSA2048 or PEM_RSA512 */
	const char *selector; /* "py" (RSA 2048), "py512", "pys" (t=s) */
	const char *canon;    /* "simple/simple", "relaxed/relaxed"... */
	const char *alg;      /* "rsa-sha256", "rsa-sha1" */
	bool length;	      /* l= */
	const char *identity; /* i=, NULL for the default */
};

/*
 * Signs the message (headers h, body) with python3-dkim as ps says and
 * sets sig to the DKIM-Signature value as the MTA gives it (no name,
 * folded).  Skips the test without python3-dkim.
 */
void python_sign(const struct py_sig *ps, const struct dkim_header *h, size_t nh,
		 const struct strbuf *body, struct strbuf *sig);

/* The same for a message file of one's own (a path). */
void python_sign_file(const struct py_sig *ps, const char *file, struct strbuf *sig);

int vgroup_setup(void **state);
int vgroup_teardown(void **state);

#endif
