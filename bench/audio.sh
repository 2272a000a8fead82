#!/bin/sh
# SPDX-License-Identifier: MIT
# Raw call audio under load: `voiceai serve` bridges N concurrent Twilio
# Media Streams calls to the mock OpenAI Realtime server. Every call's
# greeting is one scripted 10-minute reply, paced in real time in 20 ms
# deltas, so each call receives 50 frames a second while it sends 50 frames
# a second of low line noise (the server's own VAD hears no speech: no
# barge-in, no turn). voiceai-bench-audio-calls plays Twilio for every call
# on one thread and reads the server's delta -> Twilio frame latency
# (latency.model_audio_to_twilio in /api/v1/relay/status), its CPU time and
# its VmRSS from /proc.
#
#   sh bench/audio.sh                 # 1 and 200 concurrent calls, 20 s each
#   CALLS="50 200" SECONDS_=30 sh bench/audio.sh
#   KEEP=1 sh bench/audio.sh          # keep the logs (path on stderr)
#   PERF=1 sh bench/audio.sh          # and the server's perf profile under load
#   PIN=1 sh bench/audio.sh           # server on its own CPU, mock + bench on the rest
set -eu
cd "$(dirname "$0")/.."
BIN=./build/voiceai
MOCK=./build/tests/mock_realtime
BENCH=./build/voiceai-bench-audio-calls
if [ ! -x "$BIN" ] || [ ! -x "$MOCK" ] || [ ! -x "$BENCH" ]; then
	cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DVOICEAI_TESTS=ON >/dev/null &&
		cmake --build build -j2 --target voiceai mock_realtime voiceai-bench-audio-calls >/dev/null
fi
ADMIN=bench-admin-token-123456
DURATION=${SECONDS_:-20}
TMP=$(mktemp -d)
[ -n "${KEEP:-}" ] && echo "files kept in $TMP" >&2
MOCKPID=
SRV=
cleanup() {
	[ -n "$SRV" ] && kill "$SRV" 2>/dev/null || true
	[ -n "$MOCKPID" ] && kill "$MOCKPID" 2>/dev/null || true
	wait 2>/dev/null || true
	[ -n "${KEEP:-}" ] || rm -rf "$TMP"
}
trap cleanup EXIT INT TERM
ulimit -n 8192 2>/dev/null || true
# PIN=1: the server alone on the last CPU, the mock and the bench on the
# others, so that what the server measures is not time spent preempted by
# its own load generators (on 2 cores they otherwise share the server's).
PIN_SERVER=
PIN_OTHERS=
if [ -n "${PIN:-}" ]; then
	last=$(($(nproc) - 1))
	PIN_SERVER="taskset -c $last"
	PIN_OTHERS="taskset -c 0-$((last > 0 ? last - 1 : 0))"
fi

free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# The greeting is the script's first turn: the reply audio looped for longer
# than the ramp and the run. (Not the mock's 10-minute maximum: the mock plans
# every delta of a reply as a JSON object when the response starts, about
# 40 MB and 0.1 s of its loop per 10-minute reply, which at 200 calls stalls
# the later greetings past the server's 10 s model-silence limit.)
REPLY_MS=$(( (DURATION + 25) * 1000 ))
printf '{"say":"Thank you for calling Bright Smile Dental, how can I help you today?","audio_ms":%d}\n' \
	"$REPLY_MS" >"$TMP/script.jsonl"
$PIN_OTHERS $MOCK --port 0 --script "$TMP/script.jsonl" --audio-chunk-ms 20 --audio-pace-ms 20 \
	>"$TMP/mock.out" 2>"$TMP/mock.log" &
MOCKPID=$!
i=0
until grep -q '^port=' "$TMP/mock.out" 2>/dev/null; do
	i=$((i + 1)); [ $i -lt 100 ] || { echo "mock_realtime did not start" >&2; exit 1; }
	sleep 0.05
done
line=$(head -n 1 "$TMP/mock.out")
MPORT=${line#port=}
case "$MPORT" in '' | *[!0-9]*) echo "mock_realtime did not start: $line" >&2; exit 1 ;; esac

for calls in ${CALLS:-1 200}; do
	rm -f "$TMP"/db*
	PORT=$(free_port)
	OPENAI_REALTIME_URL="ws://127.0.0.1:$MPORT/v1/realtime?pace_ms=20" OPENAI_API_KEY=sk-bench \
		$PIN_SERVER $BIN serve --port "$PORT" --bind 127.0.0.1 --db "$TMP/db" --admin-token "$ADMIN" \
		--log-level warn --max-calls 5000 >/dev/null 2>"$TMP/server.log" &
	SRV=$!
	i=0
	until curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1; do
		i=$((i + 1)); [ $i -lt 100 ] || { echo "server did not start" >&2; tail -5 "$TMP/server.log" >&2; exit 1; }
		sleep 0.1
	done
	curl -fs -X PUT -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
		-d '{"audio":{"transport":"audio","model":"mock-script"}}' \
		"http://127.0.0.1:$PORT/api/v1/tenants/demo123" >/dev/null ||
		{ echo "could not set the practice to audio" >&2; exit 1; }
	echo "== $calls concurrent audio calls, ${DURATION} s measured, 20 ms deltas paced in real time"
	PERFPID=
	if [ -n "${PERF:-}" ] && [ "$calls" -gt 1 ]; then
		# The server's profile over the whole run (ramp included).
		perf record -q -F 999 -g -p "$SRV" -o "$TMP/perf.data" >/dev/null 2>&1 &
		PERFPID=$!
	fi
	$PIN_OTHERS $BENCH --url "http://127.0.0.1:$PORT" --calls "$calls" --seconds "$DURATION" \
		--server-pid "$SRV" --mock-pid "$MOCKPID" >"$TMP/out" 2>"$TMP/bench.err" || true
	if [ -n "$PERFPID" ]; then
		kill -INT "$PERFPID"; wait "$PERFPID" 2>/dev/null || true
		echo "server profile (self time, top entries):"
		perf report -i "$TMP/perf.data" --no-children --stdio --percent-limit 1.5 -g none \
			2>/dev/null | grep '%' | head -30
	fi
	cat "$TMP/out"
	[ -s "$TMP/bench.err" ] && sed 's/^/  /' "$TMP/bench.err" | sort | uniq -c | head -5 >&2
	kill "$SRV"; wait "$SRV" 2>/dev/null || true
	SRV=
	if grep -q . "$TMP/server.log"; then
		echo "server warnings (first 5 kinds):"
		sed 's/.*event=\([a-z_]*\).*/\1/' "$TMP/server.log" | sort | uniq -c | sort -rn | head -5
	fi
	echo
done
