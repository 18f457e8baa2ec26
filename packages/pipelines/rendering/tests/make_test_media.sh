#!/usr/bin/env bash
# Prepares the media the rendering unit tests read, in the directory $1:
#  face.png     — a portrait photograph (scikit-image's "astronaut", shipped in Debian's
#                 python3-skimage package; only that one file is extracted from the .deb)
#  testsrc.png  — ffmpeg's colour test pattern (must contain no face)
#  moving_box.mp4 — 320x180 25 fps 4.5 s: a 24 px white box on grey moving right at 120 px/s
#                 from x=10 (0-1.5 s), standing at x=190 (1.5-3 s), moving back left (3-4.5 s);
#                 y=78. test_reframe recomputes the same positions.
set -euo pipefail
dir=$1
mkdir -p "$dir"
if [ ! -s "$dir/face.png" ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  echo "fetching python3-skimage (for its astronaut.png) with apt-get download"
  (cd "$tmp" && apt-get download -qq python3-skimage >/dev/null 2>&1)
  deb=$(ls "$tmp"/python3-skimage_*.deb)
  dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" --wildcards '*/skimage/data/astronaut.png'
  cp "$(find "$tmp" -name astronaut.png | head -n1)" "$dir/face.png"
fi
[ -s "$dir/testsrc.png" ] || ffmpeg -v error -y -f lavfi -i testsrc=size=640x360 -frames:v 1 "$dir/testsrc.png"
[ -s "$dir/moving_box.mp4" ] || ffmpeg -v error -y -f lavfi -i color=c=0x606060:s=320x180:r=25:d=4.5 \
  -f lavfi -i color=c=white:s=24x24:r=25:d=4.5 \
  -filter_complex "[0][1]overlay=x='if(lt(t,1.5),10+120*t,if(lt(t,3),190,190-120*(t-3)))':y=78,format=yuv420p" \
  -c:v libx264 -preset veryfast -crf 18 -g 50 "$dir/moving_box.mp4"
# moving_box_sound.mp4 — moving_box.mp4 with a 440 Hz tone under it (a render that measures its sound)
[ -s "$dir/moving_box_sound.mp4" ] || ffmpeg -v error -y -i "$dir/moving_box.mp4" -f lavfi -i "sine=f=440:d=4.5" \
  -map 0:v -map 1:a -c:v copy -c:a aac -shortest "$dir/moving_box_sound.mp4"
# face_right.mp4 — 640x360 12.5 fps 2 s, still: the portrait (scaled to 300x300) at x=320 on grey;
#                 its face centre is near x=320+222*300/512=450. Nothing moves: only faces steer.
[ -s "$dir/face_right.mp4" ] || ffmpeg -v error -y -f lavfi -i color=c=0x505050:s=640x360:r=12.5:d=2 \
  -loop 1 -framerate 12.5 -t 2 -i "$dir/face.png" \
  -filter_complex "[1]scale=300:300[f];[0][f]overlay=x=320:y=30:shortest=1,format=yuv420p" \
  -c:v libx264 -preset veryfast -crf 18 "$dir/face_right.mp4"
# two_faces.mp4 — 640x360 12.5 fps 2 s, still: the portrait (150x150) twice on grey, at x=60 y=10
#                (face centre near x=60+222*150/512=125) and at x=420 y=200 (near x=485).
[ -s "$dir/two_faces.mp4" ] || ffmpeg -v error -y -f lavfi -i color=c=0x505050:s=640x360:r=12.5:d=2 \
  -loop 1 -framerate 12.5 -t 2 -i "$dir/face.png" \
  -filter_complex "[1]scale=150:150,split[a][b];[0][a]overlay=x=60:y=10:shortest=1[l];[l][b]overlay=x=420:y=200:shortest=1,format=yuv420p" \
  -c:v libx264 -preset veryfast -crf 18 "$dir/two_faces.mp4"
# guest_briefly.mp4 — 640x360 12.5 fps 4 s: two_faces.mp4's right person throughout, its left
#                    one only for the first 0.3 s (one look of eight or nine).
[ -s "$dir/guest_briefly.mp4" ] || ffmpeg -v error -y -f lavfi -i color=c=0x505050:s=640x360:r=12.5:d=4 \
  -loop 1 -framerate 12.5 -t 4 -i "$dir/face.png" \
  -filter_complex "[1]scale=150:150,split[a][b];[0][a]overlay=x=60:y=10:shortest=1:enable='lt(t,0.3)'[l];[l][b]overlay=x=420:y=200:shortest=1,format=yuv420p" \
  -c:v libx264 -preset veryfast -crf 18 "$dir/guest_briefly.mp4"
echo "test media ready in $dir"
