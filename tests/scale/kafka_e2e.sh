#!/usr/bin/env bash
# The distributed shape on Kafka: PostgreSQL, a 3-broker Kafka (librdkafka's mock cluster) and a
# shared file storage, one API node (`serve --no-workers`, which subscribes but never joins the
# worker group) and two `clipforge worker` processes, one of them killed with -9 while the jobs
# are submitted. Every job succeeds; the processes left stop cleanly on SIGTERM.
# Usage: kafka_e2e.sh CLIPFORGE_BINARY CF_KAFKA_MOCK [JOBS]
set -euo pipefail
CLIPFORGE=$1
export CF_KAFKA_MOCK=$2
JOBS=${3:-8}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../../infra/local-stack/services.sh"
WORK="$CF_SERVICES_DIR/kafka-e2e"
mkdir -p "$WORK/storage"
API_PID="" W1="" W2=""
cleanup() {
  local pid
  for pid in $API_PID $W1 $W2; do kill -KILL "$pid" 2>/dev/null || true; done
  for pid in $API_PID $W1 $W2; do wait "$pid" 2>/dev/null || true; done
  stop_services
}
trap cleanup EXIT
t0=$SECONDS

start_postgres
start_kafka
PORT=$(free_port)
BASE="http://127.0.0.1:$PORT"
export CLIPFORGE_STORE_URL="$CF_PG_URL" CLIPFORGE_STORAGE_URL="file://$WORK/storage"
export CLIPFORGE_BUS_URL="$CF_KAFKA_URL?session_timeout_ms=4000&ack_timeout_ms=5000"
export CLIPFORGE_LEASE_MS=1500 CLIPFORGE_RETRY_BASE_MS=100 CLIPFORGE_LOG_LEVEL=error

"$CLIPFORGE" serve --no-workers --listen "127.0.0.1:$PORT" --data-dir "$WORK/api" >>"$WORK/api.log" 2>&1 &
API_PID=$!
"$CLIPFORGE" worker --workers 2 --data-dir "$WORK/w1" >>"$WORK/w1.log" 2>&1 &
W1=$!
"$CLIPFORGE" worker --workers 2 --data-dir "$WORK/w2" >>"$WORK/w2.log" 2>&1 &
W2=$!
wait_until 300 curl -sf "$BASE/healthz" || { tail -20 "$WORK/api.log" >&2; exit 1; }

ffmpeg -loglevel error -y -f lavfi -i testsrc2=size=64x64:rate=25 -f lavfi -i sine=frequency=440 \
  -t 1 -c:v libx264 -preset ultrafast -g 25 -c:a aac "$WORK/src.mp4"
MEDIA=$(curl -sf -X POST -H 'Content-Type: video/mp4' --data-binary @"$WORK/src.mp4" "$BASE/v1/media" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
REQ="{\"kind\":\"clip_processing\",\"request\":{\"clip_id\":\"c\",\"source_uri\":\"media://$MEDIA\",\"operations\":[{\"op\":\"trim\",\"start_ms\":0,\"end_ms\":500,\"mode\":\"copy\"}]}}"
for i in $(seq 1 "$JOBS"); do
  curl -sf -X POST -H 'Content-Type: application/json' -d "$REQ" "$BASE/v1/jobs" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])' >>"$WORK/jobs"
  if [ "$i" = 2 ]; then kill -KILL "$W1"; wait "$W1" 2>/dev/null || true; W1=""; fi
done
echo "# $JOBS jobs submitted, worker 1 killed -9, after $((SECONDS - t0)) s"

python3 - "$BASE" "$WORK/jobs" <<'PY'
import json, sys, time, urllib.request
base, ids = sys.argv[1], open(sys.argv[2]).read().split()
deadline = time.time() + 90
while True:
    states = [json.load(urllib.request.urlopen(f"{base}/v1/jobs/{j}", timeout=5))["status"] for j in ids]
    if all(s in ("succeeded", "failed", "cancelled") for s in states) or time.time() > deadline:
        break
    time.sleep(0.5)
bad = [(j, s) for j, s in zip(ids, states) if s != "succeeded"]
assert not bad, f"jobs not succeeded: {bad}"
print(f"kafka e2e: {len(ids)} jobs succeeded")
PY
echo "# all succeeded after $((SECONDS - t0)) s"

for pid in $W2 $API_PID; do kill -TERM "$pid"; done
rc1=0 rc2=0
wait "$W2" || rc1=$?
wait "$API_PID" || rc2=$?
W2="" API_PID=""
[ "$rc1$rc2" = 00 ] || { echo "FAIL: worker and API exit with $rc1 $rc2" >&2; tail -n 30 "$WORK"/*.log >&2; exit 1; }
echo "# done in $((SECONDS - t0)) s"
