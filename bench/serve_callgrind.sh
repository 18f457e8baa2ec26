#!/usr/bin/env bash
# serve_callgrind.sh BUILD_DIR|BINARY... — instructions per request of `clipforge serve --no-workers`
# under callgrind, for each build given (say main's and a change's): BENCH_CG_POSTS submissions
# (POST /v1/jobs, the serve bench's body), then BENCH_CG_GETS reads of one job, each spread over
# BENCH_CG_CONNECTIONS keep-alive connections. Counted from the first request of a phase to half
# a second after its last answer (the checkpointer's work included), all threads together.
# Unlike requests/s this figure does not move with the machine's load; it does move with how
# submissions gather into group commits, which callgrind's serialised threads make smaller than
# under wrk. Optional: BENCH_CG_DIR keeps the callgrind files there for callgrind_annotate.
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 BUILD_DIR..." >&2; exit 2; }
PY=/usr/bin/python3
POSTS=${BENCH_CG_POSTS:-2000}
GETS=${BENCH_CG_GETS:-4000}
CONN=${BENCH_CG_CONNECTIONS:-8}
work=$(mktemp -d "${TMPDIR:-/tmp}/cfcg-XXXXXX")
keep=${BENCH_CG_DIR:-}
vpid=
cleanup() {
  [ -n "$vpid" ] && { kill -TERM "$vpid" 2>/dev/null || true; wait "$vpid" 2>/dev/null || true; }
  rm -rf "$work"
}
trap cleanup EXIT
port() { $PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

ffmpeg -loglevel error -f lavfi -i testsrc2=size=160x120:rate=25 -t 1 -c:v libx264 -preset ultrafast "$work/src.mp4"

# load.py PORT post|get N [JOB_ID] CONN MEDIA — N requests over CONN keep-alive connections, once
# it has read a line (after printing "go" with its connections open); prints the last job's id.
cat >"$work/load.py" <<'PY'
import http.client, json, sys, threading
port, what, n, conn = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[-2])
def call(c, method, path, body=None, ctype="application/json"):
    c.request(method, path, body=body, headers={"Content-Type": ctype} if body else {})
    r = c.getresponse()
    data = r.read()
    if r.status >= 300: raise SystemExit(f"{method} {path}: {r.status} {data[:200]!r}")
    return data
c0 = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
if what == "post":
    media = json.loads(call(c0, "POST", "/v1/media", open(sys.argv[-1], "rb").read(), "video/mp4"))["id"]
    body = json.dumps({"kind": "clip_processing", "request": {"clip_id": "c", "source_uri": f"media://{media}",
                       "operations": [{"op": "trim", "start_ms": 0, "end_ms": 500}]}}, separators=(",", ":"))
    req = lambda c: call(c, "POST", "/v1/jobs", body)
else:
    req = lambda c: call(c, "GET", f"/v1/jobs/{sys.argv[4]}")
conns = [http.client.HTTPConnection("127.0.0.1", port, timeout=600) for _ in range(conn)]
for c in conns: c.connect()
last = [None]
def run(c, k):
    for _ in range(k): last[0] = req(c)
if what == "post": call(c0, "GET", "/healthz")
print("go", flush=True); sys.stdin.readline()
ts = [threading.Thread(target=run, args=(c, n // conn + (i < n % conn))) for i, c in enumerate(conns)]
for t in ts: t.start()
for t in ts: t.join()
print(json.loads(last[0])["id"] if what == "post" else "-", flush=True)
PY
load() { $PY "$work/load.py" "$@" "$CONN" "$work/src.mp4"; }

# side BIN NAME — prints "NAME POST_INSTR GET_INSTR" per request.
side() {
  local bin=$1 name=$2 p out=$work/cg.$2
  p=$(port)
  CLIPFORGE_LOG_LEVEL=warn CLIPFORGE_HTTP_THREADS=2 valgrind --tool=callgrind --instr-atstart=no \
    --callgrind-out-file="$out" "$bin" serve --no-workers --listen "127.0.0.1:$p" \
    --data-dir "$work/data.$name" 2>>"$work/cg.log" &
  vpid=$!
  for _ in $(seq 1 600); do curl -s -o /dev/null "http://127.0.0.1:$p/healthz" && break; sleep 0.1; done
  # phase 1: submissions; the client says "go" when its connections are open
  coproc LOAD { load "$p" post "$POSTS"; }
  read -r _ <&"${LOAD[0]}"
  callgrind_control -i on "$vpid" >/dev/null 2>&1
  echo >&"${LOAD[1]}"
  local job; read -r job <&"${LOAD[0]}"
  wait "$LOAD_PID"
  sleep 0.5
  callgrind_control -i off "$vpid" >/dev/null 2>&1
  callgrind_control -d "post" "$vpid" >/dev/null 2>&1
  coproc LOAD { load "$p" get "$GETS" "$job"; }
  read -r _ <&"${LOAD[0]}"
  callgrind_control -z "$vpid" >/dev/null 2>&1
  callgrind_control -i on "$vpid" >/dev/null 2>&1
  echo >&"${LOAD[1]}"
  read -r _ <&"${LOAD[0]}"
  wait "$LOAD_PID"
  sleep 0.5
  callgrind_control -i off "$vpid" >/dev/null 2>&1
  kill -TERM "$vpid"; wait "$vpid" || true; vpid=
  local post get
  post=$(sed -n 's/^totals: //p' "$out".1 | head -n1)
  get=$(sed -n 's/^totals: //p' "$out" | head -n1)
  [ -n "$keep" ] && { mkdir -p "$keep"; cp "$out".1 "$keep/cg.$name.post"; cp "$out" "$keep/cg.$name.get"; }
  echo "$name $((post / POSTS)) $((get / GETS))"
}

echo "# instructions per request under callgrind: $POSTS POST /v1/jobs, then $GETS GET /v1/jobs/{id}, $CONN keep-alive connections"
printf '%-40s %12s %12s\n' build POST GET
i=0
for b in "$@"; do
  i=$((i + 1))
  if [ -d "$b" ]; then bin=$(cd "$b" && pwd)/clipforge; else bin=$(cd "$(dirname "$b")" && pwd)/$(basename "$b"); fi
  read -r _ post get <<<"$(side "$bin" "$i")"
  printf '%-40s %12s %12s\n' "$b" "$post" "$get"
done
