# clip_structure.sh — inputs whose structure hides pictures or sound: slideshows, fragmented
# MP4, open picture groups, recordings joined end to end (MPEG-TS, MPEG-PS, MP4, FLV), a broadcast's
# multiplex.
TESTS=$(cd "$(dirname "$0")/.." && pwd)
source "$(dirname "$0")/lib.sh" "$@"

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
# (a smart cut's own note, saying what it copied, is no loss)
grep "^note:" out.txt | grep -vq "^note: smart cut: " && fail "notes on a whole clip: $(cat out.txt)"
approx "$(sval pids.mp4 v:0 duration)" 6.0 0.1 && approx "$(sval pids.mp4 a:0 duration)" 6.0 0.1 ||
  fail "pids.ts 1-7: video $(sval pids.mp4 v:0 duration) s, audio $(sval pids.mp4 a:0 duration) s"
[ "$(pitch pids.mp4 1)/$(pitch pids.mp4 4.5)" = 440.0/880.0 ] || fail "pids.ts 1-7: pitch $(pitch pids.mp4 1), then $(pitch pids.mp4 4.5) Hz"
ok render --template shorts-blur --input pids.ts --span 1:7 --format vertical --size 90x160 --output pids-r.mp4 --json
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
ok render --template shorts-blur --input pidsx.ts --span 1:7 --format vertical --size 90x160 --output pidsx-r.mp4 --json
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
# the file holds the pictures from the keyframe at 10 s; its edit list shows it from 14 s
n=$(ffprobe -v error -select_streams v -show_entries packet=pts_time -of csv=p=0 gop10.mp4 | wc -l)
approx "$(sval gop10.mp4 a:0 duration)" 2.0 0.05 && [ "$n" -ge 150 ] && [ "$n" -le 153 ] ||
  fail "copy of 14-16 s: $(sval gop10.mp4 a:0 duration) s of audio, not 2; $n pictures, not 150 and the end's few (from the keyframe at 10 s)"
# a copy starts at its keyframe, sound included: a keyframe 1 s before the start is not "on" it
gen slides-intra.mp4 -f lavfi -i "color=c=red:s=160x120:r=0.2:d=15" -f lavfi -i "sine=f=440:d=15" -c:v libx264 -g 1 \
  -pix_fmt yuv420p -c:a aac -shortest
ok clip --input slides-intra.mp4 --output intra-1-10.mp4 --trim 1:10
approx "$(sval intra-1-10.mp4 a:0 duration)" 9.0 0.05 || fail "auto clip of 1-10 s of an all-keyframe slideshow: $(sval intra-1-10.mp4 a:0 duration) s of audio"
no_temp_left
echo "PASS clip_structure"
