/* SPDX-License-Identifier: MIT */
/*
 * vad_eval.c - the scoring rules of vad_eval.h. The runner records the
 * pipeline's decisions and events for one file, then each rule is a pass
 * over those records against the labels.
 */
#include "audio/vad_eval.h"

#include "audio/listener.h"
#include "core/err.h"

#include <stdlib.h>
#include <string.h>

/* Events of one file, in time order. */
struct events {
	int64_t *t;    /* ms at the end of the frame that raised the event */
	int64_t *from; /* onsets: where the speech run began */
	size_t n, cap;
};

static int events_add(struct events *e, int64_t t, int64_t from)
{
	if (e->n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 64;
		int64_t *nt = realloc(e->t, cap * sizeof(*nt));

		if (!nt)
			return VA_E_NOMEM;
		e->t = nt;
		nt = realloc(e->from, cap * sizeof(*nt));
		if (!nt)
			return VA_E_NOMEM;
		e->from = nt;
		e->cap = cap;
	}
	e->t[e->n] = t;
	e->from[e->n] = from;
	e->n++;
	return VA_OK;
}

static void events_release(struct events *e)
{
	free(e->t);
	free(e->from);
}

/* --- parsers ------------------------------------------------------------- */

int va_eval_parse_labels(const char *text, size_t len, uint8_t **labels, size_t *n)
{
	uint8_t *l = NULL;
	size_t cnt = 0, i = 0;
	bool line_start = true, comment = false;

	if (!text || !labels || !n)
		return VA_E_INVAL;
	*labels = NULL;
	*n = 0;
	/* At most one frame per byte. */
	l = malloc(len ? len : 1);
	if (!l)
		return VA_E_NOMEM;
	for (i = 0; i < len; i++) {
		char c = text[i];

		if (line_start)
			comment = c == '#';
		line_start = c == '\n';
		if (!comment && (c == '0' || c == '1'))
			l[cnt++] = (uint8_t)(c - '0');
	}
	if (cnt == 0) {
		free(l);
		return VA_E_PARSE;
	}
	*labels = l;
	*n = cnt;
	return VA_OK;
}

/* Next line of text[*pos..len): sets *line and *llen, advances *pos. */
static bool next_line(const char *text, size_t len, size_t *pos, const char **line, size_t *llen)
{
	size_t s = *pos, e;

	if (s >= len)
		return false;
	e = s;
	while (e < len && text[e] != '\n')
		e++;
	*line = text + s;
	*llen = e - s;
	if (*llen && text[e - 1] == '\r')
		(*llen)--;
	*pos = e < len ? e + 1 : len;
	return true;
}

/* Field idx (0-based, tab-separated) of a line as a view. */
static bool field(const char *line, size_t llen, int idx, const char **f, size_t *flen)
{
	size_t s = 0;

	for (int k = 0; k < idx; k++) {
		while (s < llen && line[s] != '\t')
			s++;
		if (s >= llen)
			return false;
		s++;
	}
	*f = line + s;
	*flen = 0;
	while (s + *flen < llen && line[s + *flen] != '\t')
		(*flen)++;
	return true;
}

/* The line (not NUL-terminated) begins with prefix: headers. */
static bool starts_with(const char *line, size_t llen, const char *prefix)
{
	size_t n = strlen(prefix);

	return llen >= n && !memcmp(line, prefix, n);
}

static bool parse_i64(const char *f, size_t flen, int64_t *out)
{
	int64_t v = 0;

	if (flen == 0 || flen > 15)
		return false;
	for (size_t i = 0; i < flen; i++) {
		if (f[i] < '0' || f[i] > '9')
			return false;
		v = v * 10 + (f[i] - '0');
	}
	*out = v;
	return true;
}

static int cmp_turn(const void *a, const void *b)
{
	const struct va_eval_turn *x = a, *y = b;

	return x->start_ms < y->start_ms ? -1 : x->start_ms > y->start_ms;
}

int va_eval_parse_turns(const char *text, size_t len, struct va_eval_turn **turns, size_t *n)
{
	struct va_eval_turn *t = NULL, *nt;
	size_t cnt = 0, cap = 0, pos = 0, llen, flen;
	const char *line, *f;
	int rc = VA_E_PARSE;

	if (!text || !turns || !n)
		return VA_E_INVAL;
	*turns = NULL;
	*n = 0;
	while (next_line(text, len, &pos, &line, &llen)) {
		struct va_eval_turn one;

		if (llen == 0 || line[0] == '#' || starts_with(line, llen, "turn_id\t"))
			continue;
		if (!field(line, llen, 1, &f, &flen) || !parse_i64(f, flen, &one.start_ms) ||
		    !field(line, llen, 2, &f, &flen) || !parse_i64(f, flen, &one.end_ms) ||
		    one.end_ms < one.start_ms)
			goto out;
		if (cnt == cap) {
			cap = cap ? cap * 2 : 32;
			nt = realloc(t, cap * sizeof(*t));
			if (!nt) {
				rc = VA_E_NOMEM;
				goto out;
			}
			t = nt;
		}
		t[cnt++] = one;
	}
	if (cnt)
		qsort(t, cnt, sizeof(*t), cmp_turn);
	*turns = t;
	*n = cnt;
	t = NULL;
	rc = VA_OK;
out:
	free(t);
	return rc;
}

static int copy_field(char *dst, const char *f, size_t flen)
{
	if (flen >= VA_EVAL_FIELD_MAX)
		return VA_E_TOOBIG;
	if (memchr(f, '\0', flen))
		return VA_E_PARSE; /* a file name cannot hold one */
	memcpy(dst, f, flen);
	dst[flen] = '\0';
	return VA_OK;
}

int va_eval_parse_manifest(const char *text, size_t len, struct va_eval_manifest_row **rows,
			   size_t *n)
{
	struct va_eval_manifest_row *r = NULL, *nr;
	size_t cnt = 0, cap = 0, pos = 0, llen, flen;
	const char *line, *f;
	int rc = VA_E_PARSE;

	if (!text || !rows || !n)
		return VA_E_INVAL;
	*rows = NULL;
	*n = 0;
	while (next_line(text, len, &pos, &line, &llen)) {
		if (llen == 0 || line[0] == '#' || starts_with(line, llen, "file\t"))
			continue;
		if (cnt == cap) {
			cap = cap ? cap * 2 : 16;
			nr = realloc(r, cap * sizeof(*r));
			if (!nr) {
				rc = VA_E_NOMEM;
				goto out;
			}
			r = nr;
		}
		for (int k = 0; k < 3; k++) {
			char *dst = k == 0 ? r[cnt].file : k == 1 ? r[cnt].noise : r[cnt].snr;

			rc = VA_E_PARSE;
			if (!field(line, llen, k, &f, &flen) || flen == 0)
				goto out;
			rc = copy_field(dst, f, flen);
			if (rc != VA_OK)
				goto out;
		}
		cnt++;
	}
	*rows = r;
	*n = cnt;
	r = NULL;
	rc = VA_OK;
out:
	free(r);
	return rc;
}

/* --- scoring ------------------------------------------------------------- */

static void score_eot(const struct va_eval_truth *tr, const struct events *ev,
		      struct va_eval_acc *acc)
{
	size_t e = 0;

	/* Events before the first turn starts have no turn to end. */
	while (e < ev->n && (tr->nturns == 0 || ev->t[e] <= tr->turns[0].start_ms)) {
		acc->spurious++;
		e++;
	}
	for (size_t i = 0; i < tr->nturns; i++) {
		int64_t next = i + 1 < tr->nturns ? tr->turns[i + 1].start_ms : INT64_MAX;
		bool found = false;

		acc->turns++;
		for (; e < ev->n && ev->t[e] <= next; e++) {
			if (ev->t[e] < tr->turns[i].end_ms) {
				/* start < t < end: inside the turn */
				if (ev->t[e] > tr->turns[i].start_ms)
					acc->cutoffs++;
				else
					acc->spurious++;
			} else if (!found && ev->t[e] < next) {
				found = true;
				acc->eot_found++;
				acc->eot_latency_sum += (double)(ev->t[e] - tr->turns[i].end_ms);
			} else {
				acc->spurious++;
			}
		}
		if (!found)
			acc->missed++;
	}
}

static void score_onsets(const struct va_eval_truth *tr, const struct events *ev,
			 struct va_eval_acc *acc)
{
	size_t i = 0;
	bool *hit = calloc(tr->nturns ? tr->nturns : 1, sizeof(*hit));

	for (size_t e = 0; e < ev->n; e++) {
		/* Turns and events are both in time order: skip the turns that
		 * ended before this event's speech run began. */
		while (i < tr->nturns && tr->turns[i].end_ms <= ev->from[e])
			i++;
		if (i < tr->nturns && ev->t[e] >= tr->turns[i].start_ms) {
			if (hit && !hit[i]) {
				hit[i] = true;
				acc->onset_found++;
				acc->onset_latency_sum +=
				    (double)(ev->t[e] - tr->turns[i].start_ms);
			}
		} else {
			acc->false_onsets++;
		}
	}
	for (size_t k = 0; k < tr->nturns; k++)
		if (!hit || !hit[k])
			acc->onset_missed++;
	free(hit);
}

int va_eval_run_ulaw(const struct va_audio_settings *settings, const uint8_t *ulaw, size_t n,
		     const struct va_eval_truth *truth, struct va_eval_acc *acc)
{
	struct va_listener *l = NULL;
	struct events eot = {0}, onset = {0};
	size_t nframes, f;
	int rc;

	if (!truth || !acc || (!ulaw && n))
		return VA_E_INVAL;
	rc = va_listener_new(settings, &l);
	if (rc != VA_OK)
		goto out;
	nframes = n / VA_VAD_FRAME;
	if (nframes > truth->nframes)
		nframes = truth->nframes;
	for (f = 0; f < nframes; f++) {
		unsigned ev =
		    va_listener_push_ulaw(l, ulaw + f * VA_VAD_FRAME, VA_VAD_FRAME, false);
		const struct va_vad_result *r = va_listener_last(l);
		int64_t now = va_listener_time_ms(l);
		int bin = (int)(r->prob * (VA_EVAL_AUC_BINS - 1) + 0.5f);
		bool lab = truth->labels[f] != 0;

		if (bin < 0)
			bin = 0;
		if (bin >= VA_EVAL_AUC_BINS)
			bin = VA_EVAL_AUC_BINS - 1;
		if (lab) {
			acc->hist_speech[bin]++;
			r->speech ? acc->tp++ : acc->fn++;
		} else {
			acc->hist_other[bin]++;
			r->speech ? acc->fp++ : acc->tn++;
			acc->nonspeech_ms += VA_VAD_FRAME_MS;
		}
		if ((ev & VA_TURN_EV_END) && (rc = events_add(&eot, now, now)) != VA_OK)
			goto out;
		if ((ev & VA_TURN_EV_ONSET) &&
		    (rc = events_add(&onset, now, va_turn_onset_start_ms(va_listener_turn(l)))) !=
			VA_OK)
			goto out;
	}
	score_eot(truth, &eot, acc);
	score_onsets(truth, &onset, acc);
	acc->files++;
	rc = VA_OK;
out:
	events_release(&eot);
	events_release(&onset);
	va_listener_free(l);
	return rc;
}

void va_eval_result(const struct va_eval_acc *acc, struct va_eval_result *out)
{
	double tp = (double)acc->tp, fp = (double)acc->fp, fn = (double)acc->fn;
	double tn = (double)acc->tn, below = 0, area = 0, npos = 0, nneg = 0;

	memset(out, 0, sizeof(*out));
	out->files = acc->files;
	out->precision = tp + fp > 0 ? tp / (tp + fp) : 0;
	out->recall = tp + fn > 0 ? tp / (tp + fn) : 0;
	out->f1 = out->precision + out->recall > 0
		      ? 2 * out->precision * out->recall / (out->precision + out->recall)
		      : 0;
	out->far = fp + tn > 0 ? fp / (fp + tn) : 0;
	/* AUC = P(prob of a speech frame > prob of a non-speech frame), ties
	 * counting one half, from the two histograms in increasing order. */
	for (int b = 0; b < VA_EVAL_AUC_BINS; b++) {
		double s = (double)acc->hist_speech[b], o = (double)acc->hist_other[b];

		area += s * (below + 0.5 * o);
		below += o;
		npos += s;
		nneg += o;
	}
	out->auc = npos > 0 && nneg > 0 ? area / (npos * nneg) : 0;
	out->eot_latency_ms = acc->eot_found ? acc->eot_latency_sum / acc->eot_found : -1;
	out->cutoffs = acc->cutoffs;
	out->spurious = acc->spurious;
	out->missed = acc->missed;
	out->onset_ms = acc->onset_found ? acc->onset_latency_sum / acc->onset_found : -1;
	out->onset_missed = acc->onset_missed;
	out->false_onsets_per_min =
	    acc->nonspeech_ms > 0 ? acc->false_onsets / (acc->nonspeech_ms / 60000.0) : 0;
}
