#!/bin/sh
# SPDX-License-Identifier: MIT
# Load and latency benchmark: for each scenario, starts `voiceai serve` with
# the loopback (echo) agent, which replies at once, on a scratch database, and
# drives it with `voiceai bench` — N concurrent ConversationRelay sessions over
# real signed WebSockets on one libuv loop. Prints each run's report and
# appends its JSON line to bench/results.jsonl. README.md's table comes from it.
#
#   sh bench/run.sh                          # the README scenarios
#   CALLS="200 1000" MODES=paced sh bench/run.sh
#
# paced: each caller pauses a jittered 0.5-1.5 x THINK ms between a reply and
#        its next prompt (about CALLS prompts a second at THINK=1000);
# burst: every session prompts again the instant its reply ends, all in lock
#        step (a stress test, not a call pattern).
set -eu
cd "$(dirname "$0")/.."
BIN=./build/voiceai
[ -x "$BIN" ] || { echo "build first: make" >&2; exit 1; }
PORT=${PORT:-18990}
CALLS=${CALLS:-"100 200 500 1000"}
MODES=${MODES:-"paced burst"}
PROMPTS=${PROMPTS:-10}
THINK=${THINK:-1000}
OUT=bench/results.jsonl
TMP=$(mktemp -d)
SRV=
cleanup() {
	[ -n "$SRV" ] && kill "$SRV" 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

: >"$OUT"
for n in $CALLS; do
	for mode in $MODES; do
		rm -f "$TMP"/db*
		$BIN serve --port "$PORT" --bind 127.0.0.1 --db "$TMP/db" --agent echo \
			--log-level warn --max-calls 5000 >/dev/null 2>"$TMP/server.log" &
		SRV=$!
		i=0
		until curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1; do
			i=$((i + 1))
			[ $i -lt 100 ] || { echo "server did not start" >&2; exit 1; }
			sleep 0.1
		done
		think=$THINK
		[ "$mode" = burst ] && think=0
		echo "== $n calls, $mode (think ${think} ms), $PROMPTS prompts each"
		$BIN bench --url "http://127.0.0.1:$PORT" --calls "$n" --prompts "$PROMPTS" \
			--think-ms "$think" --server-pid "$SRV" 2>/dev/null | tee "$TMP/out" |
			grep -v '^{' || true
		tail -n 1 "$TMP/out" | sed "s/^{/{\"mode\":\"$mode\",/" >>"$OUT"
		kill "$SRV"
		wait "$SRV" 2>/dev/null || true
		SRV=
		echo
	done
done
echo "JSON lines: $OUT"
