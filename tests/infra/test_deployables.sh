#!/usr/bin/env bash
# infra/ checked without a container engine or a cluster:
# - promtool check config / check rules / test rules on infra/prometheus;
# - every PromQL expression of the Grafana dashboard compiles (promtool, as recording rules);
# - every metric the alerts and the dashboard use is exposed by a running clipforge (serve
#   after one job, and a worker's --metrics-listen endpoint);
# - check_deployables.py: Containerfile, compose file and Kubernetes manifests (structure,
#   non-root, probes, PDBs, autoscaler, settings that exist in `clipforge --help`, docs).
# Usage: test_deployables.sh CLIPFORGE SOURCE_DIR
set -euo pipefail
CLIPFORGE=$1 src=$2
source "$src/infra/local-stack/services.sh"
WORK="$CF_SERVICES_DIR/infra"
mkdir -p "$WORK"
PY=python3
/usr/bin/python3 -c 'import yaml' 2>/dev/null && PY=/usr/bin/python3
source "$src/tests/check_lib.sh"
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  stop_services
}
trap cleanup EXIT
prom=$src/infra/prometheus

check "promtool check config prometheus.yml" promtool check config "$prom/prometheus.yml"
check "promtool check rules alerts.yml" promtool check rules "$prom/alerts.yml"
check "promtool test rules alerts_test.yml" sh -c "cd '$prom' && promtool test rules alerts_test.yml"

$PY - "$src/infra/grafana/clipforge.json" "$WORK/dashboard_rules.yml" <<'PY'
import json, sys
dash = json.load(open(sys.argv[1]))
rules = []
for p in dash["panels"]:
    for t in p["targets"]:
        expr = t["expr"].replace("$__rate_interval", "1m").replace("$job", "clipforge")
        rules.append({"record": f"dashboard:panel{p['id']}:{t['refId']}", "expr": expr})
import yaml
yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}, open(sys.argv[2], "w"))
PY
check "every dashboard expression compiles (promtool check rules)" promtool check rules "$WORK/dashboard_rules.yml"

echo "# the metric names, from a running clipforge"
PORT=$(free_port); MPORT=$(free_port)
export CLIPFORGE_STORE_URL="sqlite:$WORK/db" CLIPFORGE_STORAGE_URL="local:$WORK/storage" CLIPFORGE_LOG_LEVEL=warn
"$CLIPFORGE" serve --workers 1 --listen "127.0.0.1:$PORT" --data-dir "$WORK/api" 2>"$WORK/serve.log" &
PIDS+=($!)
"$CLIPFORGE" worker --workers 1 --data-dir "$WORK/w" --metrics-listen "127.0.0.1:$MPORT" 2>"$WORK/worker.log" &
PIDS+=($!)
wait_until 300 curl -sf "http://127.0.0.1:$PORT/healthz" || { tail "$WORK/serve.log" >&2; exit 1; }
wait_until 300 curl -sf "http://127.0.0.1:$MPORT/healthz" || { tail "$WORK/worker.log" >&2; exit 1; }
ffmpeg -loglevel error -y -f lavfi -i "testsrc2=size=64x64:rate=10" -f lavfi -i sine=d=2 -t 2 \
  -c:v libx264 -c:a aac "$WORK/in.mp4"
media=$(curl -sf -X POST -H 'Content-Type: video/mp4' --data-binary @"$WORK/in.mp4" "http://127.0.0.1:$PORT/v1/media" |
  $PY -c 'import json,sys; print(json.load(sys.stdin)["id"])')
job=$(curl -sf -X POST -H 'Content-Type: application/json' "http://127.0.0.1:$PORT/v1/jobs" \
  -d "{\"kind\":\"clip_processing\",\"request\":{\"clip_id\":\"c\",\"source_uri\":\"media://$media\"}}" |
  $PY -c 'import json,sys; print(json.load(sys.stdin)["id"])')
detect=$(curl -sf -X POST -H 'Content-Type: application/json' "http://127.0.0.1:$PORT/v1/jobs" \
  -d "{\"kind\":\"highlight_detection\",\"request\":{\"clip_id\":\"c\",\"media_uri\":\"media://$media\"}}" |
  $PY -c 'import json,sys; print(json.load(sys.stdin)["id"])')
for id in "$job" "$detect"; do
  for _ in $(seq 1 600); do
    curl -sf "http://127.0.0.1:$PORT/v1/jobs/$id" | grep -q '"status":"\(succeeded\|failed\)"' && break
    sleep 0.1
  done
done
{ curl -sf "http://127.0.0.1:$PORT/metrics"; curl -sf "http://127.0.0.1:$MPORT/metrics"; } >"$WORK/metrics.txt"
"$CLIPFORGE" --help >"$WORK/help.txt"

check "Containerfile, compose, Kubernetes manifests, dashboard and docs" \
  $PY "$(dirname "$0")/check_deployables.py" "$src" "$WORK/metrics.txt" "$WORK/help.txt"

finish
