/* SPDX-License-Identifier: MIT */
/*
 * vad_eval.h - scoring voice-activity detection, end of turn and onsets
 * against a labelled corpus in the format of tools/vad-corpus/FORMAT.md.
 *
 * The rules (the corpus's own, so figures compare with its baselines):
 *  - each file is decoded and fed through the production pipeline
 *    (struct va_listener with the given settings) in real-time order,
 *    with no look-ahead and no reply playing;
 *  - frames: precision, recall and F1 of the speech class and the false
 *    alarm rate FP/(FP+TN) of the per-10 ms decisions ("speech", with
 *    hangover); ROC-AUC of the speech probability;
 *  - end of turn: for each labelled turn, the latency from its
 *    speech_end_ms to the first end-of-turn event at or after it and
 *    before the next turn starts; cut-offs are events strictly inside a
 *    turn, spurious ones are further events in the same gap (or before the
 *    first turn), missed turns have no event before the next one;
 *  - onsets: an onset belongs to a turn when it is raised at or after the
 *    turn's speech_start_ms by a speech run that began before the turn's
 *    speech_end_ms (so it was raised by the turn's speech, not by noise
 *    before it); latency is from speech_start_ms to the first one; every
 *    other onset is false, counted per minute of labelled non-speech.
 *
 * Results are accumulated per file into a struct va_eval_acc, so several
 * files (the noises of one SNR) pool by summing. Pure: no I/O.
 */
#ifndef VA_AUDIO_VAD_EVAL_H
#define VA_AUDIO_VAD_EVAL_H

#include "audio/settings.h"

#include <stddef.h>
#include <stdint.h>

#define VA_EVAL_AUC_BINS  1000
#define VA_EVAL_FIELD_MAX 128

struct va_eval_turn {
	int64_t start_ms, end_ms; /* speech_start_ms, speech_end_ms */
};

struct va_eval_truth {
	uint8_t *labels; /* one 0/1 per 10 ms frame */
	size_t nframes;
	struct va_eval_turn *turns; /* in time order */
	size_t nturns;
};

struct va_eval_manifest_row {
	char file[VA_EVAL_FIELD_MAX];
	char noise[VA_EVAL_FIELD_MAX];
	char snr[VA_EVAL_FIELD_MAX]; /* "inf" for clean */
};

/* Counts pooled over files. Zero it (or VA_EVAL_ACC_INIT) before use. */
struct va_eval_acc {
	int files;
	uint64_t tp, fp, fn, tn;
	uint64_t hist_speech[VA_EVAL_AUC_BINS], hist_other[VA_EVAL_AUC_BINS];
	int turns;
	int eot_found, cutoffs, spurious, missed;
	double eot_latency_sum;
	int onset_found, onset_missed, false_onsets;
	double onset_latency_sum;
	double nonspeech_ms;
};

struct va_eval_result {
	int files;
	double precision, recall, f1, far, auc;
	double eot_latency_ms; /* mean over turns with an event; -1 if none */
	int cutoffs, spurious, missed;
	double onset_ms; /* mean over turns with an onset; -1 if none */
	int onset_missed;
	double false_onsets_per_min;
};

/* labels.txt -> *labels (caller frees with free()), *n frames. Lines that
 * start with '#' are comments; every other '0'/'1' is a frame.
 * VA_E_PARSE when there is no frame, VA_E_NOMEM. */
int va_eval_parse_labels(const char *text, size_t len, uint8_t **labels, size_t *n);
/* turns.tsv -> *turns (caller frees with free()), sorted by start.
 * VA_E_PARSE for a malformed row or a turn that ends before it starts. */
int va_eval_parse_turns(const char *text, size_t len, struct va_eval_turn **turns, size_t *n);
/* manifest.tsv -> *rows (caller frees with free()); the header row is
 * skipped. VA_E_PARSE for a row without three non-empty fields or with a
 * NUL byte, VA_E_TOOBIG for a field longer than VA_EVAL_FIELD_MAX - 1. */
int va_eval_parse_manifest(const char *text, size_t len, struct va_eval_manifest_row **rows,
			   size_t *n);

/* Runs one file (n mu-law bytes) through a fresh listener with settings
 * (NULL = defaults) and adds its counts to *acc. Frames past the shorter of
 * the audio and the labels are ignored. VA_E_INVAL for bad settings,
 * VA_E_NOMEM. */
int va_eval_run_ulaw(const struct va_audio_settings *settings, const uint8_t *ulaw, size_t n,
		     const struct va_eval_truth *truth, struct va_eval_acc *acc);

/* The figures of pooled counts. */
void va_eval_result(const struct va_eval_acc *acc, struct va_eval_result *out);

#endif
