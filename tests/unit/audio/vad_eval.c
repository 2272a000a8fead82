/* SPDX-License-Identifier: MIT */
/*
 * tests/unit/audio/vad_eval.c - the corpus scoring of src/audio/vad_eval.c:
 * the three parsers (comments, headers, malformed rows), the figures of
 * hand-made counts (F1, FAR, AUC), and a synthetic two-turn "corpus" scored
 * end to end, where every event's place is known.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "audio/g711.h"
#include "audio/vad_eval.h"
#include "core/err.h"
#include "synth.h"

#include <stdlib.h>
#include <string.h>

static void test_parse_labels(void **state)
{
	const char *t = "# vad-labels v1\n# rate=8000 frame_ms=10 frames=6 0101\n0011\n10 x\n";
	uint8_t *l = NULL;
	size_t n = 0;

	assert_int_equal(va_eval_parse_labels(t, strlen(t), &l, &n), VA_OK);
	assert_int_equal(n, 6);
	assert_memory_equal(l, "\0\0\1\1\1\0", 6);
	free(l);
	assert_int_equal(va_eval_parse_labels("# only\n", 7, &l, &n), VA_E_PARSE);
	assert_null(l);
	assert_int_equal(va_eval_parse_labels("", 0, &l, &n), VA_E_PARSE);
	assert_int_equal(va_eval_parse_labels(NULL, 0, &l, &n), VA_E_INVAL);
}

static void test_parse_turns(void **state)
{
	const char *t = "turn_id\tspeech_start_ms\tspeech_end_ms\tn_utts\tmax\n"
			"t02\t5000\t6000\t1\t0\r\n"
			"t01\t1010\t3980\t2\t440\n\n";
	struct va_eval_turn *tr = NULL;
	size_t n = 0;

	assert_int_equal(va_eval_parse_turns(t, strlen(t), &tr, &n), VA_OK);
	assert_int_equal(n, 2);
	assert_int_equal(tr[0].start_ms, 1010);
	assert_int_equal(tr[0].end_ms, 3980);
	assert_int_equal(tr[1].start_ms, 5000);
	free(tr);
	assert_int_equal(va_eval_parse_turns("t1\t10\n", 6, &tr, &n), VA_E_PARSE);
	assert_int_equal(va_eval_parse_turns("t1\t10\t5\n", 8, &tr, &n), VA_E_PARSE);
	assert_int_equal(va_eval_parse_turns("t1\tx\t5\n", 7, &tr, &n), VA_E_PARSE);
	assert_int_equal(va_eval_parse_turns("", 0, &tr, &n), VA_OK);
	assert_int_equal(n, 0);
	free(tr);
}

static void test_parse_manifest(void **state)
{
	const char *t = "file\tnoise\ttarget_snr_db\tachieved\n"
			"clean.ul\tnone\tinf\t-\n"
			"white_10.ul\twhite\t10\tsnr_dB=10.00\n";
	struct va_eval_manifest_row *r = NULL;
	size_t n = 0;
	char big[400];

	assert_int_equal(va_eval_parse_manifest(t, strlen(t), &r, &n), VA_OK);
	assert_int_equal(n, 2);
	assert_string_equal(r[0].file, "clean.ul");
	assert_string_equal(r[0].snr, "inf");
	assert_string_equal(r[1].noise, "white");
	assert_string_equal(r[1].snr, "10");
	free(r);
	assert_int_equal(va_eval_parse_manifest("a.ul\tnone\n", 10, &r, &n), VA_E_PARSE);
	memset(big, 'a', sizeof(big));
	memcpy(big + 300, "\tnone\t10\n", 9);
	assert_int_equal(va_eval_parse_manifest(big, 309, &r, &n), VA_E_TOOBIG);
	assert_null(r);
}

static void test_result_math(void **state)
{
	struct va_eval_acc *acc = calloc(1, sizeof(*acc));
	struct va_eval_result r;

	acc->files = 1;
	acc->tp = 80;
	acc->fn = 20;
	acc->fp = 10;
	acc->tn = 90;
	/* Perfectly separated probabilities: AUC 1. */
	acc->hist_speech[900] = 100;
	acc->hist_other[100] = 100;
	acc->eot_found = 2;
	acc->eot_latency_sum = 1700;
	acc->false_onsets = 3;
	acc->nonspeech_ms = 90000;
	va_eval_result(acc, &r);
	assert_true(r.precision > 0.888 && r.precision < 0.889);
	assert_true(r.recall > 0.799 && r.recall < 0.801);
	assert_true(r.f1 > 0.842 && r.f1 < 0.843);
	assert_true(r.far > 0.099 && r.far < 0.101);
	assert_true(r.auc > 0.9999);
	assert_true(r.eot_latency_ms == 850);
	assert_true(r.onset_ms == -1);
	assert_true(r.false_onsets_per_min == 2);
	/* All in one bin: ties count half. */
	memset(acc->hist_speech, 0, sizeof(acc->hist_speech));
	memset(acc->hist_other, 0, sizeof(acc->hist_other));
	acc->hist_speech[500] = 10;
	acc->hist_other[500] = 30;
	va_eval_result(acc, &r);
	assert_true(r.auc > 0.4999 && r.auc < 0.5001);
	free(acc);
}

/* Two turns of a talker in noise: 1-2.5 s and 5-6 s of a 9 s file. */
static void test_end_to_end(void **state)
{
	enum { NS = 9 * 8000, NF = NS / 80 };
	int16_t *pcm = malloc(NS * sizeof(*pcm));
	uint8_t *ul = malloc(NS);
	uint8_t labels[NF];
	struct va_eval_turn turns[2] = {{1000, 2500}, {5000, 6000}};
	struct va_eval_truth tr = {labels, NF, turns, 2};
	struct va_eval_acc *acc = calloc(1, sizeof(*acc));
	struct va_eval_result r;
	struct synth s;

	synth_init(&s, 21);
	synth_fill(&s, pcm, 8000, -50, 0, 0);
	synth_fill(&s, pcm + 8000, 12000, -50, 1, -25);
	synth_fill(&s, pcm + 20000, 20000, -50, 0, 0);
	synth_fill(&s, pcm + 40000, 8000, -50, 1, -25);
	synth_fill(&s, pcm + 48000, 24000, -50, 0, 0);
	va_g711_ulaw_encode_buf(pcm, NS, ul);
	for (int f = 0; f < NF; f++)
		labels[f] = (f >= 100 && f < 250) || (f >= 500 && f < 600);

	assert_int_equal(va_eval_run_ulaw(NULL, ul, NS, &tr, acc), VA_OK);
	/* A second run of the same file pools: counts double, figures hold. */
	assert_int_equal(va_eval_run_ulaw(NULL, ul, NS, &tr, acc), VA_OK);
	va_eval_result(acc, &r);
	assert_int_equal(r.files, 2);
	assert_int_equal(acc->tp + acc->fp + acc->fn + acc->tn, 2 * NF);
	assert_true(r.f1 > 0.95);
	assert_true(r.far < 0.05);
	assert_true(r.auc > 0.95);
	assert_int_equal(r.cutoffs, 0);
	assert_int_equal(r.spurious, 0);
	assert_int_equal(r.missed, 0);
	assert_true(r.eot_latency_ms >= 800 && r.eot_latency_ms <= 950);
	assert_int_equal(r.onset_missed, 0);
	assert_true(r.onset_ms >= 100 && r.onset_ms <= 150);
	assert_true(r.false_onsets_per_min == 0);

	/* Labels shorter than the audio: only labelled frames count. */
	memset(acc, 0, sizeof(*acc));
	tr.nframes = 300;
	tr.nturns = 1;
	assert_int_equal(va_eval_run_ulaw(NULL, ul, NS, &tr, acc), VA_OK);
	assert_int_equal(acc->tp + acc->fp + acc->fn + acc->tn, 300);
	assert_int_equal(va_eval_run_ulaw(NULL, NULL, 1, &tr, acc), VA_E_INVAL);
	free(acc);
	free(pcm);
	free(ul);
}

/* An event inside a turn is a cut-off; a turn with no event is missed. */
static void test_cutoff_and_missed(void **state)
{
	enum { NS = 6 * 8000, NF = NS / 80 };
	int16_t *pcm = malloc(NS * sizeof(*pcm));
	uint8_t *ul = malloc(NS);
	uint8_t labels[NF] = {0};
	/* One labelled turn 1-4 s, but the talker stops for 1.5 s in it. */
	struct va_eval_turn turns[1] = {{1000, 4000}};
	struct va_eval_truth tr = {labels, NF, turns, 1};
	struct va_eval_acc *acc = calloc(1, sizeof(*acc));
	struct synth s;

	synth_init(&s, 22);
	synth_fill(&s, pcm, 8000, -50, 0, 0);
	synth_fill(&s, pcm + 8000, 4000, -50, 1, -25);
	synth_fill(&s, pcm + 12000, 12000, -50, 0, 0);
	synth_fill(&s, pcm + 24000, 8000, -50, 1, -25);
	synth_fill(&s, pcm + 32000, 16000, -50, 0, 0);
	va_g711_ulaw_encode_buf(pcm, NS, ul);
	assert_int_equal(va_eval_run_ulaw(NULL, ul, NS, &tr, acc), VA_OK);
	assert_int_equal(acc->cutoffs, 1);
	assert_int_equal(acc->missed, 0);
	/* Now a turn the audio does not have: missed, and the talker's end
	 * events before it are spurious. */
	memset(acc, 0, sizeof(*acc));
	turns[0].start_ms = 5900;
	turns[0].end_ms = 5950;
	assert_int_equal(va_eval_run_ulaw(NULL, ul, NS, &tr, acc), VA_OK);
	assert_int_equal(acc->missed, 1);
	assert_int_equal(acc->spurious, 2);
	assert_int_equal(acc->onset_missed, 1);
	assert_int_equal(acc->false_onsets, 2);
	free(acc);
	free(pcm);
	free(ul);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_labels),   cmocka_unit_test(test_parse_turns),
	    cmocka_unit_test(test_parse_manifest), cmocka_unit_test(test_result_math),
	    cmocka_unit_test(test_end_to_end),	   cmocka_unit_test(test_cutoff_and_missed),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
