/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/core/buf.c - the bounded buffer of src/core/buf.c: the maximum is
 * exact, a refused append changes nothing, and ownership moves cleanly.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/buf.h"
#include "core/err.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_init_empty(void **state)
{
	struct va_buf b = VA_BUF_INIT(16);
	struct va_buf c;

	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.max, 16);
	assert_string_equal(va_buf_cstr(&b), "");

	memset(&c, 0x5a, sizeof(c));
	va_buf_init(&c, 32);
	assert_null(c.data);
	assert_int_equal(c.len, 0);
	assert_int_equal(c.cap, 0);
	assert_int_equal(c.max, 32);
	assert_string_equal(va_buf_cstr(&c), "");
	va_buf_release(&b);
	va_buf_release(&c);
	va_buf_release(NULL);
}

static void test_exact_max(void **state)
{
	struct va_buf b;
	char snapshot[11];

	va_buf_init(&b, 10);
	assert_int_equal(va_buf_append(&b, "0123", 4), VA_OK);
	assert_int_equal(va_buf_append_str(&b, "456789"), VA_OK);
	assert_int_equal(b.len, 10);
	assert_string_equal(va_buf_cstr(&b), "0123456789");
	memcpy(snapshot, b.data, sizeof(snapshot));

	/* One byte more is refused and nothing moves. */
	assert_int_equal(va_buf_append(&b, "x", 1), VA_E_TOOBIG);
	assert_int_equal(va_buf_append_str(&b, "x"), VA_E_TOOBIG);
	assert_int_equal(va_buf_appendf(&b, "%c", 'x'), VA_E_TOOBIG);
	assert_int_equal(b.len, 10);
	assert_memory_equal(b.data, snapshot, sizeof(snapshot));

	/* Appending nothing at the limit is fine. */
	assert_int_equal(va_buf_append(&b, "", 0), VA_OK);
	assert_int_equal(va_buf_appendf(&b, "%s", ""), VA_OK);
	assert_int_equal(b.len, 10);
	va_buf_release(&b);
}

static void test_too_big_leaves_unchanged(void **state)
{
	struct va_buf b;

	va_buf_init(&b, 8);
	assert_int_equal(va_buf_append_str(&b, "abc"), VA_OK);
	/* A refused append in the middle of a buffer leaves the prefix intact. */
	assert_int_equal(va_buf_append_str(&b, "defghi"), VA_E_TOOBIG);
	assert_int_equal(b.len, 3);
	assert_string_equal(va_buf_cstr(&b), "abc");
	assert_int_equal(va_buf_appendf(&b, "%d", 123456), VA_E_TOOBIG);
	assert_string_equal(va_buf_cstr(&b), "abc");
	/* A size that would overflow len + n is refused, not wrapped. */
	assert_int_equal(va_buf_append(&b, "z", SIZE_MAX), VA_E_TOOBIG);
	assert_int_equal(va_buf_append(&b, "z", SIZE_MAX - 2), VA_E_TOOBIG);
	assert_string_equal(va_buf_cstr(&b), "abc");
	assert_int_equal(va_buf_append_str(&b, "de"), VA_OK);
	assert_string_equal(va_buf_cstr(&b), "abcde");
	va_buf_release(&b);

	/* max 0: only empty appends. */
	va_buf_init(&b, 0);
	assert_int_equal(va_buf_append(&b, "a", 1), VA_E_TOOBIG);
	assert_int_equal(va_buf_append(&b, "", 0), VA_OK);
	assert_string_equal(va_buf_cstr(&b), "");
	va_buf_release(&b);
}

static void test_binary_and_nul_terminated(void **state)
{
	struct va_buf b;
	const char bin[] = {'a', '\0', 'b'};

	va_buf_init(&b, 100);
	assert_int_equal(va_buf_append(&b, bin, sizeof(bin)), VA_OK);
	assert_int_equal(b.len, 3);
	assert_memory_equal(b.data, bin, 3);
	assert_int_equal(b.data[3], '\0');
	va_buf_release(&b);
}

static void test_appendf_growth(void **state)
{
	struct va_buf b;
	char expect[4096];
	size_t o = 0;

	va_buf_init(&b, sizeof(expect));
	/* Many formatted appends force several reallocations. */
	for (int i = 0; i < 300; i++) {
		assert_int_equal(va_buf_appendf(&b, "%d,", i), VA_OK);
		o += (size_t)snprintf(expect + o, sizeof(expect) - o, "%d,", i);
		assert_int_equal(b.len, o);
		assert_true(b.cap > b.len);
		assert_true(b.cap <= b.max + 1);
	}
	assert_string_equal(va_buf_cstr(&b), expect);

	/* One long formatted piece crossing several capacity doublings at once. */
	va_buf_reset(&b);
	assert_int_equal(va_buf_appendf(&b, "%s", ""), VA_OK);
	assert_int_equal(va_buf_appendf(&b, "%3000s|", "x"), VA_OK);
	assert_int_equal(b.len, 3001);
	assert_int_equal(va_buf_cstr(&b)[2999], 'x');
	assert_int_equal(va_buf_cstr(&b)[3000], '|');
	assert_int_equal(va_buf_cstr(&b)[3001], '\0');
	va_buf_release(&b);
}

static void test_appendf_fills_to_max(void **state)
{
	struct va_buf b;

	/* The maximum is not a multiple of the growth steps: the last append
	 * must land exactly on it. */
	va_buf_init(&b, 100);
	assert_int_equal(va_buf_appendf(&b, "%090d", 7), VA_OK);
	assert_int_equal(va_buf_appendf(&b, "%s", "0123456789"), VA_OK);
	assert_int_equal(b.len, 100);
	assert_int_equal(strlen(va_buf_cstr(&b)), 100);
	assert_int_equal(va_buf_appendf(&b, "%s", "!"), VA_E_TOOBIG);
	assert_int_equal(b.len, 100);
	va_buf_release(&b);
}

static void test_reset_keeps_storage(void **state)
{
	struct va_buf b;
	char *data;
	size_t cap;

	va_buf_init(&b, 1000);
	assert_int_equal(va_buf_append_str(&b, "hello world"), VA_OK);
	data = b.data;
	cap = b.cap;
	va_buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_ptr_equal(b.data, data);
	assert_int_equal(b.cap, cap);
	assert_string_equal(va_buf_cstr(&b), "");
	assert_int_equal(va_buf_append_str(&b, "again"), VA_OK);
	assert_ptr_equal(b.data, data);
	assert_string_equal(va_buf_cstr(&b), "again");
	va_buf_release(&b);

	/* Resetting a buffer that never allocated is harmless. */
	va_buf_init(&b, 10);
	va_buf_reset(&b);
	assert_null(b.data);
	assert_string_equal(va_buf_cstr(&b), "");
}

static void test_take(void **state)
{
	struct va_buf b;
	size_t len = 99;
	char *p;

	va_buf_init(&b, 64);
	assert_int_equal(va_buf_append_str(&b, "owned text"), VA_OK);
	p = va_buf_take(&b, &len);
	assert_non_null(p);
	assert_string_equal(p, "owned text");
	assert_int_equal(len, 10);
	/* The buffer is empty and usable, with the same maximum. */
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_int_equal(b.cap, 0);
	assert_int_equal(b.max, 64);
	assert_string_equal(va_buf_cstr(&b), "");
	assert_int_equal(va_buf_append_str(&b, "next"), VA_OK);
	assert_string_equal(va_buf_cstr(&b), "next");
	assert_string_equal(p, "owned text");
	free(p);

	/* len may be NULL. */
	p = va_buf_take(&b, NULL);
	assert_string_equal(p, "next");
	free(p);

	/* An empty buffer gives a heap "" the caller frees. */
	len = 99;
	p = va_buf_take(&b, &len);
	assert_non_null(p);
	assert_string_equal(p, "");
	assert_int_equal(len, 0);
	free(p);
	va_buf_release(&b);
}

static void test_release_then_reuse(void **state)
{
	struct va_buf b;

	va_buf_init(&b, 32);
	assert_int_equal(va_buf_append_str(&b, "first"), VA_OK);
	va_buf_release(&b);
	assert_null(b.data);
	assert_int_equal(b.len, 0);
	assert_string_equal(va_buf_cstr(&b), "");
	/* Releasing twice is harmless. */
	va_buf_release(&b);

	va_buf_init(&b, 4);
	assert_int_equal(va_buf_append_str(&b, "abcd"), VA_OK);
	assert_int_equal(va_buf_append_str(&b, "e"), VA_E_TOOBIG);
	assert_string_equal(va_buf_cstr(&b), "abcd");
	va_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_init_empty),
	    cmocka_unit_test(test_exact_max),
	    cmocka_unit_test(test_too_big_leaves_unchanged),
	    cmocka_unit_test(test_binary_and_nul_terminated),
	    cmocka_unit_test(test_appendf_growth),
	    cmocka_unit_test(test_appendf_fills_to_max),
	    cmocka_unit_test(test_reset_keeps_storage),
	    cmocka_unit_test(test_take),
	    cmocka_unit_test(test_release_then_reuse),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
