/*
 * sign_opendkim - the signer ses-milter had before policy/signing/
 * dkim_sign.c signed with OpenSSL directly: DKIM signatures with
 * libopendkim, kept only so bench/signbench can set the two side by side
 * (opendkim_sign_message takes what dkim_sign_message takes).  Each
 * signature parses the PEM key again and hashes the body again.
 *
 * One DKIM_LIB, made once by opendkim_sign_init() and never changed after:
 * libopendkim keeps its options (signed header names, From oversigned,
 * how keys are queried) on the library handle, global to every thread,
 * so they are set there once; each signature gets its own DKIM handle.
 * Signing needs no DNS; the key query method is pointed at /dev/null all
 * the same so nothing in this library handle can ever ask a resolver.
 *
 * Diagnostics: opendkim_sign_message puts "DKIM STEP (DOMAIN, selector SEL):
 * RESULT: DETAIL" in err, with libopendkim's result and error text.
 */
#include "autoconf.h"

#include <sys/types.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <dkim.h>
#include <openssl/bio.h>
#include <openssl/evp.h>

#include "dkim_sign.h"
#include "sign_opendkim.h"
#include "strbuf.h"
#include "xalloc.h"

#define DKIM_SIGNATURE_PREFIX "DKIM-Signature: "

static DKIM_LIB *dkim_lib;		/* set once by dkim_sign_once */
static bool dkim_lib_ed25519;		/* libopendkim can sign with Ed25519 */
static pthread_once_t dkim_once = PTHREAD_ONCE_INIT;

/* Sets one library option; false on failure. */
static bool dkim_lib_option(int opt, void *value, size_t len)
{
	return dkim_options(dkim_lib, DKIM_OP_SETOPT, opt, value, len) == DKIM_STAT_OK;
}

/*
 * Library options, set once.  A header list is passed as the array
 * itself with the size of a pointer (what dkim_options() checks).  The
 * arrays are static: libopendkim turns SIGNHDRS into regular expressions
 * but may keep pointers into the others.
 */
static bool dkim_lib_setup(void)
{
	static char names[] = DKIM_SIGN_HEADERS;
	static const char *signhdrs[32], *oversign[] = { "From", NULL };
	static char queryinfo[] = "/dev/null";
	dkim_query_t qtype = DKIM_QUERY_FILE;
	char *p, *save = NULL;
	size_t n = 0;

	for (p = strtok_r(names, ":", &save); p != NULL && n + 1 < 32;
	     p = strtok_r(NULL, ":", &save))
		signhdrs[n++] = p;
	signhdrs[n] = NULL;
	return dkim_lib_option(DKIM_OPTS_SIGNHDRS, signhdrs, sizeof(char **)) &&
	       dkim_lib_option(DKIM_OPTS_OVERSIGNHDRS, oversign, sizeof(char **)) &&
	       dkim_lib_option(DKIM_OPTS_QUERYMETHOD, &qtype, sizeof qtype) &&
	       dkim_lib_option(DKIM_OPTS_QUERYINFO, queryinfo, sizeof queryinfo);
}

/*
 * Per-message allocation tracking, for two leaks of libopendkim 2.11.
 * dkim_free() releases a signing key's crypto state only for RSA: each
 * Ed25519 signature leaks its 64-byte signature buffer (allocated through
 * the library's malloc hook) and the EVP_PKEY parsed from the PEM (about
 * 400 bytes, allocated by OpenSSL) - a leak per message that a milter
 * running for months cannot afford.  Every allocation libopendkim makes
 * for a handle goes through the malloc hook with that handle's memory
 * closure, so each signature gets an arena that remembers what is still
 * allocated: dkim_arena_release() frees it after dkim_free(), and
 * dkim_arena_drop_pkey() frees the EVP_PKEY before.  Library-wide
 * allocations (closure NULL) go straight to malloc.
 */
struct dkim_arena {
	struct dkim_block {
		void *p;
		size_t size;
	} *v;
	size_t n, cap;
};

/*
 * libopendkim 2.11's private struct dkim_crypto (dkim-types.h, OpenSSL
 * build), used only to find the EVP_PKEY it forgets; checked before use.
 */
struct dkim_crypto_2_11 {
	unsigned char pad;
	int keysize;
	size_t inlen, outlen;
	EVP_PKEY *pkey;
	void *key;
	BIO *keydata;
	unsigned char *in, *out;
};

/* libopendkim's malloc hook. */
static void *dkim_arena_malloc(void *closure, size_t nbytes)
{
	struct dkim_arena *a = closure;
	void *p = malloc(nbytes);

	if (a == NULL || p == NULL)
		return p;
	if (a->n == a->cap) {
		size_t cap = a->cap != 0 ? 2 * a->cap : 64;
		struct dkim_block *v = xrealloc(a->v, cap * sizeof *v);

		a->v = v;
		a->cap = cap;
	}
	a->v[a->n].p = p;
	a->v[a->n++].size = nbytes;
	return p;
}

/* libopendkim's free hook; the newest allocations are the likeliest. */
static void dkim_arena_free(void *closure, void *p)
{
	struct dkim_arena *a = closure;
	size_t i;

	if (a != NULL && p != NULL)
		for (i = a->n; i-- > 0;)
			if (a->v[i].p == p) {
				a->v[i] = a->v[--a->n];
				break;
			}
	free(p);
}

/* The size of the arena block at p, or 0 if p is not one. */
static size_t dkim_arena_size(const struct dkim_arena *a, const void *p)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		if (a->v[i].p == p)
			return a->v[i].size;
	return 0;
}

/*
 * Frees the Ed25519 EVP_PKEY of a signing handle before dkim_free(),
 * which would not.  The crypto state is recognised by its size and
 * contents (Ed25519: 512 "bits", a 64-byte output buffer from the same
 * arena, no RSA key), so another library version is left alone.
 */
static void dkim_arena_drop_pkey(struct dkim_arena *a)
{
	struct dkim_crypto_2_11 *c;
	size_t i;

	if ((dkim_libversion() >> 16) != 0x020b)
		return;
	for (i = 0; i < a->n; i++) {
		if (a->v[i].size != sizeof *c)
			continue;
		c = a->v[i].p;
		if (c->keysize != 512 || c->outlen != 64 || c->key != NULL || c->pkey == NULL ||
		    dkim_arena_size(a, c->out) != 64 ||
		    EVP_PKEY_get_base_id(c->pkey) != EVP_PKEY_ED25519)
			continue;
		EVP_PKEY_free(c->pkey);
		c->pkey = NULL;
		return;
	}
}

/* Frees what libopendkim left behind after dkim_free(). */
static void dkim_arena_release(struct dkim_arena *a)
{
	while (a->n > 0)
		free(a->v[--a->n].p);
	free(a->v);
	a->v = NULL;
	a->cap = 0;
}

/* pthread_once body: makes the library handle, or leaves it NULL. */
static void dkim_sign_once(void)
{
	dkim_lib = dkim_init(dkim_arena_malloc, dkim_arena_free);
	if (dkim_lib == NULL)
		return;
	if (!dkim_lib_setup()) {
		dkim_close(dkim_lib);
		dkim_lib = NULL;
		return;
	}
	dkim_lib_ed25519 = dkim_libfeature(dkim_lib, DKIM_FEATURE_ED25519);
}

int opendkim_sign_init(void)
{
	pthread_once(&dkim_once, dkim_sign_once);
	return dkim_lib != NULL ? 0 : -1;
}
/* ---- signing ------------------------------------------------------------ */

/* Appends "what: libopendkim's reason" for stat on handle d to err. */
static void dkim_stat_error(struct strbuf *err, const struct dkim_key *k, const char *what,
			    DKIM *d, DKIM_STAT stat)
{
	const char *detail = d != NULL ? dkim_geterror(d) : NULL;

	strbuf_appendf(err, "DKIM %s (%s, selector %s): %s: %s", what, k->domain, k->selector,
		       dkim_getresultstr(stat), detail != NULL && *detail != '\0' ? detail : "-");
}

/* Feeds headers and body to d; the failing step's status, or OK. */
static DKIM_STAT dkim_feed(DKIM *d, const struct dkim_header *headers, size_t nheaders,
			   const char *body, size_t body_len, const char **step)
{
	struct strbuf line = STRBUF_INIT;
	DKIM_STAT stat = DKIM_STAT_OK;
	size_t i;

	*step = "header";
	for (i = 0; i < nheaders && stat == DKIM_STAT_OK; i++) {
		const char *v = headers[i].value;
		size_t vlen = strlen(v);

		/* one buffer "Name: value", folding kept, no final CRLF */
		while (vlen > 0 && (v[vlen - 1] == '\n' || v[vlen - 1] == '\r'))
			vlen--;
		strbuf_reset(&line);
		strbuf_appends(&line, headers[i].name);
		strbuf_appends(&line, (*v == ' ' || *v == '\t') ? ":" : ": ");
		strbuf_append(&line, v, vlen);
		stat = dkim_header(d, (u_char *)line.data, line.len);
	}
	strbuf_free(&line);
	if (stat == DKIM_STAT_OK) {
		*step = "end of headers";
		stat = dkim_eoh(d);
	}
	if (stat == DKIM_STAT_OK && body_len > 0) {
		*step = "body";
		stat = dkim_body(d, (u_char *)body, body_len);
	}
	if (stat == DKIM_STAT_OK) {
		*step = "end of message";
		stat = dkim_eom(d, NULL);
	}
	return stat;
}

/* Signs with one key, setting sig to the header value.  0 or -1. */
static int dkim_sign_one(const struct dkim_key *k, const struct dkim_header *headers,
			 size_t nheaders, const char *body, size_t body_len, struct strbuf *sig,
			 struct strbuf *err)
{
	dkim_alg_t alg = k->type == DKIM_KEY_RSA ? DKIM_SIGN_RSASHA256 : DKIM_SIGN_ED25519SHA256;
	struct dkim_arena arena = { NULL, 0, 0 };
	DKIM_STAT stat = DKIM_STAT_OK;
	const char *step = "sign";
	unsigned char *hdr = NULL;
	size_t len = 0;
	DKIM *d;

	if (k->type == DKIM_KEY_ED25519 && !dkim_lib_ed25519) {
		strbuf_appendf(err, "DKIM (%s, selector %s): libopendkim cannot sign with Ed25519",
			       k->domain, k->selector);
		return -1;
	}
	d = dkim_sign(dkim_lib, (const unsigned char *)"ses-milter", &arena, (dkim_sigkey_t)k->pem,
		      (const unsigned char *)k->selector, (const unsigned char *)k->domain,
		      DKIM_CANON_RELAXED, DKIM_CANON_RELAXED, alg, -1, &stat);
	if (d == NULL) {
		dkim_stat_error(err, k, step, NULL, stat);
		dkim_arena_release(&arena);
		return -1;
	}
	stat = dkim_feed(d, headers, nheaders, body, body_len, &step);
	if (stat == DKIM_STAT_OK) {
		step = "signature";
		stat = dkim_getsighdr_d(d, strlen(DKIM_SIGNATURE_PREFIX), &hdr, &len);
	}
	if (stat == DKIM_STAT_OK)
		strbuf_append(sig, hdr, len);
	else
		dkim_stat_error(err, k, step, d, stat);
	if (k->type == DKIM_KEY_ED25519)
		dkim_arena_drop_pkey(&arena);
	dkim_free(d);
	dkim_arena_release(&arena);
	return stat == DKIM_STAT_OK ? 0 : -1;
}

int opendkim_sign_message(const struct dkim_keyring *ring, const char *domain,
		      const struct dkim_header *headers, size_t nheaders, const char *body,
		      size_t body_len, struct strbuf **sigs, size_t *nsigs, struct strbuf *err)
{
	size_t first, count, i;

	*sigs = NULL;
	*nsigs = 0;
	if (opendkim_sign_init() != 0) {
		strbuf_appends(err, "DKIM: libopendkim did not initialise");
		return -1;
	}
	dkim_keyring_find(ring, domain, &first, &count);
	if (count == 0)
		return 0;
	*sigs = xcalloc(count, sizeof **sigs);
	for (i = 0; i < count; i++) {
		if (dkim_sign_one(&ring->v[first + i], headers, nheaders, body, body_len,
				  &(*sigs)[i], err) != 0) {
			for (i = 0; i < count; i++)
				strbuf_free(&(*sigs)[i]);
			free(*sigs);
			*sigs = NULL;
			return -1;
		}
	}
	*nsigs = count;
	return 0;
}
