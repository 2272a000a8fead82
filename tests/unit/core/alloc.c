/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/core/alloc.c - the bounded string copy and the duplicating
 * allocators of src/core/alloc.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/alloc.h"
#include "core/err.h"

#include <stdlib.h>
#include <string.h>

static void test_strlcpy_fits(void **state)
{
	char dst[6];

	memset(dst, 'z', sizeof(dst));
	assert_int_equal(va_strlcpy(dst, "hi", sizeof(dst)), VA_OK);
	assert_string_equal(dst, "hi");

	/* Exactly fills dst, NUL included. */
	memset(dst, 'z', sizeof(dst));
	assert_int_equal(va_strlcpy(dst, "hello", sizeof(dst)), VA_OK);
	assert_string_equal(dst, "hello");

	assert_int_equal(va_strlcpy(dst, "", sizeof(dst)), VA_OK);
	assert_string_equal(dst, "");
}

static void test_strlcpy_truncates(void **state)
{
	char buf[8];

	/* One byte too long: truncated, terminated, reported. */
	memset(buf, 'z', sizeof(buf));
	assert_int_equal(va_strlcpy(buf, "hello!", 6), VA_E_TOOBIG);
	assert_string_equal(buf, "hello");
	assert_int_equal(buf[6], 'z');
	assert_int_equal(buf[7], 'z');

	memset(buf, 'z', sizeof(buf));
	assert_int_equal(va_strlcpy(buf, "a much longer string", 4), VA_E_TOOBIG);
	assert_string_equal(buf, "a m");
	assert_int_equal(buf[4], 'z');

	/* Size 1 holds only the terminator. */
	memset(buf, 'z', sizeof(buf));
	assert_int_equal(va_strlcpy(buf, "x", 1), VA_E_TOOBIG);
	assert_int_equal(buf[0], '\0');
	assert_int_equal(buf[1], 'z');
	assert_int_equal(va_strlcpy(buf, "", 1), VA_OK);
	assert_int_equal(buf[0], '\0');
}

static void test_strlcpy_size_zero(void **state)
{
	char buf[4] = {'q', 'q', 'q', 'q'};

	/* Nothing may be written at all. */
	assert_int_equal(va_strlcpy(buf, "abc", 0), VA_E_TOOBIG);
	assert_int_equal(va_strlcpy(buf, "", 0), VA_E_TOOBIG);
	for (size_t i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 'q');
}

static void test_xstrndup(void **state)
{
	const char bin[] = {'a', 'b', '\0', 'c', 'd'};
	char *p;

	p = va_xstrndup("hello", 3);
	assert_string_equal(p, "hel");
	free(p);

	p = va_xstrndup("hello", 5);
	assert_string_equal(p, "hello");
	free(p);

	p = va_xstrndup("hello", 0);
	assert_non_null(p);
	assert_string_equal(p, "");
	free(p);

	/* Copies exactly n bytes (callers pass lengths of counted strings,
	 * e.g. JSON strings) and always terminates. */
	p = va_xstrndup(bin, sizeof(bin));
	assert_memory_equal(p, bin, sizeof(bin));
	assert_int_equal(p[sizeof(bin)], '\0');
	free(p);
}

static void test_xstrdup_and_allocators(void **state)
{
	const char *s = "some text";
	char *p = va_xstrdup(s);
	unsigned char *z;
	char *r;

	assert_ptr_not_equal(p, s);
	assert_string_equal(p, s);
	free(p);

	p = va_xstrdup("");
	assert_string_equal(p, "");
	free(p);

	z = va_xcalloc(16, 4);
	for (size_t i = 0; i < 64; i++)
		assert_int_equal(z[i], 0);
	free(z);

	/* Zero sizes still give a pointer that can be freed. */
	z = va_xcalloc(0, 0);
	assert_non_null(z);
	free(z);
	r = va_xmalloc(0);
	assert_non_null(r);
	r = va_xrealloc(r, 10);
	memcpy(r, "123456789", 10);
	r = va_xrealloc(r, 100000);
	assert_string_equal(r, "123456789");
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_strlcpy_fits),	   cmocka_unit_test(test_strlcpy_truncates),
	    cmocka_unit_test(test_strlcpy_size_zero),	   cmocka_unit_test(test_xstrndup),
	    cmocka_unit_test(test_xstrdup_and_allocators),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
