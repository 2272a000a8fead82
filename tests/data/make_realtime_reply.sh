#!/bin/sh
# SPDX-License-Identifier: MIT
# Regenerates tests/data/realtime_reply.ul, the reply audio the mock Realtime
# server (tests/support/mock_realtime.c) streams: one sentence spoken by
# espeak-ng, band-limited to the telephone band and written as headerless
# 8 kHz mono G.711 mu-law (8 bytes per ms), as Twilio Media Streams carry it.
# Needs espeak-ng and sox; no downloads. Output is deterministic for a given
# espeak-ng version.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/realtime_reply.ul}
text="Thank you for calling Bright Smile Dental. How can I help you today?"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
espeak-ng -v en-us -s 190 -a 120 -w "$tmp/reply.wav" "$text"
sox "$tmp/reply.wav" -r 8000 -c 1 -e mu-law -t ul "$out" highpass 300 lowpass 3400 silence 1 0.01 0.5% reverse silence 1 0.01 0.5% reverse norm -3
bytes=$(wc -c < "$out")
echo "$out: $bytes bytes, $((bytes / 8)) ms"
