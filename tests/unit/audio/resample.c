/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/audio/resample.c - the speexdsp wrapper: argument checks, the
 * length contract (whole 20 ms frames in give whole frames out over time),
 * a tone keeps its frequency and level through 8k -> 16k -> 8k, and flush.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "audio/resample.h"
#include "core/err.h"

#include <math.h>
#include <stdlib.h>

static void test_args(void **state)
{
	struct va_resample *r = (struct va_resample *)1;
	size_t in = 1, out = 1;
	int16_t x = 0, y = 0;

	assert_int_equal(va_resample_new(8000, 16000, 11, &r), VA_E_INVAL);
	assert_null(r);
	assert_int_equal(va_resample_new(100, 16000, 3, &r), VA_E_INVAL);
	assert_int_equal(va_resample_new(8000, 500000, 3, &r), VA_E_INVAL);
	assert_int_equal(va_resample_new(8000, 16000, 3, NULL), VA_E_INVAL);
	assert_int_equal(va_resample_new(8000, 16000, VA_RESAMPLE_QUALITY_VOIP, &r), VA_OK);
	assert_int_equal(va_resample_process(NULL, &x, &in, &y, &out), VA_E_INVAL);
	assert_int_equal(va_resample_process(r, &x, NULL, &y, &out), VA_E_INVAL);
	in = 0;
	assert_int_equal(va_resample_process(r, &x, &in, &y, &out), VA_OK);
	assert_int_equal(out, 0);
	assert_int_equal(va_resample_out_len(r, 160), 321);
	assert_true(va_resample_latency(r) > 0);
	va_resample_free(r);
	va_resample_free(NULL);
	va_resample_reset(NULL);
}

/* Level (rms) and zero crossings per second of x. */
static void measure(const int16_t *x, size_t n, int rate, double *rms, double *freq)
{
	double e = 0;
	int zc = 0;

	for (size_t i = 0; i < n; i++) {
		e += (double)x[i] * x[i];
		if (i && (x[i - 1] < 0) != (x[i] < 0))
			zc++;
	}
	*rms = sqrt(e / (double)n);
	*freq = zc / 2.0 / ((double)n / rate);
}

static void test_tone_round_trip(void **state)
{
	enum { FRAMES = 100, IN = 160 };
	struct va_resample *up = NULL, *down = NULL;
	int16_t *wide = calloc(FRAMES * 2 * IN + 64, sizeof(int16_t));
	int16_t *back = calloc(FRAMES * IN + 64, sizeof(int16_t));
	size_t nw = 0, nb = 0;
	double rms, freq;

	assert_int_equal(va_resample_new(8000, 16000, VA_RESAMPLE_QUALITY_VOIP, &up), VA_OK);
	assert_int_equal(va_resample_new(16000, 8000, VA_RESAMPLE_QUALITY_VOIP, &down), VA_OK);
	for (int f = 0; f < FRAMES; f++) {
		int16_t frame[IN];
		size_t in = IN, out = FRAMES * 2 * IN + 64 - nw;

		for (int i = 0; i < IN; i++)
			frame[i] = (int16_t)lround(8000.0 *
						   sin(2 * M_PI * 1000.0 * (f * IN + i) / 8000.0));
		assert_int_equal(va_resample_process(up, frame, &in, wide + nw, &out), VA_OK);
		assert_int_equal(in, IN);
		nw += out;
	}
	/* About twice the input, less the filter's delay. */
	assert_true(nw > FRAMES * 2 * IN - 100 && nw <= FRAMES * 2 * IN);
	measure(wide + 200, nw - 200, 16000, &rms, &freq);
	assert_true(fabs(rms - 8000 / sqrt(2.0)) < 300);
	assert_true(fabs(freq - 1000) < 10);

	for (size_t off = 0; off < nw;) {
		size_t in = nw - off, out = FRAMES * IN + 64 - nb;

		assert_int_equal(va_resample_process(down, wide + off, &in, back + nb, &out),
				 VA_OK);
		off += in;
		nb += out;
		if (in == 0)
			break;
	}
	measure(back + 100, nb - 100, 8000, &rms, &freq);
	assert_true(fabs(rms - 8000 / sqrt(2.0)) < 300);
	assert_true(fabs(freq - 1000) < 10);

	/* Zeros flush the filter's tail out; reset starts a new stream. */
	{
		size_t in = 64, out = 256;
		int16_t tail[256];

		assert_int_equal(va_resample_process(up, NULL, &in, tail, &out), VA_OK);
		assert_true(out > 0);
	}
	va_resample_reset(up);
	va_resample_free(up);
	va_resample_free(down);
	free(wide);
	free(back);
}

static void test_24k(void **state)
{
	struct va_resample *r = NULL;
	int16_t in[160] = {0}, out[600];
	size_t total = 0;

	assert_int_equal(va_resample_new(8000, 24000, VA_RESAMPLE_QUALITY_DEFAULT, &r), VA_OK);
	for (int f = 0; f < 50; f++) {
		size_t ni = 160, no = sizeof(out) / sizeof(out[0]);

		assert_int_equal(va_resample_process(r, in, &ni, out, &no), VA_OK);
		assert_int_equal(ni, 160);
		total += no;
	}
	/* One second in, a second out (minus the delay). */
	assert_true(total > 24000 - 200 && total <= 24000);
	va_resample_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_args),
	    cmocka_unit_test(test_tone_round_trip),
	    cmocka_unit_test(test_24k),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
