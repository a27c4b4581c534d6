/*
 * test_verp - unit tests for policy/feedback/verp.c: VERP addresses round trip for
 * any recipient (quoted, blanks, UTF-8, 254 bytes), stay within 64 octets,
 * decode whatever case an MTA gives them, and refuse forged, altered,
 * foreign-domain and garbage addresses.
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
#include "verp.h"
#include "tokenfix.h"

/* ---- VERP round trips --------------------------------------------------------- */

struct verp_case {
	const char *name;
	const char *domain;
	const char *msgid;
	const char *rcpt;	/* NULL: long_len bytes of local part at example.org */
	size_t long_len;
	enum verp_rcpt_form form;
	const char *want_domain;
	const char *want_rcpt;	/* the normalised recipient that must match */
};

static const struct verp_case verp_cases[] = {
	{ "keeps_short_recipient_inline", "example.com", "4Yx2kT0pQz", "bob@example.org", 0,
	  VERP_RCPT_INLINE, "example.com", "bob@example.org" },
	{ "lowercases_recipient_before_sealing", "example.com", "Q1", "<Bob@Example.ORG>", 0,
	  VERP_RCPT_INLINE, "example.com", "bob@example.org" },
	{ "hashes_recipient_that_does_not_fit", "example.com", "4Yx2kT0pQz",
	  "jonathan.smith-jones@mail.example.org", 0, VERP_RCPT_HASHED, "example.com",
	  "jonathan.smith-jones@mail.example.org" },
	{ "hashes_254_byte_recipient", "example.com", "4Yx2kT0pQz", NULL, 242, VERP_RCPT_HASHED,
	  "example.com", NULL },
	{ "hashes_quoted_local_part_with_blanks", "example.com", "ABC123",
	  "\"john q. doe\"@example.org", 0, VERP_RCPT_HASHED, "example.com",
	  "\"john q. doe\"@example.org" },
	{ "keeps_short_quoted_local_part_inline", "example.com", "ABC123", "\"a b\"@ex.org", 0,
	  VERP_RCPT_INLINE, "example.com", "\"a b\"@ex.org" },
	{ "keeps_utf8_local_part_inline", "example.com", "m1", "j\xc3\xb6rg@ex.de", 0,
	  VERP_RCPT_INLINE, "example.com", "j\xc3\xb6rg@ex.de" },
	{ "hashes_long_utf8_recipient", "example.com", "m1",
	  "\xe7\x94\xa8\xe6\x88\xb7\xe5\x90\x8d\xe5\xad\x97\xe6\xb5\x8b\xe8\xaf\x95@"
	  "\xe4\xbe\x8b\xe5\xad\x90.\xe5\x85\xac\xe5\x8f\xb8", 0, VERP_RCPT_HASHED,
	  "example.com",
	  "\xe7\x94\xa8\xe6\x88\xb7\xe5\x90\x8d\xe5\xad\x97\xe6\xb5\x8b\xe8\xaf\x95@"
	  "\xe4\xbe\x8b\xe5\xad\x90.\xe5\x85\xac\xe5\x8f\xb8" },
	{ "names_message_only_without_recipient", "example.com", "4Yx2kT0pQz", "", 0,
	  VERP_RCPT_NONE, "example.com", NULL },
	{ "names_message_only_for_null_path", "example.com", "4Yx2kT0pQz", "<>", 0,
	  VERP_RCPT_NONE, "example.com", NULL },
	{ "normalises_sender_domain", "Mail.EXAMPLE.com.", "q", "x@y.example", 0,
	  VERP_RCPT_INLINE, "mail.example.com", "x@y.example" },
	{ "turns_utf8_sender_domain_into_a_label", "B\xc3\xbc" "cher.example", "q", "x@y.example",
	  0, VERP_RCPT_INLINE, "xn--bcher-kva.example", "x@y.example" },
	{ "carries_20_byte_message_id", "example.com", "01234567890123456789", "a@b.io", 0,
	  VERP_RCPT_INLINE, "example.com", "a@b.io" },
	{ "carries_message_id_of_any_bytes", "example.com", "<id@\"x y\"\xff>", "a@b.example",
	  0, VERP_RCPT_INLINE, "example.com", "a@b.example" },
	{ "hashes_recipient_beside_longest_message_id", "example.com",
	  "01234567890123456789", "ab@cd.example", 0, VERP_RCPT_HASHED, "example.com",
	  "ab@cd.example" },
};

/* Encodes c's data, returns the address; fails the test on error. */
static char *verp_case_encode(const struct mac_key *key, const struct verp_case *c,
			      char **rcpt_out, enum verp_rcpt_form *form)
{
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
	char *rcpt = c->rcpt != NULL ? strdup(c->rcpt) : long_address(c->long_len, "example.org");

	if (verp_encode(key, c->domain, c->msgid, rcpt, &out, form, &err) != 0)
		fail_msg("verp_encode: got error \"%s\", want an address", strbuf_cstr(&err));
	strbuf_free(&err);
	*rcpt_out = rcpt;
	return strbuf_detach(&out);
}

/* Decodes addr and checks it against c; r is the expected result. */
static void verp_case_check(const struct mac_key *key, const struct verp_case *c,
			    const char *addr, const char *rcpt)
{
	struct verp_info info;
	enum verp_result r = verp_decode(key, addr, &info);
	char a[1024], b[1024];

	if (r != VERP_OK)
		fail_msg("verp_decode(\"%s\"): got %s, want ok", show(addr, a, sizeof a),
			 verp_result_name(r));
	if (strcmp(info.msgid, c->msgid) != 0)
		fail_msg("message id: got \"%s\", want \"%s\"", show(info.msgid, a, sizeof a),
			 show(c->msgid, b, sizeof b));
	if (strcmp(info.domain, c->want_domain) != 0)
		fail_msg("domain: got \"%s\", want \"%s\"", info.domain, c->want_domain);
	if (info.form != c->form)
		fail_msg("form: got %d, want %d", info.form, c->form);
	if (c->form == VERP_RCPT_INLINE && strcmp(info.rcpt, c->want_rcpt) != 0)
		fail_msg("recipient: got \"%s\", want \"%s\"", show(info.rcpt, a, sizeof a),
			 show(c->want_rcpt, b, sizeof b));
	if (c->form != VERP_RCPT_INLINE && info.rcpt[0] != '\0')
		fail_msg("recipient: got \"%s\", want \"\"", show(info.rcpt, a, sizeof a));
	if (c->form != VERP_RCPT_NONE && !verp_rcpt_matches(key, &info, rcpt))
		fail_msg("verp_rcpt_matches(\"%s\"): got false, want true", show(rcpt, a, sizeof a));
	if (c->want_rcpt != NULL && !verp_rcpt_matches(key, &info, c->want_rcpt))
		fail_msg("verp_rcpt_matches(\"%s\"): got false, want true",
			 show(c->want_rcpt, a, sizeof a));
	if (verp_rcpt_matches(key, &info, "someone.else@example.org"))
		fail_msg("verp_rcpt_matches(someone.else@example.org): got true, want false");
}

static void run_verp_case(void **state)
{
	const struct verp_case *c = *state;
	struct mac_key key = test_key(1);
	enum verp_rcpt_form form = (enum verp_rcpt_form)-1;
	char *rcpt, *addr = verp_case_encode(&key, c, &rcpt, &form), *local = local_of(addr);
	char *upper = recase(addr, false), *mixed = recase(addr, true), a[1024];
	struct strbuf bracketed = STRBUF_INIT, want_tail = STRBUF_INIT;

	if (form != c->form)
		fail_msg("verp_encode form: got %d, want %d", form, c->form);
	if (strlen(local) > VERP_LOCAL_MAX)
		fail_msg("local part \"%s\": got %zu octets, want at most %d", local,
			 strlen(local), VERP_LOCAL_MAX);
	if (strncmp(local, "b-", 2) != 0)
		fail_msg("local part \"%s\": got no b- prefix, want one", local);
	expect_token_alphabet("local part", local);
	strbuf_appendf(&want_tail, "@%s", c->want_domain);
	if (strcmp(addr + strlen(local), want_tail.data) != 0)
		fail_msg("address \"%s\": got domain \"%s\", want \"%s\"", show(addr, a, sizeof a),
			 addr + strlen(local), want_tail.data);
	verp_case_check(&key, c, addr, rcpt);
	verp_case_check(&key, c, upper, rcpt);
	verp_case_check(&key, c, mixed, rcpt);
	strbuf_appendf(&bracketed, " <%s.> ", addr);
	verp_case_check(&key, c, bracketed.data, rcpt);
	free(rcpt);
	free(addr);
	free(local);
	free(upper);
	free(mixed);
	strbuf_free(&bracketed);
	strbuf_free(&want_tail);
}

/* ---- VERP refusals -------------------------------------------------------------- */

static void verp_refuses_foreign_domain(void **state)
{
	struct mac_key key = test_key(1);
	char *addr = good_verp(&key, "bob@example.org"), *local = local_of(addr);
	const char *domains[] = { "example.net", "mail.example.com", "example.com.evil.test",
				  "xample.com" };
	struct verp_info info;
	size_t i;

	for (i = 0; i < ARRAY_SIZE(domains); i++) {
		struct strbuf moved = STRBUF_INIT;
		enum verp_result r;

		strbuf_appendf(&moved, "%s@%s", local, domains[i]);
		r = verp_decode(&key, moved.data, &info);
		if (r != VERP_FORGED)
			fail_msg("\"%s\": got %s, want forged", moved.data, verp_result_name(r));
		if (info.msgid[0] != '\0' || info.form != VERP_RCPT_NONE)
			fail_msg("\"%s\": got info filled, want it zeroed", moved.data);
		strbuf_free(&moved);
	}
	free(addr);
	free(local);
}

static void verp_refuses_other_key(void **state)
{
	struct mac_key key = test_key(1), other = test_key(2);
	char *addr = good_verp(&key, "bob@example.org");
	struct verp_info info;
	enum verp_result r = verp_decode(&other, addr, &info);

	if (r != VERP_FORGED)
		fail_msg("\"%s\" under another key: got %s, want forged", addr, verp_result_name(r));
	free(addr);
}

/* Every one-character change of the local part is refused. */
static void verp_refuses_every_one_character_change(void **state)
{
	static const char chars[] = "abcdefghijklmnopqrstuvwxyz234567-019.+=_\"@ \xc3";
	struct mac_key key = test_key(1);
	char *addr = good_verp(&key, "jonathan.smith-jones@mail.example.org");
	size_t i, j, n = strlen(addr) - strlen("@example.com");
	struct verp_info info;

	for (i = 0; i < n; i++) {
		char orig = addr[i];

		for (j = 0; j < sizeof chars - 1; j++) {
			enum verp_result r;

			if (chars[j] == orig)
				continue;
			addr[i] = chars[j];
			r = verp_decode(&key, addr, &info);
			if (r == VERP_OK)
				fail_msg("\"%s\" (position %zu changed): got ok, want refused", addr,
					 i);
		}
		addr[i] = orig;
	}
	assert_int_equal(verp_decode(&key, addr, &info), VERP_OK);
	free(addr);
}

struct verp_bad_case {
	const char *name;
	const char *addr;
	enum verp_result want;
};

static const struct verp_bad_case verp_bad_cases[] = {
	{ "verp_ignores_null_path", "<>", VERP_NOT_VERP },
	{ "verp_ignores_empty_string", "", VERP_NOT_VERP },
	{ "verp_ignores_address_without_domain", "b-abcd-abcdefghij", VERP_NOT_VERP },
	{ "verp_ignores_ordinary_address", "bounces@example.com", VERP_NOT_VERP },
	{ "verp_ignores_unsubscribe_token", "u-aeaq-abcdefghij@example.com", VERP_NOT_VERP },
	{ "verp_ignores_quoted_local_part", "\"b-aeaq-abcdefghij\"@example.com", VERP_NOT_VERP },
	{ "verp_ignores_unbalanced_brackets", "<b-aeaq-abcdefghij@example.com", VERP_NOT_VERP },
	{ "verp_refuses_prefix_only", "b-@example.com", VERP_MALFORMED },
	{ "verp_refuses_missing_tag", "b-aeaq@example.com", VERP_MALFORMED },
	{ "verp_refuses_short_tag", "b-aeaq-abcdefghi@example.com", VERP_MALFORMED },
	{ "verp_refuses_base64_payload", "b-QUJD+/==-abcdefghij@example.com", VERP_MALFORMED },
	{ "verp_refuses_impossible_base32_length", "b-aea-abcdefghij@example.com",
	  VERP_MALFORMED },
	{ "verp_refuses_bad_domain", "b-aeaq-abcdefghij@exa mple.com", VERP_MALFORMED },
	{ "verp_refuses_domain_without_dot", "b-aeaq-abcdefghij@localhost", VERP_MALFORMED },
	{ "verp_refuses_address_literal", "b-aeaq-abcdefghij@[192.0.2.1]", VERP_MALFORMED },
	{ "verp_refuses_invalid_utf8_domain", "b-aeaq-abcdefghij@\xff\xfe.example",
	  VERP_MALFORMED },
	{ "verp_calls_unverified_token_forged", "b-aeaq-abcdefghij@example.com", VERP_FORGED },
	{ "verp_calls_guessed_tag_forged", "b-ceaxiz3fgjxwy5bqk5ha-aaaaaaaaaa@example.com",
	  VERP_FORGED },
};

static void run_verp_bad_case(void **state)
{
	const struct verp_bad_case *c = *state;
	struct mac_key key = test_key(1);
	struct verp_info info;
	enum verp_result r = verp_decode(&key, c->addr, &info);
	char a[1024];

	if (r != c->want)
		fail_msg("verp_decode(\"%s\"): got %s, want %s", show(c->addr, a, sizeof a),
			 verp_result_name(r), verp_result_name(c->want));
	if (info.msgid[0] != '\0' || info.domain[0] != '\0')
		fail_msg("verp_decode(\"%s\"): got info filled, want it zeroed",
			 show(c->addr, a, sizeof a));
}

/* Local parts within 64 octets for every message id and recipient length. */
static void verp_fits_local_part_for_every_length(void **state)
{
	struct mac_key key = test_key(3);
	char msgid[VERP_MSGID_MAX + 1];
	size_t idlen, rlen;

	for (idlen = 1; idlen <= VERP_MSGID_MAX; idlen++) {
		memset(msgid, 'Q', idlen);
		msgid[idlen] = '\0';
		for (rlen = 1; rlen <= 300; rlen += (rlen < 40 ? 1 : 37)) {
			struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
			char *rcpt = long_address(rlen, "x.example"), *local;
			size_t norm = rlen + strlen("@x.example");
			enum verp_rcpt_form form, want;
			struct verp_info info;

			want = 2 + idlen + norm <= VERP_PAYLOAD_MAX ? VERP_RCPT_INLINE
								    : VERP_RCPT_HASHED;
			assert_int_equal(verp_encode(&key, "example.com", msgid, rcpt, &out, &form,
						     &err), 0);
			local = local_of(out.data);
			if (strlen(local) > VERP_LOCAL_MAX || form != want)
				fail_msg("id %zu bytes, recipient %zu bytes: got %zu octets, form %d; "
					 "want at most 64, form %d", idlen, norm, strlen(local), form,
					 want);
			if (verp_decode(&key, out.data, &info) != VERP_OK ||
			    !verp_rcpt_matches(&key, &info, rcpt))
				fail_msg("id %zu bytes, recipient %zu bytes: got no round trip, "
					 "want one", idlen, norm);
			free(local);
			free(rcpt);
			strbuf_free(&out);
			strbuf_free(&err);
		}
	}
}

static void verp_gives_same_address_whatever_recipient_case(void **state)
{
	struct mac_key key = test_key(1);
	char *a = good_verp(&key, "<Bob.Smith@EXAMPLE.org>");
	char *b = good_verp(&key, "bob.smith@example.org");
	char *c = good_verp(&key, "carol.smith@example.org");

	if (strcmp(a, b) != 0)
		fail_msg("got \"%s\" and \"%s\", want one address for both spellings", a, b);
	if (strcmp(a, c) == 0)
		fail_msg("got \"%s\" for two recipients, want different addresses", a);
	free(a);
	free(b);
	free(c);
}

struct verp_err_case {
	const char *name;
	const char *domain;
	const char *msgid;
	const char *want;
};

static const struct verp_err_case verp_err_cases[] = {
	{ "verp_encode_refuses_empty_domain", "", "id", "sender domain \"\" is not a valid "
							 "domain name" },
	{ "verp_encode_refuses_domain_without_dot", "localhost", "id",
	  "sender domain \"localhost\" is not a valid domain name" },
	{ "verp_encode_refuses_domain_with_blank", "exa mple.com", "id",
	  "sender domain \"exa mple.com\" is not a valid domain name" },
	{ "verp_encode_refuses_domain_with_empty_label", "a..example", "id",
	  "sender domain \"a..example\" is not a valid domain name" },
	{ "verp_encode_refuses_empty_message_id", "example.com", "",
	  "message id of 0 bytes (want 1..20)" },
	{ "verp_encode_refuses_long_message_id", "example.com", "012345678901234567890",
	  "message id of 21 bytes (want 1..20)" },
};

static void run_verp_err_case(void **state)
{
	const struct verp_err_case *c = *state;
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
	struct mac_key key = test_key(1);
	int rc;

	strbuf_appends(&out, "keep");
	rc = verp_encode(&key, c->domain, c->msgid, "a@b.example", &out, NULL, &err);
	if (rc != -1 || strcmp(strbuf_cstr(&err), c->want) != 0)
		fail_msg("verp_encode: got %d \"%s\", want -1 \"%s\"", rc, strbuf_cstr(&err),
			 c->want);
	if (strcmp(out.data, "keep") != 0)
		fail_msg("out: got \"%s\", want it unchanged", out.data);
	strbuf_free(&out);
	strbuf_free(&err);
}

static void verp_survives_hostile_addresses(void **state)
{
	struct mac_key key = test_key(1);
	struct strbuf in = STRBUF_INIT;
	struct verp_info info;
	size_t i;
	int c;

	strbuf_appends(&in, "b-");
	for (i = 0; i < 100000; i++)
		strbuf_appendc(&in, "a7-"[i % 3]);
	strbuf_appends(&in, "@example.com");
	assert_int_not_equal(verp_decode(&key, in.data, &info), VERP_OK);
	for (c = 1; c < 256; c++) {
		char addr[64];

		snprintf(addr, sizeof addr, "b-ae%caq-abcdefghij@exam%cple.com", c, c);
		assert_int_not_equal(verp_decode(&key, addr, &info), VERP_OK);
	}
	strbuf_free(&in);
}

static const struct CMUnitTest other_tests[] = {
	cmocka_unit_test(verp_refuses_foreign_domain),
	cmocka_unit_test(verp_refuses_other_key),
	cmocka_unit_test(verp_refuses_every_one_character_change),
	cmocka_unit_test(verp_fits_local_part_for_every_length),
	cmocka_unit_test(verp_gives_same_address_whatever_recipient_case),
	cmocka_unit_test(verp_survives_hostile_addresses),
};

static struct CMUnitTest row_test(const char *name, CMUnitTestFunction fn, const void *row)
{
	struct CMUnitTest t = { name, fn, NULL, NULL, (void *)row };

	return t;
}

int main(void)
{
	struct CMUnitTest tests[ARRAY_SIZE(verp_cases) + ARRAY_SIZE(verp_bad_cases) +
			       ARRAY_SIZE(verp_err_cases) + ARRAY_SIZE(other_tests)];
	size_t i, n = 0;

	for (i = 0; i < ARRAY_SIZE(verp_cases); i++)
		tests[n++] = row_test(verp_cases[i].name, run_verp_case, &verp_cases[i]);
	for (i = 0; i < ARRAY_SIZE(verp_bad_cases); i++)
		tests[n++] = row_test(verp_bad_cases[i].name, run_verp_bad_case, &verp_bad_cases[i]);
	for (i = 0; i < ARRAY_SIZE(verp_err_cases); i++)
		tests[n++] = row_test(verp_err_cases[i].name, run_verp_err_case, &verp_err_cases[i]);
	for (i = 0; i < ARRAY_SIZE(other_tests); i++)
		tests[n++] = other_tests[i];
	return cmocka_run_group_tests_name("verp", tests, NULL, NULL);
}
