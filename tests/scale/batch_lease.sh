#!/usr/bin/env bash
# A job of a worker's batch that waits for its turn longer than its lease is not leased twice:
# PostgreSQL + Redis Streams (or NATS), one API node (`serve --no-workers`, whose reaper requeues
# expired leases) and one `clipforge worker` process, leases of 1.5 s. A backlog of 24 no-op
# jobs, the 8th slow (test builds: CLIPFORGE_TEST_SLOW_JOBS makes its run wait 5 s, over three
# leases); the worker's batches grow 1, 4, 16..., so the slow job runs with others of its
# batch leased and waiting behind it. The worker's keeper must renew their leases: every job
# succeeds after one attempt, each leased once (one JobProgressed event), the jobs behind the
# slow one finishing more than three leases after their batch was leased.
# Usage: batch_lease.sh CLIPFORGE_BINARY [redis|nats]
set -euo pipefail
CLIPFORGE=$1
BUS=${2:-redis}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../../infra/local-stack/services.sh"
source "$here/lib.sh"
WORK="$CF_SERVICES_DIR/batch_lease"
mkdir -p "$WORK"
API_PID="" WORKER=""
N=24 SLOW=7 LEASE_MS=1500

cleanup() {
  kill_all $API_PID $WORKER
  stop_services
}
trap cleanup EXIT

start_postgres
if [ "$BUS" = nats ]; then start_nats; export CLIPFORGE_BUS_URL="$CF_NATS_URL"
else start_redis; export CLIPFORGE_BUS_URL="$CF_REDIS_URL"; fi
PORT=$(free_port)
BASE="http://127.0.0.1:$PORT"
export CLIPFORGE_STORE_URL="$CF_PG_URL" CLIPFORGE_STORAGE_URL="file://$WORK/storage"
export CLIPFORGE_LEASE_MS=$LEASE_MS CLIPFORGE_RETRY_BASE_MS=100 CLIPFORGE_NOOP_JOBS=1
export CLIPFORGE_TEST_SLOW_JOBS=slow-job:5000 CLIPFORGE_SIGNING_KEY=batch-lease CLIPFORGE_LOG_LEVEL=debug

"$CLIPFORGE" serve --no-workers --listen "127.0.0.1:$PORT" --data-dir "$WORK/api" >>"$WORK/api.log" 2>&1 &
API_PID=$!
wait_until 300 curl -sf "$BASE/healthz" || { tail -20 "$WORK/api.log" >&2; exit 1; }

echo "# a backlog of $N no-op jobs, job $((SLOW + 1)) slow, submitted one after the other"
ids=()
for i in $(seq 0 $((N - 1))); do
  key=job-$i
  [ "$i" = "$SLOW" ] && key=slow-job
  id=$(curl -sf -X POST -H 'Content-Type: application/json' -H "Idempotency-Key: $key" \
    -d '{"kind":"noop","request":{}}' "$BASE/v1/jobs" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  ids+=("$id")
done
slow=${ids[$SLOW]}
# count SQL VALUE — the query's answer is VALUE (for wait_until).
count() { test "$(psql -At "$CF_PG_URL" -c "$1")" = "$2"; }
# every job on the bus before the worker starts, so that its batches are the backlog's
wait_until 100 count "SELECT count(*) FROM outbox WHERE topic='jobs'" 0

echo "# one worker takes the backlog"
"$CLIPFORGE" worker --workers 1 --data-dir "$WORK/w" >>"$WORK/worker.log" 2>&1 &
WORKER=$!
sql="SELECT count(*) FILTER (WHERE status IN ('succeeded','failed','cancelled')) FROM jobs"
wait_until 600 count "$sql" "$N" || true
read -r ok once < <(psql -At -F ' ' "$CF_PG_URL" -c \
  "SELECT count(*) FILTER (WHERE status='succeeded'), count(*) FILTER (WHERE attempts=1) FROM jobs")
check "all $N jobs succeeded ($ok)" test "$ok" = "$N"
check "each after one attempt ($once)" test "$once" = "$N"

# The batch the slow job was leased in (the worker's debug line lists the jobs it leased) and
# the jobs after it there: leased with it, waiting while it ran.
line=$(grep '"batch of [0-9]* messages, leased:' "$WORK/worker.log" | grep "$slow" || true)
behind=$(sed -n 's/.*leased:\([^"]*\)".*/\1/p' <<<"$line" | tr ' ' '\n' | sed -n "/^$slow\$/,\$p" | tail -n +2)
check "the slow job was leased with jobs behind it ($(wc -w <<<"$behind") of them)" test -n "$behind"
leased_at=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["ts"])' "$line" 2>/dev/null || echo "")
for id in $behind; do
  done_line=$(grep "\"job $id attempt 1 done" "$WORK/worker.log" | head -1)
  waited=$(python3 - "$leased_at" "$done_line" <<'PY'
import datetime, json, sys
t = lambda s: datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ")
print(int((t(json.loads(sys.argv[2])["ts"]) - t(sys.argv[1])).total_seconds() * 1000))
PY
  )
  events=$(psql -At "$CF_PG_URL" -c "SELECT string_agg(type, ' ' ORDER BY id) FROM events WHERE job_id='$id'")
  check "$id finished $waited ms after its batch was leased (> 3 leases), leased once ($events)" \
    test "$waited" -gt $((3 * LEASE_MS)) -a "$events" = "JobRequested JobProgressed JobCompleted"
done
check "no outcome was dropped for a lost lease" test "$(grep -c 'outcome dropped' "$WORK/worker.log")" = 0
kill -TERM "$WORKER" "$API_PID"
wait "$WORKER" "$API_PID" || true
WORKER="" API_PID=""
finish
