/*
 * dkim_sign - DKIM signatures made with OpenSSL over our own relaxed
 * canonicalisation (dkim_canon.c); see dkim_sign.h.  The key ring, whose
 * keys are parsed once when it is loaded, is dkim_keys.c.
 *
 * A message costs one pass over its body and one private-key operation
 * per key: the body is canonicalised and hashed once (bh= is the same for
 * every signature, as they all use relaxed/relaxed) and the signed
 * header fields are canonicalised once; only the DKIM-Signature field
 * itself, which differs per key, is canonicalised per signature.
 * libopendkim, used before, parsed the PEM key, set up RSA blinding and
 * hashed the body again for every signature.
 *
 * rsa-sha256 is PKCS#1 v1.5 over SHA-256 of the header hash input
 * (RFC 6376 3.7).  ed25519-sha256 (RFC 8463 section 3) signs, with pure
 * Ed25519, the 32-byte SHA-256 digest of that same input, not the input.
 *
 * The signature field: tags v a c d s t bh h b in that order, "; "
 * between them, folded with CRLF TAB before a tag that would pass column
 * DKIM_SIGN_MARGIN (counting "DKIM-Signature: "), h= also after a colon
 * and b= (always on a new line) anywhere, with CRLF TAB SP, much as
 * libopendkim folded it.  h= lists the
 * signed fields present, top to bottom, then From once more (oversigned).
 * The hash takes, for each name of h=, the lowest field of that name not
 * yet taken, which is how a verifier reads h= (RFC 6376 5.4.2); the
 * oversigned From has no field left and adds nothing.
 *
 * Diagnostics: dkim_sign_message puts "DKIM STEP (DOMAIN, selector SEL):
 * DETAIL" in err, DETAIL being OpenSSL's reason; "DKIM (DOMAIN): the
 * message has no From field" when there is nothing to sign for.
 */
#include "autoconf.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "dkim_canon.h"
#include "dkim_sign.h"
#include "strbuf.h"
#include "xalloc.h"

#define DKIM_SIGN_MARGIN 75
#define DKIM_SIGN_NAME_LEN 16 /* "DKIM-Signature: " */
#define DKIM_SIGN_MAX 512     /* bytes of a signature: RSA 4096 bits */

static EVP_MD *dkim_sha256; /* fetched once by dkim_sign_once */
static pthread_once_t dkim_once = PTHREAD_ONCE_INIT;

static void dkim_sign_once(void)
{
	dkim_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
}

int dkim_sign_init(void)
{
	pthread_once(&dkim_once, dkim_sign_once);
	return dkim_sha256 != NULL ? 0 : -1;
}

/* What every signature of one message shares. */
struct dkim_sign_msg {
	const char *domain;   /* lower case, from the ring */
	struct strbuf hlist;  /* the h= value */
	struct strbuf hcanon; /* the signed fields, canonical, each with CRLF */
	char bh[48];	      /* base64 of the body hash */
	long long t;
};

/* ---- header fields ------------------------------------------------------- */

#define DKIM_SIGN_KINDS 32 /* more than DKIM_SIGN_HEADERS names */

/* The index of name in DKIM_SIGN_HEADERS (any case), or -1. */
static int dkim_sign_kind(const char *name)
{
	const char *p = DKIM_SIGN_HEADERS, *end;
	size_t n = strlen(name);
	int kind = 0;

	for (; kind < DKIM_SIGN_KINDS; kind++) {
		end = strchr(p, ':');
		if (end == NULL)
			end = p + strlen(p);
		if ((size_t)(end - p) == n && strncasecmp(p, name, n) == 0)
			return kind;
		if (*end == '\0')
			return -1;
		p = end + 1;
	}
	return -1; /* DKIM_SIGN_KINDS is too small: test_dkim_sign would fail */
}

/* The value's length without the CR and LF that may end it. */
static size_t dkim_sign_value_len(const char *v)
{
	size_t n = strlen(v);

	while (n > 0 && (v[n - 1] == '\n' || v[n - 1] == '\r'))
		n--;
	return n;
}

/* Appends field h to m->hcanon, relaxed, with its CRLF. */
static void dkim_sign_canon(struct dkim_sign_msg *m, const struct dkim_header *h)
{
	dkim_canon_header(&m->hcanon, h->name, h->value, dkim_sign_value_len(h->value));
	strbuf_append(&m->hcanon, "\r\n", 2);
}

/*
 * Fills m->hlist and m->hcanon; false when the message has no From.
 * The j-th field of a name from the top is listed in h= where it stands,
 * but a verifier takes the j-th from the bottom for it: so the fields of
 * each kind are indexed (pos, grouped by kind, top to bottom) and the
 * hash takes them in the mirrored order, in one pass whatever nh is.
 */
static bool dkim_sign_headers(struct dkim_sign_msg *m, const struct dkim_header *h, size_t nh)
{
	size_t count[DKIM_SIGN_KINDS] = { 0 }, start[DKIM_SIGN_KINDS], seen[DKIM_SIGN_KINDS];
	size_t *pos = xmalloc((nh + 1) * sizeof *pos), i, sum = 0;
	int *kind = xmalloc((nh + 1) * sizeof *kind), c;

	for (i = 0; i < nh; i++)
		if ((kind[i] = dkim_sign_kind(h[i].name)) >= 0)
			count[kind[i]]++;
	for (c = 0; c < DKIM_SIGN_KINDS; c++) {
		start[c] = sum;
		seen[c] = 0;
		sum += count[c];
	}
	for (i = 0; i < nh; i++)
		if (kind[i] >= 0)
			pos[start[kind[i]] + seen[kind[i]]++] = i;
	for (i = 0; i < nh; i++) {
		if ((c = kind[i]) < 0)
			continue;
		if (m->hlist.len > 0)
			strbuf_appendc(&m->hlist, ':');
		strbuf_appends(&m->hlist, h[i].name);
		seen[c]--; /* counts down: the mirror of this field */
		dkim_sign_canon(m, &h[pos[start[c] + seen[c]]]);
	}
	strbuf_appends(&m->hlist, ":From");
	free(pos);
	free(kind);
	c = dkim_sign_kind("From");
	return c >= 0 && count[c] > 0;
}

/* ---- the body hash ------------------------------------------------------- */

static void dkim_sign_body_sink(void *arg, const void *data, size_t len)
{
	EVP_DigestUpdate(arg, data, len);
}

/* Sets m->bh to the base64 SHA-256 of the canonical body.  0 or -1. */
static int dkim_sign_body(struct dkim_sign_msg *m, const char *body, size_t len)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	struct dkim_canon_body *c = xmalloc(sizeof *c);
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	int ok;

	ok = ctx != NULL && EVP_DigestInit_ex(ctx, dkim_sha256, NULL) == 1;
	if (ok) {
		dkim_canon_body_init(c, dkim_sign_body_sink, ctx);
		dkim_canon_body_update(c, body, len);
		dkim_canon_body_final(c);
		ok = EVP_DigestFinal_ex(ctx, md, &mdlen) == 1;
	}
	if (ok)
		EVP_EncodeBlock((unsigned char *)m->bh, md, (int)mdlen);
	free(c);
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -1;
}

/* ---- the signature field ------------------------------------------------- */

/* A field being folded: the text and the column of its last line. */
struct dkim_fold {
	struct strbuf *out;
	size_t col;
};

/*
 * Before n more bytes: a new line (cont, a CRLF and the WSP that starts
 * the next line) when they would pass the margin, else sep.
 */
static void dkim_fold_room(struct dkim_fold *f, size_t n, const char *sep, const char *cont)
{
	if (f->col > 2 && f->col + strlen(sep) + n > DKIM_SIGN_MARGIN) {
		strbuf_appends(f->out, cont);
		f->col = strlen(cont) - 2; /* CRLF */
	} else {
		strbuf_appends(f->out, sep);
		f->col += strlen(sep);
	}
}

static void dkim_fold_put(struct dkim_fold *f, const char *s, size_t n)
{
	strbuf_append(f->out, s, n);
	f->col += n;
}

/* Appends " tag=value;", or the same on a new line. */
static void dkim_fold_tag(struct dkim_fold *f, const char *tag, const char *value)
{
	size_t n = strlen(tag) + 1 + strlen(value) + 1;

	dkim_fold_room(f, n, " ", "\r\n\t");
	strbuf_appendf(f->out, "%s=%s;", tag, value);
	f->col += n;
}

/* Appends " h=A:B:...;", folding after a colon when it must. */
static void dkim_fold_hlist(struct dkim_fold *f, const char *list)
{
	const char *p = list, *end;

	dkim_fold_room(f, strlen(list) + 3, " ", "\r\n\t");
	dkim_fold_put(f, "h=", 2);
	for (; *p != '\0'; p = *end != '\0' ? end + 1 : end) {
		end = p + strcspn(p, ":");
		if (p != list) {
			dkim_fold_put(f, ":", 1);
			dkim_fold_room(f, (size_t)(end - p) + 1, "", "\r\n\t ");
		}
		dkim_fold_put(f, p, (size_t)(end - p));
	}
	dkim_fold_put(f, ";", 1);
}

/* Appends the field for key k up to and including the empty "b=". */
static void dkim_sign_field(const struct dkim_key *k, const struct dkim_sign_msg *m,
			    struct dkim_fold *f)
{
	char t[24];

	snprintf(t, sizeof t, "%lld", m->t);
	f->col = DKIM_SIGN_NAME_LEN;
	dkim_fold_put(f, "v=1;", 4);
	dkim_fold_tag(f, "a", k->type == DKIM_KEY_RSA ? "rsa-sha256" : "ed25519-sha256");
	dkim_fold_tag(f, "c", "relaxed/relaxed");
	dkim_fold_tag(f, "d", k->domain);
	dkim_fold_tag(f, "s", k->selector);
	dkim_fold_tag(f, "t", t);
	dkim_fold_tag(f, "bh", m->bh);
	dkim_fold_hlist(f, strbuf_cstr(&m->hlist));
	dkim_fold_room(f, DKIM_SIGN_MARGIN, " ", "\r\n\t"); /* b= on a line of its own */
	dkim_fold_put(f, "b=", 2);
}

/* Appends the signature in base64, folded (whitespace in b= is ignored). */
static void dkim_fold_b64(struct dkim_fold *f, const unsigned char *sig, size_t len)
{
	char b64[4 * ((DKIM_SIGN_MAX + 2) / 3) + 1];
	size_t n = (size_t)EVP_EncodeBlock((unsigned char *)b64, sig, (int)len), i, take;

	for (i = 0; i < n; i += take) {
		if (f->col >= DKIM_SIGN_MARGIN)
			dkim_fold_room(f, 1, "", "\r\n\t ");
		take = DKIM_SIGN_MARGIN - f->col;
		if (take > n - i)
			take = n - i;
		dkim_fold_put(f, b64 + i, take);
	}
}

/* ---- signing --------------------------------------------------------------- */

/* Appends "DKIM STEP (DOMAIN, selector SEL): OpenSSL's reason" to err. */
static void dkim_sign_error(struct strbuf *err, const struct dkim_key *k, const char *step)
{
	unsigned long e = ERR_get_error();
	char why[256] = "-";

	if (e != 0)
		ERR_error_string_n(e, why, sizeof why);
	ERR_clear_error();
	strbuf_appendf(err, "DKIM %s (%s, selector %s): %s", step, k->domain, k->selector, why);
}

/*
 * Signs data (the header hash input) with k: RSA over the data with
 * SHA-256, Ed25519 over its SHA-256 digest (RFC 8463).  The signature's
 * length, or 0 on failure.
 */
static size_t dkim_sign_data(const struct dkim_key *k, const struct strbuf *data,
			     unsigned char *sig)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	size_t siglen = DKIM_SIGN_MAX;
	int ok;

	if (ctx == NULL || k->pkey == NULL)
		return 0;
	if (k->type == DKIM_KEY_RSA) {
		ok = EVP_DigestSignInit(ctx, NULL, dkim_sha256, NULL, k->pkey) == 1 &&
		     EVP_PKEY_get_size(k->pkey) <= DKIM_SIGN_MAX &&
		     EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)data->data,
				    data->len) == 1;
	} else {
		ok = EVP_Digest(data->data, data->len, md, &mdlen, dkim_sha256, NULL) == 1 &&
		     EVP_DigestSignInit(ctx, NULL, NULL, NULL, k->pkey) == 1 &&
		     EVP_DigestSign(ctx, sig, &siglen, md, mdlen) == 1;
	}
	EVP_MD_CTX_free(ctx);
	return ok ? siglen : 0;
}

/* Signs with one key, setting sig to the field value.  0 or -1. */
static int dkim_sign_one(const struct dkim_key *k, const struct dkim_sign_msg *m,
			 struct strbuf *sig, struct strbuf *err)
{
	struct strbuf data = STRBUF_INIT;
	unsigned char raw[DKIM_SIGN_MAX];
	struct dkim_fold f = { sig, 0 };
	size_t len;

	dkim_sign_field(k, m, &f);
	strbuf_reserve(&data, m->hcanon.len + sig->len + 64);
	strbuf_append(&data, m->hcanon.data, m->hcanon.len);
	dkim_canon_header(&data, "DKIM-Signature", sig->data, sig->len);
	len = dkim_sign_data(k, &data, raw);
	strbuf_free(&data);
	if (len == 0) {
		dkim_sign_error(err, k, "signature");
		return -1;
	}
	dkim_fold_b64(&f, raw, len);
	return 0;
}

/* Frees count signatures and clears the caller's pointers. */
static void dkim_sign_drop(struct strbuf **sigs, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++)
		strbuf_free(&(*sigs)[i]);
	free(*sigs);
	*sigs = NULL;
}

/* Signs with keys [first, first + count) of ring.  0 or -1. */
static int dkim_sign_keys(const struct dkim_keyring *ring, size_t first, size_t count,
			  struct dkim_sign_msg *m, const char *body, size_t body_len,
			  struct strbuf *sigs, struct strbuf *err)
{
	size_t i;

	if (dkim_sign_body(m, body, body_len) != 0) {
		dkim_sign_error(err, &ring->v[first], "body hash");
		return -1;
	}
	for (i = 0; i < count; i++)
		if (dkim_sign_one(&ring->v[first + i], m, &sigs[i], err) != 0)
			return -1;
	return 0;
}

int dkim_sign_message(const struct dkim_keyring *ring, const char *domain,
		      const struct dkim_header *headers, size_t nheaders, const char *body,
		      size_t body_len, struct strbuf **sigs, size_t *nsigs, struct strbuf *err)
{
	struct dkim_sign_msg m = { NULL, STRBUF_INIT, STRBUF_INIT, "", 0 };
	size_t first, count;
	int rc = -1;

	*sigs = NULL;
	*nsigs = 0;
	if (dkim_sign_init() != 0) {
		strbuf_appends(err, "DKIM: OpenSSL has no SHA-256");
		return -1;
	}
	dkim_keyring_find(ring, domain, &first, &count);
	if (count == 0)
		return 0;
	m.domain = ring->v[first].domain;
	m.t = (long long)time(NULL);
	if (!dkim_sign_headers(&m, headers, nheaders)) {
		strbuf_appendf(err, "DKIM (%s): the message has no From field", m.domain);
	} else {
		*sigs = xcalloc(count, sizeof **sigs);
		rc = dkim_sign_keys(ring, first, count, &m, body, body_len, *sigs, err);
		if (rc != 0)
			dkim_sign_drop(sigs, count);
		else
			*nsigs = count;
	}
	strbuf_free(&m.hlist);
	strbuf_free(&m.hcanon);
	return rc;
}
