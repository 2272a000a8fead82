/* SPDX-License-Identifier: MIT */
/* Tests for calendar.h: feed tokens and their stored form, auth names. */
#include "calendar/calendar.h"

#include "core/err.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static void test_sha256_hex(void **state)
{
	char out[65];

	va_cal_sha256_hex("abc", 3, out);
	assert_string_equal(out,
			    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void test_feed_tokens(void **state)
{
	char t1[65], h1[65], t2[65], h2[65], check[65];

	assert_int_equal(va_cal_feed_token_new(t1, h1), VA_OK);
	assert_int_equal(va_cal_feed_token_new(t2, h2), VA_OK);
	assert_int_equal(strlen(t1), 64);
	assert_int_equal(strspn(t1, "0123456789abcdef"), 64);
	/* Fresh each time; the stored form is the token's SHA-256. */
	assert_string_not_equal(t1, t2);
	va_cal_sha256_hex(t1, 64, check);
	assert_string_equal(check, h1);
	assert_string_not_equal(h1, t1);
}

static void test_auth_names(void **state)
{
	enum va_cal_auth a;

	for (int i = VA_CAL_AUTH_BASIC; i <= VA_CAL_AUTH_NONE; i++) {
		assert_int_equal(va_cal_auth_parse(va_cal_auth_name((enum va_cal_auth)i), &a),
				 VA_OK);
		assert_int_equal(a, i);
	}
	assert_int_equal(va_cal_auth_parse("digest", &a), VA_E_INVAL);
	assert_int_equal(va_cal_auth_parse(NULL, &a), VA_E_INVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sha256_hex),
	    cmocka_unit_test(test_feed_tokens),
	    cmocka_unit_test(test_auth_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
