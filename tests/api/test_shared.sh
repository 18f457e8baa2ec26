#!/usr/bin/env bash
# Several processes on one data dir (one SQLite store, each with its own in-memory bus):
# - starting a process does not publish jobs whose messages a live process holds, so no job is
#   delivered twice (clipforge_bus_deliveries_total{result="dropped"} stays 0);
# - starting a process keeps the temp dirs of runs another live process is running, and
#   removes those of runs that are over;
# - jobs a process held when it was killed come back once its lease expires; its temp dirs go.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

export CLIPFORGE_LEASE_MS=6000 CLIPFORGE_RETRY_BASE_MS=100
OTHER_PID=""
trap '[ -z "$OTHER_PID" ] || kill -KILL "$OTHER_PID" 2>/dev/null || true; cleanup' EXIT

# as_a / as_b — switch which server the lib.sh helpers talk to.
save_b() { B_PID=$SERVER_PID; B_BASE=$BASE; }
save_a() { A_PID=$SERVER_PID; A_BASE=$BASE; }
as_a() { SERVER_PID=$A_PID; BASE=$A_BASE; OTHER_PID=${B_PID:-}; }
as_b() { SERVER_PID=$B_PID; BASE=$B_BASE; OTHER_PID=${A_PID:-}; }
dropped() { curl -s "$1/metrics" | sed -n 's/^clipforge_bus_deliveries_total{result="dropped"} //p'; }
leased() { curl -s "$1/metrics" | sed -n 's/^clipforge_bus_deliveries_total{result="leased"} //p'; }

make_media "$WORK/src.mp4" 20
start_server "$WORK/data" --workers 1
save_a
media=$(upload "$WORK/src.mp4")
long=$(submit_clip "$media" "$HEAVY_OPS")
check "A runs the long job" wait_status "$long" running 30
quick=()
for _ in 1 2 3; do quick+=("$(submit_clip "$media")"); done
# The run makes its temp dir a moment after it is reported running; at load 30 under ASan
# that moment has taken longer than 5 s, so wait up to 30 s.
for _ in $(seq 1 600); do [ -d "$WORK/data/work/$long-1" ] && break; sleep 0.05; done
check "the long run has its temp dir" test -d "$WORK/data/work/$long-1"

echo "# B starts on the same data dir while A runs and holds the queue"
mkdir -p "$WORK/data/work/${quick[0]}-7" "$WORK/data/work/not-a-job"
start_server "$WORK/data" --workers 1
save_b
check "B's start keeps the temp dir of A's live run" test -d "$WORK/data/work/$long-1"
check "B's start removes a temp dir of a run that is over" test ! -e "$WORK/data/work/${quick[0]}-7"
check "B's start removes what is no run's temp dir" test ! -e "$WORK/data/work/not-a-job"
as_a
for id in "$long" "${quick[@]}"; do check "$id succeeds" wait_status "$id" succeeded 120; done
sleep 0.5
da=$(dropped "$A_BASE"); db=$(dropped "$B_BASE")
total=$(($(leased "$A_BASE") + $(leased "$B_BASE")))
check "no duplicate deliveries (dropped: A $da, B $db)" test "$da/$db" = "0/0"
check "four runs in all ($total)" test "$total" = 4
for id in "$long" "${quick[@]}"; do
  req GET "/v1/jobs/$id"
  check "$id ran once" test "$(jget 'j["attempts"]')" = 1
done

echo "# B stops; A is killed with a run and two held jobs; B comes back"
as_b
stop_server
B_PID=""
as_a
long2=$(submit_clip "$media" "$HEAVY_OPS")
check "A runs the second long job" wait_status "$long2" running 30
held=()
for _ in 1 2; do held+=("$(submit_clip "$media")"); done
for _ in $(seq 1 600); do [ -d "$WORK/data/work/$long2-1" ] && break; sleep 0.05; done
kill_server
A_PID=""
OTHER_PID=""
start_server "$WORK/data" --workers 1
save_b
check "the killed run's temp dir stays while its lease lasts" test -d "$WORK/data/work/$long2-1"
for id in "$long2" "${held[@]}"; do check "$id succeeds after A's lease expired" wait_status "$id" succeeded 120; done
req GET "/v1/jobs/$long2"
check "the cut run was run again (attempts $(jget 'j["attempts"]'))" test "$(jget 'j["attempts"]')" = 2
check "the killed run's temp dir is gone" test ! -e "$WORK/data/work/$long2-1"
check "no temp files left" test -z "$(find "$WORK/data/work" -mindepth 1 | head -1)"
check "B dropped no delivery ($(dropped "$BASE"))" test "$(dropped "$BASE")" = 0

stop_server
finish
