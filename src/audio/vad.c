/* SPDX-License-Identifier: MIT */
/*
 * vad.c - the voice-activity detector of vad.h.
 *
 * Per 10 ms frame:
 *  1. the last 32 ms (256 samples) through an asymmetric window (long rise,
 *     5 ms fall, so the spectrum is centred near the newest samples) and a
 *     real FFT: power P[k] in 31.25 Hz bins; only 218-3375 Hz is used;
 *  2. noise N[k] by minima-controlled recursive averaging (Cohen & Berdugo
 *     2002): the spectrum smoothed over time and frequency is compared with
 *     its minimum over the last 1.5-3 s; where it is not clearly above that
 *     minimum the bin is noise and N follows P (unbiased), elsewhere N
 *     holds. The previous frame's speech probability slows the update too
 *     (never to a stop), and N never falls below 1.5x the minimum, so
 *     neither long speech nor a sudden louder noise can capture it;
 *  3. a posteriori SNR g = P/N, a priori SNR x by the decision-directed
 *     rule (Ephraim & Malah), and the per-bin log likelihood ratio of the
 *     Gaussian model, g x/(1+x) - ln(1+x) (Sohn, Kim & Sung 1999), averaged
 *     over the band: evidence relative to the noise, whatever its colour
 *     or level (its distribution on pure white, pink or brown noise from
 *     -60 to -10 dBFS is the same to two digits);
 *  4. a two-state hidden Markov model (speech / non-speech) in the
 *     log-odds domain: the prior is the previous posterior passed through
 *     the transition probabilities (talk spurts and pauses last), the
 *     frame's evidence adds to it. The posterior is the frame's
 *     probability;
 *  5. the decision: on above p_on, off below p_off (hysteresis), then a
 *     hangover no longer than the burst it follows, which ends at once
 *     when the evidence is decisive (a clean line's real silence);
 *  6. background talk (babble, a television, people nearby): it is speech,
 *     so against the noise floor it gives speech evidence all the time and
 *     the detector never lets go. Two slow quantile trackers tell it apart
 *     from a caller: the 15th percentile of the frame level (the level of
 *     the background), and the 30th percentile of the band's mean log LR
 *     over the frames less than 10 dB above that level ("how much speech
 *     evidence does the background itself give": stationary noise keeps it
 *     near 0.012, below the 90th percentile of pure noise, and a caller
 *     well above the background does not count, however long they talk; a
 *     bed of talk lifts it a decade or more). As the second rises, the
 *     frame's evidence must also beat what the background produces (its
 *     neutral point moves up by up to 3 nats) and the frame must be louder
 *     than the background by a margin (10 dB, a handset talker against
 *     voices across a room), 1 nat per dB short of it. In stationary noise
 *     and on a clean line both terms stay zero;
 *  7. harmonicity, for "voiced": the whitened spectrum max(g-1, 0) is
 *     transformed back to an autocorrelation; its largest normalised peak
 *     at pitch lags (62-400 Hz) is high for voiced speech. It is not part
 *     of the probability (on stationary noise it added nothing to the
 *     likelihood ratio), but barge-in during our own playback requires it:
 *     a cough, a click or a door has no pitch.
 */
#include "audio/vad.h"

#include "audio/fft.h"
#include "core/err.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define NFFT	    256
#define NBIN	    (NFFT / 2 + 1)
#define BIN_LO	    7	/* 218 Hz: first bin inside the telephone band */
#define BIN_HI	    108 /* 3375 Hz: last bin inside it */
#define NBAND	    (BIN_HI - BIN_LO + 1)
#define LAG_MIN	    20			  /* 400 Hz: highest pitch */
#define LAG_MAX	    128			  /* 62.5 Hz: lowest pitch */
#define WINDOW_FILL (NFFT / VA_VAD_FRAME) /* frames before the window holds only audio */
#define WARMUP	    (WINDOW_FILL + 10)	  /* ... then 100 ms to learn the noise */

/*
 * The constants, each with its meaning. None is a corpus fit: the noise
 * tracker's follow from the statistics of a smoothed periodogram, the
 * evidence scale from pure noise (see llr_bias), the rest are durations.
 */
struct tune {
	float smooth_t;	     /* time smoothing of the spectrum searched for minima */
	int min_win;	     /* frames per minimum sub-window: the minimum is over
			      * the last 1.5-3 s, longer than most utterances */
	float delta;	     /* smoothed/minimum ratio that means "not noise": a
			      * stationary noise exceeds 5 (7 dB) in ~1% of bins */
	float alpha_p;	     /* smoothing of the per-bin speech presence */
	float alpha_d;	     /* noise averaging while speech is absent (200 ms) */
	float gate;	     /* how far the frame's speech probability slows the
			      * noise update (< 1: never frozen, so no lock-in) */
	float min_guard;     /* the noise is at least this times its minimum (the
			      * mean of a stationary noise is ~2.4x its minimum) */
	float alpha_dd;	     /* decision-directed a priori SNR weight */
	float xi_min;	     /* smallest a priori SNR (-25 dB) */
	float floor_db;	     /* the quietest line noise assumed, dBFS: below it
			      * nothing is evidence (mu-law's own step is -72) */
	float llr_bias;	     /* mean log LR at which a frame is neutral: the 90th
			      * percentile of pure noise, of any colour and level */
	float p_stay_speech; /* HMM: P(speech at t+1 | speech at t), 10 ms steps */
	float p_stay_noise;  /* HMM: P(non-speech at t+1 | non-speech at t); pauses
			      * last about 1 s, talk spurts about 0.5 s */
	float off_ratio;     /* hysteresis: p_off = p_on * off_ratio */
	float evid_max;	     /* one frame's evidence is clamped to this, log-odds */
	int win_fall;	     /* samples in the window's falling part */
	float hang_cut;	     /* probability so low the hangover stops at once */
	float voiced_harm;   /* harmonicity that noise does not reach (its 99th
			      * percentile is 0.55 for white, pink or brown) */
	/* Background talk (step 6). Quantile trackers step up by q * step when
	 * a frame is above them and down by (1 - q) * step otherwise, so they
	 * settle where a fraction q of frames is below, rise slowly (talk spurts
	 * do not lift them) and fall fast. */
	float talk_q;	  /* quantile of the log LR tracked */
	float talk_step;  /* its step, nats: rises <= 1.5 nats/s */
	float talk_init;  /* where it starts: a call starts as stationary noise
			   * (about its 30th percentile); talk must show */
	float talk_lo;	  /* log LR quantile where background talk starts to
			   * count: 2x llr_bias, the 90th percentile of pure
			   * noise (whose 30th percentile is about 0.012) */
	float talk_span;  /* ... and the factor above that where it counts fully */
	float talk_shift; /* evidence neutral point raised by this (nats) */
	float bg_q;	  /* quantile of the frame level tracked */
	float bg_step;	  /* its step, dB: rises <= 1.5 dB/s */
	float bg_margin;  /* dB a caller is above background talk */
	float bg_slope;	  /* evidence lost per dB short of the margin (nats) */
};

static const struct tune T = {
    .smooth_t = 0.7f,
    .min_win = 150,
    .delta = 5.0f,
    .alpha_p = 0.2f,
    .alpha_d = 0.95f,
    .gate = 0.9f,
    .min_guard = 1.5f,
    .alpha_dd = 0.97f,
    .xi_min = 0.003f,
    .floor_db = -70.0f,
    .llr_bias = 0.025f,
    .p_stay_speech = 0.98f,
    .p_stay_noise = 0.99f,
    .off_ratio = 0.5f,
    .evid_max = 12.0f,
    .win_fall = 40,
    .hang_cut = 0.001f,
    .voiced_harm = 0.55f,
    .talk_q = 0.3f,
    .talk_step = 0.05f,
    .talk_init = 0.01f,
    .talk_lo = 0.05f,
    .talk_span = 5.0f,
    .talk_shift = 3.0f,
    .bg_q = 0.15f,
    .bg_step = 0.1f,
    .bg_margin = 10.0f,
    .bg_slope = 1.0f,
};

struct va_vad {
	struct va_vad_params p;
	struct va_fft fft;
	float win[NFFT];
	float hist[NFFT]; /* the last NFFT samples */
	float buf[NFFT];
	float S[NBIN], Smin[NBIN], Stmp[NBIN];
	float N[NBIN], phat[NBIN];
	float prev_a2[NBIN]; /* previous frame's estimated speech power */
	float bin_floor;
	float db_norm;
	float logodds;
	float prev_p;
	float talk_llr; /* quantile of ln(mean log LR): background talk */
	float bg_db;	/* quantile of the frame level, dBFS */
	int nframes, min_count;
	int hang, run;
	bool active;
};

int va_vad_params_validate(const struct va_vad_params *p)
{
	if (!p || !(p->sensitivity >= 0.0f && p->sensitivity <= 1.0f) || p->hangover_ms < 0 ||
	    p->hangover_ms > 500)
		return VA_E_INVAL;
	return VA_OK;
}

int va_vad_new(const struct va_vad_params *p, struct va_vad **out)
{
	struct va_vad_params def = VA_VAD_PARAMS_DEFAULT;
	struct va_vad *v;
	double w2 = 0;

	if (!out)
		return VA_E_INVAL;
	*out = NULL;
	if (!p)
		p = &def;
	if (va_vad_params_validate(p) != VA_OK)
		return VA_E_INVAL;
	v = calloc(1, sizeof(*v));
	if (!v)
		return VA_E_NOMEM;
	v->p = *p;
	va_fft_init(&v->fft, NFFT);
	/* An asymmetric window (as G.729's LPC analysis uses): a long rising
	 * half-Hann and a short falling quarter-cosine, so the spectrum keeps
	 * the 32 ms resolution but is centred close to the newest samples:
	 * decisions lag the audio by less than with a symmetric window. */
	for (int i = 0; i < NFFT; i++) {
		int rise = NFFT - T.win_fall;
		double w = i < rise ? 0.5 - 0.5 * cos(M_PI * (i + 0.5) / rise)
				    : cos(0.5 * M_PI * (i - rise + 0.5) / T.win_fall);

		v->win[i] = (float)w;
		w2 += w * w;
	}
	/* White noise of variance s2 gives E|X[k]|^2 = s2 * sum(w^2). */
	v->bin_floor = (float)(32768.0 * 32768.0 * pow(10.0, T.floor_db / 10.0) * w2);
	/* Band power -> dBFS of the windowed signal's mean square. */
	v->db_norm = (float)(10.0 * log10(2.0 / (NFFT * w2 * 32768.0 * 32768.0)));
	va_vad_reset(v);
	*out = v;
	return VA_OK;
}

void va_vad_free(struct va_vad *v)
{
	free(v);
}

void va_vad_reset(struct va_vad *v)
{
	if (!v)
		return;
	memset(v->hist, 0, sizeof(v->hist));
	memset(v->phat, 0, sizeof(v->phat));
	memset(v->prev_a2, 0, sizeof(v->prev_a2));
	for (int k = 0; k < NBIN; k++)
		v->N[k] = v->bin_floor;
	v->nframes = 0;
	v->min_count = 0;
	v->logodds = -4.0f;
	v->prev_p = 0.0f;
	v->talk_llr = logf(T.talk_init);
	v->bg_db = -100.0f;
	v->hang = 0;
	v->run = 0;
	v->active = false;
}

/* log(x) for x > 0, about 1e-4 absolute error: the exponent from the float's
 * bits and a polynomial for the mantissa in [1, 2). Enough for evidence
 * that is clamped and averaged, and several times cheaper than logf. */
static inline float fast_log(float x)
{
	union {
		float f;
		uint32_t u;
	} b = {x};
	float e = (float)((int)((b.u >> 23) & 0xFF) - 127);
	float m;

	b.u = (b.u & 0x007FFFFFu) | 0x3F800000u;
	m = b.f - 1.0f;
	/* log2(1+m) on [0,1) */
	m = m * (1.4425449f +
		 m * (-0.7181452f +
		      m * (0.4575485f + m * (-0.2779042f + m * (0.1217970f + m * -0.0258411f)))));
	return (e + m) * 0.69314718f;
}

static inline float sigmoid(float z)
{
	return 1.0f / (1.0f + expf(-z));
}

/* The noise tracker (step 2) for one frame of power spectrum P. */
static void track_noise(struct va_vad *v, const float *P)
{
	float Sf[NBIN];

	for (int k = BIN_LO; k <= BIN_HI; k++)
		Sf[k] = (P[k - 2] + 2.0f * P[k - 1] + 3.0f * P[k] + 2.0f * P[k + 1] + P[k + 2]) *
			(1.0f / 9.0f);
	if (v->nframes < WARMUP) {
		/* The first frames of a call: the window is still filling (skip
		 * those), then the noise is the plain mean of what was heard;
		 * calls start with the line's noise, and the minimum tracking
		 * corrects it within seconds if they do not. */
		int n = v->nframes - (WINDOW_FILL - 1);

		if (n <= 0)
			return;
		for (int k = BIN_LO; k <= BIN_HI; k++) {
			float s = n == 1 ? Sf[k] : v->S[k] + (Sf[k] - v->S[k]) / (float)n;

			v->S[k] = v->Smin[k] = v->Stmp[k] = s;
			v->N[k] = fmaxf(s, v->bin_floor);
		}
		return;
	}
	for (int k = BIN_LO; k <= BIN_HI; k++) {
		float s = T.smooth_t * v->S[k] + (1.0f - T.smooth_t) * Sf[k];
		float a;

		v->S[k] = s;
		v->Smin[k] = fminf(v->Smin[k], s);
		v->Stmp[k] = fminf(v->Stmp[k], s);
		v->phat[k] = T.alpha_p * v->phat[k] +
			     (1.0f - T.alpha_p) * (s > T.delta * v->Smin[k] ? 1.0f : 0.0f);
		a = T.alpha_d + (1.0f - T.alpha_d) * fmaxf(v->phat[k], T.gate * v->prev_p);
		/* The mean of a noise is never below its running minimum: this
		 * pulls the estimate up after a jump in the noise (which the
		 * speech gate would otherwise hold off) and keeps a low estimate
		 * from feeding itself. */
		v->N[k] = fmaxf(fmaxf(a * v->N[k] + (1.0f - a) * P[k], T.min_guard * v->Smin[k]),
				v->bin_floor);
	}
	if (++v->min_count >= T.min_win) {
		/* Slide the minimum window: the minimum is over the last one to
		 * two sub-windows, so a louder noise is followed within 2 s. */
		for (int k = BIN_LO; k <= BIN_HI; k++) {
			v->Smin[k] = fminf(v->Stmp[k], v->S[k]);
			v->Stmp[k] = v->S[k];
		}
		v->min_count = 0;
	}
}

void va_vad_process(struct va_vad *v, const int16_t *pcm, struct va_vad_result *res)
{
	float P[NBIN], *b = v->buf;
	float llr = 0.0f, band = 0.0f, noise = 0.0f, harm = 0.0f, r0;
	float evid, prior, p, p_on, p_off, level_db, noise_db, ln_llr, talk;

	memmove(v->hist, v->hist + VA_VAD_FRAME, (NFFT - VA_VAD_FRAME) * sizeof(float));
	for (int i = 0; i < VA_VAD_FRAME; i++)
		v->hist[NFFT - VA_VAD_FRAME + i] = (float)pcm[i];
	for (int i = 0; i < NFFT; i++)
		b[i] = v->hist[i] * v->win[i];
	va_fft_forward(&v->fft, b);
	for (int k = BIN_LO - 2; k <= BIN_HI + 2; k++)
		P[k] = b[2 * k] * b[2 * k] + b[2 * k + 1] * b[2 * k + 1];

	track_noise(v, P);

	/* Steps 3 and 4: per-bin evidence, and the whitened spectrum in b. */
	memset(b, 0, sizeof(v->buf));
	for (int k = BIN_LO; k <= BIN_HI; k++) {
		float g = P[k] / v->N[k];
		float xi = T.alpha_dd * v->prev_a2[k] / v->N[k] +
			   (1.0f - T.alpha_dd) * fmaxf(g - 1.0f, 0.0f);
		float gain;

		xi = fmaxf(xi, T.xi_min);
		llr += g * xi / (1.0f + xi) - fast_log(1.0f + xi);
		gain = xi / (1.0f + xi);
		v->prev_a2[k] = gain * gain * P[k];
		b[2 * k] = fmaxf(g - 1.0f, 0.0f);
		band += P[k];
		noise += v->N[k];
	}
	llr /= (float)NBAND;
	/* Autocorrelation of the whitened signal: inverse FFT of its power. */
	va_fft_inverse(&v->fft, b);
	r0 = b[0];
	if (r0 > 0.0f) {
		float best = 0.0f;

		for (int t = LAG_MIN; t <= LAG_MAX; t++)
			best = fmaxf(best, b[t]);
		harm = best / r0;
	}

	level_db = 10.0f * log10f(band + 1e-3f) + v->db_norm;
	noise_db = 10.0f * log10f(noise + 1e-3f) + v->db_norm;
	ln_llr = logf(fmaxf(llr, 1e-3f));

	/* Step 6: how much of the background is talk, and how loud it is. */
	if (v->nframes < WARMUP) {
		v->bg_db = noise_db;
	} else {
		/* Only frames at the background's level: what the caller says
		 * well above it is not the background, however long it lasts. */
		if (level_db < v->bg_db + T.bg_margin)
			v->talk_llr += ln_llr > v->talk_llr ? T.talk_q * T.talk_step
							    : -(1.0f - T.talk_q) * T.talk_step;
		v->bg_db += level_db > v->bg_db ? T.bg_q * T.bg_step : -(1.0f - T.bg_q) * T.bg_step;
	}
	talk = (v->talk_llr - logf(T.talk_lo)) / logf(T.talk_span);
	talk = fminf(fmaxf(talk, 0.0f), 1.0f);

	/* Step 5: HMM update in log odds. */
	p = sigmoid(v->logodds);
	prior = T.p_stay_speech * p + (1.0f - T.p_stay_noise) * (1.0f - p);
	/* The band's mean log LR spans decades (0.01 in noise, 1000 in loud
	 * speech); its logarithm relative to the neutral point is the frame's
	 * evidence, so loud frames do not swamp the model and noise frames
	 * count against speech in proportion. */
	evid = ln_llr - logf(T.llr_bias);
	if (talk > 0.0f)
		evid -= talk * (T.talk_shift +
				T.bg_slope * fmaxf(v->bg_db + T.bg_margin - level_db, 0.0f));
	evid = fminf(fmaxf(evid, -T.evid_max), T.evid_max);
	if (v->nframes < WARMUP)
		evid = 0.0f; /* no noise reference yet */
	v->logodds = logf(prior / (1.0f - prior)) + evid;
	v->logodds = fminf(fmaxf(v->logodds, -20.0f), 20.0f);
	p = sigmoid(v->logodds);
	v->prev_p = p;

	/* Hysteresis and hangover. */
	p_on = fminf(fmaxf(1.0f - v->p.sensitivity, 0.05f), 0.95f);
	p_off = p_on * T.off_ratio;
	if (!v->active && p > p_on)
		v->active = true;
	else if (v->active && p < p_off)
		v->active = false;
	if (v->active) {
		int cap = v->p.hangover_ms / VA_VAD_FRAME_MS;

		v->run++;
		v->hang = v->run < cap ? v->run : cap;
		res->speech = true;
	} else {
		v->run = 0;
		/* The hangover bridges weak speech the evidence cannot see; when
		 * the evidence is decisive (clean line, real silence) it ends. */
		if (p < T.hang_cut)
			v->hang = 0;
		res->speech = v->hang > 0;
		if (v->hang > 0)
			v->hang--;
	}
	res->prob = p;
	res->active = v->active;
	res->level_db = level_db;
	res->noise_db = noise_db;
	res->talk = talk;
	res->talk_db = v->bg_db;
	res->harmonicity = harm;
	res->voiced = res->active && harm >= T.voiced_harm;
	res->llr = llr;
	res->evidence = evid;
	v->nframes++;
}
