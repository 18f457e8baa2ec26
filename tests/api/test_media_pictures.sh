#!/usr/bin/env bash
# Pictures of uploaded media: GET /v1/media/{id}/waveform (peaks where the sound is, computed
# once and kept), /filmstrip (a JPEG sprite sheet of frames spread over the video, upright,
# tiles that are not black) and /poster (a frame that is not black, even when the video opens
# on black); problems for media without audio or video; /camera-path (the smart-crop path the
# render follows over a span: it follows a moving box), /split-framing (no people, no regions);
# deleting the media deletes them.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

start_server "$WORK/data" --no-workers
OBJ="$WORK/data/storage/objects"

# 6 s 320x240: black for 2 s then the test pattern; a 0.5 tone between 3 and 4 s, else silence.
ffmpeg -loglevel error -y -f lavfi -i "color=black:s=320x240:r=25:d=2" -f lavfi -i "testsrc2=s=320x240:r=25:d=4" \
  -f lavfi -i "aevalsrc='0.5*sin(2*PI*440*t)*between(t,3,4)':s=48000:d=6" \
  -filter_complex "[0:v][1:v]concat=n=2:v=1[v]" -map "[v]" -map 2:a -c:v libx264 -preset ultrafast -g 25 \
  -pix_fmt yuv420p -c:a aac -b:a 96k "$WORK/av.mp4"
ffmpeg -loglevel error -y -f lavfi -i "sine=frequency=300:sample_rate=44100:d=3" -c:a aac "$WORK/audio.m4a"
ffmpeg -loglevel error -y -f lavfi -i "testsrc2=s=320x240:r=25:d=3" -c:v libx264 -preset ultrafast "$WORK/plain.mp4"
ffmpeg -loglevel error -y -i "$WORK/plain.mp4" -c copy -metadata:s:v:0 rotate=90 "$WORK/rotated.mp4" # a display matrix
av=$(upload "$WORK/av.mp4")
audio=$(upload "$WORK/audio.m4a")
rotated=$(upload "$WORK/rotated.mp4")

# luma FILE [CROP] — mean luma (0..255) of a picture, or of a crop of it, by ffmpeg's signalstats.
luma() {
  ffmpeg -loglevel error -i "$1" -vf "${2:+crop=$2,}signalstats,metadata=print:file=-" -f null - |
    sed -n 's/.*lavfi.signalstats.YAVG=//p' | head -1
}
gt() { python3 -c "import sys; sys.exit(0 if float(sys.argv[1]) > float(sys.argv[2]) else 1)" "$1" "$2"; }

echo "# waveform"
req GET "/v1/media/$av/waveform"
check "waveform: 200 JSON ($STATUS $CTYPE)" test "$STATUS $CTYPE" = "200 application/json"
check "waveform: media id, duration, 20 ms steps" test "$(jget 'j["media_id"], j["duration_ms"] // 100, j["step_ms"]')" = "('$av', 60, 20)"
check "waveform: one peak per step" test "$(jget 'len(j["peaks"]) == -(-j["duration_ms"] // j["step_ms"])')" = True
check "waveform: stream facts" test "$(jget 'j["sample_rate"], j["channels"]')" = "(48000, 1)"
check "waveform: the tone (3-4 s) peaks near 0.5" test "$(jget 'round(max(j["peaks"][160:190]), 1)')" = 0.5
check "waveform: silence (0-2.8 s, 4.3-6 s) stays under 0.02" test "$(jget 'max(j["peaks"][:140] + j["peaks"][215:]) < 0.02')" = True
cp "$WORK/body" "$WORK/wave1.json"
stored="$OBJ/previews/$av/waveform.json"
check "waveform: kept in storage" test -s "$stored"
before=$(stat -c %Y.%N "$stored" 2>/dev/null || stat -c %y "$stored")
sleep 1.1
req GET "/v1/media/$av/waveform"
check "waveform: the second answer is the kept one (same bytes, file untouched)" \
  test "$(cmp -s "$WORK/body" "$WORK/wave1.json" && stat -c %Y.%N "$stored")" = "$before"
# 16-bit samples are converted to float: the same tone, the same peaks
ffmpeg -loglevel error -y -f lavfi -i "aevalsrc='0.5*sin(2*PI*440*t)*between(t,3,4)':s=22050:d=6" -c:a pcm_s16le "$WORK/s16.wav"
s16=$(upload "$WORK/s16.wav")
req GET "/v1/media/$s16/waveform"
check "waveform of 16-bit PCM: 200, the tone near 0.5, silence under 0.02" \
  test "$STATUS $(jget 'round(max(j["peaks"][160:190]), 1), max(j["peaks"][:140] + j["peaks"][215:]) < 0.02')" = "200 (0.5, True)"
req GET "/v1/media/$rotated/waveform"; expect_problem 422 unsupported
check "no audio: the problem says so" test "$(jget '"no audio" in j["detail"]')" = True
req GET /v1/media/m_nosuch/waveform;   expect_problem 404 not-found

echo "# several first requests at once compute it once"
pids=()
for i in 1 2 3 4; do curl -s -o "$WORK/par$i.json" "$BASE/v1/media/$audio/waveform" & pids+=($!); done
wait "${pids[@]}"
check "parallel first requests: identical answers" test "$(md5sum "$WORK"/par*.json | awk '{print $1}' | sort -u | wc -l)" = 1
check "parallel first requests: a waveform" test "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["peaks"]) > 100)' "$WORK/par1.json")" = True

echo "# filmstrip"
req GET "/v1/media/$av/filmstrip"
check "filmstrip: 200 JSON" test "$STATUS $CTYPE" = "200 application/json"
check "filmstrip: 20 tiles of 160x120, 10 per row" test "$(jget 'j["count"], j["columns"], j["rows"], j["tile_width"], j["tile_height"]')" = "(20, 10, 2, 160, 120)"
check "filmstrip: times rise across the video" test "$(jget 'len(j["times_ms"]) == 20 and j["times_ms"] == sorted(j["times_ms"]) and j["times_ms"][0] < 500 and j["times_ms"][-1] > 5500')" = True
check "filmstrip: a signed url" test "$(jget '"sig=" in j["url"]')" = True
url=$(jget 'j["url"]')
curl -sf -o "$WORK/sheet.jpg" "$BASE$url"
check "filmstrip: the sheet is a 1600x240 JPEG" test "$(ffprobe -v error -show_entries stream=codec_name,width,height -of csv=p=0 "$WORK/sheet.jpg")" = "mjpeg,1600,240"
check "filmstrip: a tile of the black opening is black" gt 20 "$(luma "$WORK/sheet.jpg" 160:120:0:0)"
check "filmstrip: a tile of the pattern is not black ($(luma "$WORK/sheet.jpg" 160:120:1280:120))" gt "$(luma "$WORK/sheet.jpg" 160:120:1280:120)" 40
req GET "/v1/media/$rotated/filmstrip"
check "filmstrip of a video turned 90 degrees: upright tiles (160x212)" test "$(jget 'j["tile_width"], j["tile_height"]')" = "(160, 212)"
req GET "/v1/media/$audio/filmstrip"; expect_problem 422 unsupported
# a transport stream recorded from 1000 s on (red, green, blue for 20 s each): tiles from
# where the recording starts, not from the container's zero (the tiles past 24 s were all one
# picture, the one decoding forward from the start stopped at)
ffmpeg -loglevel error -y -f lavfi -i "color=red:s=160x120:r=25:d=20" -f lavfi -i "color=lime:s=160x120:r=25:d=20" \
  -f lavfi -i "color=blue:s=160x120:r=25:d=20" -filter_complex "[0:v][1:v][2:v]concat=n=3:v=1[v]" -map "[v]" \
  -c:v libx264 -preset ultrafast -g 50 -pix_fmt yuv420p -output_ts_offset 1000 "$WORK/late.ts"
late=$(upload "$WORK/late.ts")
req GET "/v1/media/$late/filmstrip"
curl -sf -o "$WORK/late.jpg" "$BASE$(jget 'j["url"]')"
# colour of each tile: its centre pixel's strongest channel (R, G or B), against its time's
tiles=$(python3 - "$WORK/body" "$WORK/late.jpg" <<'PY'
import json, subprocess, sys
j = json.load(open(sys.argv[1]))
w, h, c = j["tile_width"], j["tile_height"], j["columns"]
raw = subprocess.run(["ffmpeg", "-v", "error", "-i", sys.argv[2], "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
                     capture_output=True, check=True).stdout
for i, t in enumerate(j["times_ms"]):
    x, y = (i % c) * w + w // 2, (i // c) * h + h // 2
    p = raw[(y * w * c + x) * 3:(y * w * c + x) * 3 + 3]
    print("%d:%s%s" % (t // 1000, "RGB"[max(range(3), key=lambda k: p[k])], "RGB"[min(t // 20000, 2)]))
PY
)
check "filmstrip of a recording starting at 1000 s: times over the 60 s, each tile its time's colour ($(echo $tiles))" \
  python3 -c 'import sys; t = sys.argv[1].split(); sys.exit(not (int(t[-1].split(":")[0]) > 50 and all(x[-1] == x[-2] for x in t)))' "$tiles"

echo "# poster"
code=$(curl -s -o "$WORK/poster.jpg" -w '%{http_code} %{content_type}' "$BASE/v1/media/$av/poster")
check "poster: 200 image/jpeg ($code)" test "$code" = "200 image/jpeg"
check "poster: 320x240" test "$(ffprobe -v error -show_entries stream=width,height -of csv=p=0 "$WORK/poster.jpg")" = "320,240"
check "poster: not the black opening ($(luma "$WORK/poster.jpg"))" gt "$(luma "$WORK/poster.jpg")" 40
check "poster: kept in storage" test -s "$OBJ/previews/$av/poster.jpg"
curl -s -o "$WORK/poster-r.jpg" "$BASE/v1/media/$rotated/poster"
check "poster of a turned video: upright" test "$(ffprobe -v error -show_entries stream=width,height -of csv=p=0 "$WORK/poster-r.jpg")" = "240,320"
# ffmpeg's own autorotation of the same frame (the first: the only keyframe) as the reference
ffmpeg -loglevel error -y -i "$WORK/rotated.mp4" -frames:v 1 -vf scale=240:320 "$WORK/ref-r.png"
diff_r=$(ffmpeg -loglevel error -i "$WORK/poster-r.jpg" -i "$WORK/ref-r.png" \
  -lavfi "[0][1]blend=all_mode=difference,signalstats,metadata=print:file=-" -f null - | sed -n 's/.*YAVG=//p' | head -1)
check "poster of a turned video: turned the way ffmpeg turns it (mean luma difference $diff_r)" gt 8 "$diff_r"
req GET "/v1/media/$audio/poster"; expect_problem 422 unsupported
# sound with artwork (an mp3's cover picture): the poster is the artwork, at most 640 wide
ffmpeg -loglevel error -y -f lavfi -i "color=orange:s=800x800" -frames:v 1 "$WORK/art.png"
ffmpeg -loglevel error -y -i "$WORK/audio.m4a" -i "$WORK/art.png" -map 0 -map 1 -c:a libmp3lame -c:v copy \
  -disposition:v attached_pic "$WORK/art.mp3"
art=$(upload "$WORK/art.mp3")
curl -s -o "$WORK/poster-art.jpg" "$BASE/v1/media/$art/poster"
check "poster of sound with artwork: the artwork at 640x640" \
  test "$(ffprobe -v error -show_entries stream=width,height -of csv=p=0 "$WORK/poster-art.jpg")" = "640,640"
rgb=$(ffmpeg -v error -i "$WORK/poster-art.jpg" -vf "format=rgb24,crop=1:1:320:320" -f rawvideo - | od -An -tu1 | tr -s ' ')
check "poster of sound with artwork: orange ($rgb)" python3 -c "import sys; r,g,b=map(int,'$rgb'.split()); sys.exit(0 if r>200 and 120<g<200 and b<80 else 1)"

# An HD video (BT.709, as players read HD) of one red: the poster and the filmstrip, JPEGs, are in
# JPEG's BT.601; carried over unconverted the red 192 32 32 showed 178 14 34.
ffmpeg -loglevel error -y -f lavfi -i "color=c=0xC02020:s=1280x720:r=25:d=2" -vf "scale=out_color_matrix=bt709,format=yuv420p" \
  -c:v libx264 -preset ultrafast -colorspace bt709 "$WORK/red709.mp4"
# The same red as a phone's HDR (HLG, 10-bit BT.2020) video: tone-mapped as clips and renders
# are (within 25, as there), not the washed-out 116 54 30 of its values read as SDR.
ffmpeg -loglevel error -y -f lavfi -i "color=c=0xC02020:s=320x180:r=25:d=2" \
  -vf "format=yuv420p,zscale=tin=709:pin=709:min=709:rin=limited:t=arib-std-b67:p=2020:m=2020_ncl:r=limited:npl=100,format=yuv420p10le" \
  -c:v libx265 -preset ultrafast -x265-params log-level=0 -pix_fmt yuv420p10le -color_primaries bt2020 \
  -color_trc arib-std-b67 -colorspace bt2020nc "$WORK/red-hlg.mp4"
red709=$(upload "$WORK/red709.mp4")
redhlg=$(upload "$WORK/red-hlg.mp4")
for media in "red709 $red709 8" "redhlg $redhlg 25"; do
  read -r name id tol <<<"$media"
  curl -s -o "$WORK/poster-$name.jpg" "$BASE/v1/media/$id/poster"
  req GET "/v1/media/$id/filmstrip"
  curl -sf -o "$WORK/sheet-$name.jpg" "$BASE$(jget 'j["url"]')"
  for pic in poster sheet; do
    rgb=$(python3 "$(dirname "$0")/../shown_rgb.py" "$WORK/$pic-$name.jpg" 80 40)
    check "$pic of $name: the red (192 32 32) it is shown in, within $tol ($rgb)" python3 -c "import sys; a=list(map(int,'$rgb'.split())); sys.exit(0 if max(abs(x-y) for x,y in zip(a,(192,32,32)))<=$tol else 1)"
  done
done

echo "# camera path"
# 4 s: a white box crossing a black frame from left to right
ffmpeg -loglevel error -y -f lavfi -i "color=black:s=320x240:r=25:d=4" -f lavfi -i "color=white:s=40x40:r=25:d=4" \
  -filter_complex "[0][1]overlay=x='20+t*60':y=100" -c:v libx264 -preset ultrafast -pix_fmt yuv420p "$WORK/box.mp4"
box=$(upload "$WORK/box.mp4")
req GET "/v1/media/$box/camera-path?start_ms=500&end_ms=3500&width=360&height=640"
check "camera path: 200 JSON ($STATUS $CTYPE)" test "$STATUS $CTYPE" = "200 application/json"
check "camera path: a 9:16 crop of the 320x240 source" test "$(jget 'j["source"]["width"], j["source"]["height"], j["crop"]["width"], j["crop"]["height"]')" = "(320, 240, 134, 240)"
check "camera path: a sample per frame of the span, times from the span's start" test "$(jget '70 <= len(j["samples"]) <= 76 and j["samples"][0]["t_ms"] < 40 and all(a["t_ms"] < b["t_ms"] for a, b in zip(j["samples"], j["samples"][1:]))')" = True
check "camera path: the crop stays in the frame" test "$(jget 'all(0 <= s["x"] <= 320 - 134 and s["y"] == 0 for s in j["samples"])')" = True
check "camera path: the crop follows the box to the right ($(jget 'j["samples"][0]["x"], j["samples"][-1]["x"]'))" \
  test "$(jget 'j["samples"][-1]["x"] - j["samples"][0]["x"] > 60')" = True
cp "$WORK/body" "$WORK/camera1.json"
check "camera path: kept in storage" test -s "$OBJ/previews/$box/camera-500-3500-360x640.json"
req GET "/v1/media/$box/camera-path?start_ms=500&end_ms=3500&width=360&height=640"
check "camera path: the second answer is the kept one" cmp -s "$WORK/body" "$WORK/camera1.json"
req GET "/v1/media/$box/split-framing?start_ms=500&end_ms=3500&width=360&height=640"
check "split framing: 200 JSON, no people to frame, so no regions ($(cat "$WORK/body"))" test "$STATUS $(jget 'j["regions"]')" = "200 []"
check "split framing: kept in storage" test -s "$OBJ/previews/$box/split-500-3500-360x640.json"
req GET "/v1/media/$box/split-framing?start_ms=0&end_ms=400000&width=360&height=640"; expect_problem 400 validation
req GET "/v1/media/$box/camera-path?start_ms=500&end_ms=400&width=360&height=640"; expect_problem 400 validation
req GET "/v1/media/$box/camera-path?start_ms=0&end_ms=1000"; expect_problem 400 validation
req GET "/v1/media/$audio/camera-path?start_ms=0&end_ms=1000&width=360&height=640"; expect_problem 422 invalid-media

echo "# delete"
req DELETE "/v1/media/$box"
check "delete: the camera paths and split framings go with the media" test -z "$(ls "$OBJ/previews/$box" 2>/dev/null)"
req DELETE "/v1/media/$av"
check "delete: 204" test "$STATUS" = 204
check "delete: the pictures go with the media" test ! -e "$OBJ/previews/$av/poster.jpg" -a ! -e "$OBJ/previews/$av/waveform.json" -a ! -e "$OBJ/previews/$av/filmstrip.jpg"
req GET "/v1/media/$av/poster"; expect_problem 404 not-found

req GET /openapi.json
check "OpenAPI lists the picture routes" test "$(jget 'all(p in j["paths"] for p in ["/v1/media/{media_id}/waveform", "/v1/media/{media_id}/filmstrip", "/v1/media/{media_id}/poster", "/v1/media/{media_id}/camera-path", "/v1/media/{media_id}/split-framing"])')" = True
stop_server
finish
