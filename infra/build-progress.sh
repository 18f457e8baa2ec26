#!/usr/bin/env bash
# Configures and builds clipforge showing one progress line instead of the compiler's log (kept
# whole in BUILD_DIR/build.log); on failure prints the errors found in it and its path.
# Usage: infra/build-progress.sh BUILD_DIR [JOBS] [CMAKE_BUILD_TYPE]
set -euo pipefail
build=${1:?usage: build-progress.sh BUILD_DIR [JOBS] [CMAKE_BUILD_TYPE]}
jobs=${2:-$(nproc)}
type=${3:-RelWithDebInfo}
root=$(cd "$(dirname "$0")/.." && pwd)
mkdir -p "$build"
log="$build/build.log"
: >"$log"

fail() {
  [ -t 1 ] && printf '\n'
  echo "build failed ($1); the errors:" >&2
  grep -E -m 20 'error|Error [0-9]|undefined reference|CMake Error' "$log" >&2 || tail -n 30 "$log" >&2
  echo "full log: $log" >&2
  exit 1
}

printf '== building clipforge (%s, %s jobs; log in %s)\n' "$type" "$jobs" "$log"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE="$type" -DCF_TESTS=OFF >>"$log" 2>&1 || fail "configure"
start=$SECONDS
last_shown=-1
# cmake --build prints "[ 42%] Building C object .../file.c.o" lines; show the latest as one line.
set +e
cmake --build "$build" -j"$jobs" 2>&1 | tee -a "$log" | while IFS= read -r line; do
  case "$line" in
    \[*%\]*)
      pct=${line#[}; pct=${pct%%%]*}; pct=${pct// /}
      what=${line#*] }
      what=${what##*/}; what=${what%.o}
      case "$line" in *"Building the web UI"*) what="web UI (Vite)" ;; esac
      if [ -t 1 ]; then
        printf '\r  %3s%%  %-48.48s %4ss' "$pct" "$what" "$((SECONDS - start))"
      elif [ $((pct / 10)) -ne "$last_shown" ]; then
        last_shown=$((pct / 10))
        printf '  %3s%%  %s\n' "$pct" "$what"
      fi
      ;;
  esac
done
status=${PIPESTATUS[0]}
set -e
[ "$status" -eq 0 ] || fail "exit $status"
[ -t 1 ] && printf '\r  100%%  %-48s %4ss\n' "done" "$((SECONDS - start))"
[ -t 1 ] || printf '  done in %ss\n' "$((SECONDS - start))"
if grep -q "web UI not built" "$log"; then
  grep -m 1 "web UI not built" "$log"
fi
