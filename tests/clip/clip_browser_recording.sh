# clip_browser_recording.sh — what a user's browser uploads: a WebM that Chromium's MediaRecorder
# made (e2e/record.mjs: a canvas and a WebAudio pip at every whole second), which states no length
# and has no index. probe measures its length; a clip keeps every pip where it was; a trim past
# its end is refused as such; detection reads it to its end.
# Usage: clip_browser_recording.sh CLIPFORGE WORKDIR NODE CHROMIUM FRONTEND_DIR
source "$(dirname "$0")/lib.sh" "$1" "$2"
NODE=${3:?node} CHROMIUM=${4:?chromium} FE=${5:?frontend dir}

# Chromium's profile sockets need a short path: its temp files go to the system's temp dir
(cd "$FE" && TMPDIR=/tmp "$NODE" e2e/record.mjs --chromium "$CHROMIUM" --seconds 8 "$WORK/rec.webm") ||
  fail "Chromium did not record"
# pips FILE: the times of the pips in FILE's sound, from the sound's first sample
pips() {
  ffmpeg -nostdin -v error -i "$1" -map 0:a -ac 1 -ar 48000 -f s16le - | python3 -c "
import array, sys
x = array.array('h', sys.stdin.buffer.read())
at, last = [], -48000
for i, v in enumerate(x):
    if abs(v) > 6000 and i - last > 24000: at.append(i)
    if abs(v) > 6000: last = i
print(' '.join('%.4f' % (i / 48000) for i in at))"
}
# the end of the last packet, by ffprobe: the length a reader of the whole file finds
end=$(ffprobe -v error -show_entries packet=pts_time,duration_time -of csv=p=0 rec.webm |
  awk -F, '$1 != "N/A" { e = $1 + ($2 == "N/A" ? 0 : $2); if (e > m) m = e } END { printf "%.3f", m }')
check "probe measures the recording ($(fval rec.webm duration) stated, packets to $end s)"
ok probe --json rec.webm
got=$(json_get out.txt '["duration_ms"]')
approx "$got" "$(awk -v e="$end" 'BEGIN { printf "%d", e * 1000 }')" 40 || fail "probe: $got ms"
if [ "$(fval rec.webm duration)" = N/A ]; then
  grep -q "states no length" out.txt || fail "probe does not say the length is measured: $(cat out.txt)"
fi

check "a clip of 2-6 s: 4 s of pictures and sound, every pip 2 s earlier than in the recording"
ok clip --input rec.webm --output mid.mp4 --trim 2:6 --trim-mode accurate
approx "$(sval mid.mp4 v:0 duration)" 4.0 0.05 && approx "$(sval mid.mp4 a:0 duration)" 4.0 0.05 ||
  fail "durations $(sval mid.mp4 v:0 duration) / $(sval mid.mp4 a:0 duration)"
src=$(pips rec.webm) a0=$(sval rec.webm a:0 start_time) clip=$(pips mid.mp4)
echo "  recording: $src (sound from $a0 s); clip: $clip"
python3 - "$src" "$a0" "$clip" <<'PY'
import sys
src = [float(t) + float(sys.argv[2]) - 2.0 for t in sys.argv[1].split()]
want = [t for t in src if 0 <= t < 3.95]
got = [float(t) for t in sys.argv[3].split()]
if len(got) != len(want) or any(abs(a - b) > 0.01 for a, b in zip(got, want)):
    sys.exit("FAIL: pips at %s, wanted %s" % (got, want))
PY

check "a trim past the recording's end is refused as such, not as a damaged file"
bad 2 past.mp4 clip --input rec.webm --output past.mp4 --trim 5:20
grep -q "past the end of rec.webm" err.txt || fail "$(cat err.txt)"

check "detection reads the recording to its end"
ok detect --input rec.webm --json --no-cache
last=$(json_get out.txt '["audio_events"][-1]["end_ms"]')
approx "$last" "$got" 600 || fail "audio events end at $last ms of $got"
no_temp_left
echo "PASS"
