#!/usr/bin/env bash
# The remote engine's cost: the same highlight_detection job run in process and through
# `clipforge ai serve` (media read over HTTP ranges from a signed URL), side by side in one run,
# best of REMOTE_BENCH_RUNS (3) each, cold (features decoded) and warm (features stored); prints
# the ratio remote / in-process. Input: a generated 1080p30 H.264 + AAC file of
# REMOTE_BENCH_SECONDS (60) seconds, kept in REMOTE_BENCH_DIR (/tmp/cf-remote-bench).
# Usage: bench/remote_bench.sh [BUILD_DIR]
set -euo pipefail
build=${1:-build/release}
bin="$build/clipforge"
[ -x "$bin" ] || { echo "remote_bench: no $bin (make build first)" >&2; exit 1; }
secs=${REMOTE_BENCH_SECONDS:-60}
dir=${REMOTE_BENCH_DIR:-/tmp/cf-remote-bench}
mkdir -p "$dir"
media="$dir/video-1080p30-${secs}s.mp4"
if [ ! -s "$media" ]; then
  echo "generating $media ..." >&2
  ffmpeg -nostdin -loglevel error -y -f lavfi -i "testsrc2=s=1920x1080:r=30,noise=alls=6:allf=t" \
    -f lavfi -i "anoisesrc=c=pink:a=0.05:r=48000,aformat=channel_layouts=stereo" -t "$secs" \
    -c:v libx264 -preset veryfast -crf 23 -pix_fmt yuv420p -c:a aac -b:a 128k "$media.tmp.mp4"
  mv "$media.tmp.mp4" "$media"
fi
python3 "$(dirname "$0")/remote_bench.py" "$bin" "$media" --runs "${REMOTE_BENCH_RUNS:-3}"
