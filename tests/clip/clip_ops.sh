# clip_ops.sh — scale, crop, fps, speed, loudness normalization, mute, and the stream-copy trim.
source "$(dirname "$0")/lib.sh" "$@"

gen src.mp4 -f lavfi -i testsrc2=s=320x240:r=25:d=6 -f lavfi \
  -i "sine=f=440:d=6:sample_rate=48000,volume=0.1" -ac 2 -c:v libx264 -g 25 -keyint_min 25 \
  -sc_threshold 0 -pix_fmt yuv420p -c:a aac -shortest

check "scale 160x-1 keeps the aspect; an odd width becomes even for yuv420p"
ok clip --input src.mp4 --output s1.mp4 --trim 0:1 --scale 160x-1
[ "$(sval s1.mp4 v:0 width)x$(sval s1.mp4 v:0 height)" = 160x120 ] || fail "scale 160x-1"
ok clip --input src.mp4 --output s2.mp4 --trim 0:1 --scale 161x-1
[ "$(sval s2.mp4 v:0 width)" = 160 ] || fail "odd width not made even: $(sval s2.mp4 v:0 width)"

check "crop 100:50:10:20 gives 100x50 taken at (10,20)"
ok clip --input src.mp4 --output c1.mp4 --trim 0:1 --crop 100:50:10:20
[ "$(sval c1.mp4 v:0 width)x$(sval c1.mp4 v:0 height)" = 100x50 ] || fail "crop size"
ffmpeg -nostdin -v error -i src.mp4 -vf crop=100:50:10:20 -frames:v 1 -f rawvideo -pix_fmt gray - >want.raw
ffmpeg -nostdin -v error -i c1.mp4 -frames:v 1 -f rawvideo -pix_fmt gray - >got.raw
python3 -c '
a,b=open("want.raw","rb").read(),open("got.raw","rb").read()
d=sum(abs(x-y) for x,y in zip(a,b))/len(a); print(f"  mean abs diff to ffmpeg crop: {d:.2f}"); assert len(a)==len(b) and d<6' ||
  fail "crop does not show the same region"

check "fps 10 on a 2 s trim gives 20 frames at 10 fps"
ok clip --input src.mp4 --output f1.mp4 --trim 1:3 --fps 10
[ "$(frames f1.mp4 v:0)" -ge 19 ] && [ "$(frames f1.mp4 v:0)" -le 21 ] || fail "fps frames $(frames f1.mp4 v:0)"
[ "$(sval f1.mp4 v:0 avg_frame_rate)" = "10/1" ] || fail "avg_frame_rate $(sval f1.mp4 v:0 avg_frame_rate)"

check "speed 2 halves the duration of both streams, speed 0.5 doubles it, pitch kept"
ok clip --input src.mp4 --output sp2.mp4 --trim 1:5 --speed 2
approx "$(sval sp2.mp4 v:0 duration)" 2.0 0.05 || fail "speed 2 video $(sval sp2.mp4 v:0 duration)"
approx "$(sval sp2.mp4 a:0 duration)" 2.0 0.05 || fail "speed 2 audio $(sval sp2.mp4 a:0 duration)"
ok clip --input src.mp4 --output sp05.mp4 --trim 1:2 --speed 0.5
approx "$(fval sp05.mp4 duration)" 2.0 0.05 || fail "speed 0.5 duration $(fval sp05.mp4 duration)"
# The 440 Hz tone must stay 440 Hz: count zero crossings of the decoded audio.
ffmpeg -nostdin -v error -i sp2.mp4 -ac 1 -f s16le -ar 48000 - >tone.raw
python3 -c '
import array; a=array.array("h"); a.frombytes(open("tone.raw","rb").read()); a=a[4800:-4800]
z=sum(1 for i in range(1,len(a)) if (a[i-1]<0)!=(a[i]<0)); f=z/2/(len(a)/48000); print(f"  pitch after speed 2: {f:.0f} Hz")
assert abs(f-440)<15' || fail "speed changed the pitch"

check "speed 1.5 on a 15 fps AVI (time base 1/15 s): every frame kept, none on another's time"
# sound in the second half of each 2 s, silence in the first: jump cuts at speed 1.5 too
gen avi15.avi -f lavfi -i testsrc2=s=160x120:r=15:d=6 \
  -f lavfi -i "anoisesrc=d=6:c=pink:r=8000:a=0.3,volume='gt(mod(t,2),1)':eval=frame" \
  -c:v mpeg4 -c:a pcm_s16le -ar 8000 -ac 1
ok clip --input avi15.avi --output avi15.mp4 --trim 1:4 --speed 1.5
approx "$(sval avi15.mp4 v:0 duration)" 2.0 0.1 || fail "speed 1.5 video $(sval avi15.mp4 v:0 duration)"
[ "$(frames avi15.mp4 v:0)" -ge 44 ] || fail "speed 1.5 kept $(frames avi15.mp4 v:0) frames of 45"
ok clip --input avi15.avi --output avi15_cut.mp4 --speed 1.5 --remove-silence --json
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); sys.exit(0 if len(r["removed_ranges"]) >= 2 else 1)' out.txt ||
  fail "no jump cuts at speed 1.5: $(cat out.txt)"

check "normalize_audio: -14 LUFS by default, -20 when asked, within 1 LU; true peak under -1 dBTP"
echo "  source: $(lufs src.mp4) LUFS"
ok clip --input src.mp4 --output n1.mp4 --trim 0.5:5.5 --normalize-audio
l=$(lufs n1.mp4); echo "  output: $l LUFS"
approx "$l" -14 1 || fail "loudness $l, expected -14"
true_peak() { ffmpeg -nostdin -nostats -hide_banner -i "$1" -af ebur128=peak=true -f null - 2>&1 |
  awk '/True peak:/{s=1} s && $1=="Peak:"{print $2; exit}'; }
# Quiet tone with sharp clicks: the gain to -14 LUFS would push the clicks far over 0 dBFS.
gen peaky.m4a -f lavfi -i "aevalsrc='0.05*sin(2*PI*440*t)+0.8*lt(mod(n\,24000)\,4)':s=48000:d=8" -c:a aac
ok clip --input peaky.m4a --output n0.mp4 --normalize-audio --json
l=$(lufs n0.mp4); tp=$(true_peak n0.mp4); echo "  peaky source: $(lufs peaky.m4a) LUFS -> $l LUFS, true peak $tp dBFS"
approx "$l" -14 0.35 || fail "loudness $l, expected -14"
python3 -c "import sys; sys.exit(0 if float('$tp') <= -0.95 else 1)" || fail "true peak $tp above the -1 dBTP ceiling"
# the result says what was done (before: nothing, whether normalized, left silent or limited)
said=$(json_get out.txt "['notes']")
echo "  notes: $said"
[[ "$said" == *"sound normalized to -1"[34]"."[0-9]" LUFS from -"*" LUFS, its peaks limited"* ]] || fail "notes: $said"
# The note's loudness is the one the clip has (within the meters' rounding).
said_lufs() { json_get out.txt "['notes']" | sed -n 's/.*sound normalized to \(-[0-9.]*\) LUFS.*/\1/p'; }
# A real recording: quiet speech with sharp clicks, +16 dB to the target. The limiter took 2.9 LU
# with the peaks and the encoder put 0.7 dB of peak back: it came out at -15.2 LUFS, -0.6 dBTP,
# its note saying -14.0. Now the sound is encoded as it ships and measured, the gain and the
# limiter corrected: within 0.5 LU, under the ceiling, and the note says what it reached.
if root=$(python3 "$(dirname "$0")/../media/debmedia.py" forensics-samples-files); then
  hello="$root/usr/share/forensics-samples/original-files/movie2/movie-hello.mp4" # CC-BY-SA-4.0
  for mode in accurate smart; do
    ok clip --input "$hello" --output "hello_$mode.mp4" --trim 1.664:7.072 --trim-mode $mode --normalize-audio --json
    l=$(lufs "hello_$mode.mp4"); tp=$(true_peak "hello_$mode.mp4"); n=$(said_lufs)
    echo "  movie-hello.mp4, $mode: $l LUFS, true peak $tp dBTP; notes: $(json_get out.txt "['notes']")"
    approx "$l" -14 0.5 || fail "movie-hello $mode: loudness $l, expected -14"
    python3 -c "import sys; sys.exit(0 if float('$tp') <= -0.95 else 1)" || fail "movie-hello $mode: true peak $tp"
    approx "$n" "$l" 0.15 || fail "movie-hello $mode: the note says $n LUFS, the clip has $l"
  done
  cmp -s <(ffmpeg -v error -i hello_accurate.mp4 -map 0:a -f md5 -) <(ffmpeg -v error -i hello_smart.mp4 -map 0:a -f md5 -) ||
    echo "  (the two paths' sound differs in its samples)"
else
  echo "  (forensics-samples-files cannot be fetched here: the real recording skipped)"
fi
gen hush.m4a -f lavfi -i "anullsrc=r=48000:cl=mono:d=3" -c:a aac
ok clip --input hush.m4a --output hush.mp4 --normalize-audio --json
[[ "$(json_get out.txt "['notes']")" == *"sound not normalized: the span is silent"* ]] || fail "silence: $(cat out.txt)"
ok clip --input src.mp4 --output n2.mp4 --normalize-audio=-20
l=$(lufs n2.mp4); echo "  output: $l LUFS"
approx "$l" -20 1 || fail "loudness $l, expected -20"

check "mute drops the audio track"
ok clip --input src.mp4 --output m.mp4 --trim 0:2 --mute
[ -z "$(sval m.mp4 a 'codec_name')" ] || fail "audio still there"
[ "$(sval m.mp4 v:0 codec_name)" = h264 ] || fail "video missing"

# Packet checksums: a stream copy carries the source's packets byte for byte.
packets() { ffmpeg -nostdin -v error -i "$1" -map 0:v:0 -c copy -f framemd5 - | awk -F, '!/^#/{print $6}' | sort; }
packets src.mp4 >src.pk

check "trim mode copy: stream copy from the keyframe at or before the start (packets identical), into MP4 shown from the start"
# Before: the MP4 copy was shown from the keyframe, 0.5 s before the start; now the file holds
# the pictures from it (the start's picture is decoded from them) and its edit list hides them.
ok clip --input src.mp4 --output k1.mp4 --trim 1.5:3 --trim-mode copy
packets k1.mp4 >k1.pk
[ -z "$(comm -23 k1.pk src.pk)" ] || fail "copy mode re-encoded packets"
[ "$(wc -l <k1.pk)" = 50 ] || fail "copy: $(wc -l <k1.pk) pictures in the file, not the 50 from the keyframe at 1 s"
approx "$(sval k1.mp4 v:0 duration)" 1.52 0.021 || fail "copy duration $(sval k1.mp4 v:0 duration) (1.5 s asked for)"
[ "$(frames k1.mp4 v:0)" = 38 ] || fail "copy: $(frames k1.mp4 v:0) pictures shown, not 38 (from 1.48 s, the one on screen at 1.5 s)"
! grep -q "^note: copy" out.txt || fail "a copy shown from the start says it is not: $(cat out.txt)"
# A flash and a click together at 2 s, a copy from inside a picture (1.5 s at 25 fps): an edit
# list that starts inside a picture is read by FFmpeg (and Chromium) from the next one, placed at
# the start, so a copy hidden to 1.5 s itself (as the ffmpeg CLI's -ss copy is) shows its pictures
# 20 ms before their sound; hidden to the picture on screen at 1.5 s, both are at 0.52.
gen av.mp4 -f lavfi -i "color=black:s=160x120:r=25:d=6,drawbox=enable='between(t,2,2.039)':w=160:h=120:color=white:t=fill" \
  -f lavfi -i "aevalsrc='if(between(t,2,2.02),0.8*sin(2*PI*1000*t),0)':s=44100:d=6" -c:v libx264 -g 25 -bf 2 \
  -pix_fmt yuv420p -c:a aac
flash() { ffmpeg -nostdin -v error -i "$1" -vf "signalstats,metadata=print:key=lavfi.signalstats.YAVG:file=-" -f null - |
  paste - - | awk '{ split($3, t, ":"); split($NF, y, "="); if (y[2] > 100) { print t[2]; exit } }'; }
ok clip --input av.mp4 --output av-copy.mp4 --trim 1.5:3 --trim-mode copy
f=$(flash av-copy.mp4) c=$(pips av-copy.mp4)
echo "  copy of 1.5-3 s: the flash at $f s, the click at $c s (both at 0.52 s: from the picture on screen at 1.5 s)"
approx "$f" 0.52 0.001 && approx "$c" 0.52 0.001 || fail "copy: the flash at $f s, the click at $c s"
check "trim mode copy into WebM starts at the keyframe, and says so"
# (FFmpeg 5.1 writes the WebM 7 ms late: its keyframes at 1.007 s)
gen src.webm -i src.mp4 -c:v libvpx-vp9 -deadline realtime -cpu-used 8 -g 25 -keyint_min 25 -c:a libopus
ok clip --input src.webm --output k1.webm --trim 1.5:3 --trim-mode copy
approx "$(fval k1.webm duration)" 2.0 0.1 || fail "webm copy duration $(fval k1.webm duration) (from the keyframe at 1 s)"
grep -q "^note: copy: starts 0\.4[89][0-9] s before the start asked for" out.txt ||
  fail "the copy does not say it starts early: $(cat out.txt)"

check "trim mode copy of a phone's HEVC (hvc1) into MP4 stays hvc1; HEVC with its parameter sets in the stream stays hev1"
# Before: every HEVC copy was tagged hev1 (FFmpeg's default), which Apple's players do not play:
# a copy of an iPhone's recording did not play on the iPhone.
gen hv.mov -f lavfi -i testsrc2=s=160x120:r=25:d=4 -c:v libx265 -x265-params log-level=error:keyint=25 \
  -pix_fmt yuv420p -tag:v hvc1
gen hv.ts -i hv.mov -c copy
for src in hv.mov:hvc1 hv.ts:hev1; do
  ok clip --input "${src%:*}" --output hv-copy.mp4 --trim 1:3 --trim-mode copy
  tag=$(sval hv-copy.mp4 v:0 codec_tag_string) n=$(frames hv-copy.mp4 v:0)
  echo "  ${src%:*} copied: $tag, $n pictures"
  [ "$tag" = "${src#*:}" ] && [ "$n" -ge 50 ] || fail "${src%:*} copied: $tag, $n pictures (${src#*:}, 50 wanted)"
done

check "trim mode auto on keyframes is a stream copy with the exact duration"
ok clip --input src.mp4 --output k2.mp4 --trim 1:3
packets k2.mp4 >k2.pk
[ -z "$(comm -23 k2.pk src.pk)" ] || fail "auto on keyframes re-encoded"
approx "$(sval k2.mp4 v:0 duration)" 2.0 0.04 || fail "auto copy duration $(sval k2.mp4 v:0 duration)"

check "trim mode auto on keyframes re-encodes pictures an encode would change: 4:4:4, 4:2:2, 10-bit, interlaced"
# copied, a browser could not play the first three (High 4:4:4, High 4:2:2, High 10), and the
# fields would stay combed; an encode writes 8-bit 4:2:0 High, deinterlaced
for f in yuv444p yuv422p yuv420p10le interlaced; do
  x=(-pix_fmt "$f")
  [ $f = interlaced ] && x=(-pix_fmt yuv420p -flags +ilme+ildct -x264opts tff=1)
  gen "$f.mp4" -f lavfi -i testsrc2=s=320x240:r=25:d=4 -c:v libx264 -preset ultrafast -g 25 "${x[@]}"
  ok clip --input "$f.mp4" --output "o_$f.mp4" --trim 1:3
  got=$(sval "o_$f.mp4" v:0 profile),$(sval "o_$f.mp4" v:0 pix_fmt),$(sval "o_$f.mp4" v:0 field_order)
  echo "  $f: $(sval "$f.mp4" v:0 profile) -> $got"
  [ "$got" = High,yuv420p,progressive ] || fail "$f: the clip is $got"
done

check "trim mode auto off keyframes re-encodes (frame-accurate)"
ok clip --input src.mp4 --output k3.mp4 --trim 1.2:3
packets k3.mp4 >k3.pk
[ -n "$(comm -23 k3.pk src.pk)" ] || fail "auto off keyframes copied"
approx "$(sval k3.mp4 v:0 duration)" 1.8 0.04 || fail "accurate duration $(sval k3.mp4 v:0 duration)"

check "trim mode accurate re-encodes even on keyframes"
ok clip --input src.mp4 --output k4.mp4 --trim 1:3 --trim-mode accurate
packets k4.mp4 >k4.pk
[ -n "$(comm -23 k4.pk src.pk)" ] || fail "accurate mode copied"
no_temp_left
echo "PASS clip_ops"
