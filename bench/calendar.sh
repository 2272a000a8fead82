#!/bin/sh
# SPDX-License-Identifier: MIT
# Calendar sync: how long a booking takes to be on the practice's CalDAV
# server, and how fast the outbox drains. A real Radicale on loopback, the
# real server, bookings through the API at a fixed rate (curl, paced). The
# server measures "change committed -> the calendar answered 2xx" for each
# change and reports p50/p99 in /api/v1/relay/status (calendars.change_to_calendar).
#
#   sh bench/calendar.sh          # 1/s (30 bookings) and 50/s (500), then the drain
#   CALDAV_STORE=/dev/shm sh bench/calendar.sh   # Radicale's files in memory, so its
#                                 # fsyncs cost nothing: how fast our side can go
set -eu
cd "$(dirname "$0")/.."
BIN=./build/voiceai
[ -x "$BIN" ] || { echo "build first: make" >&2; exit 1; }
command -v radicale >/dev/null || { echo "radicale not installed (make deps)" >&2; exit 1; }
PORT=${PORT:-18990}
RPORT=${RPORT:-18991}
TMP=$(mktemp -d)
RAD=
SRV=
cleanup() {
	[ -n "$SRV" ] && kill "$SRV" 2>/dev/null || true
	[ -n "$RAD" ] && kill "$RAD" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$TMP" "$STORE"
}
trap cleanup EXIT INT TERM

STORE=$(mktemp -d "${CALDAV_STORE:-$TMP}/collections.XXXXXX")
cat >"$TMP/radicale.conf" <<EOF
[server]
hosts = 127.0.0.1:$RPORT
max_connections = 64
[auth]
type = htpasswd
htpasswd_filename = $TMP/users
htpasswd_encryption = plain
delay = 0
[rights]
type = owner_only
[storage]
filesystem_folder = $STORE
[web]
type = none
[logging]
level = warning
EOF
printf 'dentist:secret\n' >"$TMP/users"

start_radicale() {
	radicale --config "$TMP/radicale.conf" >>"$TMP/radicale.log" 2>&1 &
	RAD=$!
	i=0
	until curl -s -o /dev/null -X OPTIONS "http://127.0.0.1:$RPORT/"; do
		i=$((i + 1)); [ $i -lt 200 ] || { echo "radicale did not start:" >&2; tail -5 "$TMP/radicale.log" >&2; exit 1; }
		sleep 0.05
	done
}
stop_radicale() { kill "$RAD"; wait "$RAD" 2>/dev/null || true; RAD=; }

start_server() {
	VOICEAI_DB="$TMP/db" $BIN serve --port "$PORT" --bind 127.0.0.1 --agent receptionist \
		--log-level warn --calendar-retry-ms 50 --calendar-retry-max-ms 200 \
		>/dev/null 2>>"$TMP/server.log" &
	SRV=$!
	i=0
	until curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1; do
		i=$((i + 1)); [ $i -lt 100 ] || { echo "server did not start" >&2; exit 1; }
		sleep 0.1
	done
}
stop_server() { kill "$SRV"; wait "$SRV" 2>/dev/null || true; SRV=; }

status() { curl -fs "http://127.0.0.1:$PORT/api/v1/relay/status"; }
# The practice's own status reads the outbox itself (the server-wide one is
# as of the sync's last re-read).
depth() {
	curl -fs -H 'Authorization: Bearer bench-key-123456' \
		"http://127.0.0.1:$PORT/api/v1/tenants/bench1/calendar" |
		sed -n 's/.*"outbox_depth":\([0-9]*\).*/\1/p' | tail -1
}
delivered() { status | sed -n 's/.*"delivered":\([0-9]*\).*/\1/p'; }
wait_drained() {
	i=0
	until [ "$(depth)" = 0 ]; do
		i=$((i + 1)); [ $i -lt 1200 ] || { echo "outbox did not drain" >&2; exit 1; }
		sleep 0.05
	done
}

# A practice open around the clock with one dentist and 15-minute visits, so
# hundreds of bookings fit in a few days.
$BIN tenant --db "$TMP/db" add '{"id":"bench1","name":"Bench Dental","timezone":"UTC",
 "twilio_auth_token":"bench-token-123456","api_key":"bench-key-123456",
 "practice":{"hours":{"mon":{"open":"00:00","close":"24:00"},"tue":{"open":"00:00","close":"24:00"},
  "wed":{"open":"00:00","close":"24:00"},"thu":{"open":"00:00","close":"24:00"},
  "fri":{"open":"00:00","close":"24:00"},"sat":{"open":"00:00","close":"24:00"},
  "sun":{"open":"00:00","close":"24:00"}},
  "providers":[{"id":"dr-a","name":"Dr. A","kind":"dentist"}],
  "services":[{"service":"exam","duration_min":15,"provider_kind":"dentist"}],
  "min_lead_min":0,"slot_step_min":15}}' >/dev/null

start_radicale
curl -fs -u dentist:secret -X MKCALENDAR "http://127.0.0.1:$RPORT/dentist/bench/" -o /dev/null
CALDAV_PASSWORD=secret $BIN calendar --db "$TMP/db" connect bench1 \
	--url "http://127.0.0.1:$RPORT/" --user dentist --password-env CALDAV_PASSWORD >/dev/null

SLOT=0
BASE=$(( ($(date +%s) / 86400 + 2) * 86400 ))
book() { # SLOT: the n-th quarter hour from BASE (each booking its own)
	t=$((BASE + $1 * 900))
	start=$(date -u -d "@$t" +%Y-%m-%dT%H:%M:%SZ)
	phone=$(printf '555%07d' "$1")
	curl -s -o /dev/null -w '%{http_code}\n' -H 'Authorization: Bearer bench-key-123456' \
		-H 'Content-Type: application/json' \
		-d "{\"patient_name\":\"Bench $1\",\"phone\":\"$phone\",\"service\":\"exam\",\"start\":\"$start\",\"provider\":\"dr-a\"}" \
		"http://127.0.0.1:$PORT/api/v1/tenants/bench1/appointments" >>"$TMP/codes"
}

run_rate() { # RATE COUNT
	rate=$1; count=$2
	start_server
	sleep 1 # the sync's first pull
	gap=$(awk "BEGIN{printf \"%.4f\", 1/$rate}")
	n=0
	while [ $n -lt "$count" ]; do
		book "$SLOT" &
		SLOT=$((SLOT + 1))
		n=$((n + 1))
		sleep "$gap"
	done
	wait_children
	wait_drained
	lat=$(status | sed -n 's/.*"change_to_calendar":{\([^}]*\)}.*/\1/p')
	echo "rate=${rate}/s bookings=$count $lat"
	stop_server
}
wait_children() {
	for p in $(jobs -p); do
		[ "$p" = "$SRV" ] || [ "$p" = "$RAD" ] || wait "$p" 2>/dev/null || true
	done
}

: >"$TMP/codes"
run_rate 1 ${N1:-30}
run_rate 50 ${N50:-500}
bad=$(grep -vc '^201$' "$TMP/codes" || true)
[ "$bad" = 0 ] || echo "warning: $bad bookings were not 201" >&2

# Outbox throughput: bookings pile up while the calendar is down, then drain.
start_server
stop_radicale
n=0
while [ $n -lt "${NQ:-500}" ]; do book "$SLOT"; SLOT=$((SLOT + 1)); n=$((n + 1)); done
q=$(depth)
before=$(delivered)
start_radicale
t0=$(date +%s%N)
wait_drained
t1=$(date +%s%N)
after=$(delivered)
ms=$(( (t1 - t0) / 1000000 ))
echo "drain: queued=$q delivered=$((after - before)) in ${ms} ms = $(awk "BEGIN{printf \"%.0f\", ($after - $before) * 1000 / $ms}") changes/s (one request at a time per calendar)"
stop_server
