#!/usr/bin/env bash
# /metrics as an operator's Prometheus sees it. A `clipforge serve` (tracing to a test
# collector) runs a clip job and answers traced requests; then:
# - `promtool check metrics` accepts the Prometheus text format, which lists the HTTP, job,
#   stage, store, bus, storage, lease, queue, outbox and span-export families;
# - the OpenMetrics format (what Prometheus asks for) carries exemplars with trace ids;
# - Debian's Prometheus scrapes it: the target is up, a query returns the job count, and the
#   exemplar query returns the trace id of a request we sent.
# Usage: test_metrics.sh CLIPFORGE
set -euo pipefail
CLIPFORGE=$1
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../../infra/local-stack/services.sh"
WORK="$CF_SERVICES_DIR/metrics"
mkdir -p "$WORK"
PY=python3
/usr/bin/python3 -c 'import google.protobuf' 2>/dev/null && PY=/usr/bin/python3
source "$here/../check_lib.sh"
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  stop_services
}
trap cleanup EXIT
command -v promtool >/dev/null && command -v prometheus >/dev/null ||
  { echo "prometheus/promtool missing (infra/deps.sh test installs Debian's prometheus)"; exit 1; }

$PY "$here/../trace/collector.py" "$WORK/otlp.port" "$WORK/spans.jsonl" 2>"$WORK/collector.log" &
PIDS+=($!)
wait_until 100 test -s "$WORK/otlp.port" || { cat "$WORK/collector.log" >&2; exit 1; }
export OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$(cat "$WORK/otlp.port")"
export OTEL_BSP_SCHEDULE_DELAY=200

PORT=$(free_port); BASE="http://127.0.0.1:$PORT"
"$CLIPFORGE" serve --workers 1 --listen "127.0.0.1:$PORT" --data-dir "$WORK/data" 2>"$WORK/serve.log" &
PIDS+=($!)
wait_until 300 curl -sf "$BASE/healthz" || { tail "$WORK/serve.log" >&2; exit 1; }

ffmpeg -loglevel error -y -f lavfi -i "testsrc2=size=96x64:rate=10" -f lavfi -i sine=d=1 -t 1 \
  -c:v libx264 -preset ultrafast -c:a aac "$WORK/in.mp4"
media=$(curl -sf -X POST -H 'Content-Type: video/mp4' --data-binary @"$WORK/in.mp4" "$BASE/v1/media" |
  $PY -c 'import json,sys; print(json.load(sys.stdin)["id"])')
job=$(curl -sf -X POST -H 'Content-Type: application/json' "$BASE/v1/jobs" \
  -d "{\"kind\":\"clip_processing\",\"request\":{\"clip_id\":\"c\",\"source_uri\":\"media://$media\",\"operations\":[{\"op\":\"trim\",\"start_ms\":0,\"end_ms\":500}]}}" |
  $PY -c 'import json,sys; print(json.load(sys.stdin)["id"])')
for _ in $(seq 1 300); do
  curl -sf "$BASE/v1/jobs/$job" | grep -q '"status":"succeeded"' && break
  sleep 0.1
done
TRACE=$($PY -c 'import secrets; print(secrets.token_hex(16))')
for _ in 1 2 3; do curl -sf -o /dev/null -H "traceparent: 00-$TRACE-00f067aa0ba902b7-01" "$BASE/v1/jobs/$job"; done

curl -sf "$BASE/metrics" >"$WORK/text.txt"
check "promtool check metrics accepts the text format ($(promtool check metrics <"$WORK/text.txt" 2>&1 | head -3 | tr '\n' ' '))" \
  sh -c "promtool check metrics <'$WORK/text.txt' >/dev/null 2>&1"
for fam in clipforge_http_request_duration_seconds clipforge_job_duration_seconds \
           clipforge_stage_duration_seconds clipforge_store_operation_duration_seconds \
           clipforge_bus_operation_duration_seconds clipforge_storage_operation_duration_seconds \
           clipforge_bus_deliveries_total clipforge_lease_expiries_total clipforge_queue_depth \
           clipforge_queue_oldest_age_seconds clipforge_outbox_pending clipforge_trace_spans_total \
           clipforge_jobs; do
  check "family $fam is exposed" grep -q "^# TYPE $fam " "$WORK/text.txt"
done
check "the job run is counted by kind and outcome" \
  grep -q 'clipforge_job_duration_seconds_count{outcome="succeeded",kind="clip_processing"} 1' "$WORK/text.txt"
check "the text format has no exemplars" sh -c "! grep -q ' # {' '$WORK/text.txt'"
curl -sf -H 'Accept: application/openmetrics-text; version=1.0.0' -D "$WORK/om.headers" \
  "$BASE/metrics" >"$WORK/om.txt"
check "OpenMetrics when asked for" grep -qi 'content-type: application/openmetrics-text' "$WORK/om.headers"
check "OpenMetrics ends with # EOF" test "$(tail -n1 "$WORK/om.txt")" = "# EOF"
check "OpenMetrics exemplars carry our trace id" grep -q "trace_id=\"$TRACE\"" "$WORK/om.txt"

echo "# Prometheus scrapes it"
PPORT=$(free_port)
cat >"$WORK/prometheus.yml" <<YML
global: {scrape_interval: 1s, evaluation_interval: 1s}
scrape_configs:
  - job_name: clipforge
    static_configs: [{targets: ['127.0.0.1:$PORT']}]
YML
prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/tsdb" \
  --web.listen-address="127.0.0.1:$PPORT" --enable-feature=exemplar-storage \
  >"$WORK/prometheus.log" 2>&1 &
PIDS+=($!)
PROM="http://127.0.0.1:$PPORT"
up() { curl -sf "$PROM/api/v1/query?query=up%7Bjob%3D%22clipforge%22%7D" | grep -q '"value":\[[0-9.]*,"1"\]'; }
check "Prometheus scrapes the target (up == 1)" wait_until 300 up
have_jobs() {
  curl -sf "$PROM/api/v1/query" --data-urlencode \
    'query=sum(clipforge_job_duration_seconds_count{outcome="succeeded"})' | grep -q '"1"\]'
}
check "a PromQL query over the scraped job histogram" wait_until 100 have_jobs
# A bucket keeps the latest exemplar only, so any other request in the same bucket (Prometheus'
# own scrapes are traced too) replaces ours before a scrape may see it: each try sends it again.
exemplar() {
  local now; now=$(date +%s)
  curl -sf -o /dev/null -H "traceparent: 00-$TRACE-00f067aa0ba902b7-01" "$BASE/v1/jobs/$job"
  sleep 1.2
  curl -sf "$PROM/api/v1/query_exemplars" --data-urlencode \
    'query=clipforge_http_request_duration_seconds_bucket' --data-urlencode "start=$((now - 600))" \
    --data-urlencode "end=$((now + 60))" | grep -q "$TRACE"
}
check "Prometheus stored an exemplar with the request's trace id" wait_until 30 exemplar
check "no scrape errors in Prometheus' log" sh -c "! grep -qi 'level=warn.*scrape' '$WORK/prometheus.log'"

finish
