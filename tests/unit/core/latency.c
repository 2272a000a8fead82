/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/core/latency.c - the sliding latency window of
 * src/core/latency.c: nearest-rank percentiles, wrap-around and saturation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/latency.h"

#include <stdlib.h>
#include <string.h>

/* The window is 32 KiB: keep it off the stack. */
static int setup(void **state)
{
	struct va_latency *l = malloc(sizeof(*l));

	if (!l)
		return -1;
	memset(l, 0x5a, sizeof(*l));
	va_latency_init(l);
	*state = l;
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

static void test_empty(void **state)
{
	struct va_latency *l = *state;
	struct va_latency_summary s;

	memset(&s, 0x5a, sizeof(s));
	va_latency_summarize(l, &s);
	assert_int_equal(s.count, 0);
	assert_true(s.p50_ms == 0.0);
	assert_true(s.p90_ms == 0.0);
	assert_true(s.p99_ms == 0.0);
	assert_true(s.max_ms == 0.0);
}

static void test_one_sample(void **state)
{
	struct va_latency *l = *state;
	struct va_latency_summary s;

	va_latency_add_us(l, 1500);
	va_latency_summarize(l, &s);
	assert_int_equal(s.count, 1);
	assert_float_equal(s.p50_ms, 1.5, 1e-9);
	assert_float_equal(s.p90_ms, 1.5, 1e-9);
	assert_float_equal(s.p99_ms, 1.5, 1e-9);
	assert_float_equal(s.max_ms, 1.5, 1e-9);
}

static void test_one_to_hundred(void **state)
{
	struct va_latency *l = *state;
	struct va_latency_summary s;

	/* Added out of order: the summary must not depend on arrival order. */
	for (int i = 100; i >= 51; i--)
		va_latency_add_us(l, (uint64_t)i * 1000);
	for (int i = 1; i <= 50; i++)
		va_latency_add_us(l, (uint64_t)i * 1000);
	va_latency_summarize(l, &s);
	assert_int_equal(s.count, 100);
	assert_float_equal(s.p50_ms, 50.0, 1e-9);
	assert_float_equal(s.p90_ms, 90.0, 1e-9);
	assert_float_equal(s.p99_ms, 99.0, 1e-9);
	assert_float_equal(s.max_ms, 100.0, 1e-9);

	/* Summarizing does not disturb the window. */
	va_latency_summarize(l, &s);
	assert_float_equal(s.p50_ms, 50.0, 1e-9);
	assert_int_equal(s.count, 100);
}

static void test_nearest_rank_small(void **state)
{
	struct va_latency *l = *state;
	struct va_latency_summary s;

	/* 3 samples: p50 is the 2nd (ceil 1.5), p90 and p99 the 3rd. */
	va_latency_add_us(l, 3000);
	va_latency_add_us(l, 1000);
	va_latency_add_us(l, 2000);
	va_latency_summarize(l, &s);
	assert_float_equal(s.p50_ms, 2.0, 1e-9);
	assert_float_equal(s.p90_ms, 3.0, 1e-9);
	assert_float_equal(s.p99_ms, 3.0, 1e-9);
	assert_float_equal(s.max_ms, 3.0, 1e-9);

	/* 10 samples 1..10 ms: p50 = 5, p90 = 9, p99 = 10. */
	va_latency_init(l);
	for (int i = 1; i <= 10; i++)
		va_latency_add_us(l, (uint64_t)i * 1000);
	va_latency_summarize(l, &s);
	assert_int_equal(s.count, 10);
	assert_float_equal(s.p50_ms, 5.0, 1e-9);
	assert_float_equal(s.p90_ms, 9.0, 1e-9);
	assert_float_equal(s.p99_ms, 10.0, 1e-9);
	assert_float_equal(s.max_ms, 10.0, 1e-9);
}

static void test_init_resets(void **state)
{
	struct va_latency *l = *state;
	struct va_latency_summary s;

	va_latency_add_us(l, 5000);
	va_latency_init(l);
	va_latency_summarize(l, &s);
	assert_int_equal(s.count, 0);
	assert_true(s.max_ms == 0.0);
}

static void test_wrap_around(void **state)
{
	struct va_latency *l = *state;
	struct va_latency_summary s;

	/* A slow period that has entirely scrolled out of the window. */
	for (int i = 0; i < VA_LATENCY_WINDOW; i++)
		va_latency_add_us(l, 9000000);
	for (int i = 1; i <= VA_LATENCY_WINDOW; i++)
		va_latency_add_us(l, (uint64_t)i);
	va_latency_summarize(l, &s);
	assert_int_equal(s.count, 2 * VA_LATENCY_WINDOW);
	assert_float_equal(s.max_ms, VA_LATENCY_WINDOW / 1000.0, 1e-9);
	assert_float_equal(s.p50_ms, (VA_LATENCY_WINDOW / 2) / 1000.0, 1e-9);

	/* One more sample evicts exactly the oldest one (value 1 us). */
	va_latency_add_us(l, 0);
	va_latency_summarize(l, &s);
	assert_int_equal(s.count, 2 * VA_LATENCY_WINDOW + 1);
	assert_float_equal(s.max_ms, VA_LATENCY_WINDOW / 1000.0, 1e-9);
}

static void test_partial_wrap(void **state)
{
	struct va_latency *l = *state;
	struct va_latency_summary s;

	/* The first sample is huge; it is evicted by sample W+1. */
	va_latency_add_us(l, 50000000);
	for (int i = 1; i < VA_LATENCY_WINDOW; i++)
		va_latency_add_us(l, 1000);
	va_latency_summarize(l, &s);
	assert_float_equal(s.max_ms, 50000.0, 1e-9);
	assert_float_equal(s.p99_ms, 1.0, 1e-9);

	va_latency_add_us(l, 2000);
	va_latency_summarize(l, &s);
	assert_int_equal(s.count, VA_LATENCY_WINDOW + 1);
	assert_float_equal(s.max_ms, 2.0, 1e-9);
	assert_float_equal(s.p50_ms, 1.0, 1e-9);
}

static void test_saturation(void **state)
{
	struct va_latency *l = *state;
	struct va_latency_summary s;
	const double sat_ms = (double)UINT32_MAX / 1000.0;

	va_latency_add_us(l, UINT64_MAX);
	va_latency_add_us(l, (uint64_t)UINT32_MAX + 1);
	va_latency_add_us(l, UINT32_MAX);
	va_latency_summarize(l, &s);
	assert_int_equal(s.count, 3);
	assert_float_equal(s.max_ms, sat_ms, 1e-6);
	assert_float_equal(s.p50_ms, sat_ms, 1e-6);
	assert_float_equal(s.p99_ms, sat_ms, 1e-6);

	/* A saturated value still sorts above ordinary ones. */
	va_latency_init(l);
	va_latency_add_us(l, UINT64_MAX);
	for (int i = 0; i < 9; i++)
		va_latency_add_us(l, 1000);
	va_latency_summarize(l, &s);
	assert_float_equal(s.p50_ms, 1.0, 1e-9);
	assert_float_equal(s.p90_ms, 1.0, 1e-9);
	assert_float_equal(s.p99_ms, sat_ms, 1e-6);
	assert_float_equal(s.max_ms, sat_ms, 1e-6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_empty, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_one_sample, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_one_to_hundred, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_nearest_rank_small, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_init_resets, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_wrap_around, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_partial_wrap, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_saturation, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
