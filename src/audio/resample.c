/* SPDX-License-Identifier: MIT */
/*
 * resample.c - speexdsp's resampler behind the project's conventions
 * (error codes, _new/_free, size_t lengths). See resample.h.
 */
#include "audio/resample.h"

#include "core/err.h"

#include <limits.h>
#include <speex/speex_resampler.h>
#include <stdlib.h>

#define RATE_MIN 1000u
#define RATE_MAX 192000u

struct va_resample {
	SpeexResamplerState *st;
	uint32_t in_rate, out_rate;
};

int va_resample_new(uint32_t in_rate, uint32_t out_rate, int quality, struct va_resample **out)
{
	struct va_resample *r = NULL;
	int serr = 0, rc = VA_E_INVAL;

	if (!out)
		return VA_E_INVAL;
	*out = NULL;
	if (in_rate < RATE_MIN || in_rate > RATE_MAX || out_rate < RATE_MIN ||
	    out_rate > RATE_MAX || quality < VA_RESAMPLE_QUALITY_MIN ||
	    quality > VA_RESAMPLE_QUALITY_MAX)
		goto out;
	rc = VA_E_NOMEM;
	r = calloc(1, sizeof(*r));
	if (!r)
		goto out;
	r->st = speex_resampler_init(1, in_rate, out_rate, quality, &serr);
	if (!r->st || serr != RESAMPLER_ERR_SUCCESS) {
		rc = serr == RESAMPLER_ERR_ALLOC_FAILED ? VA_E_NOMEM : VA_E_INVAL;
		goto out;
	}
	/* Without this the first call outputs the filter's ramp-up zeros as
	 * real samples; skipping them aligns output with input (less delay). */
	speex_resampler_skip_zeros(r->st);
	r->in_rate = in_rate;
	r->out_rate = out_rate;
	*out = r;
	r = NULL;
	rc = VA_OK;
out:
	va_resample_free(r);
	return rc;
}

void va_resample_free(struct va_resample *r)
{
	if (!r)
		return;
	if (r->st)
		speex_resampler_destroy(r->st);
	free(r);
}

int va_resample_process(struct va_resample *r, const int16_t *in, size_t *in_len, int16_t *out,
			size_t *out_len)
{
	spx_uint32_t il, ol;
	int serr;

	if (!r || !in_len || !out_len || (!out && *out_len))
		return VA_E_INVAL;
	/* speexdsp counts in 32 bits; larger requests are done in part, as
	 * the in/out contract allows. */
	il = *in_len > UINT32_MAX ? UINT32_MAX : (spx_uint32_t)*in_len;
	ol = *out_len > UINT32_MAX ? UINT32_MAX : (spx_uint32_t)*out_len;
	if (ol == 0 || il == 0) {
		*in_len = 0;
		*out_len = 0;
		return VA_OK;
	}
	serr = speex_resampler_process_int(r->st, 0, in, &il, out, &ol);
	if (serr != RESAMPLER_ERR_SUCCESS)
		return VA_E_INVAL;
	*in_len = il;
	*out_len = ol;
	return VA_OK;
}

size_t va_resample_out_len(const struct va_resample *r, size_t in_len)
{
	if (!r)
		return 0;
	return (size_t)(((uint64_t)in_len * r->out_rate + r->in_rate - 1) / r->in_rate) + 1;
}

int va_resample_latency(const struct va_resample *r)
{
	return r ? speex_resampler_get_input_latency(r->st) : 0;
}

void va_resample_reset(struct va_resample *r)
{
	if (!r)
		return;
	speex_resampler_reset_mem(r->st);
	speex_resampler_skip_zeros(r->st);
}
