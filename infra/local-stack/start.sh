#!/usr/bin/env bash
# start.sh — the distributed shape on one machine, on loopback: PostgreSQL, Redis (or NATS
# JetStream), an S3-protocol server, one API node (`clipforge serve --no-workers`) and two
# `clipforge worker` processes. Runs in the foreground; Ctrl-C stops everything.
# Usage: infra/local-stack/start.sh [CLIPFORGE_BINARY]
#   CF_STACK_BUS=redis|nats (default redis)   CF_STACK_PORT=API port (default 8080)
#   CF_STACK_WORKERS=threads per worker (default 2)   CF_SERVICES_KEEP=1 keeps the data dir
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
CLIPFORGE=${1:-$here/../../build/release/clipforge}
[ -x "$CLIPFORGE" ] || { echo "start.sh: no clipforge binary at $CLIPFORGE (make build)" >&2; exit 2; }
source "$here/services.sh"
PIDS=()
stop_all() {
  local pid
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  stop_services
}
trap stop_all EXIT
trap 'exit 0' INT TERM

start_postgres
start_s3
case "${CF_STACK_BUS:-redis}" in
  redis) start_redis; export CLIPFORGE_BUS_URL="$CF_REDIS_URL" ;;
  nats) start_nats; export CLIPFORGE_BUS_URL="$CF_NATS_URL" ;;
  *) echo "start.sh: CF_STACK_BUS must be redis or nats" >&2; exit 2 ;;
esac
export CLIPFORGE_STORE_URL="$CF_PG_URL"
export CLIPFORGE_STORAGE_URL="$CF_S3_URL"
export CLIPFORGE_SIGNING_KEY=${CLIPFORGE_SIGNING_KEY:-local-stack-signing-key}
port=${CF_STACK_PORT:-8080}
data="$CF_SERVICES_DIR/nodes"

"$CLIPFORGE" serve --no-workers --listen "127.0.0.1:$port" --data-dir "$data/api" \
  >"$data-api.log" 2>&1 &
PIDS+=($!)
for n in 1 2; do
  "$CLIPFORGE" worker --workers "${CF_STACK_WORKERS:-2}" --data-dir "$data/worker$n" \
    >"$data-worker$n.log" 2>&1 &
  PIDS+=($!)
done
wait_until 100 curl -sf "http://127.0.0.1:$port/healthz"

cat <<EOF
clipforge distributed stack is up (Ctrl-C stops it):
  API             http://127.0.0.1:$port   (logs: $data-api.log)
  workers         2 x ${CF_STACK_WORKERS:-2} threads   (logs: $data-worker1.log, $data-worker2.log)
  store           $CLIPFORGE_STORE_URL
  bus             $CLIPFORGE_BUS_URL
  storage         $CLIPFORGE_STORAGE_URL  (access key S3RVER, secret S3RVER)
EOF
wait -n "${PIDS[@]}" || true
echo "start.sh: a clipforge process exited; stopping the stack" >&2
exit 1
