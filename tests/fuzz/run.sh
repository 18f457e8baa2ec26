#!/usr/bin/env bash
# Runs every libFuzzer harness of BUILD_DIR/fuzz for a bounded time, seeded from the committed
# corpus (tests/fuzz/corpus/<name>, read-only: new inputs go to a scratch corpus under
# BUILD_DIR). Crashes land in BUILD_DIR/fuzz-artifacts/. Exits non-zero when any harness fails.
# Usage: tests/fuzz/run.sh BUILD_DIR [SECONDS_PER_HARNESS]   (CF_FUZZ_SECONDS also works)
set -euo pipefail
build="${1:?usage: $0 BUILD_DIR [SECONDS]}"
seconds="${2:-${CF_FUZZ_SECONDS:-60}}"
here="$(cd "$(dirname "$0")" && pwd)"
harnesses=("$build"/fuzz/fuzz_*)
if [ ! -x "${harnesses[0]}" ]; then
  echo "no harnesses in $build/fuzz (configure with CC=clang -DCF_FUZZ=ON)" >&2
  exit 2
fi
mkdir -p "$build/fuzz-artifacts"
status=0
for h in "${harnesses[@]}"; do
  name="$(basename "$h")"; name="${name#fuzz_}"
  work="$build/fuzz-corpus/$name"
  mkdir -p "$work"
  echo "== fuzz $name for ${seconds}s (seeds: $here/corpus/$name)"
  dict="$here/$name.dict"   # a harness's own dictionary when it has one
  [ -f "$dict" ] || dict="$here/json.dict"
  if "$h" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=1024 -max_len=8192 \
       -dict="$dict" -artifact_prefix="$build/fuzz-artifacts/$name-" \
       -print_final_stats=1 "$work" "$here/corpus/$name" 2>"$build/fuzz-$name.log"; then
    grep -E "stat::number_of_executed_units|stat::peak_rss_mb" "$build/fuzz-$name.log" || true
    echo "== $name: no failure ($(ls "$work" | wc -l) new corpus entries)"
  else
    status=1
    tail -40 "$build/fuzz-$name.log" >&2
    echo "== $name: FAILED (log $build/fuzz-$name.log, inputs in $build/fuzz-artifacts/)" >&2
  fi
done
exit $status
