#!/usr/bin/env bash
# Jump cuts of `clipforge clip` on espeak-ng speech made here (a few seconds at 320x180, 30 fps).
# Usage: clip_jump.sh CLIPFORGE SOURCE_DIR WORKDIR CASE; CASE is
#   silence  --remove-silence on three sentences with planted 1.5 s pauses over a 60 Hz mains hum:
#            the clip is shorter by at least 80 % of the pauses between the sentences, no removed
#            range touches a sentence, each sentence sounds in the clip as in the source, sound and
#            pictures end within a frame of each other, and no joint clicks (the hum's largest
#            sample step near each joint is no larger than its own steps elsewhere).
#   fillers  --remove-fillers with the transcript given (--transcript): "um" and "uh" spoken
#            between words are removed whole, the words around them are not touched.
#   heard    --remove-fillers=monday without a transcript: the clip is transcribed on the fly
#            and the chosen word goes.
set -euo pipefail
bin=$1 src=$2 work=$3 case_name=$4
fail() { echo "FAIL: $*" >&2; exit 1; }
check() { echo "check: $*"; }
for t in espeak-ng sox soxi ffmpeg ffprobe; do command -v $t >/dev/null || { echo "no $t"; exit 77; }; done
rm -rf "$work"
mkdir -p "$work/tmp"
export TMPDIR=$work/tmp
cd "$work"

# speak LINES_FILE LEAD GAP HUM: speech.wav (see make_speech.sh) muxed under test pictures into
# talk.mp4; HUM > 0 mixes a 60 Hz tone of HUM / 8 amplitude under it.
speak() {
  bash "$src/tests/transcribe/make_speech.sh" m "$1" "$2" "$3" >/dev/null
  local d; d=$(soxi -D m/speech.wav)
  ffmpeg -v error -f lavfi -i "testsrc2=s=320x180:r=30:d=$d" -i m/speech.wav -f lavfi -i "sine=f=60:r=16000:d=$d" \
    -filter_complex "[2:a]volume=$4[h];[1:a][h]amix=inputs=2:normalize=0:duration=first[a]" -map 0:v -map "[a]" \
    -c:v libx264 -preset ultrafast -g 30 -c:a aac -b:a 128k -shortest -y talk.mp4
}
dur() { ffprobe -v error -select_streams "$2" -show_entries stream=duration -of default=nw=1:nk=1 "$1" | head -n1; }
clip() {
  "$bin" clip --input talk.mp4 --output cut.mp4 --json "$@" >result.json 2>stderr.txt || { cat stderr.txt; fail "clip exited $?"; }
  ! grep -qE "AddressSanitizer|LeakSanitizer|runtime error:" stderr.txt || { cat stderr.txt; fail "sanitizer report"; }
  ffmpeg -v error -i cut.mp4 -f null - 2>decode.txt
  [ ! -s decode.txt ] || { cat decode.txt; fail "the clip does not decode cleanly"; }
}

# report DROP: the figures every case checks against the reference (make_speech.sh); DROP lists words that
# must go (one per line of the reference that is a filler), the rest from the files here.
report() {
  python3 - m/reference.txt "$1" "$(dur talk.mp4 v:0)" "$(dur cut.mp4 v:0)" "$(dur cut.mp4 a:0)" <<'PY'
import json, sys
ref = [(int(a), int(b), t) for a, b, t in (l.split(None, 2) for l in open(sys.argv[1]))]
drop = set(sys.argv[2].split(",")) if sys.argv[2] else set()
src_ms, video_ms, audio_ms = (float(x) * 1000 for x in sys.argv[3:6])
removed = json.load(open("result.json")).get("removed_ranges", [])
def fail(msg): sys.exit("FAIL: " + msg)
cut = sum(r["end_ms"] - r["start_ms"] for r in removed)
print("check: %d ranges removed (%d ms); source %.0f ms, clip video %.0f ms, audio %.0f ms" % (len(removed), cut, src_ms, video_ms, audio_ms))
if abs(video_ms - audio_ms) > 1000 / 30: fail("video %.0f ms vs audio %.0f ms: out of sync" % (video_ms, audio_ms))
if abs(src_ms - cut - video_ms) > 1000 / 30: fail("the clip lasts %.0f ms, not the source less the removed ranges" % video_ms)
for a, b, t in ref:
    hit = [r for r in removed if r["start_ms"] < b and r["end_ms"] > a]
    if t.strip() in drop:
        if not any(r["start_ms"] <= a + 40 and r["end_ms"] >= b - 40 for r in removed): fail("'%s' (%d..%d) stays" % (t.strip(), a, b))
    elif hit: fail("removed %s cuts into '%s' (%d..%d)" % (hit, t.strip(), a, b))
PY
}

# every_sentence_kept: each sentence of the reference, with 100 ms around it (the cut keeps more
# than that beside speech), sounds in the clip as in the source: aligned within 3 ms of where
# the removed ranges put it, and in every 20 ms of it with sound the difference is under half the
# source's (the codec's own is a few per cent; a word cut into or faded leaves all of it). The
# waveform, not a recogniser: a recogniser's words turn on noise far below a codec's.
every_sentence_kept() {
  for f in talk cut; do ffmpeg -nostdin -v error -y -i $f.mp4 -map 0:a -ac 1 -ar 16000 -f f32le $f.f32; done
  python3 - m/reference.txt <<'PY'
import array, json, math, sys
def load(name):
    a = array.array("f")
    a.frombytes(open(name + ".f32", "rb").read())
    return a
src, cut = load("talk"), load("cut")
removed = json.load(open("result.json")).get("removed_ranges", [])
def rms(v): return math.sqrt(sum(s * s for s in v) / len(v)) if len(v) else 0.0
def diff(x, y): return rms([p - q for p, q in zip(x, y)])
worst_all = 0.0
for line in open(sys.argv[1]):
    a, b, text = line.split(None, 2)
    a, b = int(a) - 100, int(b) + 100
    shift = sum(r["end_ms"] - r["start_ms"] for r in removed if r["end_ms"] <= a + 100)
    x, at = src[a * 16:b * 16], (a - shift) * 16
    # aligned on the sentence's first 0.25 s of speech (from 100 ms in)
    k = min(range(-48, 49), key=lambda k: diff(x[1600:5600], cut[at + k + 1600:at + k + 5600]))
    y = cut[at + k:at + k + len(x)]
    if len(y) < len(x) - 320: sys.exit("FAIL: '%s' runs past the clip's end" % text.strip())
    level = rms(x)
    frames = [(x[i:i + 320], y[i:i + 320]) for i in range(0, len(y) - 319, 320)]
    worst = max(diff(p, q) / rms(p) for p, q in frames if rms(p) > 0.1 * level)
    print("check: '%s' at %+.2f ms of its place, worst 20 ms difference %.3f of the source's" % (text.strip(), k / 16, worst))
    worst_all = max(worst_all, worst)
if worst_all > 0.5: sys.exit("FAIL: a sentence's sound changed by the cut")
PY
}

case "$case_name" in
silence)
  printf '%s\n' "the river runs past the old mill" "we walked home before the rain came" \
    "the market opens early on monday" >lines.txt
  speak lines.txt 0.4 1.5 0.4
  clip --remove-silence
  report ""
  python3 - m/reference.txt "$(dur cut.mp4 v:0)" <<'PY'
import json, sys
ref = [tuple(map(int, l.split()[:2])) for l in open(sys.argv[1])]
pauses = sum(ref[i + 1][0] - ref[i][1] for i in range(len(ref) - 1))
removed = json.load(open("result.json"))["removed_ranges"]
inner = sum(max(0, min(r["end_ms"], ref[-1][0]) - max(r["start_ms"], ref[0][1])) for r in removed)
print("check: %d of %d ms of pauses between the sentences removed (%.0f%%)" % (inner, pauses, 100.0 * inner / pauses))
if inner < 0.8 * pauses: sys.exit("FAIL: less than 80%% of the pauses removed")
PY
  ffmpeg -v error -i cut.mp4 -ac 1 -ar 48000 -f f32le a.raw
  python3 - <<'PY'
import array, json, sys
a = array.array("f"); a.frombytes(open("a.raw", "rb").read())
d = [abs(a[i] - a[i - 1]) for i in range(1, len(a))]
removed, joints, at = json.load(open("result.json"))["removed_ranges"], [], 0
kept_from = 0
for r in removed:  # the joints on the clip's timeline: where each removed range was
    at += r["start_ms"] - kept_from
    kept_from = r["end_ms"]
    if at > 0: joints.append(at * 48)
far = max(d[2400:14400])  # the hum alone in the lead (0.05 .. 0.3 s)
near = max(max(d[j - 480:j + 480]) for j in joints if j + 480 < len(d))
print("check: largest sample step within 10 ms of the %d joints %.4f, of the hum alone %.4f" % (len(joints), near, far))
sys.exit(0 if near < 1.5 * far else "FAIL: a click at a joint")
PY
  every_sentence_kept
  ;;
fillers)
  printf '%s\n' "the river runs past" "um" "the old mill" "we walked home" "uh" "before the rain came" >lines.txt
  speak lines.txt 0.3 0.25 0
  python3 "$src/tests/transcribe/reference_transcript.py" m/reference.txt >transcript.json
  clip --remove-fillers --transcript transcript.json
  report "um,uh"
  ;;
heard)
  printf '%s\n' "we walked home before the rain came" "the market opens early on monday" >lines.txt
  speak lines.txt 0.3 0.5 0
  clip --remove-fillers=monday
  python3 - m/reference.txt <<'PY'
import json, sys
ref = [tuple(map(int, l.split()[:2])) for l in open(sys.argv[1])]
removed = json.load(open("result.json"))["removed_ranges"]
print("check: removed %s; the last sentence %d..%d" % (removed, ref[-1][0], ref[-1][1]))
a, b = ref[-1]
if not any(r["start_ms"] > a + (b - a) * 0.5 and r["end_ms"] >= b - 40 and r["end_ms"] - r["start_ms"] >= 250 for r in removed):
    sys.exit("FAIL: 'monday' was not removed")
if any(r["start_ms"] < b and r["end_ms"] > ref[0][0] and r["end_ms"] <= a for r in removed):
    sys.exit("FAIL: a word other than 'monday' was removed")
PY
  ;;
*) fail "unknown case $case_name" ;;
esac
[ -z "$(ls -A "$TMPDIR")" ] || { ls -la "$TMPDIR"; fail "temp files left in $TMPDIR"; }
echo PASS
