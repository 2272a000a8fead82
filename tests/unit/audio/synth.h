/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/audio/synth.h - deterministic test signals for the audio unit
 * tests (included by them; not a test itself): Gaussian noise from a seeded
 * generator, and a crude "talker": a harmonic complex with a wandering
 * pitch under a 4 Hz syllable envelope, which is what a VAD must tell from
 * stationary noise; and "babble": several such talkers further away, each
 * with its own pitch, syllable rate and phrase pauses, summed, as in a
 * waiting room. Levels are RMS in dBFS.
 */
#ifndef VA_TESTS_AUDIO_SYNTH_H
#define VA_TESTS_AUDIO_SYNTH_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

struct synth {
	uint64_t rng;
	double phase[24];
	double bphase[4][24]; /* the babble's talkers */
	size_t t;	      /* samples generated */
};

static inline void synth_init(struct synth *s, uint64_t seed)
{
	*s = (struct synth){.rng = seed * 0x9E3779B97F4A7C15ULL + 1};
}

static inline double synth_gauss(struct synth *s)
{
	double u[2];

	for (int k = 0; k < 2; k++) {
		s->rng ^= s->rng >> 12;
		s->rng ^= s->rng << 25;
		s->rng ^= s->rng >> 27;
		u[k] =
		    ((double)((s->rng * 0x2545F4914F6CDD1DULL) >> 11) + 0.5) / 9007199254740992.0;
	}
	return sqrt(-2.0 * log(u[0])) * cos(2.0 * M_PI * u[1]);
}

static inline int16_t synth_clip(double v)
{
	return (int16_t)(v > 32767 ? 32767 : v < -32768 ? -32768 : lround(v));
}

/* n samples of white noise at noise_db dBFS plus, if talk, the talker at
 * talk_db dBFS (peaks of the envelope a little higher). */
static inline void synth_fill(struct synth *s, int16_t *out, size_t n, double noise_db, int talk,
			      double talk_db)
{
	double na = noise_db > -150 ? 32768.0 * pow(10.0, noise_db / 20.0) : 0.0;
	double ta = 32768.0 * pow(10.0, talk_db / 20.0);

	for (size_t i = 0; i < n; i++, s->t++) {
		double v = na * synth_gauss(s);

		if (talk) {
			double t = (double)s->t / 8000.0;
			double f0 = 140.0 + 30.0 * sin(2 * M_PI * 0.7 * t);
			double env = 0.35 + 0.65 * pow(sin(M_PI * 4.0 * t), 2);
			double sum = 0;

			for (int h = 1; h <= 24 && h * f0 < 3400; h++) {
				/* formant-like tilt: strong below 1 kHz */
				double amp = 1.0 / (1.0 + pow(h * f0 / 700.0, 2));

				s->phase[h - 1] += 2 * M_PI * h * f0 / 8000.0;
				sum += amp * sin(s->phase[h - 1]);
			}
			v += ta * 1.6 * env * sum;
		}
		out[i] = synth_clip(v);
	}
}

/* One background talker of the babble, b = 0..3: a harmonic complex at its
 * own pitch, syllables at its own rate, and phrases of 1.5-3 s with pauses
 * between them (the talkers do not pause together). */
static inline double synth_babble_voice(struct synth *s, int b, double t)
{
	static const double f0s[4] = {105, 175, 135, 215};
	static const double syl[4] = {3.3, 4.1, 2.7, 4.7};
	static const double phrase[4] = {0.31, 0.43, 0.37, 0.53};
	double f0 = f0s[b] * (1.0 + 0.12 * sin(2 * M_PI * (0.5 + 0.2 * b) * t + b));
	double env = 0.3 + 0.7 * pow(sin(M_PI * syl[b] * t + b), 2);
	double sum = 0;

	if (sin(2 * M_PI * phrase[b] * t + 1.7 * b) < -0.7)
		env = 0; /* a pause between phrases */
	for (int h = 1; h <= 24 && h * f0 < 3400; h++) {
		double amp = 1.0 / (1.0 + pow(h * f0 / (600.0 + 150.0 * b), 2));

		s->bphase[b][h - 1] += 2 * M_PI * h * f0 / 8000.0;
		sum += amp * sin(s->bphase[b][h - 1]);
	}
	return env * sum;
}

/* n samples of white noise at noise_db, four background talkers summed to
 * about babble_db RMS and, if talk, the near talker of synth_fill at
 * talk_db. */
static inline void synth_fill_babble(struct synth *s, int16_t *out, size_t n, double noise_db,
				     double babble_db, int talk, double talk_db)
{
	double ba = 32768.0 * pow(10.0, babble_db / 20.0) * 1.2;

	for (size_t i = 0; i < n; i++) {
		double t = (double)s->t / 8000.0, v = 0;
		int16_t one;

		for (int b = 0; b < 4; b++)
			v += synth_babble_voice(s, b, t);
		synth_fill(s, &one, 1, noise_db, talk, talk_db); /* advances s->t */
		out[i] = synth_clip(ba * v + one);
	}
}

#endif
