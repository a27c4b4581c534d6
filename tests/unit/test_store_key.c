/*
 * test_store_key - store_key's encoding: safe bytes as they are, others
 * as %XX, prefix untouched, and the SHA-256 form for a key longer than
 * STORE_KEY_MAX (a key of exactly STORE_KEY_MAX bytes stays readable).
 */
#include "autoconf.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "store.h"

static void key_is(const char *prefix, const char *const *parts, const char *want)
{
	struct strbuf key = STRBUF_INIT;

	store_key(&key, prefix, parts);
	assert_string_equal(strbuf_cstr(&key), want);
	assert_int_equal(key.len, strlen(want));
	strbuf_free(&key);
}

static void safe_bytes_stay_and_others_are_escaped(void **state)
{
	const char *plain[] = { "acct", "a.b_c@d+e-f", "17", NULL };
	const char *odd[] = { "x y", "\xc3\xa9:%", "", NULL };
	const char *none[] = { NULL };

	(void)state;
	key_is("fq", plain, "fq:acct:a.b_c@d+e-f:17");
	key_is("fq", odd, "fq:x%20y:%C3%A9%3A%25:");
	key_is("dq", none, "dq");
}

static void key_over_the_limit_becomes_a_hash(void **state)
{
	char fits[STORE_KEY_MAX + 1], over[STORE_KEY_MAX + 2];
	const char *p1[] = { fits, NULL }, *p2[] = { over, NULL };
	struct strbuf key = STRBUF_INIT;
	char want[STORE_KEY_MAX + 8];

	(void)state;
	/* "fq:" and the part: exactly STORE_KEY_MAX bytes */
	memset(fits, 'a', STORE_KEY_MAX - 3);
	fits[STORE_KEY_MAX - 3] = '\0';
	snprintf(want, sizeof want, "fq:%s", fits);
	key_is("fq", p1, want);

	memset(over, 'a', STORE_KEY_MAX - 2);
	over[STORE_KEY_MAX - 2] = '\0';
	store_key(&key, "fq", p2);
	assert_int_equal(key.len, strlen("fq:#") + 64);
	assert_memory_equal(key.data, "fq:#", 4);
	/* one escaped byte can push a short part over as well */
	over[STORE_KEY_MAX - 4] = ' ';
	over[STORE_KEY_MAX - 3] = '\0';
	store_key(&key, "fq", p2);
	assert_memory_equal(key.data, "fq:#", 4);
	strbuf_free(&key);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(safe_bytes_stay_and_others_are_escaped),
		cmocka_unit_test(key_over_the_limit_becomes_a_hash),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
