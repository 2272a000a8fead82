/* SPDX-License-Identifier: MIT */
/*
 * audio_bench.c - the CPU cost of our own audio processing per call.
 *
 * 1. Per 20 ms Twilio frame: G.711 decode + VAD (two 10 ms steps) + turn
 *    taking, through struct va_listener exactly as the media stream will use
 *    it. Each frame is timed on the thread's CPU clock
 *    (CLOCK_THREAD_CPUTIME_ID); p50 / p99 / max over every frame of every
 *    call. The audio is a mu-law file given on the command line (e.g. a
 *    corpus file) or, by default, a built-in 60 s mix of a synthetic talker
 *    and noise, so the figure does not depend on files.
 * 2. mu-law throughput: decode and encode of a large buffer, samples/s.
 * 3. Resampling 8 -> 16 kHz with speexdsp (quality 3), per 20 ms frame.
 * 4. Heap per call: what va_listener_new allocates (mallinfo2).
 *
 *   ./build/voiceai-bench-audio [--calls N] [--json] [FILE.ul]
 */
#include "audio/g711.h"
#include "audio/listener.h"
#include "audio/resample.h"
#include "core/err.h"

#include <malloc.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SYNTH_SECONDS 60

static double now_cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* A talker (harmonics under a syllable envelope) for 2 s of every 4, over
 * white noise 15 dB down: frames of speech, pauses and noise alike. */
static uint8_t *synth_audio(size_t *n)
{
	size_t ns = SYNTH_SECONDS * 8000;
	uint8_t *ul = malloc(ns);
	uint64_t rng = 88172645463325252ULL;
	double ph = 0;

	if (!ul)
		return NULL;
	for (size_t i = 0; i < ns; i++) {
		double t = (double)i / 8000.0, v, u1, u2;

		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		u1 = ((double)(rng >> 11) + 0.5) / 9007199254740992.0;
		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		u2 = ((double)(rng >> 11) + 0.5) / 9007199254740992.0;
		v = 300.0 * sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
		if (fmod(t, 4.0) < 2.0) {
			double env = 0.3 + 0.7 * pow(sin(M_PI * 4.0 * t), 2), s = 0;

			ph += 2.0 * M_PI * (130.0 + 20.0 * sin(t)) / 8000.0;
			for (int h = 1; h <= 20; h++)
				s += sin(h * ph) / (1.0 + pow(h * 130.0 / 700.0, 2));
			v += 2500.0 * env * s;
		}
		ul[i] = va_g711_ulaw_encode((int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : v));
	}
	*n = ns;
	return ul;
}

static uint8_t *read_audio(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	uint8_t *b = NULL;
	long sz;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (sz = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0) {
		b = malloc((size_t)sz);
		if (b && fread(b, 1, (size_t)sz, f) != (size_t)sz) {
			free(b);
			b = NULL;
		}
		*n = (size_t)sz;
	}
	fclose(f);
	return b;
}

int main(int argc, char **argv)
{
	int calls = 50, rc = 1;
	bool json = false;
	const char *file = NULL;
	uint8_t *audio = NULL, *codes = NULL;
	int16_t *pcm = NULL;
	double *t = NULL;
	size_t n = 0, frames, nt = 0, big = 8000 * 600;
	double t0, dec_ns, enc_ns, rs_ns, heap;
	unsigned sink = 0;

	for (int a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--calls") && a + 1 < argc)
			calls = atoi(argv[++a]);
		else if (!strcmp(argv[a], "--json"))
			json = true;
		else
			file = argv[a];
	}
	if (calls < 1)
		calls = 1;
	audio = file ? read_audio(file, &n) : synth_audio(&n);
	if (!audio || n < VA_G711_FRAME_20MS) {
		fprintf(stderr, "voiceai-bench-audio: no audio%s%s\n", file ? " in " : "",
			file ? file : "");
		goto out;
	}
	frames = n / VA_G711_FRAME_20MS;
	t = malloc((size_t)calls * frames * sizeof(*t));
	if (!t)
		goto out;

	/* 1. Per-frame cost of the whole listener. */
	for (int c = 0; c < calls; c++) {
		struct va_listener *l = NULL;

		if (va_listener_new(NULL, &l) != VA_OK)
			goto out;
		for (size_t f = 0; f < frames; f++) {
			double s = now_cpu_ns();

			sink += va_listener_push_ulaw(l, audio + f * VA_G711_FRAME_20MS,
						      VA_G711_FRAME_20MS, (f / 100) % 3 == 0);
			t[nt++] = now_cpu_ns() - s;
		}
		va_listener_free(l);
	}
	qsort(t, nt, sizeof(*t), cmp_double);

	/* 2. mu-law throughput over 10 minutes of audio. */
	codes = malloc(big);
	pcm = malloc(big * sizeof(*pcm));
	if (!codes || !pcm)
		goto out;
	for (size_t i = 0; i < big; i++)
		codes[i] = audio[i % n];
	t0 = now_cpu_ns();
	va_g711_ulaw_decode_buf(codes, big, pcm);
	dec_ns = (now_cpu_ns() - t0) / (double)big;
	t0 = now_cpu_ns();
	va_g711_ulaw_encode_buf(pcm, big, codes);
	enc_ns = (now_cpu_ns() - t0) / (double)big;
	sink += codes[big / 2];

	/* 3. Resampling 8 -> 16 kHz, per 20 ms frame. */
	{
		struct va_resample *r = NULL;
		int16_t out16[2 * VA_G711_FRAME_20MS + 8];
		size_t nf = big / VA_G711_FRAME_20MS;

		if (va_resample_new(8000, 16000, VA_RESAMPLE_QUALITY_VOIP, &r) != VA_OK)
			goto out;
		t0 = now_cpu_ns();
		for (size_t f = 0; f < nf; f++) {
			size_t in = VA_G711_FRAME_20MS, on = sizeof(out16) / sizeof(out16[0]);

			va_resample_process(r, pcm + f * VA_G711_FRAME_20MS, &in, out16, &on);
			sink += (unsigned)on;
		}
		rs_ns = (now_cpu_ns() - t0) / (double)nf;
		va_resample_free(r);
	}

	/* 4. Heap per call. */
	{
		struct va_listener *ls[100];
		struct mallinfo2 before = mallinfo2(), after;

		for (int i = 0; i < 100; i++)
			if (va_listener_new(NULL, &ls[i]) != VA_OK)
				goto out;
		after = mallinfo2();
		heap = (double)(after.uordblks - before.uordblks) / 100.0;
		for (int i = 0; i < 100; i++)
			va_listener_free(ls[i]);
	}

	if (!json) {
		printf("audio: %s, %zu frames of 20 ms x %d calls\n",
		       file ? file : "built-in 60 s talker + noise", frames, calls);
		printf("decode+VAD+turn CPU per 20 ms frame per call: p50 %.2f us  p99 %.2f us  "
		       "max %.1f us\n",
		       t[nt / 2] / 1e3, t[nt * 99 / 100] / 1e3, t[nt - 1] / 1e3);
		printf("mu-law: decode %.2f ns/sample (%.0f Msamples/s), encode %.2f ns/sample "
		       "(%.0f Msamples/s)\n",
		       dec_ns, 1e3 / dec_ns, enc_ns, 1e3 / enc_ns);
		printf("resample 8->16 kHz (speexdsp q3): %.2f us per 20 ms frame\n", rs_ns / 1e3);
		printf("heap per call (listener): %.0f bytes\n", heap);
	}
	printf("{\"frames\":%zu,\"frame_cpu_us\":{\"p50\":%.2f,\"p99\":%.2f,\"max\":%.1f},"
	       "\"ulaw_decode_ns_per_sample\":%.2f,\"ulaw_encode_ns_per_sample\":%.2f,"
	       "\"resample_us_per_frame\":%.2f,\"heap_bytes_per_call\":%.0f,\"sink\":%u}\n",
	       nt, t[nt / 2] / 1e3, t[nt * 99 / 100] / 1e3, t[nt - 1] / 1e3, dec_ns, enc_ns,
	       rs_ns / 1e3, heap, sink & 1);
	rc = 0;
out:
	free(audio);
	free(codes);
	free(pcm);
	free(t);
	return rc;
}
