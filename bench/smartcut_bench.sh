#!/usr/bin/env bash
# Smart cut against the other trim modes and the ffmpeg CLI, on a generated 10 min 1080p30
# H.264/AAC input with 2 s picture groups (cached in BUILD_DIR/bench-media; 60 s encoded once and
# joined ten times by stream copy):
#  (a) a 60 s cut starting and ending between keyframes: clipforge smart vs accurate (re-encode
#      of the range) vs copy, and the ffmpeg CLI re-encoding (libx264 veryfast CRF 23 + AAC) and
#      copying the same range. Goal: smart >= 8x faster than accurate. Best of 3, rounds
#      alternating the contenders.
#  (b) how the gain grows with the range's length (10, 60, 180 s; 2 s groups) and with the size
#      of the picture groups (1, 2, 5 s; 60 s ranges on 3 min inputs). One run each.
#  (c) HEVC (x265's default open picture groups, 2 s, 3 min of 720p30): a 60 s cut, smart vs
#      accurate vs the ffmpeg CLI re-encoding the range with libx265. Best of 2.
#  (d) MPEG-TS H.264 and HEVC (the 3 min inputs of (b) and (c) remuxed to TS): a 60 s cut,
#      smart (which re-encoded such sources before: accurate is what they got) vs accurate vs the
#      ffmpeg CLI re-encoding (and, for H.264, copying) the range. Best of 2.
#  (e) a phone's HEVC (the input of (c) in an hvc1 track): a 60 s cut in trim mode auto (a smart
#      cut into hvc1; before, auto re-encoded such sources to H.264: clipforge accurate) vs the
#      ffmpeg CLI re-encoding the range with libx265 and with libx264. Best of 2.
#  (f) the cut of (a) with its sound normalized (-14 LUFS) and a thumbnail: trim mode auto (a
#      smart cut, the sound measured and re-encoded, the thumbnail decoded from the result;
#      before, either re-encoded the pictures too: clipforge accurate) vs the ffmpeg CLI
#      re-encoding the range with loudnorm and writing the thumbnail in the same run. Best of 2.
# Usage: [SMARTCUT_BENCH_PARTS="a b c d e f"] bench/smartcut_bench.sh BUILD_DIR
set -euo pipefail
build=$(cd "${1:-build/release}" && pwd)
cf="$build/clipforge"
[ -x "$cf" ] || { echo "missing $cf (build first)" >&2; exit 1; }
media="$build/bench-media"
mkdir -p "$media"

# gop_source SECONDS_PER_GROUP COPIES OUT [CODEC]: 60 s of 1080p30 (720p30 for HEVC) with fixed
# groups, joined COPIES times
gop_source() {
  local g=$1 copies=$2 out=$3 codec=${4:-h264} base="$media/smart_base_g$1_${4:-h264}.mp4"
  [ -s "$out" ] && return
  local video=(-s 1920x1080 -c:v libx264 -preset veryfast -crf 23 -g $((g * 30)) -keyint_min $((g * 30)) -sc_threshold 0)
  [ "$codec" = hevc ] && video=(-s 1280x720 -c:v libx265 -preset veryfast
    -x265-params "keyint=$((g * 30)):min-keyint=$((g * 30)):scenecut=0:log-level=error")
  if [ ! -s "$base" ]; then
    echo "generating $base (60 s $codec, a keyframe every $g s)..."
    ffmpeg -nostdin -v error -y -f lavfi -i testsrc2=s=1920x1080:r=30:d=60 \
      -f lavfi -i "sine=f=330:d=60:sample_rate=48000,volume=0.2" -ac 2 "${video[@]}" \
      -pix_fmt yuv420p -c:a aac -b:a 128k -shortest "$base.part.mp4"
    mv "$base.part.mp4" "$base"
  fi
  local list="$out.txt"
  for _ in $(seq "$copies"); do echo "file '$base'"; done >"$list"
  ffmpeg -nostdin -v error -y -f concat -safe 0 -i "$list" -c copy "$out.part.mp4"
  mv "$out.part.mp4" "$out"
  rm -f "$list"
}
gop_source 2 10 "$media/smart_600s_g2.mp4"
for g in 1 2 5; do gop_source $g 3 "$media/smart_180s_g$g.mp4"; done
gop_source 2 3 "$media/smart_180s_hevc.mp4" hevc
if [ ! -s "$media/smart_180s_hvc1.mp4" ]; then
  ffmpeg -nostdin -v error -y -i "$media/smart_180s_hevc.mp4" -c copy -tag:v hvc1 "$media/smart_180s_hvc1.part.mp4"
  mv "$media/smart_180s_hvc1.part.mp4" "$media/smart_180s_hvc1.mp4"
fi
for ts in smart_180s_g2 smart_180s_hevc; do
  if [ ! -s "$media/$ts.ts" ]; then
    ffmpeg -nostdin -v error -y -i "$media/$ts.mp4" -c copy -f mpegts "$media/$ts.ts.part"
    mv "$media/$ts.ts.part" "$media/$ts.ts"
  fi
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

PYTHONPATH="$(dirname "$0")" python3 - "$cf" "$media" "$work" "${SMARTCUT_BENCH_PARTS:-a b c d e f}" <<'PY'
import json, subprocess, sys
from benchlib import run
cf, media, work = sys.argv[1:4]
parts = sys.argv[4].split()
src = media + "/smart_600s_g2.mp4"

ff = ["ffmpeg", "-nostdin", "-hide_banner", "-y"]

def ours(mode, s, e, path=src, extra=()):
    def f():
        w, c, p = run([cf, "clip", "--input", path, "--output", "%s/%s.mp4" % (work, mode),
                       "--trim", "%.3f:%.3f" % (s, e), "--trim-mode", mode, "--json", *extra])
        notes = json.loads(p.stdout).get("notes", [])
        if mode in ("smart", "auto") and not (notes and notes[0].startswith("smart cut:")):
            sys.exit("not a smart cut: %s" % notes)
        return w, c
    return f

def ffmpeg_encode(s, e, path=src, encoder="libx264", audio_filter=(), also=()):
    def f():
        w, c, _ = run(ff + ["-ss", str(s), "-to", str(e), "-i", path, "-c:v", encoder, "-preset",
                            "veryfast", "-crf", "23", *audio_filter, "-c:a", "aac", "-movflags", "+faststart",
                            work + "/ff.mp4", *also])
        return w, c
    return f

def ffmpeg_copy(s, e, path=src):
    def f():
        w, c, _ = run(ff + ["-ss", str(s), "-to", str(e), "-i", path, "-c", "copy", work + "/ffc.mp4"])
        return w, c
    return f

def best_of(contenders, rounds):
    results = {name: [] for name, _ in contenders}
    for _ in range(rounds):
        for name, f in contenders:
            results[name].append(f())
    return {name: tuple(min(x) for x in zip(*r)) for name, r in results.items()}

def ratios(best, label):
    for name, (w, c) in best.items():
        print("%-44s %9.3f %9.3f" % (name, w, c))
    sm = best["clipforge smart"]
    for name in best:
        if name != "clipforge smart":
            print("(%s) smart is %.2fx faster than %s (wall), cpu %.2fx" % (label, best[name][0] / sm[0], name,
                                                                          best[name][1] / sm[1]))

if "d" in parts:
    ts = media + "/smart_180s_g2.ts"
    best = best_of([("clipforge smart", ours("smart", 60.5, 120.7, ts)),
                    ("clipforge accurate (what TS got before)", ours("accurate", 60.5, 120.7, ts)),
                    ("ffmpeg CLI re-encode (veryfast CRF 23)", ffmpeg_encode(60.5, 120.7, ts)),
                    ("ffmpeg CLI copy", ffmpeg_copy(60.5, 120.7, ts))], 2)
    print("(d) MPEG-TS H.264 1080p30, 2 s groups, cut 60.5-120.7 s, best of 2:")
    ratios(best, "d")
    ts = media + "/smart_180s_hevc.ts"
    best = best_of([("clipforge smart", ours("smart", 60.5, 120.7, ts)),
                    ("clipforge accurate (what TS got before)", ours("accurate", 60.5, 120.7, ts)),
                    ("ffmpeg CLI re-encode (libx265 veryfast)", ffmpeg_encode(60.5, 120.7, ts, "libx265"))], 2)
    print("(d) MPEG-TS HEVC 720p30, open picture groups of 2 s, cut 60.5-120.7 s, best of 2:")
    ratios(best, "d")

if "a" in parts:
    S, E = 300.5, 360.7  # 60.2 s, both cuts between keyframes (every 2 s)
    contenders = [("clipforge smart", ours("smart", S, E)), ("clipforge accurate", ours("accurate", S, E)),
                  ("clipforge copy (keyframe-aligned start)", ours("copy", S, E)),
                  ("ffmpeg CLI re-encode (veryfast CRF 23)", ffmpeg_encode(S, E)),
                  ("ffmpeg CLI copy", ffmpeg_copy(S, E))]
    results = {name: [] for name, _ in contenders}
    for _ in range(3):
        for name, f in contenders:
            results[name].append(f())
    best = {name: tuple(min(x) for x in zip(*r)) for name, r in results.items()}
    print("smart cut benchmark: 10 min 1080p30 H.264/AAC, 2 s groups, cut %.1f-%.1f s (60.2 s), best of 3" % (S, E))
    print("%-44s %9s %9s" % ("task", "wall s", "cpu s"))
    for name, (w, c) in best.items():
        print("%-44s %9.3f %9.3f" % (name, w, c))
    sm, ac = best["clipforge smart"], best["clipforge accurate"]
    fe = best["ffmpeg CLI re-encode (veryfast CRF 23)"]
    print("(a) smart is %.1fx faster than accurate (wall; goal >= 8x), cpu %.1fx" % (ac[0] / sm[0], ac[1] / sm[1]))
    print("(a) smart is %.1fx faster than the ffmpeg CLI re-encoding the range (wall), cpu %.1fx" % (fe[0] / sm[0], fe[1] / sm[1]))

if "b" in parts:
    print("(b) gain by range length (2 s groups) and by group size (60 s ranges), one run each:")
    print("%-28s %10s %12s %8s" % ("case", "smart s", "accurate s", "gain"))
    cases = [("range 10 s", src, 300.5, 310.7), ("range 60 s", src, 300.5, 360.7), ("range 180 s", src, 300.5, 480.7)]
    cases += [("groups of %d s" % g, media + "/smart_180s_g%d.mp4" % g, 60.5, 120.7) for g in (1, 2, 5)]
    for name, path, s, e in cases:
        sw = ours("smart", s, e, path)()[0]
        aw = ours("accurate", s, e, path)()[0]
        print("%-28s %10.3f %12.3f %7.1fx" % (name, sw, aw, aw / sw))

if "c" in parts:
    hevc = media + "/smart_180s_hevc.mp4"
    contenders = [("clipforge smart", ours("smart", 60.5, 120.7, hevc)),
                  ("clipforge accurate", ours("accurate", 60.5, 120.7, hevc)),
                  ("ffmpeg CLI re-encode (libx265 veryfast)", ffmpeg_encode(60.5, 120.7, hevc, "libx265"))]
    results = {name: [] for name, _ in contenders}
    for _ in range(2):
        for name, f in contenders:
            results[name].append(f())
    best = {name: tuple(min(x) for x in zip(*r)) for name, r in results.items()}
    print("(c) HEVC 720p30, open picture groups of 2 s, cut 60.5-120.7 s, best of 2:")
    for name, (w, c) in best.items():
        print("%-44s %9.3f %9.3f" % (name, w, c))
    sm = best["clipforge smart"]
    for name in ("clipforge accurate", "ffmpeg CLI re-encode (libx265 veryfast)"):
        print("(c) smart is %.1fx faster than %s (wall), cpu %.1fx" % (best[name][0] / sm[0], name, best[name][1] / sm[1]))

if "e" in parts:
    hvc1 = media + "/smart_180s_hvc1.mp4"
    best = best_of([("clipforge smart", ours("auto", 60.5, 120.7, hvc1)),
                    ("clipforge accurate (what auto did before)", ours("accurate", 60.5, 120.7, hvc1)),
                    ("ffmpeg CLI re-encode (libx265 veryfast)", ffmpeg_encode(60.5, 120.7, hvc1, "libx265")),
                    ("ffmpeg CLI re-encode (veryfast CRF 23)", ffmpeg_encode(60.5, 120.7, hvc1))], 2)
    print("(e) a phone's HEVC (hvc1) 720p30, open picture groups of 2 s, cut 60.5-120.7 s in trim mode auto, best of 2:")
    ratios(best, "e")

if "f" in parts:
    S, E = 300.5, 360.7
    norm = ("--normalize-audio", "--thumbnail", work + "/thumb.jpg@30")
    best = best_of([("clipforge smart", ours("auto", S, E, src, norm)),
                    ("clipforge accurate (what auto did before)", ours("accurate", S, E, src, norm)),
                    ("ffmpeg CLI re-encode with loudnorm", ffmpeg_encode(
                        S, E, src, "libx264", ("-af", "loudnorm=I=-14:TP=-1"),
                        ("-map", "0:v", "-ss", "30", "-frames:v", "1", work + "/ffthumb.jpg")))], 2)
    print("(f) 10 min 1080p30 H.264/AAC, cut %.1f-%.1f s, sound normalized to -14 LUFS, a thumbnail at 30 s, "
          "trim mode auto, best of 2:" % (S, E))
    ratios(best, "f")
PY
