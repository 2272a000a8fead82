/* SPDX-License-Identifier: MIT */
/*
 * fft.c - radix-2 complex FFT of n/2 points and the real split step.
 * See fft.h for the layout. Tables are computed once per struct in double
 * precision so the transform's error stays at float rounding.
 */
#include "audio/fft.h"

#include "core/err.h"

#include <math.h>
#include <string.h>

int va_fft_init(struct va_fft *f, unsigned n)
{
	unsigned m, bits = 0;

	if (!f || n < 16 || n > VA_FFT_MAX || (n & (n - 1)))
		return VA_E_INVAL;
	memset(f, 0, sizeof(*f));
	f->n = n;
	m = n / 2;
	while ((1u << bits) < m)
		bits++;
	for (unsigned i = 0; i < m; i++) {
		unsigned r = 0;

		for (unsigned b = 0; b < bits; b++)
			r |= ((i >> b) & 1u) << (bits - 1 - b);
		f->rev[i] = (unsigned short)r;
	}
	for (unsigned k = 0; k < m / 2; k++) {
		f->cos_m[k] = (float)cos(2.0 * M_PI * k / m);
		f->sin_m[k] = (float)-sin(2.0 * M_PI * k / m);
	}
	for (unsigned k = 0; k < m; k++) {
		f->cos_n[k] = (float)cos(2.0 * M_PI * k / n);
		f->sin_n[k] = (float)-sin(2.0 * M_PI * k / n);
	}
	return VA_OK;
}

/* Forward complex FFT of m points, interleaved re/im, in place. With
 * conj_in_out the same routine gives the (unscaled) inverse. */
static void cfft(const struct va_fft *f, float *z, int inverse)
{
	unsigned m = f->n / 2;
	float sgn = inverse ? -1.0f : 1.0f;

	for (unsigned i = 0; i < m; i++) {
		unsigned r = f->rev[i];

		if (r > i) {
			float tr = z[2 * i], ti = z[2 * i + 1];

			z[2 * i] = z[2 * r];
			z[2 * i + 1] = z[2 * r + 1];
			z[2 * r] = tr;
			z[2 * r + 1] = ti;
		}
	}
	for (unsigned len = 2; len <= m; len <<= 1) {
		unsigned half = len / 2, step = m / len;

		for (unsigned s = 0; s < m; s += len) {
			for (unsigned j = 0; j < half; j++) {
				float wr = f->cos_m[j * step], wi = sgn * f->sin_m[j * step];
				float *a = z + 2 * (s + j), *b = z + 2 * (s + j + half);
				float xr = b[0] * wr - b[1] * wi;
				float xi = b[0] * wi + b[1] * wr;

				b[0] = a[0] - xr;
				b[1] = a[1] - xi;
				a[0] += xr;
				a[1] += xi;
			}
		}
	}
}

void va_fft_forward(const struct va_fft *f, float *buf)
{
	unsigned m = f->n / 2;
	float z0r, z0i;

	/* Even samples as the real part, odd as the imaginary part. */
	cfft(f, buf, 0);
	z0r = buf[0];
	z0i = buf[1];
	/* Split: X[k] = Fe[k] + W^k Fo[k], handled for k and m-k together so
	 * the work stays in place. */
	for (unsigned k = 1; k <= m / 2; k++) {
		unsigned j = m - k;
		float ar = buf[2 * k], ai = buf[2 * k + 1];
		float br = buf[2 * j], bi = buf[2 * j + 1];
		/* Fe = (Z[k] + conj Z[m-k]) / 2, Fo = (Z[k] - conj Z[m-k]) / 2i */
		float fer = 0.5f * (ar + br), fei = 0.5f * (ai - bi);
		float for_ = 0.5f * (ai + bi), foi = -0.5f * (ar - br);
		float wr = f->cos_n[k], wi = f->sin_n[k];
		float tr = wr * for_ - wi * foi, ti = wr * foi + wi * for_;

		buf[2 * k] = fer + tr;
		buf[2 * k + 1] = fei + ti;
		/* X[m-k] = conj(Fe[k]) - conj(W^k Fo[k]) */
		buf[2 * j] = fer - tr;
		buf[2 * j + 1] = -fei + ti;
	}
	buf[0] = z0r + z0i;
	buf[1] = z0r - z0i;
}

void va_fft_inverse(const struct va_fft *f, float *buf)
{
	unsigned m = f->n / 2;
	float x0 = buf[0], xm = buf[1];
	float scale = 1.0f / (float)m;

	for (unsigned k = 1; k <= m / 2; k++) {
		unsigned j = m - k;
		float ar = buf[2 * k], ai = buf[2 * k + 1];
		float br = buf[2 * j], bi = buf[2 * j + 1];
		/* Fe = (X[k] + conj X[m-k]) / 2, W^k Fo = (X[k] - conj X[m-k]) / 2 */
		float fer = 0.5f * (ar + br), fei = 0.5f * (ai - bi);
		float gr = 0.5f * (ar - br), gi = 0.5f * (ai + bi);
		float wr = f->cos_n[k], wi = -f->sin_n[k]; /* conj(W^k) */
		float for_ = gr * wr - gi * wi, foi = gr * wi + gi * wr;

		/* Z[k] = Fe + i Fo; Z[m-k] = conj(Fe) + i conj(Fo) */
		buf[2 * k] = fer - foi;
		buf[2 * k + 1] = fei + for_;
		buf[2 * j] = fer + foi;
		buf[2 * j + 1] = -fei + for_;
	}
	buf[0] = 0.5f * (x0 + xm);
	buf[1] = 0.5f * (x0 - xm);
	cfft(f, buf, 1);
	for (unsigned i = 0; i < f->n; i++)
		buf[i] *= scale;
}
