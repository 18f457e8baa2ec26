#!/usr/bin/env bash
# GET /v1/events/ws: the event stream of /v1/events over WebSocket, with a real client
# (python3-websockets): live events as text frames carrying the SSE data line's Event JSON,
# ?last_event_id= resumes with exactly the missed events, ?job_id= filters, ping/pong both ways,
# the close handshake, problems for bad handshakes, 1009/1002/1007 for oversized, endless or
# unmasked client messages or text that is not UTF-8, a client that stops answering pings is closed, and a client that does not
# read is dropped while the others are served.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

PY=python3
/usr/bin/python3 -c 'import websockets' 2>/dev/null && PY=/usr/bin/python3
CLIENT="$(dirname "$0")/ws_client.py"
ws() { "$PY" "$CLIENT" "$@"; }
# ws_in_background OUT ARGS...: starts a client in the background (its pid in $!) and returns
# once it is connected (the client creates $WORK/ws.ready after its handshake), 30 s at most
ws_in_background() {
  local out=$1 i
  shift
  rm -f "$WORK/ws.ready"
  WS_READY_FILE="$WORK/ws.ready" "$PY" "$CLIENT" "$@" >"$out" &
  for i in $(seq 1 300); do
    [ -e "$WORK/ws.ready" ] && return 0
    sleep 0.1
  done
  echo "a WebSocket client did not connect within 30 s" >&2
  return 1
}
REQ='{"kind":"clip_processing","request":{"clip_id":"c1","source_uri":"media://m_x"}}'
submit() { curl -sf -X POST -H 'Content-Type: application/json' -d "$REQ" "$BASE/v1/jobs" >/dev/null; }
ids_of() { "$PY" -c 'import json,sys; [print(json.loads(l)["id"]) for l in open(sys.argv[1]) if l.strip()]' "$1"; }
consecutive() { "$PY" -c 'import sys; v=[int(x) for x in sys.argv[2].split()]; sys.exit(0 if v==list(range(int(sys.argv[1]),int(sys.argv[1])+len(v))) else 1)' "$@"; }
KEY='dGhlIHNhbXBsZSBub25jZQ=='
UPGRADE=(-H 'Upgrade: websocket' -H 'Connection: Upgrade')

export CLIPFORGE_SSE_HEARTBEAT_MS=400 CLIPFORGE_WS_MAX_FRAME_BYTES=4096
start_server "$WORK/data" --no-workers
WS="ws://127.0.0.1:$PORT/v1/events/ws"

echo "# bad handshakes are problems"
req GET /v1/events/ws
expect_problem 426 upgrade-required
check "426 says what to upgrade to" grep -qi '^Upgrade: websocket' <(curl -s -D - -o /dev/null "$BASE/v1/events/ws")
req GET /v1/events/ws "${UPGRADE[@]}" -H 'Sec-WebSocket-Version: 8' -H "Sec-WebSocket-Key: $KEY"
expect_problem 426 upgrade-required
check "a wrong version is told the right one" grep -qi '^Sec-WebSocket-Version: 13' \
  <(curl -s -D - -o /dev/null "${UPGRADE[@]}" -H 'Sec-WebSocket-Version: 8' -H "Sec-WebSocket-Key: $KEY" "$BASE/v1/events/ws")
req GET /v1/events/ws "${UPGRADE[@]}" -H 'Sec-WebSocket-Version: 13'
expect_problem 400 websocket-handshake
req GET /v1/events/ws "${UPGRADE[@]}" -H 'Sec-WebSocket-Version: 13' -H 'Sec-WebSocket-Key: not-a-key'
expect_problem 400 websocket-handshake
req GET '/v1/events/ws?last_event_id=x' "${UPGRADE[@]}" -H 'Sec-WebSocket-Version: 13' -H "Sec-WebSocket-Key: $KEY"
expect_problem 400 validation
check "RFC 6455's sample key gets its accept value" grep -q '^Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=' \
  <(curl -s -D - -o /dev/null --max-time 1 "${UPGRADE[@]}" -H 'Sec-WebSocket-Version: 13' -H "Sec-WebSocket-Key: $KEY" "$BASE/v1/events/ws" | tr -d '\r' || true)

echo "# a live stream sees new events, one Event per text frame"
ws live "$WS" "$BASE" 5 >"$WORK/w1"
check "five JobRequested events arrived" test "$(grep -c '"type":"JobRequested"' "$WORK/w1")" = 5
check "frames are Event objects" test "$(head -1 "$WORK/w1" | "$PY" -c 'import json,sys; print(sorted(json.load(sys.stdin)))')" = "['at', 'data', 'id', 'job_id', 'type']"
ids=$(ids_of "$WORK/w1")
first=$(head -1 <<<"$ids")
last=$(tail -1 <<<"$ids")
check "in order without gaps" consecutive "$first" "$ids"
sse=$(curl -sN --max-time 1 -H "Last-Event-ID: $((first - 1))" "$BASE/v1/events" | sed -n 's/^data: //p' | head -1 || true)
check "a frame is the SSE data line of the same event" test "$sse" = "$(head -1 "$WORK/w1")"

echo "# events while disconnected are replayed after ?last_event_id="
for _ in 1 2 3 4 5 6 7; do submit; done
ws collect "$WS?last_event_id=$last" 1.5 >"$WORK/w2"
check "exactly the 7 missed events ($(wc -l <"$WORK/w2"))" test "$(wc -l <"$WORK/w2")" = 7
check "they follow the last one seen" consecutive "$((last + 1))" "$(ids_of "$WORK/w2")"

echo "# job filter"
job=$(curl -sf "$BASE/v1/jobs?limit=1" | "$PY" -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')
curl -sf -X POST "$BASE/v1/jobs/$job/cancel" >/dev/null
ws collect "$WS?job_id=$job" 1 >"$WORK/w3"
check "only the job's two events (requested, cancelled)" test "$("$PY" -c 'import json,sys; print(" ".join(json.loads(l)["type"] for l in open(sys.argv[1])))' "$WORK/w3")" = "JobRequested JobCancelled"

echo "# ping/pong and the close handshake"
out=$(ws pingpong "$WS" "$BASE" 1.5 | tr '\n' ' ')
check "our ping is answered, the server's pings keep us open, close echoes 1000 ($out)" test "$out" = "pong open events 1 close 1000 "
out=$(ws silent "$WS" 5)
check "a client that does not answer pings is closed with 1001 ($out)" test "$out" = "ping True close 1001 eof True"

echo "# client messages: size-limited, masked"
check "an oversized message closes with 1009" test "$(ws oversize "$WS" 5000)" = "close 1009"
check "a message fragmented without end closes with 1009" test "$(ws fragments "$WS")" = "close 1009"
check "an unmasked frame closes with 1002" test "$(ws unmasked "$WS")" = "close 1002"
check "text that is not UTF-8 closes with 1007" test "$(ws badutf8 "$WS")" = "close 1007"
check "the server serves on" test "$(ws live "$WS" "$BASE" 2 | wc -l)" = 2

stop_server

echo "# a client that does not read is dropped; the others are served"
export CLIPFORGE_SSE_HEARTBEAT_MS=60000 CLIPFORGE_WS_MAX_BUFFER_BYTES=4096
start_server "$WORK/data" --no-workers
WS="ws://127.0.0.1:$PORT/v1/events/ws"
seq 1 400 | xargs -P 8 -I{} curl -s -o /dev/null -X POST -H 'Content-Type: application/json' -d "$REQ" "$BASE/v1/jobs"
ws_in_background "$WORK/slow" slow "$WS?last_event_id=0" 3
slow=$!
ws_in_background "$WORK/good" collect "$WS" 2
good=$!
for _ in 1 2 3 4 5; do submit; done
wait "$good" "$slow"
check "the reader that did not read was dropped ($(cat "$WORK/slow"))" grep -q '^dropped' "$WORK/slow"
check "the server says why" grep -q 'dropping a client that does not read' "$WORK/server.log"
check "the reading client got the 5 new events" test "$(wc -l <"$WORK/good")" = 5

echo "# stopping the server closes its WebSocket streams with 1001"
ws_in_background "$WORK/stop" silent "$WS" 10
client=$!
stop_server
wait "$client" || true
check "going away ($(cat "$WORK/stop"))" test "$(cat "$WORK/stop")" = "ping False close 1001 eof True"
finish
