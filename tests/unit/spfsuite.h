/*
 * spfsuite - SPF conformance scenarios read from a text file and run
 * through the production SPF path (policy/auth/spf_check.c and the DNS layer of
 * policy/auth/spf_dns.c), with the scenario's zone data answering the lookups.
 *
 * A scenario file is a list of lines, "#" starting a comment:
 *
 *   zone ID                     start a new zone; later tests use it
 *   rr NAME TYPE VALUE          a record: A, AAAA, MX ("PREF HOST"),
 *                               TXT (the joined strings), PTR, CNAME
 *   rr NAME TIMEOUT [TYPE]      lookups of NAME (of TYPE) time out
 *   test ID                     start a scenario
 *   host IP                     client address
 *   helo NAME                   HELO/EHLO argument
 *   mailfrom ADDR               MAIL FROM (empty: the null sender)
 *   result R [R...]             acceptable results (the first preferred)
 *   exp TEXT                    the explanation a fail must give
 *   exp-default                 a fail must give our default explanation
 *
 * NAME, VALUE and TEXT may hold \xNN escapes (and \\) for bytes a line
 * cannot show: a blank in a name, a control character, a non-ASCII byte.
 * VALUE and TEXT run to the end of the line.
 *
 * A known-failures file lists one scenario ID per line, then its reason.
 *
 * Diagnostics: spfsuite_run prints one line per scenario that fails
 * ("ID: got X, want Y" with the explanation), then the pass count.
 */
#ifndef SES_TEST_SPFSUITE_H
#define SES_TEST_SPFSUITE_H

#include <stdio.h>

/* What running a suite found. */
struct spfsuite_counts {
	unsigned total;
	unsigned passed;
	unsigned known;	       /* failed, and listed as known */
	unsigned unlisted;     /* failed, not listed: the suite fails */
	unsigned known_passed; /* listed as known, yet passed */
	unsigned bad_lines;    /* lines of either file that do not parse */
};

/*
 * Runs every scenario of suite_path; known_path may be NULL.  Reports go
 * to out.  Returns the counts; a file that cannot be read counts as one
 * bad line.
 */
struct spfsuite_counts spfsuite_run(const char *suite_path, const char *known_path, FILE *out);

#endif
