/* SPDX-License-Identifier: MIT */
/*
 * vad.h - voice-activity detection for 8 kHz telephone audio in noise.
 *
 * Input: 16-bit PCM at 8000 Hz in 10 ms frames (VA_VAD_FRAME = 80 samples;
 * a 20 ms Twilio frame is two calls). Output per frame: a speech
 * probability, and a speech / non-speech decision made from it with
 * hysteresis and a hangover. Causal: a frame's result uses only that frame
 * and the past (no look-ahead), so it can drive turn-taking live.
 *
 * How it decides (details in vad.c):
 *  - a 32 ms spectrum every 10 ms; the noise spectrum is tracked per bin
 *    with minima-controlled recursive averaging (MCRA), so a stationary
 *    noise of any colour and level becomes the reference, whatever it is;
 *  - per-bin likelihood ratio of "speech + noise" against "noise" under
 *    the Gaussian model (Sohn et al.), with a decision-directed a priori
 *    SNR; averaged over the 200-3400 Hz telephone band;
 *  - the evidence updates a two-state (speech / non-speech) hidden Markov
 *    model, whose posterior is the probability;
 *  - background talk (several people talking, a television): slow
 *    quantiles of the evidence and of the level tell a bed of talk that
 *    never stops from a caller who pauses; while there is one, a frame
 *    must also be clearly louder than it (the caller is on the handset,
 *    the others across the room) to count as speech;
 *  - harmonicity (the autocorrelation of the noise-whitened spectrum at
 *    pitch lags) marks voiced frames, for barge-in during playback.
 *
 * Known limits: background talk as loud as the caller (0-5 dB below) is
 * not told from the caller, and a caller is missed where they are not
 * about 10 dB above it; a sound that goes on for many seconds without
 * ever dipping (a caller who never pauses, even for breath) becomes the
 * background. Music is not modelled.
 *
 * Pure: no I/O, no globals; about 10 KiB of state per call.
 */
#ifndef VA_AUDIO_VAD_H
#define VA_AUDIO_VAD_H

#include <stdbool.h>
#include <stdint.h>

#define VA_VAD_RATE	8000
#define VA_VAD_FRAME	80 /* samples in one 10 ms frame */
#define VA_VAD_FRAME_MS 10

/* What a practice (or a test) may tune. */
struct va_vad_params {
	/* 0..1: how readily weak sound counts as speech. 0.5 is the default;
	 * higher catches quieter callers and starts sooner, at the price of
	 * more false alarms in noise. It moves the decision threshold on the
	 * speech probability (p_on = 1 - sensitivity, clamped). */
	float sensitivity;
	/* How long a decision stays "speech" after the evidence drops, in ms
	 * (0..500): covers stop closures and short gaps between words. */
	int hangover_ms;
};

#define VA_VAD_SENSITIVITY_DEFAULT 0.5f
#define VA_VAD_HANGOVER_DEFAULT	   100
#define VA_VAD_PARAMS_DEFAULT                                                                      \
	{                                                                                          \
		VA_VAD_SENSITIVITY_DEFAULT, VA_VAD_HANGOVER_DEFAULT                                \
	}

/* One frame's result. */
struct va_vad_result {
	float prob;	/* posterior probability of speech, 0..1 */
	bool active;	/* decision with hysteresis, no hangover: "speaking now" */
	bool speech;	/* decision with hysteresis and hangover */
	bool voiced;	/* clearly periodic (harmonicity above what noise reaches) */
	float level_db; /* frame level, dBFS over the telephone band */
	float noise_db; /* tracked noise level, dBFS over the telephone band */
	/* The evidence behind prob, for diagnostics and tuning: */
	float llr;	   /* mean log likelihood ratio over the band */
	float evidence;	   /* the frame's own evidence for speech, log odds
			    * (nats), background talk discounted: what the
			    * HMM adds to its prior; > 0 leans to speech */
	float harmonicity; /* 0..1, peak of the whitened autocorrelation */
	float talk;	   /* 0..1, how much the background is talk, not noise */
	float talk_db;	   /* background level the caller must beat, dBFS */
};

struct va_vad;

/* Checks params: sensitivity in [0, 1], hangover_ms in [0, 500].
 * VA_OK or VA_E_INVAL. */
int va_vad_params_validate(const struct va_vad_params *p);

/* Creates a detector (params NULL = defaults). VA_E_INVAL for bad params,
 * VA_E_NOMEM. Caller owns *out; free with va_vad_free. */
int va_vad_new(const struct va_vad_params *p, struct va_vad **out);
void va_vad_free(struct va_vad *v);
/* Forgets everything learned (noise, history): a new call follows. */
void va_vad_reset(struct va_vad *v);

/* Processes one 10 ms frame: pcm holds VA_VAD_FRAME samples at 8 kHz.
 * Always fills *res. */
void va_vad_process(struct va_vad *v, const int16_t *pcm, struct va_vad_result *res);

#endif
