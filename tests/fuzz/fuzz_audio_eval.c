/* SPDX-License-Identifier: MIT */
/*
 * fuzz_audio_eval.c - arbitrary bytes as a corpus's labels.txt, turns.tsv
 * and manifest.tsv (the files `voiceai vad-eval` reads from any directory):
 * no crash, no read outside the text, and every result keeps its contract
 * (labels are 0/1, turns sorted and non-negative, fields terminated). The
 * parsed labels and turns then score a short stream of the same bytes.
 */
#include "audio/vad_eval.h"
#include "core/err.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *text = (const char *)data;
	struct va_eval_truth tr = {0};
	struct va_eval_manifest_row *rows = NULL;
	struct va_eval_acc *acc;
	size_t nrows = 0;

	if (va_eval_parse_labels(text, size, &tr.labels, &tr.nframes) == VA_OK) {
		if (tr.nframes == 0 || tr.nframes > size)
			abort();
		for (size_t i = 0; i < tr.nframes; i++)
			if (tr.labels[i] > 1)
				abort();
	}
	if (va_eval_parse_turns(text, size, &tr.turns, &tr.nturns) == VA_OK) {
		for (size_t i = 0; i < tr.nturns; i++)
			if (tr.turns[i].start_ms < 0 || tr.turns[i].end_ms < tr.turns[i].start_ms ||
			    (i && tr.turns[i].start_ms < tr.turns[i - 1].start_ms))
				abort();
	} else {
		tr.nturns = 0;
	}
	if (va_eval_parse_manifest(text, size, &rows, &nrows) == VA_OK) {
		for (size_t i = 0; i < nrows; i++)
			if (memchr(rows[i].file, 0, VA_EVAL_FIELD_MAX) == NULL ||
			    !rows[i].file[0] || !rows[i].snr[0])
				abort();
	}
	acc = calloc(1, sizeof(*acc));
	if (!acc)
		abort();
	if (tr.labels) {
		struct va_eval_result r;

		if (va_eval_run_ulaw(NULL, data, size, &tr, acc) != VA_OK)
			abort();
		va_eval_result(acc, &r);
		if (r.f1 < 0 || r.f1 > 1 || r.far < 0 || r.far > 1 || r.auc < 0 || r.auc > 1 ||
		    r.cutoffs < 0 || r.missed > (int)tr.nturns)
			abort();
	}
	free(acc);
	free(rows);
	free(tr.labels);
	free(tr.turns);
	return 0;
}
