#!/usr/bin/env bash
# `clipforge autoclip --remove-silence` on espeak-ng speech with planted 1.5 s pauses between its
# sentences (made here, ~16 s at 320x180): the short is shorter than its span by at least 80 % of
# the pauses inside it, the removed ranges are listed and lie in the pauses, sound and pictures
# end together (within a frame), and the captions' words fall inside the short.
# Usage: autoclip_silence.sh CLIPFORGE SOURCE_DIR VALIDATOR CASE; CASE is
#   cli  `clipforge autoclip --remove-silence`, its manifest valid for the C validator
#   track  the same with --no-captions: the pauses come from the feature track's silent hops
#        (hop and loudness-window granularity: at least 70 % of the pauses go)
#   job  POST /v1/jobs kind autoclip with remove_silence on `clipforge serve` (the web UI's way:
#        the cut timeline goes to a render child job), the short downloaded by its signed URL
#   bed  a rumble (brown noise, as of a crowd or an engine) goes on under the speech from the
#        second pause: the pauses before it go, but no gap between words under it is cut (a
#        pause has no words and no sound; cutting there makes the rumble jump)
set -euo pipefail
bin=$1 src=$2 validator=$3 case_name=${4:-cli}
share=0.8 flags=()
[ "$case_name" = track ] && share=0.7 flags=(--no-captions)
fail() { echo "FAIL: $*" >&2; exit 1; }
check() { echo "check: $*"; }
for t in espeak-ng sox ffmpeg ffprobe; do command -v $t >/dev/null || { echo "no $t"; exit 77; }; done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export TMPDIR=$work/tmp
mkdir -p "$TMPDIR"

printf '%s\n' "the river runs past the old mill" "we walked home before the rain came" \
  "she painted the door a bright green" "the market opens early on monday" >"$work/sentences.txt"
bash "$src/tests/transcribe/make_speech.sh" "$work/m" "$work/sentences.txt" 0.4 1.5
d=$(soxi -D "$work/m/speech.wav")
bed_ms=0
if [ "$case_name" = bed ]; then
  # the rumble starts 300 ms into the second pause and lasts to the end (the recogniser leaves
  # gaps between its words there, as it does in music or a crowd)
  bed_ms=$(awk 'NR == 2 {print $2 + 300}' "$work/m/reference.txt")
  ffmpeg -v error -i "$work/m/speech.wav" -f lavfi \
    -i "anoisesrc=c=brown:a=0.1:r=16000:d=$d" \
    -filter_complex "[1]adelay=$bed_ms,atrim=duration=$d[bed];[0][bed]amix=inputs=2:duration=first:normalize=0" \
    -y "$work/m/mixed.wav"
  mv "$work/m/mixed.wav" "$work/m/speech.wav"
fi
ffmpeg -v error -f lavfi -i "testsrc2=s=320x180:r=30:d=$d" -i "$work/m/speech.wav" -c:v libx264 -preset ultrafast \
  -g 30 -c:a aac -shortest -y "$work/talk.mp4"

if [ "$case_name" != job ]; then
  "$bin" autoclip --input "$work/talk.mp4" --output-dir "$work/out" --count 1 --min-length 12 --max-length 15.5 \
    --size 180x320 --remove-silence "${flags[@]}" --json >"$work/manifest.json" 2>"$work/stderr.txt" ||
    { cat "$work/stderr.txt"; fail "autoclip exit $?"; }
  cat "$work/stderr.txt"

  check "the manifest validates with the generated C parser"
  printf 'AutoclipResult\t%s\n' "$(python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))))' \
    "$work/manifest.json")" | "$validator" >"$work/valid.txt"
  grep -q '^ok' "$work/valid.txt" || fail "C validator: $(cat "$work/valid.txt")"

  video=$work/out/clip-01.mp4 srt=$work/out/clip-01.srt
  [ "$case_name" = track ] && srt=""
else
  CLIPFORGE=$bin
  # shellcheck source=../api/lib.sh
  source "$src/tests/api/lib.sh"
  trap 'cleanup; rm -rf "$work"' EXIT
  start_server "$WORK/data"
  media=$(upload "$work/talk.mp4")
  req POST /v1/jobs -H 'Content-Type: application/json' -d '{"kind":"autoclip","request":{"media_uri":"media://'"$media"'",
    "count":1,"width":180,"height":320,"min_length_ms":12000,"max_length_ms":15500,"remove_silence":true}}'
  [ "$STATUS" = 202 ] || fail "POST /v1/jobs: $STATUS $BODY"
  id=$(jget 'j["id"]')
  for _ in $(seq 1 2400); do
    req GET "/v1/jobs/$id"
    case "$(jget 'j["status"]')" in succeeded | failed | cancelled) break ;; esac
    sleep 0.1
  done
  [ "$(jget 'j["status"]')" = succeeded ] || fail "the job did not succeed: $BODY"
  jget 'j["result"]' >"$work/manifest.json"
  fetch() {
    local url; url=$(jget "[a['url'] for a in j['result']['clips'][0]['outputs'] if a['uri'].endswith('$1')][0]")
    case "$url" in http*) ;; *) url="$BASE$url" ;; esac
    curl -sf -o "$2" "$url" || fail "download of the $1 output"
  }
  video=$work/c1.mp4 srt=$work/c1.srt
  fetch .mp4 "$video"
  fetch .srt "$srt"
fi

dur() { ffprobe -v error -select_streams "$2" -show_entries stream=duration -of default=nw=1:nk=1 "$1" | head -n1; }
python3 - "$work/manifest.json" "$work/m/reference.txt" "$srt" "$(dur "$video" v:0)" "$(dur "$video" a:0)" "$share" \
  "$bed_ms" <<'PY'
import json, re, sys
m = json.load(open(sys.argv[1]))
ref = [tuple(map(int, l.split()[:2])) for l in open(sys.argv[2])]
srt = open(sys.argv[3]).read() if sys.argv[3] else None  # captions off: no words
video_ms, audio_ms = float(sys.argv[4]) * 1000, float(sys.argv[5]) * 1000
share = float(sys.argv[6])
def fail(msg): sys.exit("FAIL: " + msg)
c = m["clips"][0]
if c["status"] != "succeeded": fail("clip not made: %s" % c.get("error"))
s, e = c["start_ms"], c["end_ms"]
pauses = [(ref[i][1], ref[i + 1][0]) for i in range(len(ref) - 1)]
inside = sum(max(0, min(b, e) - max(a, s)) for a, b in pauses)
removed = c.get("removed_ranges", [])
cut = sum(r["end_ms"] - r["start_ms"] for r in removed)
print("check: span %d..%d, %d ms of planted pauses inside, %d ranges removed (%d ms), short %d ms, video %.0f ms, audio %.0f ms"
      % (s, e, inside, len(removed), cut, c["duration_ms"], video_ms, audio_ms))
if inside < 3000: fail("the span holds %d ms of pauses: too few to test" % inside)
if c["duration_ms"] != e - s - cut: fail("duration_ms is not the span less the removed ranges")
bed = int(sys.argv[7])
if bed:  # under the rumble a gap between words is no pause: nothing there is cut
    under = [r for r in removed if r["end_ms"] > bed]
    if under: fail("removed %s under the rumble (from %d ms): a gap between words, not a pause" % (under, bed))
    before = [r for r in removed if any(r["start_ms"] >= a - 60 and r["end_ms"] <= b + 60 for a, b in pauses if b <= bed)]
    if not before: fail("the pause before the rumble was not removed: %s" % removed)
    print("check: %d range(s) removed before the rumble at %d ms, none under it" % (len(before), bed))
    share = 0.0  # the pauses under the rumble stay
if video_ms > e - s - share * inside:
    fail("short %.0f ms: not shorter than its span by %.0f%% of %d ms" % (video_ms, 100 * share, inside))
print("check: removed %.0f%% of the pauses inside the span" % (100.0 * (e - s - video_ms) / inside))
for r in removed:  # within a planted pause (or the silence before the first sentence or after the last), 60 ms slack
    if not any(r["start_ms"] >= a - 60 and r["end_ms"] <= b + 60 for a, b in pauses + [(0, ref[0][0]), (ref[-1][1], 1 << 40)]):
        fail("removed range %s cuts speech" % r)
if abs(video_ms - audio_ms) > 1000 / 30: fail("video %.0f ms vs audio %.0f ms: out of sync" % (video_ms, audio_ms))
if abs(video_ms - c["duration_ms"]) > 1000 / 30: fail("the short lasts %.0f ms, the manifest says %d" % (video_ms, c["duration_ms"]))
if srt is None: sys.exit(0)
ends = [int(h) * 3600000 + int(mi) * 60000 + int(se) * 1000 + int(ms)
        for h, mi, se, ms in re.findall(r"--> (\d+):(\d+):(\d+),(\d+)", srt)]
if not ends: fail("no captions")
if max(ends) > video_ms + 1000 / 30: fail("a caption ends at %d ms, after the short (%.0f ms)" % (max(ends), video_ms))
if max(ends) < video_ms - 1500: fail("the last caption ends at %d ms: the words after the cuts are lost" % max(ends))
print("check: %d caption cues, the last ending at %d ms of %.0f" % (len(ends), max(ends), video_ms))
PY
echo PASS
