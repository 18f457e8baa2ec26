#!/usr/bin/env bash
# One trace across processes, exported over OTLP/HTTP to a real receiver (collector.py).
# An API node (`serve --no-workers`) and a `clipforge worker` share a SQLite store, Redis Streams
# and S3 storage (the local S3-protocol server). A clip job is submitted with a W3C traceparent
# and tracestate; the trace must hold the API's server span under the caller's span, the outbox
# relay's producer span, the worker's consumer span, the job's run and its pipeline stages, and
# the S3 transfers, in two services; the S3 server must see the traceparent; the worker's JSON
# log lines carry the trace_id and span_id. Then: http/json export, the parent-based sampler,
# and a collector that hangs: requests stay fast and /metrics counts the dropped spans.
# Usage: test_trace_e2e.sh CLIPFORGE
set -euo pipefail
CLIPFORGE=$1
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../../infra/local-stack/services.sh"
WORK="$CF_SERVICES_DIR/trace"
mkdir -p "$WORK"
PY=python3
/usr/bin/python3 -c 'import google.protobuf' 2>/dev/null && PY=/usr/bin/python3
source "$here/../check_lib.sh"
PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  stop_services
}
trap cleanup EXIT

# collector NAME [args] — starts a receiver writing $WORK/NAME.jsonl; sets OTLP_PORT.
collector() {
  local name=$1; shift
  rm -f "$WORK/$name.port"
  $PY "$here/collector.py" "$WORK/$name.port" "$WORK/$name.jsonl" "$@" 2>>"$WORK/collector.log" &
  PIDS+=($!)
  wait_until 100 test -s "$WORK/$name.port" || { cat "$WORK/collector.log" >&2; exit 1; }
  OTLP_PORT=$(cat "$WORK/$name.port")
  touch "$WORK/$name.jsonl"
}

# stop PID — SIGTERM and wait: the process exports what it still holds before exiting.
stop() {
  kill -TERM "$1"
  local rc=0
  wait "$1" || rc=$?
  check "process $1 exits cleanly on SIGTERM (status $rc)" test "$rc" -eq 0
}

make_media() {
  ffmpeg -loglevel error -y -f lavfi -i "testsrc2=size=160x120:rate=25" \
    -f lavfi -i sine=frequency=440:sample_rate=48000 -t 2 -c:v libx264 -preset ultrafast \
    -g 25 -c:a aac "$1"
}

echo "# engines: Redis Streams, the S3-protocol server (logging traceparent headers)"
export CF_S3_TRACE_LOG="$WORK/s3-traceparents.log"
start_redis
start_s3
export CLIPFORGE_STORE_URL="sqlite:$WORK/shared.db"
export CLIPFORGE_BUS_URL="$CF_REDIS_URL"
export CLIPFORGE_STORAGE_URL="$CF_S3_URL&cache=$WORK/s3cache"
export CLIPFORGE_SIGNING_KEY=trace-test CLIPFORGE_LOG_LEVEL=info
export OTEL_BSP_SCHEDULE_DELAY=200 OTEL_EXPORTER_OTLP_TIMEOUT=2000
collector main
export OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$OTLP_PORT"

PORT=$(free_port)
BASE="http://127.0.0.1:$PORT"
"$CLIPFORGE" serve --no-workers --listen "127.0.0.1:$PORT" --data-dir "$WORK/api" 2>"$WORK/api.log" &
API=$!; PIDS+=($API)
MPORT=$(free_port)
"$CLIPFORGE" worker --workers 1 --data-dir "$WORK/worker" --metrics-listen "127.0.0.1:$MPORT" \
  2>"$WORK/worker.log" &
WORKER=$!; PIDS+=($WORKER)
wait_until 300 curl -sf "$BASE/healthz" || { tail -20 "$WORK/api.log" >&2; exit 1; }

make_media "$WORK/in.mp4"
media=$(curl -sf -X POST -H 'Content-Type: video/mp4' --data-binary @"$WORK/in.mp4" "$BASE/v1/media" |
  $PY -c 'import json,sys; print(json.load(sys.stdin)["id"])')
TRACE=$($PY -c 'import secrets; print(secrets.token_hex(16))')
CALLER=$($PY -c 'import secrets; print(secrets.token_hex(8))')
job=$(curl -sf -X POST -H 'Content-Type: application/json' \
  -H "traceparent: 00-$TRACE-$CALLER-01" -H "tracestate: cftest=abc,other=1" "$BASE/v1/jobs" \
  -d "{\"kind\":\"clip_processing\",\"request\":{\"clip_id\":\"c\",\"source_uri\":\"media://$media\",\"operations\":[{\"op\":\"scale\",\"width\":96,\"height\":-1}]}}" |
  $PY -c 'import json,sys; print(json.load(sys.stdin)["id"])')
status=""
for _ in $(seq 1 600); do
  status=$(curl -sf "$BASE/v1/jobs/$job" | $PY -c 'import json,sys; print(json.load(sys.stdin)["status"])')
  case "$status" in succeeded|failed|cancelled) break ;; esac
  sleep 0.1
done
check "the job succeeded across the two processes ($status)" test "$status" = succeeded
curl -sf "http://127.0.0.1:$MPORT/metrics" >"$WORK/worker.metrics" || true
check "the worker's own /metrics counts the run (and passes promtool)" sh -c "
  grep -q 'clipforge_job_duration_seconds_count{outcome=\"succeeded\",kind=\"clip_processing\"} 1' '$WORK/worker.metrics' &&
  grep -q 'clipforge_stage_duration_seconds_count{stage=\"encode\",kind=\"clip_processing\"}' '$WORK/worker.metrics' &&
  promtool check metrics <'$WORK/worker.metrics'"
check "the worker answers its probes" curl -sf "http://127.0.0.1:$MPORT/readyz"
stop "$WORKER"
stop "$API"

check "one trace from the request through the bus to the worker's stages" \
  $PY - "$WORK/main.jsonl" "$TRACE" "$CALLER" "$job" <<'PY'
import json, sys
path, trace, caller, job = sys.argv[1:]
spans = [json.loads(l) for l in open(path)]
bad = [s for s in spans if "decode_error" in s]
assert not bad, f"undecodable export: {bad[0]}"
mine = [s for s in spans if s["trace_id"] == trace]
by_id = {s["span_id"]: s for s in mine}
names = sorted(s["name"] for s in mine)
print("  spans:", ", ".join(f"{s['service']}:{s['name']}" for s in sorted(mine, key=lambda s: s["start"])))
def one(name, kind=None):
    found = [s for s in mine if s["name"] == name and (kind is None or s["kind"] == kind)]
    assert found, f"no span {name!r} in {names}"
    return found[0]
server = one("POST /v1/jobs", 2)
assert server["parent_span_id"] == caller, "server span is not under the caller's span"
assert server["service"] == "clipforge-api", server["service"]
assert server["attributes"].get("http.response.status_code") == 202, server["attributes"]
assert server["trace_state"] == "cftest=abc,other=1", server["trace_state"]
publish = one("publish jobs", 4)
assert publish["attributes"]["messaging.system"] == "redis"
assert publish["attributes"]["clipforge.job.id"] == job
consume = one("process jobs", 5)
assert consume["service"] == "clipforge-worker", consume["service"]
# every process relays the outbox, so the API and the worker may both publish the job: the
# consumer is under one of the producers
producers = {s["span_id"] for s in mine if s["name"] == "publish jobs" and s["kind"] == 4}
assert consume["parent_span_id"] in producers, "consumer is not under a producer"
run = one("job clip_processing")
assert run["parent_span_id"] == consume["span_id"] and run["service"] == "clipforge-worker"
stages = [s for s in mine if s["parent_span_id"] == run["span_id"]]
stage_names = {s["name"] for s in stages}
assert "encode" in stage_names, f"no pipeline stage under the run: {stage_names}"
assert "storage put" in stage_names and "storage get" in stage_names, stage_names
put = one("storage put")
assert put["attributes"]["clipforge.storage.backend"] == "s3"
# Connected: every span's parent is in the trace, except the caller's own span.
for s in mine:
    assert s["parent_span_id"] in by_id or s["span_id"] == server["span_id"], f"orphan {s['name']}"
    assert s["end"] >= s["start"] > 0
assert len({s["service"] for s in mine}) == 2
PY
check "the S3 server saw the job's trace on the worker's requests" \
  grep -q -- "-$TRACE-" "$CF_S3_TRACE_LOG"
check "the worker's JSON log lines carry the trace_id and span_id" \
  $PY - "$WORK/worker.log" "$TRACE" <<'PY'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
mine = [l for l in lines if l.get("trace_id") == sys.argv[2]]
assert mine, "no log line with the trace id"
assert all(len(l["span_id"]) == 16 for l in mine)
print("  e.g.", json.dumps(mine[0]))
PY

echo "# http/json, the sampler, one process"
collector json
PORT=$(free_port); BASE="http://127.0.0.1:$PORT"
unset CLIPFORGE_STORE_URL CLIPFORGE_BUS_URL CLIPFORGE_STORAGE_URL
OTEL_EXPORTER_OTLP_ENDPOINT= OTEL_EXPORTER_OTLP_TRACES_ENDPOINT="http://127.0.0.1:$OTLP_PORT/v1/traces" \
OTEL_EXPORTER_OTLP_PROTOCOL=http/json OTEL_SERVICE_NAME=edge \
OTEL_RESOURCE_ATTRIBUTES="deployment.environment=test,team=media%20ops" \
  "$CLIPFORGE" serve --no-workers --listen "127.0.0.1:$PORT" --data-dir "$WORK/one" 2>"$WORK/one.log" &
ONE=$!; PIDS+=($ONE)
wait_until 300 curl -sf "$BASE/healthz" || exit 1
T2=$($PY -c 'import secrets; print(secrets.token_hex(16))')
T3=$($PY -c 'import secrets; print(secrets.token_hex(16))')
curl -sf -o /dev/null -H "traceparent: 00-$T2-00f067aa0ba902b7-01" "$BASE/v1/jobs?limit=1"
curl -sf -o /dev/null -H "traceparent: 00-$T3-00f067aa0ba902b7-00" "$BASE/v1/jobs?limit=1"
curl -s -o /dev/null "$BASE/v1/jobs/j_nothing"
stop "$ONE" || true; tail -5 "$WORK/one.log"
check "http/json export: resource, server span, not-sampled parent honoured" \
  $PY - "$WORK/json.jsonl" "$T2" "$T3" <<'PY'
import json, sys
spans = [json.loads(l) for l in open(sys.argv[1])]
print("  spans:", [(x.get("name"), x.get("content_type"), x.get("decode_error")) for x in spans])
assert spans and all(s["content_type"].startswith("application/json") for s in spans)
s = [x for x in spans if x["trace_id"] == sys.argv[2]]
assert len(s) == 1 and s[0]["name"] == "GET /v1/jobs" and s[0]["kind"] == 2, s
r = s[0]["resource"]
assert r["service.name"] == "edge" and r["team"] == "media ops" and r["deployment.environment"] == "test", r
assert not [x for x in spans if x["trace_id"] == sys.argv[3]], "a span of an unsampled trace"
miss = [x for x in spans if x["name"] == "GET /v1/jobs/{job_id}"]
assert miss and miss[0]["attributes"]["http.response.status_code"] == 404
PY

echo "# a collector that hangs: the API stays fast, drops are counted"
collector slow --delay 30
PORT=$(free_port); BASE="http://127.0.0.1:$PORT"
OTEL_EXPORTER_OTLP_ENDPOINT="http://127.0.0.1:$OTLP_PORT" OTEL_BSP_MAX_QUEUE_SIZE=16 \
OTEL_BSP_MAX_EXPORT_BATCH_SIZE=8 OTEL_EXPORTER_OTLP_TIMEOUT=3000 \
  "$CLIPFORGE" serve --no-workers --listen "127.0.0.1:$PORT" --data-dir "$WORK/slow" 2>"$WORK/slow.log" &
SLOW=$!; PIDS+=($SLOW)
wait_until 300 curl -sf "$BASE/healthz" || exit 1
# 200 requests on one connection while every export hangs for its 3 s timeout: a request that
# waited for the exporter would take seconds; none may take even one.
urls=(); for _ in $(seq 1 200); do urls+=(-o /dev/null "$BASE/healthz"); done
curl -sf -w '%{time_total}\n' "${urls[@]}" >"$WORK/slow.times"
slowest=$(sort -g "$WORK/slow.times" | tail -n1)
check "200 requests with the collector hanging, slowest ${slowest} s (< 1 s)" \
  $PY -c 'import sys; t=[float(x) for x in open(sys.argv[1])]; assert len(t) == 200 and max(t) < 1, max(t)' "$WORK/slow.times"
curl -sf "$BASE/metrics" >"$WORK/slow.metrics"
check "dropped spans are counted in /metrics" \
  $PY -c 'import re,sys
t=open(sys.argv[1]).read()
q=float(re.search(r"clipforge_trace_spans_total\{result=\"dropped_queue_full\"\} (\S+)", t).group(1))
e=float(re.search(r"clipforge_trace_spans_total\{result=\"dropped_export_failed\"\} (\S+)", t).group(1))
assert q > 0 and q + e > 100, (q, e)' "$WORK/slow.metrics"
start=$(date +%s%N)
stop "$SLOW"
ms=$(( ($(date +%s%N) - start) / 1000000 ))
check "stopping with the collector hanging took ${ms} ms (< 10 s: one export timeout, and one more try)" test "$ms" -lt 10000

finish
