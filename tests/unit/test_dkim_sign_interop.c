/*
 * test_dkim_sign_interop - the signer of policy/signing/dkim_sign.c
 * against two independent verifiers: python3-dkim (on the message file
 * as the MTA delivers it) and libopendkim through the project's own
 * verifier, policy/auth/dkim_verify.c (fed as a milter feeds it, headers
 * folded with CRLF and again with LF, the body in odd chunks).  Each row
 * is a message shaped the way real mail strains a canonicaliser: an empty
 * body, a body without a final line end, long folded fields, 8-bit UTF-8
 * fields, many fields (h= folds), duplicate fields, trailing white space
 * and empty lines, a 1 MB body.  Every message gets an RSA and an Ed25519
 * signature (RFC 8463) with the same bh= (the body is hashed once).
 *
 * Without python3-dkim the python half of a row is skipped; the
 * libopendkim half always runs.
 *
 * Diagnostics: "ROW: got X, want Y" with the verifier's reason.
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
#include "tabletest.h"
#include "testutil.h"

#define MAX_FIELDS 48

enum body_kind {
	BODY_EMPTY,
	BODY_NO_FINAL_CRLF,
	BODY_SAMPLE,		/* trailing WSP, long line, empty lines at the end */
	BODY_ONLY_EMPTY_LINES,
	BODY_UTF8,
	BODY_1MB,
};

struct interop_case {
	const char *name;
	struct dkim_header h[MAX_FIELDS];	/* ends at a NULL name */
	enum body_kind body;
	size_t many;		/* this many "To" fields added after h */
};

#define BASIC_FROM { "From", "\"Alice Example\" <alice@example.com>" }
#define BASIC_TO { "To", "bob@example.org" }
#define BASIC_DATE { "Date", "Mon, 1 Jan 2024 10:00:00 +0000" }

static const struct interop_case cases[] = {
	{ "empty_body_verifies_with_both",
	  { BASIC_FROM, BASIC_TO, { "Subject", "empty" }, BASIC_DATE }, BODY_EMPTY, 0 },
	{ "body_of_only_empty_lines_verifies_with_both",
	  { BASIC_FROM, BASIC_TO, { "Subject", "blank" } }, BODY_ONLY_EMPTY_LINES, 0 },
	{ "body_without_final_crlf_verifies_with_both",
	  { BASIC_FROM, BASIC_TO, { "Subject", "no line end" } }, BODY_NO_FINAL_CRLF, 0 },
	{ "sample_body_with_trailing_wsp_verifies_with_both",
	  { BASIC_FROM, BASIC_TO, { "Subject", "sample" }, BASIC_DATE,
	    { "Message-ID", "<s@example.com>" }, { "X-Mailer", "unsigned" } },
	  BODY_SAMPLE, 0 },
	{ "long_folded_fields_verify_with_both",
	  { BASIC_FROM,
	    { "To", "first recipient <one@example.org>,\r\n\tsecond recipient "
		    "<two@example.org>,\r\n third <three@example.org>" },
	    { "Subject", "A subject that goes on and on   and on, long enough to be "
			 "folded\r\n\tonto a second line\r\n\t  and a third one with  odd   "
			 "spacing \t " },
	    { "Content-Type", "multipart/alternative;\r\n\tboundary=\"=_a_boundary_"
			      "long_enough_to_matter_0123456789\"" },
	    { "List-Unsubscribe", "<https://example.com/unsubscribe/aVeryLongTokenThatGoes"
				  "OnAndOnAndOn0123456789abcdef>,\r\n <mailto:unsub@example.com>" },
	    { "List-Unsubscribe-Post", "List-Unsubscribe=One-Click" } },
	  BODY_SAMPLE, 0 },
	{ "utf8_fields_verify_with_both",
	  { { "From", "\"J\xc3\xbcrgen M\xc3\xbcller\" <juergen@example.com>" },
	    { "To", "\xe5\xb1\xb1\xe7\x94\xb0 <yamada@example.org>" },
	    { "Subject", "Gr\xc3\xbc\xc3\x9f""e \xe2\x80\x94 caf\xc3\xa9 \xf0\x9f\x98\x80" },
	    { "Content-Type", "text/plain; charset=utf-8" },
	    { "Content-Transfer-Encoding", "8bit" } },
	  BODY_UTF8, 0 },
	{ "many_fields_fold_h_and_verify_with_both",
	  { BASIC_FROM, { "Cc", "" }, { "Reply-To", "replies@example.com" },
	    { "Subject", "many" }, BASIC_DATE, { "Message-ID", "<m@example.com>" },
	    { "MIME-Version", "1.0" }, { "Content-Type", "text/plain" },
	    { "Content-Transfer-Encoding", "7bit" }, { "X-One", "1" }, { "X-Two", "2" } },
	  BODY_SAMPLE, 30 },
	{ "duplicate_fields_verify_with_both",
	  { BASIC_FROM, { "Subject", "first subject" }, BASIC_TO,
	    { "subject", "second subject, lower-case name" }, { "TO", "again@example.org" },
	    { "Received", "by a relay" }, { "Received", "by another" } },
	  BODY_SAMPLE, 0 },
	{ "large_body_verifies_with_both",
	  { BASIC_FROM, BASIC_TO, { "Subject", "a megabyte" } }, BODY_1MB, 0 },
};

/* The body of kind k. */
static void make_body(enum body_kind k, struct strbuf *b)
{
	size_t i;

	switch (k) {
	case BODY_EMPTY:
		break;
	case BODY_NO_FINAL_CRLF:
		strbuf_appends(b, "first line\r\nlast line, no line end");
		break;
	case BODY_SAMPLE:
		sample_body(b);
		break;
	case BODY_ONLY_EMPTY_LINES:
		strbuf_appends(b, "\r\n\r\n  \r\n\r\n");
		break;
	case BODY_UTF8:
		strbuf_appends(b, "Gr\xc3\xbc\xc3\x9f""e  \t aus K\xc3\xb6ln \r\n\r\n\xe2\x82\xac 5\r\n");
		break;
	case BODY_1MB:
		for (i = 0; b->len < 1024 * 1024; i++)
			strbuf_appendf(b, "line %zu with  some   spaces \t and text to fill "
					  "the megabyte up\r\n%s", i, i % 50 == 0 ? "\r\n" : "");
		break;
	}
}

/* The fields of c: its table, then c->many To fields.  Caller frees. */
static struct dkim_header *make_fields(const struct interop_case *c, size_t *n,
				       struct strbuf *names)
{
	struct dkim_header *h = calloc(MAX_FIELDS + c->many, sizeof *h);
	size_t i;

	assert_non_null(h);
	for (*n = 0; *n < MAX_FIELDS && c->h[*n].name != NULL; (*n)++)
		h[*n] = c->h[*n];
	for (i = 0; i < c->many; i++)
		strbuf_appendf(&names[i], "rcpt%zu@example.org", i);
	for (i = 0; i < c->many; i++) {
		h[*n].name = "To";
		h[(*n)++].value = strbuf_cstr(&names[i]);
	}
	return h;
}

/* Feeds the message to libopendkim (folding as lf says); both must pass. */
static void expect_libopendkim_pass(const struct strbuf *sigs, size_t nsigs,
				    const struct dkim_header *h, size_t nh,
				    const struct strbuf *body, bool lf)
{
	struct vmsg m = { sigs, nsigs, h, nh, body, lf ? 1000 : 0, lf, false };
	const struct dkim_verify_sig *res;
	struct dkim_verifier *v;
	size_t n, i;

	v = verify_msg(vlib, &m, &res, &n);
	for (i = 0; i < nsigs; i++)
		expect_sig(res, n, nsigs, i, DKIM_VERIFY_PASS, "signature verified");
	dkim_verifier_free(v);
}

static void run_case(void **state)
{
	const struct interop_case *c = *state;
	struct strbuf body = STRBUF_INIT, *sigs, names[64];
	struct dkim_header *h;
	size_t nh, nsigs, i;
	char *bh0, *bh1, *file;

	for (i = 0; i < 64; i++)
		strbuf_init(&names[i]);
	assert_true(c->many <= 64);
	h = make_fields(c, &nh, names);
	make_body(c->body, &body);
	sign_sample(ring, "example.com", h, nh, &body, &sigs, &nsigs);
	assert_int_equal(nsigs, 2);
	expect_tag(&sigs[0], "a", "rsa-sha256");
	expect_tag(&sigs[1], "a", "ed25519-sha256");
	bh0 = sig_tag(&sigs[0], "bh");
	bh1 = sig_tag(&sigs[1], "bh");
	if (strcmp(bh0, bh1) != 0)
		fail_msg("bh=: got %s and %s, want one body hash for both", bh0, bh1);
	expect_libopendkim_pass(sigs, nsigs, h, nh, &body, false);
	expect_libopendkim_pass(sigs, nsigs, h, nh, &body, true);
	file = write_message(sigs, nsigs, h, nh, &body);
	expect_verify(&file, 1, 2, true);
	free(file);
	free(bh0);
	free(bh1);
	free_sigs(sigs, nsigs);
	free(h);
	for (i = 0; i < 64; i++)
		strbuf_free(&names[i]);
	strbuf_free(&body);
}

/* A signature is no more than a signature: the sample's shape, pinned. */
static void field_has_libopendkim_tags_in_order(void **state)
{
	static const char *const tags[] = { "v=", "a=", "c=", "d=", "s=", "t=", "bh=", "h=", "b=" };
	struct strbuf body = STRBUF_INIT, *sigs;
	const char *p, *prev;
	size_t nsigs, i, j;

	(void)state;
	sample_body(&body);
	sign_sample(ring, "example.com", sample_headers, SAMPLE_HEADERS, &body, &sigs, &nsigs);
	for (i = 0; i < nsigs; i++) {
		prev = sigs[i].data;
		if (strncmp(prev, "v=1; a=", 7) != 0)
			fail_msg("signature %zu: got \"%.20s\", want it to start \"v=1; a=\"", i, prev);
		for (j = 1; j < ARRAY_SIZE(tags); j++) {
			p = strstr(prev, tags[j]);
			if (p == NULL)
				fail_msg("signature %zu: got no %s after %s", i, tags[j], tags[j - 1]);
			prev = p;
		}
		for (p = sigs[i].data; (p = strstr(p, "\r\n")) != NULL; p += 2)
			if (p[2] != '\t')
				fail_msg("signature %zu: got a line end not followed by TAB", i);
	}
	free_sigs(sigs, nsigs);
	strbuf_free(&body);
}

int main(void)
{
	struct CMUnitTest tests[ARRAY_SIZE(cases) + 1];

	TABLE_TESTS(tests, cases, ARRAY_SIZE(cases), run_case);
	tests[ARRAY_SIZE(cases)] = (struct CMUnitTest)cmocka_unit_test(
		field_has_libopendkim_tags_in_order);
	return cmocka_run_group_tests_name("dkim_sign_interop", tests, vgroup_setup,
					   vgroup_teardown);
}
