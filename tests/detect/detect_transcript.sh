#!/usr/bin/env bash
# `clipforge detect --transcript` end to end on a generated lecture (slow speech over slides)
# with a planted emphatic passage and the SRT of what is said: the transcript lifts the
# passage's score and its reasons quote the lecture profile's keywords; no span starts or ends
# inside a word of the transcript; the same SRT as the video's own subtitle stream weighs in
# the same without --transcript; a transcript that cannot be read is a usage error.
set -euo pipefail
bin=${1:?clipforge binary}
src=${2:?source dir}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export CLIPFORGE_FEATURE_CACHE_DIR="$work/cache" CLIPFORGE_DATA_DIR="$work/data"
fail() { echo "FAIL: $*" >&2; exit 1; }

echo "== generating a 100 s lecture with a planted emphatic passage and its SRT"
python3 "$src/apps/ai/experiments/make_planted.py" --out "$work/l.mp4" --duration 100 --seed 7 \
  --size 160x90 --spans 1 --kinds emphatic --calm lecture --srt
"$bin" transcribe --input "$work/l.mp4.srt" --output "$work/words.json" >/dev/null

"$bin" detect --input "$work/l.mp4" --profile lecture --json >"$work/plain.json"
"$bin" detect --input "$work/l.mp4" --profile lecture --json --transcript "$work/l.mp4.srt" >"$work/with.json"
python3 - "$work/plain.json" "$work/with.json" "$work/l.mp4.labels.json" "$work/words.json" <<'PY'
import json, sys
plain, with_, labels, words = (json.load(open(p)) for p in sys.argv[1:5])
truth = labels["spans"][0]
words = [w for s in words["segments"] for w in s["words"]]
def iou(a, b):
    inter = max(0, min(a["end_ms"], b["end_ms"]) - max(a["start_ms"], b["start_ms"]))
    return inter / (max(a["end_ms"], b["end_ms"]) - min(a["start_ms"], b["start_ms"]))
def best(r):
    h = max(r["highlights"], key=lambda h: iou(h, truth), default=None)
    assert h and iou(h, truth) >= 0.5, ("planted passage missed", truth, r["highlights"])
    return h
a, b = best(plain), best(with_)
print("  planted %.1f-%.1f s; without transcript %.1f-%.1f score %.2f; with %.1f-%.1f score %.2f" % (
    truth["start_ms"] / 1e3, truth["end_ms"] / 1e3, a["start_ms"] / 1e3, a["end_ms"] / 1e3, a["score"],
    b["start_ms"] / 1e3, b["end_ms"] / 1e3, b["score"]))
print("  reasons with the transcript: %s" % "; ".join(b["reasons"]))
assert b["score"] >= a["score"] + 0.1, "the transcript did not lift the emphatic passage"
assert any(r.startswith('said "') for r in b["reasons"]), b["reasons"]
for h in with_["highlights"]:
    for edge in (h["start_ms"], h["end_ms"]):
        inside = [w for w in words if w["start_ms"] < edge < w["end_ms"]]
        assert not inside, ("span edge inside a word", edge, inside)
print("  %d span edges, none inside a word" % (2 * len(with_["highlights"])))
PY

echo "== the same words as the video's own subtitle stream weigh in without --transcript"
ffmpeg -loglevel error -y -i "$work/l.mp4" -i "$work/l.mp4.srt" -map 0 -map 1 -c copy -c:s srt \
  -metadata:s:s:0 language=eng "$work/l.mkv"
"$bin" detect --input "$work/l.mkv" --profile lecture --json >"$work/subs.json"
"$bin" detect --input "$work/l.mkv" --profile lecture --json --no-subtitles >"$work/nosubs.json"
python3 - "$work/with.json" "$work/subs.json" "$work/plain.json" "$work/nosubs.json" <<'PY'
import json, sys
with_, subs, plain, nosubs = (json.load(open(p)) for p in sys.argv[1:5])
spans = lambda r: [(h["start_ms"], h["end_ms"], round(h["score"], 2)) for h in r["highlights"]]
print("  --transcript %s; its subtitle stream %s" % (spans(with_), spans(subs)))
assert spans(subs) == spans(with_), "the subtitles did not weigh in as the transcript does"
assert any(n.startswith("speech from the media's subtitle stream 2 (subrip, eng)") for n in subs["notes"]), subs["notes"]
assert spans(nosubs) == spans(plain), "--no-subtitles still read them"
assert not any(n.startswith("speech from") for n in nosubs["notes"]), nosubs["notes"]
PY

echo "== a transcript that cannot be read is a usage error"
set +e; "$bin" detect --input "$work/l.mp4" --transcript "$work/none.srt" >/dev/null 2>"$work/e.txt"; rc=$?; set -e
[ "$rc" -eq 2 ] || fail "missing transcript: exit $rc: $(cat "$work/e.txt")"
printf '1\n00:00:05,000 --> 00:00:01,000\nbackwards\n' >"$work/bad.srt"
set +e; "$bin" detect --input "$work/l.mp4" --transcript "$work/bad.srt" >/dev/null 2>"$work/e.txt"; rc=$?; set -e
[ "$rc" -eq 2 ] || fail "malformed transcript: exit $rc: $(cat "$work/e.txt")"
grep -q "transcript_uri" "$work/e.txt" || fail "error does not name the transcript: $(cat "$work/e.txt")"
echo "  $(head -1 "$work/e.txt")"
echo "PASS detect_transcript"
