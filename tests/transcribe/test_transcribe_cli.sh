#!/usr/bin/env bash
# `clipforge transcribe` end to end: help and exit codes, bad input, audio inside a video
# container, SRT/VTT output that reads back to the same words, a user's SRT converted to VTT and
# JSON, the --json summary, and cancellation by SIGINT while recognising and by SIGTERM while
# adapting to the recording.
# Usage: test_transcribe_cli.sh CLIPFORGE WORKDIR
set -euo pipefail
source "$(dirname "$0")/../signal_lib.sh"
cf=$1 work=$2
rm -rf "$work" && mkdir -p "$work"
fail=0
ok() { echo "ok:   $*"; }
bad() { echo "FAIL: $*"; fail=1; }
expect_code() { # CODE DESCRIPTION CMD...
  local want=$1 what=$2 got=0
  shift 2
  "$@" >"$work/out" 2>"$work/err" || got=$?
  if [ "$got" = "$want" ]; then ok "$what -> exit $got"; else bad "$what -> exit $got, want $want ($(cat "$work/err"))"; fi
}

expect_code 0 "--help" "$cf" transcribe --help
grep -q -- "--format json|srt|vtt" "$work/out" && ok "help names the formats" || bad "help text"
# (through a file: grep -q stops reading at the match, and the rest of the help would meet a
# closed pipe)
"$cf" --help >"$work/help"
grep -q "^  transcribe" "$work/help" && ok "listed in clipforge --help" || bad "not in clipforge --help"
expect_code 2 "no --input" "$cf" transcribe
expect_code 2 "unknown format" "$cf" transcribe --input x.wav --format doc
expect_code 2 "unknown option" "$cf" transcribe --input x.wav --bogus
for v in 11 soon; do
  expect_code 2 "--item $v" "$cf" transcribe --input x.wav --item "$v"
  grep -q -- "--item: expected 0 to 10 seconds" "$work/err" && ok "--item $v: the error says why" || bad "error: $(cat "$work/err")"
done
expect_code 2 "missing file" "$cf" transcribe --input "$work/none.wav"
echo "not media at all" > "$work/text.mp4"
expect_code 2 "not media" "$cf" transcribe --input "$work/text.mp4"
grep -q "text.mp4" "$work/err" && ok "error names the file" || bad "error message: $(cat "$work/err")"
ffmpeg -loglevel error -f lavfi -i color=c=black:s=64x64:d=1 -c:v libx264 -y "$work/silent.mp4"
expect_code 2 "video without audio" "$cf" transcribe --input "$work/silent.mp4"
expect_code 2 "unknown engine" "$cf" transcribe --input "$work/silent.mp4" --engine nope

# speech in an MP4 (AAC 44.1 kHz stereo), so decoding + resampling run on a real container
espeak-ng -v en-us+f2 -s 140 -w "$work/s.wav" "Please bring a warm coat and your ticket. I think the train leaves at nine o'clock."
ffmpeg -loglevel error -f lavfi -i color=c=blue:s=64x64:r=10 -i "$work/s.wav" -af "adelay=delays=800:all=1,apad=pad_dur=1" \
  -ac 2 -ar 44100 -c:a aac -c:v libx264 -shortest -y "$work/talk.mp4"

# decoder settings are config-table keys: one set in CLIPFORGE_CONFIG_FILE reaches pocketsphinx
echo "CLIPFORGE_POCKETSPHINX_ARGS=-no_such_setting 1" >"$work/stt.conf"
CLIPFORGE_CONFIG_FILE="$work/stt.conf" expect_code 2 "a bad decoder setting from the config file" \
  "$cf" transcribe --input "$work/s.wav"
grep -q "CLIPFORGE_POCKETSPHINX_ARGS" "$work/err" && ok "the error names the setting" || bad "error: $(cat "$work/err")"
# chunks are searched in steps, which finds no words without the flat pass: refused, not silent
CLIPFORGE_POCKETSPHINX_ARGS="-fwdflat no" expect_code 2 "-fwdflat no" "$cf" transcribe --input "$work/s.wav"
grep -q -- "-fwdflat no is not supported" "$work/err" && ok "the error says why" || bad "error: $(cat "$work/err")"
expect_code 0 "transcribe mp4 to json" "$cf" transcribe --input "$work/talk.mp4" --output "$work/talk.json"
python3 - "$work/talk.json" <<'PY' && ok "json transcript has timed words" || bad "json transcript"
import json, sys
t = json.load(open(sys.argv[1]))
words = [w for s in t["segments"] for w in s["words"]]
text = " ".join(w["word"] for w in words)
assert t["language"] == "en-us" and t["model"].startswith("pocketsphinx/"), t
assert len(words) >= 10, text
assert len({"please", "bring", "ticket", "think", "train", "clock"} & set(text.split())) >= 2, text
assert 700 <= words[0]["start_ms"] <= 1300, words[0]   # speech starts 0.8 s in
assert abs(t["duration_ms"] - 1000 - words[-1]["end_ms"]) < 1500, (t["duration_ms"], words[-1])
PY

# captions from the transcript JSON (no second recognition)
expect_code 0 "srt to stdout" "$cf" transcribe --input "$work/talk.json" --format srt
cp "$work/out" "$work/talk.srt"
head -2 "$work/talk.srt" | grep -q -- "^00:00:0[0-9],[0-9]\{3\} --> 00:00:0[0-9],[0-9]\{3\}$" && ok "srt timing line" || bad "srt: $(head -3 "$work/talk.srt")"
expect_code 0 "vtt by extension" "$cf" transcribe --input "$work/talk.json" --output "$work/talk.vtt" --max-chars 20
head -1 "$work/talk.vtt" | grep -q "^WEBVTT$" && ok "vtt header" || bad "vtt header"
awk 'NF && !/-->/ && !/^WEBVTT/ && length($0) > 20 {exit 1}' "$work/talk.vtt" && ok "vtt lines <= 20 chars" || bad "long vtt line"
# captions read back give the same words as the transcript, cased for reading (the recogniser's
# are lower case: a segment's first word starts a sentence, "i" is "I")
expect_code 0 "srt read back" "$cf" transcribe --input "$work/talk.srt" --output "$work/back.json"
python3 - "$work/talk.json" "$work/back.json" <<'PY' && ok "srt round trip keeps the words" || bad "srt round trip"
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
wa = [w["word"] for s in a["segments"] for w in s["words"]]
wb = [w["word"] for s in b["segments"] for w in s["words"]]
assert all(w == w.lower() for w in wa), wa
assert [w.lower() for w in wb] == wa, (wa, wb)
firsts = {s["words"][0]["word"] for s in a["segments"] if s["words"]}
for x, y in zip(wa, wb):
    want = x[:1].upper() + x[1:] if x in firsts or x == "i" or x.startswith("i'") else x
    assert y == want or (x in firsts and y == x), (x, y)
assert wb[0] == wa[0][:1].upper() + wa[0][1:], (wa[0], wb[0])
assert b["segments"][0]["start_ms"] == a["segments"][0]["words"][0]["start_ms"]
PY

# a user's SRT (BOM, CRLF, no final newline) converted to VTT
printf '\xef\xbb\xbf1\r\n00:00:01,000 --> 00:00:02,500\r\n<i>Hello</i> & welcome\r\n\r\n2\r\n00:00:03,000 --> 00:00:04,000\r\nBye' > "$work/user.srt"
expect_code 0 "user srt to vtt" "$cf" transcribe --input "$work/user.srt" --format vtt
grep -q "^00:00:01.000 --> 00:00:02.500$" "$work/out" && grep -q "^Hello &amp; welcome$" "$work/out" \
  && ok "user srt converted" || bad "converted vtt: $(cat "$work/out")"
# an SRT saved by Windows in Windows-1252: read, its accents kept, and said (warn)
printf '1\r\n00:00:01,000 --> 00:00:02,500\r\nCaf\xe9 cr\xe8me\r\n' > "$work/latin.srt"
CLIPFORGE_LOG_LEVEL=warn expect_code 0 "windows-1252 srt to vtt" "$cf" transcribe --input "$work/latin.srt" --format vtt
grep -q "^Café crème$" "$work/out" && grep -q "read as Windows-1252" "$work/err" \
  && ok "windows-1252 srt read and said" || bad "vtt: $(cat "$work/out"); err: $(cat "$work/err")"
# and one in Central European Windows-1250 (Polish): its own letters, not Windows-1252's signs
printf '1\r\n00:00:01,000 --> 00:00:02,500\r\nTo by\xb3o naprawd\xea dobre, ju\xbf wiesz.\r\n' > "$work/central.srt"
CLIPFORGE_LOG_LEVEL=warn expect_code 0 "windows-1250 srt to vtt" "$cf" transcribe --input "$work/central.srt" --format vtt
grep -q "^To było naprawdę dobre, już wiesz.$" "$work/out" && grep -q "read as Windows-1250" "$work/err" \
  && ok "windows-1250 srt read and said" || bad "vtt: $(cat "$work/out"); err: $(cat "$work/err")"
printf '1\n00:00:01,000 --> 00:00:02,500\nok\n\n2\n00:00:03,000 --> 00:00:0x,000\nbad\n' > "$work/broken.srt"
expect_code 2 "malformed srt" "$cf" transcribe --input "$work/broken.srt"
grep -q "line 6" "$work/err" && ok "error names line 6" || bad "error: $(cat "$work/err")"

# a video's own subtitles, read instead of recognised
printf '1\n00:00:01,000 --> 00:00:02,500\n<b>Read</b> from the file\n' > "$work/own.srt"
ffmpeg -loglevel error -y -f lavfi -i "color=s=64x64:d=4" -f lavfi -i "sine=d=4" -i "$work/own.srt" -map 0 -map 1 -map 2 \
  -c:v libx264 -c:a aac -c:s srt -metadata:s:s:0 language=eng "$work/subs.mkv"
expect_code 0 "--from-subtitles" "$cf" transcribe --input "$work/subs.mkv" --from-subtitles --format srt
grep -q "^Read from the file$" "$work/out" && grep -q "read subtitle stream 2 (subrip, eng)" "$work/err" \
  && ok "a video's subtitle stream read as captions" || bad "srt: $(cat "$work/out"); err: $(cat "$work/err")"
expect_code 2 "--from-subtitles in another language" "$cf" transcribe --input "$work/subs.mkv" --from-subtitles --language de
grep -q "no text subtitles in de (its subtitle streams: 2 (subrip, eng))" "$work/err" \
  && ok "which subtitles it has is said" || bad "err: $(cat "$work/err")"

echo '{"language": "en-us", "duration_ms": 5}' > "$work/bad.json"
expect_code 2 "transcript json without model" "$cf" transcribe --input "$work/bad.json" --format srt
grep -q "model" "$work/err" && ok "error names the field" || bad "error: $(cat "$work/err")"
expect_code 0 "--json summary" "$cf" transcribe --input "$work/talk.json" --output "$work/s.srt" --json
python3 -c "import json,sys; s=json.load(open(sys.argv[1])); assert s['format']=='srt' and s['words']>0 and s['output'].endswith('s.srt'), s" "$work/out" \
  && ok "summary fields" || bad "summary: $(cat "$work/out")"

# cancellation: SIGINT while recognising a long input stops with exit 1
sox -R -q "$work/s.wav" "$work/s.wav" "$work/s.wav" "$work/s.wav" "$work/s.wav" "$work/s.wav" "$work/s.wav" "$work/s.wav" "$work/long.wav"
CLIPFORGE_LOG_LEVEL=debug "$cf" transcribe --input "$work/long.wav" --threads 1 --chunk 4 --output "$work/long.json" 2>"$work/err" &
pid=$!
wait_cancel_armed "$pid" "$work/err" || bad "the handler was never installed"
sleep 1
kill -INT "$pid"
code=0
wait "$pid" || code=$?
if [ "$code" = 1 ] && grep -q cancelled "$work/err" && [ ! -e "$work/long.json" ]; then ok "SIGINT cancels (exit 1, no output)"; else bad "cancel: exit $code, $(cat "$work/err")"; fi

# cancellation reaches the adaptation: SIGTERM while bw runs (here a stand-in that records its
# pid and sleeps for five minutes) stops the run soon after, exit 1, no output, bw killed
mkdir -p "$work/st"
printf '#!/bin/sh\necho $$ > "%s/bw.pid"\nexec sleep 300\n' "$work/st" > "$work/st/bw"
chmod +x "$work/st/bw"
ln -sf /bin/true "$work/st/mllr_solve"
CLIPFORGE_SPHINXTRAIN_DIR="$work/st" "$cf" transcribe --input "$work/s.wav" --threads 1 --output "$work/adapt.json" 2>"$work/err" &
pid=$!
for _ in $(seq 1 3000); do [ -s "$work/st/bw.pid" ] || ! kill -0 "$pid" 2>/dev/null && break; sleep 0.1; done
if [ -s "$work/st/bw.pid" ]; then
  sent=$(date +%s)
  kill -TERM "$pid"
  code=0
  wait "$pid" || code=$?
  took=$(( $(date +%s) - sent ))
  bw=$(cat "$work/st/bw.pid")
  if [ "$code" = 1 ] && [ "$took" -lt 30 ] && grep -q cancelled "$work/err" && [ ! -e "$work/adapt.json" ] \
    && ! kill -0 "$bw" 2>/dev/null; then ok "SIGTERM while adapting cancels (exit 1 in ${took} s, bw stopped)"
  else bad "cancel while adapting: exit $code after ${took} s, bw $(kill -0 "$bw" 2>/dev/null && echo running || echo gone), $(cat "$work/err")"; fi
else
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" || true
  bad "bw never started: $(cat "$work/err")"
fi
exit $fail
