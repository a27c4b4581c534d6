/*
 * test_dkim_verify - unit tests for policy/auth/dkim_verify.c: messages signed
 * by the project's own signer (dkim_sign_message) and by python3-dkim are
 * verified, then spoiled in the ways mail gets spoiled: a changed body or
 * header, a missing, revoked or broken key, a DNS failure, broken
 * signature tags, a key of the wrong type.  Folding with LF or CRLF and
 * eight threads sharing one library verify alike.  Header fields as
 * received (the blanks after the colon) are in test_dkim_verify_raw.c.
 * policy/auth/dkim_field.c, what the verifier keeps from libopendkim, is
 * tested here too.  Hostile input (too many or huge signatures, junk,
 * huge bodies) is in test_dkim_verify_hostile.c.
 *
 * Keys are made at test time (dkimfix); key records come from a DNS stub
 * (dkimvfix) whose domains are named after what they answer.
 *
 * Diagnostics: a failing case prints "got X, want Y" with the result's
 * status, reason and detail.
 */
#include "autoconf.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dkim_field.h"
#include "dkim_sign.h"
#include "dkim_verify.h"
#include "dkimfix.h"
#include "dkimvfix.h"
#include "strbuf.h"
#include "testutil.h"

/* Signs the sample for domain, feeds it back and returns the verifier. */
static struct dkim_verifier *sign_and_verify(const struct dkim_keyring *r, const char *domain,
					     const struct dkim_verify_sig **res, size_t *n)
{
	struct strbuf body = STRBUF_INIT, *sigs;
	struct dkim_verifier *v;
	struct vmsg m = { 0 };
	size_t nsigs;

	sample_body(&body);
	vsign(r, domain, SAMPLE_HEADERS, &body, &sigs, &nsigs);
	m.sigs = sigs, m.nsigs = nsigs, m.h = sample_headers, m.nh = SAMPLE_HEADERS;
	m.body = &body;
	v = verify_msg(vlib, &m, res, n);
	free_sigs(sigs, nsigs);
	strbuf_free(&body);
	return v;
}

/* Fails unless r names d=domain, s=selector, a=algorithm and b= begins like sig's. */
static void expect_tags(const struct dkim_verify_sig *r, const char *domain, const char *selector,
			const char *algorithm)
{
	if (strcmp(r->domain, domain) != 0 || strcmp(r->selector, selector) != 0 ||
	    strcmp(r->algorithm, algorithm) != 0 || strlen(r->b_prefix) != 8)
		fail_msg("got d=%s s=%s a=%s b=%s, want d=%s s=%s a=%s and 8 characters of b=",
			 r->domain, r->selector, r->algorithm, r->b_prefix, domain, selector,
			 algorithm);
}

/* ---- good signatures ---------------------------------------------------------- */

static void rsa_signature_passes(void **state)
{
	const struct dkim_verify_sig *res;
	struct dkim_verifier *v;
	size_t n;

	(void)state;
	v = sign_and_verify(vring, "rsa.example", &res, &n);
	expect_sig(res, n, 1, 0, DKIM_VERIFY_PASS, "signature verified");
	expect_tags(&res[0], "rsa.example", "r1", "rsa-sha256");
	if (res[0].identity != NULL || res[0].detail != NULL)
		fail_msg("got identity %s detail %s, want none", res[0].identity, res[0].detail);
	dkim_verifier_free(v);
}

static void ed25519_signature_passes(void **state)
{
	const struct dkim_verify_sig *res;
	struct dkim_verifier *v;
	size_t n;

	(void)state;
	v = sign_and_verify(vring, "ed.example", &res, &n);
	expect_sig(res, n, 1, 0, DKIM_VERIFY_PASS, "signature verified");
	expect_tags(&res[0], "ed.example", "e1", "ed25519-sha256");
	dkim_verifier_free(v);
}

static void rsa_and_ed25519_signatures_pass_in_header_order(void **state)
{
	struct strbuf body = STRBUF_INIT, *sigs;
	const struct dkim_verify_sig *res;
	struct dkim_verifier *v;
	struct vmsg m = { 0 };
	size_t nsigs, n;
	char *b;

	(void)state;
	sample_body(&body);
	vsign(ring, "example.com", SAMPLE_HEADERS, &body, &sigs, &nsigs);
	m.sigs = sigs, m.nsigs = nsigs, m.h = sample_headers, m.nh = SAMPLE_HEADERS;
	m.body = &body;
	v = verify_msg(vlib, &m, &res, &n);
	expect_sig(res, n, 2, 0, DKIM_VERIFY_PASS, "signature verified");
	expect_sig(res, n, 2, 1, DKIM_VERIFY_PASS, "signature verified");
	expect_tags(&res[0], "example.com", "s2048", "rsa-sha256");
	expect_tags(&res[1], "example.com", "ed", "ed25519-sha256");
	b = sig_tag(&sigs[1], "b");
	if (strncasecmp(b, res[1].b_prefix, 8) != 0)
		fail_msg("b_prefix: got %s, want the start of %s", res[1].b_prefix, b);
	free(b);
	dkim_verifier_free(v);
	free_sigs(sigs, nsigs);
	strbuf_free(&body);
}

static void upper_case_domain_is_reported_in_lower_case(void **state)
{
	struct strbuf body = STRBUF_INIT, *sigs, upper = STRBUF_INIT;
	const struct dkim_verify_sig *res;
	struct dkim_verifier *v;
	struct vmsg m = { 0 };
	size_t nsigs, n;

	(void)state;
	strbuf_appends(&body, "Hi.\r\n");
	vsign(vring, "rsa.example", 3, &body, &sigs, &nsigs);
	edit_tag(&sigs[0], "d", "RSA.Example", NULL, &upper);
	m.sigs = &upper, m.nsigs = 1, m.h = sample_headers, m.nh = 3, m.body = &body;
	v = verify_msg(vlib, &m, &res, &n);
	expect_sig(res, n, 1, 0, DKIM_VERIFY_FAIL, "signature mismatch");
	if (strcmp(res[0].domain, "rsa.example") != 0)
		fail_msg("domain: got %s, want rsa.example", res[0].domain);
	dkim_verifier_free(v);
	free_sigs(sigs, nsigs);
	strbuf_free(&upper);
	strbuf_free(&body);
}

/* ---- spoiled messages ------------------------------------------------------------ */

static void changed_body_fails_with_body_hash_mismatch(void **state)
{
	struct strbuf body = STRBUF_INIT, *sigs;
	const struct dkim_verify_sig *res;
	struct dkim_verifier *v;
	struct vmsg m = { 0 };
	size_t nsigs, n;

	(void)state;
	sample_body(&body);
	vsign(ring, "example.com", SAMPLE_HEADERS, &body, &sigs, &nsigs);
	body.data[0] = 'J'; /* "Jello Bob" */
	m.sigs = sigs, m.nsigs = nsigs, m.h = sample_headers, m.nh = SAMPLE_HEADERS;
	m.body = &body;
	v = verify_msg(vlib, &m, &res, &n);
	expect_sig(res, n, 2, 0, DKIM_VERIFY_FAIL, "body hash mismatch");
	expect_sig(res, n, 2, 1, DKIM_VERIFY_FAIL, "body hash mismatch");
	dkim_verifier_free(v);
	free_sigs(sigs, nsigs);
	strbuf_free(&body);
}

static void changed_header_fails_with_signature_mismatch(void **state)
{
	struct dkim_header h[SAMPLE_HEADERS];
	struct strbuf body = STRBUF_INIT, *sigs;
	const struct dkim_verify_sig *res;
	struct dkim_verifier *v;
	struct vmsg m = { 0 };
	size_t nsigs, n;

	(void)state;
	sample_body(&body);
	vsign(ring, "example.com", SAMPLE_HEADERS, &body, &sigs, &nsigs);
	memcpy(h, sample_headers, sizeof h);
	h[2].value = "A subject somebody changed";
	m.sigs = sigs, m.nsigs = nsigs, m.h = h, m.nh = SAMPLE_HEADERS, m.body = &body;
	v = verify_msg(vlib, &m, &res, &n);
	expect_sig(res, n, 2, 0, DKIM_VERIFY_FAIL, "signature mismatch");
	expect_sig(res, n, 2, 1, DKIM_VERIFY_FAIL, "signature mismatch");
	dkim_verifier_free(v);
	free_sigs(sigs, nsigs);
	strbuf_free(&body);
}

/* Key lookups: the stub's domains answer what they are named after. */
static const struct lookup_case {
	const char *name, *domain;
	enum dkim_verify_status status;
	const char *reason, *detail; /* detail: a part of it, or NULL for none */
} lookup_cases[] = {
	{ "unknown_selector_is_permerror_no_key", "nokey.example", DKIM_VERIFY_PERMERROR, "no key",
	  "n1._domainkey.nokey.example: no such name" },
	{ "name_without_txt_record_is_permerror_no_key", "nodata.example", DKIM_VERIFY_PERMERROR,
	  "no key", ": no TXT record" },
	{ "dns_tempfail_is_temperror", "tempfail.example", DKIM_VERIFY_TEMPERROR,
	  "key lookup failed", "lookup failed: stub server answered SERVFAIL" },
	{ "revoked_key_is_permerror", "revoked.example", DKIM_VERIFY_PERMERROR, "key revoked",
	  "revoked" },
	{ "txt_record_that_is_no_key_is_permerror", "badrec.example", DKIM_VERIFY_PERMERROR,
	  "bad key record", NULL },
	{ "ed25519_key_for_rsa_signature_is_permerror", "wrongtype.example", DKIM_VERIFY_PERMERROR,
	  "inappropriate key algorithm", "k=ed25519 key for an rsa-sha256 signature" },
	{ "key_record_over_1024_bytes_is_permerror", "toolong.example", DKIM_VERIFY_PERMERROR,
	  "bad key record", "1118 bytes" },
	{ "other_key_fails_with_signature_mismatch", "wrongkey.example", DKIM_VERIFY_FAIL,
	  "signature mismatch", NULL },
	{ "ed25519_signature_with_k_rsa_record_is_permerror", "edkrsa.example",
	  DKIM_VERIFY_PERMERROR, "inappropriate key algorithm",
	  "k=rsa key for an ed25519-sha256 signature" },
	{ "rsa_signature_with_k_ed25519_record_is_permerror", "rsaked.example",
	  DKIM_VERIFY_PERMERROR, "inappropriate key algorithm",
	  "k=ed25519 key for an rsa-sha256 signature" },
	{ "ed25519_signature_with_record_without_k_is_permerror", "ednok.example",
	  DKIM_VERIFY_PERMERROR, "inappropriate key algorithm",
	  "k=rsa key for an ed25519-sha256 signature" },
};

static void run_lookup_case(void **state)
{
	const struct lookup_case *c = *state;
	const struct dkim_verify_sig *res;
	struct dkim_verifier *v;
	size_t n;

	v = sign_and_verify(vring, c->domain, &res, &n);
	expect_sig(res, n, 1, 0, c->status, c->reason);
	if (c->detail != NULL &&
	    (res[0].detail == NULL || strstr(res[0].detail, c->detail) == NULL))
		fail_msg("detail: got \"%s\", want one with \"%s\"",
			 res[0].detail != NULL ? res[0].detail : "(none)", c->detail);
	dkim_verifier_free(v);
}

static void tempfail_leaves_other_signatures_alone(void **state)
{
	struct strbuf body = STRBUF_INIT, *s1, *s2, both[3];
	const struct dkim_verify_sig *res;
	struct dkim_verifier *v;
	struct vmsg m = { 0 };
	size_t n1, n2, n;

	(void)state;
	sample_body(&body);
	vsign(vring, "rsa.example", SAMPLE_HEADERS, &body, &s1, &n1);
	vsign(vring, "tempfail.example", SAMPLE_HEADERS, &body, &s2, &n2);
	both[0] = s2[0], both[1] = s1[0], both[2] = s2[0];
	m.sigs = both, m.nsigs = 3, m.h = sample_headers, m.nh = SAMPLE_HEADERS, m.body = &body;
	v = verify_msg(vlib, &m, &res, &n);
	expect_sig(res, n, 3, 0, DKIM_VERIFY_TEMPERROR, "key lookup failed");
	expect_sig(res, n, 3, 1, DKIM_VERIFY_PASS, "signature verified");
	expect_sig(res, n, 3, 2, DKIM_VERIFY_TEMPERROR, "key lookup failed");
	dkim_verifier_free(v);
	free_sigs(s1, n1);
	free_sigs(s2, n2);
	strbuf_free(&body);
}

/* Signature tags spoiled one at a time (rsa.example's signature). */
static const struct tag_case {
	const char *name, *tag, *value, *append; /* value NULL: tag removed */
	enum dkim_verify_status status;
	const char *reason;
} tag_cases[] = {
	{ "missing_d_is_syntax_error", "d", NULL, NULL, DKIM_VERIFY_PERMERROR, "syntax error" },
	{ "missing_s_is_syntax_error", "s", NULL, NULL, DKIM_VERIFY_PERMERROR, "syntax error" },
	{ "missing_b_is_syntax_error", "b", NULL, NULL, DKIM_VERIFY_PERMERROR, "syntax error" },
	{ "missing_bh_is_syntax_error", "bh", NULL, NULL, DKIM_VERIFY_PERMERROR, "syntax error" },
	{ "missing_h_is_syntax_error", "h", NULL, NULL, DKIM_VERIFY_PERMERROR, "syntax error" },
	{ "missing_v_is_syntax_error", "v", NULL, NULL, DKIM_VERIFY_PERMERROR, "syntax error" },
	{ "missing_a_is_syntax_error", "a", NULL, NULL, DKIM_VERIFY_PERMERROR, "syntax error" },
	{ "empty_b_is_syntax_error", "b", "", NULL, DKIM_VERIFY_PERMERROR, "syntax error" },
	{ "empty_d_is_syntax_error", "d", "", NULL, DKIM_VERIFY_PERMERROR, "syntax error" },
	{ "bad_base64_in_b_is_syntax_error", "b", "!!!!not*base64", NULL, DKIM_VERIFY_PERMERROR,
	  "syntax error" },
	{ "negative_l_is_syntax_error", "l", "-1", NULL, DKIM_VERIFY_PERMERROR, "syntax error" },
	{ "repeated_d_is_syntax_error", NULL, NULL, "; d=rsa.example", DKIM_VERIFY_PERMERROR,
	  "syntax error" },
	{ "repeated_d_in_upper_case_is_syntax_error", NULL, NULL, "; D=evil.example",
	  DKIM_VERIFY_PERMERROR, "syntax error" },
	{ "binary_bytes_in_a_tag_are_syntax_error", NULL, NULL, "; z=\x01\x7f\xfe\xff",
	  DKIM_VERIFY_PERMERROR, "syntax error" },
	{ "tag_without_value_is_syntax_error", NULL, NULL, "; novalue", DKIM_VERIFY_PERMERROR,
	  "syntax error" },
	{ "unknown_algorithm_is_unsupported", "a", "rsa-sha512", NULL, DKIM_VERIFY_PERMERROR,
	  "unsupported algorithm" },
	{ "version_2_is_unsupported", "v", "2", NULL, DKIM_VERIFY_PERMERROR,
	  "unsupported version" },
	{ "unknown_canonicalization_is_unsupported", "c", "fancy/relaxed", NULL,
	  DKIM_VERIFY_PERMERROR, "unsupported canonicalization" },
	{ "past_x_is_expired", "x", "1000", NULL, DKIM_VERIFY_PERMERROR, "expired" },
	{ "future_t_is_neutral", "t", "99999999999", NULL, DKIM_VERIFY_NEUTRAL,
	  "timestamp in the future" },
	{ "identity_outside_d_is_permerror", "i", "@other.example", NULL, DKIM_VERIFY_PERMERROR,
	  "identity not in signing domain" },
	{ "i_ending_in_equals_is_syntax_error", "i", "@rsa.example=", NULL, DKIM_VERIFY_PERMERROR,
	  "syntax error" },
	{ "i_ending_in_equals_and_a_digit_is_syntax_error", "i", "@rsa.example=4", NULL,
	  DKIM_VERIFY_PERMERROR, "syntax error" },
	{ "i_with_lower_case_hex_is_syntax_error", "i", "a=2eb@rsa.example", NULL,
	  DKIM_VERIFY_PERMERROR, "syntax error" },
	{ "i_with_quoted_printable_breaks_only_the_hash", "i", "a=3Db @rsa.example", NULL,
	  DKIM_VERIFY_FAIL, "signature mismatch" },
	{ "h_without_from_is_permerror", "h", "to:subject", NULL, DKIM_VERIFY_PERMERROR,
	  "From not signed" },
	{ "l_beyond_the_body_is_permerror", "l", "999999", NULL, DKIM_VERIFY_PERMERROR,
	  "l= exceeds body length" },
	{ "changed_selector_is_permerror_no_key", "s", "gone", NULL, DKIM_VERIFY_PERMERROR,
	  "no key" },
	{ "unknown_tag_breaks_only_the_hash", NULL, NULL, "; xyz=1", DKIM_VERIFY_FAIL,
	  "signature mismatch" },
};

static void run_tag_case(void **state)
{
	const struct tag_case *c = *state;
	struct strbuf body = STRBUF_INIT, *sigs, spoiled = STRBUF_INIT;
	const struct dkim_verify_sig *res;
	struct dkim_verifier *v;
	struct vmsg m = { 0 };
	size_t nsigs, n;
	unsigned lookups;

	sample_body(&body);
	vsign(vring, "rsa.example", SAMPLE_HEADERS, &body, &sigs, &nsigs);
	edit_tag(&sigs[0], c->tag, c->value, c->append, &spoiled);
	m.sigs = &spoiled, m.nsigs = 1, m.h = sample_headers, m.nh = SAMPLE_HEADERS;
	m.body = &body;
	lookups = __atomic_load_n(&stub_lookups, __ATOMIC_SEQ_CST);
	v = verify_msg(vlib, &m, &res, &n);
	expect_sig(res, n, 1, 0, c->status, c->reason);
	lookups = __atomic_load_n(&stub_lookups, __ATOMIC_SEQ_CST) - lookups;
	if (strcmp(c->reason, "syntax error") == 0 && lookups != 0)
		fail_msg("key lookups for a syntax error: got %u, want 0", lookups);
	dkim_verifier_free(v);
	free_sigs(sigs, nsigs);
	strbuf_free(&spoiled);
	strbuf_free(&body);
}

static void whole_field_garbage_is_syntax_error(void **state)
{
	static const char *const values[] = { "", "   ", "not a tag list at all", ";;;;", "=" };
	const struct dkim_verify_sig *res;
	struct dkim_verifier *v;
	size_t i, n;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(values); i++) {
		v = dkim_verifier_new(vlib, "TESTQID", stub_fetch, NULL);
		dkim_verifier_header(v, "DKIM-Signature", values[i]);
		dkim_verifier_header(v, "From", "a@example.com");
		dkim_verifier_body(v, (const unsigned char *)"x\r\n", 3);
		n = dkim_verifier_eom(v, &res);
		if (n != 1 || res[0].status != DKIM_VERIFY_PERMERROR ||
		    strcmp(res[0].domain, "") != 0)
			fail_msg("value \"%s\": got %zu results (%s), want one permerror",
				 values[i], n, n > 0 ? res[0].reason : "-");
		dkim_verifier_free(v);
	}
}

static void unsigned_message_has_no_results(void **state)
{
	struct strbuf body = STRBUF_INIT;
	const struct dkim_verify_sig *res = (void *)1;
	struct dkim_verifier *v;
	struct vmsg m = { 0 };
	size_t n;

	(void)state;
	sample_body(&body);
	m.h = sample_headers, m.nh = SAMPLE_HEADERS, m.body = &body;
	v = verify_msg(vlib, &m, &res, &n);
	if (n != 0 || res != NULL)
		fail_msg("got %zu results, want none", n);
	dkim_verifier_free(v);
	strbuf_free(&body);
}

/* ---- signatures made by python3-dkim ------------------------------------------- */

static const struct py_case {
	const char *name;
	int key;
	const char *selector, *canon, *alg, *identity; /* see struct py_sig */
	bool length;
	const char *body, *appended; /* appended: after signing */
	enum dkim_verify_status status;
	const char *reason;
} py_cases[] = {
	{ "python_simple_signature_passes", PEM_RSA2048, "py", "simple/simple", "rsa-sha256", NULL,
	  false, "Hello  Bob,\r\n\r\nbye\r\n\r\n", NULL, DKIM_VERIFY_PASS, "signature verified" },
	{ "python_relaxed_simple_signature_passes", PEM_RSA2048, "py", "relaxed/simple",
	  "rsa-sha256", NULL, false, "Hello\r\n", NULL, DKIM_VERIFY_PASS, "signature verified" },
	{ "python_l_signature_passes_with_content_appended", PEM_RSA2048, "py", "simple/simple",
	  "rsa-sha256", NULL, true, "Signed part.\r\n", "Appended later.\r\n", DKIM_VERIFY_PASS,
	  "signature verified" },
	{ "python_l_relaxed_signature_passes", PEM_RSA2048, "py", "relaxed/relaxed", "rsa-sha256",
	  NULL, true, "Signed  part.\r\n", NULL, DKIM_VERIFY_PASS, "signature verified" },
	{ "body_without_final_crlf_passes_simple", PEM_RSA2048, "py", "simple/simple", "rsa-sha256",
	  NULL, false, "no line end", NULL, DKIM_VERIFY_PASS, "signature verified" },
	{ "body_without_final_crlf_passes_relaxed", PEM_RSA2048, "py", "relaxed/relaxed",
	  "rsa-sha256", NULL, false, "no line end", NULL, DKIM_VERIFY_PASS, "signature verified" },
	{ "empty_body_passes_simple", PEM_RSA2048, "py", "simple/simple", "rsa-sha256", NULL, false,
	  "", NULL, DKIM_VERIFY_PASS, "signature verified" },
	{ "identity_in_subdomain_passes", PEM_RSA2048, "py", "relaxed/relaxed", "rsa-sha256",
	  "news@sub.example.com", false, "Hello\r\n", NULL, DKIM_VERIFY_PASS,
	  "signature verified" },
	{ "key_t_s_refuses_identity_in_subdomain", PEM_RSA2048, "pys", "relaxed/relaxed",
	  "rsa-sha256", "news@sub.example.com", false, "Hello\r\n", NULL, DKIM_VERIFY_PERMERROR,
	  "identity not allowed by key" },
	{ "key_t_s_accepts_identity_in_d", PEM_RSA2048, "pys", "relaxed/relaxed", "rsa-sha256",
	  "news@example.com", false, "Hello\r\n", NULL, DKIM_VERIFY_PASS, "signature verified" },
	{ "rsa_sha1_signature_is_policy", PEM_RSA2048, "py", "relaxed/relaxed", "rsa-sha1", NULL,
	  false, "Hello\r\n", NULL, DKIM_VERIFY_POLICY, "rsa-sha1 not accepted" },
	{ "rsa_512_key_is_policy", PEM_RSA512, "py512", "relaxed/relaxed", "rsa-sha256", NULL,
	  false, "Hello\r\n", NULL, DKIM_VERIFY_POLICY, "key too small" },
};

static void run_py_case(void **state)
{
	const struct py_case *c = *state;
	const struct py_sig ps = { c->key, c->selector, c->canon, c->alg, c->length, c->identity };
	const char *want_i = c->identity != NULL ? c->identity : "@example.com";
	struct strbuf body = STRBUF_INIT, sig = STRBUF_INIT;
	const struct dkim_verify_sig *res;
	struct dkim_verifier *v;
	struct vmsg m = { 0 };
	size_t n, lf;

	strbuf_appends(&body, c->body);
	python_sign(&ps, sample_headers, 4, &body, &sig);
	if (c->appended != NULL)
		strbuf_appends(&body, c->appended);
	m.sigs = &sig, m.nsigs = 1, m.h = sample_headers, m.nh = 4, m.body = &body;
	for (lf = 0; lf < 2; lf++) {
		m.lf = lf != 0;
		v = verify_msg(vlib, &m, &res, &n);
		expect_sig(res, n, 1, 0, c->status, c->reason);
		if (res[0].identity == NULL || strcmp(res[0].identity, want_i) != 0)
			fail_msg("identity: got %s, want %s", res[0].identity, want_i);
		dkim_verifier_free(v);
	}
	strbuf_free(&sig);
	strbuf_free(&body);
}

/* ---- how the MTA hands fields over ------------------------------------------------ */

static void lf_and_crlf_folding_verify_alike(void **state)
{
	struct strbuf body = STRBUF_INIT, *sigs;
	const struct dkim_verify_sig *res;
	struct dkim_verifier *v;
	struct vmsg m = { 0 };
	size_t nsigs, n, i;

	(void)state;
	sample_body(&body);
	vsign(ring, "example.com", SAMPLE_HEADERS, &body, &sigs, &nsigs);
	m.sigs = sigs, m.nsigs = nsigs, m.h = sample_headers, m.nh = SAMPLE_HEADERS;
	m.body = &body;
	for (i = 0; i < 2; i++) {
		m.lf = i != 0;
		v = verify_msg(vlib, &m, &res, &n);
		expect_sig(res, n, 2, 0, DKIM_VERIFY_PASS, "signature verified");
		expect_sig(res, n, 2, 1, DKIM_VERIFY_PASS, "signature verified");
		dkim_verifier_free(v);
	}
	free_sigs(sigs, nsigs);
	strbuf_free(&body);
}

static void fields_after_the_headers_are_refused(void **state)
{
	const struct dkim_verify_sig *res, *again;
	struct dkim_verifier *v;

	(void)state;
	v = dkim_verifier_new(vlib, NULL, stub_fetch, NULL);
	assert_int_equal(dkim_verifier_header(v, "From", "a@example.com"), 0);
	assert_int_equal(dkim_verifier_eoh(v), 0);
	assert_int_equal(dkim_verifier_eoh(v), 0);
	assert_int_equal(dkim_verifier_header(v, "To", "b@example.com"), -1);
	assert_int_equal(dkim_verifier_eom(v, &res), 0);
	assert_int_equal(dkim_verifier_eom(v, &again), 0);
	assert_int_equal(dkim_verifier_body(v, (const unsigned char *)"x", 1), -1);
	dkim_verifier_free(v);
	dkim_verifier_free(NULL);
}

static void library_refuses_a_cap_out_of_range(void **state)
{
	static const unsigned caps[] = { 0, DKIM_VERIFY_MAX_SIGNATURES + 1, 100000 };
	struct strbuf err = STRBUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(caps); i++) {
		strbuf_reset(&err);
		if (dkim_verify_lib_new(caps[i], &err) != NULL || strstr(err.data, "1..64") == NULL)
			fail_msg("cap %u: got \"%s\", want an error naming 1..64", caps[i],
				 strbuf_cstr(&err));
	}
	strbuf_free(&err);
}

static void status_names_are_rfc_8601_words(void **state)
{
	static const char *const want[] = { "pass",   "fail",	   "neutral",
					    "policy", "temperror", "permerror" };
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(want); i++)
		assert_string_equal(dkim_verify_status_name((enum dkim_verify_status)i), want[i]);
}

/* ---- dkim_field: what reaches libopendkim ------------------------------------------ */

static void signature_fields_are_told_as_libopendkim_tells_them(void **state)
{
	static const struct {
		const char *name;
		bool want;
	} cases[] = {
		{ "DKIM-Signature", true },
		{ "dkim-SIGNATURE", true },
		{ "DKIM-Signature  ", true },
		{ "DKIM-Signature:x", true },
		{ "DKIM-Signature\t", false },
		{ "DKIM-Signature\001", false },
		{ "X-DKIM-Signature", false },
		{ "DKIM-Signatures", false },
		{ "", false },
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++)
		if (dkim_field_is_signature(cases[i].name) != cases[i].want)
			fail_msg("\"%s\": got %d, want %d", cases[i].name, !cases[i].want,
				 cases[i].want);
}

static void field_lines_keep_the_value_exactly_with_crlf(void **state)
{
	static const struct {
		const char *value, *want;
	} cases[] = {
		{ "x", "Subject:x" },
		{ " x", "Subject: x" },
		{ "  x", "Subject:  x" },
		{ "\tx", "Subject:\tx" },
		{ " a\n\tb", "Subject: a\r\n\tb" },
		{ " a\r\n b\r\n", "Subject: a\r\n b" },
		{ "a\n", "Subject:a" },
		{ "", "Subject:" },
	};
	struct strbuf line = STRBUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		dkim_field_line(&line, "Subject", cases[i].value);
		if (strcmp(strbuf_cstr(&line), cases[i].want) != 0)
			fail_msg("case %zu: got \"%s\", want \"%s\"", i, strbuf_cstr(&line),
				 cases[i].want);
	}
	strbuf_free(&line);
}

static void key_type_must_suit_the_algorithm(void **state)
{
	static const struct {
		const char *record, *alg;
		enum dkim_field_verdict want;
	} cases[] = {
		{ "v=DKIM1; k=rsa; p=AAAA", "rsa-sha256", DKIM_FIELD_OK },
		{ "v=DKIM1; p=AAAA", "rsa-sha1", DKIM_FIELD_OK },
		{ "v=DKIM1; k=ed25519; p=AAAA", "ed25519-sha256", DKIM_FIELD_OK },
		{ "v=DKIM1;k = ED25519 ;p=AAAA", "ed25519-sha256", DKIM_FIELD_OK },
		{ "v=DKIM1; k=rsa; p=AAAA", "ed25519-sha256", DKIM_FIELD_BAD },
		{ "v=DKIM1; p=AAAA", "ed25519-sha256", DKIM_FIELD_BAD },
		{ "v=DKIM1; k=ed25519; p=AAAA", "rsa-sha256", DKIM_FIELD_BAD },
		{ "v=DKIM1; k=ed25519; k=rsa; p=AAAA", "ed25519-sha256", DKIM_FIELD_BAD },
		{ "v=DKIM1; kk=rsa; p=AAAA", "ed25519-sha256", DKIM_FIELD_BAD },
		{ "v=DKIM1; k=dsa; p=AAAA", "rsa-sha256", DKIM_FIELD_OK }, /* libopendkim's */
		{ "v=DKIM1; k=ed25519; p=AAAA", "foo-sha256", DKIM_FIELD_OK }, /* libopendkim's */
	};
	struct strbuf why = STRBUF_INIT;
	enum dkim_field_verdict got;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		strbuf_reset(&why);
		got = dkim_field_check_key(cases[i].record, cases[i].alg, &why);
		if (got != cases[i].want || (got == DKIM_FIELD_OK) != (why.len == 0))
			fail_msg("\"%s\" for %s: got %d (%s), want %d", cases[i].record,
				 cases[i].alg, got, strbuf_cstr(&why), cases[i].want);
	}
	strbuf_free(&why);
}

static void tag_lists_libopendkim_mishandles_are_refused(void **state)
{
	static const struct {
		const char *value;
		enum dkim_field_verdict want;
		const char *why;
	} cases[] = {
		{ "v=1; d=a.example; i=x=3Dy@a.example", DKIM_FIELD_OK, "" },
		{ "v=1; d=a.example; x-d=1; xd=2; dd=3", DKIM_FIELD_OK, "" },
		{ "d=a.example; d=b.example", DKIM_FIELD_BAD, "tag d= repeated" },
		{ "bh = x; s=a; BH=y", DKIM_FIELD_BAD, "tag BH= repeated" },
		{ "i=@a.example=", DKIM_FIELD_UNSAFE, "bad quoted-printable in i=" },
		{ "i=@a.example=4", DKIM_FIELD_UNSAFE, "bad quoted-printable in i=" },
		{ "i=a=4 1@a.example", DKIM_FIELD_OK, "" },
		{ "i=a=2e@a.example", DKIM_FIELD_UNSAFE, "bad quoted-printable in i=" },
		{ "I=@a.example=; d=a; d=b", DKIM_FIELD_UNSAFE, "bad quoted-printable in i=" },
	};
	struct strbuf why = STRBUF_INIT;
	enum dkim_field_verdict got;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		strbuf_reset(&why);
		got = dkim_field_check_signature(cases[i].value, 100, &why);
		if (got != cases[i].want || strcmp(strbuf_cstr(&why), cases[i].why) != 0)
			fail_msg("\"%s\": got %d (%s), want %d (%s)", cases[i].value, got,
				 strbuf_cstr(&why), cases[i].want, cases[i].why);
	}
	strbuf_reset(&why);
	if (dkim_field_check_signature("v=1", DKIM_FIELD_SIGNATURE_MAX + 1, &why) !=
	    DKIM_FIELD_UNSAFE)
		fail_msg("a field of %d bytes: got \"%s\", want it refused",
			 DKIM_FIELD_SIGNATURE_MAX + 1, strbuf_cstr(&why));
	strbuf_free(&why);
}

/* ---- threads ------------------------------------------------------------------- */

/* Signs and verifies PER_THREAD messages; NULL, or what went wrong. */
static void *verify_thread(void *arg)
{
	struct dkim_header h[SAMPLE_HEADERS];
	struct strbuf body = STRBUF_INIT, subject = STRBUF_INIT, err = STRBUF_INIT, *sigs;
	struct vmsg m = { NULL, 0, h, SAMPLE_HEADERS, &body, 7, false, false };
	const struct dkim_verify_sig *res;
	struct dkim_verifier *v;
	size_t n, i;

	memcpy(h, sample_headers, sizeof h);
	for (i = 0; i < PER_THREAD && err.len == 0; i++) {
		strbuf_reset(&subject);
		strbuf_reset(&body);
		strbuf_appendf(&subject, "thread %u message %zu", *(unsigned *)arg, i);
		strbuf_appendf(&body, "Body of %s.\r\n", strbuf_cstr(&subject));
		h[2].value = strbuf_cstr(&subject);
		if (dkim_sign_message(ring, "example.com", h, SAMPLE_HEADERS, body.data, body.len,
				      &sigs, &m.nsigs, &err) != 0)
			break;
		m.sigs = sigs;
		m.lf = i == 1;
		v = verify_msg(vlib, &m, &res, &n);
		if (n != 2 || res[0].status != DKIM_VERIFY_PASS ||
		    res[1].status != DKIM_VERIFY_PASS)
			strbuf_appendf(&err, "%zu results, first %s", n,
				       n > 0 ? res[0].reason : "-");
		dkim_verifier_free(v);
		free_sigs(sigs, m.nsigs);
	}
	strbuf_free(&body);
	strbuf_free(&subject);
	if (err.len == 0)
		return NULL;
	return strbuf_detach(&err);
}

static void eight_threads_verify_at_once(void **state)
{
	static unsigned ids[THREADS];
	pthread_t tids[THREADS];
	void *res;
	size_t i;

	(void)state;
	for (i = 0; i < THREADS; i++) {
		ids[i] = (unsigned)i;
		assert_int_equal(pthread_create(&tids[i], NULL, verify_thread, &ids[i]), 0);
	}
	for (i = 0; i < THREADS; i++) {
		assert_int_equal(pthread_join(tids[i], &res), 0);
		if (res != NULL)
			fail_msg("thread %zu: got %s, want 2 passes per message", i, (char *)res);
	}
}

static const struct CMUnitTest other_tests[] = {
	cmocka_unit_test(rsa_signature_passes),
	cmocka_unit_test(ed25519_signature_passes),
	cmocka_unit_test(rsa_and_ed25519_signatures_pass_in_header_order),
	cmocka_unit_test(upper_case_domain_is_reported_in_lower_case),
	cmocka_unit_test(changed_body_fails_with_body_hash_mismatch),
	cmocka_unit_test(changed_header_fails_with_signature_mismatch),
	cmocka_unit_test(tempfail_leaves_other_signatures_alone),
	cmocka_unit_test(whole_field_garbage_is_syntax_error),
	cmocka_unit_test(unsigned_message_has_no_results),
	cmocka_unit_test(lf_and_crlf_folding_verify_alike),
	cmocka_unit_test(fields_after_the_headers_are_refused),
	cmocka_unit_test(library_refuses_a_cap_out_of_range),
	cmocka_unit_test(status_names_are_rfc_8601_words),
	cmocka_unit_test(signature_fields_are_told_as_libopendkim_tells_them),
	cmocka_unit_test(field_lines_keep_the_value_exactly_with_crlf),
	cmocka_unit_test(key_type_must_suit_the_algorithm),
	cmocka_unit_test(tag_lists_libopendkim_mishandles_are_refused),
	cmocka_unit_test(eight_threads_verify_at_once),
};

static struct CMUnitTest row_test(const char *name, CMUnitTestFunction fn, const void *row)
{
	struct CMUnitTest t = { name, fn, NULL, NULL, (void *)row };

	return t;
}

int main(void)
{
	struct CMUnitTest tests[ARRAY_SIZE(lookup_cases) + ARRAY_SIZE(tag_cases) +
				ARRAY_SIZE(py_cases) + ARRAY_SIZE(other_tests)];
	size_t i, n = 0;

	for (i = 0; i < ARRAY_SIZE(lookup_cases); i++)
		tests[n++] = row_test(lookup_cases[i].name, run_lookup_case, &lookup_cases[i]);
	for (i = 0; i < ARRAY_SIZE(tag_cases); i++)
		tests[n++] = row_test(tag_cases[i].name, run_tag_case, &tag_cases[i]);
	for (i = 0; i < ARRAY_SIZE(py_cases); i++)
		tests[n++] = row_test(py_cases[i].name, run_py_case, &py_cases[i]);
	for (i = 0; i < ARRAY_SIZE(other_tests); i++)
		tests[n++] = other_tests[i];
	return cmocka_run_group_tests_name("dkim_verify", tests, vgroup_setup, vgroup_teardown);
}
