# clip_formats.sh — mp4, webm and gif outputs: frame-accurate trim, A/V start, codecs, pixel
# format, faststart, GIF frame count and width bound, thumbnail, the --json result.
source "$(dirname "$0")/lib.sh" "$@"

gen src.mp4 -f lavfi -i testsrc2=s=320x240:r=25:d=6 -f lavfi -i "sine=f=440:d=6:sample_rate=48000" \
  -ac 2 -c:v libx264 -g 25 -pix_fmt yuv420p -c:a aac -shortest

check "mp4: trim 1.3-3.7 off keyframes is frame-accurate (2.4 s within one frame at 25 fps)"
ok clip --input src.mp4 --output a.mp4 --trim 1.3:3.7 --json
approx "$(sval a.mp4 v:0 duration)" 2.4 0.04 || fail "video duration $(sval a.mp4 v:0 duration)"
approx "$(sval a.mp4 a:0 duration)" 2.4 0.04 || fail "audio duration $(sval a.mp4 a:0 duration)"
[ "$(frames a.mp4 v:0)" -eq 60 ] || fail "frame count $(frames a.mp4 v:0), expected 60"

check "mp4: audio and video start within one frame of each other"
approx "$(sval a.mp4 v:0 start_time)" "$(sval a.mp4 a:0 start_time)" 0.04 || fail "A/V start differ"
approx "$(sval a.mp4 v:0 start_time)" 0 0.04 || fail "video does not start at 0"

check "mp4: the first picture is the source picture at 1.3 s"
ffmpeg -nostdin -v error -i a.mp4 -frames:v 1 -f rawvideo -pix_fmt gray -s 32x24 - >got.raw
ffmpeg -nostdin -v error -ss 1.26 -i src.mp4 -frames:v 1 -f rawvideo -pix_fmt gray -s 32x24 - >prev.raw
python3 - <<'PY' || fail "first frame is not the 1.3 s picture"
a = open("got.raw", "rb").read()
import subprocess
ref = subprocess.run(["ffmpeg", "-nostdin", "-v", "error", "-ss", "1.3", "-i", "src.mp4", "-frames:v", "1",
                      "-f", "rawvideo", "-pix_fmt", "gray", "-s", "32x24", "-"], capture_output=True).stdout
prev = open("prev.raw", "rb").read()
d = lambda x, y: sum(abs(p - q) for p, q in zip(x, y)) / len(x)
print(f"  mean abs diff to 1.30 s: {d(a, ref):.2f}, to 1.26 s: {d(a, prev):.2f}")
assert d(a, ref) < d(a, prev)
PY

check "mp4: H.264 High yuv420p + AAC, moov before mdat"
[ "$(sval a.mp4 v:0 codec_name)" = h264 ] || fail "video codec"
[ "$(sval a.mp4 v:0 pix_fmt)" = yuv420p ] || fail "pix_fmt"
[ "$(sval a.mp4 a:0 codec_name)" = aac ] || fail "audio codec"
python3 -c 'import sys; d=open("a.mp4","rb").read(); m,a=d.find(b"moov"),d.find(b"mdat"); sys.exit(0 if 0<m<a else 1)' ||
  fail "moov is not before mdat"

check "--json result carries the measured artifact"
[ "$(json_get out.txt '["artifacts"][0]["kind"]')" = video ] || fail "kind"
approx "$(json_get out.txt '["artifacts"][0]["duration_ms"]')" 2400 40 || fail "duration_ms"
[ "$(json_get out.txt '["artifacts"][0]["width"]')" = 320 ] || fail "width"
[ "$(json_get out.txt '["artifacts"][0]["bytes"]')" = "$(stat -c %s a.mp4)" ] || fail "bytes"
[ "$(json_get out.txt '["artifacts"][0]["video_codec"]')" = h264 ] || fail "video_codec"
[ "$(json_get out.txt '["artifacts"][0]["audio_codec"]')" = aac ] || fail "audio_codec"
json_get out.txt '["processing_time_ms"]' >/dev/null

check "webm: VP9 + Opus, trimmed duration"
ok clip --input src.mp4 --output b.webm --trim 2:4
[ "$(sval b.webm v:0 codec_name)" = vp9 ] || fail "webm video codec"
[ "$(sval b.webm a:0 codec_name)" = opus ] || fail "webm audio codec"
[ "$(sval b.webm v:0 pix_fmt)" = yuv420p ] || fail "webm pix_fmt"
approx "$(fval b.webm duration)" 2.0 0.05 || fail "webm duration $(fval b.webm duration)"

check "webm: Opus's pre-skip moves neither track: pictures and pips at the source's times, copied again too"
gen pip.mkv -f lavfi -i testsrc2=s=160x120:r=25:d=6 -f lavfi \
  -i "aevalsrc=0.5*sin(2*PI*1000*t)*between(mod(t\\,1)\\,0.5\\,0.55):s=48000:d=6" \
  -c:v libx264 -g 25 -pix_fmt yuv420p -c:a flac
ok clip --input pip.mkv --output p.webm --trim 1:5 --trim-mode accurate
ok clip --input p.webm --output q.webm --trim 0:3 --trim-mode copy
pv=$(first_pts p.webm v:0) qv=$(first_pts q.webm v:0)
echo "  first pictures at $pv / $qv s (the copy counts from the pre-skip's start)"
approx "$pv" 0 0.0015 || fail "the webm's pictures start at $pv s"
same_pips "$(pips pip.mkv)" 1 5 "$(pips p.webm)" 0.002 || fail "the webm's pips moved"
same_pips "$(pips p.webm)" "-$qv" 3 "$(pips q.webm)" 0.0015 || fail "the copy's pips moved from its pictures"

check "Opus copied from inside the stream starts right (its pre-roll kept, dropped by WebM's delay, by MP4's edit list)"
# a chirp: no two stretches alike, so the copy's first 40 ms are compared sample by sample with
# the source's at the keyframe the copy starts at (before: the first 10 ms silent, 69 % in error
# at 10-40 ms, as the decoder started without the 80 ms it needs)
gen chirp.webm -f lavfi -i testsrc2=s=160x120:r=25:d=8 -f lavfi -i "aevalsrc=0.4*sin(2*PI*(200*t+50*t*t)):s=48000:d=8" \
  -c:v libvpx-vp9 -deadline realtime -cpu-used 8 -g 50 -keyint_min 50 -c:a libopus -b:a 128k
key=$(ffprobe -v error -select_streams v -show_entries packet=pts_time,flags -of csv=p=0 chirp.webm |
  awk -F, '$2 ~ /K/ && $1 > 3.5 { print $1; exit }')
ok clip --input chirp.webm --output cc.webm --trim "$(awk -v k="$key" 'BEGIN { print k + 0.02 }'):6" --trim-mode copy
[ "$(first_pts cc.webm v:0)" = 0.000000 ] || fail "the copy's pictures start at $(first_pts cc.webm v:0) s"
# first_40ms SRC CLIP AT: the residual of CLIP's first 40 ms of sound against SRC's at AT s (the
# best match within 2 ms: WebM's times are whole milliseconds), below 0.15 of SRC's level
first_40ms() {
  timeline "$1" >src.pcm
  timeline "$2" >cc.pcm
  python3 - "$3" <<'PY'
import array, math, sys
src, cc = array.array("h"), array.array("h")
src.frombytes(open("src.pcm", "rb").read()); cc.frombytes(open("cc.pcm", "rb").read())
at = min(range(round(float(sys.argv[1]) * 48000) - 96, round(float(sys.argv[1]) * 48000) + 97),
         key=lambda a: sum((cc[i] - src[a + i]) ** 2 for i in range(960, 1920)))
err = sum((cc[i] - src[at + i]) ** 2 for i in range(1920))
ref = sum(src[at + i] ** 2 for i in range(1920))
print("  first 40 ms: residual %.3f of the source's level (at %.4f s)" % (math.sqrt(err / ref), at / 48000))
sys.exit(0 if math.sqrt(err / ref) < 0.15 else 1)
PY
}
first_40ms chirp.webm cc.webm "$key" || fail "the copy's first 40 ms differ from the source's"
# into MP4 from a keyframe (before: 0.86 of the level in error in the first 10 ms, 0.65 at 10-40
# ms): the edit list hides the pre-roll
gen chirp.mp4 -i chirp.webm -c:v libx264 -g 50 -keyint_min 50 -sc_threshold 0 -pix_fmt yuv420p -c:a libopus -b:a 128k
ok clip --input chirp.mp4 --output cc.mp4 --trim 4:6 --trim-mode copy
first_40ms chirp.mp4 cc.mp4 4 || fail "the MP4 copy's first 40 ms differ from the source's"

check "gif: two-pass palette, frame count from --fps, width bounded to 480"
gen wide.mp4 -f lavfi -i testsrc2=s=1280x720:r=30:d=3 -c:v libx264 -preset ultrafast -pix_fmt yuv420p
ok clip --input wide.mp4 --output c.gif --trim 0.5:2.5 --fps 10
[ "$(sval c.gif v:0 codec_name)" = gif ] || fail "gif codec"
[ "$(frames c.gif v:0)" -ge 19 ] && [ "$(frames c.gif v:0)" -le 21 ] || fail "gif frames $(frames c.gif v:0), expected 20"
[ "$(sval c.gif v:0 width)" -eq 480 ] || fail "gif width $(sval c.gif v:0 width)"
[ "$(sval c.gif v:0 height)" -eq 270 ] || fail "gif height $(sval c.gif v:0 height)"
ok clip --input wide.mp4 --output d.gif --trim 0:1 --fps 60
[ "$(frames d.gif v:0)" -le 16 ] || fail "gif fps not bounded: $(frames d.gif v:0) frames in 1 s"

check "thumbnail: a JPEG of the clip's picture, with the requested width"
ok clip --input src.mp4 --output e.mp4 --trim 1:3 --scale 160x-1 --thumbnail thumb.jpg@1.5 --json
[ "$(sval thumb.jpg v:0 codec_name)" = mjpeg ] || fail "thumbnail is not a JPEG"
[ "$(sval thumb.jpg v:0 width)" -eq 160 ] || fail "thumbnail width"
[ "$(json_get out.txt '["artifacts"][1]["kind"]')" = thumbnail ] || fail "thumbnail artifact"
check "mp4 of a recording without pictures: said to be audio"
gen tone.wav -f lavfi -i "sine=f=440:d=3"
ok clip --input tone.wav --output tone.mp4 --trim 0.5:2.5
head -1 out.txt | grep -q "^audio tone.mp4: [0-9]* bytes, 2.000 s, aac$" || fail "summary: $(head -1 out.txt)"
no_temp_left
echo "PASS clip_formats"
