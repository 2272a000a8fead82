#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# make_corpus.sh - build a small, labelled, telephone-like VAD / end-of-turn
# test corpus with no downloads (format: FORMAT.md beside this script).
#
# Needs (Debian 12): espeak-ng flite sox and a C compiler
# (scripts/install-deps.sh installs them).
#
# Usage: make_corpus.sh [--variant base|b] [OUT_DIR]   (default ./corpus)
#
#   base  the reference corpus: byte for byte the one the baselines in
#         FORMAT.md were measured on (Debian 12's espeak-ng 1.51, flite 2.2,
#         sox 14.4.2; SHA256SUMS records it). The quality test uses it.
#   b     a generalisation check: other sentences, voices, speaking rates,
#         loudness and pauses, and other noises (our own seeded white, pink
#         and brown instead of sox's, plus babble made of four other
#         voices talking at once). A detector tuned to "base" alone shows
#         it here.
#
# Output, under OUT_DIR:
#   clean.ul <noise>_{20,10,5,0}.ul   G.711 mu-law, 8 kHz, mono, headerless
#   clean.s16                         the timeline before noise and mu-law
#   labels.txt segments.tsv turns.tsv manifest.tsv utts/ SHA256SUMS
#
# Listen:  sox -t ul -r 8000 -c 1 corpus/pink_10.ul -d
set -euo pipefail
export LC_ALL=C

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
VARIANT=base
if [ "${1:-}" = "--variant" ]; then
  VARIANT="${2:?--variant needs a name}"; shift 2
fi
OUT="$(realpath -m "${1:-corpus}")"
BUILD="$OUT/.build"

for t in espeak-ng flite sox cc sha256sum; do
  command -v "$t" >/dev/null || { echo "missing tool: $t" >&2; exit 1; }
done

if [ -d "$OUT" ] && [ -n "$(ls -A "$OUT")" ] && [ ! -f "$OUT/manifest.tsv" ]; then
  echo "refusing to overwrite $OUT: not empty and not a corpus" >&2; exit 1
fi
rm -rf "$OUT"
mkdir -p "$OUT/utts" "$BUILD"
printf '*\n' > "$OUT/.gitignore"

cc -O2 -o "$BUILD/corpus_tool" "$HERE/corpus_tool.c" -lm

# sox: -R = fixed random seed (repeatable noise), -D = no dither (repeatable)
SOX="sox -R -D -V1"
S16="-t raw -r 8000 -e signed-integer -b 16 -c 1"

# --- 1. the caller's script: turn_id|text (consecutive lines with the same
#        turn id form one turn separated by an intra-turn pause), the voices,
#        peak levels and pauses, per variant
case "$VARIANT" in
base)
  cat > "$OUT/script.txt" <<'TXT'
t01|Hi, I'd like to book an appointment, please.
t02|I need to schedule a cleaning next Tuesday afternoon.
t02|Something after two would be great.
t03|My name is John Smith.
t04|I have a terrible toothache.
t04|It started last night and it's getting worse.
t05|Yes.
t06|Do you have anything available on Friday morning?
t07|My date of birth is March fourth, nineteen eighty two.
t08|Okay.
t09|Could you cancel my cleaning on Thursday?
t09|I'll be out of town.
t10|My phone number is five five five, one two three, four five six seven.
t11|Is Doctor Patel available on Monday?
t12|Sorry, could you repeat that?
t13|I think my filling fell out yesterday.
t13|Can someone look at it this week?
t14|My insurance is Delta Dental.
t15|No.
t16|That's all, thank you. Goodbye.
TXT
  VOICES=(espeak:en-us flite:slt espeak:en-gb flite:rms espeak:en-us+f3 flite:awb espeak:en-us+m3:190 flite:kal16 espeak:en-gb-x-rp+f2 flite:slt)
  PEAKS=(-3 -9 -6 -12 -4 -8)
  INTRA=(400 700 300 600 500)
  INTER=(1500 2500 1200 3000 2000 1800 900)
  NOISES=(white pink brown)
  ;;
b)
  cat > "$OUT/script.txt" <<'TXT'
t01|Good morning, this is Maria Lopez calling about my son.
t01|He chipped a front tooth at football practice.
t02|He is twelve years old.
t03|Would tomorrow at eight thirty work for you?
t04|Right, we are already patients there.
t04|The account should be under my husband's name, Carlos.
t05|Sure.
t06|How much does an emergency visit usually cost?
t07|Hmm, let me check my calendar for a second.
t07|Actually Wednesday would be much better for us.
t08|Absolutely.
t09|We have Blue Cross through my work.
t10|The best number is two oh six, four four one, nine eight zero three.
t11|Do I need to bring anything with me?
t11|Like his x rays from the last dentist?
t12|Perfect, thanks so much for your help.
TXT
  VOICES=(espeak:en-us+f2:175 flite:awb espeak:en-gb-scotland:165 flite:kal16 espeak:en-029+m1:185 flite:rms espeak:en-us-nyc+f4:150 flite:slt espeak:en-gb-x-gbclan:200)
  PEAKS=(-5 -10 -3 -14 -7 -11 -2)
  INTRA=(550 300 650 450 250)
  INTER=(1100 2700 1600 950 2200 1300)
  NOISES=(babble white pink brown)
  ;;
*)
  echo "unknown variant $VARIANT (base, b)" >&2; exit 2
  ;;
esac

synth() { # engine:voice[:wpm] text out.wav
  local spec="$1" text="$2" out="$3" eng voice wpm
  IFS=: read -r eng voice wpm <<<"$spec"
  if [ "$eng" = espeak ]; then
    espeak-ng -v "$voice" -s "${wpm:-160}" -w "$out" "$text"
  else
    flite -voice "$voice" -t "$text" -o "$out"
  fi
}

spec="$OUT/timeline.spec"
: > "$spec"
echo "sil 1000" >> "$spec"            # 1 s of noise-only lead-in
i=0; prev=""; ni=0; nx=0
printf 'utt_id\tturn_id\tvoice\tpeak_dBFS\ttext\n' > "$OUT/utts/index.tsv"
while IFS='|' read -r turn text; do
  id=$(printf 'u%02d' $((i + 1)))
  v=${VOICES[$((i % ${#VOICES[@]}))]}
  pk=${PEAKS[$((i % ${#PEAKS[@]}))]}
  synth "$v" "$text" "$BUILD/$id.wav"
  # 8 kHz, telephone band (200-3400 Hz), peak-normalised to $pk dBFS
  $SOX "$BUILD/$id.wav" $S16 "$OUT/utts/$id.s16" rate -v 8000 sinc 200-3400 gain -n "$pk"
  printf '%s\n' "$text" > "$OUT/utts/$id.txt"
  printf '%s\t%s\t%s\t%s\t%s\n' "$id" "$turn" "$v" "$pk" "$text" >> "$OUT/utts/index.tsv"
  if [ -n "$prev" ]; then
    if [ "$turn" = "$prev" ]; then
      echo "sil ${INTRA[$((ni % ${#INTRA[@]}))]}" >> "$spec"; ni=$((ni + 1))
    else
      echo "sil ${INTER[$((nx % ${#INTER[@]}))]}" >> "$spec"; nx=$((nx + 1))
    fi
  fi
  echo "utt $id $turn $OUT/utts/$id.s16 $text" >> "$spec"
  prev=$turn; i=$((i + 1))
done < "$OUT/script.txt"
echo "sil 1500" >> "$spec"            # trailing noise-only tail

"$BUILD/corpus_tool" timeline "$spec" "$OUT"
# the spec holds machine paths; keep a path-free copy for reference
sed "s#$OUT/##" "$spec" > "$OUT/timeline.txt" && rm -f "$spec"

nsamp=$(( $(stat -c %s "$OUT/clean.s16") / 2 ))

# --- 2. noises: same length, same telephone band
for nz in "${NOISES[@]}"; do
  if [ "$VARIANT" = base ]; then
    # sox's generators with its fixed seed (the reference corpus)
    $SOX -r 8000 -n $S16 "$BUILD/noise_$nz.s16" synth "${nsamp}s" "${nz}noise" gain -6 sinc 200-3400
  elif [ "$nz" = babble ]; then
    # four other voices reading other text at once: speech-shaped and
    # fluctuating like a waiting room, unlike the stationary noises
    k=0
    for bv in espeak:en-us+m7:170 flite:slt espeak:en-gb+f4:180 flite:awb; do
      synth "$bv" "Please take a seat, the doctor will be with you shortly. \
We have magazines and water by the window. Your insurance card and a photo \
identification, please. The parking validation machine is next to the elevator. \
Can I get you anything while you wait? We are running about ten minutes behind today." \
        "$BUILD/bab$k.wav"
      $SOX "$BUILD/bab$k.wav" $S16 "$BUILD/bab$k.s16" rate -v 8000 gain -n -3 \
        trim "0.$((k * 2 + 1))"
      k=$((k + 1))
    done
    $SOX -m $S16 "$BUILD/bab0.s16" $S16 "$BUILD/bab1.s16" $S16 "$BUILD/bab2.s16" \
      $S16 "$BUILD/bab3.s16" $S16 "$BUILD/babble1.s16"
    "$BUILD/corpus_tool" loop "$BUILD/babble1.s16" "$nsamp" "$BUILD/babble2.s16"
    $SOX $S16 "$BUILD/babble2.s16" $S16 "$BUILD/noise_$nz.s16" sinc 200-3400
  else
    # our own generator with a seed of this variant: another realisation
    "$BUILD/corpus_tool" noise "$nz" 20241 "$nsamp" "$BUILD/raw_$nz.s16"
    $SOX $S16 "$BUILD/raw_$nz.s16" $S16 "$BUILD/noise_$nz.s16" sinc 200-3400
  fi
done

# --- 3. mixes -> mu-law
printf 'file\tnoise\ttarget_snr_db\tachieved\n' > "$OUT/manifest.tsv"
$SOX $S16 "$OUT/clean.s16" -t ul "$OUT/clean.ul"
printf 'clean.ul\tnone\tinf\t-\n' >> "$OUT/manifest.tsv"
for nz in "${NOISES[@]}"; do
  for snr in 20 10 5 0; do
    info=$("$BUILD/corpus_tool" mix "$OUT/clean.s16" "$OUT/labels.txt" "$BUILD/noise_$nz.s16" "$snr" "$BUILD/mix.s16")
    $SOX $S16 "$BUILD/mix.s16" -t ul "$OUT/${nz}_${snr}.ul"
    printf '%s\t%s\t%s\t%s\n' "${nz}_${snr}.ul" "$nz" "$snr" "$info" >> "$OUT/manifest.tsv"
  done
done
rm -rf "$BUILD"

(cd "$OUT" && find . -type f ! -name SHA256SUMS ! -name .gitignore | sort | xargs sha256sum > SHA256SUMS)
echo "corpus written: $(du -sh "$OUT" | cut -f1), $(wc -l < "$OUT/manifest.tsv") lines in manifest"
