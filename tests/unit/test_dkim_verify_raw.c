/*
 * test_dkim_verify_raw - header fields are verified exactly as received:
 * python3-dkim signs a message whose Subject is written with no blank,
 * one blank, two blanks or a tab after the colon, and the verifier is
 * fed the fields as an MTA hands them over with SMFIP_HDR_LEADSPC, as
 * delivered (maybe with other blanks than were signed).  Under simple
 * header canonicalisation every blank counts; under relaxed none does.
 *
 * Diagnostics: a failing case prints "got X, want Y" with the result's
 * status, reason and detail.
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

#include "dkim_verify.h"
#include "dkimfix.h"
#include "dkimvfix.h"
#include "strbuf.h"
#include "testutil.h"

/* A case: Subject's value after the colon as signed and as delivered. */
static const struct raw_case {
	const char *name;
	const char *canon; /* python3-dkim's c= */
	const char *signed_as, *delivered_as;
	enum dkim_verify_status status;
	const char *reason;
} raw_cases[] = {
	{ "simple_subject_without_blank_passes", "simple/simple", "x", "x", DKIM_VERIFY_PASS,
	  "signature verified" },
	{ "simple_subject_with_one_blank_passes", "simple/simple", " x", " x", DKIM_VERIFY_PASS,
	  "signature verified" },
	{ "simple_subject_with_a_tab_passes", "simple/simple", "\tx", "\tx", DKIM_VERIFY_PASS,
	  "signature verified" },
	{ "simple_subject_with_blank_and_tab_passes", "simple/simple", " \t x", " \t x",
	  DKIM_VERIFY_PASS, "signature verified" },
	{ "simple_subject_given_a_second_blank_fails", "simple/simple", " x", "  x",
	  DKIM_VERIFY_FAIL, "signature mismatch" },
	{ "simple_subject_losing_its_blank_fails", "simple/simple", " x", "x", DKIM_VERIFY_FAIL,
	  "signature mismatch" },
	{ "simple_subject_given_a_blank_fails", "simple/simple", "x", " x", DKIM_VERIFY_FAIL,
	  "signature mismatch" },
	{ "simple_subject_tab_made_blank_fails", "simple/simple", "\tx", " x", DKIM_VERIFY_FAIL,
	  "signature mismatch" },
	{ "relaxed_subject_given_a_second_blank_passes", "relaxed/simple", " x", "  x",
	  DKIM_VERIFY_PASS, "signature verified" },
	{ "relaxed_subject_without_blank_passes", "relaxed/simple", " x", "x", DKIM_VERIFY_PASS,
	  "signature verified" },
};

/* Writes "From: ...", "To: ...", "Subject:" subject, "Date: ..." and body; returns the path. */
static char *write_raw(const char *subject, const struct strbuf *body)
{
	static unsigned n;
	struct strbuf path = STRBUF_INIT;
	FILE *fp;

	strbuf_appendf(&path, "%s/raw%u.eml", tmpdir, __atomic_add_fetch(&n, 1, __ATOMIC_SEQ_CST));
	fp = fopen(strbuf_cstr(&path), "wb");
	assert_non_null(fp);
	fprintf(fp, "From: %s\r\nTo: %s\r\nSubject:%s\r\nDate: %s\r\n\r\n", sample_headers[0].value,
		sample_headers[1].value, subject, sample_headers[3].value);
	fwrite(strbuf_cstr(body), 1, body->len, fp);
	fclose(fp);
	return strbuf_detach(&path);
}

static void run_raw_case(void **state)
{
	const struct raw_case *c = *state;
	const struct py_sig ps = { PEM_RSA2048, "py", c->canon, "rsa-sha256", false, NULL };
	struct strbuf body = STRBUF_INIT, sig = STRBUF_INIT, sigv = STRBUF_INIT;
	struct dkim_header h[4];
	const struct dkim_verify_sig *res;
	struct dkim_verifier *v;
	struct vmsg m = { 0 };
	char *file;
	size_t n, lf;

	strbuf_appends(&body, "Hello\r\n");
	file = write_raw(c->signed_as, &body);
	python_sign_file(&ps, file, &sig);
	strbuf_appendc(&sigv, ' '); /* python3-dkim writes "DKIM-Signature: " */
	strbuf_appends(&sigv, strbuf_cstr(&sig));
	h[0].name = "From", h[0].value = " \"Alice Example\" <alice@example.com>";
	h[1].name = "To", h[1].value = " bob@example.org";
	h[2].name = "Subject", h[2].value = c->delivered_as;
	h[3].name = "Date", h[3].value = " Mon, 1 Jan 2024 10:00:00 +0000";
	m.sigs = &sigv, m.nsigs = 1, m.h = h, m.nh = 4, m.body = &body, m.raw = true;
	for (lf = 0; lf < 2; lf++) {
		m.lf = lf != 0;
		v = verify_msg(vlib, &m, &res, &n);
		expect_sig(res, n, 1, 0, c->status, c->reason);
		dkim_verifier_free(v);
	}
	free(file);
	strbuf_free(&sig);
	strbuf_free(&sigv);
	strbuf_free(&body);
}

static struct CMUnitTest row_test(const char *name, CMUnitTestFunction fn, const void *row)
{
	struct CMUnitTest t = { name, fn, NULL, NULL, (void *)row };

	return t;
}

int main(void)
{
	struct CMUnitTest tests[ARRAY_SIZE(raw_cases)];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(raw_cases); i++)
		tests[i] = row_test(raw_cases[i].name, run_raw_case, &raw_cases[i]);
	return cmocka_run_group_tests_name("dkim_verify_raw", tests, vgroup_setup,
					   vgroup_teardown);
}
