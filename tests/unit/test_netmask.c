/*
 * test_netmask - unit tests for policy/util/netmask.c: parsing CIDR text
 * (host bits cleared, prefix bounds, junk refused), formatting, and
 * matching IPv4, IPv6 and IPv4-mapped IPv6 clients.
 *
 * Table rows are named after the behaviour they pin down; main() turns
 * every row into its own cmocka test.
 *
 * Diagnostics: a failing case prints "got X, want Y".
 */
#include "autoconf.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cmocka.h>

#include "netmask.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ---- parsing and formatting ------------------------------------------ */

struct parse_case {
	const char *name;
	const char *in;
	const char *want;	/* netmask_format of the result; NULL: refused */
	int family;
};

static const struct parse_case parse_cases[] = {
	{ "parses_v4_network", "192.0.2.0/24", "192.0.2.0/24", AF_INET },
	{ "clears_v4_host_bits", "192.0.2.77/24", "192.0.2.0/24", AF_INET },
	{ "clears_v4_host_bits_inside_a_byte", "192.0.2.255/25", "192.0.2.128/25", AF_INET },
	{ "clears_v4_host_bits_across_bytes", "10.201.2.3/9", "10.128.0.0/9", AF_INET },
	{ "parses_single_v4_address_as_32", "192.0.2.1", "192.0.2.1/32", AF_INET },
	{ "parses_v4_prefix_32", "192.0.2.1/32", "192.0.2.1/32", AF_INET },
	{ "parses_v4_prefix_0", "192.0.2.1/0", "0.0.0.0/0", AF_INET },
	{ "parses_v4_prefix_with_leading_zero", "192.0.2.0/024", "192.0.2.0/24", AF_INET },
	{ "parses_v6_network", "2001:db8::/32", "2001:db8::/32", AF_INET6 },
	{ "clears_v6_host_bits", "2001:db8:1:2::5/64", "2001:db8:1:2::/64", AF_INET6 },
	{ "clears_v6_host_bits_inside_a_byte", "2001:db8:ffff::/33", "2001:db8:8000::/33",
	  AF_INET6 },
	{ "parses_single_v6_address_as_128", "2001:db8::1", "2001:db8::1/128", AF_INET6 },
	{ "parses_v6_prefix_128", "2001:db8::1/128", "2001:db8::1/128", AF_INET6 },
	{ "parses_v6_prefix_0", "2001:db8::1/0", "::/0", AF_INET6 },
	{ "parses_upper_case_v6", "2001:DB8::/32", "2001:db8::/32", AF_INET6 },
	{ "parses_mapped_address_as_v6", "::ffff:192.0.2.1", "::ffff:192.0.2.1/128", AF_INET6 },
	{ "refuses_v4_prefix_33", "192.0.2.0/33", NULL, 0 },
	{ "refuses_v6_prefix_129", "2001:db8::/129", NULL, 0 },
	{ "refuses_negative_prefix", "192.0.2.0/-1", NULL, 0 },
	{ "refuses_plus_sign_prefix", "192.0.2.0/+24", NULL, 0 },
	{ "refuses_word_prefix", "192.0.2.0/abc", NULL, 0 },
	{ "refuses_prefix_with_junk", "192.0.2.0/2x", NULL, 0 },
	{ "refuses_hex_prefix", "192.0.2.0/0x18", NULL, 0 },
	{ "refuses_huge_prefix", "192.0.2.0/99999999999999999999", NULL, 0 },
	{ "refuses_empty_prefix", "192.0.2.0/", NULL, 0 },
	{ "refuses_second_slash", "192.0.2.0/24/8", NULL, 0 },
	{ "refuses_blank_before_prefix", "192.0.2.0/ 24", NULL, 0 },
	{ "refuses_trailing_blank", "192.0.2.0/24 ", NULL, 0 },
	{ "refuses_leading_blank", " 192.0.2.0/24", NULL, 0 },
	{ "refuses_empty_text", "", NULL, 0 },
	{ "refuses_prefix_only", "/24", NULL, 0 },
	{ "refuses_short_v4", "192.0.2", NULL, 0 },
	{ "refuses_v4_octet_over_255", "256.0.0.0/8", NULL, 0 },
	{ "refuses_host_name", "localhost", NULL, 0 },
	{ "refuses_v6_zone", "fe80::1%eth0", NULL, 0 },
	{ "refuses_bracketed_v6", "[2001:db8::1]", NULL, 0 },
	{ "refuses_overlong_text",
	  "2001:0db8:0000:0000:0000:0000:0000:0001/128////////////////////////////////",
	  NULL, 0 },
};

static void run_parse_case(void **state)
{
	const struct parse_case *c = *state;
	struct netmask nm;
	char buf[64];
	int rc;

	memset(&nm, 0x5a, sizeof nm);
	rc = netmask_parse(c->in, &nm);
	if (c->want == NULL) {
		if (rc != -1) {
			netmask_format(&nm, buf, sizeof buf);
			fail_msg("netmask_parse(\"%s\"): got %d (%s), want -1", c->in, rc, buf);
		}
		return;
	}
	if (rc != 0)
		fail_msg("netmask_parse(\"%s\"): got %d, want 0", c->in, rc);
	if (nm.family != c->family)
		fail_msg("netmask_parse(\"%s\") family: got %d, want %d", c->in, nm.family,
			 c->family);
	netmask_format(&nm, buf, sizeof buf);
	if (strcmp(buf, c->want) != 0)
		fail_msg("netmask_format(\"%s\"): got \"%s\", want \"%s\"", c->in, buf, c->want);
}

/* Every byte past the prefix is zero, for every v4 and v6 prefix length. */
static void clears_host_bits_for_every_prefix(void **state)
{
	static const char *const full[] = { "255.255.255.255",
					    "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" };
	int f, prefix;

	for (f = 0; f < 2; f++) {
		int max = f == 0 ? 32 : 128;

		for (prefix = 0; prefix <= max; prefix++) {
			struct netmask nm;
			char text[64];
			int bit;

			snprintf(text, sizeof text, "%s/%d", full[f], prefix);
			if (netmask_parse(text, &nm) != 0)
				fail_msg("netmask_parse(\"%s\"): got -1, want 0", text);
			if (nm.prefix != prefix)
				fail_msg("%s: prefix: got %d, want %d", text, nm.prefix, prefix);
			for (bit = 0; bit < max; bit++) {
				bool set = (nm.addr[bit / 8] >> (7 - bit % 8)) & 1;

				if (set != (bit < prefix))
					fail_msg("%s: bit %d: got %d, want %d", text, bit, set,
						 bit < prefix);
			}
		}
	}
}

static void formats_into_a_short_buffer_safely(void **state)
{
	struct netmask nm;
	char buf[8];

	assert_int_equal(netmask_parse("192.0.2.0/24", &nm), 0);
	memset(buf, 'z', sizeof buf);
	netmask_format(&nm, buf, sizeof buf);
	if (strcmp(buf, "192.0.2") != 0)
		fail_msg("netmask_format into 8 bytes: got \"%.8s\", want \"192.0.2\"", buf);
}

/* ---- matching -------------------------------------------------------- */

struct match_case {
	const char *name;
	const char *net;
	const char *addr;
	bool want;
};

static const struct match_case match_cases[] = {
	{ "v4_matches_inside", "192.0.2.0/24", "192.0.2.77", true },
	{ "v4_matches_first_address", "192.0.2.0/24", "192.0.2.0", true },
	{ "v4_matches_last_address", "192.0.2.0/24", "192.0.2.255", true },
	{ "v4_misses_next_network", "192.0.2.0/24", "192.0.3.0", false },
	{ "v4_misses_previous_network", "192.0.2.0/24", "192.0.1.255", false },
	{ "v4_25_matches_upper_half", "192.0.2.128/25", "192.0.2.129", true },
	{ "v4_25_misses_lower_half", "192.0.2.128/25", "192.0.2.127", false },
	{ "v4_9_matches_across_bytes", "10.128.0.0/9", "10.255.1.1", true },
	{ "v4_9_misses_across_bytes", "10.128.0.0/9", "10.127.255.255", false },
	{ "v4_32_matches_itself", "192.0.2.1/32", "192.0.2.1", true },
	{ "v4_32_misses_neighbour", "192.0.2.1/32", "192.0.2.2", false },
	{ "v4_0_matches_any_v4", "0.0.0.0/0", "203.0.113.9", true },
	{ "v4_0_misses_v6", "0.0.0.0/0", "2001:db8::1", false },
	{ "v4_matches_mapped_client", "192.0.2.0/24", "::ffff:192.0.2.1", true },
	{ "v4_misses_mapped_client_outside", "192.0.2.0/24", "::ffff:198.51.100.1", false },
	{ "v4_0_matches_any_mapped_client", "0.0.0.0/0", "::ffff:203.0.113.9", true },
	{ "v4_misses_compatible_client", "192.0.2.0/24", "::192.0.2.1", false },
	{ "v4_32_matches_mapped_itself", "192.0.2.1", "::ffff:192.0.2.1", true },
	{ "v6_matches_inside", "2001:db8::/32", "2001:db8:1234::1", true },
	{ "v6_misses_outside", "2001:db8::/32", "2001:db9::1", false },
	{ "v6_47_matches_last_prefix_bit_clear", "2001:db8::/47", "2001:db8:1::1", true },
	{ "v6_47_misses_bit_inside_prefix", "2001:db8::/47", "2001:db8:2::1", false },
	{ "v6_128_matches_itself", "2001:db8::1", "2001:db8::1", true },
	{ "v6_128_misses_neighbour", "2001:db8::1", "2001:db8::2", false },
	{ "v6_0_matches_any_v6", "::/0", "2001:db8::1", true },
	{ "v6_0_misses_v4_client", "::/0", "192.0.2.1", false },
	{ "v6_misses_v4_client", "2001:db8::/32", "192.0.2.1", false },
	{ "v6_mapped_network_matches_mapped_client", "::ffff:192.0.2.0/120",
	  "::ffff:192.0.2.9", true },
	{ "match_text_refuses_prefix", "192.0.2.0/24", "192.0.2.1/32", false },
	{ "match_text_refuses_empty", "0.0.0.0/0", "", false },
	{ "match_text_refuses_name", "0.0.0.0/0", "localhost", false },
	{ "match_text_refuses_bracketed_v6", "::/0", "[2001:db8::1]", false },
};

static void run_match_case(void **state)
{
	const struct match_case *c = *state;
	struct netmask nm;
	bool got;

	if (netmask_parse(c->net, &nm) != 0)
		fail_msg("test bug: netmask_parse(\"%s\") failed", c->net);
	got = netmask_match_text(&nm, c->addr);
	if (got != c->want)
		fail_msg("%s contains %s: got %s, want %s", c->net, c->addr,
			 got ? "true" : "false", c->want ? "true" : "false");
}

/* netmask_match on sockaddrs as libmilter hands them over. */
static void matches_sockaddrs(void **state)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	struct sockaddr_un sun;
	struct netmask v4, v6;

	assert_int_equal(netmask_parse("192.0.2.0/24", &v4), 0);
	assert_int_equal(netmask_parse("2001:db8::/32", &v6), 0);
	memset(&sin, 0, sizeof sin);
	sin.sin_family = AF_INET;
	sin.sin_port = htons(25);
	assert_int_equal(inet_pton(AF_INET, "192.0.2.10", &sin.sin_addr), 1);
	if (!netmask_match(&v4, (struct sockaddr *)&sin))
		fail_msg("sockaddr_in 192.0.2.10 in 192.0.2.0/24: got false, want true");
	if (netmask_match(&v6, (struct sockaddr *)&sin))
		fail_msg("sockaddr_in 192.0.2.10 in 2001:db8::/32: got true, want false");
	memset(&sin6, 0, sizeof sin6);
	sin6.sin6_family = AF_INET6;
	sin6.sin6_scope_id = 3;
	assert_int_equal(inet_pton(AF_INET6, "2001:db8::10", &sin6.sin6_addr), 1);
	if (!netmask_match(&v6, (struct sockaddr *)&sin6))
		fail_msg("sockaddr_in6 2001:db8::10 in 2001:db8::/32: got false, want true");
	assert_int_equal(inet_pton(AF_INET6, "::ffff:192.0.2.10", &sin6.sin6_addr), 1);
	if (!netmask_match(&v4, (struct sockaddr *)&sin6))
		fail_msg("sockaddr_in6 ::ffff:192.0.2.10 in 192.0.2.0/24: got false, want true");
	memset(&sun, 0, sizeof sun);
	sun.sun_family = AF_UNIX;
	if (netmask_match(&v4, (struct sockaddr *)&sun))
		fail_msg("AF_UNIX client: got true, want false");
	if (netmask_match(&v4, NULL))
		fail_msg("NULL client: got true, want false");
}

static const struct CMUnitTest other_tests[] = {
	cmocka_unit_test(clears_host_bits_for_every_prefix),
	cmocka_unit_test(formats_into_a_short_buffer_safely),
	cmocka_unit_test(matches_sockaddrs),
};

static struct CMUnitTest row_test(const char *name, CMUnitTestFunction fn,
				  const void *row)
{
	struct CMUnitTest t = { name, fn, NULL, NULL, (void *)row };

	return t;
}

int main(void)
{
	struct CMUnitTest tests[ARRAY_SIZE(parse_cases) + ARRAY_SIZE(match_cases) +
				ARRAY_SIZE(other_tests)];
	size_t i, n = 0;

	for (i = 0; i < ARRAY_SIZE(parse_cases); i++)
		tests[n++] = row_test(parse_cases[i].name, run_parse_case, &parse_cases[i]);
	for (i = 0; i < ARRAY_SIZE(match_cases); i++)
		tests[n++] = row_test(match_cases[i].name, run_match_case, &match_cases[i]);
	for (i = 0; i < ARRAY_SIZE(other_tests); i++)
		tests[n++] = other_tests[i];
	return cmocka_run_group_tests_name("netmask", tests, NULL, NULL);
}
