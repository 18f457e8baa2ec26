#!/usr/bin/env bash
# Distributed throughput: jobs/s and enqueue->start latency (p50, p99) of a light job with 1 and
# 2 worker processes (one thread each) on Redis Streams and on NATS JetStream, the store on
# PostgreSQL, storage a shared directory (file://). Peer in the same run: Celery (Debian's
# python3-celery, default settings: prefork pool, early acks) on the same Redis with 1 and 2
# worker processes of concurrency 1, running the same
# light task through the ffmpeg CLI, and both with jobs that do nothing (clipforge's noop kind,
# Celery's no-op task): what the queue alone costs. The light task: a stream-copy trim (0-0.5 s) of a 1 s
# 64x64 clip into an output file. Last, enqueue->start with idle workers: 40 no-op jobs submitted
# one at a time, 50 ms apart (goal: p99 <= 10 ms). Usage: bench/scale_bench.sh BUILD_DIR [JOBS]
# Then the queue alone without the submitter: BACKLOG (SCALE_BACKLOG, default 1000) no-op jobs
# queued before the workers start, jobs/s over first start to last finish.
# SCALE_ROWS (default "clip noop backlog spaced") picks the kinds of rows, SCALE_WORKERS (default "1 2")
# the worker counts; SCALE_ROUNDS (default 1) runs each row that many times and keeps the best.
set -euo pipefail
build=${1:-build/release}
N=${2:-200}
SPACED=40
BACKLOG=${SCALE_BACKLOG:-1000}
here=$(cd "$(dirname "$0")" && pwd)
CLIPFORGE="$build/clipforge"
[ -x "$CLIPFORGE" ] || { echo "missing $CLIPFORGE (make build)" >&2; exit 1; }
# Debian's python3 carries python3-celery; another python3 earlier on PATH would not.
PY=/usr/bin/python3
$PY -c 'import celery, redis' 2>/dev/null || { echo "python3-celery/python3-redis missing (infra/deps.sh bench)" >&2; exit 1; }
source "$here/../infra/local-stack/services.sh"
WORK="$CF_SERVICES_DIR/bench"
mkdir -p "$WORK"
PIDS=()
stop_procs() {
  local pid
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  PIDS=()
}
trap 'stop_procs; stop_services' EXIT

start_postgres
start_redis
start_nats
ffmpeg -loglevel error -y -f lavfi -i testsrc2=size=64x64:rate=25 -f lavfi -i sine=frequency=440 \
  -t 1 -c:v libx264 -preset ultrafast -g 25 -c:a aac "$WORK/src.mp4"
export CLIPFORGE_LOG_LEVEL=warn CLIPFORGE_SIGNING_KEY=bench CLIPFORGE_THREADS=1 CLIPFORGE_NOOP_JOBS=1

# Prints "jobs/s p50_ms p99_ms" from a JSON list of [enqueued_ms, started_ms, finished_ms]; with
# BACKLOG_RATE=1 jobs/s is the drain rate: jobs over first start to last finish.
summarize() {
  python3 -c '
import json, os, sys
rows = json.load(sys.stdin)
lat = sorted(s - e for e, s, f in rows)
first = min(s if os.environ.get("BACKLOG_RATE") == "1" else e for e, s, f in rows)
span = max(1, max(f for e, s, f in rows) - first) / 1000.0
pick = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
print("%.1f %d %d" % (len(rows) / span, pick(0.50), pick(0.99)))'
}

# clipforge_run BUS_URL WORKERS TAG [noop|noop-spaced] — one API node and WORKERS single-thread
# worker processes running the light job, or jobs of the noop kind (what the queue alone costs):
# N at once, or (noop-spaced) SPACED of them one at a time, 50 ms apart, to idle workers, or
# (noop-backlog) BACKLOG of them queued (and on the bus) before the workers start.
clipforge_run() {
  local bus=$1 workers=$2 tag=$3_r${ROUND:-0} kind=${4:-clip} count=$N
  [ "$kind" = noop-spaced ] && count=$SPACED
  [ "$kind" = noop-backlog ] && count=$BACKLOG
  local port; port=$(free_port)
  local base="http://127.0.0.1:$port"
  export CLIPFORGE_STORE_URL="$CF_PG_URL?schema=bench_$tag" CLIPFORGE_BUS_URL="$bus"
  export CLIPFORGE_STORAGE_URL="file://$WORK/storage_$tag"
  "$CLIPFORGE" serve --no-workers --listen "127.0.0.1:$port" --data-dir "$WORK/api_$tag" \
    >>"$WORK/api_$tag.log" 2>&1 &
  PIDS+=($!)
  start_workers() {
    for w in $(seq 1 "$workers"); do
      "$CLIPFORGE" worker --workers 1 --data-dir "$WORK/w${w}_$tag" >>"$WORK/w_$tag.log" 2>&1 &
      PIDS+=($!)
    done
  }
  [ "$kind" = noop-backlog ] || start_workers
  wait_until 200 curl -sf "$base/healthz"
  local media=- # only the light task reads a source
  [ "$kind" = clip ] && media=$(curl -sf -X POST -H 'Content-Type: video/mp4' --data-binary @"$WORK/src.mp4" \
    "$base/v1/media" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  python3 - "$base" "$media" "$count" "$kind" <<'PY'
import json, sys, time, urllib.request
from concurrent.futures import ThreadPoolExecutor
base, media, n, kind = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
body = json.dumps({"kind": "clip_processing", "request": {"clip_id": "c", "source_uri": "media://" + media,
    "operations": [{"op": "trim", "start_ms": 0, "end_ms": 500, "mode": "copy"}]}} if kind == "clip"
    else {"kind": "noop", "request": {}}).encode()
def submit(_):
    req = urllib.request.Request(base + "/v1/jobs", body, {"Content-Type": "application/json"})
    return json.load(urllib.request.urlopen(req))["id"]
if kind == "noop-spaced":
    for i in range(n):
        submit(i)
        time.sleep(0.05)
elif kind == "noop-backlog":
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(submit, range(n)))
else:
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(submit, range(n)))
PY
  if [ "$kind" = noop-backlog ]; then # every job on the bus, then the workers
    local left=1 end=$((SECONDS + 120))
    while [ "$left" != 0 ] && [ $SECONDS -lt $end ]; do
      left=$(psql -At "$CF_PG_URL" -c "SELECT count(*) FROM bench_$tag.outbox WHERE topic='jobs'")
      sleep 0.2
    done
    start_workers
  fi
  # The store has the exact times (ms): created (enqueued), started (leased), finished.
  local sql="SELECT count(*) FILTER (WHERE status IN ('succeeded','failed','cancelled')),"
  sql+=" count(*) FILTER (WHERE status <> 'succeeded') FROM bench_$tag.jobs"
  local done=0 bad=0 end=$((SECONDS + 300))
  while [ $SECONDS -lt $end ]; do
    read -r done bad < <(psql -At -F ' ' "$CF_PG_URL" -c "$sql")
    [ "$done" -ge "$count" ] && break
    sleep 0.2
  done
  [ "$done" -ge "$count" ] && [ "$bad" = 0 ] || { echo "clipforge $tag: $done of $count final, $bad not succeeded" >&2; return 1; }
  psql -At "$CF_PG_URL" -c "SELECT json_agg(json_build_array(created_at, started_at, finished_at)) FROM bench_$tag.jobs"
  stop_procs
}

# celery_run WORKERS [noop] — the same light task on Celery with WORKERS worker processes;
# with noop, a task that does nothing (what the queue alone costs).
celery_run() {
  local workers=$1 task=${2:-clip} count=$N
  local db=$((workers + 1)); [ "$task" != clip ] && db=$((workers + 3))
  [ "$task" = noop-spaced ] && count=$SPACED
  [ "$task" = noop-backlog ] && count=$BACKLOG
  cat >"$WORK/cftasks.py" <<'PY'
import os, subprocess, time
from celery import Celery
app = Celery("cftasks", broker=os.environ["CF_CELERY_BROKER"], backend=os.environ["CF_CELERY_BROKER"])

@app.task
def clip(src, out, enqueued_ms):
    started = int(time.time() * 1000)
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-ss", "0", "-i", src, "-t", "0.5",
                    "-c", "copy", out], check=True)
    return [enqueued_ms, started, int(time.time() * 1000)]

@app.task
def noop(src, out, enqueued_ms):
    now = int(time.time() * 1000)
    return [enqueued_ms, now, now]
PY
  # noop-backlog: the tasks are queued before the workers start (a fresh broker db per round),
  # and the client starts them then.
  [ "$task" = noop-backlog ] && db=$((workers + 5 + 2 * ${ROUND:-0}))
  export CF_CELERY_BROKER="$CF_REDIS_URL/$db" PYTHONPATH="$WORK"
  local cmd="cd '$WORK' && exec $PY -m celery -A cftasks worker --pool prefork --concurrency 1 --loglevel WARNING"
  if [ "$task" != noop-backlog ]; then
    for w in $(seq 1 "$workers"); do
      bash -c "$cmd -n w$w@%h >>'$WORK/celery.log' 2>&1" &
      PIDS+=($!)
    done
  fi
  $PY - "$WORK" "$count" "$task" "$workers" "$cmd" <<'PY'
import json, subprocess, sys, time
sys.path.insert(0, sys.argv[1])
import cftasks
work, n, workers, cmd = sys.argv[1], int(sys.argv[2]), int(sys.argv[4]), sys.argv[5]
spaced, backlog = sys.argv[3] == "noop-spaced", sys.argv[3] == "noop-backlog"
task = getattr(cftasks, "noop" if spaced or backlog else sys.argv[3])
deadline = time.time() + 60
while not backlog and not cftasks.app.control.inspect(timeout=0.5).ping():
    if time.time() > deadline:
        sys.exit("celery workers did not start")
results = []
for i in range(n):
    results.append(task.delay(f"{work}/src.mp4", f"{work}/celery_{i}.mp4", int(time.time() * 1000)))
    if spaced:
        time.sleep(0.05)
procs = [subprocess.Popen(["bash", "-c", f"{cmd} -n b{w}@%h >>{work}/celery.log 2>&1"])
         for w in range(workers)] if backlog else []
try:
    json.dump([r.get(timeout=300) for r in results], sys.stdout)
finally:
    for p in procs:
        p.terminate()
    for p in procs:
        p.wait()
PY
  stop_procs
}

printf '%-28s %8s %10s %10s\n' "system (workers)" "jobs/s" "p50 ms" "p99 ms"
declare -A JPS
row() {
  local name=$1 stats=$2
  read -r jps p50 p99 <<<"$stats"
  JPS[$name]=$jps
  printf '%-28s %8s %10s %10s\n' "$name" "$jps" "$p50" "$p99"
}
ROWS=${SCALE_ROWS:-clip noop backlog spaced}
WORKERS=${SCALE_WORKERS:-1 2}
ROUNDS=${SCALE_ROUNDS:-1}
has() { [[ " $ROWS " == *" $1 "* ]]; }
# best STATS...: the line with the most jobs/s.
best() { printf '%s\n' "$@" | sort -k1,1 -g -r | head -1; }
# rounds CMD...: runs CMD ROUNDS times, prints the best line (the most jobs/s; for jobs spaced
# out, the lowest p99).
rounds() {
  local out=()
  local rate=0
  [[ " $* " == *" noop-backlog "* ]] && rate=1
  for ((ROUND = 0; ROUND < ROUNDS; ROUND++)); do out+=("$("$@" | BACKLOG_RATE=$rate summarize)"); done
  if [[ " $* " == *" noop-spaced "* ]]; then printf '%s\n' "${out[@]}" | sort -k3,3 -g | head -1
  else best "${out[@]}"; fi
}
for w in $WORKERS; do
  if has clip; then
  row "clipforge redis ($w)" "$(rounds clipforge_run "$CF_REDIS_URL/0?prefix=bench$w" "$w" "redis$w")"
  row "clipforge nats ($w)" "$(rounds clipforge_run "$CF_NATS_URL?prefix=bench$w" "$w" "nats$w")"
  row "celery redis ($w)" "$(rounds celery_run "$w")"
  fi
  if has noop; then
  row "clipforge redis no-op ($w)" "$(rounds clipforge_run "$CF_REDIS_URL/0?prefix=benchn$w" "$w" "noopr$w" noop)"
  row "clipforge nats no-op ($w)" "$(rounds clipforge_run "$CF_NATS_URL?prefix=benchn$w" "$w" "noopn$w" noop)"
  row "celery redis no-op ($w)" "$(rounds celery_run "$w" noop)"
  fi
  if has backlog; then
  row "clipforge redis backlog ($w)" "$(rounds clipforge_run "$CF_REDIS_URL/0?prefix=benchb$w" "$w" "backr$w" noop-backlog)"
  row "clipforge nats backlog ($w)" "$(rounds clipforge_run "$CF_NATS_URL?prefix=benchb$w" "$w" "backn$w" noop-backlog)"
  row "celery redis backlog ($w)" "$(rounds celery_run "$w" noop-backlog)"
  fi
  if has spaced; then
  row "clipforge redis spaced ($w)" "$(rounds clipforge_run "$CF_REDIS_URL/0?prefix=benchs$w" "$w" "spacedr$w" noop-spaced)"
  row "clipforge nats spaced ($w)" "$(rounds clipforge_run "$CF_NATS_URL?prefix=benchs$w" "$w" "spacedn$w" noop-spaced)"
  row "celery redis spaced ($w)" "$(rounds celery_run "$w" noop-spaced)"
  fi
done
echo
uptime
for w in $WORKERS; do
  has clip || break
  python3 -c 'import sys; r,n,c=map(float,sys.argv[2:]); print("%s workers: clipforge/celery jobs/s  redis %.2fx  nats %.2fx" % (sys.argv[1], r/c, n/c))' \
    "$w" "${JPS["clipforge redis ($w)"]}" "${JPS["clipforge nats ($w)"]}" "${JPS["celery redis ($w)"]}"
done
for w in $WORKERS; do
  has noop || break
  python3 -c 'import sys; r,n,c=map(float,sys.argv[2:]); print("%s workers: no-op jobs/s clipforge/celery  redis %.2fx  nats %.2fx (goal 10x)" % (sys.argv[1], r/c, n/c))' \
    "$w" "${JPS["clipforge redis no-op ($w)"]}" "${JPS["clipforge nats no-op ($w)"]}" "${JPS["celery redis no-op ($w)"]}"
done
for w in $WORKERS; do
  has backlog || break
  python3 -c 'import sys; r,n,c=map(float,sys.argv[2:]); print("%s workers: no-op backlog drained, jobs/s clipforge/celery  redis %.2fx  nats %.2fx (goal 10x)" % (sys.argv[1], r/c, n/c))' \
    "$w" "${JPS["clipforge redis backlog ($w)"]}" "${JPS["clipforge nats backlog ($w)"]}" "${JPS["celery redis backlog ($w)"]}"
done
