# clip_browser_recording.sh — what a user's browser uploads: a WebM that Chromium's MediaRecorder
# made (e2e/record.mjs: a canvas and a WebAudio pip at every whole second), which states no length
# and has no index. probe measures its length; a clip keeps every pip where it was; a trim past
# its end is refused as such; detection reads it to its end. And Chromium's MP4, whose Opus
# pre-skip Matroska states another way: copied into WebM, its sound stays where it was.
# Usage: clip_browser_recording.sh CLIPFORGE WORKDIR NODE CHROMIUM FRONTEND_DIR
source "$(dirname "$0")/lib.sh" "$1" "$2"
NODE=${3:?node} CHROMIUM=${4:?chromium} FE=${5:?frontend dir}

# Chromium's profile sockets need a short path: its temp files go to the system's temp dir
(cd "$FE" && TMPDIR=/tmp "$NODE" e2e/record.mjs --chromium "$CHROMIUM" --seconds 8 "$WORK/rec.webm") ||
  fail "Chromium did not record"
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
# The pictures begin with the recording's first frame at or after 2 s, which a canvas recorded on
# a busy machine may show up to CF_MEDIA_START_GAP_S (0.1 s) late: the clip's pictures are that
# much shorter (its sound is not).
late=$(ffprobe -v error -select_streams v:0 -show_entries packet=pts_time -of csv=p=0 rec.webm | sort -g |
  awk '$1 >= 2 { d = $1 - 2; printf "%.3f", d <= 0.1 ? d : 0; exit }')
vdur=$(awk -v l="$late" 'BEGIN { printf "%.3f", 4 - l }')
approx "$(sval mid.mp4 v:0 duration)" "$vdur" 0.05 && approx "$(sval mid.mp4 a:0 duration)" 4.0 0.05 ||
  fail "durations $(sval mid.mp4 v:0 duration) (of $vdur: the first picture $late s after 2 s) / $(sval mid.mp4 a:0 duration)"
src=$(pips rec.webm) clip=$(pips mid.mp4)
echo "  recording: $src; clip: $clip"
same_pips "$src" 2.0 6.0 "$clip" 0.01 || fail "the clip's pips moved"

check "a trim past the recording's end is refused as such, not as a damaged file"
bad 2 past.mp4 clip --input rec.webm --output past.mp4 --trim 5:20
grep -q "past the end of rec.webm" err.txt || fail "$(cat err.txt)"

check "detection reads the recording to its end"
ok detect --input rec.webm --json --no-cache
last=$(json_get out.txt '["audio_events"][-1]["end_ms"]')
approx "$last" "$got" 600 || fail "audio events end at $last ms of $got"
check "Chromium's MP4 (VP9 + Opus with an 80 ms pre-skip and no edit list, frames without a length) copied into WebM and MP4: every pip where the recording has it"
(cd "$FE" && TMPDIR=/tmp "$NODE" e2e/record.mjs --chromium "$CHROMIUM" --seconds 4 --mime "video/mp4;codecs=vp9,opus" \
  "$WORK/rec.mp4") || fail "Chromium did not record an MP4"
src=$(pips rec.mp4)
for out in copy.webm copy.mp4; do
  ok clip --input rec.mp4 --output $out --trim 0:3.5 --trim-mode copy
  echo "  recording: $src; $out: $(pips $out)"
  same_pips "$src" 0 3.5 "$(pips $out)" 0.002 || fail "$out: the copy moved or lost pips"
done
no_temp_left
echo "PASS"
