#!/usr/bin/env bash
# Runs every benchmark (bench/*_bench.sh) against the release build in $1 and prints their tables.
# Each benchmark reports ratios against peers measured in the same run.
set -euo pipefail
build=${1:-build/release}
here=$(cd "$(dirname "$0")" && pwd)
status=0
for b in "$here"/*_bench.sh; do
  [ -e "$b" ] || continue
  echo "== $(basename "$b" .sh)"
  bash "$b" "$build" || { echo "benchmark $(basename "$b") failed" >&2; status=1; }
done
exit $status
