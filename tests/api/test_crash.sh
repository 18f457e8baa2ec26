#!/usr/bin/env bash
# Crash safety: kill -9 the server while jobs run and others wait; after a restart every
# accepted job reaches a final state, each succeeded job completed exactly once and only one
# attempt's outputs exist for it.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

export CLIPFORGE_LEASE_MS=1500 CLIPFORGE_RETRY_BASE_MS=100
make_media "$WORK/src.mp4" 10
start_server "$WORK/data" --workers 2
media=$(upload "$WORK/src.mp4")
jobs=()
for _ in 1 2 3 4; do jobs+=("$(submit_clip "$media" "$HEAVY_OPS")"); done
# A quick one that may finish before the crash, and one cancelled before it.
jobs+=("$(submit_clip "$media")")
cancelled=$(submit_clip "$media")
curl -sf -X POST "$BASE/v1/jobs/$cancelled/cancel" >/dev/null

echo "# wait until two jobs run, then kill -9"
for _ in $(seq 1 200); do
  # "<id>:<attempt>" of each running job
  cut_runs=$(curl -s "$BASE/v1/jobs?status=running" |
    python3 -c 'import json,sys; print(" ".join("%s:%d" % (j["id"], j["attempts"]) for j in json.load(sys.stdin)["items"]))')
  running=$(wc -w <<<"$cut_runs")
  [ "$running" = 2 ] && break
  sleep 0.05
done
check "two jobs were running at the crash" test "$running" = 2
kill_server
echo "# killed with 2 running and $((${#jobs[@]} - 2)) accepted behind them"
# What a run cut while it stored its outputs leaves: the next attempt must not keep it.
for line in $cut_runs; do
  mkdir -p "$WORK/data/storage/objects/jobs/${line/:/\/}"
  head -c 1000 /dev/zero >"$WORK/data/storage/objects/jobs/${line/:/\/}/clip-part.mp4"
done

echo "# restart"
start_server "$WORK/data" --workers 2
for id in "${jobs[@]}"; do
  check "job $id reaches succeeded" wait_status "$id" succeeded 180
done
req GET "/v1/jobs/$cancelled"
check "the job cancelled before the crash stays cancelled" test "$(jget 'j["status"]')" = cancelled

echo "# exactly one completion and one set of outputs per job"
retried=0
for id in "${jobs[@]}"; do
  req GET "/v1/jobs/$id"
  attempts=$(jget 'j["attempts"]')
  out=$(jget 'j["result"]["output_uri"]')
  [ "$attempts" -gt 1 ] && retried=$((retried + 1))
  dirs=$(ls "$WORK/data/storage/objects/jobs/$id")
  check "$id: outputs of one attempt only ($dirs), the one in the result" \
    test "$dirs" = "$attempts" -a "${out#storage://jobs/$id/$attempts/}" != "$out"
  n=$( (curl -sN --max-time 1 "$BASE/v1/events?job_id=$id" || true) | grep -c '^event: JobCompleted$' || true)
  check "$id: JobCompleted exactly once ($n)" test "$n" = 1
done
check "the jobs cut by the crash ran again ($retried retried)" test "$retried" -ge 2
check "no temp files left" test -z "$(find "$WORK/data/work" "$WORK/data/storage/tmp" -mindepth 1 | head -1)"
check "metrics: nothing queued or running" grep -q '^clipforge_queue_depth 0$' <<<"$(curl -s "$BASE/metrics")"

stop_server
finish
