#!/usr/bin/env bash
# A worker takes job messages in batches: it leases a batch in one store call, runs its jobs one
# after the other and stores their outcomes together. A batch in which one job fails finishes the
# others and retries the failing one (test builds: CLIPFORGE_TEST_FAIL_JOBS matches its
# idempotency key), which fails for good once its attempts are spent.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
J=(-H 'Content-Type: application/json')
export CLIPFORGE_NOOP_JOBS=1 CLIPFORGE_TEST_FAIL_JOBS=fail-me CLIPFORGE_MAX_ATTEMPTS=2 \
  CLIPFORGE_RETRY_BASE_MS=300 CLIPFORGE_WORKERS=1
data="$WORK/data"

echo "# a backlog of 40 no-op jobs, the 30th failing, submitted while no worker runs"
start_server "$data" --no-workers
ids=()
for i in $(seq 1 40); do
  key=job-$i
  [ "$i" = 30 ] && key=fail-me
  req POST /v1/jobs "${J[@]}" -H "Idempotency-Key: $key" -d '{"kind":"noop","request":{}}'
  [ "$STATUS" = 202 ] || { echo "submission $i: $STATUS $BODY" >&2; exit 1; }
  ids+=("$(jget 'j["id"]')")
done
failing=${ids[29]}
stop_server

echo "# one worker takes the backlog"
CLIPFORGE_LOG_LEVEL=debug start_server "$data"
ok=0
for i in $(seq 0 39); do
  [ "$i" = 29 ] && continue
  wait_status "${ids[$i]}" succeeded 60 && ok=$((ok + 1))
done
check "the 39 other jobs succeeded ($ok)" test "$ok" = 39
check "the failing job ends failed" wait_status "$failing" failed 60
req GET "/v1/jobs/$failing"
check "after two attempts ($(jget 'j["attempts"]'))" test "$(jget 'j["attempts"]')" = 2
events=$( (curl -sN --max-time 1 "$BASE/v1/events?job_id=$failing" || true) |
  sed -n 's/^data: //p' | python3 -S -c '
import json, sys
print(" ".join(e["type"] + ("/retry" if e["data"].get("retryable") else "") for e in map(json.loads, sys.stdin)))')
check "its first run failed and was retried, its second failed for good ($events)" \
  test "$events" = "JobRequested JobProgressed JobFailed/retry JobProgressed JobFailed"
# The batches the worker took: its first run was in one with other jobs.
batch=$(grep -o '"batch of [0-9]* messages, leased:[^"]*"' "$WORK/server.log" | grep -m1 "$failing" || true)
size=$(wc -w <<<"${batch#*leased:}")
check "the failing job's first run was leased in a batch with others ($size jobs)" test "$size" -gt 1
largest=$(grep -o 'batch of [0-9]*' "$WORK/server.log" | awk '{print $3}' | sort -n | tail -1)
check "batches grew while the jobs were quick (largest $largest)" test "${largest:-0}" -ge 4
stop_server
finish
