#!/usr/bin/env bash
# Chaos over the distributed shape: PostgreSQL + Redis Streams (or NATS) + S3, one API node
# (`serve --no-workers`) and two `clipforge worker` processes. While JOBS light jobs run, a
# worker is killed with SIGKILL every 1.5 s (the first 0.4 s in) and started again, and the API node is killed
# and restarted once. Checks: every job reaches a final state and succeeds, each result's output
# object is in S3 (fetched through its presigned URL), and an SSE client that resumes with
# Last-Event-ID after every disconnect received every event the store holds, once.
# The light job: clip_processing, a stream-copy trim of a 1 s 64x64 clip (no decoding).
# Usage: chaos.sh CLIPFORGE_BINARY [JOBS] [redis|nats]
set -euo pipefail
CLIPFORGE=$1
JOBS=${2:-200}
BUS=${3:-redis}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../../infra/local-stack/services.sh"
source "$here/lib.sh"
WORK="$CF_SERVICES_DIR/chaos"
mkdir -p "$WORK"
API_PID="" W1="" W2="" FOLLOWER=""

cleanup() {
  kill_all $API_PID $W1 $W2 $FOLLOWER
  stop_services
}
trap cleanup EXIT

echo "# engines on loopback"
start_postgres
start_s3
PORT=$(free_port)
BASE="http://127.0.0.1:$PORT"
export CLIPFORGE_STORE_URL="$CF_PG_URL"
# Short timeouts so that a killed worker's jobs come back within a second or two.
if [ "$BUS" = nats ]; then
  start_nats; export CLIPFORGE_BUS_URL="$CF_NATS_URL?ack_timeout_ms=2000"
else
  start_redis; export CLIPFORGE_BUS_URL="$CF_REDIS_URL?ack_timeout_ms=2000"
fi
export CLIPFORGE_STORAGE_URL="$CF_S3_URL&cache=$WORK/s3cache"
export CLIPFORGE_LEASE_MS=1500 CLIPFORGE_MAX_ATTEMPTS=25 CLIPFORGE_RETRY_BASE_MS=100
export CLIPFORGE_SSE_HEARTBEAT_MS=500 CLIPFORGE_SIGNING_KEY=chaos-signing-key
export CLIPFORGE_LOG_LEVEL=warn

start_api() {
  "$CLIPFORGE" serve --no-workers --listen "127.0.0.1:$PORT" --data-dir "$WORK/api" \
    >>"$WORK/api.log" 2>&1 &
  API_PID=$!
  wait_until 300 curl -sf "$BASE/healthz" || { tail -20 "$WORK/api.log" >&2; return 1; }
}

# start_worker N — prints nothing; sets W1 or W2.
start_worker() {
  "$CLIPFORGE" worker --workers 2 --data-dir "$WORK/w$1" >>"$WORK/w$1.log" 2>&1 &
  if [ "$1" = 1 ]; then W1=$!; else W2=$!; fi
}

echo "# API node, two workers, an SSE client that resumes"
start_api
start_worker 1
start_worker 2
python3 "$here/sse_follow.py" "$BASE" "$WORK/events" "$WORK/stop" 2>"$WORK/follow.log" &
FOLLOWER=$!

ffmpeg -loglevel error -y -f lavfi -i testsrc2=size=64x64:rate=25 -f lavfi -i sine=frequency=440 \
  -t 1 -c:v libx264 -preset ultrafast -g 25 -c:a aac "$WORK/src.mp4"
MEDIA=$(curl -sf -X POST -H 'Content-Type: video/mp4' --data-binary @"$WORK/src.mp4" "$BASE/v1/media" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
check "media uploaded to S3 through the API ($MEDIA)" test -n "$MEDIA"

REQ="{\"kind\":\"clip_processing\",\"request\":{\"clip_id\":\"c\",\"source_uri\":\"media://$MEDIA\",\"operations\":[{\"op\":\"trim\",\"start_ms\":0,\"end_ms\":500,\"mode\":\"copy\"}]}}"
echo "# $JOBS jobs while workers are killed"
# Retries ride out the API restart; the Idempotency-Key makes a retried submission the same job.
seq 1 "$JOBS" | xargs -P 8 -I{} curl -sf --retry 30 --retry-delay 1 --retry-all-errors \
  -X POST -H 'Content-Type: application/json' \
  -H "Idempotency-Key: chaos-{}" -d "$REQ" "$BASE/v1/jobs" -o "$WORK/job-{}.json" &
SUBMIT=$!

# Counts jobs by status through the API; prints "final total" (final = succeeded+failed+cancelled).
count_final() {
  python3 - "$BASE" "$WORK" "$JOBS" <<'PY'
import json, sys, urllib.request
base, work, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
final = total = 0
for i in range(1, n + 1):
    try:
        jid = json.load(open(f"{work}/job-{i}.json"))["id"]
        st = json.load(urllib.request.urlopen(f"{base}/v1/jobs/{jid}", timeout=5))["status"]
    except Exception:
        continue
    total += 1
    final += st in ("succeeded", "failed", "cancelled")
print(final, total)
PY
}

deadline=$((SECONDS + 150))
kills=0 api_restarted=0 round=0
while [ $SECONDS -lt $deadline ]; do
  # the first kill comes while the backlog is large: light jobs may all be done 1.5 s in, and
  # then no kill hit a running job
  if [ "$round" = 0 ]; then sleep 0.4; else sleep 1.5; fi
  round=$((round + 1))
  if [ $((round % 2)) = 1 ]; then victim=1; pid=$W1; else victim=2; pid=$W2; fi
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  kills=$((kills + 1))
  start_worker "$victim"
  if [ "$round" = 2 ]; then
    echo "# API node killed and restarted"
    kill -KILL "$API_PID"; wait "$API_PID" 2>/dev/null || true
    start_api
    api_restarted=1
  fi
  kill -0 "$SUBMIT" 2>/dev/null && continue
  [ "$round" -ge 4 ] || continue
  read -r final total < <(count_final || echo "0 0")
  echo "round $round: $final of $JOBS jobs final, $kills workers killed"
  [ "$final" = "$JOBS" ] && break
done
wait "$SUBMIT" || true
read -r final total < <(count_final)
check "the API node was restarted once" test "$api_restarted" = 1
check "workers were killed ($kills) during the run" test "$kills" -ge 3
check "all $JOBS jobs were accepted ($total)" test "$total" = "$JOBS"
check "all $JOBS jobs reached a final state ($final)" test "$final" = "$JOBS"

echo "# outcomes and outputs"
python3 - "$BASE" "$WORK" "$JOBS" >"$WORK/outcomes" <<'PY'
import json, sys, urllib.request
base, work, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
ok = missing = rerun = 0
for i in range(1, n + 1):
    jid = json.load(open(f"{work}/job-{i}.json"))["id"]
    job = json.load(urllib.request.urlopen(f"{base}/v1/jobs/{jid}", timeout=5))
    rerun += job["attempts"] > 1
    if job["status"] != "succeeded":
        print("not succeeded:", jid, job["status"], job.get("error"), file=sys.stderr)
        continue
    ok += 1
    for a in job["result"]["artifacts"]:
        try:
            body = urllib.request.urlopen(a["url"], timeout=10).read()
            if len(body) != a["bytes"] or len(body) == 0:
                raise ValueError(f"{len(body)} bytes, expected {a['bytes']}")
        except Exception as e:
            missing += 1
            print("output missing:", jid, a.get("uri"), e, file=sys.stderr)
print(ok, missing, rerun)
PY
read -r succeeded missing rerun <"$WORK/outcomes"
check "kills hit running jobs: $rerun jobs needed more than one attempt" test "$rerun" -ge 1
check "every job succeeded ($succeeded of $JOBS)" test "$succeeded" = "$JOBS"
check "every output object is in S3 with its size ($missing missing)" test "$missing" = 0

echo "# events"
touch "$WORK/stop"
wait "$FOLLOWER" || true
FOLLOWER=""
curl -sN --max-time 3 -H 'Last-Event-ID: 0' "$BASE/v1/events" | sed -n 's/^id: //p' >"$WORK/all-ids" || true
cut -d' ' -f1 "$WORK/events" >"$WORK/seen-ids"
check "the store holds events ($(wc -l <"$WORK/all-ids"))" test "$(wc -l <"$WORK/all-ids")" -gt "$JOBS"
check "the resuming SSE client saw every event ($(wc -l <"$WORK/seen-ids") of $(wc -l <"$WORK/all-ids"))" \
  cmp -s <(sort -n "$WORK/all-ids") <(sort -n "$WORK/seen-ids")
check "no event was delivered twice" test "$(sort "$WORK/seen-ids" | uniq -d | wc -l)" = 0
check "a JobCompleted event for every job" \
  test "$(awk '$2 == "JobCompleted" {print $3}' "$WORK/events" | sort -u | wc -l)" = "$JOBS"
grep -h "reconnects" "$WORK/follow.log" || true

echo "# graceful stop"
for pid in $W1 $W2 $API_PID; do kill -TERM "$pid"; done
rc1=0 rc2=0 rc3=0
wait "$W1" || rc1=$?
wait "$W2" || rc2=$?
wait "$API_PID" || rc3=$?
W1="" W2="" API_PID=""
check "workers and API exit cleanly on SIGTERM ($rc1 $rc2 $rc3)" test "$rc1$rc2$rc3" = 000
[ "$FAILS" = 0 ] || { echo "--- logs"; tail -n 30 "$WORK"/*.log; }
finish
