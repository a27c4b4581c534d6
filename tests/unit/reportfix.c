/*
 * reportfix - helpers of the report tests; see reportfix.h.
 *
 * Diagnostics: through cmocka's fail_msg, "got X, want Y" or the path and
 * errno text of a fixture that cannot be read.
 */
#include "autoconf.h"

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <glib.h>

#include "report.h"
#include "strbuf.h"

#include "reportfix.h"

#ifndef FIXTURE_DIR
#error "FIXTURE_DIR must name tests/unit/fixtures"
#endif

char *reportfix_load(const char *name, size_t *len)
{
	struct strbuf path = STRBUF_INIT, data = STRBUF_INIT;
	char buf[8192];
	size_t n;
	FILE *fp;

	strbuf_appendf(&path, "%s/%s", FIXTURE_DIR, name);
	fp = fopen(path.data, "rb");
	if (fp == NULL)
		fail_msg("fixture %s: %s", path.data, strerror(errno));
	while ((n = fread(buf, 1, sizeof buf, fp)) > 0)
		strbuf_append(&data, buf, n);
	if (ferror(fp))
		fail_msg("fixture %s: read error", path.data);
	fclose(fp);
	strbuf_free(&path);
	*len = data.len;
	return strbuf_detach(&data);
}

char *reportfix_crlf(const char *msg, size_t len, size_t *out_len)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	for (i = 0; i < len; i++) {
		if (msg[i] == '\n' && (i == 0 || msg[i - 1] != '\r'))
			strbuf_appendc(&sb, '\r');
		strbuf_appendc(&sb, msg[i]);
	}
	*out_len = sb.len;
	return strbuf_detach(&sb);
}

void reportfix_build(struct strbuf *m, const char *report_type, const char *part_type,
		     const char *part_cte, const char *body, const char *orig_type,
		     const char *orig)
{
	strbuf_appends(m, "From: MAILER-DAEMON@mx.example.net\n"
			  "To: b-aeaq-abcdefghij@example.com\n"
			  "Subject: report\n"
			  "MIME-Version: 1.0\n"
			  "Content-Type: multipart/report;");
	if (report_type != NULL)
		strbuf_appendf(m, " report-type=%s;", report_type);
	strbuf_appends(m, " boundary=\"RB\"\n\n"
			  "--RB\nContent-Type: text/plain\n\nA report.\n\n--RB\n");
	strbuf_appendf(m, "Content-Type: %s\n", part_type);
	if (part_cte != NULL)
		strbuf_appendf(m, "Content-Transfer-Encoding: %s\n", part_cte);
	strbuf_appendf(m, "\n%s\n", body);
	if (orig_type != NULL)
		strbuf_appendf(m, "--RB\nContent-Type: %s\n\n%s\n", orig_type, orig);
	strbuf_appends(m, "--RB--\n");
}

void reportfix_expect_clean(const char *what, const char *s)
{
	size_t i, n;

	if (s == NULL)
		fail_msg("%s: got NULL, want a string", what);
	n = strlen(s);
	if (n > REPORT_VALUE_MAX)
		fail_msg("%s: got %zu bytes, want at most %d", what, n, REPORT_VALUE_MAX);
	if (!g_utf8_validate(s, (gssize)n, NULL))
		fail_msg("%s: got invalid UTF-8 \"%s\", want valid", what, s);
	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			fail_msg("%s: got control byte 0x%02x at %zu, want none", what,
				 (unsigned char)s[i], i);
	if (n > 0 && (s[0] == ' ' || s[n - 1] == ' '))
		fail_msg("%s: got \"%s\" with a blank at an end, want it trimmed", what, s);
}

/* A small deterministic generator (xorshift32). */
static unsigned reportfix_rand(unsigned *state)
{
	unsigned x = *state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*state = x;
	return x;
}

/* Calls fn on msg with line number `drop` removed (0-based). */
static void reportfix_drop_line(const char *msg, size_t len, size_t drop, reportfix_fn *fn,
				void *arg)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i, line = 0;

	for (i = 0; i < len; i++) {
		if (line != drop)
			strbuf_appendc(&sb, msg[i]);
		if (msg[i] == '\n')
			line++;
	}
	fn(strbuf_cstr(&sb), sb.len, arg);
	strbuf_free(&sb);
}

size_t reportfix_mutate(const char *msg, size_t len, size_t step, reportfix_fn *fn, void *arg)
{
	static const char subst[] = { '\0', (char)0xff, '\n', ':', '-', ' ' };
	static const char *const junk[] = {
		"\n", "Content-Type: multipart/report; boundary=\"\"\n", "--\n", ":\n",
		"\xff\xfe\x01\x02\n", "Final-Recipient: rfc822; x\n", "Feedback-Type:\n",
	};
	char *copy = malloc(len + 1);
	unsigned seed = 2463534242u;
	size_t i, runs = 0, lines = 0;

	if (copy == NULL)
		fail_msg("out of memory");
	for (i = 0; i < len; i += step, runs++)
		fn(msg, i, arg);
	for (i = 0; i < 300 && len > 0; i++, runs++) {
		size_t at = reportfix_rand(&seed) % len;

		memcpy(copy, msg, len);
		copy[at] = subst[i % sizeof subst];
		fn(copy, len, arg);
	}
	for (i = 0; i < len; i++)
		lines += msg[i] == '\n';
	for (i = 0; i < lines; i += 1 + lines / 60, runs++)
		reportfix_drop_line(msg, len, i, fn, arg);
	for (i = 0; i < 60 && len > 0; i++, runs++) {
		struct strbuf sb = STRBUF_INIT;
		size_t start = reportfix_rand(&seed) % len;
		const char *nl = memchr(msg + start, '\n', len - start);
		size_t at = nl != NULL ? (size_t)(nl - msg) + 1 : len;

		strbuf_append(&sb, msg, at);
		strbuf_appends(&sb, junk[i % ARRAY_SIZE(junk)]);
		strbuf_append(&sb, msg + at, len - at);
		fn(sb.data, sb.len, arg);
		strbuf_free(&sb);
	}
	free(copy);
	return runs;
}
