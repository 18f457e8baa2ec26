#!/usr/bin/env bash
# `make run`: makes a sample video (or uses INPUT), then runs clipforge on it and prints where the
# results are. Usage: infra/run-sample.sh PATH/TO/clipforge [INPUT]
set -euo pipefail
bin=${1:?usage: run-sample.sh CLIPFORGE [INPUT]}
input=${2:-}
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/out"
mkdir -p "$out"
"$root/infra/deps.sh" test >/dev/null

if [ -z "$input" ]; then
  input="$out/sample.mp4"
  if [ ! -s "$input" ]; then
    echo "== making a sample talk-show video (about 2.5 minutes)"
    "$root/infra/make-sample.sh" "$input" 20 1280x720
  fi
fi
[ -r "$input" ] || { echo "run: cannot read $input" >&2; exit 2; }

has() { "$bin" --help | grep -q "^  $1 "; }

echo "== probe $input"
"$bin" probe "$input"

if has autoclip; then
  echo "== autoclip"
  "$bin" autoclip --input "$input" --output-dir "$out/clips" --count 3
  echo "clips and manifest: $out/clips"
  exit 0
fi

span=""
if has detect; then
  echo "== detect highlights"
  "$bin" detect --input "$input" --top 3 --json >"$out/highlights.json"
  "$bin" detect --input "$input" --top 3
  span=$(python3 -c 'import json,sys; h=json.load(open(sys.argv[1]))["highlights"]; print("%g-%g" % (h[0]["start_ms"]/1000, h[0]["end_ms"]/1000) if h else "")' "$out/highlights.json")
fi
if has transcribe; then
  echo "== transcribe"
  "$bin" transcribe --input "$input" --format srt --output "$out/sample.srt"
  echo "captions: $out/sample.srt"
fi
[ -n "$span" ] || span="0-15"
if has render; then
  echo "== render the top highlight ($span) as a vertical short"
  "$bin" render --template shorts-blur --input "$input" --span "$span" --format vertical \
    --output "$out/short.mp4" --title "Highlight"
  echo "short: $out/short.mp4"
fi
if has clip; then
  echo "== clip the top highlight ($span): trim, 720p, -14 LUFS"
  "$bin" clip --input "$input" --output "$out/clip.mp4" --trim "$span" --scale 1280x-1 \
    --normalize-audio --thumbnail "$out/clip.jpg"
  echo "clip: $out/clip.mp4  thumbnail: $out/clip.jpg"
fi
