#!/usr/bin/env bash
# GET /v1/events: Server-Sent Events; a reconnect with Last-Event-ID replays what was missed
# without gaps or duplicates; job_id filter; heartbeats on an idle stream; a reader that stops
# reading holds up no other stream and later gets every event in order; the streams' thread
# runs at a lower priority than the HTTP threads.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

# a small socket send buffer, so that a stream that is not read stalls after a few events
export CLIPFORGE_SSE_HEARTBEAT_MS=300 CLIPFORGE_WS_MAX_BUFFER_BYTES=4096
start_server "$WORK/data" --no-workers
REQ='{"kind":"clip_processing","request":{"clip_id":"c1","source_uri":"media://m_x"}}'
submit() { curl -sf -X POST -H 'Content-Type: application/json' -d "$REQ" "$BASE/v1/jobs" >/dev/null; }
ids_of() { sed -n 's/^id: //p' "$1"; }

echo "# a live stream sees new events"
curl -sN "$BASE/v1/events" >"$WORK/s1" &
reader=$!
sleep 0.5
for _ in 1 2 3 4 5; do submit; done
sleep 1
kill "$reader"; wait "$reader" 2>/dev/null || true
check "five JobRequested events arrived" test "$(grep -c '^event: JobRequested$' "$WORK/s1")" = 5
check "data lines are Event objects" test "$(sed -n 's/^data: //p' "$WORK/s1" | head -1 | python3 -c 'import json,sys; e=json.load(sys.stdin); print(sorted(e))')" = "['at', 'data', 'id', 'job_id', 'type']"
last=$(ids_of "$WORK/s1" | tail -1)

echo "# events while disconnected are replayed after Last-Event-ID"
for _ in 1 2 3 4 5 6 7; do submit; done
curl -sN --max-time 1 -H "Last-Event-ID: $last" "$BASE/v1/events" >"$WORK/s2" || true
all=$( (ids_of "$WORK/s1"; ids_of "$WORK/s2") )
check "12 events across both connections" test "$(wc -l <<<"$all")" = 12
check "no duplicates" test "$(sort -n <<<"$all" | uniq -d | wc -l)" = 0
check "no gaps (ids consecutive)" python3 -c 'import sys; v=[int(x) for x in sys.argv[1].split()]; sys.exit(0 if v==list(range(v[0],v[0]+len(v))) else 1)' "$all"
check "?last_event_id= works too" test "$(curl -sN --max-time 1 "$BASE/v1/events?last_event_id=$last" | grep -c '^id: ' || true)" = 7

echo "# a 1000-event backlog replays completely"
seq 1 300 | xargs -P 20 -I{} curl -s -o /dev/null -X POST -H 'Content-Type: application/json' -d "$REQ" "$BASE/v1/jobs"
curl -sN --max-time 2 -H 'Last-Event-ID: 0' "$BASE/v1/events" >"$WORK/s3" || true
n=$(ids_of "$WORK/s3" | wc -l)
check "all 312 events replayed from 0 ($n)" test "$n" = 312
check "in order without gaps" python3 -c 'import sys; v=[int(x) for x in open(sys.argv[1]).read().split()]; sys.exit(0 if v==list(range(1,len(v)+1)) else 1)' <(ids_of "$WORK/s3")

echo "# a reader that does not read holds up no other stream, then gets every event in order"
from=$(ids_of "$WORK/s3" | tail -1)
cat >"$WORK/reader.py" <<'PY'
# reader.py PORT LAST WANT [GATE]: one stream after LAST; with GATE, reads nothing until that file
# exists; prints the status line and the ids once WANT events are in (60 s at most)
import os, socket, sys, time
port, last, want = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
gate = sys.argv[4] if len(sys.argv) > 4 else None
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connect: a small window
s.connect(("127.0.0.1", port))
s.sendall(f"GET /v1/events HTTP/1.1\r\nHost: x\r\nLast-Event-ID: {last}\r\n\r\n".encode())
end = time.time() + 60
while gate and not os.path.exists(gate) and time.time() < end:
    time.sleep(0.1)
data, ids = b"", []
while len(ids) < want and time.time() < end:
    chunk = s.recv(65536)
    if not chunk:
        break
    data += chunk
    ids = [l[4:] for l in data.split(b"\n") if l.startswith(b"id: ")]
print(data.split(b"\r\n", 1)[0].decode())
print("\n".join(i.decode() for i in ids))
PY
python3 "$WORK/reader.py" "$PORT" "$from" 300 "$WORK/read-done" >"$WORK/s6" &
stalled=$!
python3 "$WORK/reader.py" "$PORT" "$from" 300 >"$WORK/s7" &
reader=$!
sleep 0.5
seq 1 300 | xargs -P 20 -I{} curl -s -o /dev/null -X POST -H 'Content-Type: application/json' -d "$REQ" "$BASE/v1/jobs"
wait "$reader" || true
touch "$WORK/read-done"
check "the reading stream got all 300 events while the other read nothing ($(tail -n +2 "$WORK/s7" | wc -l))" \
  test "$(tail -n +2 "$WORK/s7" | wc -l)" = 300
check "... in order without gaps" python3 -c 'import sys; v=[int(x) for x in open(sys.argv[1]).read().split()]; sys.exit(0 if v==list(range(int(sys.argv[2])+1,int(sys.argv[2])+1+len(v))) else 1)' <(tail -n +2 "$WORK/s7") "$from"
wait "$stalled" || true
check "the stalled stream was answered 200" test "$(head -1 "$WORK/s6" | tr -d '\r')" = "HTTP/1.1 200 OK"
check "the stalled stream got the same 300 events in order once it read" \
  test "$(tail -n +2 "$WORK/s6")" = "$(tail -n +2 "$WORK/s7")"

echo "# the thread that writes the streams runs below the rest (CLIPFORGE_STREAMS_NICE, 5)"
nice_of() { awk '{print $19}' "$1/stat"; }
hub=$(grep -lx cf-streams /proc/"$SERVER_PID"/task/*/comm | head -1 | xargs -r dirname)
check "a thread named cf-streams" test -n "$hub"
check "its nice is the process's plus 5 ($(nice_of "$hub") vs $(nice_of /proc/"$SERVER_PID"))" \
  test "$(nice_of "$hub")" = "$(( $(nice_of /proc/"$SERVER_PID") + 5 > 19 ? 19 : $(nice_of /proc/"$SERVER_PID") + 5 ))"

echo "# heartbeats keep an idle stream open"
curl -sN --max-time 1.5 "$BASE/v1/events" >"$WORK/s5" || true
check "heartbeat comments on an idle stream" test "$(grep -c '^: heartbeat' "$WORK/s5")" -ge 2

stop_server
finish
