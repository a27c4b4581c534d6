/*
 * dkimfix - the DKIM tests' fixture; see dkimfix.h.
 */
#include "autoconf.h"

#include <ctype.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <cmocka.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "diag.h"
#include "dkimfix.h"
#include "testutil.h"

/* Verifies every DKIM-Signature of each file; one "PATH IDX OK|FAIL" line each. */
const char verify_py[] =
	"import sys, dkim\n"
	"recs = {}\n"
	"for line in open(sys.argv[1]):\n"
	"    name, value = line.rstrip('\\n').split('\\t', 1)\n"
	"    recs[name] = value\n"
	"def dnsfunc(name, timeout=5):\n"
	"    return recs[name.decode()].encode()\n"
	"for path in sys.argv[2:]:\n"
	"    msg = open(path, 'rb').read()\n"
	"    n = sum(1 for h in dkim.DKIM(msg).headers if h[0].lower() == b'dkim-signature')\n"
	"    for idx in range(n):\n"
	"        try:\n"
	"            if idx == 0:\n"
	"                ok = dkim.verify(msg, dnsfunc=dnsfunc)\n"
	"            else:\n"
	"                ok = dkim.DKIM(msg).verify(idx=idx, dnsfunc=dnsfunc)\n"
	"        except Exception as e:\n"
	"            print(path, idx, 'error', e, file=sys.stderr)\n"
	"            ok = False\n"
	"        print(path, idx, 'OK' if ok else 'FAIL')\n";


char *tmpdir;			/* made by group_setup */
char *keysdir;			/* tmpdir/keys: the signing ring's */
char *records;			/* tmpdir/records: name TAB TXT value */
char *script;			/* tmpdir/verify.py */
char *pems[PEM_NONE];		/* PEM text of each test key */
struct strbuf txts[PEM_NONE];	/* their TXT records, computed here */
struct dkim_keyring *ring;	/* keysdir loaded */
bool have_verifier;
unsigned seq;			/* scratch names */

/* ---- keys made here with OpenSSL ------------------------------------------ */

/* The PEM (PKCS#8) text of pkey.  Caller frees. */
char *pem_text(EVP_PKEY *pkey)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data, *s;
	long len;

	if (bio == NULL || PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL) != 1)
		fail_msg("cannot write a PEM key");
	len = BIO_get_mem_data(bio, &data);
	s = strndup(data, (size_t)len);
	BIO_free(bio);
	return s;
}

/* Appends base64 of data to out. */
void b64(struct strbuf *out, const unsigned char *data, int len)
{
	unsigned char enc[2048];

	assert_true(len <= 1500);
	EVP_EncodeBlock(enc, data, len);
	strbuf_appends(out, (char *)enc);
}

/* The DKIM TXT record of pkey, as RFC 6376 and RFC 8463 write it. */
void txt_record(EVP_PKEY *pkey, struct strbuf *out)
{
	unsigned char raw[32], *der = NULL;
	size_t rawlen = sizeof raw;
	int len;

	if (EVP_PKEY_get_base_id(pkey) == EVP_PKEY_ED25519) {
		assert_int_equal(EVP_PKEY_get_raw_public_key(pkey, raw, &rawlen), 1);
		strbuf_appends(out, "v=DKIM1; k=ed25519; p=");
		b64(out, raw, (int)rawlen);
		return;
	}
	len = i2d_PUBKEY(pkey, &der);
	assert_true(len > 0);
	strbuf_appends(out, "v=DKIM1; k=rsa; p=");
	b64(out, der, len);
	OPENSSL_free(der);
}

/* The TXT record of the PEM key in file path. */
void txt_of_file(const char *path, struct strbuf *out)
{
	FILE *fp = fopen(path, "r");
	EVP_PKEY *pkey;

	assert_non_null(fp);
	pkey = PEM_read_PrivateKey(fp, NULL, NULL, NULL);
	fclose(fp);
	assert_non_null(pkey);
	txt_record(pkey, out);
	EVP_PKEY_free(pkey);
}

/* Makes one test key of each kind with its TXT record. */
void make_keys(void)
{
	EVP_PKEY *k[PEM_NONE];
	int i;

	k[PEM_RSA2048] = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	k[PEM_RSA1024] = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	k[PEM_ED25519] = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	k[PEM_RSA512] = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)512);
	for (i = 0; i < PEM_NONE; i++) {
		if (k[i] == NULL)
			fail_msg("OpenSSL cannot make test key %d", i);
		pems[i] = pem_text(k[i]);
		txt_record(k[i], &txts[i]);
		EVP_PKEY_free(k[i]);
	}
}

/* Writes content to dir/name with mode. */
void write_mode(const char *dir, const char *name, const char *content, mode_t mode)
{
	char *path = testutil_path(dir, name);

	testutil_write_file(dir, name, content);
	if (chmod(path, mode) != 0)
		fail_msg("chmod %s failed", path);
	free(path);
}

/* Appends "SELECTOR._domainkey.DOMAIN.\tVALUE\n" to the records file. */
void add_record(const char *selector, const char *domain, const char *value)
{
	FILE *fp = fopen(records, "a");

	assert_non_null(fp);
	fprintf(fp, "%s._domainkey.%s.\t%s\n", selector, domain, value);
	fclose(fp);
}

int group_setup(void **state)
{
	struct diag_list dl = DIAG_LIST_INIT;

	(void)state;
	assert_int_equal(dkim_sign_init(), 0);
	assert_int_equal(dkim_sign_init(), 0);	/* idempotent */
	make_keys();
	tmpdir = testutil_tmpdir();
	keysdir = testutil_path(tmpdir, "keys");
	records = testutil_path(tmpdir, "records");
	script = testutil_path(tmpdir, "verify.py");
	testutil_write_file(tmpdir, "records", "");
	testutil_write_file(tmpdir, "verify.py", verify_py);
	write_mode(keysdir, "example.com/s2048.rsa.pem", pems[PEM_RSA2048], 0640);
	write_mode(keysdir, "example.com/ed.ed25519.pem", pems[PEM_ED25519], 0600);
	write_mode(keysdir, "small.example/s1024.rsa.pem", pems[PEM_RSA1024], 0640);
	add_record("s2048", "example.com", strbuf_cstr(&txts[PEM_RSA2048]));
	add_record("ed", "example.com", strbuf_cstr(&txts[PEM_ED25519]));
	add_record("s1024", "small.example", strbuf_cstr(&txts[PEM_RSA1024]));
	ring = dkim_keyring_load(keysdir, false, &dl);
	if (ring == NULL)
		fail_msg("loading the test ring: %s", testutil_diag_text(&dl));
	diag_free(&dl);
	have_verifier = system(PYTHON " -c 'import dkim, nacl' 2>/dev/null") == 0;
	return 0;
}

int group_teardown(void **state)
{
	int i;

	(void)state;
	dkim_keyring_free(ring);
	testutil_rmtree(tmpdir);
	for (i = 0; i < PEM_NONE; i++) {
		free(pems[i]);
		strbuf_free(&txts[i]);
	}
	free(keysdir);
	free(records);
	free(script);
	free(tmpdir);
	return 0;
}

/* ---- the independent verifier ------------------------------------------- */

/*
 * Runs verify.py on files; fails unless every one has nsig signatures
 * and each verified (want_ok) or each failed (!want_ok).
 */
void expect_verify(char **files, size_t nfiles, size_t nsig, bool want_ok)
{
	struct strbuf cmd = STRBUF_INIT, out = STRBUF_INIT;
	size_t i, lines = 0, good = 0;
	char line[4096];
	FILE *p;

	if (!have_verifier)
		skip();
	strbuf_appendf(&cmd, "%s %s %s", PYTHON, script, records);
	for (i = 0; i < nfiles; i++)
		strbuf_appendf(&cmd, " %s", files[i]);
	strbuf_appends(&cmd, " 2>&1");
	p = popen(strbuf_cstr(&cmd), "r");
	assert_non_null(p);
	while (fgets(line, sizeof line, p) != NULL) {
		strbuf_appends(&out, line);
		if (strstr(line, " OK\n") != NULL || strstr(line, " FAIL\n") != NULL)
			lines++;
		if (strstr(line, want_ok ? " OK\n" : " FAIL\n") != NULL)
			good++;
	}
	if (pclose(p) != 0 || lines != nfiles * nsig || good != lines)
		fail_msg("python3-dkim: got %zu of %zu signatures %s, want all; output:\n%s",
			 good, nfiles * nsig, want_ok ? "verified" : "failing", strbuf_cstr(&out));
	strbuf_free(&cmd);
	strbuf_free(&out);
}

/* ---- the sample message ---------------------------------------------------- */

const struct dkim_header sample_headers[SAMPLE_HEADERS] = {
	{ "From", "\"Alice Example\" <alice@example.com>" },
	{ "To", "bob@example.org" },
	{ "Subject", "A subject long enough to be folded\r\n\tonto a second line" },
	{ "Date", "Mon, 1 Jan 2024 10:00:00 +0000" },
	{ "Message-ID", "<1.test@example.com>" },
	{ "MIME-Version", "1.0" },
	{ "Content-Type", "text/plain; charset=utf-8" },
	{ "X-Mailer", "not signed" },
};

/* A CRLF body with spaces at line ends, a long line and empty lines at the end. */
void sample_body(struct strbuf *b)
{
	size_t i;

	strbuf_appends(b, "Hello Bob,\r\n\r\nA line with trailing spaces   \r\n");
	for (i = 0; i < 1200; i++)
		strbuf_appendc(b, (char)('a' + i % 26));
	strbuf_appends(b, "\r\n\r\n-- \r\nAlice\r\n\r\n\r\n\r\n");
}

/*
 * Writes the message as the MTA will deliver it: the signatures first,
 * then the headers and the body, all with CRLF line ends (libopendkim
 * folds its value with CRLF TAB).  Returns the path; caller frees.
 */
char *write_message(const struct strbuf *sigs, size_t nsigs,
			   const struct dkim_header *h, size_t nh, const struct strbuf *body)
{
	struct strbuf path = STRBUF_INIT;
	size_t i;
	FILE *fp;

	strbuf_appendf(&path, "%s/msg%u.eml", tmpdir, __atomic_add_fetch(&seq, 1, __ATOMIC_SEQ_CST));
	fp = fopen(strbuf_cstr(&path), "wb");
	assert_non_null(fp);
	for (i = 0; i < nsigs; i++) {
		fputs("DKIM-Signature: ", fp);
		fwrite(sigs[i].data, 1, sigs[i].len, fp);
		fputs("\r\n", fp);
	}
	for (i = 0; i < nh; i++)
		fprintf(fp, "%s: %s\r\n", h[i].name, h[i].value);
	fputs("\r\n", fp);
	fwrite(strbuf_cstr(body), 1, body->len, fp);
	fclose(fp);
	return strbuf_detach(&path);
}

/* Frees what dkim_sign_message returned. */
void free_sigs(struct strbuf *sigs, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		strbuf_free(&sigs[i]);
	free(sigs);
}

/* Signs the sample for domain; fails the test on error. */
void sign_sample(const struct dkim_keyring *r, const char *domain,
			const struct dkim_header *h, size_t nh, const struct strbuf *body,
			struct strbuf **sigs, size_t *nsigs)
{
	struct strbuf err = STRBUF_INIT;

	if (dkim_sign_message(r, domain, h, nh, body->data, body->len, sigs, nsigs, &err) != 0)
		fail_msg("dkim_sign_message(%s): got error %s, want success", domain,
			 strbuf_cstr(&err));
	strbuf_free(&err);
}

/* The value of tag in a signature, unfolded and lower case.  Caller frees. */
char *sig_tag(const struct strbuf *sig, const char *tag)
{
	struct strbuf v = STRBUF_INIT;
	const char *p = sig->data;
	size_t tlen = strlen(tag);

	while (p != NULL && *p != '\0') {
		p += strspn(p, " \t\r\n;");
		if (strncmp(p, tag, tlen) == 0 && p[tlen] == '=') {
			for (p += tlen + 1; *p != '\0' && *p != ';'; p++)
				if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
					strbuf_appendc(&v, (char)tolower((unsigned char)*p));
			return strbuf_detach(&v);
		}
		p = strchr(p, ';');
	}
	fail_msg("signature has no %s= tag: %s", tag, sig->data);
	return NULL;
}

/* Fails unless sig's tag has the value want. */
void expect_tag(const struct strbuf *sig, const char *tag, const char *want)
{
	char *got = sig_tag(sig, tag);

	if (strcmp(got, want) != 0)
		fail_msg("%s=: got %s, want %s", tag, got, want);
	free(got);
}

/* How many times name occurs in a colon-separated list. */
unsigned count_in_list(const char *list, const char *name)
{
	size_t n = strlen(name);
	unsigned count = 0;
	const char *p;

	for (p = list; p != NULL; p = strchr(p, ':'), p = p != NULL ? p + 1 : NULL)
		if (strncmp(p, name, n) == 0 && (p[n] == ':' || p[n] == '\0'))
			count++;
	return count;
}

