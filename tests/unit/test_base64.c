/*
 * test_base64 - unit tests for policy/util/base64.c: the encoder against
 * the RFC 4648 section 10 vectors (appending to what a buffer holds), and
 * the digit values of both alphabets, each refusing the other's two
 * digits and the padding.
 *
 * Diagnostics: a failing case prints "got X, want Y".
 */
#include "autoconf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "base64.h"
#include "strbuf.h"

static void encoder_gives_the_rfc_4648_vectors(void **state)
{
	static const char *const want[] = { "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=",
					    "Zm9vYmFy" };
	struct strbuf out = STRBUF_INIT;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof want / sizeof want[0]; i++) {
		strbuf_reset(&out);
		base64_append(&out, "foobar", i);
		assert_string_equal(strbuf_cstr(&out), want[i]);
	}
	strbuf_free(&out);
}

static void encoder_appends(void **state)
{
	struct strbuf out = STRBUF_INIT;

	(void)state;
	strbuf_appends(&out, "b=");
	base64_append(&out, "\xff\xfe", 2);
	assert_string_equal(strbuf_cstr(&out), "b=//4=");
	assert_int_equal(out.len, 6);
	strbuf_free(&out);
}

static void digits_of_both_alphabets(void **state)
{
	(void)state;
	assert_int_equal(base64_value('A', false), 0);
	assert_int_equal(base64_value('z', true), 51);
	assert_int_equal(base64_value('9', false), 61);
	assert_int_equal(base64_value('+', false), 62);
	assert_int_equal(base64_value('/', false), 63);
	assert_int_equal(base64_value('-', true), 62);
	assert_int_equal(base64_value('_', true), 63);
	assert_int_equal(base64_value('-', false), -1);
	assert_int_equal(base64_value('/', true), -1);
	assert_int_equal(base64_value('=', false), -1);
	assert_int_equal(base64_value('=', true), -1);
	assert_int_equal(base64_value(0x80, false), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(encoder_gives_the_rfc_4648_vectors),
		cmocka_unit_test(encoder_appends),
		cmocka_unit_test(digits_of_both_alphabets),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
