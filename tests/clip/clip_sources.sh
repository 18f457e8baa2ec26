# clip_sources.sh — the inputs phones, editors and broadcasts make: rotated (display matrix),
# wide pixels (DVD), two recordings of other sizes joined, variable frame rate, audio-only,
# video-only, 5.1 audio, a silent first audio track, tags, HDR, colour matrices, interlaced video,
# joined segments copied;
# and `clipforge probe` on them.
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
want=$(ffmpeg -nostdin -v error -i rot.mp4 -vf "format=rgb24,crop=1:1:120:40" -frames:v 1 -f rawvideo -pix_fmt rgb24 - | od -An -tu1 | tr -s ' ')
got=$(colour up.mp4 120 40)
echo "  top of the picture: ffmpeg autorotate [$want], ours [$got]"
python3 -c "import sys; a=list(map(int,'$want'.split())); b=list(map(int,'$got'.split())); sys.exit(0 if max(abs(x-y) for x,y in zip(a,b))<40 else 1)" ||
  fail "picture is not turned the same way as ffmpeg's autorotate"

check "a phone photo's turn (EXIF orientation 6, stated on its decoded picture) is what probe shows"
gen flat.jpg -f lavfi -i "color=red:s=96x64" -frames:v 1
python3 "$TESTS/media/exif_orientation.py" flat.jpg photo.jpg 6
ok probe photo.jpg
grep -q "rotation 90" out.txt || fail "probe does not show the photo's turn: $(cat out.txt)"

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

check "two segments joined whose sound overlaps at the joint (each encoded on its own): a stream copy keeps them"
# The second's first sound packet starts before the first's last one ends: its decode time goes
# back, which the muxer refused ("stream copy to ...: Invalid argument").
gen seg_a.ts -f lavfi -i testsrc2=s=320x240:r=25:d=4 -f lavfi -i sine=d=4 -c:v libx264 -g 25 -c:a aac \
  -output_ts_offset 10 -f mpegts
gen seg_b.ts -f lavfi -i testsrc2=s=320x240:r=25:d=4 -f lavfi -i sine=f=600:d=4 -c:v libx264 -g 25 -c:a aac \
  -output_ts_offset 14 -f mpegts
cat seg_a.ts seg_b.ts >joined_same.ts
CLIPFORGE_LOG_LEVEL=info ok clip --input joined_same.ts --output joined_copy.mp4 --trim 1:7 --trim-mode copy
grep -q "stream copy: audio stream 1: 1 packets that went back in time" err.txt || fail "the overlap is not logged: $(cat err.txt)"
n=$(frames joined_copy.mp4 v:0) a=$(sval joined_copy.mp4 a:0 duration)
echo "  joined_copy.mp4: $n pictures, sound $a s"
[ "$n" -ge 148 ] && [ "$n" -le 152 ] && approx "$a" 6.0 0.1 || fail "joined copy: $n pictures, sound $a s"

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
check "a render to GIF alone (no sound) names the subtitles it leaves out but no audio stream"
printf '{"canvas": {"width": 80, "height": 80, "fps": 10}, "outputs": [{"format": "gif"}],
 "scenes": [{"source_uri": "tracks.mkv", "in_ms": 500, "out_ms": 1500, "layout": "fill"}]}' > gif.json
ok render --timeline gif.json --output tracks.gif --json
notes=$(json_get out.txt '["notes"]')
echo "$notes" | grep -q 'left out of the result: subtitle stream 3 (subrip, fre)' && ! echo "$notes" | grep -q 'audio stream' ||
  fail "gif render: notes $notes"

check "a screen recording whose first audio track is silent (OBS's desktop track left empty) is clipped and rendered with the track that has sound; --audio-stream still chooses; a first track silent only at its start is kept"
gen obs.mkv -f lavfi -i testsrc2=s=160x120:r=25:d=40 -f lavfi -i "anullsrc=r=48000:cl=stereo" -f lavfi -i "sine=f=660:d=40" \
  -map 0 -map 1 -map 2 -c:v libx264 -pix_fmt yuv420p -c:a aac -shortest -metadata:s:a:0 title=Desktop -metadata:s:a:1 title=Mic
ok clip --input obs.mkv --output obs.mp4 --trim 20:23 --json
approx "$(pitch obs.mp4 1)" 660 20 || fail "the clip's sound is not the microphone's tone: $(pitch obs.mp4 1) Hz"
json_get out.txt '["notes"]' | grep -q 'audio stream 1 (aac, "Desktop", silent where sampled); it carries audio stream 2' ||
  fail "the silent track is not named: $(json_get out.txt '["notes"]')"
ok render --template shorts-blur --input obs.mkv --span 20:23 --format vertical --size 90x160 --output obs-r.mp4
approx "$(pitch obs-r.mp4 1)" 660 20 || fail "the render's sound is not the microphone's tone: $(pitch obs-r.mp4 1) Hz"
ok clip --input obs.mkv --output obs1.mp4 --trim 20:23 --audio-stream 1
approx "$(lufs obs1.mp4)" -70 0.5 || fail "--audio-stream 1 is not the silent track: $(lufs obs1.mp4) LUFS"
# before, every one of these was silent: FFmpeg ranks the first track first
gen late.mkv -f lavfi -i testsrc2=s=160x120:r=25:d=40 -f lavfi -i "aevalsrc='0.3*sin(2*PI*300*t)*gte(t\,15)':s=48000:d=40" \
  -f lavfi -i "sine=f=660:d=40" -map 0 -map 1 -map 2 -c:v libx264 -pix_fmt yuv420p -c:a aac -shortest
ok clip --input late.mkv --output late.mp4 --trim 20:23
approx "$(pitch late.mp4 1)" 300 20 || fail "a first track with sound from 15 s was passed over: $(pitch late.mp4 1) Hz"

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
no_temp_left
echo "PASS clip_sources"
