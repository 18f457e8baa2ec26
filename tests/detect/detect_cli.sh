#!/usr/bin/env bash
# `clipforge detect` end to end on a 150 s generated media with three planted highlights
# (crowd cheering, loud excited speech, a burst of fast cuts): the planted spans are found,
# boundaries snap to the scene cuts that open them, a second detection reads the cached
# features, a missing model version falls back to the heuristic engine, bad input fails cleanly.
set -euo pipefail
bin=${1:?clipforge binary}
src=${2:?source dir}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export CLIPFORGE_FEATURE_CACHE_DIR="$work/cache" CLIPFORGE_DATA_DIR="$work/data"
fail() { echo "FAIL: $*" >&2; exit 1; }

echo "== generating 150 s of media with planted highlights"
python3 "$src/apps/ai/experiments/make_planted.py" --out "$work/m.mp4" --duration 150 --seed 11 \
  --size 160x90 --spans 3 --min-gap 20 --kinds crowd,excited,action

echo "== planted spans are found (temporal IoU >= 0.5), scored 0..1, explained"
"$bin" detect --input "$work/m.mp4" --json --top 5 >"$work/r.json"
python3 - "$work/r.json" "$work/m.mp4.labels.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); truth = json.load(open(sys.argv[2]))["spans"]
assert r["engine"] == "heuristic" and r["model_version"] == "heuristic-6", r
assert r["clip_id"] == "m.mp4" and r["inference_ms"] >= 0
for k in ("mean", "max", "p90", "coverage", "candidates"):
    assert k in r["confidence_summary"], k
def iou(a, b):
    inter = max(0, min(a["end_ms"], b["end_ms"]) - max(a["start_ms"], b["start_ms"]))
    return inter / (max(a["end_ms"], b["end_ms"]) - min(a["start_ms"], b["start_ms"]))
for h in r["highlights"]:
    assert 0 <= h["score"] <= 1 and h["reasons"] and h["label"], h
snapped = 0
for t in truth:
    best = max(r["highlights"], key=lambda h: iou(h, t), default=None)
    assert best and iou(best, t) >= 0.5, ("missed", t, r["highlights"])
    print("  %-8s planted %6.1f-%6.1f found %6.1f-%6.1f IoU %.2f score %.2f %s" % (
        t["kind"], t["start_ms"] / 1e3, t["end_ms"] / 1e3, best["start_ms"] / 1e3,
        best["end_ms"] / 1e3, iou(best, t), best["score"], best["reasons"][0]))
    snapped += abs(best["start_ms"] - t["start_ms"]) <= 200
extra = len(r["highlights"]) - len(truth)
assert extra <= 1, ("false alarms", r["highlights"])
print("== boundaries snap: %d of %d starts on the planted scene cut (+-200 ms)" % (snapped, len(truth)))
assert snapped >= 2, "boundaries did not snap to the scene cuts"
PY

echo "== the same media recorded 40 dB quieter: analysed louder, saying so, the same three found"
# before, the crowd and the excited voice were silence to the analysis: only the cuts were found
ffmpeg -nostdin -v error -y -i "$work/m.mp4" -c:v copy -af volume=-40dB -c:a aac "$work/quiet.mp4"
"$bin" detect --input "$work/quiet.mp4" --json --top 5 >"$work/q.json"
python3 - "$work/q.json" "$work/m.mp4.labels.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); truth = json.load(open(sys.argv[2]))["spans"]
print("  notes:", r["notes"])
assert any("the sound is quiet" in n and "dB louder" in n for n in r["notes"]), r["notes"]
def iou(a, b):
    inter = max(0, min(a["end_ms"], b["end_ms"]) - max(a["start_ms"], b["start_ms"]))
    return inter / (max(a["end_ms"], b["end_ms"]) - min(a["start_ms"], b["start_ms"]))
for t in truth:
    best = max(r["highlights"], key=lambda h: iou(h, t), default=None)
    assert best and iou(best, t) >= 0.5, ("missed in the quiet copy", t, r["highlights"])
    print("  %-8s found %6.1f-%6.1f: %s" % (t["kind"], best["start_ms"] / 1e3, best["end_ms"] / 1e3,
                                          best["reasons"][0]))
PY

echo "== a second detection with another profile reads cached features"
"$bin" detect --input "$work/m.mp4" --profile sports >"$work/t.txt"
cat "$work/t.txt"
grep -q "features from cache" "$work/t.txt" || fail "second run decoded again"
ls "$work/cache"/*.cft >/dev/null || fail "no cache file"

echo "== a missing model version falls back to the next engine supporting the profile"
"$bin" detect --input "$work/m.mp4" --model-version v999 --json >"$work/f.json" 2>"$work/f.err"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["engine"]=="heuristic", r' "$work/f.json"
grep -q "learned: model version 'v999'" "$work/f.err" || fail "no routing note: $(cat "$work/f.err")"

echo "== an audio stream that carries no packets is analysed as silence, not a crash"
ffmpeg -v error -y -f lavfi -i testsrc=size=160x120:rate=10:d=3 -f lavfi -i sine=d=3 \
  -af atrim=end=0 -c:v mpeg4 -c:a pcm_s16le "$work/empty-audio.mkv"
"$bin" detect --input "$work/empty-audio.mkv" --no-cache --json >"$work/ea.json" ||
  fail "exit $? on an empty audio stream"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["engine"], r' "$work/ea.json"
echo "== a sound track of silence is silence, not a quiet recording to make louder"
ffmpeg -v error -y -f lavfi -i testsrc=size=160x120:rate=10:d=3 -f lavfi -i anullsrc=r=48000 -t 3 \
  -c:v mpeg4 -c:a aac "$work/silent.mp4"
"$bin" detect --input "$work/silent.mp4" --no-cache --json >"$work/si.json"
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert not any("quiet" in n for n in r["notes"]), r["notes"]' \
  "$work/si.json"

echo "== bad input fails cleanly with exit code 2"
expect_exit() { # code, what, args...
  local want=$1 what=$2; shift 2
  set +e; "$bin" detect "$@" >"$work/o.txt" 2>"$work/e.txt"; local got=$?; set -e
  [ "$got" -eq "$want" ] || fail "$what: exit $got, want $want: $(cat "$work/e.txt")"
  echo "  $what -> exit $got: $(head -1 "$work/e.txt")"
}
printf 'not a video at all\n' >"$work/junk.mp4"
expect_exit 2 "junk file" --input "$work/junk.mp4"
expect_exit 2 "missing file" --input "$work/nope.mp4"
expect_exit 2 "unknown profile" --input "$work/m.mp4" --profile opera
expect_exit 2 "bad --top" --input "$work/m.mp4" --top 0
expect_exit 2 "no --input"
expect_exit 0 "--help" --help
echo "PASS detect_cli"
