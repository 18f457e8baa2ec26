# clip_sources.sh — the inputs phones and editors make: rotated (display matrix), wide pixels
# (DVD), recordings joined, variable frame rate, audio-only, video-only, 5.1 audio; and
# `clipforge probe` on them.
TESTS=$(cd "$(dirname "$0")/.." && pwd)
source "$(dirname "$0")/lib.sh" "$@"

check "rotated phone video comes out upright: sides swapped, no rotation tag, same picture as ffmpeg's autorotate"
# Left half red, right half blue, then a display matrix that turns it a quarter.
gen plain.mp4 -f lavfi -i "color=red:s=160x240:r=25:d=2,pad=320:240:0:0:blue" -c:v libx264 -pix_fmt yuv420p
gen rot.mp4 -i plain.mp4 -c copy -metadata:s:v:0 rotate=90
ok probe rot.mp4
grep -q "rotation 270" out.txt || fail "probe does not show the rotation: $(cat out.txt)"
ok clip --input rot.mp4 --output up.mp4
[ "$(sval up.mp4 v:0 width)x$(sval up.mp4 v:0 height)" = 240x320 ] || fail "not upright: $(sval up.mp4 v:0 width)x$(sval up.mp4 v:0 height)"
ffprobe -v error -show_streams up.mp4 | grep -qi "rotation" && fail "rotation tag still present"
colour() { ffmpeg -nostdin -v error -i "$1" -vf "format=rgb24,crop=1:1:$2:$3" -frames:v 1 -f rawvideo -pix_fmt rgb24 - | od -An -tu1 | tr -s ' '; }
want=$(ffmpeg -nostdin -v error -i rot.mp4 -vf "format=rgb24,crop=1:1:120:40" -frames:v 1 -f rawvideo -pix_fmt rgb24 - | od -An -tu1 | tr -s ' ')
got=$(colour up.mp4 120 40)
echo "  top of the picture: ffmpeg autorotate [$want], ours [$got]"
python3 -c "import sys; a=list(map(int,'$want'.split())); b=list(map(int,'$got'.split())); sys.exit(0 if max(abs(x-y) for x,y in zip(a,b))<40 else 1)" ||
  fail "picture is not turned the same way as ffmpeg's autorotate"

check "wide pixels (a DVD's 720x480 at 32:27, shown 16:9) come out square at the shape shown; crop and GIF in that picture"
# Left quarter red, the rest blue, stored with wide pixels: shown 854x480, the red 213 wide.
gen dvd.mpg -f lavfi -i "color=red:s=180x480:r=25:d=2,pad=720:480:0:0:blue,setsar=32/27" -c:v mpeg2video -f vob
ok probe dvd.mpg
grep -q "pixels 32:27 shown 854x480" out.txt || fail "probe does not show the picture's shape: $(cat out.txt)"
ok clip --input dvd.mpg --output dvd.mp4
[ "$(sval dvd.mp4 v:0 width)x$(sval dvd.mp4 v:0 height)" = 854x480 ] || fail "not 854x480: $(sval dvd.mp4 v:0 width)x$(sval dvd.mp4 v:0 height)"
[ "$(sval dvd.mp4 v:0 sample_aspect_ratio)" = 1:1 ] || fail "pixels not square: $(sval dvd.mp4 v:0 sample_aspect_ratio)"
red_at() { colour "$1" "$2" "$3" | awk '{exit !($1 > 150 && $3 < 90)}'; }
red_at dvd.mp4 200 240 || fail "x=200 of the shown picture is not red: [$(colour dvd.mp4 200 240)]"
red_at dvd.mp4 226 240 && fail "x=226 of the shown picture is red: the red quarter was not widened"
# a crop of the shown picture's left 240 columns: the red ends at 213 of them
ok clip --input dvd.mpg --output crop.mp4 --crop 240:480:0:0
[ "$(sval crop.mp4 v:0 width)" = 240 ] || fail "crop width $(sval crop.mp4 v:0 width)"
red_at crop.mp4 200 240 || fail "crop: x=200 is not red"
red_at crop.mp4 230 240 && fail "crop: x=230 is red (cropped in stored pixels?)"
ok clip --input dvd.mpg --output dvd.gif
[ "$(sval dvd.gif v:0 width)x$(sval dvd.gif v:0 height)" = 480x270 ] || fail "gif $(sval dvd.gif v:0 width)x$(sval dvd.gif v:0 height)"

check "two recordings joined (MPEG-TS, the second continuing the timestamps at another size): every picture, at the first size"
gen join_a.ts -f lavfi -i testsrc2=s=320x240:r=25:d=3 -f lavfi -i sine=d=3 -c:v libx264 -c:a aac -f mpegts
gen join_b.ts -f lavfi -i testsrc2=s=640x360:r=25:d=3 -f lavfi -i sine=f=600:d=3 -c:v libx264 -c:a aac \
  -output_ts_offset 3 -f mpegts
cat join_a.ts join_b.ts >joined.ts
for fmt in mp4 webm; do
  ok clip --input joined.ts --output "joined.$fmt" --trim 1:5
  [ "$(sval "joined.$fmt" v:0 width)x$(sval "joined.$fmt" v:0 height)" = 320x240 ] || fail "joined $fmt: size"
  n=$(frames "joined.$fmt" v:0)
  echo "  joined.$fmt: $n pictures in 4 s at 25 fps"
  [ "$n" -ge 98 ] && [ "$n" -le 101 ] || fail "joined $fmt: $n pictures"
  approx "$(fval "joined.$fmt" duration)" 4.0 0.1 || fail "joined $fmt: duration $(fval "joined.$fmt" duration)"
done
grep -q "changes its picture size at \(2\.9\|3\.0\)[0-9]* s (640x360, was 320x240)" err.txt || fail "the size change is not logged: $(cat err.txt)"
# the 16:9 part is fitted whole into the 4:3 picture (320x180, black bars of 30 rows), as a
# player shows it; stretched, its top rows were the pattern's
band() { ffmpeg -nostdin -v error -ss "$2" -i "$1" -frames:v 1 -vf "crop=320:10:0:$3,format=gray" -f rawvideo - |
  python3 -c 'import sys; d=sys.stdin.buffer.read(); print(round(sum(d)/max(len(d),1)))'; }
top=$(band joined.mp4 3.5 5) middle=$(band joined.mp4 3.5 115) first=$(band joined.mp4 1.0 5)
echo "  mean grey of rows 5-15 at 1.0 s (4:3 part) $first, at 3.5 s (16:9 part) $top; rows 115-125 at 3.5 s $middle"
[ "$top" -le 20 ] && [ "$middle" -ge 60 ] && [ "$first" -ge 60 ] || fail "the 16:9 part is not letterboxed ($first $top $middle)"

check "variable frame rate: trim keeps the right frames and duration"
# 30 fps for 2 s, then 10 fps for 2 s.
gen vfr.mp4 -f lavfi -i testsrc2=s=160x120:r=30:d=4 -vf "select='lt(t\,2)+not(mod(n\,3))'" -fps_mode vfr \
  -c:v libx264 -pix_fmt yuv420p
want=$(ffprobe -v error -select_streams v -show_entries frame=pts_time -of csv=p=0 vfr.mp4 |
  awk '$1>=1.5 && $1<3.0' | wc -l)
ok clip --input vfr.mp4 --output vfr_out.mp4 --trim 1.5:3
got=$(frames vfr_out.mp4 v:0)
echo "  frames in [1.5, 3.0): source $want, clip $got"
[ "$got" -eq "$want" ] || fail "VFR trim kept $got frames, expected $want"
approx "$(fval vfr_out.mp4 duration)" 1.5 0.1 || fail "VFR duration $(fval vfr_out.mp4 duration)"

check "audio-only input: mp4 and webm clips, normalized; video operations refused"
gen tone.m4a -f lavfi -i "sine=f=300:d=5:sample_rate=44100,volume=0.2" -c:a aac
ok clip --input tone.m4a --output tone.mp4 --trim 1:4 --normalize-audio
[ -z "$(sval tone.mp4 v codec_name)" ] || fail "a video stream appeared"
[ "$(sval tone.mp4 a:0 codec_name)" = aac ] || fail "audio codec"
approx "$(fval tone.mp4 duration)" 3.0 0.05 || fail "audio-only duration $(fval tone.mp4 duration)"
approx "$(lufs tone.mp4)" -14 1 || fail "audio-only loudness $(lufs tone.mp4)"
ok clip --input tone.m4a --output tone.webm --trim 1:4
[ "$(sval tone.webm a:0 codec_name)" = opus ] || fail "webm audio codec"
bad 2 x.mp4 clip --input tone.m4a --output x.mp4 --thumbnail x.jpg
bad 2 x.gif clip --input tone.m4a --output x.gif
bad 2 x.mp4 clip --input tone.m4a --output x.mp4 --scale 100x100

check "video-only input: clips work, mute is a no-op, normalize is refused"
gen silent.mp4 -f lavfi -i testsrc2=s=160x120:r=25:d=3 -c:v libx264 -pix_fmt yuv420p
ok clip --input silent.mp4 --output silent_out.webm --trim 0.5:2.5 --mute
approx "$(fval silent_out.webm duration)" 2.0 0.05 || fail "video-only duration"
bad 2 x.mp4 clip --input silent.mp4 --output x.mp4 --normalize-audio

check "5.1 audio: kept as 6 channels in mp4 (AAC) and webm (Opus), and normalized"
gen surround.mp4 -f lavfi -i testsrc2=s=160x120:r=25:d=3 -f lavfi \
  -i "sine=f=500:d=3:sample_rate=48000,volume=0.1,aformat=channel_layouts=5.1" -c:v libx264 \
  -pix_fmt yuv420p -c:a aac -shortest
ok clip --input surround.mp4 --output s51.mp4 --normalize-audio
[ "$(sval s51.mp4 a:0 channels)" -eq 6 ] || fail "mp4 channels $(sval s51.mp4 a:0 channels)"
approx "$(lufs s51.mp4)" -14 1 || fail "5.1 loudness $(lufs s51.mp4)"
ok clip --input surround.mp4 --output s51.webm
[ "$(sval s51.webm a:0 channels)" -eq 6 ] || fail "webm channels $(sval s51.webm a:0 channels)"
ok probe --json surround.mp4
python3 -c 'import json; d=json.load(open("out.txt")); a=[s for s in d["streams"] if s["type"]=="audio"][0]; assert a["channels"]==6 and a["sample_rate"]==48000, a' ||
  fail "probe --json channels"
check "a commentary track and subtitles the clip does not carry are named in its notes, and a mute clip names no audio"
gen tracks.mkv -f lavfi -i testsrc2=s=160x120:r=25:d=3 -f lavfi -i "sine=f=440:d=3" -f lavfi -i "sine=f=660:d=3" \
  -f srt -i <(printf '1\n00:00:00,500 --> 00:00:02,000\nhello\n') -map 0 -map 1 -map 2 -map 3 -c:v libx264 \
  -pix_fmt yuv420p -c:a aac -c:s srt -metadata:s:a:1 title=Commentary -metadata:s:s:0 language=fre
ok probe tracks.mkv
grep -q '^  #2  audio .* "Commentary"$' out.txt && grep -q '^  #3  subtitle .* \[fre\]$' out.txt &&
  grep -q '^  #1  audio .* default$' out.txt || fail "probe does not mark the tracks: $(cat out.txt)"
gen cover.png -f lavfi -i color=orange:s=64x64 -frames:v 1
gen song.mp3 -f lavfi -i "sine=f=440:d=2" -i cover.png -map 0 -map 1 -c:a libmp3lame -c:v copy -disposition:v attached_pic
ok probe song.mp3
grep -q '^  #1  video    png        64x64 rgb24 cover picture$' out.txt || fail "probe does not name the cover: $(cat out.txt)"
ok clip --input tracks.mkv --output tracks.mp4 --trim 0.5:2.5
grep -q '^note: left out of the result: audio stream 2 (aac, "Commentary"), subtitle stream 3 (subrip, fre); it carries audio stream 1' out.txt ||
  fail "the left-out streams are not named: $(cat out.txt)"
ok clip --input tracks.mkv --output tracks2.mp4 --trim 0.5:2.5 --audio-stream 2 --json
json_get out.txt '["notes"]' | grep -q 'audio stream 1 (aac), subtitle stream 3 .*carries audio stream 2' ||
  fail "--audio-stream 2: notes $(json_get out.txt '["notes"]')"
ok clip --input tracks.mkv --output tracks3.mp4 --trim 0.5:2.5 --mute --json
json_get out.txt '["notes"]' | grep -q "'left out of the result: subtitle stream 3 (subrip, fre)'" ||
  fail "--mute: notes $(json_get out.txt '["notes"]')"
check "a clip keeps when and what the recording is (creation time, title, the sound's language) in every cut mode, never its place"
gen tagged.mp4 -f lavfi -i testsrc2=s=160x120:r=25:d=4 -f lavfi -i "sine=f=440:d=4" -c:v libx264 -g 25 -pix_fmt yuv420p \
  -c:a aac -metadata creation_time=2026-07-14T18:30:00Z -metadata "title=Final, second half" \
  -metadata:s:a:0 language=fra -metadata "location=+48.8584+002.2945/" -f mov
ftag() { ffprobe -v error -show_entries "format_tags=$2" -of default=nw=1:nk=1 "$1" | head -1; }
atag() { ffprobe -v error -select_streams a:0 -show_entries "stream_tags=$2" -of default=nw=1:nk=1 "$1" | head -1; }
for mode in copy smart accurate; do
  ok clip --input tagged.mp4 --output "tagged-$mode.mp4" --trim 1.5:3 --trim-mode "$mode"
  [ "$(ftag "tagged-$mode.mp4" creation_time)" = 2026-07-14T18:30:00.000000Z ] ||
    fail "$mode: creation time '$(ftag "tagged-$mode.mp4" creation_time)'"
  [ "$(ftag "tagged-$mode.mp4" title)" = "Final, second half" ] || fail "$mode: title '$(ftag "tagged-$mode.mp4" title)'"
  [ "$(atag "tagged-$mode.mp4" language)" = fra ] || fail "$mode: the sound's language '$(atag "tagged-$mode.mp4" language)'"
  [ -z "$(ftag "tagged-$mode.mp4" location)" ] || fail "$mode: the place was kept"
done
[ -n "$(ftag tagged.mp4 location)" ] || fail "the source has no location to leave out"
ok clip --input tagged.mp4 --output tagged.webm --trim 1.5:3
[ "$(atag tagged.webm language)" = fra ] || fail "webm: the sound's language '$(atag tagged.webm language)'"
check "HDR (HLG and PQ, 10-bit BT.2020) comes out as the SDR a phone shows: colours as mastered, tagged BT.709"
# A red and a mid-grey patch mastered in SDR, then put into HDR as a phone's camera would.
rgb709() { ffmpeg -nostdin -v error -i "$1" -vf "scale=in_color_matrix=bt709:in_range=tv,format=rgb24,crop=1:1:$2:${3:-60}" \
  -frames:v 1 -f rawvideo -pix_fmt rgb24 - | od -An -tu1 | tr -s ' '; }
near() { python3 -c "import sys; a=list(map(int,'$1'.split())); b=list(map(int,'$2'.split())); sys.exit(0 if len(a)==3 and max(abs(x-y) for x,y in zip(a,b))<=$3 else 1)"; }
for trc in arib-std-b67 smpte2084; do
  gen "hdr-$trc.mp4" -f lavfi -i "color=c=0xC02020:s=160x120:r=25:d=2" -f lavfi -i "color=c=0x808080:s=160x120:r=25:d=2" \
    -filter_complex "[0][1]hstack,format=yuv420p,zscale=tin=709:pin=709:min=709:rin=limited:t=$trc:p=2020:m=2020_ncl:r=limited:npl=100,format=yuv420p10le" \
    -c:v libx265 -preset ultrafast -x265-params log-level=0 -pix_fmt yuv420p10le \
    -color_primaries bt2020 -color_trc "$trc" -colorspace bt2020nc
  ok probe "hdr-$trc.mp4"
  grep -q "^  #0  video .* yuv420p10le HDR $trc " out.txt || fail "probe does not say HDR: $(cat out.txt)"
  ok clip --input "hdr-$trc.mp4" --output "sdr-$trc.mp4"
  grep -q "^note: the source is HDR ($trc): tone-mapped to SDR (BT.709)" out.txt || fail "$trc: no note: $(cat out.txt)"
  tags=$(sval "sdr-$trc.mp4" v:0 color_transfer)/$(sval "sdr-$trc.mp4" v:0 color_primaries)/$(sval "sdr-$trc.mp4" v:0 color_space)
  [ "$tags" = bt709/bt709/bt709 ] || fail "$trc: the clip is tagged $tags"
  red=$(rgb709 "sdr-$trc.mp4" 80) grey=$(rgb709 "sdr-$trc.mp4" 240)
  echo "  $trc: red [$red] (mastered 192 32 32), grey [$grey] (128)"
  near "$red" "192 32 32" 25 || fail "$trc: the red patch is [$red]"
  near "$grey" "128 128 128" 12 || fail "$trc: the grey patch is [$grey]"
  # scaled down, the tone map runs on the smaller pictures, after the scale
  ok clip --input "hdr-$trc.mp4" --output "sdr-half-$trc.mp4" --scale 160x-1
  [ "$(sval "sdr-half-$trc.mp4" v:0 width)x$(sval "sdr-half-$trc.mp4" v:0 height)" = 160x60 ] || fail "$trc: scaled size"
  red=$(rgb709 "sdr-half-$trc.mp4" 40 30) grey=$(rgb709 "sdr-half-$trc.mp4" 120 30)
  echo "  $trc at half size: red [$red], grey [$grey]"
  near "$red" "192 32 32" 25 || fail "$trc: half size: the red patch is [$red]"
  near "$grey" "128 128 128" 12 || fail "$trc: half size: the grey patch is [$grey]"
done
check "SD, BT.601 and full-range video and RGB screen captures come out with the colours a player shows them in, stated"
# Red | green halves. Players read an untagged SD picture as BT.601 and an HD one as BT.709: a
# BT.601 source whose values went into an untagged HD output (a phone's BT.601 HD, an SD clip
# scaled up) showed the red as 206 48 30 and the green as 23 142 62. A clip keeps the source's
# matrix and states it (RGB becomes BT.709).
shown() { python3 "$TESTS/shown_rgb.py" "$@"; }
halves() { echo "color=c=0xC02020:s=$1:r=25:d=2,drawbox=x=iw/2:y=0:w=iw/2:h=ih:color=0x20A040:t=fill"; }
gen sd.mp4 -f lavfi -i "$(halves 320x180)" -vf "scale=out_color_matrix=bt601,format=yuv420p" -c:v libx264 -preset ultrafast
gen phone601.mp4 -f lavfi -i "$(halves 1280x720)" -vf "scale=out_color_matrix=bt601,format=yuv420p" -c:v libx264 \
  -preset ultrafast -colorspace smpte170m -color_primaries smpte170m -color_trc smpte170m
gen full.mp4 -f lavfi -i "$(halves 320x180)" -vf "scale=out_color_matrix=bt709:out_range=pc,format=yuvj420p" \
  -c:v libx264 -preset ultrafast -colorspace bt709 -color_range pc
gen screen.mkv -f lavfi -i "$(halves 320x180),format=bgr0" -c:v ffv1
ok probe phone601.mp4
grep -q "^  #0  video .* yuv420p smpte170m " out.txt || fail "probe does not give the matrix: $(cat out.txt)"
ok probe full.mp4
grep -q "^  #0  video .* yuvj420p bt709 full range " out.txt || fail "probe does not give the range: $(cat out.txt)"
for src in sd.mp4:smpte170m phone601.mp4:smpte170m full.mp4:bt709 screen.mkv:bt709; do
  matrix=${src#*:} src=${src%%:*}
  w=$(sval "$src" v:0 width) h=$(sval "$src" v:0 height)
  for out in "${src%.*}-out.mp4" "${src%.*}-wide.mp4" "${src%.*}-out.webm" "${src%.*}-out.gif"; do
    case $out in *-wide.mp4) ok clip --input "$src" --output "$out" --scale 1280x-1 --trim-mode accurate ;;
      *) ok clip --input "$src" --output "$out" --trim-mode accurate ;; esac
    ow=$(sval "$out" v:0 width) oh=$(sval "$out" v:0 height)
    red=$(shown "$out" $((ow / 4)) $((oh / 2))) green=$(shown "$out" $((ow * 3 / 4)) $((oh / 2)))
    echo "  $src -> $out: red [$red], green [$green] (shown 192 33 32, 32 159 64)"
    near "$red" "192 33 32" 8 && near "$green" "32 159 64" 8 || fail "$out: colours [$red] [$green]"
    [ "${out##*.}" = gif ] && continue
    tags=$(sval "$out" v:0 color_space)/$(sval "$out" v:0 color_range)
    [ "$tags" = "$matrix/tv" ] || fail "$out: tagged $tags, not $matrix/tv"
  done
  ok clip --input "$src" --output "${src%.*}-thumbed.mp4" --trim-mode accurate --thumbnail "${src%.*}.jpg"
  red=$(shown "${src%.*}.jpg" $((w / 8)) $((h / 4)))
  echo "  $src -> its thumbnail (JPEG, BT.601 full range): red [$red]"
  near "$red" "192 33 32" 8 || fail "${src%.*}.jpg: red [$red]"
done
check "interlaced broadcast video (MPEG-2 and H.264 in MPEG-TS, two fields a frame) comes out whole frames, not combed"
# A moving pattern at 50 pictures/s woven into 25 frames of two fields, as a TV recording holds
# it. FFmpeg's idet filter tells combed frames from whole ones; every frame of a re-encode used
# to be combed (idet: 50 of 50 TFF).
combed() { ffmpeg -nostdin -v info -i "$1" -vf idet -f null - 2>&1 | sed -n 's/.*Multi frame detection: TFF: *\([0-9]*\) *BFF: *\([0-9]*\) *Progressive: *\([0-9]*\).*/\1 \2 \3/p' | tail -1; }
gen tv-mpeg2.ts -f lavfi -i "testsrc2=s=720x576:r=50:d=3" -f lavfi -i "sine=f=440:d=3" \
  -vf "tinterlace=mode=interleave_top,setfield=tff" -c:v mpeg2video -b:v 6M -flags +ildct+ilme -top 1 -c:a mp2
gen tv-h264.ts -f lavfi -i "testsrc2=s=640x360:r=50:d=3" -f lavfi -i "sine=f=440:d=3" \
  -vf "tinterlace=mode=interleave_top,setfield=tff" -c:v libx264 -preset ultrafast -flags +ildct+ilme -x264-params tff=1 -c:a aac
for src in tv-mpeg2.ts tv-h264.ts; do
  ok probe "$src"
  read -r tff bff prog < <(combed "$src")
  [ "$tff" -gt 40 ] || fail "$src is not interlaced by idet ($tff $bff $prog)"
  ok clip --input "$src" --output "${src%.ts}.mp4" --trim 0.5:2.5
  grep -q "^note: the source is interlaced (top field first): deinterlaced" out.txt || fail "$src: no note: $(cat out.txt)"
  read -r tff bff prog < <(combed "${src%.ts}.mp4")
  echo "  $src -> ${src%.ts}.mp4: idet TFF $tff, BFF $bff, progressive $prog"
  [ "$prog" -ge 40 ] && [ "$tff" -le 8 ] || fail "${src%.ts}.mp4 is combed: TFF $tff, progressive $prog"
done
# slowed to half speed: a picture from each field, 25 a second (from frames: 12.5, each a moment
# of its own; 50 fps asked at speed 1: 50)
for cut in "--speed 0.5 100" "--fps 50 100"; do
  read -r op value want <<<"$cut"
  ok clip --input tv-h264.ts --output tv-slow.mp4 --trim 0.5:2.5 "$op" "$value"
  read -r repeats frames < <(python3 "$TESTS/repeated_pictures.py" tv-slow.mp4)
  echo "  tv-h264.ts 0.5-2.5 $op $value: $frames pictures, $repeats the same as the one before"
  [ "$frames" = "$want" ] && [ "$repeats" = 0 ] || fail "$op $value: $frames pictures (want $want), $repeats repeated"
done
# is_colour "R G B" red|green: whether the colour is clearly that one
is_colour() {
  case $2 in red) python3 -c "import sys; r,g,b=map(int,'$1'.split()); sys.exit(0 if r>200 and g<60 else 1)";;
    green) python3 -c "import sys; r,g,b=map(int,'$1'.split()); sys.exit(0 if g>100 and r<60 else 1)";; esac
}
check "a slideshow (a picture every 5 s) clips whole: the picture on screen at the start from the start, no false truncation"
# Before: a clip of 1-4 s had 0.04 s of video (its first picture came at 5 s, past the end), and
# a 1 frame/s video cut before its end was called truncated ("stops at 4.000 s, before 3.900 s"),
# and a clip to its end lost 2 s of its last picture (B-frames 5 s apart: the edit list cut it).
gen slides.mp4 -f lavfi -i "color=c=red:s=160x120:r=0.2:d=5" -f lavfi -i "color=c=green:s=160x120:r=0.2:d=5" \
  -f lavfi -i "sine=f=440:d=10" -filter_complex "[0][1]concat=n=2:v=1:a=0[v]" -map "[v]" -map 2 \
  -c:v libx264 -pix_fmt yuv420p -c:a aac
gen slides1.mp4 -f lavfi -i "color=c=red:s=160x120:r=1:d=6" -f lavfi -i "sine=f=440:d=6" -c:v libx264 \
  -pix_fmt yuv420p -c:a aac -shortest
for cut in "slides.mp4 1:4 3 red" "slides.mp4 6:9.5 3.5 green" "slides.mp4 3:8 5 red" "slides.mp4 0.5:10 9.5 red" \
  "slides1.mp4 1:4 3 red"; do
  read -r src span want first <<<"$cut"
  out="cut-${src%.mp4}-${span/:/-}.mp4"
  ok clip --input "$src" --output "$out" --trim "$span" --trim-mode accurate
  vd=$(sval "$out" v:0 duration) vs=$(sval "$out" v:0 start_time) c=$(colour "$out" 80 60)
  echo "  $src $span: video from $vs s for $vd s (want $want), first picture [$c] ($first)"
  python3 -c "import sys; sys.exit(0 if abs($vs) < 0.05 and abs($vd - $want) < 0.3 else 1)" ||
    fail "$src $span: video from $vs s for $vd s"
  is_colour "$c" "$first" ||
    fail "$src $span: the first picture is [$c], not $first"
done
ok clip --input slides.mp4 --output cut-smart.mp4 --trim 1:4 --trim-mode smart
grep -q "^note: smart cut not possible (the source shows each picture for seconds (a slideshow)): re-encoded" out.txt ||
  fail "smart cut of a slideshow: $(cat out.txt)"
[ "$(sval cut-smart.mp4 v:0 duration)" = 3.000000 ] || fail "smart cut of a slideshow: $(sval cut-smart.mp4 v:0 duration) s of video"
check "a fragmented MP4 without an edit list (a recorder's): a clip has every picture of its span"
# Before: the seek landed on the keyframe decoded at 2 s but shown 2 frames later (the B-frames'
# delay, no edit list to hide it), so the clip's first two pictures were lost (73 of 75, from 0.08 s).
gen frag.mp4 -f lavfi -i "testsrc2=s=160x120:r=25:d=8" -f lavfi -i "sine=f=440:d=8" -c:v libx264 -g 25 \
  -pix_fmt yuv420p -c:a aac -movflags +frag_keyframe+empty_moov
for mode in accurate auto; do
  ok clip --input frag.mp4 --output "frag-$mode.mp4" --trim 2:5 --trim-mode $mode
  n=$(frames "frag-$mode.mp4" v:0) vs=$(sval "frag-$mode.mp4" v:0 start_time)
  echo "  frag.mp4 2-5 s ($mode): $n pictures from $vs s"
  [ "$n" = 75 ] && approx "$vs" 0 0.001 || fail "frag.mp4 ($mode): $n pictures from $vs s, not 75 from 0"
  grep -q "asked for" out.txt && fail "a whole clip called shorter: $(cat out.txt)"
done

check "open picture groups (x264 --open-gop): an auto clip between two keyframes has every picture"
# Before: both cuts on keyframes made auto copy the packets, and the copy stops at the end's
# keyframe, before the pictures decoded after it but shown before it (74 of 75).
gen opengop.mp4 -f lavfi -i "testsrc2=s=160x120:r=25:d=8" -f lavfi -i "sine=f=440:d=8" -c:v libx264 \
  -x264-params open-gop=1:keyint=25:bframes=3 -pix_fmt yuv420p -c:a aac
ok clip --input opengop.mp4 --output opengop-2-5.mp4 --trim 2:5
n=$(frames opengop-2-5.mp4 v:0)
echo "  opengop.mp4 2-5 s (auto): $n pictures"
[ "$n" = 75 ] || fail "open GOP auto clip: $n pictures, not 75"
# A copy ending at a keyframe whose leading pictures are shown before it: before, it stopped at
# the keyframe and lost them (74 of 75); now the keyframe and its leading pictures are copied
# (75 and the keyframe's own, at 5 s).
ok clip --input opengop.mp4 --output opengop-copy.mp4 --trim 2:5 --trim-mode copy
n=$(frames opengop-copy.mp4 v:0)
echo "  opengop.mp4 2-5 s (copy): $n pictures"
[ "$n" = 76 ] || fail "open GOP copy: $n pictures, not 76 (75 and the end's keyframe)"

# pitch FILE AT: the frequency (Hz, to 10) of the tone in the second of FILE's sound from AT s,
# by its zero crossings
pitch() { ffmpeg -nostdin -v error -ss "$2" -t 1 -i "$1" -ac 1 -ar 48000 -f s16le - | python3 -c "
import sys, array
x = array.array('h', sys.stdin.buffer.read())
n = sum(1 for a, b in zip(x, x[1:]) if (a < 0) != (b < 0))
print(round(n / 2 * 48000 / len(x), -1))"; }
check "two MPEG-TS recordings joined, with other stream ids: the second's streams carry on the first's (same codecs), or are named when left out"
# Before: without every program table read first (FFmpeg's tools read them: scan_all_pmts), the
# second recording's streams had no parameters: the file was 4 s long and the rest was lost
# without a word; then they were found, but a clip took the first recording's streams only (3 s
# of the 6 s asked for, said in a note).
gen pid1.ts -f lavfi -i "testsrc2=s=160x120:r=25:d=4" -f lavfi -i "sine=f=440:d=4" -c:v libx264 -g 25 -pix_fmt yuv420p \
  -c:a aac -streamid 0:0x100 -streamid 1:0x101 -f mpegts
gen pid2.ts -f lavfi -i "testsrc2=s=160x120:r=25:d=4" -f lavfi -i "sine=f=880:d=4" -c:v libx264 -g 25 -pix_fmt yuv420p \
  -c:a aac -streamid 0:0x200 -streamid 1:0x201 -output_ts_offset 4 -f mpegts
cat pid1.ts pid2.ts >pids.ts
ok probe pids.ts
grep -q "#1  audio *aac *44100 Hz" out.txt && ! grep -q "#2 " out.txt && grep -q "Duration *0:00:07.9" out.txt ||
  fail "probe of two joined recordings: $(cat out.txt)"
grep -q "video stream 2 carries on video stream 0" err.txt && grep -q "audio stream 3 carries on audio stream 1" err.txt ||
  fail "the streams carried on are not logged: $(cat err.txt)"
ok clip --input pids.ts --output pids.mp4 --trim 1:7
grep -q "^note:" out.txt && fail "notes on a whole clip: $(cat out.txt)"
approx "$(sval pids.mp4 v:0 duration)" 6.0 0.1 && approx "$(sval pids.mp4 a:0 duration)" 6.0 0.1 ||
  fail "pids.ts 1-7: video $(sval pids.mp4 v:0 duration) s, audio $(sval pids.mp4 a:0 duration) s"
[ "$(pitch pids.mp4 1)/$(pitch pids.mp4 4.5)" = 440.0/880.0 ] || fail "pids.ts 1-7: pitch $(pitch pids.mp4 1), then $(pitch pids.mp4 4.5) Hz"
ok render --template shorts-blur --input pids.ts --span 1:7 --format vertical --output pids-r.mp4 --json
python3 -c "import json; n=json.load(open('out.txt'))['notes']; assert not any('ends at' in x for x in n), n" ||
  fail "render: a stream said to end before the scene: $(cat out.txt)"
# the second recording in another codec cannot carry the first's video on: left out, and said
gen pidv1.ts -f lavfi -i "testsrc2=s=160x120:r=25:d=4" -c:v libx264 -g 25 -pix_fmt yuv420p -streamid 0:0x100 -f mpegts
gen pidv2.ts -f lavfi -i "testsrc2=s=160x120:r=25:d=4" -c:v mpeg2video -streamid 0:0x200 -output_ts_offset 4 -f mpegts
cat pidv1.ts pidv2.ts >pidsx.ts
ok clip --input pidsx.ts --output pidsx.mp4 --trim 1:7
grep -q "^note: left out of the result: video stream 1 (mpeg2video)" out.txt || fail "no note of the second recording's stream: $(cat out.txt)"
# the first recording's stream ends at 4 s: the clip says it is shorter than asked
grep -q "^note: the clip is 3.0 s long, not the 6.0 s asked for" out.txt || fail "no note of the shorter clip: $(cat out.txt)"
# a render holds the last picture to the scene's end, and says so
ok render --template shorts-blur --input pidsx.ts --span 1:7 --format vertical --output pidsx-r.mp4 --json
python3 -c "import json; n=json.load(open('out.txt'))['notes']; assert any('video stream 0 ends at 4.0 s, before the scene does (7.0 s)' in x for x in n), n" ||
  fail "render: no note of the stream ending before the scene: $(cat out.txt)"

check "a multiplex of two programmes (a broadcast's MPTS): the sound of the chosen picture's programme"
# Before: FFmpeg's ranking over every stream took the other programme's sound (its bit rate is
# higher) for the picture of the first.
gen mpts.ts -f lavfi -i "testsrc2=s=160x120:r=25:d=3" -f lavfi -i "sine=f=440:d=3" -f lavfi -i "sine=f=880:d=3" \
  -map 0 -map 1 -map 2 -c:v libx264 -pix_fmt yuv420p -c:a:0 aac -b:a:0 64k -c:a:1 mp2 -b:a:1 384k \
  -program title=one:st=0:st=1 -program title=two:st=2 -f mpegts
ok probe mpts.ts --json
[ "$(json_get out.txt "['video_stream']")/$(json_get out.txt "['audio_stream']")" = 0/1 ] ||
  fail "mpts.ts: video $(json_get out.txt "['video_stream']"), audio $(json_get out.txt "['audio_stream']"), not 0 and 1"

check "two MPEG-TS recordings joined end to end (cat a.ts b.ts), the second's timestamps back at the first's or hours later: the second half is read after the first"
# Before: the file was 4.0 s long to every pipeline (FFmpeg states the length from the first and
# last timestamps): a clip of 1-7 s was refused as past the end, and detection laid the second
# recording over the first (its events ended at 4.04 s), without a word.
gen restart_a.ts -f lavfi -i "color=c=green:s=160x120:r=25:d=4" -f lavfi -i "sine=f=440:d=4" -c:v libx264 -g 25 -pix_fmt yuv420p -c:a aac
gen restart_b.ts -f lavfi -i "color=c=red:s=160x120:r=25:d=4" -f lavfi -i "sine=f=880:d=4" -c:v libx264 -g 25 -pix_fmt yuv420p -c:a aac
cat restart_a.ts restart_b.ts >restart.ts
ok probe restart.ts
grep -q "Duration *0:00:08" out.txt || fail "probe of two joined recordings: $(cat out.txt)"
grep -q "the timestamps jump back 4.[01][0-9]* s at byte [0-9]*: what follows is read from 4.[01][0-9]* s on" err.txt || fail "the restart is not logged: $(cat err.txt)"
# the second recorded two hours later on the same clock (a broadcast's): a hole of two hours
# before, now closed up as the ffmpeg CLI reads it
gen restart_late.ts -i restart_b.ts -c copy -output_ts_offset 7200
cat restart_a.ts restart_late.ts >restart2.ts
ok probe restart2.ts
grep -q "Duration *0:00:08" out.txt || fail "probe of two recordings two hours apart: $(cat out.txt)"
grep -q "the timestamps jump ahead 719[0-9.]* s at byte [0-9]*: what follows is read from 4.[01][0-9]* s on" err.txt || fail "the jump is not logged: $(cat err.txt)"
ok clip --input restart.ts --output restart-1-7.mp4 --trim 1:7
approx "$(sval restart-1-7.mp4 v:0 duration)" 6.0 0.1 || fail "restart.ts 1-7: video $(sval restart-1-7.mp4 v:0 duration) s"
approx "$(sval restart-1-7.mp4 a:0 duration)" 6.0 0.1 || fail "restart.ts 1-7: audio $(sval restart-1-7.mp4 a:0 duration) s"
first=$(colour restart-1-7.mp4 80 60)
last=$(ffmpeg -nostdin -v error -ss 5.5 -i restart-1-7.mp4 -vf "format=rgb24,crop=1:1:80:60" -frames:v 1 -f rawvideo -pix_fmt rgb24 - | od -An -tu1 | tr -s ' ')
echo "  restart.ts 1-7: first picture [$first], at 5.5 s [$last]"
is_colour "$first" green && is_colour "$last" red || fail "restart.ts 1-7: pictures [$first] then [$last], not green then red"
CLIPFORGE_FEATURE_CACHE_DIR=off ok detect --input restart.ts --json
end=$(json_get out.txt "['audio_events'][-1]['end_ms']")
echo "  detect: audio events to $end ms"
[ "$end" -ge 7900 ] || fail "detect of restart.ts: its audio events end at $end ms, not at 8 s"
# MPEG-PS (a DVD recorder's or a camcorder's .MPG files joined): the same, its format named as it is
gen restart_a.mpg -f lavfi -i "color=c=green:s=160x120:r=25:d=4" -f lavfi -i "sine=f=440:d=4" -c:v mpeg2video -c:a mp2 -f vob
gen restart_b.mpg -f lavfi -i "color=c=red:s=160x120:r=25:d=4" -f lavfi -i "sine=f=880:d=4" -c:v mpeg2video -c:a mp2 -f vob
cat restart_a.mpg restart_b.mpg >restart.mpg
ok probe restart.mpg
grep -q "Duration *0:00:08" out.txt && grep -q "Format *mpeg (MPEG-PS" out.txt || fail "probe of two joined MPEG-PS recordings: $(cat out.txt)"
ok clip --input restart.mpg --output restart-ps.mp4 --trim 1:7
last=$(ffmpeg -nostdin -v error -ss 5.5 -i restart-ps.mp4 -vf "format=rgb24,crop=1:1:80:60" -frames:v 1 -f rawvideo -pix_fmt rgb24 - | od -An -tu1 | tr -s ' ')
approx "$(sval restart-ps.mp4 v:0 duration)" 6.0 0.1 && is_colour "$last" red ||
  fail "restart.mpg 1-7: video $(sval restart-ps.mp4 v:0 duration) s, at 5.5 s [$last]"
# an autoclip opens its source several times: one copy, read by every opening
CLIPFORGE_LOG_LEVEL=info ok autoclip --input restart.ts --output-dir restart-shorts --count 1 --no-captions \
  --min-length 2 --max-length 4
n=$(grep -c "copying it to" err.txt) reused=$(grep -c "read through the copy made as one recording before" err.txt)
echo "  autoclip: $n copy, read again $reused times"
[ "$n" = 1 ] && [ "$reused" -ge 1 ] || fail "autoclip of restart.ts: $n copies, $reused readings of a kept one"
no_temp_left

check "two MP4 (or FLV) recordings joined end to end (cat a.mp4 b.mp4): read as one, the second after the first; files of other streams named as not read"
# Before: the file was the first recording to every pipeline, without a word (FFmpeg's MP4
# reader, as every player, reads the file its index describes; "Found duplicated MOOV Atom.
# Skipped it" is at a level nobody sees).
gen join_a.mp4 -f lavfi -i "color=c=green:s=160x120:r=25:d=3" -f lavfi -i "sine=f=440:d=3" -c:v libx264 -pix_fmt yuv420p -c:a aac
gen join_b.mp4 -f lavfi -i "color=c=red:s=160x120:r=25:d=3" -f lavfi -i "sine=f=880:d=3" -c:v libx264 -pix_fmt yuv420p -c:a aac
gen join_frag.mp4 -i join_a.mp4 -c copy -movflags frag_keyframe+empty_moov
gen join_mpeg4.mp4 -f lavfi -i "color=c=red:s=160x120:r=25:d=3" -f lavfi -i "sine=f=880:d=3" -c:v mpeg4 -c:a aac
cat join_a.mp4 join_b.mp4 >joined.mp4
at=$(stat -c %s join_a.mp4)
ok probe joined.mp4
grep -q "Duration *0:00:06.0" out.txt && ! grep -q "^Note" out.txt || fail "probe of joined.mp4: $(cat out.txt)"
grep -q "file 2 of 2 joined end to end begins at byte $at: read after the one before, from 3.0[0-9]* s on" err.txt ||
  fail "probe of joined.mp4 logs no join: $(cat err.txt)"
ok clip --input joined.mp4 --output joined-clip.mp4 --trim 1:5 --trim-mode accurate
vd=$(sval joined-clip.mp4 v:0 duration) ad=$(sval joined-clip.mp4 a:0 duration)
first=$(colour joined-clip.mp4 80 60)
last=$(ffmpeg -nostdin -v error -ss 3.5 -i joined-clip.mp4 -vf "format=rgb24,crop=1:1:80:60" -frames:v 1 -f rawvideo -pix_fmt rgb24 - | od -An -tu1 | tr -s ' ')
echo "  joined.mp4 1-5: video $vd s, audio $ad s, [$first] then [$last], $(pitch joined-clip.mp4 0.5) Hz then $(pitch joined-clip.mp4 3) Hz"
approx "$vd" 4.0 0.05 && approx "$ad" 4.0 0.05 || fail "joined.mp4 1-5: video $vd s, audio $ad s"
is_colour "$first" green && is_colour "$last" red || fail "joined.mp4 1-5: [$first] then [$last], not green then red"
[ "$(pitch joined-clip.mp4 0.5)/$(pitch joined-clip.mp4 3)" = 440.0/880.0 ] || fail "joined.mp4 1-5: not 440 Hz then 880 Hz"
# FLV pieces joined (a stream recorder's): FFmpeg's FLV reader stopped at the second header
gen join_a.flv -i join_a.mp4 -c copy
gen join_b.flv -i join_b.mp4 -c copy
cat join_a.flv join_b.flv >joined.flv
ok clip --input joined.flv --output joined-flv.mp4 --trim 1:5 --trim-mode accurate
vd=$(sval joined-flv.mp4 v:0 duration) ad=$(sval joined-flv.mp4 a:0 duration)
last=$(ffmpeg -nostdin -v error -ss 3.5 -i joined-flv.mp4 -vf "format=rgb24,crop=1:1:80:60" -frames:v 1 -f rawvideo -pix_fmt rgb24 - | od -An -tu1 | tr -s ' ')
echo "  joined.flv 1-5: video $vd s, audio $ad s, [$last] at 3.5 s, $(pitch joined-flv.mp4 3) Hz at 3 s"
approx "$vd" 4.0 0.05 && approx "$ad" 4.0 0.05 && is_colour "$last" red && [ "$(pitch joined-flv.mp4 3)" = 880.0 ] ||
  fail "joined.flv 1-5: video $vd s, audio $ad s, [$last], $(pitch joined-flv.mp4 3) Hz"
# a file of another codec after the first is not the same recording: read as players read it
cat join_a.mp4 join_mpeg4.mp4 >joined-other.mp4
ok probe joined-other.mp4
grep -q "^Note *not read: the second file joined at byte $at " out.txt || fail "probe of joined-other.mp4: $(cat out.txt)"
grep -q "a second file begins at byte $at of .*other streams.*only the first is read" err.txt ||
  fail "probe of joined-other.mp4 logs nothing: $(cat err.txt)"
ok clip --input joined-other.mp4 --output joined-other-clip.mp4 --trim 1:2
grep -q "^note: left out of the result: the second file joined at byte $at " out.txt ||
  fail "clip of joined-other.mp4: $(cat out.txt)"
for f in join_a.mp4 join_frag.mp4; do
  ok probe "$f"
  ! grep -q "^Note" out.txt && ! grep -q "joined end to end" err.txt || fail "$f is not joined: $(cat out.txt err.txt)"
done

check "a slideshow in MPEG-TS (one keyframe, pictures 5 s apart): its video is found, clipped and copied from the keyframe before"
# Before: FFmpeg's 7 s look for the streams' parameters found no picture size, so the video was
# taken for a stream without pictures and left out without a word (the clip had sound only);
# found, a clip of 12-26 s was refused as truncated (the seek landed after the one keyframe),
# and a copy of 14-16 s from a TS with 10 s groups started at the keyframe after it.
gen slides.ts -f lavfi -i "color=c=red:s=160x120:r=0.2:d=15" -f lavfi -i "color=c=green:s=160x120:r=0.2:d=15" \
  -f lavfi -i "sine=f=440:d=30" -filter_complex "[0][1]concat=n=2:v=1:a=0[v]" -map "[v]" -map 2 \
  -c:v libx264 -pix_fmt yuv420p -c:a aac -output_ts_offset 7
ok probe slides.ts
grep -q "video *h264 *160x120" out.txt || fail "probe: no video of 160x120: $(cat out.txt)"
for cut in "1:4 auto 3 red" "12:26 accurate 14 red" "17:20 auto 3 green"; do
  read -r span mode want first <<<"$cut"
  out="ts-${span/:/-}.mp4"
  ok clip --input slides.ts --output "$out" --trim "$span" --trim-mode "$mode"
  vd=$(sval "$out" v:0 duration) ad=$(sval "$out" a:0 duration) c=$(colour "$out" 80 60)
  echo "  slides.ts $span ($mode): video $vd s, audio $ad s (want $want), first picture [$c] ($first)"
  python3 -c "import sys; sys.exit(0 if abs(float('${vd:-0}') - $want) < 0.1 and abs(float('${ad:-0}') - $want) < 0.1 else 1)" ||
    fail "slides.ts $span: video ${vd:-none} s, audio ${ad:-none} s"
  is_colour "$c" "$first" ||
    fail "slides.ts $span: the first picture is [$c], not $first"
done
gen gop10.ts -f lavfi -i "testsrc2=s=160x120:r=25:d=30" -f lavfi -i "sine=f=440:d=30" -c:v libx264 -g 250 -pix_fmt yuv420p -c:a aac
ok clip --input gop10.ts --output gop10.mp4 --trim 14:16 --trim-mode copy
approx "$(sval gop10.mp4 a:0 duration)" 6.0 0.1 || fail "copy of 14-16 s: $(sval gop10.mp4 a:0 duration) s of audio, not 6 (from the keyframe at 10 s)"
# a copy starts at its keyframe, sound included: a keyframe 1 s before the start is not "on" it
gen slides-intra.mp4 -f lavfi -i "color=c=red:s=160x120:r=0.2:d=15" -f lavfi -i "sine=f=440:d=15" -c:v libx264 -g 1 \
  -pix_fmt yuv420p -c:a aac -shortest
ok clip --input slides-intra.mp4 --output intra-1-10.mp4 --trim 1:10
approx "$(sval intra-1-10.mp4 a:0 duration)" 9.0 0.05 || fail "auto clip of 1-10 s of an all-keyframe slideshow: $(sval intra-1-10.mp4 a:0 duration) s of audio"

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
  ok render --template shorts-blur --input "$way.ts" --span 1:7 --format vertical --output "$way-r.mp4"
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
# beep FILE: where (s from its start) the loud tone begins, each sample placed by its timestamp
beep() { ffmpeg -nostdin -v error -i "$1" -map 0:a:0 -af "aresample=48000:async=1:min_hard_comp=0.001:first_pts=0" \
  -ac 1 -f s16le - | python3 -c "import array, sys
x = array.array('h', sys.stdin.buffer.read())
print('%.3f' % (next(i for i, v in enumerate(x) if abs(v) > 16000) / 48000))"; }
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
  [ "$(sval "click_$mode.m4a" a:0 start_time)" = 0.000000 ] && approx "$at" 0.5 0.024 &&
    awk -v a="$at" 'BEGIN { exit !(a >= 0.4995) }' || fail "$mode: starts at $(sval "click_$mode.m4a" a:0 start_time) s, click at $at s"
done
[ "$(click_at click_auto.m4a)" = 0.5000 ] || fail "auto is not sample-exact: click at $(click_at click_auto.m4a) s"
check "a copy keeps the sound's frame that plays across its start: sound and picture start together"
# Before: the AAC frame begun before the keyframe the copy starts at was dropped, so the sound
# began up to 23 ms after the picture (start_time 0.020, the first 20 ms silent).
gen clickv_src.mp4 -f lavfi -i "testsrc2=s=160x120:r=30:d=10" \
  -f lavfi -i "aevalsrc='if(between(t,3.5,3.52),0.8*sin(2*PI*1000*t),0)':s=44100:d=10" -c:v libx264 -g 60 -pix_fmt yuv420p -c:a aac
gen clickv.mp4 -ss 1.5 -i clickv_src.mp4 -c copy # keyframes now at -1.5, 0.5, 2.5 s; the click at 2.0 s
ok clip --input clickv.mp4 --output clickv_copy.mp4 --trim 1:4 --trim-mode copy # copied from 0.5 s
at=$(click_at clickv_copy.mp4)
[ "$(sval clickv_copy.mp4 a:0 start_time)" = 0.000000 ] && approx "$at" 1.5 0.0005 ||
  fail "copy: sound starts at $(sval clickv_copy.mp4 a:0 start_time) s, the click at $at s of it (1.5 s wanted)"
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
check "a render to GIF alone (no sound) names the subtitles it leaves out but no audio stream"
printf '{"canvas": {"width": 80, "height": 80, "fps": 10}, "outputs": [{"format": "gif"}],
 "scenes": [{"source_uri": "tracks.mkv", "in_ms": 500, "out_ms": 1500, "layout": "fill"}]}' > gif.json
ok render --timeline gif.json --output tracks.gif --json
notes=$(json_get out.txt '["notes"]')
echo "$notes" | grep -q 'left out of the result: subtitle stream 3 (subrip, fre)' && ! echo "$notes" | grep -q 'audio stream' ||
  fail "gif render: notes $notes"
no_temp_left
echo "PASS clip_sources"
