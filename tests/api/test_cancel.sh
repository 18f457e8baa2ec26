#!/usr/bin/env bash
# Cancelling a running job stops it within a second, removes its temp files and outputs, and
# leaves it cancelled; a cancelled job can be retried and then succeeds.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

make_media "$WORK/long.mp4" 60
start_server "$WORK/data" --workers 1
media=$(upload "$WORK/long.mp4")
job=$(submit_clip "$media" "$HEAVY_OPS")
queued=$(submit_clip "$media" "$HEAVY_OPS")

echo "# cancel a running job"
check "job runs" wait_status "$job" running 30
# Let the pipeline get going (progress reported) before cancelling.
for _ in $(seq 1 100); do
  p=$(curl -s "$BASE/v1/jobs/$job" | python3 -c 'import json,sys; print(json.load(sys.stdin)["progress"])')
  python3 -c "import sys; sys.exit(0 if $p > 0 else 1)" && break
  sleep 0.1
done
check "progress was reported before the cancel ($p)" python3 -c "import sys; sys.exit(0 if $p > 0 else 1)"
check "the run has temp files" test -n "$(find "$WORK/data/work" -mindepth 1 | head -1)"
ms=$(cancel_ms "$job")
echo "# cancelled after $ms ms"
check "cancelled within 1 s ($ms ms)" test "$ms" -le 1000
req GET "/v1/jobs/$job"
check "error is the cancelled problem" test "$(jget 'j["error"]["type"]')" = "https://clipforge.dev/problems/cancelled"
sleep 0.3
check "the run's temp dir is gone" test -z "$(find "$WORK/data/work" -mindepth 1 -name "$job*" | head -1)"
check "no outputs stored for it" test ! -e "$WORK/data/storage/objects/jobs/$job"
events=$( (curl -sN --max-time 1 "$BASE/v1/events?job_id=$job" || true) | sed -n "s/^event: //p" | tr "\n" " ")
check "events end with JobCancelled ($events)" grep -q 'JobCancelled $' <<<"$events"

echo "# the queued job behind it now runs; cancel it while queued or running"
req POST "/v1/jobs/$queued/cancel"
check "cancel of the second job: 202" test "$STATUS" = 202
check "second job cancelled" wait_status "$queued" cancelled 5

echo "# retry a cancelled job"
req POST "/v1/jobs/$job/retry"
check "retry: 202 queued" test "$STATUS/$(jget 'j["status"]')" = "202/queued"
check "retried job succeeds" wait_status "$job" succeeded 120
req GET "/v1/jobs/$job"
check "attempts 2" test "$(jget 'j["attempts"]')" = 2
check "only the successful attempt's outputs exist" test "$(ls "$WORK/data/storage/objects/jobs/$job")" = 2

stop_server
check "work dir empty after shutdown" test -z "$(find "$WORK/data/work" -mindepth 1 | head -1)"
finish
