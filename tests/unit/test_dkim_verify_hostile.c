/*
 * test_dkim_verify_hostile - policy/auth/dkim_verify.c against hostile input:
 * more DKIM-Signature fields than the cap (up to a thousand), fields of
 * 100 KB, binary junk in signatures and other fields, huge bodies and
 * bodies fed a byte at a time.  Each case must end in results (pass where
 * the signature is still good, an error result otherwise), never in a
 * crash, a hang or a leak (run under AddressSanitizer/LeakSanitizer), and
 * must not cost more key lookups than the cap.
 *
 * Diagnostics: a failing case prints "got X, want Y".
 */
#include "autoconf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dkim_sign.h"
#include "dkim_verify.h"
#include "dkimfix.h"
#include "dkimvfix.h"
#include "strbuf.h"
#include "testutil.h"

#define KB100 (100 * 1024)
#define KB30 (30 * 1024)

static unsigned lookups_now(void)
{
	return __atomic_load_n(&stub_lookups, __ATOMIC_SEQ_CST);
}

/* Fails unless every one of the n results has status and reason. */
static void expect_all(const struct dkim_verify_sig *res, size_t n, size_t want_n,
		       enum dkim_verify_status status, const char *reason)
{
	size_t i;

	for (i = 0; i < want_n; i++)
		expect_sig(res, n, want_n, i, status, reason);
}

/* ---- more signatures than the cap ------------------------------------------- */

static void signatures_beyond_the_cap_are_not_evaluated(void **state)
{
	struct strbuf body = STRBUF_INIT, err = STRBUF_INIT, *s1, *s2, *s3, three[3];
	const struct dkim_verify_sig *res;
	struct dkim_verify_lib *lib2 = dkim_verify_lib_new(2, &err);
	struct dkim_verifier *v;
	struct vmsg m = { 0 };
	size_t n1, n2, n3, n;
	unsigned before;

	(void)state;
	assert_non_null(lib2);
	sample_body(&body);
	vsign(vring, "rsa.example", SAMPLE_HEADERS, &body, &s1, &n1);
	vsign(vring, "nokey.example", SAMPLE_HEADERS, &body, &s2, &n2);
	vsign(vring, "ed.example", SAMPLE_HEADERS, &body, &s3, &n3);
	three[0] = s1[0], three[1] = s2[0], three[2] = s3[0];
	m.sigs = three, m.nsigs = 3, m.h = sample_headers, m.nh = SAMPLE_HEADERS, m.body = &body;
	before = lookups_now();
	v = verify_msg(lib2, &m, &res, &n);
	expect_sig(res, n, 2, 0, DKIM_VERIFY_PASS, "signature verified");
	expect_sig(res, n, 2, 1, DKIM_VERIFY_PERMERROR, "no key");
	if (lookups_now() - before != 2)
		fail_msg("key lookups: got %u, want 2 (the third signature not evaluated)",
			 lookups_now() - before);
	dkim_verifier_free(v);
	dkim_verify_lib_free(lib2);
	free_sigs(s1, n1);
	free_sigs(s2, n2);
	free_sigs(s3, n3);
	strbuf_free(&body);
	strbuf_free(&err);
}

/* Feeds count copies of sig as DKIM-Signature fields before the sample. */
static struct dkim_verifier *verify_copies(const struct strbuf *sig, size_t count,
					   const struct strbuf *body,
					   const struct dkim_verify_sig **res, size_t *n)
{
	struct strbuf *copies = calloc(count, sizeof *copies);
	struct dkim_verifier *v;
	struct vmsg m = { 0 };
	size_t i;

	assert_non_null(copies);
	for (i = 0; i < count; i++)
		copies[i] = *sig; /* shared data, not freed here */
	m.sigs = copies, m.nsigs = count, m.h = sample_headers, m.nh = SAMPLE_HEADERS;
	m.body = body;
	v = verify_msg(vlib, &m, res, n);
	free(copies);
	return v;
}

static void thousand_good_signatures_give_eight_results(void **state)
{
	struct strbuf body = STRBUF_INIT, *sigs;
	const struct dkim_verify_sig *res;
	struct dkim_verifier *v;
	size_t nsigs, n;
	unsigned before = lookups_now();

	(void)state;
	sample_body(&body);
	vsign(vring, "rsa.example", SAMPLE_HEADERS, &body, &sigs, &nsigs);
	v = verify_copies(&sigs[0], 1000, &body, &res, &n);
	expect_all(res, n, VLIB_MAX, DKIM_VERIFY_PASS, "signature verified");
	if (lookups_now() - before > VLIB_MAX)
		fail_msg("key lookups: got %u, want at most %d", lookups_now() - before, VLIB_MAX);
	dkim_verifier_free(v);
	free_sigs(sigs, nsigs);
	strbuf_free(&body);
}

static void thousand_junk_signatures_give_eight_permerrors_without_lookups(void **state)
{
	struct strbuf body = STRBUF_INIT, junk = STRBUF_INIT;
	const struct dkim_verify_sig *res;
	struct dkim_verifier *v;
	size_t n;
	unsigned before = lookups_now(), i;

	(void)state;
	for (i = 1; i < 256; i++)
		strbuf_appendc(&junk, (char)i);
	strbuf_appends(&body, "x\r\n");
	v = verify_copies(&junk, 1000, &body, &res, &n);
	expect_all(res, n, VLIB_MAX, DKIM_VERIFY_PERMERROR, "syntax error");
	if (lookups_now() != before)
		fail_msg("key lookups: got %u, want none", lookups_now() - before);
	dkim_verifier_free(v);
	strbuf_free(&junk);
	strbuf_free(&body);
}

/* ---- huge and junk fields ------------------------------------------------------- */

/* Ways to make a huge DKIM-Signature field out of a good one. */
enum huge_kind {
	HUGE_H,
	HUGE_Z,
	HUGE_B,
	HUGE_D,
	HUGE_JUNK,
	HUGE_TAGS
};

/*
 * Fields over 32 KB are syntax errors (dkim_field.c says why); those
 * below reach libopendkim and fail there.
 */
static const struct huge_case {
	const char *name;
	enum huge_kind kind;
	size_t size;
	enum dkim_verify_status status;
	const char *reason, *detail; /* detail: a part of it, or NULL */
} huge_cases[] = {
	{ "h_of_100_kb_is_syntax_error", HUGE_H, KB100, DKIM_VERIFY_PERMERROR, "syntax error",
	  "over 32768" },
	{ "z_of_100_kb_is_syntax_error", HUGE_Z, KB100, DKIM_VERIFY_PERMERROR, "syntax error",
	  "over 32768" },
	{ "binary_field_of_100_kb_is_syntax_error", HUGE_JUNK, KB100, DKIM_VERIFY_PERMERROR,
	  "syntax error", "over 32768" },
	{ "h_of_30_kb_fails", HUGE_H, KB30, DKIM_VERIFY_FAIL, "signature mismatch", NULL },
	{ "z_of_30_kb_fails", HUGE_Z, KB30, DKIM_VERIFY_FAIL, "signature mismatch", NULL },
	{ "b_of_30_kb_fails", HUGE_B, KB30, DKIM_VERIFY_FAIL, "signature mismatch", NULL },
	{ "d_of_30_kb_is_permerror", HUGE_D, KB30, DKIM_VERIFY_PERMERROR,
	  "identity not in signing domain", NULL },
	{ "key_name_over_253_bytes_has_no_key", HUGE_D, 250, DKIM_VERIFY_PERMERROR, "no key",
	  "name too long" },
	{ "binary_field_of_30_kb_is_syntax_error", HUGE_JUNK, KB30, DKIM_VERIFY_PERMERROR,
	  "syntax error", NULL },
	{ "thousands_of_unknown_tags_fail", HUGE_TAGS, KB30, DKIM_VERIFY_FAIL, "signature mismatch",
	  NULL },
};

/* What make_huge writes for each kind: the tag, its first part, the part repeated. */
static const struct {
	const char *tag, *first, *unit;
} huge_parts[] = {
	[HUGE_H] = { "h", "from", ":x-a" }, [HUGE_Z] = { "z", "", "a|" },
	[HUGE_B] = { "b", "", "QUJDRA==" }, [HUGE_D] = { "d", "rsa.example", ".a.example" },
	[HUGE_JUNK] = { NULL, NULL, NULL }, [HUGE_TAGS] = { NULL, "", NULL },
};

/* Sets out to sig made about size bytes long the way kind says. */
static void make_huge(const struct strbuf *sig, enum huge_kind kind, size_t size,
		      struct strbuf *out)
{
	struct strbuf v = STRBUF_INIT;
	size_t i;

	if (kind == HUGE_JUNK) {
		for (i = 0; i < size; i++)
			strbuf_appendc(out, (char)(1 + i % 255));
		return;
	}
	strbuf_appends(&v, huge_parts[kind].first);
	while (v.len < size) {
		if (kind == HUGE_TAGS)
			strbuf_appendf(&v, "; x%zu=%zu", v.len, v.len);
		else
			strbuf_appends(&v, huge_parts[kind].unit);
	}
	if (kind == HUGE_TAGS)
		edit_tag(sig, NULL, NULL, v.data, out);
	else
		edit_tag(sig, huge_parts[kind].tag, v.data, NULL, out);
	strbuf_free(&v);
}

static void run_huge_case(void **state)
{
	const struct huge_case *c = *state;
	struct strbuf body = STRBUF_INIT, *sigs, two[2] = { STRBUF_INIT, STRBUF_INIT };
	const struct dkim_verify_sig *res;
	struct dkim_verifier *v;
	struct vmsg m = { 0 };
	size_t nsigs, n;

	sample_body(&body);
	vsign(vring, "rsa.example", SAMPLE_HEADERS, &body, &sigs, &nsigs);
	make_huge(&sigs[0], c->kind, c->size, &two[0]);
	two[1] = sigs[0]; /* the good one after it */
	m.sigs = two, m.nsigs = 2, m.h = sample_headers, m.nh = SAMPLE_HEADERS, m.body = &body;
	v = verify_msg(vlib, &m, &res, &n);
	expect_sig(res, n, 2, 0, c->status, c->reason);
	expect_sig(res, n, 2, 1, DKIM_VERIFY_PASS, "signature verified");
	if (c->detail != NULL &&
	    (res[0].detail == NULL || strstr(res[0].detail, c->detail) == NULL))
		fail_msg("detail: got \"%s\", want one with \"%s\"",
			 res[0].detail != NULL ? res[0].detail : "(none)", c->detail);
	if (strlen(res[0].domain) > 255 || strlen(res[0].b_prefix) > 8)
		fail_msg("tag copies: got d= of %zu and b= of %zu bytes, want at most 255 and 8",
			 strlen(res[0].domain), strlen(res[0].b_prefix));
	dkim_verifier_free(v);
	free_sigs(sigs, nsigs);
	strbuf_free(&two[0]);
	strbuf_free(&body);
}

static void junk_in_unsigned_fields_leaves_the_signature_alone(void **state)
{
	static const char *const names[] = {
		"X-Junk", "Bad\001Name", "", " ", "Na me", ":x", "X-\377", "DKIM-Signature\001"
	};
	struct dkim_header h[SAMPLE_HEADERS + ARRAY_SIZE(names)];
	struct strbuf body = STRBUF_INIT, junk = STRBUF_INIT, *sigs;
	const struct dkim_verify_sig *res;
	struct dkim_verifier *v;
	struct vmsg m = { 0 };
	size_t nsigs, n, i;

	(void)state;
	for (i = 1; i < 256; i++)
		strbuf_appendc(&junk, (char)i);
	sample_body(&body);
	vsign(vring, "rsa.example", SAMPLE_HEADERS, &body, &sigs, &nsigs);
	memcpy(h, sample_headers, sizeof sample_headers);
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		h[SAMPLE_HEADERS + i].name = names[i];
		h[SAMPLE_HEADERS + i].value = junk.data;
	}
	m.sigs = sigs, m.nsigs = nsigs, m.h = h, m.nh = ARRAY_SIZE(h), m.body = &body;
	v = verify_msg(vlib, &m, &res, &n);
	expect_sig(res, n, 1, 0, DKIM_VERIFY_PASS, "signature verified");
	dkim_verifier_free(v);
	free_sigs(sigs, nsigs);
	strbuf_free(&junk);
	strbuf_free(&body);
}

static void junk_in_a_signed_field_fails(void **state)
{
	struct dkim_header h[SAMPLE_HEADERS];
	struct strbuf body = STRBUF_INIT, junk = STRBUF_INIT, *sigs;
	const struct dkim_verify_sig *res;
	struct dkim_verifier *v;
	struct vmsg m = { 0 };
	size_t nsigs, n, i;

	(void)state;
	for (i = 1; i < 256; i++)
		strbuf_appendc(&junk, (char)i);
	sample_body(&body);
	vsign(ring, "example.com", SAMPLE_HEADERS, &body, &sigs, &nsigs);
	memcpy(h, sample_headers, sizeof h);
	h[1].value = junk.data;
	m.sigs = sigs, m.nsigs = nsigs, m.h = h, m.nh = SAMPLE_HEADERS, m.body = &body;
	v = verify_msg(vlib, &m, &res, &n);
	expect_all(res, n, 2, DKIM_VERIFY_FAIL, "signature mismatch");
	dkim_verifier_free(v);
	free_sigs(sigs, nsigs);
	strbuf_free(&junk);
	strbuf_free(&body);
}

static void null_names_and_values_are_harmless(void **state)
{
	const struct dkim_verify_sig *res;
	struct dkim_verifier *v = dkim_verifier_new(vlib, "TESTQID", stub_fetch, NULL);

	(void)state;
	assert_int_equal(dkim_verifier_header(v, NULL, "x"), 0);
	assert_int_equal(dkim_verifier_header(v, "Subject", NULL), 0);
	assert_int_equal(dkim_verifier_header(v, "DKIM-Signature", NULL), 0);
	assert_int_equal(dkim_verifier_body(v, NULL, 0), 0);
	if (dkim_verifier_eom(v, &res) != 1 || res[0].status != DKIM_VERIFY_PERMERROR)
		fail_msg("got no permerror for an empty DKIM-Signature, want one");
	dkim_verifier_free(v);
}

/* ---- bodies --------------------------------------------------------------------- */

static void eight_mb_body_with_megabyte_lines_passes(void **state)
{
	struct strbuf body = STRBUF_INIT, *sigs;
	const struct dkim_verify_sig *res;
	struct dkim_verifier *v;
	struct vmsg m = { 0 };
	size_t nsigs, n, i;

	(void)state;
	for (i = 1; i <= 8 * 1024 * 1024; i++) {
		if (i % (1024 * 1024) == 0)
			strbuf_appends(&body, "\r\n");
		else
			strbuf_appendc(&body, (char)('a' + i % 26));
	}
	strbuf_appends(&body, "end\r\n");
	vsign(ring, "example.com", SAMPLE_HEADERS, &body, &sigs, &nsigs);
	m.sigs = sigs, m.nsigs = nsigs, m.h = sample_headers, m.nh = SAMPLE_HEADERS;
	m.body = &body, m.chunk = 65536;
	v = verify_msg(vlib, &m, &res, &n);
	expect_all(res, n, 2, DKIM_VERIFY_PASS, "signature verified");
	dkim_verifier_free(v);
	free_sigs(sigs, nsigs);
	strbuf_free(&body);
}

static void body_fed_a_byte_at_a_time_passes(void **state)
{
	struct strbuf body = STRBUF_INIT, *sigs;
	const struct dkim_verify_sig *res;
	struct dkim_verifier *v;
	struct vmsg m = { 0 };
	size_t nsigs, n;

	(void)state;
	sample_body(&body);
	vsign(ring, "example.com", SAMPLE_HEADERS, &body, &sigs, &nsigs);
	m.sigs = sigs, m.nsigs = nsigs, m.h = sample_headers, m.nh = SAMPLE_HEADERS;
	m.body = &body, m.chunk = 1;
	v = verify_msg(vlib, &m, &res, &n);
	expect_all(res, n, 2, DKIM_VERIFY_PASS, "signature verified");
	dkim_verifier_free(v);
	free_sigs(sigs, nsigs);
	strbuf_free(&body);
}

static void ten_thousand_header_fields_pass(void **state)
{
	struct dkim_header *h = calloc(SAMPLE_HEADERS + 10000, sizeof *h);
	struct strbuf body = STRBUF_INIT, *sigs;
	const struct dkim_verify_sig *res;
	struct dkim_verifier *v;
	struct vmsg m = { 0 };
	size_t nsigs, n, i;

	(void)state;
	assert_non_null(h);
	memcpy(h, sample_headers, sizeof sample_headers);
	for (i = SAMPLE_HEADERS; i < SAMPLE_HEADERS + 10000; i++) {
		h[i].name = i % 2 == 0 ? "Received" : "From";
		h[i].value = "from somewhere by somewhere else";
	}
	strbuf_appends(&body, "x\r\n");
	vsign(vring, "rsa.example", SAMPLE_HEADERS, &body, &sigs, &nsigs);
	m.sigs = sigs, m.nsigs = nsigs, m.h = h, m.nh = SAMPLE_HEADERS + 10000, m.body = &body;
	v = verify_msg(vlib, &m, &res, &n);
	/* From is oversigned: the extra From fields break the signature */
	expect_sig(res, n, 1, 0, DKIM_VERIFY_FAIL, "signature mismatch");
	dkim_verifier_free(v);
	m.nh = SAMPLE_HEADERS + 1; /* one more Received field: not signed */
	h[SAMPLE_HEADERS].name = "Received";
	v = verify_msg(vlib, &m, &res, &n);
	expect_sig(res, n, 1, 0, DKIM_VERIFY_PASS, "signature verified");
	dkim_verifier_free(v);
	free_sigs(sigs, nsigs);
	strbuf_free(&body);
	free(h);
}

static const struct CMUnitTest other_tests[] = {
	cmocka_unit_test(signatures_beyond_the_cap_are_not_evaluated),
	cmocka_unit_test(thousand_good_signatures_give_eight_results),
	cmocka_unit_test(thousand_junk_signatures_give_eight_permerrors_without_lookups),
	cmocka_unit_test(junk_in_unsigned_fields_leaves_the_signature_alone),
	cmocka_unit_test(junk_in_a_signed_field_fails),
	cmocka_unit_test(null_names_and_values_are_harmless),
	cmocka_unit_test(eight_mb_body_with_megabyte_lines_passes),
	cmocka_unit_test(body_fed_a_byte_at_a_time_passes),
	cmocka_unit_test(ten_thousand_header_fields_pass),
};

static struct CMUnitTest row_test(const char *name, CMUnitTestFunction fn, const void *row)
{
	struct CMUnitTest t = { name, fn, NULL, NULL, (void *)row };

	return t;
}

int main(void)
{
	struct CMUnitTest tests[ARRAY_SIZE(huge_cases) + ARRAY_SIZE(other_tests)];
	size_t i, n = 0;

	for (i = 0; i < ARRAY_SIZE(huge_cases); i++)
		tests[n++] = row_test(huge_cases[i].name, run_huge_case, &huge_cases[i]);
	for (i = 0; i < ARRAY_SIZE(other_tests); i++)
		tests[n++] = other_tests[i];
	return cmocka_run_group_tests_name("dkim_verify_hostile", tests, vgroup_setup,
					   vgroup_teardown);
}
