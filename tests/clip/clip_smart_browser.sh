# clip_smart_browser.sh — a smart cut (copied picture groups between two re-encoded edges, two
# sets of parameter sets in one avcC) plays to its end in Chromium with every picture decoded,
# and a copy into MP4 plays from its start (the edit list's), not from the keyframe before it.
# Usage: clip_smart_browser.sh CLIPFORGE WORKDIR NODE CHROMIUM FRONTEND_DIR
source "$(dirname "$0")/lib.sh" "$1" "$2"
NODE=${3:?node} CHROMIUM=${4:?chromium} FE=${5:?frontend dir}

gen src.mp4 -f lavfi -i "testsrc2=s=640x360:r=25:d=12" -f lavfi -i "sine=f=440:d=12:sample_rate=48000" \
  -c:v libx264 -preset veryfast -g 50 -keyint_min 50 -sc_threshold 0 -c:a aac -shortest
ok clip --input src.mp4 --output smart.mp4 --trim 1.3:9.7 --trim-mode smart --json
grep -q '"smart cut: ' out.txt || fail "not a smart cut: $(cat out.txt)"
check "the smart cut plays in Chromium"
n=$(frames smart.mp4 v:0)
# Chromium's profile sockets need a short path: its temp files go to the system's temp dir
(cd "$FE" && TMPDIR=/tmp "$NODE" e2e/play.mjs --chromium "$CHROMIUM" --frames "$n" "$WORK/smart.mp4") ||
  fail "Chromium does not play the smart cut through"
check "a copy from inside a picture group plays in Chromium from the start asked for"
ok clip --input src.mp4 --output copy.mp4 --trim 3:6 --trim-mode copy
(cd "$FE" && TMPDIR=/tmp "$NODE" e2e/play.mjs --chromium "$CHROMIUM" --frames 75 --duration 3 "$WORK/copy.mp4") ||
  fail "Chromium does not play the copy from its start (3 s long, not 4 from the keyframe at 2 s)"
echo "PASS"
