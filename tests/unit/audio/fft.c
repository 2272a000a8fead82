/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/audio/fft.c - the real FFT of src/audio/fft.c against a direct
 * DFT at every supported size, the exact inverse, and the size checks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "audio/fft.h"
#include "core/err.h"

#include <math.h>

static void test_against_dft(void **state)
{
	struct va_fft f;
	float x[VA_FFT_MAX], b[VA_FFT_MAX];
	uint32_t seed = 12345;

	for (unsigned n = 16; n <= VA_FFT_MAX; n *= 2) {
		assert_int_equal(va_fft_init(&f, n), VA_OK);
		for (unsigned i = 0; i < n; i++) {
			seed = seed * 1664525u + 1013904223u;
			x[i] = b[i] = (float)((int)(seed >> 16) - 32768) / 32768.0f;
		}
		va_fft_forward(&f, b);
		for (unsigned k = 0; k <= n / 2; k++) {
			double re = 0, im = 0, gr, gi;

			for (unsigned j = 0; j < n; j++) {
				re += x[j] * cos(2 * M_PI * j * k / n);
				im -= x[j] * sin(2 * M_PI * j * k / n);
			}
			gr = k == 0 ? b[0] : k == n / 2 ? b[1] : b[2 * k];
			gi = k == 0 || k == n / 2 ? 0 : b[2 * k + 1];
			assert_true(fabs(gr - re) < 1e-4 * n);
			assert_true(fabs(gi - im) < 1e-4 * n);
		}
		va_fft_inverse(&f, b);
		for (unsigned i = 0; i < n; i++)
			assert_true(fabsf(b[i] - x[i]) < 1e-5f);
	}
}

static void test_sizes(void **state)
{
	struct va_fft f;

	assert_int_equal(va_fft_init(&f, 8), VA_E_INVAL);
	assert_int_equal(va_fft_init(&f, 100), VA_E_INVAL);
	assert_int_equal(va_fft_init(&f, 2 * VA_FFT_MAX), VA_E_INVAL);
	assert_int_equal(va_fft_init(NULL, 256), VA_E_INVAL);
	assert_int_equal(va_fft_init(&f, 256), VA_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_against_dft),
	    cmocka_unit_test(test_sizes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
