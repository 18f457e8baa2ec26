#!/usr/bin/env bash
# Span lengths and boundaries of `clipforge detect` on espeak-ng speech (eight sentences with
# 0.7 s between them, made here, about 25 s at 160x90): with --min-length 4 --max-length 9
# --target-length 6 every span lasts 4..9 s, no edge falls inside a word, and each span's
# boundary_reasons (in --json and in the table) say why; with the transcript the edges are
# sentence starts and ends in the gaps between sentences, without it silences in those gaps.
# Usage: detect_lengths.sh CLIPFORGE SOURCE_DIR
set -euo pipefail
bin=$1 src=$2
fail() { echo "FAIL: $*" >&2; exit 1; }
for t in espeak-ng sox soxi ffmpeg; do command -v $t >/dev/null || { echo "no $t"; exit 77; }; done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export CLIPFORGE_FEATURE_CACHE_DIR="$work/cache" CLIPFORGE_DATA_DIR="$work/data" TMPDIR="$work"
cd "$work"

printf '%s\n' "the river runs past the old mill" "we walked home before the rain came" \
  "she painted the door a bright green" "the market opens early on monday" \
  "a small boat drifted across the lake" "the children laughed at the clown" \
  "he fixed the fence after lunch" "the train was late again today" >lines.txt
bash "$src/tests/transcribe/make_speech.sh" m lines.txt 0.5 0.7 >/dev/null
d=$(soxi -D m/speech.wav)
ffmpeg -v error -f lavfi -i "testsrc2=s=160x90:r=25:d=$d" -i m/speech.wav -c:v libx264 -preset ultrafast \
  -c:a aac -shortest -y talk.mp4
python3 "$src/tests/transcribe/reference_transcript.py" m/reference.txt >words.json
limits=(--min-length 4 --max-length 9 --target-length 6 --min-score 0 --top 3)
"$bin" detect --input talk.mp4 --transcript words.json "${limits[@]}" --json >with.json
"$bin" detect --input talk.mp4 "${limits[@]}" --json >without.json
"$bin" detect --input talk.mp4 --transcript words.json "${limits[@]}" >table.txt
grep -q "edges: sentence_start, sentence_end" table.txt || { cat table.txt; fail "the table does not show the edges' reasons"; }

python3 - m/reference.txt words.json with.json without.json <<'PY'
import json, sys
ref = [tuple(map(int, l.split()[:2])) for l in open(sys.argv[1])]
words = [w for s in json.load(open(sys.argv[2]))["segments"] for w in s["words"]]
def fail(msg): sys.exit("FAIL: " + msg)
def in_gap(ms):  # between two sentences (or before the first / after the last), 100 ms slack
    bounds = [0] + [x for a, b in ref for x in (a, b)] + [10 ** 9]
    return any(bounds[i] - 100 <= ms <= bounds[i + 1] + 100 for i in range(0, len(bounds), 2))
for name, path, start_ok, end_ok in (
        ("with the transcript", sys.argv[3], {"sentence_start", "media_start"}, {"sentence_end", "media_end"}),
        ("without it", sys.argv[4], {"silence", "media_start"}, {"silence", "media_end"})):
    spans = json.load(open(path))["highlights"]
    if not spans: fail("%s: no span" % name)
    for h in spans:
        a, b, why = h["start_ms"], h["end_ms"], h.get("boundary_reasons")
        print("check: %s: %d..%d (%.1f s) %s" % (name, a, b, (b - a) / 1000, why))
        if not 4000 <= b - a <= 9000: fail("%s: span of %d ms is outside 4..9 s" % (name, b - a))
        if not why: fail("%s: no boundary_reasons" % name)
        if why["start"] not in start_ok or why["end"] not in end_ok: fail("%s: reasons %s" % (name, why))
        for e in (a, b):
            inside = [w for w in words if w["start_ms"] < e < w["end_ms"]]
            if inside: fail("%s: edge %d inside %s" % (name, e, inside))
            if not in_gap(e): fail("%s: edge %d is inside a sentence" % (name, e))
PY
echo PASS
