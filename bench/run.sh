#!/bin/sh
# SPDX-License-Identifier: MIT
# Load and latency benchmark: starts `voiceai serve` with the loopback (echo)
# agent, which replies at once, on a scratch database, and drives it with
# `voiceai bench` — N concurrent ConversationRelay sessions over real
# WebSockets on one libuv loop. Prints one line per scenario and the JSON
# lines to bench/results.jsonl. Figures in README.md come from this script.
#
#   sh bench/run.sh                 # default scenarios
#   CALLS="200 1000" sh bench/run.sh
set -eu
cd "$(dirname "$0")/.."
BIN=./build/voiceai
[ -x "$BIN" ] || { echo "build first: make" >&2; exit 1; }
PORT=${PORT:-18990}
CALLS=${CALLS:-"100 200 500 1000"}
PROMPTS=${PROMPTS:-10}
THINK=${THINK:-1000}
OUT=bench/results.jsonl
TMP=$(mktemp -d)
trap 'kill $SRV 2>/dev/null || true; rm -rf "$TMP"' EXIT INT TERM

: > "$OUT"
printf '%-6s %-5s %-9s | %-27s | %-27s | %-8s | %s\n' calls think mode \
	"bench first token p50/p99/max" "server first token p50/p99" "KiB/call" errors
for n in $CALLS; do
	for mode in paced burst; do
		rm -f "$TMP"/db*
		$BIN serve --port "$PORT" --bind 127.0.0.1 --db "$TMP/db" --agent echo \
			--log-level warn --max-calls 5000 >/dev/null 2>"$TMP/server.log" &
		SRV=$!
		for i in $(seq 50); do
			curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
			sleep 0.1
		done
		think=$THINK
		[ "$mode" = burst ] && think=0
		$BIN bench --url "http://127.0.0.1:$PORT" --calls "$n" --prompts "$PROMPTS" \
			--think-ms "$think" --server-pid "$SRV" --json >"$TMP/out.json" 2>/dev/null || true
		status=$(curl -fs "http://127.0.0.1:$PORT/api/v1/relay/status" || echo '{}')
		kill $SRV; wait $SRV 2>/dev/null || true
		python3 - "$n" "$mode" "$think" "$TMP/out.json" "$status" "$OUT" <<'PY'
import json, sys
n, mode, think, path, status, out = sys.argv[1:]
b = json.loads(open(path).read().strip().splitlines()[-1])
s = json.loads(status).get("latency", {}).get("prompt_to_first_token", {})
b["mode"] = mode; b["think_ms"] = int(think); b["server_first_token_ms"] = s
open(out, "a").write(json.dumps(b) + "\n")
f = b["first_token_ms"]
print("%-6s %-5s %-9s | %7.3f / %7.3f / %7.3f ms | %7.3f / %7.3f ms      | %-8s | %s" % (
    n, think, mode, f["p50"], f["p99"], f["max"], s.get("p50_ms", 0), s.get("p99_ms", 0),
    b.get("per_call_kib"), b["errors"]))
PY
	done
done
