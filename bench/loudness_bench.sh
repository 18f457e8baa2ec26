#!/usr/bin/env bash
# Loudness normalization on real sounds of Debian packages against the ffmpeg CLI's two-pass
# loudnorm (see loudness_bench.py): distance to -14 LUFS, true peaks against -1 dBTP, time.
# Usage: bench/loudness_bench.sh [BUILD_DIR]; LOUDNESS_BENCH_BASE=/other/clipforge adds a row;
# LOUDNESS_BENCH_RENDER=1 measures renders instead of clips (against the base's).
set -euo pipefail
build=$(cd "${1:-build/release}" && pwd)
[ -x "$build/clipforge" ] || { echo "loudness_bench: no $build/clipforge (build first)" >&2; exit 1; }
exec python3 "$(dirname "$0")/loudness_bench.py" "$build" ${LOUDNESS_BENCH_BASE:+--base "$LOUDNESS_BENCH_BASE"} \
  --seconds "${LOUDNESS_BENCH_SECONDS:-30}" --runs "${LOUDNESS_BENCH_RUNS:-2}" ${LOUDNESS_BENCH_RENDER:+--render}
