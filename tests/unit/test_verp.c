/*
 * test_verp - unit tests for policy/verp.c and policy/unsub_token.c: VERP
 * addresses and unsubscribe tokens round trip for any recipient (quoted,
 * blanks, UTF-8, 254 bytes), stay within 64 octets where a local part is
 * used, decode whatever case an MTA gives them, and refuse forged,
 * altered, foreign-domain and garbage input.
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

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static struct mac_key test_key(unsigned char seed)
{
	struct mac_key k;
	size_t i;

	for (i = 0; i < MAC_KEY_LEN; i++)
		k.bytes[i] = (unsigned char)(seed + i * 7);
	return k;
}

/* Writes s (first 300 bytes) into buf with unprintable bytes as \xNN. */
static const char *show(const char *s, char *buf, size_t len)
{
	size_t n = 0, i;

	if (s == NULL)
		return "(null)";
	for (i = 0; s[i] != '\0' && i < 300 && n + 5 < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f && c != '\\')
			buf[n++] = (char)c;
		else
			n += (size_t)snprintf(buf + n, len - n, "\\x%02x", c);
	}
	if (s[i] != '\0' && n + 4 < len)
		n += (size_t)snprintf(buf + n, len - n, "...");
	buf[n] = '\0';
	return buf;
}

/* "a..." repeated to n bytes, then "@domain". */
static char *long_address(size_t local_len, const char *domain)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	for (i = 0; i < local_len; i++)
		strbuf_appendc(&sb, (char)('a' + i % 26));
	strbuf_appendf(&sb, "@%s", domain);
	return strbuf_detach(&sb);
}

/* The local part of addr (before the last '@'), as a new string. */
static char *local_of(const char *addr)
{
	const char *at = strrchr(addr, '@');

	return strndup(addr, at != NULL ? (size_t)(at - addr) : strlen(addr));
}

/* Fails unless s uses only lower-case base32, '-' and the prefix. */
static void expect_token_alphabet(const char *what, const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++)
		if (strchr("abcdefghijklmnopqrstuvwxyz234567-", s[i]) == NULL)
			fail_msg("%s \"%s\": got character 0x%02x, want only [a-z2-7-]", what, s,
				 (unsigned char)s[i]);
}

/* Returns s with ASCII letters upper-cased (upper) or alternating case. */
static char *recase(const char *s, bool alternate)
{
	char *r = strdup(s);
	size_t i;

	for (i = 0; r[i] != '\0'; i++)
		if (r[i] >= 'a' && r[i] <= 'z' && (!alternate || i % 2 == 0))
			r[i] = (char)(r[i] - 32);
	return r;
}

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

static char *good_verp(const struct mac_key *key, const char *rcpt)
{
	struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;

	if (verp_encode(key, "example.com", "4Yx2kT0pQz", rcpt, &out, NULL, &err) != 0)
		fail_msg("verp_encode: got \"%s\", want an address", strbuf_cstr(&err));
	strbuf_free(&err);
	return strbuf_detach(&out);
}

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
	cmocka_unit_test(verp_refuses_foreign_domain),
	cmocka_unit_test(verp_refuses_other_key),
	cmocka_unit_test(verp_refuses_every_one_character_change),
	cmocka_unit_test(verp_fits_local_part_for_every_length),
	cmocka_unit_test(verp_gives_same_address_whatever_recipient_case),
	cmocka_unit_test(verp_survives_hostile_addresses),
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
	struct CMUnitTest tests[ARRAY_SIZE(verp_cases) + ARRAY_SIZE(verp_bad_cases) +
			       ARRAY_SIZE(verp_err_cases) + ARRAY_SIZE(unsub_cases) +
			       ARRAY_SIZE(unsub_bad_cases) + ARRAY_SIZE(unsub_err_cases) +
			       ARRAY_SIZE(other_tests)];
	size_t i, n = 0;

	for (i = 0; i < ARRAY_SIZE(verp_cases); i++)
		tests[n++] = row_test(verp_cases[i].name, run_verp_case, &verp_cases[i]);
	for (i = 0; i < ARRAY_SIZE(verp_bad_cases); i++)
		tests[n++] = row_test(verp_bad_cases[i].name, run_verp_bad_case, &verp_bad_cases[i]);
	for (i = 0; i < ARRAY_SIZE(verp_err_cases); i++)
		tests[n++] = row_test(verp_err_cases[i].name, run_verp_err_case, &verp_err_cases[i]);
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
	return cmocka_run_group_tests_name("verp", tests, NULL, NULL);
}
