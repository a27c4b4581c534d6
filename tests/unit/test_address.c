/*
 * test_address - unit tests for policy/util/address.c: splitting envelope
 * addresses into local part and domain, the null path, quoted local parts,
 * source routes, trailing dots, malformed input, and hostile bytes.
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

#include "address.h"
#include "strbuf.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const char *const status_names[] = {
	[ADDRESS_OK] = "ADDRESS_OK",
	[ADDRESS_NULL] = "ADDRESS_NULL",
	[ADDRESS_NO_DOMAIN] = "ADDRESS_NO_DOMAIN",
	[ADDRESS_BAD] = "ADDRESS_BAD",
};

static const char *status_name(enum address_status st)
{
	return (unsigned)st < ARRAY_SIZE(status_names) ? status_names[st] : "(unknown status)";
}

/* Writes the first 200 bytes of s into buf with unprintable bytes as \xNN. */
static const char *show(const char *s, char *buf, size_t len)
{
	size_t n = 0, i;

	if (s == NULL)
		return "(null)";
	for (i = 0; s[i] != '\0' && i < 200 && n + 5 < len; i++) {
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

struct split_case {
	const char *name;
	const char *in;
	enum address_status want;
	const char *local;	/* when want is ADDRESS_OK */
	const char *domain;
};

static const struct split_case split_cases[] = {
	{ "splits_bracketed_address_and_lowercases_domain", "<user@Example.COM>",
	  ADDRESS_OK, "user", "example.com" },
	{ "splits_bare_address", "user@example.com", ADDRESS_OK, "user", "example.com" },
	{ "keeps_local_part_case", "<User.Name+tag@EXAMPLE.com>", ADDRESS_OK,
	  "User.Name+tag", "example.com" },
	{ "trims_blanks_around_brackets", " \t<user@example.com> \r\n", ADDRESS_OK, "user",
	  "example.com" },
	{ "recognises_null_path", "<>", ADDRESS_NULL, NULL, NULL },
	{ "recognises_empty_string_as_null_path", "", ADDRESS_NULL, NULL, NULL },
	{ "recognises_blank_string_as_null_path", "  ", ADDRESS_NULL, NULL, NULL },
	{ "recognises_null_path_with_blanks", " <> ", ADDRESS_NULL, NULL, NULL },
	{ "keeps_quoted_local_part_with_at", "<\"a@b\"@example.com>", ADDRESS_OK,
	  "\"a@b\"", "example.com" },
	{ "keeps_quoted_local_part_with_blank", "\"john doe\"@example.com", ADDRESS_OK,
	  "\"john doe\"", "example.com" },
	{ "keeps_escaped_quote_in_quoted_local_part", "<\"a\\\"@b\"@example.com>",
	  ADDRESS_OK, "\"a\\\"@b\"", "example.com" },
	{ "splits_at_last_unquoted_at", "<a@b@example.com>", ADDRESS_OK, "a@b",
	  "example.com" },
	{ "drops_source_route", "<@relay.example:user@example.com>", ADDRESS_OK, "user",
	  "example.com" },
	{ "drops_multi_hop_source_route", "<@a.example,@b.example:user@Example.com>",
	  ADDRESS_OK, "user", "example.com" },
	{ "refuses_source_route_without_mailbox", "<@relay.example:>", ADDRESS_BAD, NULL,
	  NULL },
	{ "refuses_source_route_without_colon", "<@relay.example>", ADDRESS_BAD, NULL, NULL },
	{ "drops_trailing_dot_of_domain", "<user@example.com.>", ADDRESS_OK, "user",
	  "example.com" },
	{ "refuses_domain_that_is_only_a_dot", "<user@.>", ADDRESS_BAD, NULL, NULL },
	{ "refuses_missing_domain", "<user@>", ADDRESS_BAD, NULL, NULL },
	{ "refuses_bare_missing_domain", "user@", ADDRESS_BAD, NULL, NULL },
	{ "refuses_missing_local_part", "<@example.com>", ADDRESS_BAD, NULL, NULL },
	{ "refuses_lone_at", "<@>", ADDRESS_BAD, NULL, NULL },
	{ "reports_missing_at", "<postmaster>", ADDRESS_NO_DOMAIN, NULL, NULL },
	{ "reports_bare_missing_at", "user", ADDRESS_NO_DOMAIN, NULL, NULL },
	{ "reports_at_only_inside_quotes", "<\"user@example.com\">", ADDRESS_NO_DOMAIN,
	  NULL, NULL },
	{ "refuses_unclosed_bracket", "<user@example.com", ADDRESS_BAD, NULL, NULL },
	{ "refuses_lone_open_bracket", "<", ADDRESS_BAD, NULL, NULL },
	{ "refuses_unopened_bracket", "user@example.com>", ADDRESS_BAD, NULL, NULL },
	{ "refuses_unclosed_quote", "<\"user@example.com>", ADDRESS_BAD, NULL, NULL },
	{ "keeps_8bit_local_part_and_domain", "<Pel\xc3\xa9@ex\xc3\xa4mple.COM>",
	  ADDRESS_OK, "Pel\xc3\xa9", "ex\xc3\xa4mple.com" },
};

/* Writes into msg why c fails, or "" when address_split behaves as c says. */
static void check_split_case(const struct split_case *c, char *msg, size_t len)
{
	struct strbuf local = STRBUF_INIT, domain = STRBUF_INIT;
	enum address_status got = address_split(c->in, &local, &domain);
	char a[1024], b[1024], l[1024];

	msg[0] = '\0';
	if (got != c->want)
		snprintf(msg, len, "address_split(\"%s\"): got %s (local \"%s\", domain \"%s\"), "
			 "want %s", show(c->in, a, sizeof a), status_name(got),
			 show(strbuf_cstr(&local), l, sizeof l),
			 show(strbuf_cstr(&domain), b, sizeof b), status_name(c->want));
	else if (got == ADDRESS_OK && strcmp(strbuf_cstr(&local), c->local) != 0)
		snprintf(msg, len, "local part: got \"%s\", want \"%s\"",
			 show(strbuf_cstr(&local), a, sizeof a), show(c->local, b, sizeof b));
	else if (got == ADDRESS_OK && strcmp(strbuf_cstr(&domain), c->domain) != 0)
		snprintf(msg, len, "domain: got \"%s\", want \"%s\"",
			 show(strbuf_cstr(&domain), a, sizeof a), show(c->domain, b, sizeof b));
	else if (got != ADDRESS_OK && (local.len != 0 || domain.len != 0))
		snprintf(msg, len, "on %s: got local \"%s\", domain \"%s\", want both left empty",
			 status_name(got), show(strbuf_cstr(&local), a, sizeof a),
			 show(strbuf_cstr(&domain), b, sizeof b));
	strbuf_free(&local);
	strbuf_free(&domain);
}

static void run_split_case(void **state)
{
	char msg[4096];

	check_split_case(*state, msg, sizeof msg);
	if (msg[0] != '\0')
		fail_msg("%s", msg);
}

static void appends_to_existing_buffers(void **state)
{
	struct strbuf local = STRBUF_INIT, domain = STRBUF_INIT;

	strbuf_appends(&local, "L:");
	strbuf_appends(&domain, "D:");
	assert_int_equal(address_split("<user@Example.com>", &local, &domain), ADDRESS_OK);
	if (strcmp(strbuf_cstr(&local), "L:user") != 0 ||
	    strcmp(strbuf_cstr(&domain), "D:example.com") != 0)
		fail_msg("got \"%s\" \"%s\", want \"L:user\" \"D:example.com\"",
			 strbuf_cstr(&local), strbuf_cstr(&domain));
	strbuf_free(&local);
	strbuf_free(&domain);
}

static void splits_300_byte_local_part(void **state)
{
	struct strbuf in = STRBUF_INIT, local = STRBUF_INIT, domain = STRBUF_INIT;
	size_t i;

	strbuf_appendc(&in, '<');
	for (i = 0; i < 300; i++)
		strbuf_appendc(&in, (char)('a' + i % 26));
	strbuf_appends(&in, "@Example.com>");
	assert_int_equal(address_split(strbuf_cstr(&in), &local, &domain), ADDRESS_OK);
	if (local.len != 300 || strncmp(local.data, in.data + 1, 300) != 0)
		fail_msg("local part: got %zu bytes, want the 300 given", local.len);
	if (strcmp(strbuf_cstr(&domain), "example.com") != 0)
		fail_msg("domain: got \"%s\", want \"example.com\"", strbuf_cstr(&domain));
	strbuf_free(&in);
	strbuf_free(&local);
	strbuf_free(&domain);
}

/*
 * Hostile and odd input: no crash, a known status, and on ADDRESS_OK a
 * non-empty local part and a domain without upper-case ASCII.
 */
static void survives_odd_input_with_a_sensible_status(void **state)
{
	static const char *const inputs[] = {
		"<user name@example.com>", "user name@example.com", "< user@example.com >",
		"<us\x01" "er@exa\x7fmple.com>", "\x1b[31m@example.com", "user@exa mple.com",
		"<user@[192.0.2.1]>", "<user@[IPv6:2001:db8::1]>", "<<user@example.com>>",
		"<>>", "<<>", ">", "<@:>", "<@,@:>", "<@@@>", "<\">", "\"", "\\", "<\\>",
		"\"\\\"@example.com", "\"a\\", "@", "@@", "..", "user@..", "<user@example.com..>",
		"\xff\xfe\xfd@\xc0\x80", "caf\xc3\xa9@b\xc3\xbc" "cher.example",
		"\r\n<user@example.com>\r\n", "<\r\n@example.com>",
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(inputs); i++) {
		struct strbuf local = STRBUF_INIT, domain = STRBUF_INIT;
		enum address_status got = address_split(inputs[i], &local, &domain);
		char a[1024];
		size_t j;

		if (got != ADDRESS_OK && got != ADDRESS_NULL && got != ADDRESS_NO_DOMAIN &&
		    got != ADDRESS_BAD)
			fail_msg("address_split(\"%s\"): got status %d, want a known one",
				 show(inputs[i], a, sizeof a), (int)got);
		if (got == ADDRESS_OK && (local.len == 0 || domain.len == 0))
			fail_msg("address_split(\"%s\"): got ADDRESS_OK with an empty part, "
				 "want both parts", show(inputs[i], a, sizeof a));
		for (j = 0; j < domain.len; j++)
			if (domain.data[j] >= 'A' && domain.data[j] <= 'Z')
				fail_msg("address_split(\"%s\"): got domain with upper case, "
					 "want lower case", show(inputs[i], a, sizeof a));
		strbuf_free(&local);
		strbuf_free(&domain);
	}
}

/* Every single byte, bracketed and bare, and a long run of '@' and quotes. */
static void survives_every_byte_and_long_runs(void **state)
{
	struct strbuf in = STRBUF_INIT, local = STRBUF_INIT, domain = STRBUF_INIT;
	int c;
	size_t i;

	for (c = 1; c < 256; c++) {
		char bare[2] = { (char)c, '\0' }, wrapped[16];

		snprintf(wrapped, sizeof wrapped, "<a%cb@c%cd>", c, c);
		address_split(bare, &local, &domain);
		address_split(wrapped, &local, &domain);
	}
	for (i = 0; i < 100000; i++)
		strbuf_appendc(&in, "@\"\\<>:,"[i % 7]);
	address_split(strbuf_cstr(&in), &local, &domain);
	strbuf_free(&in);
	strbuf_free(&local);
	strbuf_free(&domain);
}

static const struct CMUnitTest other_tests[] = {
	cmocka_unit_test(appends_to_existing_buffers),
	cmocka_unit_test(splits_300_byte_local_part),
	cmocka_unit_test(survives_odd_input_with_a_sensible_status),
	cmocka_unit_test(survives_every_byte_and_long_runs),
};

static struct CMUnitTest row_test(const char *name, CMUnitTestFunction fn,
				  const void *row)
{
	struct CMUnitTest t = { name, fn, NULL, NULL, (void *)row };

	return t;
}

int main(void)
{
	struct CMUnitTest tests[ARRAY_SIZE(split_cases) + ARRAY_SIZE(other_tests)];
	size_t i, n = 0;

	for (i = 0; i < ARRAY_SIZE(split_cases); i++)
		tests[n++] = row_test(split_cases[i].name, run_split_case, &split_cases[i]);
	for (i = 0; i < ARRAY_SIZE(other_tests); i++)
		tests[n++] = other_tests[i];
	return cmocka_run_group_tests_name("address", tests, NULL, NULL);
}
