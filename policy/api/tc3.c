/*
 * tc3 - TC3-HMAC-SHA256 request signatures (see tc3.h).
 */
#include "autoconf.h"

#include <ctype.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tc3.h"

/* Copies the n bytes at s into out (cap bytes); false when they do not fit. */
static bool tc3_copy(char *out, size_t cap, const char *s, size_t n)
{
	if (n == 0 || n >= cap)
		return false;
	memcpy(out, s, n);
	out[n] = '\0';
	return true;
}

/* The value of "name=" in the comma-separated list after the algorithm. */
static const char *tc3_field(const char *list, const char *name, size_t *len)
{
	size_t nlen = strlen(name);
	const char *p = list;

	while (*p != '\0') {
		while (*p == ' ' || *p == ',')
			p++;
		if (strncmp(p, name, nlen) == 0 && p[nlen] == '=') {
			p += nlen + 1;
			*len = strcspn(p, ", ");
			return p;
		}
		p += strcspn(p, ",");
	}
	return NULL;
}

/* Splits ID/DATE/SERVICE/tc3_request into a. */
static bool tc3_parse_credential(const char *s, size_t len, struct tc3_auth *a)
{
	const char *end = s + len, *p = s, *slash[3];
	int i;

	for (i = 0; i < 3; i++) {
		slash[i] = memchr(p, '/', (size_t)(end - p));
		if (slash[i] == NULL)
			return false;
		p = slash[i] + 1;
	}
	return tc3_copy(a->secret_id, sizeof a->secret_id, s, (size_t)(slash[0] - s)) &&
	       tc3_copy(a->date, sizeof a->date, slash[0] + 1, (size_t)(slash[1] - slash[0] - 1)) &&
	       tc3_copy(a->service, sizeof a->service, slash[1] + 1,
			(size_t)(slash[2] - slash[1] - 1)) &&
	       (size_t)(end - slash[2] - 1) == strlen("tc3_request") &&
	       memcmp(slash[2] + 1, "tc3_request", strlen("tc3_request")) == 0;
}

bool tc3_parse_auth(const char *value, struct tc3_auth *a)
{
	const char *cred, *sh, *sig;
	size_t clen, shlen, siglen, i;

	memset(a, 0, sizeof *a);
	if (value == NULL || strncmp(value, TC3_ALGORITHM " ", strlen(TC3_ALGORITHM) + 1) != 0)
		return false;
	value += strlen(TC3_ALGORITHM) + 1;
	cred = tc3_field(value, "Credential", &clen);
	sh = tc3_field(value, "SignedHeaders", &shlen);
	sig = tc3_field(value, "Signature", &siglen);
	if (cred == NULL || sh == NULL || sig == NULL || siglen != 64)
		return false;
	for (i = 0; i < siglen; i++)
		if (!isxdigit((unsigned char)sig[i]))
			return false;
	if (!tc3_parse_credential(cred, clen, a) ||
	    !tc3_copy(a->signed_headers, sizeof a->signed_headers, sh, shlen) ||
	    !tc3_copy(a->signature, sizeof a->signature, sig, siglen))
		return false;
	for (i = 0; a->signature[i] != '\0'; i++)
		a->signature[i] = (char)tolower((unsigned char)a->signature[i]);
	return true;
}

static void tc3_hex(const unsigned char *d, size_t n, struct strbuf *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		strbuf_appendf(out, "%02x", d[i]);
}

static void tc3_sha256_hex(const void *data, size_t len, struct strbuf *out)
{
	unsigned char md[SHA256_DIGEST_LENGTH];

	SHA256(data, len, md);
	tc3_hex(md, sizeof md, out);
}

static void tc3_hmac(const void *key, size_t klen, const char *msg, unsigned char out[32])
{
	unsigned int len = 32;

	HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)msg, strlen(msg), out, &len);
}

/* Appends "name:value\n" for each signed header, value trimmed and lower case. */
static void tc3_canonical_headers(const struct tc3_request *req, const char *signed_headers,
				  struct strbuf *out)
{
	const char *p = signed_headers;

	while (*p != '\0') {
		size_t n = strcspn(p, ";");
		char name[64];
		const char *v;
		size_t vlen;

		snprintf(name, sizeof name, "%.*s", (int)(n < sizeof name ? n : sizeof name - 1),
			 p);
		v = req->header(req->header_arg, name);
		if (v == NULL)
			v = "";
		while (*v == ' ' || *v == '\t')
			v++;
		vlen = strlen(v);
		if (req->host_without_port && strcmp(name, "host") == 0 && v[0] != '[' &&
		    strchr(v, ':') != NULL)
			vlen = (size_t)(strchr(v, ':') - v);
		while (vlen > 0 && (v[vlen - 1] == ' ' || v[vlen - 1] == '\t'))
			vlen--;
		strbuf_appendf(out, "%s:", name);
		for (size_t i = 0; i < vlen; i++)
			strbuf_appendc(out, (char)tolower((unsigned char)v[i]));
		strbuf_appendc(out, '\n');
		p += n;
		if (*p == ';')
			p++;
	}
}

void tc3_sign(const struct tc3_request *req, const struct tc3_auth *a, const char *secret_key,
	      struct strbuf *out)
{
	struct strbuf canon = STRBUF_INIT, sts = STRBUF_INIT, key = STRBUF_INIT;
	unsigned char k1[32], k2[32], k3[32], sig[32];

	strbuf_appendf(&canon, "%s\n%s\n%s\n", req->method, req->uri, req->query);
	tc3_canonical_headers(req, a->signed_headers, &canon);
	strbuf_appendf(&canon, "\n%s\n", a->signed_headers);
	tc3_sha256_hex(req->body != NULL ? req->body : "", req->body_len, &canon);

	strbuf_appendf(&sts, "%s\n%s\n%s/%s/tc3_request\n", TC3_ALGORITHM, req->timestamp, a->date,
		       a->service);
	tc3_sha256_hex(canon.data, canon.len, &sts);

	strbuf_appendf(&key, "TC3%s", secret_key);
	tc3_hmac(key.data, key.len, a->date, k1);
	tc3_hmac(k1, sizeof k1, a->service, k2);
	tc3_hmac(k2, sizeof k2, "tc3_request", k3);
	tc3_hmac(k3, sizeof k3, strbuf_cstr(&sts), sig);
	tc3_hex(sig, sizeof sig, out);

	OPENSSL_cleanse(k1, sizeof k1);
	OPENSSL_cleanse(k2, sizeof k2);
	OPENSSL_cleanse(k3, sizeof k3);
	OPENSSL_cleanse(key.data, key.len);
	strbuf_free(&key);
	strbuf_free(&canon);
	strbuf_free(&sts);
}

/* Parses a decimal timestamp; false when it is not one. */
static bool tc3_timestamp(const char *s, time_t *t)
{
	char *end;
	long long v;

	if (s == NULL || !isdigit((unsigned char)*s))
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v <= 0)
		return false;
	*t = (time_t)v;
	return true;
}

/* True when a's signature is the one req makes with secret_key. */
static bool tc3_matches(const struct tc3_request *req, const struct tc3_auth *a,
			const char *secret_key)
{
	struct strbuf want = STRBUF_INIT;
	bool ok;

	tc3_sign(req, a, secret_key, &want);
	ok = want.len == strlen(a->signature) &&
	     CRYPTO_memcmp(want.data, a->signature, want.len) == 0;
	strbuf_free(&want);
	return ok;
}

enum tc3_result tc3_verify(const struct tc3_request *req, const struct tc3_auth *a,
			   const char *secret_key, time_t now)
{
	char day[16];
	struct tm tm;
	time_t t;
	bool ok;

	if (!tc3_timestamp(req->timestamp, &t))
		return TC3_MALFORMED;
	if (t > now + TC3_WINDOW_S || t < now - TC3_WINDOW_S)
		return TC3_EXPIRED;
	gmtime_r(&t, &tm);
	strftime(day, sizeof day, "%Y-%m-%d", &tm);
	if (strcmp(day, a->date) != 0)
		return TC3_BAD_SIGNATURE; /* signed for another day's key */
	ok = tc3_matches(req, a, secret_key);
	if (!ok) {
		struct tc3_request bare = *req;

		bare.host_without_port = !req->host_without_port;
		ok = tc3_matches(&bare, a, secret_key);
	}
	return ok ? TC3_OK : TC3_BAD_SIGNATURE;
}
