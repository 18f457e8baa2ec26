#!/usr/bin/env bash
# Audio-only highlight analysis speed (issue #21): `clipforge detect --no-cache` on 30 min of
# 48 kHz stereo AAC, in x realtime and against the decode-only floor of the same file measured
# in the same run (`ffmpeg -threads 1 -i X -f null -`: one AAC decoder thread, nothing else).
# AUDIO_BENCH_BASE=/path/to/other/clipforge adds that binary's row (before/after in one run).
# Runs are interleaved and the best of AUDIO_BENCH_RUNS (default 3) is kept, so that load from
# other processes hits every row alike; CPU seconds (user + system, the least of the runs) show
# the work done whatever the load, wall seconds what two threads gain on free cores.
# Usage: bench/audio_bench.sh [BUILD_DIR]
# Settings: AUDIO_BENCH_MINUTES (default 30), AUDIO_BENCH_RUNS, AUDIO_BENCH_BASE,
#           DETECT_BENCH_DIR (where the input is kept between runs, default /tmp/cf-detect-bench).
set -euo pipefail
build=${1:-build/release}
bin="$build/clipforge"
[ -x "$bin" ] || { echo "audio_bench: no $bin (make build first)" >&2; exit 1; }
mins=${AUDIO_BENCH_MINUTES:-30}
runs=${AUDIO_BENCH_RUNS:-3}
base=${AUDIO_BENCH_BASE:-}
dir=${DETECT_BENCH_DIR:-/tmp/cf-detect-bench}
mkdir -p "$dir"
audio="$dir/audio48-${mins}min.m4a"
if [ ! -s "$audio" ]; then
  echo "generating $audio (pink noise, AAC 48 kHz stereo 128 kb/s)..." >&2
  ffmpeg -nostdin -loglevel error -y -f lavfi -i "anoisesrc=c=pink:r=48000:d=$((mins * 60))" -ac 2 \
    -c:a aac -b:a 128k "$audio.tmp.m4a"
  mv "$audio.tmp.m4a" "$audio"
fi

export CLIPFORGE_LOG_LEVEL=error
names=("ffmpeg decode-only, 1 thread" "clipforge detect ($build)")
cmds=("ffmpeg -nostdin -loglevel error -threads 1 -i $audio -f null -"
  "$bin detect --input $audio --no-cache --json")
if [ -n "$base" ]; then
  names+=("clipforge detect ($base)")
  cmds+=("$base detect --input $audio --no-cache --json")
fi
least() { awk -v d="$1" -v c="$2" 'BEGIN { if (c == "" || d < c) c = d; printf "%.3f", c }'; }
best=() cpu=()
for _ in $(seq "$runs"); do
  for i in "${!cmds[@]}"; do
    t0=$(date +%s.%N)
    /usr/bin/time -f "%U %S" -o "$dir/audio_bench.cpu" ${cmds[$i]} >/dev/null 2>&1 ||
      { echo "audio_bench: failed: ${cmds[$i]}" >&2; exit 1; }
    t1=$(date +%s.%N)
    best[$i]=$(least "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" "${best[$i]:-}")
    cpu[$i]=$(least "$(awk '{ print $1 + $2 }' "$dir/audio_bench.cpu")" "${cpu[$i]:-}")
  done
done

printf "\naudio-only highlight analysis, %s min 48 kHz stereo AAC (best of %s runs)\n" "$mins" "$runs"
printf "%-56s %8s %14s %9s %8s\n" "run" "seconds" "vs decode-only" "realtime" "CPU s"
for i in "${!cmds[@]}"; do
  awk -v n="${names[$i]}" -v t="${best[$i]}" -v d="${best[0]}" -v s=$((mins * 60)) -v c="${cpu[$i]}" \
    'BEGIN { printf "%-56s %8.2f %14.2f %8.0fx %8.2f\n", n, t, t / d, s / t, c }'
done
printf "goal: >= 1000x realtime (issue #21)\n"
