#!/usr/bin/env bash
# The noop job kind (for measuring the queue alone): refused with a 422 problem unless the server
# enables it; when enabled, a noop job goes through the whole lifecycle and succeeds with {}. With
# stages, every stage it walks through is stored and sent as JobProgressed, a stage shorter than
# the runner's twice-a-second progress period included.
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
req POST /v1/jobs "${J[@]}" -d '{"kind":"noop","request":{"stages":[{"name":"x","ms":-1}]}}'
check "a stage of negative length: 400 naming it ($STATUS)" \
  test "$STATUS/$(jget 'j["detail"]' | grep -c 'stages\[0\].ms')" = 400/1

# Before: a new stage waited for the 500 ms period, so stages of 300 ms were never heard (the
# first event came in the second one, the third ended with the job).
stages='{"name":"first","ms":300},{"name":"second","ms":300},{"name":"third","ms":300}'
req POST /v1/jobs "${J[@]}" -d "{\"kind\":\"noop\",\"request\":{\"stages\":[$stages]}}"
id=$(jget 'j["id"]')
wait_status "$id" succeeded 30 || true
heard=$( (curl -sN --max-time 1 "$BASE/v1/events?job_id=$id&last_event_id=0" || true) |
  sed -n 's/^data: //p' | python3 -c '
import json, sys
seen = []
for line in sys.stdin:
    d = json.loads(line)
    st = d.get("stage") or d.get("data", {}).get("stage")
    if d.get("type", "JobProgressed") == "JobProgressed" and st and st not in seen:
        seen.append(st)
print(" ".join(seen))')
check "every stage heard, in order ($heard)" grep -q 'first second third' <<<"$heard"
stop_server
finish
