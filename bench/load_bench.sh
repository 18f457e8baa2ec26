#!/usr/bin/env bash
# load_bench.sh BUILD_DIR — `clipforge serve` under hostile load (bench/load_bench.py): 2,000 SSE
# subscribers, 200 slow clients (a byte a second), a flood of noop job submissions, with API keys
# on. The flooding tenant may have LOAD_QUOTA (2,000) jobs queued or running
# (CLIPFORGE_QUOTA_CONCURRENT_JOBS; 0 = no limit): past it submissions are refused with 429, so
# the backlog is bounded. Goals: GET /v1/jobs/{id} p99 under 50 ms meanwhile, no accepted job lost
# (each succeeds, and the two subscribers that parse every event see it complete: they may lag
# behind the flood, and are given LOAD_CATCHUP_S (120) after the backlog is done to catch up; how
# long they took is reported), the server's open files and memory bounded (sampled every 0.5 s:
# the highest figures are reported), the CPU time of the thread that writes the streams, how many
# times the store's events were read (the events_after count of /metrics, read with an operator
# key) and the bytes the server and its stream thread read through read(2) (rchar: SQLite's pages).
set -euo pipefail
build=${1:-build/release}
bin=$(cd "$build" && pwd)/clipforge
here=$(cd "$(dirname "$0")" && pwd)
DUR=${BENCH_SECONDS:-20}
work=$(mktemp -d "${TMPDIR:-/tmp}/cfload-XXXXXX")
pid=""
cleanup() { [ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
# 2,200 client sockets here and as many on the server's side: raise the soft limit to the hard one.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
[ "$(ulimit -n)" -ge 5000 ] || { echo "load_bench: needs 5000 open files (ulimit -n is $(ulimit -n))" >&2; exit 1; }
key=$("$bin" keys create --data-dir "$work/data" --tenant load --role editor | tail -1)
operator=$("$bin" keys create --data-dir "$work/data" --tenant default --role admin | tail -1)
P=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
CLIPFORGE_AUTH=on CLIPFORGE_NOOP_JOBS=1 CLIPFORGE_LOG_LEVEL=warn CLIPFORGE_QUOTA_CONCURRENT_JOBS=${LOAD_QUOTA:-2000} \
  "$bin" serve --listen "127.0.0.1:$P" --data-dir "$work/data" --workers 2 2>>"$work/serve.log" &
pid=$!
for _ in $(seq 1 200); do curl -sf "http://127.0.0.1:$P/healthz" >/dev/null && break; sleep 0.05; done
(
  maxfd=0 maxrss=0
  while kill -0 "$pid" 2>/dev/null; do
    fd=$(ls /proc/"$pid"/fd 2>/dev/null | wc -l)
    rss=$(awk '/^VmRSS/ {print $2}' /proc/"$pid"/status 2>/dev/null || echo 0)
    [ "$fd" -gt "$maxfd" ] && maxfd=$fd
    [ "${rss:-0}" -gt "$maxrss" ] && maxrss=$rss
    for t in /proc/"$pid"/task/*; do # utime + stime of cf-streams, in clock ticks; bytes it read
      if [ "$(cat "$t/comm" 2>/dev/null)" = cf-streams ]; then
        streams_cpu=$(awk '{print $14 + $15}' "$t/stat" 2>/dev/null)
        streams_read=$(awk '/^rchar/ {print $2}' "$t/io" 2>/dev/null)
      fi
    done
    read_all=$(awk '/^rchar/ {print $2}' /proc/"$pid"/io 2>/dev/null)
    echo "$maxfd $maxrss ${streams_cpu:-0} ${streams_read:-0} ${read_all:-0}" >"$work/peak"
    sleep 0.5
  done
) &
export LOAD_DONE="$work/flood-checked"
run() { python3 "$here/load_bench.py" "http://127.0.0.1:$P" "$key" "$DUR" "$1" >"$work/$1.json"; }
run subs &
subs=$!
sleep 4 # the subscribers are in before the flood starts
run slow & slow=$!
run probe & probe=$!
run flood
wait "$slow" "$probe" "$subs"
store_reads=$( { curl -sf -H "Authorization: Bearer $operator" "http://127.0.0.1:$P/metrics" || true; } |
  awk '/^clipforge_store_operation_duration_seconds_count\{op="events_after"/ {n += $NF} END {print n + 0}')
sleep 1 # the sampler's last figures
python3 - "$work" >"$work/result.json" <<'PY'
import json, sys
r = {}
for role in ("subs", "slow", "flood", "probe"):
    r.update(json.load(open(f"{sys.argv[1]}/{role}.json")))
r["unseen_by_subscriber"] = len(set(r["accepted"]) - set(r.pop("completed_seen")))
r["accepted"] = len(r["accepted"])
print(json.dumps(r))
PY
read -r maxfd maxrss streams_cpu streams_read read_all <"$work/peak"
python3 - "$work/result.json" "$maxfd" "$maxrss" "$streams_cpu" "$(getconf CLK_TCK)" "$store_reads" \
  "$streams_read" "$read_all" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); fd, rss = int(sys.argv[2]), int(sys.argv[3])
streams_cpu = int(sys.argv[4]) / int(sys.argv[5])
store_reads, streams_read, read_all = int(sys.argv[6]), int(sys.argv[7]), int(sys.argv[8])
lag = r["subscribers_caught_up_s"]
rows = [
    ("SSE subscribers connected", f"{r['subscribers_connected']} of 2000 ({r['drained_mib']} MiB of events read)",
     r["subscribers_connected"] == 2000),
    ("slow clients holding a socket", f"{r['slow_clients']} of 200", r["slow_clients"] == 200),
    ("jobs accepted during the flood", f"{r['accepted']} ({r['refused_429']} refused over the quota,"
     f" {r['refused'] - r['refused_429']} otherwise; backlog done {r['drained_s']} s after)",
     r["accepted"] > 0 and r["refused"] == r["refused_429"]),
    ("accepted jobs lost", str(r["lost"]), r["lost"] == 0),
    ("completions two subscribers missed", f"{r['unseen_by_subscriber']} (all seen "
     + (f"{lag} s after the backlog was done)" if lag is not None else "not within the bound)"),
     r["unseen_by_subscriber"] == 0),
    ("GET /v1/jobs/{id} p50 / p99 (ms)", f"{r['get_p50_ms']} / {r['get_p99_ms']} ({r['gets']} GETs)",
     r["get_p99_ms"] is not None and r["get_p99_ms"] < 50),
    ("server's open files at most", str(fd), fd < 2200 + 200 + 100),
    ("server's RSS at most (MiB)", f"{rss / 1024:.0f}", rss < 512 * 1024),
    ("CPU of the stream thread (cf-streams, s)", f"{streams_cpu:.1f}", True),
    ("store reads of events (events_after)", str(store_reads), True),
    ("bytes read by the server / its stream thread (rchar, MiB)",
     f"{read_all / 2**20:.0f} / {streams_read / 2**20:.0f}", True),
]
print("| under load | measured | goal met |\n|---|---|---|")
for name, v, ok in rows:
    print(f"| {name} | {v} | {'yes' if ok else 'NO'} |")
sys.exit(0 if all(ok for *_, ok in rows) else 1)
PY
