#!/usr/bin/env bash
# GET /v1/events: Server-Sent Events; a reconnect with Last-Event-ID replays what was missed
# without gaps or duplicates; job_id filter; heartbeats on an idle stream.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

export CLIPFORGE_SSE_HEARTBEAT_MS=300
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

echo "# job filter"
job=$(curl -sf "$BASE/v1/jobs?limit=1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')
curl -sf -X POST "$BASE/v1/jobs/$job/cancel" >/dev/null
curl -sN --max-time 1 "$BASE/v1/events?job_id=$job" >"$WORK/s4" || true
check "only the job's two events (requested, cancelled)" test "$(grep '^event:' "$WORK/s4" | tr '\n' ' ')" = "event: JobRequested event: JobCancelled "
check "every data line names the job" test "$(sed -n 's/^data: //p' "$WORK/s4" | grep -vc "\"job_id\":\"$job\"" || true)" = 0

echo "# heartbeats keep an idle stream open"
curl -sN --max-time 1.5 "$BASE/v1/events" >"$WORK/s5" || true
check "heartbeat comments on an idle stream" test "$(grep -c '^: heartbeat' "$WORK/s5")" -ge 2

stop_server
finish
