/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/schedule/service.c - visit kinds: every kind has a distinct code
 * and a spoken form, codes round-trip, and unknown input maps to NONE.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "schedule/service.h"

#include <string.h>

static void test_codes_round_trip(void **state)
{
	for (int k = VA_SERVICE_NONE + 1; k < VA_SERVICE__COUNT; k++) {
		const char *code = va_service_code((enum va_service_kind)k);

		assert_true(strlen(code) > 0);
		assert_int_equal(va_service_from_code(code), k);
		assert_true(strlen(va_service_spoken((enum va_service_kind)k)) > 0);
		for (int j = k + 1; j < VA_SERVICE__COUNT; j++)
			assert_string_not_equal(code, va_service_code((enum va_service_kind)j));
	}
}

static void test_known_values(void **state)
{
	assert_string_equal(va_service_code(VA_SERVICE_CLEANING), "cleaning");
	assert_string_equal(va_service_code(VA_SERVICE_NEW_PATIENT_EXAM), "new_patient_exam");
	assert_string_equal(va_service_code(VA_SERVICE_CHILD_VISIT), "child_visit");
	assert_string_equal(va_service_spoken(VA_SERVICE_CLEANING), "a cleaning and checkup");
	assert_string_equal(va_service_spoken(VA_SERVICE_EMERGENCY), "an emergency visit");
	assert_int_equal(va_service_from_code("root_canal"), VA_SERVICE_ROOT_CANAL);
}

static void test_unknown(void **state)
{
	assert_string_equal(va_service_code(VA_SERVICE_NONE), "");
	assert_string_equal(va_service_spoken(VA_SERVICE_NONE), "");
	assert_string_equal(va_service_code(VA_SERVICE__COUNT), "");
	assert_string_equal(va_service_code((enum va_service_kind) - 1), "");
	assert_string_equal(va_service_spoken((enum va_service_kind)99), "");
	assert_int_equal(va_service_from_code(NULL), VA_SERVICE_NONE);
	assert_int_equal(va_service_from_code(""), VA_SERVICE_NONE);
	assert_int_equal(va_service_from_code("Cleaning"), VA_SERVICE_NONE);
	assert_int_equal(va_service_from_code("cleaning "), VA_SERVICE_NONE);
	assert_int_equal(va_service_from_code("brain_surgery"), VA_SERVICE_NONE);
}

static void test_provider_names(void **state)
{
	assert_string_equal(va_provider_kind_name(VA_PROVIDER_DENTIST), "dentist");
	assert_string_equal(va_provider_kind_name(VA_PROVIDER_HYGIENIST), "hygienist");
	assert_string_equal(va_provider_kind_name((enum va_provider_kind)7), "unknown");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_codes_round_trip),
	    cmocka_unit_test(test_known_values),
	    cmocka_unit_test(test_unknown),
	    cmocka_unit_test(test_provider_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
