#!/usr/bin/env bash
# serve_bench.sh BUILD_DIR — `clipforge serve` against a minimal FastAPI + Celery + Redis peer
# (bench/peers/fastapi_celery) in the same run, on loopback with wrk:
#   GET /v1/jobs/{id} and POST /v1/jobs: requests/s and p99 latency (2 threads, 50 connections,
#   best of BENCH_RUNS runs: the highest requests/s and the lowest p99), enqueue -> start
#   latency (median and p95 of 40 jobs submitted one by one to idle workers), idle RSS of every
#   process.
# During the wrk runs neither side executes jobs: clipforge runs with --no-workers (a
# submission commits job + event + outbox row in one SQLite transaction), the peer without its
# Celery worker (a submission writes a Redis hash and publishes the Celery message).
# Ratios > 1 favour clipforge. Both sides get 2 HTTP workers and 2 job workers (2 cores here).
set -euo pipefail
build=${1:-build/release}
bin=$(cd "$build" && pwd)/clipforge
here=$(cd "$(dirname "$0")" && pwd)
peer=$here/peers/fastapi_celery
PY=/usr/bin/python3   # Debian's python, where python3-fastapi/uvicorn/celery live
DUR=${BENCH_SECONDS:-8}
RUNS=${BENCH_RUNS:-3}
work=$(mktemp -d "${TMPDIR:-/tmp}/cfbench-XXXXXX")
pids=()

cleanup() {
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { for _ in $(seq 1 200); do curl -s -o /dev/null "$1" && return 0; sleep 0.05; done; echo "no answer from $1" >&2; exit 1; }
stop_pid() { kill -TERM "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }
# rss_tree PID — resident KiB of a process and its descendants.
rss_tree() {
  local total=0 p
  for p in $1 $(pgrep -P "$1" || true); do
    total=$((total + $(awk '/^VmRSS/ {print $2}' "/proc/$p/status" 2>/dev/null || echo 0)))
  done
  echo "$total"
}
# wrk_run URL [wrk args] — RUNS wrk runs; prints "RPS P99_MS" (best of each).
wrk_run() {
  local url=$1; shift
  for i in $(seq 1 "$RUNS"); do
    wrk -t2 -c50 -d"${DUR}s" --latency "$@" "$url" >"$work/wrk.$i.out"
  done
  $PY - "$work"/wrk.*.out <<'PY'
import re, sys
rps, p99 = [], []
for f in sys.argv[1:]:
    t = open(f).read()
    rps.append(float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1)))
    m = re.search(r"99%\s+([\d.]+)(us|ms|s)", t)
    p99.append(float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)])
    errs = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
    if errs: print(f"warning: {errs.group(1)} non-2xx responses", file=sys.stderr)
print(f"runs: requests/s {rps}, p99 ms {p99}", file=sys.stderr)
print(f"{max(rps):.0f} {min(p99):.2f}")
PY
  rm -f "$work"/wrk.*.out
}

ffmpeg -loglevel error -f lavfi -i testsrc2=size=160x120:rate=25 -t 1 -c:v libx264 -preset ultrafast "$work/src.mp4"

echo "# clipforge serve ($bin)"
export CLIPFORGE_LOG_LEVEL=warn CLIPFORGE_HTTP_THREADS=2
P=$(port); B="http://127.0.0.1:$P"
"$bin" serve --listen "127.0.0.1:$P" --data-dir "$work/cf" --no-workers 2>>"$work/cf.log" &
cf=$!; pids+=("$cf"); wait_http "$B/healthz"
media=$(curl -sf -X POST -H 'Content-Type: video/mp4' --data-binary @"$work/src.mp4" "$B/v1/media" | $PY -c 'import json,sys; print(json.load(sys.stdin)["id"])')
export BENCH_BODY="{\"kind\":\"clip_processing\",\"request\":{\"clip_id\":\"c\",\"source_uri\":\"media://$media\",\"operations\":[{\"op\":\"trim\",\"start_ms\":0,\"end_ms\":500}]}}"
job=$(curl -sf -X POST -H 'Content-Type: application/json' -d "$BENCH_BODY" "$B/v1/jobs" | $PY -c 'import json,sys; print(json.load(sys.stdin)["id"])')
# POST first: the GETs then read from a store that holds the tens of thousands of jobs it made
r=$(wrk_run "$B/v1/jobs" -s "$peer/submit.lua"); read -r cf_post_rps cf_post_p99 <<<"$r"
r=$(wrk_run "$B/v1/jobs/$job"); read -r cf_get_rps cf_get_p99 <<<"$r"
stop_pid "$cf"

# Idle RSS and enqueue -> start with 2 workers, on a fresh data dir.
P=$(port); B="http://127.0.0.1:$P"
"$bin" serve --listen "127.0.0.1:$P" --data-dir "$work/cf2" --workers 2 2>>"$work/cf.log" &
cf=$!; pids+=("$cf"); wait_http "$B/healthz"
sleep 1
cf_rss=$(rss_tree "$cf")
media=$(curl -sf -X POST -H 'Content-Type: video/mp4' --data-binary @"$work/src.mp4" "$B/v1/media" | $PY -c 'import json,sys; print(json.load(sys.stdin)["id"])')
body="{\"kind\":\"clip_processing\",\"request\":{\"clip_id\":\"c\",\"source_uri\":\"media://$media\",\"operations\":[{\"op\":\"trim\",\"start_ms\":0,\"end_ms\":500}]}}"
cf_lat=$($PY - "$B" "$body" <<'PY'
import json, sys, time, urllib.request
base, body = sys.argv[1], sys.argv[2].encode()
ids = []
for _ in range(40):
    r = urllib.request.Request(base + "/v1/jobs", data=body, method="POST",
                               headers={"Content-Type": "application/json"})
    ids.append(json.load(urllib.request.urlopen(r))["id"])
    time.sleep(0.1)
time.sleep(1)
lat = []
for i in ids:
    # the "at" of JobRequested and of the first JobProgressed (the lease) of the job
    with urllib.request.urlopen(f"{base}/v1/events?job_id={i}", timeout=1) as s:
        at = {}
        try:
            for line in s:
                if line.startswith(b"data: "):
                    e = json.loads(line[6:])
                    at.setdefault(e["type"], e["at"])
                    if "JobProgressed" in at: break
        except Exception: pass
    from datetime import datetime
    t = lambda x: datetime.strptime(x, "%Y-%m-%dT%H:%M:%S.%fZ").timestamp() * 1000
    lat.append(t(at["JobProgressed"]) - t(at["JobRequested"]))
lat.sort()
print(f"{lat[len(lat)//2]:.1f} {lat[int(len(lat)*0.95)-1]:.1f}")
PY
)
stop_pid "$cf"

echo "# peer: FastAPI + Celery + Redis"
RP=$(port)
export PEER_REDIS_URL="redis://127.0.0.1:$RP/0"
redis-server --port "$RP" --bind 127.0.0.1 --save '' --appendonly no --daemonize no >"$work/redis.log" 2>&1 &
rs=$!; pids+=("$rs")
for _ in $(seq 1 100); do redis-cli -p "$RP" ping >/dev/null 2>&1 && break; sleep 0.05; done
P=$(port); B="http://127.0.0.1:$P"
(cd "$peer" && exec $PY -m uvicorn app:app --host 127.0.0.1 --port "$P" --workers 2 --log-level warning) 2>>"$work/peer.log" &
uv=$!; pids+=("$uv"); wait_http "$B/v1/jobs/none"
pjob=$(curl -sf -X POST -H 'Content-Type: application/json' -d "$BENCH_BODY" "$B/v1/jobs" | $PY -c 'import json,sys; print(json.load(sys.stdin)["id"])')
r=$(wrk_run "$B/v1/jobs" -s "$peer/submit.lua"); read -r pe_post_rps pe_post_p99 <<<"$r"
r=$(wrk_run "$B/v1/jobs/$pjob"); read -r pe_get_rps pe_get_p99 <<<"$r"
redis-cli -p "$RP" flushall >/dev/null
(cd "$peer" && exec $PY -m celery -A tasks worker --concurrency 2 --loglevel warning) >>"$work/peer.log" 2>&1 &
cw=$!; pids+=("$cw")
for _ in $(seq 1 200); do (cd "$peer" && $PY -m celery -A tasks inspect ping >/dev/null 2>&1) && break; sleep 0.2; done
sleep 1
pe_rss=$(( $(rss_tree "$uv") + $(rss_tree "$cw") + $(rss_tree "$rs") ))
pe_lat=$($PY - "$B" <<'PY'
import json, sys, time, urllib.request
base = sys.argv[1]
body = json.dumps({"kind": "clip_processing", "request": {"clip_id": "c", "source_uri": "media://x"}}).encode()
ids = []
for _ in range(40):
    r = urllib.request.Request(base + "/v1/jobs", data=body, method="POST",
                               headers={"Content-Type": "application/json"})
    ids.append(json.load(urllib.request.urlopen(r))["id"])
    time.sleep(0.1)
time.sleep(1)
lat = []
for i in ids:
    j = json.load(urllib.request.urlopen(f"{base}/v1/jobs/{i}"))
    lat.append(j["started_at"] - j["created_at"])
lat.sort()
print(f"{lat[len(lat)//2]:.1f} {lat[int(len(lat)*0.95)-1]:.1f}")
PY
)

read -r cf_lat50 cf_lat95 <<<"$cf_lat"
read -r pe_lat50 pe_lat95 <<<"$pe_lat"
$PY - <<PY
rows = [
  ("GET /v1/jobs/{id} requests/s", $cf_get_rps, $pe_get_rps, True),
  ("GET /v1/jobs/{id} p99 ms", $cf_get_p99, $pe_get_p99, False),
  ("POST /v1/jobs requests/s", $cf_post_rps, $pe_post_rps, True),
  ("POST /v1/jobs p99 ms", $cf_post_p99, $pe_post_p99, False),
  ("enqueue->start median ms", $cf_lat50, $pe_lat50, False),
  ("enqueue->start p95 ms", $cf_lat95, $pe_lat95, False),
  ("idle RSS MiB (all processes)", $cf_rss / 1024, $pe_rss / 1024, False),
]
print(f"best of $RUNS wrk runs of ${DUR} s each")
print(f"{'metric':34} {'clipforge':>10} {'peer':>10} {'ratio':>7}")
for name, cf, pe, higher in rows:
    ratio = (cf / pe if higher else pe / cf) if cf and pe else float("nan")
    print(f"{name:34} {cf:10.1f} {pe:10.1f} {ratio:7.2f}")
print("ratio > 1: clipforge better (throughput: clipforge/peer; latency and memory: peer/clipforge)")
PY
