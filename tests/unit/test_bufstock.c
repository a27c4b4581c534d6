/*
 * test_bufstock - unit tests for policy/util/bufstock.c: a large buffer
 * given back is taken again by the next message that grows that large,
 * with the bytes already kept copied in; small buffers are freed; the
 * stock keeps at most BUFSTOCK_COUNT buffers and BUFSTOCK_BYTES bytes,
 * the largest; threads taking and giving at once lose no buffer.
 *
 * Diagnostics: a failing case prints "got X, want Y".
 */
#include "autoconf.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bufstock.h"

static int drain(void **state)
{
	(void)state;
	bufstock_drain();
	return 0;
}

/* A strbuf of len bytes of c, grown the way a message grows. */
static void fill(struct strbuf *sb, size_t len, char c)
{
	char chunk[4096];
	size_t n;

	memset(chunk, c, sizeof chunk);
	for (; len > 0; len -= n) {
		n = len < sizeof chunk ? len : sizeof chunk;
		bufstock_reserve(sb, n);
		strbuf_append(sb, chunk, n);
	}
}

static void stocked(size_t want_buffers, size_t want_bytes)
{
	size_t buffers, bytes;

	bufstock_count(&buffers, &bytes);
	assert_int_equal(buffers, want_buffers);
	assert_int_equal(bytes, want_bytes);
}

static void a_large_buffer_is_taken_again_with_the_bytes_kept(void **state)
{
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
	char *first;
	size_t cap, i;

	(void)state;
	fill(&a, 3 * BUFSTOCK_MIN, 'a');
	first = a.data;
	cap = a.cap;
	bufstock_give(&a);
	assert_null(a.data);
	assert_int_equal(a.len, 0);
	stocked(1, cap);

	/* the next message grows past BUFSTOCK_MIN: it gets the same buffer */
	fill(&b, BUFSTOCK_MIN - 100, 'b');
	assert_true(b.data != first);
	fill(&b, 200, 'c');
	assert_ptr_equal(b.data, first);
	assert_int_equal(b.cap, cap);
	assert_int_equal(b.len, BUFSTOCK_MIN + 100);
	for (i = 0; i < BUFSTOCK_MIN - 100; i++)
		if (b.data[i] != 'b')
			fail_msg("byte %zu: got %d, want 'b'", i, b.data[i]);
	assert_memory_equal(b.data + BUFSTOCK_MIN - 100, "cccc", 4);
	assert_int_equal(b.data[b.len], '\0');
	stocked(0, 0);
	bufstock_give(&b);
	stocked(1, cap);
}

static void a_small_buffer_is_freed_and_growth_is_unchanged_below_the_minimum(void **state)
{
	struct strbuf a = STRBUF_INIT;

	(void)state;
	fill(&a, 1000, 'a');
	assert_true(a.cap < BUFSTOCK_MIN);
	bufstock_give(&a);
	stocked(0, 0);
}

static void a_stocked_buffer_too_small_for_the_need_is_left(void **state)
{
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
	size_t cap;

	(void)state;
	fill(&a, BUFSTOCK_MIN, 'a');
	cap = a.cap;
	bufstock_give(&a);
	bufstock_reserve(&b, cap * 2);	/* more than the stocked buffer holds */
	assert_true(b.cap >= cap * 2 + 1);
	stocked(1, cap);
	strbuf_free(&b);
}

static void the_stock_keeps_the_largest_within_its_count(void **state)
{
	struct strbuf sb[BUFSTOCK_COUNT + 1];
	size_t i, total = 0;

	(void)state;
	for (i = 0; i <= BUFSTOCK_COUNT; i++) {
		strbuf_init(&sb[i]);
		strbuf_reserve(&sb[i], BUFSTOCK_MIN << i);
	}
	for (i = 1; i <= BUFSTOCK_COUNT; i++)
		total += sb[i].cap;
	for (i = 0; i <= BUFSTOCK_COUNT; i++)
		bufstock_give(&sb[i]);
	stocked(BUFSTOCK_COUNT, total);	/* the smallest was freed */
	/* a smaller one than all in stock is not kept */
	strbuf_init(&sb[0]);
	strbuf_reserve(&sb[0], BUFSTOCK_MIN);
	bufstock_give(&sb[0]);
	stocked(BUFSTOCK_COUNT, total);
}

static void the_stock_keeps_no_more_than_its_bytes(void **state)
{
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;

	(void)state;
	strbuf_reserve(&a, BUFSTOCK_BYTES / 2 + 1);	/* capacity BUFSTOCK_BYTES */
	assert_int_equal(a.cap, BUFSTOCK_BYTES);
	bufstock_give(&a);
	stocked(1, BUFSTOCK_BYTES);
	strbuf_reserve(&b, BUFSTOCK_MIN);
	bufstock_give(&b);	/* would go over the bytes: freed */
	stocked(1, BUFSTOCK_BYTES);
	strbuf_reserve(&a, BUFSTOCK_BYTES);	/* larger than the stock may hold */
	bufstock_give(&a);
	stocked(1, BUFSTOCK_BYTES);
}

static int thread_failed;

static void *grow_and_give(void *arg)
{
	struct strbuf sb = STRBUF_INIT;
	int i;

	for (i = 0; i < 200; i++) {
		fill(&sb, BUFSTOCK_MIN + (size_t)(i % 7) * 4096, (char)('a' + i % 26));
		if (sb.data[0] != 'a' + i % 26 || sb.data[sb.len - 1] != 'a' + i % 26)
			__atomic_store_n(&thread_failed, 1, __ATOMIC_SEQ_CST);
		bufstock_give(&sb);
	}
	return arg;
}

static void threads_taking_and_giving_at_once_keep_the_stock_whole(void **state)
{
	pthread_t t[8];
	size_t i, buffers, bytes;

	(void)state;
	for (i = 0; i < 8; i++)
		assert_int_equal(pthread_create(&t[i], NULL, grow_and_give, NULL), 0);
	for (i = 0; i < 8; i++)
		assert_int_equal(pthread_join(t[i], NULL), 0);
	assert_int_equal(thread_failed, 0);
	bufstock_count(&buffers, &bytes);
	assert_true(buffers >= 1 && buffers <= BUFSTOCK_COUNT);
	assert_true(bytes >= buffers * BUFSTOCK_MIN && bytes <= BUFSTOCK_BYTES);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(a_large_buffer_is_taken_again_with_the_bytes_kept, drain),
		cmocka_unit_test_teardown(a_small_buffer_is_freed_and_growth_is_unchanged_below_the_minimum, drain),
		cmocka_unit_test_teardown(a_stocked_buffer_too_small_for_the_need_is_left, drain),
		cmocka_unit_test_teardown(the_stock_keeps_the_largest_within_its_count, drain),
		cmocka_unit_test_teardown(the_stock_keeps_no_more_than_its_bytes, drain),
		cmocka_unit_test_teardown(threads_taking_and_giving_at_once_keep_the_stock_whole, drain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
