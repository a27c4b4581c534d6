/*
 * test_dkim_sign - unit tests for policy/signing/dkim_sign.c: loading the key
 * ring (names, permissions, PEM content, key type and size, every
 * diagnostic, the key parsed once at load), finding a domain's keys, signing with RSA and Ed25519 and
 * generating keys for the operator tool.
 *
 * Keys are made at test time with OpenSSL, never shipped.  Signatures are
 * checked by an independent verifier, Debian's python3-dkim, with a DNS
 * stub: the public key records are computed here with OpenSSL (not by
 * the module under test) and handed to a small Python script in a file.
 * Without python3-dkim (and python3-nacl for Ed25519) those tests skip.
 *
 * Table rows are named after the behaviour they pin down; main() turns
 * every row into its own cmocka test.
 *
 * Diagnostics: a failing case prints "got X, want Y", with every loader
 * diagnostic or the verifier's output.
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
#include "dkim_sign.h"
#include "strbuf.h"
#include "dkimfix.h"
#include "testutil.h"

/* ---- loading ---------------------------------------------------------------- */

static void loads_keys_sorted_rsa_before_ed25519(void **state)
{
	static const struct {
		const char *domain, *selector;
		enum dkim_key_type type;
		enum pem_kind pem;
	} want[] = {
		{ "example.com", "s2048", DKIM_KEY_RSA, PEM_RSA2048 },
		{ "example.com", "ed", DKIM_KEY_ED25519, PEM_ED25519 },
		{ "small.example", "s1024", DKIM_KEY_RSA, PEM_RSA1024 },
	};
	size_t i;

	(void)state;
	assert_int_equal(ring->n, ARRAY_SIZE(want));
	for (i = 0; i < ARRAY_SIZE(want); i++) {
		const struct dkim_key *k = &ring->v[i];

		if (strcmp(k->domain, want[i].domain) != 0 ||
		    strcmp(k->selector, want[i].selector) != 0 || k->type != want[i].type)
			fail_msg("key %zu: got %s/%s type %d, want %s/%s type %d", i, k->domain,
				 k->selector, k->type, want[i].domain, want[i].selector,
				 want[i].type);
		assert_int_equal(k->pem_len, strlen(pems[want[i].pem]));
		assert_memory_equal(k->pem, pems[want[i].pem], k->pem_len);
		if (k->pkey == NULL ||
		    EVP_PKEY_get_base_id(k->pkey) !=
			    (k->type == DKIM_KEY_RSA ? EVP_PKEY_RSA : EVP_PKEY_ED25519))
			fail_msg("key %zu: got no parsed key of its type, want one parsed at load", i);
	}
}

static void finds_domain_case_insensitively(void **state)
{
	static const struct {
		const char *domain;
		size_t first, count;
	} cases[] = {
		{ "example.com", 0, 2 }, { "EXAMPLE.Com", 0, 2 }, { "small.example", 2, 1 },
		{ "a.example", 0, 0 }, { "example.co", 0, 0 }, { "zzz.example", 3, 0 },
	};
	size_t i, first, count;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		dkim_keyring_find(ring, cases[i].domain, &first, &count);
		if (count != cases[i].count || (count > 0 && first != cases[i].first))
			fail_msg("find(%s): got %zu at %zu, want %zu at %zu", cases[i].domain, count,
				 first, cases[i].count, cases[i].first);
	}
}

static void missing_directory_is_an_empty_ring(void **state)
{
	struct diag_list dl = DIAG_LIST_INIT;
	char *dir = testutil_path(tmpdir, "no-such-keys");
	struct dkim_keyring *r = dkim_keyring_load(dir, false, &dl);

	(void)state;
	assert_non_null(r);
	assert_int_equal(r->n, 0);
	assert_int_equal(dl.n, 0);
	dkim_keyring_free(r);
	free(dir);
}

struct key_file {
	const char *name;	/* under the keys directory */
	enum pem_kind pem;	/* PEM_NONE: text is the content */
	const char *text;
	mode_t mode;
};

struct load_case {
	const char *name;
	struct key_file files[3];
	bool allow_world_readable;
	const char *want;	/* a diagnostic, FILE = keys dir; NULL: loads */
	size_t want_keys;
};

static const struct load_case load_cases[] = {
	{ "refuses_world_readable_key",
	  { { "a.example/s.rsa.pem", PEM_RSA2048, NULL, 0644 } }, false,
	  "FILE/a.example/s.rsa.pem: readable by others (chmod 0640)", 0 },
	{ "allows_world_readable_key_when_told",
	  { { "a.example/s.rsa.pem", PEM_RSA2048, NULL, 0644 } }, true, NULL, 1 },
	{ "refuses_unknown_key_kind_in_name",
	  { { "a.example/s.dsa.pem", PEM_RSA2048, NULL, 0640 } }, false,
	  "FILE/a.example/s.dsa.pem: not a key file name (want SELECTOR.rsa.pem or "
	  "SELECTOR.ed25519.pem)", 0 },
	{ "refuses_bad_selector",
	  { { "a.example/s_1.rsa.pem", PEM_RSA2048, NULL, 0640 } }, false,
	  "FILE/a.example/s_1.rsa.pem: not a key file name (want SELECTOR.rsa.pem or "
	  "SELECTOR.ed25519.pem)", 0 },
	{ "refuses_empty_selector",
	  { { "a.example/.rsa.pem", PEM_RSA2048, NULL, 0640 },
	    { "a.example/-x.rsa.pem", PEM_RSA2048, NULL, 0640 } }, false,
	  "FILE/a.example/-x.rsa.pem: not a key file name (want SELECTOR.rsa.pem or "
	  "SELECTOR.ed25519.pem)", 0 },
	{ "refuses_bad_domain_directory",
	  { { "a_b.example/s.rsa.pem", PEM_RSA2048, NULL, 0640 } }, false,
	  "FILE/a_b.example: \"a_b.example\" is not a valid domain name", 0 },
	{ "refuses_non_pem_content",
	  { { "a.example/s.rsa.pem", PEM_NONE, "not a key\n", 0640 } }, false,
	  "FILE/a.example/s.rsa.pem: not a PEM private key (or an encrypted one)", 0 },
	{ "refuses_rsa_key_in_ed25519_file",
	  { { "a.example/s.ed25519.pem", PEM_RSA2048, NULL, 0640 } }, false,
	  "FILE/a.example/s.ed25519.pem: RSA key in a file named for Ed25519", 0 },
	{ "refuses_ed25519_key_in_rsa_file",
	  { { "a.example/s.rsa.pem", PEM_ED25519, NULL, 0640 } }, false,
	  "FILE/a.example/s.rsa.pem: Ed25519 key in a file named for RSA", 0 },
	{ "refuses_rsa_key_of_512_bits",
	  { { "a.example/s.rsa.pem", PEM_RSA512, NULL, 0640 } }, false,
	  "FILE/a.example/s.rsa.pem: RSA key of 512 bits (want 1024..4096)", 0 },
	{ "refuses_directory_named_as_key",
	  { { "a.example/s.rsa.pem/x.tmp", PEM_NONE, "", 0640 } }, false,
	  "FILE/a.example/s.rsa.pem: not a regular file", 0 },
	{ "refuses_file_where_domain_directory_goes",
	  { { "a.example", PEM_NONE, "", 0640 } }, false,
	  "FILE/a.example: not a directory", 0 },
	{ "skips_hidden_and_staged_files",
	  { { "a.example/.s.rsa.pem.swp", PEM_NONE, "x", 0644 },
	    { "a.example/s.rsa.pem.tmp", PEM_NONE, "x", 0644 },
	    { "a.example/s.rsa.pem", PEM_RSA1024, NULL, 0600 } }, false, NULL, 1 },
	{ "loads_one_domain_with_two_rsa_selectors",
	  { { "a.example/old.rsa.pem", PEM_RSA1024, NULL, 0640 },
	    { "A.Example/new.rsa.pem", PEM_RSA2048, NULL, 0640 } }, false, NULL, 2 },
};

static void run_load_case(void **state)
{
	const struct load_case *c = *state;
	struct diag_list dl = DIAG_LIST_INIT;
	struct strbuf name = STRBUF_INIT;
	struct dkim_keyring *r;
	char *dir;
	size_t i;

	strbuf_appendf(&name, "load%u", ++seq);
	dir = testutil_path(tmpdir, strbuf_cstr(&name));
	testutil_mkdir(tmpdir, strbuf_cstr(&name));
	for (i = 0; i < ARRAY_SIZE(c->files) && c->files[i].name != NULL; i++)
		write_mode(dir, c->files[i].name,
			   c->files[i].pem == PEM_NONE ? c->files[i].text : pems[c->files[i].pem],
			   c->files[i].mode);
	r = dkim_keyring_load(dir, c->allow_world_readable, &dl);
	if (c->want != NULL) {
		if (r != NULL)
			fail_msg("got a ring of %zu keys, want NULL", r->n);
		testutil_expect_diag(&dl, "FILE", dir, c->want);
		assert_int_equal(dl.n, 1);
	} else if (r == NULL || r->n != c->want_keys) {
		fail_msg("got %zu keys (%s), want %zu", r != NULL ? r->n : 0,
			 testutil_diag_text(&dl), c->want_keys);
	}
	if (r != NULL && r->n == 2)
		assert_string_equal(r->v[0].domain, "a.example");
	dkim_keyring_free(r);
	diag_free(&dl);
	testutil_rmtree(dir);
	free(dir);
	strbuf_free(&name);
}

/* ---- signing ------------------------------------------------------------------ */

static void signs_with_rsa_and_ed25519_and_both_verify(void **state)
{
	struct strbuf body = STRBUF_INIT, *sigs;
	size_t nsigs;
	char *file, *h;

	(void)state;
	sample_body(&body);
	sign_sample(ring, "Example.COM", sample_headers, ARRAY_SIZE(sample_headers), &body,
		    &sigs, &nsigs);
	assert_int_equal(nsigs, 2);
	expect_tag(&sigs[0], "a", "rsa-sha256");
	expect_tag(&sigs[1], "a", "ed25519-sha256");
	expect_tag(&sigs[0], "s", "s2048");
	expect_tag(&sigs[1], "s", "ed");
	expect_tag(&sigs[0], "d", "example.com");
	expect_tag(&sigs[0], "c", "relaxed/relaxed");
	expect_tag(&sigs[1], "c", "relaxed/relaxed");
	h = sig_tag(&sigs[0], "h");
	if (count_in_list(h, "from") != 2 || count_in_list(h, "subject") != 1 ||
	    count_in_list(h, "message-id") != 1 || count_in_list(h, "x-mailer") != 0 ||
	    count_in_list(h, "cc") != 0)
		fail_msg("h=: got %s, want From twice (oversigned), the others once, "
			 "no X-Mailer, no absent Cc", h);
	free(h);
	file = write_message(sigs, nsigs, sample_headers, ARRAY_SIZE(sample_headers), &body);
	expect_verify(&file, 1, 2, true);
	free(file);
	free_sigs(sigs, nsigs);
	strbuf_free(&body);
}

static void modified_body_fails_verification(void **state)
{
	struct strbuf body = STRBUF_INIT, *sigs;
	size_t nsigs;
	char *file;

	(void)state;
	sample_body(&body);
	sign_sample(ring, "example.com", sample_headers, ARRAY_SIZE(sample_headers), &body,
		    &sigs, &nsigs);
	body.data[0] = 'J';	/* "Jello Bob" */
	file = write_message(sigs, nsigs, sample_headers, ARRAY_SIZE(sample_headers), &body);
	expect_verify(&file, 1, 2, false);
	free(file);
	free_sigs(sigs, nsigs);
	strbuf_free(&body);
}

static void added_from_header_fails_verification(void **state)
{
	struct dkim_header h[ARRAY_SIZE(sample_headers) + 1];
	struct strbuf body = STRBUF_INIT, *sigs;
	size_t nsigs;
	char *file;

	(void)state;
	sample_body(&body);
	sign_sample(ring, "example.com", sample_headers, ARRAY_SIZE(sample_headers), &body,
		    &sigs, &nsigs);
	memcpy(h, sample_headers, sizeof sample_headers);
	h[ARRAY_SIZE(sample_headers)].name = "From";
	h[ARRAY_SIZE(sample_headers)].value = "mallory@example.net";
	file = write_message(sigs, nsigs, h, ARRAY_SIZE(h), &body);
	expect_verify(&file, 1, 2, false);
	free(file);
	free_sigs(sigs, nsigs);
	strbuf_free(&body);
}

static void rsa_1024_signature_verifies(void **state)
{
	struct strbuf body = STRBUF_INIT, *sigs;
	size_t nsigs;
	char *file;

	(void)state;
	strbuf_appends(&body, "Short.\r\n");
	sign_sample(ring, "small.example", sample_headers, ARRAY_SIZE(sample_headers), &body,
		    &sigs, &nsigs);
	assert_int_equal(nsigs, 1);
	expect_tag(&sigs[0], "a", "rsa-sha256");
	file = write_message(sigs, nsigs, sample_headers, ARRAY_SIZE(sample_headers), &body);
	expect_verify(&file, 1, 1, true);
	free(file);
	free_sigs(sigs, nsigs);
	strbuf_free(&body);
}

static void empty_body_signature_verifies(void **state)
{
	struct strbuf body = STRBUF_INIT, *sigs;
	size_t nsigs;
	char *file;

	(void)state;
	sign_sample(ring, "example.com", sample_headers, 2, &body, &sigs, &nsigs);
	file = write_message(sigs, nsigs, sample_headers, 2, &body);
	expect_verify(&file, 1, 2, true);
	free(file);
	free_sigs(sigs, nsigs);
}

static void domain_without_keys_gets_no_signature(void **state)
{
	struct strbuf body = STRBUF_INIT, err = STRBUF_INIT, *sigs = (void *)1;
	size_t nsigs = 9;

	(void)state;
	strbuf_appends(&body, "x\r\n");
	assert_int_equal(dkim_sign_message(ring, "other.example", sample_headers, 1, body.data,
					   body.len, &sigs, &nsigs, &err), 0);
	assert_null(sigs);
	assert_int_equal(nsigs, 0);
	strbuf_free(&body);
	strbuf_free(&err);
}

static void message_without_from_is_an_error(void **state)
{
	struct strbuf body = STRBUF_INIT, err = STRBUF_INIT, *sigs;
	size_t nsigs;

	(void)state;
	strbuf_appends(&body, "x\r\n");
	assert_int_equal(dkim_sign_message(ring, "example.com", sample_headers + 1, 2, body.data,
					   body.len, &sigs, &nsigs, &err), -1);
	assert_null(sigs);
	assert_int_equal(nsigs, 0);
	if (strstr(strbuf_cstr(&err), "example.com") == NULL)
		fail_msg("error: got \"%s\", want one naming the domain", strbuf_cstr(&err));
	strbuf_free(&body);
	strbuf_free(&err);
}

struct thread_job {
	unsigned id;
	char *files[PER_THREAD];
};

/* Signs PER_THREAD messages, each with its own subject; writes them out. */
static void *sign_thread(void *arg)
{
	struct thread_job *job = arg;
	struct dkim_header h[ARRAY_SIZE(sample_headers)];
	struct strbuf body = STRBUF_INIT, subject = STRBUF_INIT, err = STRBUF_INIT, *sigs;
	size_t nsigs;
	unsigned i;

	memcpy(h, sample_headers, sizeof h);
	for (i = 0; i < PER_THREAD; i++) {
		strbuf_reset(&subject);
		strbuf_reset(&body);
		strbuf_appendf(&subject, "thread %u message %u", job->id, i);
		strbuf_appendf(&body, "Body of %s.\r\n", strbuf_cstr(&subject));
		h[2].value = strbuf_cstr(&subject);
		if (dkim_sign_message(ring, "example.com", h, ARRAY_SIZE(h), body.data, body.len,
				      &sigs, &nsigs, &err) != 0 || nsigs != 2)
			return strbuf_detach(&err);
		job->files[i] = write_message(sigs, nsigs, h, ARRAY_SIZE(h), &body);
		free_sigs(sigs, nsigs);
	}
	strbuf_free(&body);
	strbuf_free(&subject);
	strbuf_free(&err);
	return NULL;
}

static void signs_from_eight_threads_at_once(void **state)
{
	struct thread_job jobs[THREADS];
	pthread_t tids[THREADS];
	char *files[THREADS * PER_THREAD];
	unsigned i, j;
	void *res;

	(void)state;
	memset(jobs, 0, sizeof jobs);
	for (i = 0; i < THREADS; i++) {
		jobs[i].id = i;
		assert_int_equal(pthread_create(&tids[i], NULL, sign_thread, &jobs[i]), 0);
	}
	for (i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(tids[i], &res), 0);
		if (res != NULL)
			fail_msg("thread %u: got error %s, want 2 signatures", i, (char *)res);
	}
	for (i = 0; i < THREADS; i++)
		for (j = 0; j < PER_THREAD; j++)
			files[i * PER_THREAD + j] = jobs[i].files[j];
	expect_verify(files, ARRAY_SIZE(files), 2, true);
	for (i = 0; i < ARRAY_SIZE(files); i++)
		free(files[i]);
}

/* ---- key generation -------------------------------------------------------- */

/* Fails unless path has mode 0640. */
static void expect_mode_0640(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	if ((st.st_mode & 07777) != 0640)
		fail_msg("%s: got mode %04o, want 0640", path, (unsigned)(st.st_mode & 07777));
}

/* Generates dir/gen.example/NAME; checks the file, its record and O_EXCL. */
static void generate_one(const char *dir, const char *name, enum dkim_key_type type,
			 int bits, struct strbuf *txt)
{
	struct strbuf err = STRBUF_INIT, want = STRBUF_INIT, again = STRBUF_INIT;
	char *path = testutil_path(dir, name);

	if (dkim_key_generate(path, type, bits, txt, &err) != 0)
		fail_msg("dkim_key_generate(%s): got error %s, want success", name,
			 strbuf_cstr(&err));
	expect_mode_0640(path);
	txt_of_file(path, &want);
	if (strcmp(strbuf_cstr(txt), strbuf_cstr(&want)) != 0)
		fail_msg("record of %s: got %s, want %s", name, strbuf_cstr(txt),
			 strbuf_cstr(&want));
	if (dkim_key_generate(path, type, bits, &again, &err) != -1 ||
	    strstr(strbuf_cstr(&err), "File exists") == NULL || again.len != 0)
		fail_msg("second dkim_key_generate(%s): got \"%s\", want File exists", name,
			 strbuf_cstr(&err));
	strbuf_free(&err);
	strbuf_free(&want);
	strbuf_free(&again);
	free(path);
}

static void generated_keys_load_sign_and_verify(void **state)
{
	struct strbuf rsa = STRBUF_INIT, ed = STRBUF_INIT, pub = STRBUF_INIT;
	struct strbuf body = STRBUF_INIT, *sigs;
	struct diag_list dl = DIAG_LIST_INIT;
	struct dkim_keyring *r;
	char *dir = testutil_path(tmpdir, "genkeys"), *file;
	size_t nsigs, i;

	(void)state;
	testutil_mkdir(tmpdir, "genkeys/gen.example");
	generate_one(dir, "gen.example/g1.rsa.pem", DKIM_KEY_RSA, 2048, &rsa);
	generate_one(dir, "gen.example/g2.ed25519.pem", DKIM_KEY_ED25519, 0, &ed);
	assert_true(strncmp(strbuf_cstr(&rsa), "v=DKIM1; k=rsa; p=MIIBIjAN", 26) == 0);
	assert_true(strncmp(strbuf_cstr(&ed), "v=DKIM1; k=ed25519; p=", 22) == 0);
	assert_int_equal(ed.len, 22 + 44);
	r = dkim_keyring_load(dir, false, &dl);
	if (r == NULL || r->n != 2)
		fail_msg("loading generated keys: %s", testutil_diag_text(&dl));
	for (i = 0; i < 2; i++) {
		strbuf_reset(&pub);
		assert_int_equal(dkim_key_public_txt(&r->v[i], &pub), 0);
		assert_string_equal(strbuf_cstr(&pub), strbuf_cstr(i == 0 ? &rsa : &ed));
	}
	add_record("g1", "gen.example", strbuf_cstr(&rsa));
	add_record("g2", "gen.example", strbuf_cstr(&ed));
	sample_body(&body);
	sign_sample(r, "gen.example", sample_headers, ARRAY_SIZE(sample_headers), &body, &sigs,
		    &nsigs);
	file = write_message(sigs, nsigs, sample_headers, ARRAY_SIZE(sample_headers), &body);
	expect_verify(&file, 1, 2, true);
	free(file);
	free_sigs(sigs, nsigs);
	dkim_keyring_free(r);
	strbuf_free(&rsa);
	strbuf_free(&ed);
	strbuf_free(&pub);
	strbuf_free(&body);
	free(dir);
}

static void public_txt_of_loaded_keys_matches_openssl(void **state)
{
	static const enum pem_kind kinds[] = { PEM_RSA2048, PEM_ED25519, PEM_RSA1024 };
	struct strbuf pub = STRBUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(kinds); i++) {
		strbuf_reset(&pub);
		assert_int_equal(dkim_key_public_txt(&ring->v[i], &pub), 0);
		if (strcmp(strbuf_cstr(&pub), strbuf_cstr(&txts[kinds[i]])) != 0)
			fail_msg("key %zu: got %s, want %s", i, strbuf_cstr(&pub),
				 strbuf_cstr(&txts[kinds[i]]));
	}
	strbuf_free(&pub);
}

static void generate_refuses_bad_rsa_sizes(void **state)
{
	static const int bits[] = { 0, 512, 1023, 4097, 8192 };
	struct strbuf txt = STRBUF_INIT, err = STRBUF_INIT;
	char *path = testutil_path(tmpdir, "never.rsa.pem");
	struct stat st;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bits); i++) {
		strbuf_reset(&err);
		if (dkim_key_generate(path, DKIM_KEY_RSA, bits[i], &txt, &err) != -1 ||
		    strstr(strbuf_cstr(&err), "1024..4096") == NULL)
			fail_msg("%d bits: got \"%s\", want an error naming 1024..4096", bits[i],
				 strbuf_cstr(&err));
	}
	assert_int_equal(txt.len, 0);
	assert_int_not_equal(stat(path, &st), 0);
	strbuf_free(&txt);
	strbuf_free(&err);
	free(path);
}

static const struct CMUnitTest other_tests[] = {
	cmocka_unit_test(loads_keys_sorted_rsa_before_ed25519),
	cmocka_unit_test(finds_domain_case_insensitively),
	cmocka_unit_test(missing_directory_is_an_empty_ring),
	cmocka_unit_test(public_txt_of_loaded_keys_matches_openssl),
	cmocka_unit_test(signs_with_rsa_and_ed25519_and_both_verify),
	cmocka_unit_test(modified_body_fails_verification),
	cmocka_unit_test(added_from_header_fails_verification),
	cmocka_unit_test(rsa_1024_signature_verifies),
	cmocka_unit_test(empty_body_signature_verifies),
	cmocka_unit_test(domain_without_keys_gets_no_signature),
	cmocka_unit_test(message_without_from_is_an_error),
	cmocka_unit_test(signs_from_eight_threads_at_once),
	cmocka_unit_test(generated_keys_load_sign_and_verify),
	cmocka_unit_test(generate_refuses_bad_rsa_sizes),
};

static struct CMUnitTest row_test(const char *name, CMUnitTestFunction fn, const void *row)
{
	struct CMUnitTest t = { name, fn, NULL, NULL, (void *)row };

	return t;
}

int main(void)
{
	struct CMUnitTest tests[ARRAY_SIZE(load_cases) + ARRAY_SIZE(other_tests)];
	size_t i, n = 0;

	for (i = 0; i < ARRAY_SIZE(load_cases); i++)
		tests[n++] = row_test(load_cases[i].name, run_load_case, &load_cases[i]);
	for (i = 0; i < ARRAY_SIZE(other_tests); i++)
		tests[n++] = other_tests[i];
	return cmocka_run_group_tests_name("dkim_sign", tests, group_setup, group_teardown);
}
