#!/usr/bin/env bash
# Highlight detection speed: analysis time of `clipforge detect` (no cache) against decode-only
# time of the same file with the same threads (`ffmpeg -threads N -i X -f null -`), for a
# 1080p30 H.264 input, and the realtime factor on a long audio-only input; the peer is Debian's
# auto-editor analysing the same files (`auto-editor levels --edit audio|motion`), when installed.
# Usage: bench/detect_bench.sh [BUILD_DIR]
# Settings: DETECT_BENCH_SECONDS (video length, default 120; the issue's 600 takes ~5x longer),
#           DETECT_BENCH_AUDIO_MINUTES (default 60), DETECT_BENCH_THREADS (default nproc),
#           DETECT_BENCH_DIR (where inputs are kept between runs, default /tmp/cf-detect-bench),
#           DETECT_BENCH_RUNS (rounds, default 2: each round times every command once, in turn,
#           and each command keeps its best, so a burst of load on a shared machine spoils one
#           round of every command rather than all runs of one),
#           DETECT_BENCH_BASE (another build's clipforge, e.g. main's, timed beside it).
set -euo pipefail
build=${1:-build/release}
bin="$build/clipforge"
[ -x "$bin" ] || { echo "detect_bench: no $bin (make build first)" >&2; exit 1; }
secs=${DETECT_BENCH_SECONDS:-120}
amin=${DETECT_BENCH_AUDIO_MINUTES:-60}
threads=${DETECT_BENCH_THREADS:-$(nproc)}
dir=${DETECT_BENCH_DIR:-/tmp/cf-detect-bench}
runs=${DETECT_BENCH_RUNS:-2}
base=${DETECT_BENCH_BASE:-}
[ -z "$base" ] || [ -x "$base" ] || { echo "detect_bench: no $base" >&2; exit 1; }
mkdir -p "$dir"
video="$dir/video-1080p30-${secs}s.mp4"
audio="$dir/audio-${amin}min.m4a"

if [ ! -s "$video" ]; then
  echo "generating $video (1080p30 H.264 veryfast crf 23 with film grain, AAC stereo)..." >&2
  ffmpeg -nostdin -loglevel error -y -f lavfi -i "testsrc2=s=1920x1080:r=30,noise=alls=6:allf=t" \
    -f lavfi -i "anoisesrc=c=pink:a=0.05:r=48000,aformat=channel_layouts=stereo" -t "$secs" \
    -c:v libx264 -preset veryfast -crf 23 -pix_fmt yuv420p -c:a aac -b:a 128k "$video.tmp.mp4"
  mv "$video.tmp.mp4" "$video"
fi
if [ ! -s "$audio" ]; then
  echo "generating $audio (AAC 48 kHz stereo 128 kb/s)..." >&2
  ffmpeg -nostdin -loglevel error -y -f lavfi -i "anoisesrc=c=pink:a=0.1:r=48000,aformat=channel_layouts=stereo" \
    -t $((amin * 60)) -c:a aac -b:a 128k "$audio.tmp.m4a"
  mv "$audio.tmp.m4a" "$audio"
fi

# wall-clock seconds of one run of a command, "failed" when it fails
timeone() {
  local t0 t1
  t0=$(date +%s.%N)
  "$@" >/dev/null 2>&1 || { echo "detect_bench: failed: $*" >&2; echo failed; return; }
  t1=$(date +%s.%N)
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }'
}

# auto-editor caches its analysis under $TMPDIR/ae-<version>: give it a private TMPDIR, emptied
# before every run, so that each run analyses (as clipforge detect --no-cache does)
ae() {
  rm -rf "$dir/ae-tmp" && mkdir -p "$dir/ae-tmp"
  TMPDIR="$dir/ae-tmp" auto-editor "$@"
}

# the commands, by name, timed in turn in every round
names=() cmds=()
add() { names+=("$1"); cmds+=("$2"); }
add dec_v "ffmpeg -nostdin -threads $threads -i $video -f null -"
add det_v "$bin detect --input $video --no-cache --threads $threads --json"
[ -z "$base" ] || add base_v "$base detect --input $video --no-cache --threads $threads --json"
add dec_a "ffmpeg -nostdin -threads $threads -i $audio -f null -"
add det_a "$bin detect --input $audio --no-cache --threads $threads --json"
[ -z "$base" ] || add base_a "$base detect --input $audio --no-cache --threads $threads --json"
if command -v auto-editor >/dev/null; then
  add ae_a "ae levels $video --edit audio --my-ffmpeg"
  add ae_m "ae levels $video --edit motion --my-ffmpeg"
  add ae_aa "ae levels $audio --edit audio --my-ffmpeg"
fi

export CLIPFORGE_LOG_LEVEL=error
declare -A best
for name in dec_v det_v base_v dec_a det_a base_a ae_a ae_m ae_aa; do best[$name]="-"; done
for _ in $(seq "$runs"); do
  for k in "${!names[@]}"; do
    # shellcheck disable=SC2086 # the command line is split into words on purpose
    t=$(timeone ${cmds[$k]})
    b=${best[${names[$k]}]}
    best[${names[$k]}]=$(awk -v t="$t" -v b="$b" 'BEGIN { if (b !~ /^[0-9.]+$/ || (t ~ /^[0-9.]+$/ && t + 0 < b + 0)) print t; else print b }')
  done
done
dec_v=${best[dec_v]} det_v=${best[det_v]} base_v=${best[base_v]}
dec_a=${best[dec_a]} det_a=${best[det_a]} base_a=${best[base_a]}
ae_a=${best[ae_a]} ae_m=${best[ae_m]} ae_aa=${best[ae_aa]}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 > 0 && a ~ /^[0-9.]+$/) printf "%.2f", a / b; else print "-" }'; }
rtf() { awk -v d="$1" -v t="$2" 'BEGIN { if (t ~ /^[0-9.]+$/ && t > 0) printf "%.0fx", d / t; else print "-" }'; }
printf "\nhighlight detection, %s threads (best of %s rounds)\n" "$threads" "$runs"
printf "%-46s %9s %14s %10s\n" "run" "seconds" "vs decode-only" "realtime"
printf "%-46s %9s %14s %10s\n" "1080p30 H.264 ${secs}s: ffmpeg decode-only" "$dec_v" "1.00" "$(rtf "$secs" "$dec_v")"
printf "%-46s %9s %14s %10s\n" "1080p30 H.264 ${secs}s: clipforge detect" "$det_v" "$(ratio "$det_v" "$dec_v")" "$(rtf "$secs" "$det_v")"
[ -z "$base" ] || printf "%-46s %9s %14s %10s\n" "1080p30 H.264 ${secs}s: clipforge detect (base)" "$base_v" "$(ratio "$base_v" "$dec_v")" "$(rtf "$secs" "$base_v")"
printf "%-46s %9s %14s %10s\n" "1080p30 H.264 ${secs}s: auto-editor levels audio" "$ae_a" "$(ratio "$ae_a" "$dec_v")" "$(rtf "$secs" "$ae_a")"
printf "%-46s %9s %14s %10s\n" "1080p30 H.264 ${secs}s: auto-editor levels motion" "$ae_m" "$(ratio "$ae_m" "$dec_v")" "$(rtf "$secs" "$ae_m")"
printf "%-46s %9s %14s %10s\n" "audio ${amin} min: ffmpeg decode-only" "$dec_a" "1.00" "$(rtf $((amin * 60)) "$dec_a")"
printf "%-46s %9s %14s %10s\n" "audio ${amin} min: clipforge detect" "$det_a" "$(ratio "$det_a" "$dec_a")" "$(rtf $((amin * 60)) "$det_a")"
[ -z "$base" ] || printf "%-46s %9s %14s %10s\n" "audio ${amin} min: clipforge detect (base)" "$base_a" "$(ratio "$base_a" "$dec_a")" "$(rtf $((amin * 60)) "$base_a")"
printf "%-46s %9s %14s %10s\n" "audio ${amin} min: auto-editor levels audio" "$ae_aa" "$(ratio "$ae_aa" "$dec_a")" "$(rtf $((amin * 60)) "$ae_aa")"
printf "goals: detect / decode-only <= 0.5 on 1080p video (issue #21); >= 300x realtime on audio\n"
