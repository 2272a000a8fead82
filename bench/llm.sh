#!/bin/sh
# SPDX-License-Identifier: MIT
# The language-model path's own added latency: `voiceai serve` talks to the
# mock OpenAI-compatible server, which waits a fixed DELAY ms before its first
# token; `voiceai bench` drives N concurrent calls. What the caller waits
# beyond DELAY is the server's own cost (request built and sent through curl
# on the loop, SSE parsed, the token relayed to the caller's socket).
#
#   sh bench/llm.sh            # 1 and 500 concurrent calls, DELAY=200
set -eu
cd "$(dirname "$0")/.."
BIN=./build/voiceai
MOCK=./build/tests/mock_openai
[ -x "$BIN" ] || { echo "build first: make" >&2; exit 1; }
if [ ! -x "$MOCK" ]; then
	cmake -S . -B build -DVOICEAI_TESTS=ON >/dev/null && cmake --build build --target mock_openai >/dev/null
fi
PORT=${PORT:-18980}
MPORT=${MPORT:-18981}
DELAY=${DELAY:-200}
TMP=$(mktemp -d)
PIDS=
cleanup() {
	for p in $PIDS; do kill "$p" 2>/dev/null || true; done
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

$MOCK --port "$MPORT" --first-token-ms "$DELAY" --no-auth >/dev/null 2>&1 &
PIDS="$PIDS $!"
for calls in ${CALLS:-1 500}; do
	rm -f "$TMP"/db*
	OPENAI_BASE_URL="http://127.0.0.1:$MPORT/v1" VOICEAI_LLM_FIRST_TOKEN_MS=5000 \
		$BIN serve --port "$PORT" --bind 127.0.0.1 --db "$TMP/db" --agent llm \
		--log-level warn --max-calls 5000 >/dev/null 2>"$TMP/server.log" &
	SRV=$!
	i=0
	until curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1; do
		i=$((i + 1)); [ $i -lt 100 ] || { echo "server did not start" >&2; exit 1; }
		sleep 0.1
	done
	prompts=20
	[ "$calls" -gt 1 ] && prompts=5
	echo "== $calls concurrent calls, $prompts prompts each, model first token after $DELAY ms"
	$BIN bench --url "http://127.0.0.1:$PORT" --calls "$calls" --prompts "$prompts" \
		--think-ms 1000 --timeout-ms 20000 --server-pid "$SRV" >"$TMP/out" 2>/dev/null || true
	grep -v '^{' "$TMP/out"
	tail -n 1 "$TMP/out" | awk -v d="$DELAY" -F'"first_token_ms":' '{
		split($2, a, /[{},:]/);
		for (i = 1; i in a; i++) { if (a[i] ~ /"p50"/) p50 = a[i+1]; if (a[i] ~ /"p99"/) p99 = a[i+1]; if (a[i] ~ /"max"/) mx = a[i+1] }
		printf "added by the server (bench first token - %d ms): p50 %.3f ms  p99 %.3f ms  max %.3f ms\n", d, p50 - d, p99 - d, mx - d }'
	kill "$SRV"; wait "$SRV" 2>/dev/null || true
	echo
done
