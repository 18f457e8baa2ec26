#!/usr/bin/env bash
# Prepares the still images the face detection test reads, in the directory $1:
#  face.png     — a portrait photograph (scikit-image's "astronaut", shipped in Debian's
#                 python3-skimage package; only that one file is extracted from the .deb)
#  testsrc.png  — ffmpeg's colour test pattern (must contain no face)
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
echo "test images ready in $dir"
