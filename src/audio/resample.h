/* SPDX-License-Identifier: MIT */
/*
 * resample.h - sample-rate conversion of 16-bit mono PCM, a thin wrapper
 * around speexdsp's resampler (never a hand-written filter).
 *
 * Typical uses: 8 kHz telephone audio to 16 or 24 kHz for a consumer that
 * wants wideband PCM, and back. One struct va_resample per direction per
 * call: it keeps the filter history so consecutive frames join without
 * clicks. Pure apart from its own heap state; no I/O, no globals.
 *
 * Delay: the filter delays the signal by va_resample_latency() input samples
 * (about 1 ms at VA_RESAMPLE_QUALITY_VOIP); a stream that must keep its
 * length exactly can flush with zeros at the end.
 */
#ifndef VA_AUDIO_RESAMPLE_H
#define VA_AUDIO_RESAMPLE_H

#include <stddef.h>
#include <stdint.h>

/* speexdsp's quality scale 0..10; 3 is its VoIP setting (the default for
 * telephone audio: enough stop-band for 8 kHz speech at a small cost). */
#define VA_RESAMPLE_QUALITY_MIN	    0
#define VA_RESAMPLE_QUALITY_VOIP    3
#define VA_RESAMPLE_QUALITY_DEFAULT 4
#define VA_RESAMPLE_QUALITY_MAX	    10

struct va_resample;

/* Creates a converter from in_rate to out_rate (Hz, 1000..192000 each) at
 * quality 0..10. VA_E_INVAL for a rate or quality out of range, VA_E_NOMEM.
 * Caller owns *out; free with va_resample_free. */
int va_resample_new(uint32_t in_rate, uint32_t out_rate, int quality, struct va_resample **out);
void va_resample_free(struct va_resample *r);

/* Converts up to *in_len samples of in into at most *out_len samples of
 * out. On return *in_len is the number of input samples consumed and
 * *out_len the number written; input not consumed (out was too small) must
 * be passed again. va_resample_out_len() says how much room a whole input
 * needs. in may be NULL with *in_len > 0 to feed zeros (flush). */
int va_resample_process(struct va_resample *r, const int16_t *in, size_t *in_len, int16_t *out,
			size_t *out_len);

/* Output samples that in_len input samples can produce at most (for sizing
 * out): ceil(in_len * out_rate / in_rate) + 1. */
size_t va_resample_out_len(const struct va_resample *r, size_t in_len);
/* The filter's delay, in input samples. */
int va_resample_latency(const struct va_resample *r);
/* Forgets the history (a new, unrelated stream follows). */
void va_resample_reset(struct va_resample *r);

#endif
