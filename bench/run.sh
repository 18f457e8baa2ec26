#!/usr/bin/env bash
# Runs every benchmark (bench/*_bench.sh) against the release build in $1 and prints their tables.
# Each benchmark reports ratios against peers measured in the same run. BENCH_ONLY=serve (a glob
# over the names before _bench.sh) runs a subset: `make bench BENCH_ONLY=serve`.
set -euo pipefail
build=${1:-build/release}
here=$(cd "$(dirname "$0")" && pwd)
status=0
for b in "$here"/${BENCH_ONLY:-*}_bench.sh; do
  [ -e "$b" ] || continue
  echo "== $(basename "$b" .sh)"
  bash "$b" "$build" || { echo "benchmark $(basename "$b") failed" >&2; status=1; }
done
exit $status
