/* SPDX-License-Identifier: MIT */
/*
 * fft.h - a small real FFT for the audio modules (the VAD's spectra and
 * autocorrelations), sizes 16..512, single precision.
 *
 * Not a general FFT library: fixed power-of-two sizes, one channel, tables
 * embedded in the struct so there is no allocation and no global state. A
 * real transform of n points runs as a complex one of n/2 points plus a
 * split step (the classic "two for one" trick).
 *
 * Packed spectrum layout (as in many real FFTs): buf[0] = X[0] (real),
 * buf[1] = X[n/2] (real), buf[2k] + i*buf[2k+1] = X[k] for 0 < k < n/2,
 * with X[k] = sum_j x[j] e^{-2 pi i jk/n}.
 */
#ifndef VA_AUDIO_FFT_H
#define VA_AUDIO_FFT_H

#define VA_FFT_MAX 512

struct va_fft {
	unsigned n;		     /* real points */
	float cos_m[VA_FFT_MAX / 4]; /* complex FFT (m = n/2) twiddles */
	float sin_m[VA_FFT_MAX / 4];
	float cos_n[VA_FFT_MAX / 2]; /* split-step twiddles e^{-2 pi i k/n} */
	float sin_n[VA_FFT_MAX / 2];
	unsigned short rev[VA_FFT_MAX / 2]; /* bit reversal of m points */
};

/* Prepares tables for n real points (a power of two, 16..VA_FFT_MAX).
 * VA_E_INVAL otherwise. */
int va_fft_init(struct va_fft *f, unsigned n);
/* In place: n real samples -> packed spectrum (see above). */
void va_fft_forward(const struct va_fft *f, float *buf);
/* In place: packed spectrum -> n real samples; exact inverse of
 * va_fft_forward (the 1/n is applied here). */
void va_fft_inverse(const struct va_fft *f, float *buf);

#endif
