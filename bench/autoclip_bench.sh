#!/usr/bin/env bash
# Autoclip end to end against the floor of its work: the wall time of `clipforge autoclip` on a
# 1080p talk-show sample -> 3 vertical shorts (1080x1920, shorts-blur, captions when the build
# transcribes), as a ratio to what the ffmpeg CLI needs to decode the input once plus encode
# equivalent outputs (each span scaled to 1080x1920, libx264 veryfast crf 23 + AAC, as the
# renderer encodes), measured in the same run. Prints the per-stage breakdown from the manifest.
# Usage: bench/autoclip_bench.sh BUILD_DIR   (BENCH_MINUTES=10 by default; BENCH_COUNT=3)
set -euo pipefail
build=${1:-build/release}
minutes=${BENCH_MINUTES:-10}
count=${BENCH_COUNT:-3}
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$build/clipforge
[ -x "$bin" ] || { echo "missing $bin (build first)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cache=$root/out/bench
mkdir -p "$cache"
# make-sample.sh makes 6.5 segments: SEG = seconds / 6.5
seg=$((minutes * 60 * 2 / 13))
input=$cache/talkshow-${minutes}min-1080p.mp4
if [ ! -s "$input" ]; then
  echo "making a ${minutes}-minute 1080p sample (once, kept in out/bench)"
  "$root/infra/make-sample.sh" "$input" "$seg" 1920x1080 >/dev/null
fi
now() { date +%s.%N; }

echo "input: $input ($(ffprobe -v error -show_entries format=duration -of csv=p=0 "$input") s, 1920x1080)"
t0=$(now)
CLIPFORGE_FEATURE_CACHE_DIR=off "$bin" autoclip --input "$input" --output-dir "$work/out" --count "$count" \
  >"$work/autoclip.txt" 2>"$work/autoclip.err" || { cat "$work/autoclip.err" >&2; exit 1; }
t1=$(now)

t2=$(now)
ffmpeg -nostdin -v error -i "$input" -f null - 
t3=$(now)
python3 -c 'import json,sys; [print(c["start_ms"], c["end_ms"]) for c in json.load(open(sys.argv[1]))["clips"] if c["status"]=="succeeded"]' \
  "$work/out/manifest.json" >"$work/spans.txt"
t4=$(now)
while read -r s e; do
  ffmpeg -nostdin -v error -y -ss "$(python3 -c "print($s/1000)")" -t "$(python3 -c "print(($e-$s)/1000)")" -i "$input" \
    -vf "scale=1080:1920,fps=30" -c:v libx264 -preset veryfast -crf 23 -pix_fmt yuv420p -c:a aac -b:a 128k \
    "$work/peer-$s.mp4"
done <"$work/spans.txt"
t5=$(now)

python3 - "$work/out/manifest.json" "$t0" "$t1" "$t2" "$t3" "$t4" "$t5" "$minutes" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
t0, t1, t2, t3, t4, t5 = map(float, sys.argv[2:8])
ours, dec, enc = t1 - t0, t3 - t2, t5 - t4
print("autoclip: %d of %d shorts, captions %s (%s)" % (m["succeeded"], len(m["clips"]),
      "on" if m["captions"] else "off", "; ".join(m["notes"]) or "transcribed"))
print("%-34s %9.1f s" % ("clipforge autoclip (wall)", ours))
print("%-34s %9.1f s" % ("ffmpeg decode of the input", dec))
print("%-34s %9.1f s" % ("ffmpeg encode of %d shorts" % len(m["clips"]), enc))
print("%-34s %9.2f" % ("ratio autoclip / (decode + encode)", ours / (dec + enc)))
print("per stage (transcribe and features run in parallel):")
for s in m["stages"]:
    print("  %-11s %-9s start %7.1f s  took %7.1f s" % (s["name"], s["status"], s["started_ms"] / 1e3, s["elapsed_ms"] / 1e3))
PY
