/*
 * reportfix - helpers shared by test_dsn and test_arf: the sample reports
 * under tests/unit/fixtures (FIXTURE_DIR is set by Makefile.am), CRLF
 * copies, a builder for small multipart/report messages, damaged copies
 * for hostile-input runs, and a check that a string handed out is clean.
 */
#ifndef SES_REPORTFIX_H
#define SES_REPORTFIX_H

#include <stddef.h>

#include "strbuf.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Reads FIXTURE_DIR/name; fails the test if it cannot.  Caller frees. */
char *reportfix_load(const char *name, size_t *len);

/* A copy of msg with every bare LF turned into CRLF.  Caller frees. */
char *reportfix_crlf(const char *msg, size_t len, size_t *out_len);

/*
 * Appends a multipart/report message: report_type (NULL: no parameter),
 * a text part, a part of part_type with part_cte (NULL: none) holding
 * body, and when orig_type is not NULL a third part holding orig.
 */
void reportfix_build(struct strbuf *m, const char *report_type, const char *part_type,
		     const char *part_cte, const char *body, const char *orig_type,
		     const char *orig);

/*
 * Fails the test unless s is not NULL, is valid UTF-8 (checked with GLib),
 * holds no control character, has no blank at either end and is at most
 * REPORT_VALUE_MAX bytes.
 */
void reportfix_expect_clean(const char *what, const char *s);

typedef void reportfix_fn(const char *msg, size_t len, void *arg);

/*
 * Calls fn on damaged copies of msg: cut at every step bytes, single
 * bytes changed (to 0x00, 0xff, '\n', ':', '-', ' '), lines dropped, and
 * junk lines inserted.  Deterministic.  Returns how many copies ran.
 */
size_t reportfix_mutate(const char *msg, size_t len, size_t step, reportfix_fn *fn, void *arg);

#endif
