/* SPDX-License-Identifier: MIT */
/*
 * cmd_vad_eval.c - `voiceai vad-eval DIR [--preset NAME] [--json]`: scores
 * the voice-activity detector, end of turn and onsets on a labelled corpus
 * (tools/vad-corpus/FORMAT.md), pooled per SNR level of its manifest. The
 * rules live in audio/vad_eval.c; this file reads files and prints.
 */
#include "app/commands.h"
#include "audio/settings.h"
#include "audio/vad_eval.h"
#include "core/err.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FILE (256u << 20) /* a corpus file larger than this is a mistake */

static void usage(FILE *out)
{
	fprintf(out, "usage: voiceai vad-eval DIR [--preset quiet|normal|noisy] [--json]\n\n"
		     "Scores voice-activity detection, end of turn and barge-in onsets on a\n"
		     "labelled corpus (manifest.tsv, labels.txt, turns.tsv and mu-law files, as\n"
		     "tools/vad-corpus/make_corpus.sh writes them), pooled per SNR level.\n"
		     "  --preset NAME  the audio settings to use (default: normal)\n"
		     "  --json         one JSON object per SNR level instead of a table\n");
}

/* Reads a whole file; caller frees *data. */
static int read_file(const char *dir, const char *name, char **data, size_t *len)
{
	char path[4096];
	FILE *f = NULL;
	char *buf = NULL;
	long sz;
	int rc = VA_E_IO;

	*data = NULL;
	*len = 0;
	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path))
		return VA_E_TOOBIG;
	f = fopen(path, "rb");
	if (!f || fseek(f, 0, SEEK_END) != 0 || (sz = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0) {
		fprintf(stderr, "voiceai vad-eval: cannot read %s\n", path);
		goto out;
	}
	if ((unsigned long)sz > MAX_FILE) {
		fprintf(stderr, "voiceai vad-eval: %s is too large\n", path);
		rc = VA_E_TOOBIG;
		goto out;
	}
	buf = malloc((size_t)sz + 1);
	if (!buf) {
		rc = VA_E_NOMEM;
		goto out;
	}
	if (fread(buf, 1, (size_t)sz, f) != (size_t)sz) {
		fprintf(stderr, "voiceai vad-eval: cannot read %s\n", path);
		goto out;
	}
	buf[sz] = '\0';
	*data = buf;
	*len = (size_t)sz;
	buf = NULL;
	rc = VA_OK;
out:
	free(buf);
	if (f)
		fclose(f);
	return rc;
}

static void print_json(const char *snr, const struct va_eval_result *r)
{
	printf("{\"snr\":\"%s\",\"files\":%d,\"f1\":%.4f,\"far\":%.4f,\"auc\":%.4f,"
	       "\"eot_latency_ms\":%.1f,\"cutoffs\":%d,\"spurious\":%d,\"missed\":%d,"
	       "\"onset_ms\":%.1f,\"false_onsets_per_min\":%.2f,\"onset_missed\":%d,"
	       "\"precision\":%.4f,\"recall\":%.4f}\n",
	       snr, r->files, r->f1, r->far, r->auc, r->eot_latency_ms, r->cutoffs, r->spurious,
	       r->missed, r->onset_ms, r->false_onsets_per_min, r->onset_missed, r->precision,
	       r->recall);
}

static void print_row(const char *snr, const struct va_eval_result *r)
{
	printf("%-6s %5d  %6.3f %6.3f %6.3f  %8.0f %7d %8d %6d  %7.0f %7d %9.2f\n", snr, r->files,
	       r->f1, r->far, r->auc, r->eot_latency_ms, r->cutoffs, r->spurious, r->missed,
	       r->onset_ms, r->onset_missed, r->false_onsets_per_min);
}

/* Scores every manifest row whose SNR is snr, pooled. */
static int score_level(const char *dir, const struct va_audio_settings *s,
		       const struct va_eval_manifest_row *rows, size_t nrows, const char *snr,
		       const struct va_eval_truth *truth, struct va_eval_result *res)
{
	struct va_eval_acc *acc = calloc(1, sizeof(*acc));
	char *audio = NULL;
	size_t alen;
	int rc = VA_E_NOMEM;

	if (!acc)
		goto out;
	for (size_t i = 0; i < nrows; i++) {
		if (strcmp(rows[i].snr, snr))
			continue;
		rc = read_file(dir, rows[i].file, &audio, &alen);
		if (rc != VA_OK)
			goto out;
		rc = va_eval_run_ulaw(s, (const uint8_t *)audio, alen, truth, acc);
		free(audio);
		audio = NULL;
		if (rc != VA_OK)
			goto out;
	}
	va_eval_result(acc, res);
	rc = VA_OK;
out:
	free(audio);
	free(acc);
	return rc;
}

int va_cmd_vad_eval(int argc, char **argv)
{
	const char *dir = NULL, *preset = "normal";
	struct va_audio_settings settings;
	struct va_eval_truth truth = {0};
	struct va_eval_manifest_row *rows = NULL;
	size_t nrows = 0, len;
	char *text = NULL;
	bool json = false;
	int rc = 2, err;

	for (int a = 1; a < argc; a++) {
		if (!strcmp(argv[a], "--help") || !strcmp(argv[a], "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[a], "--preset") && a + 1 < argc) {
			preset = argv[++a];
		} else if (!strcmp(argv[a], "--json")) {
			json = true;
		} else if (argv[a][0] == '-' || dir) {
			fprintf(stderr, "voiceai vad-eval: unexpected argument %s\n", argv[a]);
			usage(stderr);
			return 2;
		} else {
			dir = argv[a];
		}
	}
	if (!dir) {
		usage(stderr);
		return 2;
	}
	if (va_audio_settings_from_name(preset, &settings) != VA_OK) {
		fprintf(stderr, "voiceai vad-eval: unknown preset %s (quiet, normal, noisy)\n",
			preset);
		return 2;
	}

	rc = 1;
	if (read_file(dir, "labels.txt", &text, &len) != VA_OK)
		goto out;
	err = va_eval_parse_labels(text, len, &truth.labels, &truth.nframes);
	free(text);
	text = NULL;
	if (err != VA_OK) {
		fprintf(stderr, "voiceai vad-eval: labels.txt: %s\n", va_err_str(err));
		goto out;
	}
	if (read_file(dir, "turns.tsv", &text, &len) != VA_OK)
		goto out;
	err = va_eval_parse_turns(text, len, &truth.turns, &truth.nturns);
	free(text);
	text = NULL;
	if (err != VA_OK) {
		fprintf(stderr, "voiceai vad-eval: turns.tsv: %s\n", va_err_str(err));
		goto out;
	}
	if (read_file(dir, "manifest.tsv", &text, &len) != VA_OK)
		goto out;
	err = va_eval_parse_manifest(text, len, &rows, &nrows);
	free(text);
	text = NULL;
	if (err != VA_OK || nrows == 0) {
		fprintf(stderr, "voiceai vad-eval: manifest.tsv: %s\n",
			err != VA_OK ? va_err_str(err) : "no files");
		goto out;
	}

	if (!json) {
		printf("corpus %s, preset %s: %zu files, %zu frames, %zu turns\n", dir, preset,
		       nrows, truth.nframes, truth.nturns);
		printf("%-6s %5s  %6s %6s %6s  %8s %7s %8s %6s  %7s %7s %9s\n", "SNR", "files",
		       "F1", "FAR", "AUC", "EOT(ms)", "cutoffs", "spurious", "missed", "onset",
		       "o.miss", "false/min");
	}
	/* One level per distinct SNR, in the manifest's order. */
	for (size_t i = 0; i < nrows; i++) {
		struct va_eval_result res;
		bool seen = false;

		for (size_t j = 0; j < i && !seen; j++)
			seen = !strcmp(rows[j].snr, rows[i].snr);
		if (seen)
			continue;
		err = score_level(dir, &settings, rows, nrows, rows[i].snr, &truth, &res);
		if (err != VA_OK) {
			fprintf(stderr, "voiceai vad-eval: SNR %s: %s\n", rows[i].snr,
				va_err_str(err));
			goto out;
		}
		if (json)
			print_json(rows[i].snr, &res);
		else
			print_row(rows[i].snr, &res);
	}
	rc = 0;
out:
	free(text);
	free(rows);
	free(truth.labels);
	free(truth.turns);
	return rc;
}
