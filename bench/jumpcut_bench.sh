#!/usr/bin/env bash
# Jump cuts (`clipforge clip --remove-silence`) against the ffmpeg CLI doing the same work, on a
# generated 120 s 720p30 H.264/AAC talk: espeak-ng sentences with pauses of 0.3-2 s (cached in
# BUILD_DIR/bench-media). The peer is what silence-removal scripts run: a silencedetect pass over
# the sound, then one encode that keeps the same ranges clipforge kept (select/aselect, libx264
# veryfast CRF 23, AAC 128k, +faststart), so both write the same clip. The floor is decoding the
# input once. Best of 3, rounds alternating the contenders; CPU time (user+sys) is shown too.
# Usage: bench/jumpcut_bench.sh BUILD_DIR
set -euo pipefail
build=$(cd "${1:-build/release}" && pwd)
cf="$build/clipforge"
[ -x "$cf" ] || { echo "missing $cf (build first)" >&2; exit 1; }
for t in espeak-ng ffmpeg; do command -v $t >/dev/null || { echo "no $t" >&2; exit 1; }; done
media="$build/bench-media"
mkdir -p "$media"
src="$media/talk120_720p.mp4"
if [ ! -s "$src" ]; then
  echo "generating $src (120 s 720p30 H.264 + AAC, spoken sentences with pauses)..."
  tmp=$(mktemp -d)
  lines=("the river runs past the old mill" "we walked home before the rain came"
         "the market opens early on monday" "she read the letter twice and smiled"
         "a cold wind came down from the hills" "they painted the fence a bright shade of green")
  i=0
  : >"$tmp/list.txt"
  while [ $i -lt 40 ]; do
    espeak-ng -v en-us -s 150 -w "$tmp/s$i.wav" "${lines[$((i % ${#lines[@]}))]}"
    pause=$(awk -v i=$i 'BEGIN { print 0.3 + (i * 7 % 18) / 10 }')
    ffmpeg -nostdin -v error -y -i "$tmp/s$i.wav" -af "apad=pad_dur=$pause" -ar 48000 -ac 1 "$tmp/p$i.wav"
    echo "file '$tmp/p$i.wav'" >>"$tmp/list.txt"
    i=$((i + 1))
  done
  ffmpeg -nostdin -v error -y -f concat -safe 0 -i "$tmp/list.txt" -f lavfi -i testsrc2=s=1280x720:r=30 \
    -map 1:v -map 0:a -t 120 -c:v libx264 -preset veryfast -crf 23 -g 60 -pix_fmt yuv420p \
    -c:a aac -b:a 128k -ac 2 "$src.part.mp4"
  mv "$src.part.mp4" "$src"
  rm -rf "$tmp"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

PYTHONPATH="$(dirname "$0")" python3 - "$cf" "$src" "$work" <<'PY'
import json, sys
from benchlib import run
cf, src, work = sys.argv[1:4]
ff = ["ffmpeg", "-nostdin", "-hide_banner", "-y"]
removed = []

def ours():
    w, c, p = run([cf, "clip", "--input", src, "--output", work + "/ours.mp4", "--remove-silence", "--json"])
    removed[:] = json.loads(p.stdout).get("removed_ranges", [])
    return w, c

def peer():
    w1, c1, _ = run(ff + ["-i", src, "-map", "0:a:0", "-af", "silencedetect=n=-40dB:d=0.3", "-f", "null", "-"])
    gone = "+".join("between(t,%.3f,%.3f)" % (r["start_ms"] / 1000, r["end_ms"] / 1000) for r in removed)
    keep = "not(%s)" % gone if gone else "1"
    w2, c2, _ = run(ff + ["-i", src, "-vf", "select='%s',setpts=N/FRAME_RATE/TB" % keep,
                          "-af", "aselect='%s',asetpts=N/SR/TB" % keep, "-c:v", "libx264", "-preset",
                          "veryfast", "-crf", "23", "-pix_fmt", "yuv420p", "-c:a", "aac", "-b:a", "128k",
                          "-movflags", "+faststart", work + "/peer.mp4"])
    return w1 + w2, c1 + c2

def floor():
    w, c, _ = run(ff + ["-i", src, "-f", "null", "-"])
    return w, c

ours()  # the peer needs the ranges ours removes
results = {f: [] for f in (ours, peer, floor)}
for _ in range(3):
    for f in results:
        results[f].append(f())
o, p, fl = (tuple(min(x) for x in zip(*results[f])) for f in results)
def dur(path):
    import subprocess
    out = subprocess.run(["ffprobe", "-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", path],
                         capture_output=True, text=True).stdout
    return float(out)
cut = sum(r["end_ms"] - r["start_ms"] for r in removed) / 1000
print("jump cut benchmark: 120 s 720p30 talk, --remove-silence (%d ranges, %.1f s removed), best of 3" % (len(removed), cut))
print("%-56s %9s %9s" % ("task", "wall s", "cpu s"))
for name, (w, c) in [("clipforge clip --remove-silence", o),
                     ("ffmpeg CLI: silencedetect pass + select/aselect encode", p),
                     ("floor: ffmpeg decode-only of the input", fl)]:
    print("%-56s %9.3f %9.3f" % (name, w, c))
print("ratio clipforge / ffmpeg CLI: wall %.3f, cpu %.3f" % (o[0] / p[0], o[1] / p[1]))
print("ratio clipforge / decode-only floor: wall %.2f, cpu %.2f" % (o[0] / fl[0], o[1] / fl[1]))
print("clip lengths: clipforge %.2f s, ffmpeg CLI %.2f s" % (dur(work + "/ours.mp4"), dur(work + "/peer.mp4")))
PY
