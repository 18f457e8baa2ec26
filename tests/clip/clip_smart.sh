# clip_smart.sh — trim mode smart: the picture groups inside the range are the source's own
# packets, the edges are re-encoded, and the result is what an accurate re-encode shows (same
# frames, same times, first picture PSNR >= 40 dB), decoding without one error; sources that do
# not allow it are re-encoded with the reason in the notes.
source "$(dirname "$0")/lib.sh"

# 25 fps, a keyframe every 2 s, B-frames (x264's veryfast default): keyframes at 0, 2, 4, ... 10
gen src.mp4 -f lavfi -i "testsrc2=s=640x360:r=25:d=12" -f lavfi -i "sine=f=440:d=12:sample_rate=48000" \
  -c:v libx264 -preset veryfast -g 50 -keyint_min 50 -sc_threshold 0 -c:a aac -shortest

# ge A B: A >= B (A a number or inf)
ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a == "inf" || (a ~ /^[0-9.]+$/ && a + 0 >= b + 0)) }'; }
note() { json_get "$1" "['notes'][0]" 2>/dev/null || true; }
decode_errors() { ffmpeg -nostdin -v error -i "$1" -f null - 2>&1 | wc -l; }
vdur() { sval "$1" v:0 duration; }
adur() { sval "$1" a:0 duration; }
# PSNR of the first picture of $1 against the first picture of $2
first_psnr() {
  ffmpeg -nostdin -hide_banner -i "$1" -i "$2" -lavfi "[0:v][1:v]psnr" -frames:v 1 -f null - 2>&1 |
    sed -n 's/.*average:\([0-9.inf]*\).*/\1/p' | tail -1
}
min_psnr() {
  ffmpeg -nostdin -v error -i "$1" -i "$2" -lavfi "[0:v][1:v]psnr=stats_file=psnr.log" -f null - &&
    sed -n 's/.*psnr_avg:\([0-9.inf]*\).*/\1/p' psnr.log | sort -g | head -1
}
# parameter sets (VPS, SPS, PPS) carried in $1's video packets, not in its sample entry
sets_in_stream() {
  ffmpeg -nostdin -v debug -i "$1" -map 0:v -c copy -bsf:v trace_headers -f null - 2>&1 |
    awk '/trace_headers/ && /Packet:/ { p = 1 } p && /trace_headers/ && /Parameter Set$/ { n++ } END { print n + 0 }'
}
# libde265, another decoder, shows $1's HEVC pictures exactly as FFmpeg does: yes or why not.
# Closed picture groups only: libde265 1.0.11 decodes the leading pictures of x265's open groups
# from missing references, in the source as in a cut ("non-existing reference picture").
second_decoder() {
  ffmpeg -nostdin -v error -y -i "$1" -map 0:v -c copy -bsf:v hevc_mp4toannexb -f hevc de.hevc 2>/dev/null
  ffmpeg -nostdin -v error -y -i "$1" -map 0:v -f rawvideo -pix_fmt yuv420p ff.yuv
  libde265-dec265 -q -o de.yuv de.hevc >de.log 2>&1 || { echo "libde265 failed: $(tail -1 de.log)"; return; }
  cmp -s de.yuv ff.yuv && echo yes || echo "libde265 shows other pictures ($(stat -c %s de.yuv) vs $(stat -c %s ff.yuv) bytes)"
}
# packets of $1's video found byte for byte in $2's
same_packets() {
  ffmpeg -nostdin -v error -i "$1" -map 0:v -c copy -f framemd5 - | awk -F', *' '!/^#/{print $6}' | sort >a.md5
  ffmpeg -nostdin -v error -i "$2" -map 0:v -c copy -f framemd5 - | awk -F', *' '!/^#/{print $6}' | sort >b.md5
  comm -12 a.md5 b.md5 | wc -l
}

check "smart cut between keyframes: the inner groups are copied, the edges re-encoded"
ok clip --input src.mp4 --output smart.mp4 --trim 1.3:9.7 --trim-mode smart --json
cp out.txt smart.json
ok clip --input src.mp4 --output acc.mp4 --trim 1.3:9.7 --trim-mode accurate
n=$(note smart.json)
echo "  note: $n"
[[ "$n" == "smart cut: 0.700 s encoded at the start, 6.000 s copied, 1.700 s encoded at the end" ]] ||
  fail "smart cut note: $n"
[ "$(decode_errors smart.mp4)" -eq 0 ] || fail "the smart cut does not decode cleanly"
[ "$(frames smart.mp4 v:0)" -eq "$(frames acc.mp4 v:0)" ] ||
  fail "smart cut has $(frames smart.mp4 v:0) pictures, the accurate cut $(frames acc.mp4 v:0)"
approx "$(vdur smart.mp4)" "$(vdur acc.mp4)" 0.04 || fail "video lasts $(vdur smart.mp4) s, accurate $(vdur acc.mp4) s"
approx "$(adur smart.mp4)" 8.4 0.025 || fail "audio lasts $(adur smart.mp4) s, not 8.4 s"
approx "$(sval smart.mp4 v:0 start_time)" "$(sval acc.mp4 v:0 start_time)" 0.001 || fail "first picture at another time"
p=$(first_psnr smart.mp4 acc.mp4)
echo "  first picture PSNR against the accurate cut: $p dB"
ge "$p" 40 || fail "first picture PSNR $p dB < 40"
p=$(min_psnr smart.mp4 acc.mp4)
echo "  lowest picture PSNR: $p dB"
ge "$p" 35 || fail "a picture of the smart cut is $p dB from the accurate one"
copied=$(same_packets src.mp4 smart.mp4)
echo "  packets identical to the source's: $copied"
[ "$copied" -ge 150 ] || fail "only $copied packets copied (6 s at 25 fps = 150)"
[ "$(sval smart.mp4 v:0 profile)" = "$(sval src.mp4 v:0 profile)" ] || fail "profile changed"

check "normalized sound does not make the pictures re-encoded: auto and smart cut the video, the sound at -14 LUFS"
# Before: normalize_audio counted as an operation that decodes, so the whole range was re-encoded
# (and copy, the cuts on keyframes, would keep the sound as it was: auto now cuts smartly there)
for r in 1.3:9.7:smart 2:8:auto; do
  ok clip --input src.mp4 --output norm.mp4 --trim "${r%:*}" --trim-mode "${r##*:}" --normalize-audio --json
  n=$(note out.txt) l=$(lufs norm.mp4)
  echo "  ${r##*:} ${r%:*}: $n; $l LUFS"
  [[ "$n" == "smart cut: "* ]] || fail "normalized ${r##*:}: $n"
  approx "$l" -14 0.5 || fail "normalized ${r##*:}: $l LUFS, not -14"
  said=$(json_get out.txt "['notes'][-1]")
  [[ "$said" == "sound normalized to -14.0 LUFS from -"*" LUFS" ]] || fail "normalized ${r##*:}: the notes say $said"
  [ "$(same_packets src.mp4 norm.mp4)" -ge 100 ] || fail "normalized ${r##*:}: only $(same_packets src.mp4 norm.mp4) packets copied"
done
approx "$(adur norm.mp4)" 6 0.025 || fail "normalized: audio lasts $(adur norm.mp4) s, not 6 s"

check "a thumbnail does not make the pictures re-encoded: it is the smart cut's own picture"
# Before: thumbnail counted as an operation that decodes every picture: the range was re-encoded
for t in 0.3 3.04 8.36; do # in the head, the copied groups, the tail (its last picture)
  ok clip --input src.mp4 --output th.mp4 --trim 1.3:9.7 --thumbnail th.jpg@$t --json
  n=$(note out.txt)
  [[ "$n" == "smart cut: "* ]] && [ "$(json_get out.txt '["artifacts"][1]["kind"]')" = thumbnail ] ||
    fail "thumbnail at $t: $n"
  # the accurate cut's picture at that time (acc.mp4, the first check's)
  ffmpeg -nostdin -v error -y -ss "$t" -i acc.mp4 -frames:v 1 -c:v png th_acc.png
  p=$(first_psnr th.jpg th_acc.png)
  echo "  at $t s: $(sval th.jpg v:0 width)x$(sval th.jpg v:0 height), PSNR against the accurate cut's: $p dB"
  [ "$(sval th.jpg v:0 width)x$(sval th.jpg v:0 height)" = 640x360 ] || fail "thumbnail at $t: its size"
  ge "$p" 36 || fail "thumbnail at $t: $p dB from the accurate cut's picture (a JPEG)"
done

check "smart cut cases: on keyframes, inside one group, to the end"
# RANGE:PICTURES — the source's pictures are at k/25 s, so [a, b) holds ceil(25b) - ceil(25a)
for r in 2:8:150 2.5:3.5:25 5:12:175 4:9.7:143; do
  ok clip --input src.mp4 --output r.mp4 --trim "${r%:*}" --trim-mode smart
  [ "$(decode_errors r.mp4)" -eq 0 ] || fail "$r: decode errors"
  [ "$(frames r.mp4 v:0)" -eq "${r##*:}" ] || fail "$r: $(frames r.mp4 v:0) pictures"
  a=${r%%:*} b=${r#*:} b=${b%:*}
  approx "$(vdur r.mp4)" "$(awk -v a="$a" -v b="$b" 'BEGIN { print b - a }')" 0.04 || fail "$r: video lasts $(vdur r.mp4) s"
done

check "auto: keyframe-aligned cuts are copied, others cut smartly"
ok clip --input src.mp4 --output auto.mp4 --trim 1.3:9.7 --json
[[ "$(note out.txt)" == "smart cut:"* ]] || fail "auto did not cut smartly: $(note out.txt)"
ok clip --input src.mp4 --output auto2.mp4 --trim 2:8 --json
[ -z "$(note out.txt)" ] || fail "auto on keyframes: $(note out.txt)"
[ "$(same_packets src.mp4 auto2.mp4)" -eq 150 ] || fail "auto on keyframes did not copy"

check "a copy's thumbnail is the picture the copy shows: trim mode copy takes one, auto still copies"
# Before: copy refused a thumbnail ("operations that re-encode") and auto cut smartly for one.
for t in 0 3.04 8.36; do # the first picture (its lead-in hidden from 1.3 s), the middle, the last
  ok clip --input src.mp4 --output cth.mp4 --trim 1.3:9.7 --trim-mode copy --thumbnail cth.jpg@$t --json
  # the copy's own picture at that time, as the ffmpeg CLI shows it (from 1.28 s, the picture on
  # screen at 1.3 s: the accurate cut starts with the next one, at 1.32 s)
  ffmpeg -nostdin -v error -y -ss "$t" -i cth.mp4 -frames:v 1 -c:v png th_copy.png
  p=$(first_psnr cth.jpg th_copy.png)
  echo "  copy, at $t s: $(sval cth.jpg v:0 width)x$(sval cth.jpg v:0 height), PSNR against the copy's picture: $p dB"
  [ "$(json_get out.txt '["artifacts"][1]["kind"]')" = thumbnail ] || fail "copy thumbnail at $t: $(cat out.txt)"
  ge "$p" 36 || fail "copy thumbnail at $t: $p dB from the copy's picture"
done
ok clip --input src.mp4 --output auto3.mp4 --trim 2:8 --thumbnail ath.jpg@1 --json
[ -z "$(note out.txt)" ] && [ "$(same_packets src.mp4 auto3.mp4)" -eq 150 ] || fail "auto with a thumbnail did not copy: $(note out.txt)"
ffmpeg -nostdin -v error -y -ss 3 -i src.mp4 -frames:v 1 -vf scale=640:360 -c:v png th_src.png
ge "$(first_psnr ath.jpg th_src.png)" 36 || fail "auto copy: its thumbnail is not the source's picture at 3 s"

check "Matroska H.264 is cut smartly into mp4"
ffmpeg -nostdin -v error -y -i src.mp4 -c copy src.mkv
ok clip --input src.mkv --output mkv.mp4 --trim 1.3:9.7 --trim-mode smart --json
[[ "$(note out.txt)" == "smart cut:"* ]] || fail "mkv: $(note out.txt)"
[ "$(decode_errors mkv.mp4)" -eq 0 ] || fail "mkv: decode errors"
[ "$(frames mkv.mp4 v:0)" -eq 210 ] || fail "mkv: $(frames mkv.mp4 v:0) pictures, expected 210"

check "MPEG-TS H.264 (Annex B, parameter sets in the stream) is cut smartly into mp4"
ffmpeg -nostdin -v error -y -i src.mp4 -c copy src.ts
ok clip --input src.ts --output ts.mp4 --trim 1.3:9.7 --trim-mode smart --json
[[ "$(note out.txt)" == "smart cut: "*", 6.000 s copied, "* ]] || fail "ts: $(note out.txt)"
ok clip --input src.ts --output tsacc.mp4 --trim 1.3:9.7 --trim-mode accurate
[ "$(decode_errors ts.mp4)" -eq 0 ] || fail "ts: decode errors"
[ "$(frames ts.mp4 v:0)" -eq "$(frames tsacc.mp4 v:0)" ] || fail "ts: $(frames ts.mp4 v:0) pictures"
[ "$(sval ts.mp4 v:0 codec_tag_string)" = avc1 ] || fail "ts: $(sval ts.mp4 v:0 codec_tag_string) track"
copied=$(same_packets src.mp4 ts.mp4)
[ "$copied" -ge 150 ] || fail "ts: only $copied packets are the source's (6 s at 25 fps = 150)"
p=$(min_psnr ts.mp4 tsacc.mp4)
echo "  copied packets $copied, lowest picture PSNR against the accurate cut: $p dB"
ge "$p" 35 || fail "ts: a picture is $p dB from the accurate one"
# two recordings joined with continuous times, the second with other parameter sets (4 reference
# frames, not 1): one avcC cannot describe both, so a range across the join is re-encoded
gen p1.ts -f lavfi -i "testsrc2=s=320x240:r=25:d=6" -c:v libx264 -preset veryfast -g 50 -x264-params ref=1 -f mpegts
gen p2.ts -f lavfi -i "testsrc2=s=320x240:r=25:d=6" -c:v libx264 -preset veryfast -g 50 -x264-params ref=4 \
  -output_ts_offset 6 -f mpegts
cat p1.ts p2.ts >joined.ts
ok clip --input joined.ts --output jt.mp4 --trim 3.3:9.7 --trim-mode smart --json
[[ "$(note out.txt)" == "smart cut not possible (the source's parameter sets change"*"): re-encoded" ]] ||
  fail "ts with changing sets: $(note out.txt)"
[ "$(decode_errors jt.mp4)" -eq 0 ] || fail "ts with changing sets: decode errors"
ok clip --input joined.ts --output jf.mp4 --trim 0.5:5.5 --trim-mode smart --json
[[ "$(note out.txt)" == "smart cut: "*", 2.000 s copied, "* ]] || fail "ts before the change: $(note out.txt)"
# A cut to the end stops scanning at its first copied pictures: the change comes later, while
# copying. Before: the new sets were dropped with the repeated ones and the clip was reported
# cut smartly, 79 of its 217 pictures decodable (no B-frames here: they stop the join earlier).
gen q1.ts -f lavfi -i "testsrc2=s=320x240:r=25:d=6" -c:v libx264 -preset veryfast -bf 0 -g 50 -x264-params ref=1 -f mpegts
gen q2.ts -f lavfi -i "testsrc2=s=320x240:r=25:d=6" -c:v libx264 -preset veryfast -bf 0 -g 50 -x264-params ref=4 \
  -output_ts_offset 6 -f mpegts
cat q1.ts q2.ts >qjoined.ts
ok clip --input qjoined.ts --output qe.mp4 --trim 3.3:12 --trim-mode smart --json
[[ "$(note out.txt)" == "smart cut not possible (the source's parameter sets change"*"): re-encoded" ]] ||
  fail "ts with changing sets, to the end: $(note out.txt)"
[ "$(decode_errors qe.mp4)" -eq 0 ] && [ "$(frames qe.mp4 v:0)" -eq 217 ] ||
  fail "ts with changing sets, to the end: $(decode_errors qe.mp4) decode errors, $(frames qe.mp4 v:0) pictures"

check "HEVC, open picture groups (CRA keyframes, x265's default) and closed ones"
# leading pictures of a CRA are shown before it and decoded after it: the cut must neither lose
# them nor show the head's pictures twice
# (closed groups: the H.264 path with the sets in the stream; one range is enough)
for gop in open:1:"1.3:9.7:210 2:8:150 4:12:200" closed:0:"1.3:9.7:210"; do
  ranges=${gop#*:*:} gop=${gop%:*}
  gen "hevc_${gop%:*}.mp4" -f lavfi -i "testsrc2=s=320x240:r=25:d=12" -c:v libx265 -preset veryfast \
    -x265-params "keyint=50:min-keyint=50:scenecut=0:open-gop=${gop#*:}:log-level=error"
  for r in $ranges; do
    in="hevc_${gop%:*}.mp4" what="hevc ${gop%:*} ${r%:*}"
    ok clip --input "$in" --output h.mp4 --trim "${r%:*}" --trim-mode smart --json
    n=$(note out.txt)
    echo "  $what: $n"
    [[ "$n" == "smart cut:"* ]] || fail "$what: $n"
    ok clip --input "$in" --output h_acc.mp4 --trim "${r%:*}" --trim-mode accurate
    [ "$(decode_errors h.mp4)" -eq 0 ] || fail "$what: decode errors"
    [ "$(frames h.mp4 v:0)" -eq "${r##*:}" ] || fail "$what: $(frames h.mp4 v:0) pictures, expected ${r##*:}"
    [ "$(sval h.mp4 v:0 codec_name)" = hevc ] || fail "$what: not HEVC"
    p=$(first_psnr h.mp4 h_acc.mp4)
    ge "$p" 40 || fail "$what: first picture PSNR $p dB < 40"
    p=$(min_psnr h.mp4 h_acc.mp4)
    ge "$p" 35 || fail "$what: a picture is $p dB from the accurate cut"
  done
  copied=$(same_packets "hevc_${gop%:*}.mp4" h.mp4)
  echo "  packets identical to the source's: $copied"
  [ "$copied" -ge 140 ] || fail "hevc ${gop%:*}: only $copied packets copied"
  # Before: an hev1 track, the edges' parameter sets in the stream under the source's ids
  [ "$(sval h.mp4 v:0 codec_tag_string)" = hvc1 ] || fail "hevc ${gop%:*}: not an hvc1 track"
  [ "$(sets_in_stream h.mp4)" -eq 0 ] || fail "hevc ${gop%:*}: $(sets_in_stream h.mp4) parameter sets in the stream"
  if [ "${gop#*:}" = 0 ]; then
    d=$(second_decoder h.mp4)
    [ "$d" = yes ] || fail "hevc ${gop%:*}: $d"
  fi
done

check "MPEG-TS HEVC (Annex B): its configuration made an hvcC, open picture groups joined"
gen hevc_open.mp4 -f lavfi -i "testsrc2=s=320x240:r=25:d=12" -c:v libx265 -preset veryfast \
  -x265-params "keyint=50:min-keyint=50:scenecut=0:open-gop=1:log-level=error"
ffmpeg -nostdin -v error -y -i hevc_open.mp4 -c copy hevc_open.ts
ok clip --input hevc_open.ts --output hts.mp4 --trim 1.3:9.7 --trim-mode smart --json
n=$(note out.txt)
echo "  hevc_open.ts: $n"
[[ "$n" == "smart cut: "* ]] || fail "hevc ts: $n"
ok clip --input hevc_open.ts --output hts_acc.mp4 --trim 1.3:9.7 --trim-mode accurate
[ "$(decode_errors hts.mp4)" -eq 0 ] || fail "hevc ts: decode errors"
[ "$(frames hts.mp4 v:0)" -eq "$(frames hts_acc.mp4 v:0)" ] || fail "hevc ts: $(frames hts.mp4 v:0) pictures"
[ "$(sval hts.mp4 v:0 codec_tag_string)" = hvc1 ] || fail "hevc ts: not an hvc1 track"
[ "$(sets_in_stream hts.mp4)" -eq 0 ] || fail "hevc ts: the repeated parameter sets are still in the stream"
[ "$(sval hts.mp4 v:0 profile)" = "$(sval hevc_open.mp4 v:0 profile)" ] || fail "hevc ts: profile changed"
copied=$(same_packets hevc_open.mp4 hts.mp4)
p=$(min_psnr hts.mp4 hts_acc.mp4)
echo "  packets identical to the mp4's: $copied, lowest picture PSNR against the accurate cut: $p dB"
[ "$copied" -ge 140 ] || fail "hevc ts: only $copied packets copied"
ge "$p" 35 || fail "hevc ts: a picture is $p dB from the accurate cut"

check "HEVC from a phone (hvc1): auto smart-cuts it into an hvc1 track that two decoders agree on"
# Before: a smart cut's HEVC was hev1 (the edges' parameter sets in the stream), which Apple's
# players refuse, so auto re-encoded a phone's video to H.264 whole.
gen hvc1.mp4 -f lavfi -i "testsrc2=s=320x240:r=25:d=6" -c:v libx265 -preset veryfast \
  -x265-params "keyint=50:min-keyint=50:scenecut=0:open-gop=0:log-level=error" -tag:v hvc1
ok clip --input hvc1.mp4 --output ha.mp4 --trim 1.3:4.7 --json
n=$(note out.txt)
echo "  auto: $(sval ha.mp4 v:0 codec_name) $(sval ha.mp4 v:0 codec_tag_string): $n"
[ "$(sval ha.mp4 v:0 codec_tag_string)" = hvc1 ] && [[ "$n" == "smart cut: "*" copied, "* ]] ||
  fail "auto on hvc1: $(sval ha.mp4 v:0 codec_tag_string), $n"
[ "$(sets_in_stream ha.mp4)" -eq 0 ] || fail "hvc1: parameter sets in the stream"
d=$(second_decoder ha.mp4)
[ "$d" = yes ] || fail "hvc1: $d"
ok clip --input hvc1.mp4 --output ha_acc.mp4 --trim 1.3:4.7 --trim-mode accurate
[ "$(frames ha.mp4 v:0)" -eq 85 ] || fail "hvc1: $(frames ha.mp4 v:0) pictures, expected 85"
p=$(min_psnr ha.mp4 ha_acc.mp4)
copied=$(same_packets hvc1.mp4 ha.mp4)
echo "  packets identical to the source's: $copied, lowest picture PSNR against the accurate cut: $p dB"
ge "$p" 35 || fail "hvc1: a picture is $p dB from the accurate cut"
[ "$copied" -ge 40 ] || fail "hvc1: only $copied packets copied"

check "HEVC whose parameter sets change within the range: an hev1 track, the sets in the stream"
# two recordings joined in MPEG-TS, the second with other sets (4 reference pictures, not 1); no
# B-frames, whose decode times would go back at the join
gen h1.ts -f lavfi -i "testsrc2=s=320x240:r=25:d=6" -c:v libx265 -preset veryfast \
  -x265-params "keyint=50:min-keyint=50:scenecut=0:open-gop=0:bframes=0:ref=1:log-level=error" -f mpegts
gen h2.ts -f lavfi -i "testsrc2=s=320x240:r=25:d=6" -c:v libx265 -preset veryfast \
  -x265-params "keyint=50:min-keyint=50:scenecut=0:open-gop=0:bframes=0:ref=4:log-level=error" -output_ts_offset 6 -f mpegts
cat h1.ts h2.ts >hjoined.ts
ok clip --input hjoined.ts --output hj.mp4 --trim 3.3:9.7 --trim-mode smart --json
n=$(note out.txt)
echo "  $n; $(sval hj.mp4 v:0 codec_tag_string), $(sets_in_stream hj.mp4) sets in the stream"
[[ "$n" == "smart cut: "* ]] && [ "$(sval hj.mp4 v:0 codec_tag_string)" = hev1 ] || fail "changing sets: $n"
[ "$(sets_in_stream hj.mp4)" -gt 0 ] || fail "changing sets: none in the stream"
[ "$(decode_errors hj.mp4)" -eq 0 ] || fail "changing sets: decode errors"
[ "$(frames hj.mp4 v:0)" -eq 160 ] || fail "changing sets: $(frames hj.mp4 v:0) pictures, expected 160"
# (not libde265: FFmpeg's conversion to its raw input puts the sample entry's sets ahead of
# every keyframe, and libde265 1.0.11 stops where those and the stream's differ)
# to the end: the change is met while copying; the cut is made again as hev1 (before: hvc1, the
# second recording's sets dropped)
ok clip --input hjoined.ts --output hje.mp4 --trim 3.3:12 --trim-mode smart --json
n=$(note out.txt)
[[ "$n" == "smart cut: "* ]] && [ "$(sval hje.mp4 v:0 codec_tag_string)" = hev1 ] && [ "$(sets_in_stream hje.mp4)" -gt 0 ] ||
  fail "changing sets, to the end: $n, $(sval hje.mp4 v:0 codec_tag_string), $(sets_in_stream hje.mp4) sets in the stream"
[ "$(decode_errors hje.mp4)" -eq 0 ] && [ "$(frames hje.mp4 v:0)" -eq 217 ] ||
  fail "changing sets, to the end: $(decode_errors hje.mp4) decode errors, $(frames hje.mp4 v:0) pictures"

check "sources a smart cut cannot join are re-encoded, saying why"
gen open.mp4 -f lavfi -i "testsrc2=s=320x240:r=25:d=6" -c:v libx264 -preset veryfast -g 50 -x264-params open-gop=1
gen vp9.webm -f lavfi -i "testsrc2=s=320x240:r=25:d=6" -c:v libvpx-vp9 -deadline realtime -cpu-used 8
gen mp2v.ts -f lavfi -i "testsrc2=s=320x240:r=25:d=6" -c:v mpeg2video -f mpegts
for f in open.mp4:IDR vp9.webm:H.264 mp2v.ts:H.264; do
  ok clip --input "${f%%:*}" --output fb.mp4 --trim 1.3:4.7 --trim-mode smart --json
  n=$(note out.txt)
  echo "  ${f%%:*}: $n"
  [[ "$n" == "smart cut not possible ("*"${f##*:}"*"): re-encoded" ]] || fail "${f%%:*}: $n"
  [ "$(frames fb.mp4 v:0)" -eq 85 ] || fail "${f%%:*}: $(frames fb.mp4 v:0) pictures, expected 85"
done

check "smart with jump cuts re-encodes, saying why"
ok clip --input src.mp4 --output jump.mp4 --trim 1.3:9.7 --trim-mode smart --remove-silence --json
[[ "$(note out.txt)" == "smart cut not possible (jump cuts"* ]] || fail "smart + remove_silence: $(note out.txt)"

check "MPEG-TS trimmed in its first seconds keeps its first picture group"
approx "$(sval fb.mp4 v:0 start_time)" 0 0.05 || fail "TS trim starts its video at $(sval fb.mp4 v:0 start_time) s"

check "smart cut on a rotated phone video keeps the rotation"
gen plain.mp4 -f lavfi -i "testsrc2=s=320x240:r=25:d=6" -c:v libx264 -preset veryfast -g 25
gen rot.mp4 -i plain.mp4 -c copy -metadata:s:v:0 rotate=90
ok clip --input rot.mp4 --output rot_out.mp4 --trim 0.5:4.5 --trim-mode smart --json
[[ "$(note out.txt)" == "smart cut:"* ]] || fail "rotated: $(note out.txt)"
ffprobe -v error -show_streams rot_out.mp4 | grep -q "rotation=" || fail "rotation lost"

check "a screen recording that holds a still page (no picture from 2 to 7 s): a cut from 3 s starts with that page"
# Before: the head was encoded from the span's first picture, at 7 s: 4 s without pictures.
gen still_page.mp4 -f lavfi -i "testsrc2=s=320x240:r=30:d=10" -vf "select='lt(t,2)+gte(t,7)+eq(n,60)'" \
  -fps_mode passthrough -c:v libx264 -preset veryfast -g 60
ok clip --input still_page.mp4 --output still_page_out.mp4 --trim 3:8 --trim-mode smart --json
[[ "$(note out.txt)" == "smart cut:"* ]] || fail "still page: $(note out.txt)"
approx "$(sval still_page_out.mp4 v:0 start_time)" 0 0.05 && approx "$(sval still_page_out.mp4 v:0 duration)" 5 0.1 ||
  fail "still page: video from $(sval still_page_out.mp4 v:0 start_time) s for $(sval still_page_out.mp4 v:0 duration) s"

check "real recordings (forensics-samples-files, CC-BY-SA-4.0): a screen capture (also remuxed to MPEG-TS) and a phone video"
if root=$(python3 "$(dirname "$0")/../media/debmedia.py" forensics-samples-files); then
  dir="$root/usr/share/forensics-samples/original-files"
  ffmpeg -nostdin -v error -y -i "$dir/movie2/movie-hello.mp4" -map 0 -c copy -f mpegts hello.ts # as MPEG-TS too
  for f in movie2/movie-hello.mp4:3.6 movie1/VID_20191220_170832.mp4:0 hello.ts:3.6; do
    in=${f%%:*}
    [ -f "$in" ] || in="$dir/$in"
    ok clip --input "$in" --output real.mp4 --trim 0.73:1.4 --trim-mode accurate
    [ "${f##*:}" = 0 ] || ok clip --input "$in" --output real.mp4 --trim 0.73:4.6 --trim-mode accurate
    mv real.mp4 real_acc.mp4
    end=$([ "${f##*:}" = 0 ] && echo 1.4 || echo 4.6)
    ok clip --input "$in" --output real.mp4 --trim 0.73:$end --trim-mode smart --json
    n=$(note out.txt)
    echo "  $(basename "${f%%:*}"): $n"
    [[ "$n" == "smart cut: "*", ${f##*:}"*" s copied"* ]] || fail "$(basename "${f%%:*}"): $n"
    [ "$(decode_errors real.mp4)" -eq 0 ] || fail "$(basename "${f%%:*}"): decode errors"
    [ "$(frames real.mp4 v:0)" -eq "$(frames real_acc.mp4 v:0)" ] || fail "$(basename "${f%%:*}"): frame count"
    p=$(min_psnr real.mp4 real_acc.mp4)
    ge "$p" 35 || fail "$(basename "${f%%:*}"): a picture is $p dB from the accurate cut"
  done
else
  echo "  (forensics-samples-files cannot be fetched here: real files skipped)"
fi

no_temp_left
echo "PASS"
