/*
 * test_unsub_token - unit tests for policy/feedback/unsub_token.c: mailto and url
 * unsubscribe tokens round trip for any recipient and account, keep the
 * mailto local part within 64 octets, decode in any case, and refuse
 * forged, altered, swapped (mailto as url and back), foreign-domain and
 * VERP-crossed tokens.
 *
 * Table rows are named after the behaviour they pin down; main() turns
 * every row into its own cmocka test.
 *
 * Diagnostics: a failing case prints "got X, want Y" with bytes outside
 * printable ASCII shown as \xNN.
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

#include "mac.h"
#include "strbuf.h"
#include "unsub_token.h"
#include "verp.h"
#include "tokenfix.h"

/* ---- unsubscribe tokens ------------------------------------------------------------ */

struct unsub_case {
	const char *name;
	const char *domain;
	const char *rcpt;	/* NULL: long_len bytes of local part at example.org */
	size_t long_len;
	const char *account;
	bool mailto_hashed;
	const char *want_domain;
};

static const struct unsub_case unsub_cases[] = {
	{ "unsub_round_trips_short_recipient", "example.com", "bob@example.org", 0, NULL, false,
	  "example.com" },
	{ "unsub_round_trips_recipient_with_account", "Example.COM", "<Bob@Example.org>", 0,
	  "acme", false, "example.com" },
	{ "unsub_round_trips_long_recipient", "example.com",
	  "jonathan.smith-jones@mail.example.org", 0, NULL, true, "example.com" },
	{ "unsub_round_trips_254_byte_recipient", "news.example.com", NULL, 242, "acme-mail_1",
	  true, "news.example.com" },
	{ "unsub_round_trips_quoted_recipient", "example.com", "\"john q. doe\"@example.org", 0,
	  NULL, false, "example.com" },
	{ "unsub_round_trips_utf8_recipient", "b\xc3\xbc" "cher.example",
	  "\xe7\x94\xa8\xe6\x88\xb7@\xe4\xbe\x8b\xe5\xad\x90.\xe5\x85\xac\xe5\x8f\xb8", 0, NULL,
	  false, "xn--bcher-kva.example" },
	{ "unsub_round_trips_longest_mailto_account", "example.com",
	  "jonathan.smith-jones@mail.example.org", 0, "a23456789012345678901", true,
	  "example.com" },
};

/* Checks info against c and the normalised recipient want_rcpt. */
static void unsub_case_check(const struct mac_key *key, const struct unsub_case *c,
			     const struct unsub_info *info, bool hashed, const char *rcpt,
			     const char *want_rcpt)
{
	char a[1024], b[1024];

	if (strcmp(info->domain, c->want_domain) != 0)
		fail_msg("domain: got \"%s\", want \"%s\"", info->domain, c->want_domain);
	if (strcmp(info->account, c->account != NULL ? c->account : "") != 0)
		fail_msg("account: got \"%s\", want \"%s\"", info->account,
			 c->account != NULL ? c->account : "");
	if (info->rcpt_hashed != hashed)
		fail_msg("rcpt_hashed: got %d, want %d", info->rcpt_hashed, hashed);
	if (!hashed && strcmp(strbuf_cstr(&info->rcpt), want_rcpt) != 0)
		fail_msg("recipient: got \"%s\", want \"%s\"",
			 show(strbuf_cstr(&info->rcpt), a, sizeof a), show(want_rcpt, b, sizeof b));
	if (!unsub_rcpt_matches(key, info, rcpt))
		fail_msg("unsub_rcpt_matches(\"%s\"): got false, want true", show(rcpt, a, sizeof a));
	if (unsub_rcpt_matches(key, info, "someone.else@example.org"))
		fail_msg("unsub_rcpt_matches(someone.else@example.org): got true, want false");
}

static void run_unsub_case(void **state)
{
	const struct unsub_case *c = *state;
	struct strbuf mailto = STRBUF_INIT, url = STRBUF_INIT, err = STRBUF_INIT;
	struct strbuf norm = STRBUF_INIT;
	struct mac_key key = test_key(5);
	char *rcpt = c->rcpt != NULL ? strdup(c->rcpt) : long_address(c->long_len, "example.org");
	char *local, *upper;
	struct unsub_info info;
	enum unsub_result r;

	verp_norm_rcpt(rcpt, &norm);
	if (unsub_mailto_make(&key, c->domain, rcpt, c->account, &mailto, &err) != 0 ||
	    unsub_url_make(&key, c->domain, rcpt, c->account, &url, &err) != 0)
		fail_msg("make: got \"%s\", want tokens", strbuf_cstr(&err));
	local = local_of(mailto.data);
	if (strlen(local) > VERP_LOCAL_MAX || strncmp(local, "u-", 2) != 0)
		fail_msg("mailto local part \"%s\": got %zu octets, want u- and at most 64", local,
			 strlen(local));
	expect_token_alphabet("mailto local part", local);
	expect_token_alphabet("url token", url.data);
	upper = recase(mailto.data, false);
	r = unsub_mailto_verify(&key, upper, &info);
	if (r != UNSUB_OK)
		fail_msg("unsub_mailto_verify(\"%s\"): got %s, want ok", upper, unsub_result_name(r));
	unsub_case_check(&key, c, &info, c->mailto_hashed, rcpt, norm.data);
	unsub_info_free(&info);
	free(upper);
	upper = recase(url.data, true);
	r = unsub_url_verify(&key, upper, &info);
	if (r != UNSUB_OK)
		fail_msg("unsub_url_verify(\"%s\"): got %s, want ok", upper, unsub_result_name(r));
	unsub_case_check(&key, c, &info, false, rcpt, norm.data);
	unsub_info_free(&info);
	free(upper);
	free(local);
	free(rcpt);
	strbuf_free(&mailto);
	strbuf_free(&url);
	strbuf_free(&err);
	strbuf_free(&norm);
}

/* Makes both forms for bob@example.org on example.com. */
static void good_unsub(const struct mac_key *key, struct strbuf *mailto, struct strbuf *url)
{
	struct strbuf err = STRBUF_INIT;

	if (unsub_mailto_make(key, "example.com", "bob@example.org", "acme", mailto, &err) != 0 ||
	    unsub_url_make(key, "example.com", "bob@example.org", "acme", url, &err) != 0)
		fail_msg("make: got \"%s\", want tokens", strbuf_cstr(&err));
	strbuf_free(&err);
}

static void unsub_refuses_forms_swapped_and_foreign_domain(void **state)
{
	struct strbuf mailto = STRBUF_INIT, url = STRBUF_INIT, s = STRBUF_INIT;
	struct mac_key key = test_key(5), other = test_key(6);
	char *local;
	struct unsub_info info;
	enum unsub_result r;

	good_unsub(&key, &mailto, &url);
	local = local_of(mailto.data);
	if ((r = unsub_url_verify(&key, local, &info)) != UNSUB_FORGED)
		fail_msg("mailto local part as url token: got %s, want forged", unsub_result_name(r));
	strbuf_appendf(&s, "%s@example.com", url.data);
	if ((r = unsub_mailto_verify(&key, s.data, &info)) != UNSUB_FORGED)
		fail_msg("url token as mailto: got %s, want forged", unsub_result_name(r));
	strbuf_reset(&s);
	strbuf_appendf(&s, "%s@example.net", local);
	if ((r = unsub_mailto_verify(&key, s.data, &info)) != UNSUB_FORGED)
		fail_msg("mailto token on example.net: got %s, want forged", unsub_result_name(r));
	if ((r = unsub_mailto_verify(&other, mailto.data, &info)) != UNSUB_FORGED)
		fail_msg("mailto token under another key: got %s, want forged",
			 unsub_result_name(r));
	if ((r = unsub_url_verify(&other, url.data, &info)) != UNSUB_FORGED)
		fail_msg("url token under another key: got %s, want forged", unsub_result_name(r));
	if (strbuf_cstr(&info.rcpt)[0] != '\0' || info.domain[0] != '\0')
		fail_msg("refused token: got info filled, want it empty");
	unsub_info_free(&info);
	free(local);
	strbuf_free(&mailto);
	strbuf_free(&url);
	strbuf_free(&s);
}

static void unsub_refuses_every_one_character_change(void **state)
{
	static const char chars[] = "abcdefghijklmnopqrstuvwxyz234567-0189%=+/._@";
	struct strbuf mailto = STRBUF_INIT, url = STRBUF_INIT;
	struct mac_key key = test_key(5);
	struct unsub_info info;
	size_t i, j, n;

	good_unsub(&key, &mailto, &url);
	n = mailto.len - strlen("@example.com");
	for (i = 0; i < url.len || i < n; i++) {
		for (j = 0; j < sizeof chars - 1; j++) {
			if (i < url.len && chars[j] != url.data[i]) {
				char orig = url.data[i];

				url.data[i] = chars[j];
				if (unsub_url_verify(&key, url.data, &info) == UNSUB_OK)
					fail_msg("url token \"%s\": got ok, want refused", url.data);
				unsub_info_free(&info);
				url.data[i] = orig;
			}
			if (i < n && chars[j] != mailto.data[i]) {
				char orig = mailto.data[i];

				mailto.data[i] = chars[j];
				if (unsub_mailto_verify(&key, mailto.data, &info) == UNSUB_OK)
					fail_msg("mailto \"%s\": got ok, want refused", mailto.data);
				unsub_info_free(&info);
				mailto.data[i] = orig;
			}
		}
	}
	assert_int_equal(unsub_url_verify(&key, url.data, &info), UNSUB_OK);
	unsub_info_free(&info);
	assert_int_equal(unsub_mailto_verify(&key, mailto.data, &info), UNSUB_OK);
	unsub_info_free(&info);
	strbuf_free(&mailto);
	strbuf_free(&url);
}

static void unsub_and_verp_tokens_do_not_cross(void **state)
{
	struct strbuf mailto = STRBUF_INIT, url = STRBUF_INIT, b = STRBUF_INIT;
	struct mac_key key = test_key(5);
	char *verp = good_verp(&key, "bob@example.org");
	struct unsub_info uinfo;
	struct verp_info vinfo;
	enum unsub_result ur;
	enum verp_result vr;

	good_unsub(&key, &mailto, &url);
	if ((ur = unsub_mailto_verify(&key, verp, &uinfo)) != UNSUB_NOT_TOKEN)
		fail_msg("VERP address as unsubscribe: got %s, want not a token",
			 unsub_result_name(ur));
	if ((vr = verp_decode(&key, mailto.data, &vinfo)) != VERP_NOT_VERP)
		fail_msg("unsubscribe address as VERP: got %s, want not VERP", verp_result_name(vr));
	/* the same sealed bytes under the other prefix */
	strbuf_appendf(&b, "b%s", mailto.data + 1);
	if ((vr = verp_decode(&key, b.data, &vinfo)) == VERP_OK)
		fail_msg("unsubscribe token re-prefixed as VERP: got ok, want refused");
	unsub_info_free(&uinfo);
	free(verp);
	strbuf_free(&mailto);
	strbuf_free(&url);
	strbuf_free(&b);
}

struct unsub_bad_case {
	const char *name;
	bool url;
	const char *in;
	enum unsub_result want;
};

static const struct unsub_bad_case unsub_bad_cases[] = {
	{ "unsub_mailto_ignores_null_path", false, "<>", UNSUB_NOT_TOKEN },
	{ "unsub_mailto_ignores_ordinary_address", false, "unsubscribe@example.com",
	  UNSUB_NOT_TOKEN },
	{ "unsub_mailto_refuses_prefix_only", false, "u-@example.com", UNSUB_MALFORMED },
	{ "unsub_mailto_refuses_bad_domain", false, "u-cfaq-abcdefghij@example", UNSUB_MALFORMED },
	{ "unsub_mailto_calls_unverified_token_forged", false, "u-cfaq-abcdefghij@example.com",
	  UNSUB_FORGED },
	{ "unsub_url_ignores_empty_token", true, "", UNSUB_NOT_TOKEN },
	{ "unsub_url_ignores_other_text", true, "unsubscribe", UNSUB_NOT_TOKEN },
	{ "unsub_url_refuses_url_escapes", true, "u-cfaq%2D-abcdefghij", UNSUB_MALFORMED },
	{ "unsub_url_refuses_trailing_garbage", true, "u-cfaq-abcdefghij&x=1", UNSUB_MALFORMED },
	{ "unsub_url_refuses_impossible_length", true, "u-cfa-abcdefghij", UNSUB_MALFORMED },
	{ "unsub_url_calls_unverified_token_forged", true, "u-cfaq-abcdefghij", UNSUB_FORGED },
};

static void run_unsub_bad_case(void **state)
{
	const struct unsub_bad_case *c = *state;
	struct mac_key key = test_key(5);
	struct unsub_info info;
	enum unsub_result r = c->url ? unsub_url_verify(&key, c->in, &info)
				     : unsub_mailto_verify(&key, c->in, &info);

	if (r != c->want)
		fail_msg("verify(\"%s\"): got %s, want %s", c->in, unsub_result_name(r),
			 unsub_result_name(c->want));
	unsub_info_free(&info);
}

struct unsub_err_case {
	const char *name;
	bool url;
	const char *domain;
	const char *rcpt;	/* NULL: 1025 bytes */
	const char *account;
	const char *want;
};

static const struct unsub_err_case unsub_err_cases[] = {
	{ "unsub_make_refuses_bad_domain", false, "exa mple.com", "a@b.example", NULL,
	  "sender domain \"exa mple.com\" is not a valid domain name" },
	{ "unsub_make_refuses_missing_recipient", true, "example.com", "", NULL, "no recipient" },
	{ "unsub_make_refuses_null_recipient", false, "example.com", "<>", NULL,
	  "no recipient" },
	{ "unsub_make_refuses_huge_recipient", true, "example.com", NULL, NULL,
	  "recipient of 1025 bytes is too long (at most 1024)" },
	{ "unsub_make_refuses_bad_account", true, "example.com", "a@b.example", "acme corp",
	  "account name \"acme corp\" is not valid" },
	{ "unsub_mailto_refuses_long_account", false, "example.com", "a@b.example",
	  "a234567890123456789012", "account name of 22 bytes is too long for a mailto token "
				    "(at most 21)" },
};

static void run_unsub_err_case(void **state)
{
	const struct unsub_err_case *c = *state;
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
	struct mac_key key = test_key(5);
	char *rcpt = c->rcpt != NULL ? strdup(c->rcpt) : long_address(1025 - 12, "example.org");
	int rc;

	strbuf_appends(&out, "keep");
	rc = c->url ? unsub_url_make(&key, c->domain, rcpt, c->account, &out, &err)
		    : unsub_mailto_make(&key, c->domain, rcpt, c->account, &out, &err);
	if (rc != -1 || strcmp(strbuf_cstr(&err), c->want) != 0)
		fail_msg("make: got %d \"%s\", want -1 \"%s\"", rc, strbuf_cstr(&err), c->want);
	if (strcmp(out.data, "keep") != 0)
		fail_msg("out: got \"%s\", want it unchanged", out.data);
	free(rcpt);
	strbuf_free(&out);
	strbuf_free(&err);
}

static void unsub_url_accepts_long_account_and_gives_same_token_for_any_case(void **state)
{
	static const char acct[] = "a234567890123456789012345678901234567890123456789012345678901234";
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT, err = STRBUF_INIT;
	struct mac_key key = test_key(5);
	struct unsub_info info;

	if (unsub_url_make(&key, "example.com", "Bob@Example.ORG", acct, &a, &err) != 0 ||
	    unsub_url_make(&key, "EXAMPLE.com", "<bob@example.org>", acct, &b, &err) != 0)
		fail_msg("make: got \"%s\", want tokens", strbuf_cstr(&err));
	if (strcmp(a.data, b.data) != 0)
		fail_msg("got \"%s\" and \"%s\", want one token for both spellings", a.data, b.data);
	if (unsub_url_verify(&key, a.data, &info) != UNSUB_OK || strcmp(info.account, acct) != 0)
		fail_msg("account: got \"%s\", want the 64-byte name", info.account);
	unsub_info_free(&info);
	unsub_info_free(NULL);
	strbuf_free(&a);
	strbuf_free(&b);
	strbuf_free(&err);
}

static const struct CMUnitTest other_tests[] = {
	cmocka_unit_test(unsub_refuses_forms_swapped_and_foreign_domain),
	cmocka_unit_test(unsub_refuses_every_one_character_change),
	cmocka_unit_test(unsub_and_verp_tokens_do_not_cross),
	cmocka_unit_test(unsub_url_accepts_long_account_and_gives_same_token_for_any_case),
};

static struct CMUnitTest row_test(const char *name, CMUnitTestFunction fn, const void *row)
{
	struct CMUnitTest t = { name, fn, NULL, NULL, (void *)row };

	return t;
}

int main(void)
{
	struct CMUnitTest tests[ARRAY_SIZE(unsub_cases) + ARRAY_SIZE(unsub_bad_cases) +
			       ARRAY_SIZE(unsub_err_cases) + ARRAY_SIZE(other_tests)];
	size_t i, n = 0;

	for (i = 0; i < ARRAY_SIZE(unsub_cases); i++)
		tests[n++] = row_test(unsub_cases[i].name, run_unsub_case, &unsub_cases[i]);
	for (i = 0; i < ARRAY_SIZE(unsub_bad_cases); i++)
		tests[n++] = row_test(unsub_bad_cases[i].name, run_unsub_bad_case,
				      &unsub_bad_cases[i]);
	for (i = 0; i < ARRAY_SIZE(unsub_err_cases); i++)
		tests[n++] = row_test(unsub_err_cases[i].name, run_unsub_err_case,
				      &unsub_err_cases[i]);
	for (i = 0; i < ARRAY_SIZE(other_tests); i++)
		tests[n++] = other_tests[i];
	return cmocka_run_group_tests_name("unsub_token", tests, NULL, NULL);
}
