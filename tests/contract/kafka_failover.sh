#!/usr/bin/env bash
# The Kafka bus across processes, on a 3-broker mock cluster: a worker process that may hold 40
# unfinished messages (max_inflight) takes 40 of 48 and no more, and is killed with -9; its
# partitions go to two other workers, which deliver those 40 again (deliveries > 1); then a broker
# is taken down while 40 more are published and consumed, and brought back. Every message
# arrives; each job's first deliveries keep the order they were published in. Usage: kafka_failover.sh CF_BUS_TOOL CF_KAFKA_MOCK
set -euo pipefail
tool=$1
export CF_KAFKA_MOCK=$2
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../../infra/local-stack/services.sh"
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  stop_services
}
trap cleanup EXIT
start_kafka
out="$CF_SERVICES_DIR/out"
mkdir -p "$out"
# A long ack timeout: what the dead worker held comes back through the rebalance, not a timer.
url="$CF_KAFKA_URL?prefix=failover&ack_timeout_ms=60000&session_timeout_ms=4000"
t0=$SECONDS

lines() { if [ -f "$1" ]; then wc -l <"$1"; else echo 0; fi; }
wait_lines() { # FILE COUNT SECONDS
  local end=$((SECONDS + $3))
  while [ "$(lines "$1")" -lt "$2" ]; do
    [ $SECONDS -lt $end ] || { echo "FAIL: $1 has $(lines "$1") lines, wanted $2" >&2; return 1; }
    sleep 0.2
  done
}
seen_seqs() { cat "$out"/a "$out"/b 2>/dev/null | awk '{print $1}' | sort -un | wc -l; }

"$tool" subscribe "$url" jobs workers
echo "# a worker takes 40 of 48 messages of 8 jobs (its bound) and is killed -9 before acknowledging any"
"$tool" consume "$url&max_inflight=40" jobs workers hold >"$out/held" 2>"$out/held.err" &
holder=$!
pids+=($holder)
"$tool" publish "$url" jobs 8 0 48
wait_lines "$out/held" 40 30
sleep 1
[ "$(lines "$out/held")" = 40 ] || { echo "FAIL: the worker took $(lines "$out/held") messages, bound 40" >&2; exit 1; }
kill -9 $holder
wait $holder 2>/dev/null || true
echo "#   killed after $((SECONDS - t0)) s"

echo "# two workers take over; a broker goes down while 40 more are published"
"$tool" consume "$url" jobs workers >"$out/a" 2>"$out/a.err" &
pids+=($!)
"$tool" consume "$url" jobs workers >"$out/b" 2>"$out/b.err" &
pids+=($!)
"$tool" publish "$url" jobs 8 48 20
kafka_broker down 2
sleep 1.5
"$tool" publish "$url" jobs 8 68 20 &
publisher=$!
sleep 1.5
kafka_broker up 2
wait $publisher
end=$((SECONDS + 60))
while [ "$(seen_seqs)" -lt 88 ]; do
  [ $SECONDS -lt $end ] || break
  sleep 0.2
done
echo "#   $(seen_seqs) of 88 messages after $((SECONDS - t0)) s"
for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
status=0
for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || status=$?; done
pids=()
[ "$status" -eq 0 ] || [ "$status" -eq 137 ] || { echo "FAIL: a worker exited with $status" >&2; cat "$out"/*.err >&2; exit 1; }

python3 - "$out" <<'EOF'
import sys, collections
out = sys.argv[1]
rows = []  # (seq, deliveries, job, worker)
for w in ("a", "b"):
    for line in open(f"{out}/{w}"):
        seq, deliveries, job = line.split()
        rows.append((int(seq), int(deliveries), job, w))
seqs = {r[0] for r in rows}
held = {int(line.split()[0]) for line in open(f"{out}/held")}
missing = sorted(set(range(88)) - seqs)
assert not missing, f"never delivered: {missing}"
# The dead worker's 40 come back as redeliveries, counted from its delivery; the rest are new.
first_of = {}  # the smallest delivery count each message was seen with
for seq, deliveries, job, w in rows:
    first_of[seq] = min(deliveries, first_of.get(seq, deliveries))
again = [s for s in held if first_of[s] < 2]
assert len(held) == 40 and not again, f"held by the dead worker, but delivered as new: {again}"
assert all(first_of[s] == 1 for s in seqs - held), "a message nobody held was delivered as a redelivery"
# Within each worker, a job's new messages (first deliveries) come in publication order.
for w in ("a", "b"):
    per_job = collections.defaultdict(list)
    for seq, deliveries, job, who in rows:
        if who == w and deliveries == 1:
            per_job[job].append(seq)
    for job, order in per_job.items():
        assert order == sorted(order), f"worker {w}, {job}: out of order {order}"
print(f"kafka failover: {len(seqs)} messages, {len(rows)} deliveries "
      f"({sum(1 for r in rows if r[1] > 1)} redeliveries)")
EOF
echo "# done in $((SECONDS - t0)) s"
