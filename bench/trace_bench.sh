#!/usr/bin/env bash
# trace_bench.sh BUILD_DIR — the cost of tracing on the hottest read, GET /v1/jobs/{id}:
# `clipforge serve --no-workers` with the OTLP exporter off and on (http/protobuf to the test
# collector in --discard mode, so its Python does not compete for the CPU; every request
# sampled, each carrying a traceparent), wrk -t2 -c50 on loopback,
# runs alternating off/on BENCH_RUNS times; best requests/s and p99 of each side, and the
# ratio on/off (1.0 = free). Also reports spans exported and dropped by the "on" server, and
# the steady figure: instructions per request of each side under callgrind (BENCH_CG_REQUESTS
# requests on one connection, counted from the first request until the exporter has sent
# their spans), which the machine's load does not move.
set -euo pipefail
build=${1:-build/release}
bin=$(cd "$build" && pwd)/clipforge
here=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
DUR=${BENCH_SECONDS:-8}
RUNS=${BENCH_RUNS:-3}
work=$(mktemp -d "${TMPDIR:-/tmp}/cftrace-XXXXXX")
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { for _ in $(seq 1 200); do curl -s -o /dev/null "$1" && return 0; sleep 0.05; done; echo "no answer from $1" >&2; exit 1; }

$PY "$here/../tests/trace/collector.py" "$work/otlp.port" /dev/null --discard 2>"$work/collector.log" &
pids+=($!)
for _ in $(seq 1 100); do [ -s "$work/otlp.port" ] && break; sleep 0.1; done
OTLP="http://127.0.0.1:$(cat "$work/otlp.port")"

# serve NAME [env...] — starts a server on its own data dir; sets URL_<NAME>.
start() {
  local name=$1; shift
  local p; p=$(port)
  env "$@" CLIPFORGE_LOG_LEVEL=warn CLIPFORGE_HTTP_THREADS=2 "$bin" serve --no-workers \
    --listen "127.0.0.1:$p" --data-dir "$work/$name" 2>>"$work/$name.log" &
  pids+=($!)
  wait_http "http://127.0.0.1:$p/healthz"
  local media id
  media=$(curl -sf -X POST -H 'Content-Type: video/mp4' --data-binary @"$work/in.mp4" \
    "http://127.0.0.1:$p/v1/media" | $PY -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  id=$(curl -sf -X POST -H 'Content-Type: application/json' "http://127.0.0.1:$p/v1/jobs" \
    -d "{\"kind\":\"clip_processing\",\"request\":{\"clip_id\":\"c\",\"source_uri\":\"media://$media\"}}" |
    $PY -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  eval "URL_$name=http://127.0.0.1:$p/v1/jobs/$id BASE_$name=http://127.0.0.1:$p"
}
ffmpeg -loglevel error -f lavfi -i testsrc2=size=64x64:rate=10 -t 1 -c:v libx264 "$work/in.mp4"
start off
start on OTEL_EXPORTER_OTLP_ENDPOINT="$OTLP" OTEL_BSP_SCHEDULE_DELAY=500
TP="traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

for i in $(seq 1 "$RUNS"); do
  for side in off on; do
    url=URL_$side
    wrk -t2 -c50 -d"${DUR}s" --latency -H "$TP" "${!url}" >"$work/wrk.$side.$i.out"
  done
done
curl -sf "$BASE_on/metrics" | grep '^clipforge_trace_spans_total' >"$work/spans.txt" || true
$PY - "$work" "$RUNS" <<'PY'
import re, sys
work, runs = sys.argv[1], int(sys.argv[2])
def parse(side):
    rps, p99 = [], []
    for i in range(1, runs + 1):
        t = open(f"{work}/wrk.{side}.{i}.out").read()
        rps.append(float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1)))
        m = re.search(r"99%\s+([\d.]+)(us|ms|s)", t)
        p99.append(float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)])
    return rps, p99
off, on = parse("off"), parse("on")
print(f"runs (req/s): off {off[0]}  on {on[0]}")
print("| GET /v1/jobs/{id} | exporter off | exporter on | on/off |")
print("|---|---|---|---|")
print(f"| requests/s (best of {runs}) | {max(off[0]):.0f} | {max(on[0]):.0f} | {max(on[0]) / max(off[0]):.3f} |")
print(f"| p99 ms (best of {runs}) | {min(off[1]):.2f} | {min(on[1]):.2f} | {min(on[1]) / min(off[1]):.3f} |")
PY
echo "spans of the 'on' server:"; sed 's/^/  /' "$work/spans.txt"

N=${BENCH_CG_REQUESTS:-2000}
# cg_side NAME [env...] — instructions of N requests to a server under callgrind.
cg_side() {
  local name=$1; shift
  local p; p=$(port)
  env "$@" CLIPFORGE_LOG_LEVEL=warn CLIPFORGE_HTTP_THREADS=2 valgrind --tool=callgrind \
    --instr-atstart=no --callgrind-out-file="$work/cg.$name" "$bin" serve --no-workers \
    --listen "127.0.0.1:$p" --data-dir "$work/cg_$name" 2>>"$work/cg.log" &
  local vpid=$!
  for _ in $(seq 1 600); do curl -s -o /dev/null "http://127.0.0.1:$p/healthz" && break; sleep 0.1; done
  local media id
  media=$(curl -sf -X POST -H 'Content-Type: video/mp4' --data-binary @"$work/in.mp4" \
    "http://127.0.0.1:$p/v1/media" | $PY -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  id=$(curl -sf -X POST -H 'Content-Type: application/json' "http://127.0.0.1:$p/v1/jobs" \
    -d "{\"kind\":\"clip_processing\",\"request\":{\"clip_id\":\"c\",\"source_uri\":\"media://$media\"}}" |
    $PY -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  local urls=() i
  for i in $(seq 1 "$N"); do urls+=(-o /dev/null "http://127.0.0.1:$p/v1/jobs/$id"); done
  callgrind_control -i on "$vpid" >/dev/null 2>&1
  curl -s -H "$TP" "${urls[@]}"
  sleep 2 # the exporter's schedule delay: its batches are counted too
  callgrind_control -i off "$vpid" >/dev/null 2>&1
  kill -TERM "$vpid"; wait "$vpid" || true
  sed -n 's/^totals: //p' "$work/cg.$name" | head -n1
}
if command -v valgrind >/dev/null && command -v callgrind_control >/dev/null; then
  ir_off=$(cg_side off)
  ir_on=$(cg_side on OTEL_EXPORTER_OTLP_ENDPOINT="$OTLP" OTEL_BSP_SCHEDULE_DELAY=500)
  $PY - "$ir_off" "$ir_on" "$N" <<'PY'
import sys
off, on, n = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
print(f"| instructions per request (callgrind, {n} requests) | {off / n:.0f} | {on / n:.0f} | {on / off:.3f} |")
PY
fi
