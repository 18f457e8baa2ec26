# clip_sound.sh — sound that changes or stops: channel layouts changing mid-stream, holes,
# sound ending before or starting after the pictures, live WebM, MP3 without a header.
TESTS=$(cd "$(dirname "$0")/.." && pwd)
source "$(dirname "$0")/lib.sh" "$@"

check "a broadcast whose sound goes from stereo to 5.1 (and back), recordings joined at another rate: clipped, rendered, detected and transcribed whole"
# Before: clip and render failed with "Invalid argument" (the filter graph's source refuses a
# frame of another layout), detect and transcribe crashed reading six channels of a frame of two.
gen st.ts -f lavfi -i "testsrc2=s=160x120:r=25:d=4" -f lavfi -i "sine=f=440:d=4:sample_rate=48000" -c:v libx264 \
  -g 25 -pix_fmt yuv420p -c:a ac3 -ac 2 -f mpegts
gen six.ts -f lavfi -i "testsrc2=s=160x120:r=25:d=4" -f lavfi -i "sine=f=880:d=4:sample_rate=48000" -c:v libx264 \
  -g 25 -pix_fmt yuv420p -c:a ac3 -ac 6 -f mpegts
gen r44.ts -f lavfi -i "testsrc2=s=160x120:r=25:d=4" -f lavfi -i "sine=f=440:d=4:sample_rate=44100" -c:v libx264 \
  -g 25 -pix_fmt yuv420p -c:a aac -f mpegts
gen r48.ts -f lavfi -i "testsrc2=s=160x120:r=25:d=4" -f lavfi -i "sine=f=880:d=4:sample_rate=48000" -c:v libx264 \
  -g 25 -pix_fmt yuv420p -c:a aac -f mpegts
printf "file st.ts\nfile six.ts\n" >up.txt
printf "file six.ts\nfile st.ts\n" >down.txt
printf "file r44.ts\nfile r48.ts\n" >rate.txt
# loud SECONDS FILE: the loudness (dBFS RMS) of each second of FILE's sound
loud() { ffmpeg -nostdin -v error -i "$1" -af "aresample=48000,asetnsamples=48000,astats=reset=1:metadata=1,ametadata=print:key=lavfi.astats.Overall.RMS_level:file=-" \
  -f null - | sed -n 's/.*RMS_level=//p' | head -6 | tr '\n' ' '; }
for way in up down rate; do
  gen "$way.ts" -f concat -i "$way.txt" -c copy
  ok clip --input "$way.ts" --output "$way.mp4" --trim 1:7 --trim-mode accurate
  grep -q "audio stream 1 changes its sound at [0-9.]* s" err.txt || fail "$way: the change is not logged: $(cat err.txt)"
  ok render --template shorts-blur --input "$way.ts" --span 1:7 --format vertical --size 90x160 --output "$way-r.mp4"
  for out in "$way.mp4" "$way-r.mp4"; do
    levels=$(loud "$out")
    echo "  $out: audio $(sval "$out" a:0 duration) s, $(sval "$out" a:0 channels) channels, each second at [$levels] dB"
    approx "$(sval "$out" a:0 duration)" 6.0 0.05 || fail "$out: $(sval "$out" a:0 duration) s of audio"
    python3 -c "import sys; v=[float(x) for x in '$levels'.split()]; sys.exit(0 if len(v) == 6 and min(v) > -40 else 1)" ||
      fail "$out: a second without sound: [$levels]"
    # each part at its own pitch: a rate taken for the other would shift it
    [ "$way" != rate ] || [ "$(pitch "$out" 1)/$(pitch "$out" 4.5)" = 440.0/880.0 ] ||
      fail "$out: pitch $(pitch "$out" 1) Hz, then $(pitch "$out" 4.5) Hz, not 440 then 880"
  done
  # sound heard to the end, none of it taken for silence
  ok detect --input "$way.ts" --json
  python3 -c "import json; e=json.load(open('out.txt'))['audio_events']; assert e[-1]['end_ms'] >= 7500 and all(x['class'] != 'silence' for x in e), e" ||
    fail "detect $way.ts: $(head -c 300 out.txt)"
  ok transcribe --input "$way.ts" --format json
  python3 -c "import json; assert json.load(open('out.txt'))['duration_ms'] >= 7900" || fail "transcribe $way.ts: $(head -c 300 out.txt)"
done

check "sound with short holes (a broadcast's lost packets): silence in each, the sound after them at its time"
# Before: holes under 100 ms (aresample's own threshold) were closed up, so the sound after two
# holes of 40 ms came 80 ms before its picture (a join with a 62 ms gap in its sound: 60 ms).
gen holes.ts -f lavfi -i "testsrc2=s=160x120:r=25:d=6" \
  -f lavfi -i "aevalsrc='0.05*sin(2*PI*440*t)+0.8*sin(2*PI*1000*t)*between(t\,3\,3.2)':s=48000:d=6" \
  -filter_complex "[1]asetpts=PTS+(gte(T\,1)+gte(T\,2))*0.04/TB[a]" -map 0 -map "[a]" -c:v libx264 -pix_fmt yuv420p \
  -c:a aac -f mpegts
# beep FILE: where (s from its start) the loud tone begins (its first sample over half the
# file's peak: a render's normalization sets the level), each sample placed by its timestamp
beep() { ffmpeg -nostdin -v error -i "$1" -map 0:a:0 -af "aresample=48000:async=1:min_hard_comp=0.001:first_pts=0" \
  -ac 1 -f s16le - | python3 -c "import array, sys
x = array.array('h', sys.stdin.buffer.read())
top = max(abs(v) for v in x)
print('%.3f' % (next(i for i, v in enumerate(x) if abs(v) > top / 2) / 48000))"; }
want=$(python3 -c "print('%.3f' % ($(beep holes.ts) - 0.5))")
for mode in accurate smart; do
  ok clip --input holes.ts --output "holes-$mode.mp4" --trim 0.5:4.5 --trim-mode $mode
  echo "  holes.ts 0.5-4.5 ($mode): the tone at $(beep "holes-$mode.mp4") s (want $want), audio $(sval "holes-$mode.mp4" a:0 duration) s"
  approx "$(beep "holes-$mode.mp4")" "$want" 0.01 || fail "$mode: the tone at $(beep "holes-$mode.mp4") s, not $want"
done
ok render --template shorts-blur --input holes.ts --span 0.5:4.5 --format vertical --size 180x320 --output holes-r.mp4
approx "$(beep holes-r.mp4)" "$want" 0.01 || fail "render: the tone at $(beep holes-r.mp4) s, not $want"

check "a recording whose sound stops halfway: a clip after it has its pictures, no audio, and says why"
# Before: "the clip is empty" (auto, smart) or a refused result (accurate).
gen mute_half.mp4 -f lavfi -i "testsrc2=s=160x120:r=25:d=12" -f lavfi -i "sine=f=440:d=6" -c:v libx264 -pix_fmt yuv420p -c:a aac
for mode in auto accurate; do
  ok clip --input mute_half.mp4 --output "mute_half_$mode.mp4" --trim 7:11 --trim-mode $mode
  grep -q "^note: audio stream 1 of the source has no sound in the range: the clip has no audio" out.txt ||
    fail "$mode: no note: $(cat out.txt)"
  [ "$(sval "mute_half_$mode.mp4" v:0 duration)" = 4.000000 ] && [ -z "$(sval "mute_half_$mode.mp4" a:0 codec_name)" ] ||
    fail "$mode: video $(sval "mute_half_$mode.mp4" v:0 duration) s, audio '$(sval "mute_half_$mode.mp4" a:0 codec_name)'"
done
# a copy of a span before the sound starts: before, the copy was refused as a result that lost
# its audio, where the other modes made the clip and said why
gen late_in.mkv -f lavfi -i "testsrc2=s=160x120:r=25:d=8" -f lavfi -i "sine=f=440:d=4" -c:v libx264 -g 25 -pix_fmt yuv420p -c:a aac
gen late.mkv -i late_in.mkv -itsoffset 4 -i late_in.mkv -map 0:v -map 1:a -c copy
ok clip --input late.mkv --output late_copy.mp4 --trim 1:3 --trim-mode copy
grep -q "^note: audio stream 1 of the source has no sound in the range: the clip has no audio" out.txt ||
  fail "copy before the sound: no note: $(cat out.txt)"
approx "$(sval late_copy.mp4 v:0 duration)" 2.0 0.1 && [ -z "$(sval late_copy.mp4 a:0 codec_name)" ] ||
  fail "copy before the sound: video $(sval late_copy.mp4 v:0 duration) s, audio '$(sval late_copy.mp4 a:0 codec_name)'"
check "Matroska and WebM whose sound stops before the pictures: clips and renders across its end, a cut-off file still refused"
# Before: both formats state no length per stream, so the sound was judged by the file's length
# and every clip or render reaching past its end was refused as "truncated or damaged".
gen mute_half.mkv -i mute_half.mp4 -c copy
gen mute_half.webm -f lavfi -i "testsrc2=s=160x120:r=25:d=12" -f lavfi -i "sine=f=440:d=6" -c:v libvpx -deadline realtime -c:a libopus
for f in mute_half.mkv mute_half.webm; do
  for mode in auto accurate smart; do
    ok clip --input $f --output "$f-$mode.mp4" --trim 4:10 --trim-mode $mode
    approx "$(sval "$f-$mode.mp4" v:0 duration)" 6.0 0.1 && approx "$(sval "$f-$mode.mp4" a:0 duration)" 2.0 0.1 ||
      fail "$f $mode 4-10: video $(sval "$f-$mode.mp4" v:0 duration) s, audio $(sval "$f-$mode.mp4" a:0 duration) s"
    grep -q "^note: audio stream 1 of the source ends 2.0 s into the clip of 6.0 s: silence after it" out.txt ||
      fail "$f $mode: no note of the sound ending: $(cat out.txt)"
  done
  ok render --template shorts-blur --input $f --span 4:10 --format vertical --size 90x160 --output "$f-r.mp4" --json
  python3 -c "import json; n=json.load(open('out.txt'))['notes']; assert any('audio stream 1 ends at 6.0 s, before the scene does (10.0 s): silence after it' in x for x in n), n" ||
    fail "render of $f: $(cat out.txt)"
  approx "$(sval "$f-r.mp4" a:0 duration)" 6.0 0.1 || fail "render of $f: audio $(sval "$f-r.mp4" a:0 duration) s"
done
ok clip --input mute_half.mkv --output mute_half_copy.mp4 --trim 0:12 --trim-mode copy
approx "$(sval mute_half_copy.mp4 v:0 duration)" 12.0 0.1 && approx "$(sval mute_half_copy.mp4 a:0 duration)" 6.0 0.1 ||
  fail "copy of mute_half.mkv: video $(sval mute_half_copy.mp4 v:0 duration) s, audio $(sval mute_half_copy.mp4 a:0 duration) s"
# the same file cut off in its middle: every stream stops there, and that is a damaged file
gen whole.mkv -f lavfi -i "testsrc2=s=160x120:r=25:d=12" -f lavfi -i "sine=f=440:d=12" -c:v libx264 -pix_fmt yuv420p -c:a aac
head -c $(($(stat -c %s whole.mkv) / 2)) whole.mkv >cut.mkv
for mode in copy accurate; do
  bad 2 cut.mp4 clip --input cut.mkv --output cut.mp4 --trim 4:12 --trim-mode $mode
  grep -q "truncated or damaged" err.txt || fail "cut.mkv $mode: $(cat err.txt)"
done
bad 2 cut-r.mp4 render --template shorts-blur --input cut.mkv --span 4:12 --format vertical --size 90x160 --output cut-r.mp4
grep -q "truncated or damaged" err.txt || fail "render of cut.mkv: $(cat err.txt)"
check "sound alone in AAC (a podcast's .m4a): a trim keeps the sound from its start, into a file named .m4a"
# Before: auto copied from the first 23 ms AAC frame after the start (the sound before it lost,
# the track starting 20 ms late), and an output named .m4a was refused ("cannot tell the format").
gen click.m4a -f lavfi -i "aevalsrc='if(between(t,2.5,2.52),0.8*sin(2*PI*1000*t),0)':s=44100:d=10" -c:a aac
click_at() { ffmpeg -nostdin -v error -i "$1" -f s16le -ac 1 - | python3 -c "
import array, sys
x = array.array('h', sys.stdin.buffer.read())
print('%.4f' % (next(i for i, v in enumerate(x) if abs(v) > 3000) / 44100))"; }
for mode in auto copy; do
  ok clip --input click.m4a --output "click_$mode.m4a" --trim 2:8 --trim-mode $mode
  at=$(click_at "click_$mode.m4a")
  # a copy too is exact: the edit list hides the frame's sound before the start
  [ "$(sval "click_$mode.m4a" a:0 start_time)" = 0.000000 ] && [ "$at" = 0.5000 ] ||
    fail "$mode: starts at $(sval "click_$mode.m4a" a:0 start_time) s, click at $at s (0.5 wanted)"
done
check "a copy keeps the sound's frame that plays across its start: sound and picture start together"
# Before: the AAC frame begun before the keyframe the copy starts at was dropped, so the sound
# began up to 23 ms after the picture (start_time 0.020, the first 20 ms silent).
gen clickv_src.mp4 -f lavfi -i "testsrc2=s=160x120:r=30:d=10" \
  -f lavfi -i "aevalsrc='if(between(t,3.5,3.52),0.8*sin(2*PI*1000*t),0)':s=44100:d=10" -c:v libx264 -g 60 -pix_fmt yuv420p -c:a aac
gen clickv.mp4 -ss 1.5 -i clickv_src.mp4 -c copy # keyframes now at -1.5, 0.5, 2.5 s; the click at 2.0 s
# copied from the keyframe at 0.5 s, shown from 1 s
ok clip --input clickv.mp4 --output clickv_copy.mp4 --trim 1:4 --trim-mode copy
at=$(click_at clickv_copy.mp4)
[ "$(sval clickv_copy.mp4 a:0 start_time)" = 0.000000 ] && [ "$(sval clickv_copy.mp4 v:0 start_time)" = 0.000000 ] &&
  approx "$at" 1.0 0.0005 ||
  fail "copy: sound starts at $(sval clickv_copy.mp4 a:0 start_time) s, the click at $at s of it (1.0 s wanted)"
check "Matroska, MP4, NUT and FLV whose pictures start 2 s after their sound: every pass and every mode keeps the sound before the first picture"
# Before: a pass that went back to the start (loudness normalisation's second, a copy after its
# keyframe look-up, a smart cut's head), or any clip starting before the first picture, went
# where the pictures start: Matroska's index lists the pictures alone, MP4 and NUT move every
# stream to the first picture. The sound before it was silence in the clip, or missing from a copy.
gen vlate.mkv -itsoffset 2 -i mute_half.mp4 -i mute_half.mp4 -map 0:v -map 1:a -c copy
# first_sound FILE: the mean volume of its first 0.8 s of sound, dB
first_sound() {
  ffmpeg -nostdin -hide_banner -i "$1" -map 0:a -af "atrim=0:0.8,volumedetect" -f null - 2>&1 | awk '/mean_volume/ {print $5}'
}
for ext in mkv mp4 nut flv; do
  [ $ext = mkv ] || gen vlate.$ext -i vlate.mkv -c copy
  for run in "0:4 accurate --normalize-audio" "0:4 auto" "1:4 accurate"; do
    set -- $run
    ok clip --input vlate.$ext --output vlate_out.mp4 --trim "$1" --trim-mode "${@:2}"
    vol=$(first_sound vlate_out.mp4)
    awk -v v="$vol" 'BEGIN { exit !(v > -40) }' || fail "$ext, $run: the first 0.8 s of sound at $vol dB"
  done
  for from in 0 1; do
    ok clip --input vlate.$ext --output vlate_copy.mp4 --trim $from:4 --trim-mode copy
    [ "$(sval vlate_copy.mp4 a:0 start_time)" = 0.000000 ] && approx "$(sval vlate_copy.mp4 a:0 duration)" $((4 - from)) 0.05 &&
      approx "$(sval vlate_copy.mp4 v:0 start_time)" $((2 - from)) 0.1 ||
      fail "$ext copy from $from s: sound $(sval vlate_copy.mp4 a:0 start_time) s + $(sval vlate_copy.mp4 a:0 duration) s, pictures from $(sval vlate_copy.mp4 v:0 start_time) s"
  done
done
check "a live WebM (a browser's recording: no length stated, no index) is measured: probe says 12 s, a trim past its end is refused as such, the duration limit applies"
# Before: probe said "Duration unknown", a trim past its end was refused as a truncated or damaged
# file after encoding all of it, and CLIPFORGE_MAX_DURATION_MS never applied to such a file.
gen live.webm -f lavfi -i "testsrc2=s=160x120:r=30:d=12" -f lavfi -i "sine=f=440:d=12" -c:v libvpx -deadline realtime \
  -b:v 200k -c:a libopus -f webm -live 1
[ "$(fval live.webm duration)" = N/A ] || fail "the live WebM states a length: $(fval live.webm duration)"
ok probe live.webm
grep -q "Duration  0:00:12.0" out.txt && grep -q "Note .*states no length" out.txt || fail "probe: $(cat out.txt)"
bad 2 live_out.mp4 clip --input live.webm --output live_out.mp4 --trim 5:20
grep -q "past the end of live.webm (12.0" err.txt || fail "trim past the end: $(cat err.txt)"
ok clip --input live.webm --output live_out.mp4 --trim 5:11.5
approx "$(sval live_out.mp4 v:0 duration)" 6.5 0.05 || fail "a clip of the live WebM: $(sval live_out.mp4 v:0 duration) s"
CLIPFORGE_MAX_DURATION_MS=5000 bad 2 "" probe live.webm
grep -q "duration: at least 50[0-9][0-9] ms is over the 5000-ms limit" err.txt || fail "limit: $(cat err.txt)"
check "an MP3 of varying bit rate without a Xing header: measured (18 s, not FFmpeg's 46 s guess from its silent start), detection reads it"
# Before: the guess stood as the file's length, and detection and transcription refused the whole
# file as truncated ("stops at 18.0 s although it says it is 46.0 s long").
gen vbr.mp3 -f lavfi -i "anullsrc=r=44100:cl=stereo:d=6" -f lavfi -i "anoisesrc=d=12:a=0.5:r=44100" \
  -filter_complex "[0:a][1:a]concat=n=2:v=0:a=1,aformat=channel_layouts=stereo" -c:a libmp3lame -q:a 2 -write_xing 0
ok probe vbr.mp3
grep -q "Duration  0:00:18.0" out.txt || fail "probe: $(cat out.txt)"
ok detect --input vbr.mp3 --json --no-cache
check "a cut inside MP3, Opus in WebM, AAC and Vorbis sound: its first 80 ms are the sound there, not a decoder warming up"
# Before: the decoder started on the packet at the cut, so the clip began with what it makes
# without the packets before: MP3 without its bit reservoir (30 ms of noise, 0 dB against the
# sound), Opus without its 80 ms pre-roll (1-8 dB, and 0.5 ms late in WebM).
for f in mp3:libmp3lame:44100 webm:libopus:48000 m4a:aac:48000 ogg:libvorbis:48000; do
  ext=${f%%:*} codec=$(cut -d: -f2 <<<"$f") rate=${f##*:}
  gen "tone.$ext" -f lavfi -i "sine=f=440:d=14:sample_rate=$rate,volume=4" -ac 2 -c:a "$codec"
  ok clip --input "tone.$ext" --output "tone_$ext.m4a" --trim 10:12 --trim-mode accurate
  python3 - "tone.$ext" "tone_$ext.m4a" <<'PY' || fail "$ext: the clip's sound starts wrong"
import array, math, subprocess, sys
def pcm(args):
    raw = subprocess.run(["ffmpeg", "-v", "error", *args, "-f", "f32le", "-ac", "1", "-ar", "48000", "-"],
                         capture_output=True, check=True).stdout
    a = array.array("f"); a.frombytes(raw); return a
want = pcm(["-i", sys.argv[1], "-af", "atrim=10:11,asetpts=PTS-STARTPTS"])  # decoded from the start
got = pcm(["-i", sys.argv[2], "-af", "atrim=0:1"])
lag = max(range(-48, 49), key=lambda k: sum(want[i] * got[i + k] for i in range(24000, 26400, 2)))
def snr(a, b):
    err = sum((want[i] - got[i + lag]) ** 2 for i in range(a, b))
    return 10 * math.log10(sum(want[i] ** 2 for i in range(a, b)) / max(err, 1e-12))
head, later = snr(0, 3840), snr(24000, 27840)
print("  %s: the first 80 ms %.0f dB against the sound, later %.0f dB; %d samples late" % (sys.argv[1], head, later, lag))
sys.exit(0 if head >= 20 and abs(lag) <= 48 else 1)
PY
done

no_temp_left
echo "PASS clip_sound"

