#!/usr/bin/env bash
# The noop job kind (for measuring the queue alone): refused with a 422 problem unless the server
# enables it; when enabled, a noop job goes through the whole lifecycle and succeeds with {}.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
J=(-H 'Content-Type: application/json')

echo "# not enabled (the default)"
start_server "$WORK/off"
req POST /v1/jobs "${J[@]}" -d '{"kind":"noop","request":{}}'
check "422 unsupported-job-kind ($STATUS)" \
  test "$STATUS/$(jget 'j["type"]')" = "422/https://clipforge.dev/problems/unsupported-job-kind"
check "the detail says it is not enabled" grep -q "not enabled" "$WORK/body"
stop_server

echo "# enabled with CLIPFORGE_NOOP_JOBS=1"
CLIPFORGE_NOOP_JOBS=1 start_server "$WORK/on"
ids=()
for _ in $(seq 1 20); do
  req POST /v1/jobs "${J[@]}" -d '{"kind":"noop","request":{}}'
  [ "$STATUS" = 202 ] || { echo "submission: $STATUS"; cat "$WORK/body"; }
  ids+=("$(jget 'j["id"]')")
done
ok=0
for id in "${ids[@]}"; do wait_status "$id" succeeded 30 && ok=$((ok + 1)); done
check "20 noop jobs accepted and succeeded ($ok)" test "$ok" = 20
req GET "/v1/jobs/${ids[0]}"
check "result is an empty object" test "$(jget 'j["result"]')" = "{}"
events=$( (curl -sN --max-time 1 "$BASE/v1/events?job_id=${ids[0]}" || true) | sed -n "s/^event: //p" | tr "\n" " ")
check "events run from JobRequested to JobCompleted ($events)" grep -q '^JobRequested .*JobCompleted $' <<<"$events"
req POST /v1/jobs "${J[@]}" -d '{"kind":"noop","request":[]}'
check "a request that is not an object: 400 ($STATUS)" test "$STATUS" = 400
stop_server
finish
