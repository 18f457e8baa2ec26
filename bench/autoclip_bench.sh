#!/usr/bin/env bash
# Autoclip end to end against the floor of its work: the wall time of `clipforge autoclip` on a
# 1080p talk-show sample -> 3 vertical shorts (1080x1920, shorts-blur, captions when the build
# transcribes), as a ratio to what the ffmpeg CLI needs to decode the input once plus encode
# equivalent outputs (each span scaled to 1080x1920, libx264 veryfast crf 23 + AAC, as the
# renderer encodes), measured in the same run, each side the best of BENCH_REPEAT runs. Prints
# the per-stage breakdown of the best autoclip run from its manifest (each stage's own start and
# time; transcription is outside the floor). Runs the default mode (only the shorts' stretches
# transcribed, after detection) and the whole-input mode (CLIPFORGE_AUTOCLIP_TRANSCRIBE_ALL=1,
# transcription beside the features) in turn and reports both.
# Usage: bench/autoclip_bench.sh BUILD_DIR   (BENCH_MINUTES=10, BENCH_COUNT=3, BENCH_REPEAT=2)
set -euo pipefail
build=${1:-build/release}
minutes=${BENCH_MINUTES:-10}
count=${BENCH_COUNT:-3}
repeat=${BENCH_REPEAT:-2}
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
elapsed() { local a b; a=$(now); "$@"; b=$(now); python3 -c "print($b - $a)"; }
best() { sort -g | head -1; }

autoclip_once() { # mode run -> its manifest in $work/out-<mode>-<run>; mode all = the whole input transcribed
  CLIPFORGE_FEATURE_CACHE_DIR=off CLIPFORGE_AUTOCLIP_TRANSCRIBE_ALL=$([ "$1" = all ] && echo 1 || echo 0) \
    "$bin" autoclip --input "$input" --output-dir "$work/out-$1-$2" --count "$count" \
    >"$work/autoclip.txt" 2>"$work/autoclip.err"
}
decode_once() { ffmpeg -nostdin -v error -i "$input" -f null -; }
encode_once() { # the shorts of the best run's manifest, as the renderer encodes them
  while read -r s e; do
    ffmpeg -nostdin -v error -y -ss "$(python3 -c "print($s/1000)")" -t "$(python3 -c "print(($e-$s)/1000)")" -i "$input" \
      -vf "scale=1080:1920,fps=30" -c:v libx264 -preset veryfast -crf 23 -pix_fmt yuv420p -c:a aac -b:a 128k \
      "$work/peer-$s.mp4"
  done <"$work/spans.txt"
}

# the two transcription modes in turn, so that both meet the same load
: >"$work/clips.txt"
: >"$work/all.txt"
for r in $(seq 1 "$repeat"); do
  for mode in clips all; do
    secs=$(elapsed autoclip_once "$mode" "$r")
    [ -s "$work/out-$mode-$r/manifest.json" ] || { cat "$work/autoclip.err" >&2; exit 1; }
    echo "$secs $r" >>"$work/$mode.txt"
  done
done
read -r ours run < <(sort -g "$work/clips.txt" | head -1)
read -r whole wrun < <(sort -g "$work/all.txt" | head -1)
manifest=$work/out-clips-$run/manifest.json
python3 -c 'import json,sys; [print(c["start_ms"], c["end_ms"]) for c in json.load(open(sys.argv[1]))["clips"] if c["status"]=="succeeded"]' \
  "$manifest" >"$work/spans.txt"
dec=$(for _ in $(seq 1 "$repeat"); do elapsed decode_once; done | best)
enc=$(for _ in $(seq 1 "$repeat"); do elapsed encode_once; done | best)

python3 - "$manifest" "$ours" "$dec" "$enc" "$repeat" "$(cut -d' ' -f1 "$work/clips.txt" | tr '\n' ' ')" \
  "$work/out-all-$wrun/manifest.json" "$whole" "$(cut -d' ' -f1 "$work/all.txt" | tr '\n' ' ')" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
ours, dec, enc = map(float, sys.argv[2:5])
whole_m, whole = json.load(open(sys.argv[7])), float(sys.argv[8])
print("autoclip: %d of %d shorts, captions %s (%s); best of %s runs (all: %s s)" % (m["succeeded"], len(m["clips"]),
      "on" if m["captions"] else "off", "; ".join(m["notes"]) or "transcribed", sys.argv[5], sys.argv[6].strip()))
print("%-44s %9.1f s" % ("clipforge autoclip (wall)", ours))
print("%-44s %9.1f s   (runs: %s s)" % ("  the same, whole input transcribed", whole, sys.argv[9].strip()))
print("%-44s %9.1f s" % ("ffmpeg decode of the input", dec))
print("%-44s %9.1f s" % ("ffmpeg encode of %d shorts" % m["succeeded"], enc))
print("%-44s %9.2f" % ("ratio autoclip / (decode + encode)", ours / (dec + enc)))
print("%-44s %9.2f" % ("  the same, whole input transcribed", whole / (dec + enc)))
same = [(c["start_ms"], c["end_ms"]) for c in m["clips"]] == [(c["start_ms"], c["end_ms"]) for c in whole_m["clips"]]
print("spans of the two modes: %s" % ("identical" if same else "differ: %s vs %s" % (
    [(c["start_ms"], c["end_ms"]) for c in m["clips"]], [(c["start_ms"], c["end_ms"]) for c in whole_m["clips"]])))
for name, man in (("shorts' stretches", m), ("whole input", whole_m)):
    print("per stage, %s (each its own time; detect's twice when it runs again with words):" % name)
    for s in man["stages"]:
        print("  %-11s %-9s start %7.1f s  took %7.1f s  %s" % (s["name"], s["status"], s["started_ms"] / 1e3,
              s["elapsed_ms"] / 1e3, s.get("note", "")))
PY
