/*
 * test_spf_rfc7208 - the SPF conformance scenarios of tests/spf/rfc7208.scn
 * (written from RFC 7208, section by section) through the production SPF
 * path: policy/auth/spf_check.c and the DNS layer of policy/auth/spf_dns.c, with
 * each scenario's zone answering the lookups.
 *
 * The scenarios libspf2 still gets wrong are listed, with the reason, in
 * tests/spf/known-failures; the test fails on any other failure.  The
 * pass count is printed either way.  SPF_SUITE and SPF_KNOWN name other
 * files in the same format, e.g. another suite converted to it.
 *
 * Diagnostics: "ID (line N): got X (explanation), want Y" per failure.
 */
#include "autoconf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "spfsuite.h"

#ifndef SPF_SUITE_DIR
#define SPF_SUITE_DIR "tests/spf"
#endif

static void every_scenario_passes_or_is_a_known_failure(void **state)
{
	const char *suite = getenv("SPF_SUITE"), *known = getenv("SPF_KNOWN");
	struct spfsuite_counts c;

	(void)state;
	if (suite == NULL || suite[0] == '\0') {
		suite = SPF_SUITE_DIR "/rfc7208.scn";
		if (known == NULL)
			known = SPF_SUITE_DIR "/known-failures";
	}
	c = spfsuite_run(suite, known != NULL && known[0] != '\0' ? known : NULL, stdout);
	printf("SPF scenarios of %s: %u of %u pass (%u known failures, %u unlisted "
	       "failures, %u known that now pass)\n",
	       suite, c.passed, c.total, c.known, c.unlisted, c.known_passed);
	if (c.bad_lines > 0)
		fail_msg("got %u lines that do not parse, want 0", c.bad_lines);
	if (c.unlisted > 0)
		fail_msg("got %u unlisted failures, want 0", c.unlisted);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_scenario_passes_or_is_a_known_failure),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
