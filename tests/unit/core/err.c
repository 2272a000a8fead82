/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/core/err.c - the error table of src/core/err.c: every code has
 * its own name and message, and unknown codes are named as such.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/err.h"

#include <limits.h>
#include <string.h>

struct code {
	int code;
	const char *name;
};

static const struct code codes[] = {
#define X(name, code, msg) {VA_E_##name, #name},
    VA_ERR_MAP(X)
#undef X
};
#define N_CODES (sizeof(codes) / sizeof(codes[0]))

static void test_ok(void **state)
{
	assert_int_equal(VA_OK, 0);
	assert_string_equal(va_err_name(0), "OK");
	assert_non_null(va_err_str(0));
	assert_true(strlen(va_err_str(0)) > 0);
}

static void test_every_code_named(void **state)
{
	assert_true(N_CODES >= 17);
	for (size_t i = 0; i < N_CODES; i++) {
		const char *name = va_err_name(codes[i].code);
		const char *msg = va_err_str(codes[i].code);

		assert_true(codes[i].code < 0);
		assert_string_equal(name, codes[i].name);
		assert_string_not_equal(name, "UNKNOWN");
		assert_string_not_equal(name, "OK");
		assert_non_null(msg);
		assert_true(strlen(msg) > 0);
		assert_string_not_equal(msg, va_err_str(0));
		assert_string_not_equal(msg, va_err_str(-12345));
	}
	assert_string_equal(va_err_name(VA_E_NOTFOUND), "NOTFOUND");
	assert_string_equal(va_err_name(VA_E_TOOBIG), "TOOBIG");
	assert_string_equal(va_err_name(VA_E_BUSY), "BUSY");
}

static void test_distinct(void **state)
{
	for (size_t i = 0; i < N_CODES; i++) {
		for (size_t j = i + 1; j < N_CODES; j++) {
			assert_int_not_equal(codes[i].code, codes[j].code);
			assert_string_not_equal(va_err_name(codes[i].code),
						va_err_name(codes[j].code));
			assert_string_not_equal(va_err_str(codes[i].code),
						va_err_str(codes[j].code));
		}
	}
}

static void test_unknown(void **state)
{
	const int unknown[] = {1, 5, -18, -100, 12345, INT_MIN, INT_MAX};

	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		assert_string_equal(va_err_name(unknown[i]), "UNKNOWN");
		assert_non_null(va_err_str(unknown[i]));
		assert_true(strlen(va_err_str(unknown[i])) > 0);
		for (size_t j = 0; j < N_CODES; j++)
			assert_string_not_equal(va_err_str(unknown[i]), va_err_str(codes[j].code));
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ok),
	    cmocka_unit_test(test_every_code_named),
	    cmocka_unit_test(test_distinct),
	    cmocka_unit_test(test_unknown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
