/* SPDX-License-Identifier: MIT */
/*
 * corpus_tool.c - helper of make_corpus.sh: builds the labelled timeline,
 * mixes noise at a given SNR and makes seeded noises. Not part of the
 * server; a small standalone tool so the corpus needs nothing but a C
 * compiler, sox and two TTS engines.
 *
 * All audio here is headerless signed 16-bit little-endian mono PCM at
 * 8000 Hz ("s16"); frames are 10 ms = 80 samples.
 *
 *   corpus_tool timeline SPEC OUTDIR
 *       SPEC lines (blank lines and lines starting with '#' are ignored):
 *         sil <ms>                                  silence (digital zero)
 *         utt <utt_id> <turn_id> <file.s16> <text>  one clean utterance
 *       Writes OUTDIR/clean.s16, OUTDIR/labels.txt (per-frame ground
 *       truth), OUTDIR/segments.tsv and OUTDIR/turns.tsv.
 *
 *   corpus_tool mix CLEAN.s16 LABELS.txt NOISE.s16 SNR_DB OUT.s16
 *       Adds NOISE scaled so that (mean power of CLEAN over speech frames)
 *       / (mean power of the scaled noise over the whole file) = SNR_DB.
 *       Prints the noise gain and the achieved SNR.
 *
 *   corpus_tool noise white|pink|brown SEED NSAMPLES OUT.s16
 *       A noise from our own seeded generator (xorshift64*, Box-Muller;
 *       pink by Paul Kellet's filter, brown by leaky integration), for
 *       corpus variants with other noise realisations than sox's fixed one.
 *
 *   corpus_tool loop IN.s16 NSAMPLES OUT.s16
 *       Repeats IN until NSAMPLES (babble made from speech is short).
 *
 * Labelling rule for one utterance (FORMAT.md):
 *   E[f] = 10*log10(mean(x^2)/32768^2) for each 10 ms frame (dBFS).
 *   A frame is "active" if E[f] >= max_f(E) - REL_DB and E[f] >= ABS_DB.
 *   Runs of inactive frames shorter than BRIDGE_FRAMES between two active
 *   frames are relabelled speech (stop closures, short word gaps).
 *   Everything outside utterances is non-speech. Each utterance is cut to
 *   its labelled span plus MARGIN_FRAMES on each side, so a "sil N" item
 *   between two utterances gives a real pause of N + 2*MARGIN ms
 *   (turns.tsv reports the measured value).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FRAME	      80
#define RATE	      8000
#define REL_DB	      40.0
#define ABS_DB	      (-65.0)
#define BRIDGE_FRAMES 15
#define MARGIN_FRAMES 3

static void die(const char *m)
{
	fprintf(stderr, "corpus_tool: %s\n", m);
	exit(1);
}

static void *xrealloc(void *p, size_t n)
{
	p = realloc(p, n ? n : 1);
	if (!p)
		die("out of memory");
	return p;
}

static int16_t *read_s16(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	int16_t *b;
	long sz;

	if (!f) {
		fprintf(stderr, "corpus_tool: cannot open %s\n", path);
		exit(1);
	}
	if (fseek(f, 0, SEEK_END) != 0 || (sz = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
		die("cannot size input");
	b = xrealloc(NULL, (size_t)sz);
	*n = fread(b, 2, (size_t)sz / 2, f);
	fclose(f);
	return b;
}

static void write_s16(const char *path, const int16_t *x, size_t n)
{
	FILE *f = fopen(path, "wb");

	if (!f || fwrite(x, 2, n, f) != n || fclose(f) != 0)
		die("cannot write output");
}

static double frame_db(const int16_t *x, size_t n)
{
	double e = 0;

	for (size_t i = 0; i < n; i++)
		e += (double)x[i] * x[i];
	e /= (double)n * 32768.0 * 32768.0;
	return 10.0 * log10(e + 1e-12);
}

static void label_utt(const int16_t *x, size_t nf, char *out)
{
	double *e = xrealloc(NULL, nf * sizeof(*e)), peak = -200;
	long last = -1;

	for (size_t f = 0; f < nf; f++) {
		e[f] = frame_db(x + f * FRAME, FRAME);
		if (e[f] > peak)
			peak = e[f];
	}
	for (size_t f = 0; f < nf; f++)
		out[f] = (e[f] >= peak - REL_DB && e[f] >= ABS_DB) ? 1 : 0;
	for (size_t f = 0; f < nf; f++) {
		if (!out[f])
			continue;
		if (last >= 0 && (long)f - last - 1 > 0 && (long)f - last - 1 < BRIDGE_FRAMES)
			for (long g = last + 1; g < (long)f; g++)
				out[g] = 1;
		last = (long)f;
	}
	free(e);
}

struct audio {
	int16_t *d;
	size_t n, cap;
};

static void audio_put(struct audio *b, const int16_t *x, size_t n)
{
	if (b->n + n > b->cap) {
		b->cap = (b->n + n) * 2;
		b->d = xrealloc(b->d, b->cap * 2);
	}
	if (x)
		memcpy(b->d + b->n, x, n * 2);
	else
		memset(b->d + b->n, 0, n * 2);
	b->n += n;
}

struct labels {
	char *d;
	size_t n, cap;
};

static void labels_put(struct labels *b, const char *x, size_t n)
{
	if (b->n + n > b->cap) {
		b->cap = (b->n + n) * 2;
		b->d = xrealloc(b->d, b->cap);
	}
	if (x)
		memcpy(b->d + b->n, x, n);
	else
		memset(b->d + b->n, 0, n);
	b->n += n;
}

static FILE *open_out(const char *dir, const char *name)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		die("cannot write outputs");
	return f;
}

static int cmd_timeline(const char *spec, const char *outdir)
{
	FILE *sf = fopen(spec, "r"), *seg, *trn, *lf;
	struct audio audio = {0};
	struct labels lab = {0};
	char line[8192], cur_turn[256] = "", path[4096];
	long t_start = -1, t_end = -1, t_nutt = 0, t_maxpause = 0;
	size_t nsp = 0;

	if (!sf)
		die("cannot open spec");
	seg = open_out(outdir, "segments.tsv");
	trn = open_out(outdir, "turns.tsv");
	fprintf(seg,
		"start_ms\tend_ms\tkind\tutt_id\tturn_id\tspeech_start_ms\tspeech_end_ms\ttext\n");
	fprintf(trn, "turn_id\tspeech_start_ms\tspeech_end_ms\tn_utts\tmax_internal_pause_ms\n");
	while (fgets(line, sizeof(line), sf)) {
		line[strcspn(line, "\r\n")] = 0;
		if (!line[0] || line[0] == '#')
			continue;
		if (!strncmp(line, "sil ", 4)) {
			long ms = strtol(line + 4, NULL, 10), st = (long)(audio.n / 8);
			size_t nf;

			if (ms <= 0 || ms % 10)
				die("silence must be a positive multiple of 10 ms");
			nf = (size_t)ms / 10;
			audio_put(&audio, NULL, nf * FRAME);
			labels_put(&lab, NULL, nf);
			fprintf(seg, "%ld\t%ld\tsil\t-\t-\t-\t-\t-\n", st, st + ms);
		} else if (!strncmp(line, "utt ", 4)) {
			char id[256], turn[256], file[4096];
			int off = 0;
			size_t n, nf;
			int16_t *x, *xp;
			char *l;
			long f0 = -1, f1 = -1, c0, c1, st, ss, se;

			if (sscanf(line + 4, "%255s %255s %4095s %n", id, turn, file, &off) < 3)
				die("bad utt line");
			x = read_s16(file, &n);
			nf = (n + FRAME - 1) / FRAME;
			xp = calloc(nf * FRAME + 1, 2);
			l = xrealloc(NULL, nf);
			if (!xp)
				die("out of memory");
			memcpy(xp, x, n * 2);
			label_utt(xp, nf, l);
			for (size_t f = 0; f < nf; f++) {
				if (l[f]) {
					if (f0 < 0)
						f0 = (long)f;
					f1 = (long)f;
				}
			}
			if (f0 < 0)
				die("utterance has no speech");
			/* Keep MARGIN frames (labelled non-speech) around the
			 * speech so the spec's pauses are the real pauses. */
			c0 = f0 - MARGIN_FRAMES < 0 ? 0 : f0 - MARGIN_FRAMES;
			c1 = f1 + MARGIN_FRAMES >= (long)nf ? (long)nf - 1 : f1 + MARGIN_FRAMES;
			memmove(xp, xp + c0 * FRAME, (size_t)(c1 - c0 + 1) * FRAME * 2);
			memmove(l, l + c0, (size_t)(c1 - c0 + 1));
			nf = (size_t)(c1 - c0 + 1);
			f0 -= c0;
			f1 -= c0;
			st = (long)(audio.n / 8);
			ss = st + f0 * 10;
			se = st + (f1 + 1) * 10;
			fprintf(seg, "%ld\t%ld\tutt\t%s\t%s\t%ld\t%ld\t%s\n", st,
				st + (long)nf * 10, id, turn, ss, se, line + 4 + off);
			if (strcmp(turn, cur_turn)) {
				if (cur_turn[0])
					fprintf(trn, "%s\t%ld\t%ld\t%ld\t%ld\n", cur_turn, t_start,
						t_end, t_nutt, t_maxpause);
				snprintf(cur_turn, sizeof(cur_turn), "%s", turn);
				t_start = ss;
				t_nutt = 0;
				t_maxpause = 0;
			} else if (ss - t_end > t_maxpause) {
				t_maxpause = ss - t_end;
			}
			t_end = se;
			t_nutt++;
			audio_put(&audio, xp, nf * FRAME);
			labels_put(&lab, l, nf);
			free(x);
			free(xp);
			free(l);
		} else {
			die("unknown spec line");
		}
	}
	if (cur_turn[0])
		fprintf(trn, "%s\t%ld\t%ld\t%ld\t%ld\n", cur_turn, t_start, t_end, t_nutt,
			t_maxpause);
	fclose(sf);
	fclose(seg);
	fclose(trn);

	snprintf(path, sizeof(path), "%s/clean.s16", outdir);
	write_s16(path, audio.d, audio.n);
	lf = open_out(outdir, "labels.txt");
	for (size_t f = 0; f < lab.n; f++)
		nsp += (size_t)lab.d[f];
	fprintf(lf, "# vad-labels v1\n");
	fprintf(lf, "# rate=8000 frame_ms=10 frames=%zu speech_frames=%zu\n", lab.n, nsp);
	fprintf(lf, "# one character per 10 ms frame, '1'=speech '0'=non-speech; 100 frames (1 s) "
		    "per line\n");
	for (size_t f = 0; f < lab.n; f++) {
		fputc(lab.d[f] ? '1' : '0', lf);
		if (f % 100 == 99 || f + 1 == lab.n)
			fputc('\n', lf);
	}
	fclose(lf);
	fprintf(stderr, "timeline: %.2f s, %zu frames, %.1f%% speech\n", audio.n / (double)RATE,
		lab.n, lab.n ? 100.0 * (double)nsp / (double)lab.n : 0.0);
	free(audio.d);
	free(lab.d);
	return 0;
}

static char *read_labels(const char *path, size_t *nf)
{
	FILE *f = fopen(path, "r");
	size_t cap = 1 << 16, n = 0;
	char *l, line[4096];

	if (!f)
		die("cannot open labels");
	l = xrealloc(NULL, cap);
	while (fgets(line, sizeof(line), f)) {
		if (line[0] == '#')
			continue;
		for (char *p = line; *p; p++) {
			if (*p != '0' && *p != '1')
				continue;
			if (n == cap)
				l = xrealloc(l, cap *= 2);
			l[n++] = (char)(*p - '0');
		}
	}
	fclose(f);
	*nf = n;
	return l;
}

static int cmd_mix(const char *cleanp, const char *labp, const char *noisep, double snr,
		   const char *outp)
{
	size_t n, nn, nf, cs = 0, clipped = 0;
	int16_t *s = read_s16(cleanp, &n), *z = read_s16(noisep, &nn), *o;
	char *l = read_labels(labp, &nf);
	double ps = 0, pn = 0, pn2 = 0, g;

	if (nf * FRAME != n)
		die("labels/audio length mismatch");
	if (nn < n)
		die("noise shorter than speech");
	for (size_t f = 0; f < nf; f++) {
		if (!l[f])
			continue;
		for (size_t i = 0; i < FRAME; i++) {
			double v = s[f * FRAME + i];

			ps += v * v;
			cs++;
		}
	}
	ps /= (double)cs;
	for (size_t i = 0; i < n; i++)
		pn += (double)z[i] * z[i];
	pn /= (double)n;
	g = sqrt(ps / (pn * pow(10.0, snr / 10.0)));
	o = xrealloc(NULL, n * 2);
	for (size_t i = 0; i < n; i++) {
		double v = s[i] + g * z[i];
		long r = lround(v);

		pn2 += (g * z[i]) * (g * z[i]);
		if (r > 32767) {
			r = 32767;
			clipped++;
		}
		if (r < -32768) {
			r = -32768;
			clipped++;
		}
		o[i] = (int16_t)r;
	}
	pn2 /= (double)n;
	write_s16(outp, o, n);
	printf("speech_active_level_dBFS=%.2f noise_level_dBFS=%.2f noise_gain=%.5f snr_dB=%.2f "
	       "clipped=%zu\n",
	       10 * log10(ps / (32768.0 * 32768.0)), 10 * log10(pn2 / (32768.0 * 32768.0)), g,
	       10 * log10(ps / pn2), clipped);
	free(s);
	free(z);
	free(l);
	free(o);
	return 0;
}

/* xorshift64*: small, seeded, the same everywhere. */
static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1DULL;
}

static double rng_gauss(uint64_t *s)
{
	double u1 = ((double)(rng_next(s) >> 11) + 0.5) / 9007199254740992.0;
	double u2 = ((double)(rng_next(s) >> 11) + 0.5) / 9007199254740992.0;

	return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

static int cmd_noise(const char *kind, unsigned long long seed, size_t n, const char *outp)
{
	uint64_t s = seed * 0x9E3779B97F4A7C15ULL + 1;
	double *x = xrealloc(NULL, n * sizeof(*x)), b0 = 0, b1 = 0, b2 = 0, b3 = 0, b4 = 0, b5 = 0,
	       b6 = 0, y = 0, peak = 0;
	int16_t *o = xrealloc(NULL, n * 2);

	for (size_t i = 0; i < n; i++) {
		double w = rng_gauss(&s);

		if (!strcmp(kind, "white")) {
			x[i] = w;
		} else if (!strcmp(kind, "pink")) {
			/* Paul Kellet's refined pink filter (-3 dB/octave). */
			b0 = 0.99886 * b0 + w * 0.0555179;
			b1 = 0.99332 * b1 + w * 0.0750759;
			b2 = 0.96900 * b2 + w * 0.1538520;
			b3 = 0.86650 * b3 + w * 0.3104856;
			b4 = 0.55000 * b4 + w * 0.5329522;
			b5 = -0.7616 * b5 - w * 0.0168980;
			x[i] = b0 + b1 + b2 + b3 + b4 + b5 + b6 + w * 0.5362;
			b6 = w * 0.115926;
		} else if (!strcmp(kind, "brown")) {
			/* Leaky integration (-6 dB/octave above a few Hz). */
			y = 0.998 * y + w;
			x[i] = y;
		} else {
			die("noise kind must be white, pink or brown");
		}
		if (fabs(x[i]) > peak)
			peak = fabs(x[i]);
	}
	/* Peak at half of full scale: make_corpus.sh sets the level later. */
	for (size_t i = 0; i < n; i++)
		o[i] = (int16_t)lround(x[i] / peak * 16384.0);
	write_s16(outp, o, n);
	free(x);
	free(o);
	return 0;
}

static int cmd_loop(const char *inp, size_t n, const char *outp)
{
	size_t m;
	int16_t *x = read_s16(inp, &m), *o = xrealloc(NULL, n * 2);

	if (m == 0)
		die("empty input");
	for (size_t i = 0; i < n; i++)
		o[i] = x[i % m];
	write_s16(outp, o, n);
	free(x);
	free(o);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && !strcmp(argv[1], "timeline"))
		return cmd_timeline(argv[2], argv[3]);
	if (argc == 7 && !strcmp(argv[1], "mix"))
		return cmd_mix(argv[2], argv[3], argv[4], strtod(argv[5], NULL), argv[6]);
	if (argc == 6 && !strcmp(argv[1], "noise"))
		return cmd_noise(argv[2], strtoull(argv[3], NULL, 10),
				 (size_t)strtoull(argv[4], NULL, 10), argv[5]);
	if (argc == 5 && !strcmp(argv[1], "loop"))
		return cmd_loop(argv[2], (size_t)strtoull(argv[3], NULL, 10), argv[4]);
	fprintf(stderr, "usage: corpus_tool timeline SPEC OUTDIR\n"
			"       corpus_tool mix CLEAN.s16 LABELS.txt NOISE.s16 SNR_DB OUT.s16\n"
			"       corpus_tool noise white|pink|brown SEED NSAMPLES OUT.s16\n"
			"       corpus_tool loop IN.s16 NSAMPLES OUT.s16\n");
	return 2;
}
