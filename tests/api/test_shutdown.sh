#!/usr/bin/env bash
# Graceful stop: SIGTERM while a job runs releases it at once (back to queued, its lease given
# up, not a failed attempt, its temp files and partial outputs gone), and a restart runs it at
# once — long before its lease could have expired.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

# A lease far longer than the test: only an explicit release can make the job run again soon.
export CLIPFORGE_LEASE_MS=120000
make_media "$WORK/src.mp4" 30
start_server "$WORK/data" --workers 1
media=$(upload "$WORK/src.mp4")
job=$(submit_clip "$media" "$HEAVY_OPS")
check "job runs" wait_status "$job" running 30
for _ in $(seq 1 100); do
  [ -n "$(find "$WORK/data/work" -mindepth 2 | head -1)" ] && break
  sleep 0.05
done
check "the run has temp files" test -n "$(find "$WORK/data/work" -mindepth 2 | head -1)"

echo "# SIGTERM during the run"
t0=$(date +%s%N)
stop_server
ms=$((($(date +%s%N) - t0) / 1000000))
echo "# stopped after $ms ms"
check "stopped promptly ($ms ms)" test "$ms" -le 10000
check "temp files removed" test -z "$(find "$WORK/data/work" -mindepth 1 | head -1)"
check "no partial outputs" test ! -e "$WORK/data/storage/objects/jobs/$job"
row=$(python3 - "$WORK/data/clipforge.db" "$job" <<'PY'
import sqlite3, sys
r = sqlite3.connect(sys.argv[1]).execute(
    "SELECT status, coalesce(lease_owner,''), attempts, max_attempts, coalesce(error,'') FROM jobs WHERE id=?",
    (sys.argv[2],)).fetchone()
print("|".join(map(str, r)))
PY
)
check "stored as queued, lease released, attempt not spent, no error ($row)" test "$row" = "queued||1|4|"

echo "# restart: the job runs again at once"
t0=$(date +%s%N)
start_server "$WORK/data" --workers 1
check "running again within 10 s of the restart" wait_status "$job" running 10
ms=$((($(date +%s%N) - t0) / 1000000))
echo "# running again $ms ms after the restart began"
check "job succeeds" wait_status "$job" succeeded 180
req GET "/v1/jobs/$job"
check "second run is attempt 2" test "$(jget 'j["attempts"]')" = 2
check "outputs of attempt 2 only" test "$(ls "$WORK/data/storage/objects/jobs/$job")" = 2
events=$( (curl -sN --max-time 1 "$BASE/v1/events?job_id=$job" || true) | sed -n 's/^data: //p')
types=$(python3 -c 'import json,sys; print(" ".join(json.loads(l)["type"] for l in sys.stdin))' <<<"$events")
check "no JobFailed event ($types)" test -z "$(grep -o JobFailed <<<"$types" || true)"
check "the release is a JobRequested event marked released" python3 -c '
import json, sys
ev = [json.loads(l) for l in sys.stdin]
rel = [e for e in ev if e["type"] == "JobRequested" and e["data"].get("released")]
sys.exit(0 if len(rel) == 1 and rel[0]["data"]["status"] == "queued" else 1)' <<<"$events"

stop_server
finish
