#!/bin/sh
# SPDX-License-Identifier: MIT
# vad_quality.sh - the quality floors of issue 7 on the reference corpus.
#
# Usage: vad_quality.sh VOICEAI_BIN SOURCE_DIR CORPUS_DIR
#
# Builds the corpus with tools/vad-corpus/make_corpus.sh into CORPUS_DIR
# unless a complete one is already there (its files match its SHA256SUMS and
# it was built by the same builder), scores it with `voiceai vad-eval --json`
# and checks every line with check_vad.awk. One fixed configuration (the
# default preset) for every file, as the issue requires.
set -eu

BIN="$1"
SRC="$2"
CORPUS="$3"
HERE="$SRC/tests/quality"
BUILDER="$SRC/tools/vad-corpus"

stamp=$(cat "$BUILDER/make_corpus.sh" "$BUILDER/corpus_tool.c" | sha256sum | cut -d' ' -f1)
if [ -f "$CORPUS/SHA256SUMS" ] && [ "$(cat "$CORPUS/.builder" 2>/dev/null)" = "$stamp" ] &&
	(cd "$CORPUS" && sha256sum -c --quiet --status SHA256SUMS); then
	echo "vad-quality: corpus up to date in $CORPUS"
else
	"$BUILDER/make_corpus.sh" "$CORPUS" >/dev/null 2>&1 ||
		{ echo "vad-quality: building the corpus failed (espeak-ng, flite, sox installed?)" >&2; exit 1; }
	echo "$stamp" > "$CORPUS/.builder"
	echo "vad-quality: corpus built in $CORPUS"
fi
if cmp -s "$CORPUS/SHA256SUMS" "$HERE/vad_corpus.SHA256SUMS"; then
	echo "vad-quality: corpus identical to the reference (the baselines' corpus)"
else
	echo "vad-quality: note: corpus differs from the reference (other espeak-ng/flite/sox" \
		"versions); the floors are checked all the same"
fi

"$BIN" vad-eval "$CORPUS" --json > "$CORPUS/.result.jsonl"
cat "$CORPUS/.result.jsonl"
awk -f "$HERE/check_vad.awk" "$CORPUS/.result.jsonl"
