#!/usr/bin/env bash
# Media over a limit (CLIPFORGE_MAX_PIXELS, _STREAMS, _FPS, _FRAMES, _DURATION_MS) is refused
# everywhere it is opened, with a message naming the limit and the value: an upload answers 422
# invalid-media and stores nothing, `clipforge probe` exits 2, a job fails as invalid-media
# without a retry. Normal media still passes. The over-limit files are made here, tiny, against
# low limits set for the test.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

ff() { ffmpeg -loglevel error -y "$@"; }
make_media "$WORK/ok.mp4" 2
ff -f lavfi -i color=c=gray:s=2048x1024:r=25 -frames:v 1 -c:v libx264 -preset ultrafast "$WORK/big.mp4"
maps=(); for _ in $(seq 1 12); do maps+=(-map 0:a); done
ff -f lavfi -i anullsrc=r=8000:cl=mono -t 0.2 "${maps[@]}" -c:a pcm_s16le "$WORK/streams.mkv"
ff -f lavfi -i color=c=gray:s=64x64:r=5000 -frames:v 5 -c:v mpeg4 -video_track_timescale 5000 "$WORK/fast.mp4"
printf 'not media at all\n' >"$WORK/text.txt"

files() { find "$WORK/data/storage" -type f 2>/dev/null | wc -l; }
export CLIPFORGE_MAX_PIXELS=1000000 CLIPFORGE_MAX_STREAMS=8

echo "# upload: 422 invalid-media naming the limit, nothing stored"
start_server "$WORK/data" --workers 1
up() { req POST /v1/media -H 'Content-Type: video/mp4' --data-binary @"$1"; }
up "$WORK/big.mp4"; expect_problem 422 invalid-media
check "pixels: the detail names limit and value ($(jget 'j["detail"]'))" test \
  "$(jget 'j["detail"]')" = "video stream 0: 2048x1024 is over the 1000000-pixel limit (CLIPFORGE_MAX_PIXELS)"
up "$WORK/streams.mkv"; expect_problem 422 invalid-media
check "streams: the detail names limit and value ($(jget 'j["detail"]'))" grep -q \
  "over the 8-stream limit (CLIPFORGE_MAX_STREAMS)" "$WORK/body"
up "$WORK/fast.mp4"; expect_problem 422 invalid-media
check "frame rate: the detail names limit and value ($(jget 'j["detail"]'))" test \
  "$(jget 'j["detail"]')" = "video stream 0: a frame rate of 5000 fps is over the 1000-fps limit (CLIPFORGE_MAX_FPS)"
check "nothing stored after the refusals" test "$(files)" = 0
up "$WORK/text.txt"; expect_problem 415 unsupported-media-type
up "$WORK/ok.mp4"
check "normal media: 201" test "$STATUS" = 201
media=$(jget 'j["id"]')
check "one object stored" test "$(files)" = 1
req GET /v1/media
check "the list holds only the accepted upload" test "$(jget 'len(j["items"])')" = 1
stop_server

echo "# the CLI: exit 2 with the message"
probe() { "$CLIPFORGE" probe "$@" >"$WORK/out" 2>"$WORK/err"; }
rc=0; probe "$WORK/big.mp4" || rc=$?
check "probe over the pixel limit: exit 2 (got $rc)" test "$rc" = 2
check "probe: the message names the limit ($(cat "$WORK/err"))" grep -q \
  "2048x1024 is over the 1000000-pixel limit (CLIPFORGE_MAX_PIXELS)" "$WORK/err"
rc=0; CLIPFORGE_MAX_FRAMES=10 probe "$WORK/ok.mp4" || rc=$?
check "probe over the frame limit: exit 2 (got $rc)" test "$rc" = 2
check "frames: named ($(cat "$WORK/err"))" grep -q "50 frames is over the 10-frame limit (CLIPFORGE_MAX_FRAMES)" "$WORK/err"
rc=0; CLIPFORGE_MAX_DURATION_MS=1000 probe "$WORK/ok.mp4" || rc=$?
check "probe over the duration limit: exit 2 (got $rc)" test "$rc" = 2
check "duration: named ($(cat "$WORK/err"))" grep -q "over the 1000-ms limit (CLIPFORGE_MAX_DURATION_MS)" "$WORK/err"
rc=0; probe "$WORK/ok.mp4" || rc=$?
check "probe of normal media: exit 0 (got $rc)" test "$rc" = 0

echo "# a job on media over the limit: failed, invalid-media, not retried"
CLIPFORGE_MAX_PIXELS=10000 CLIPFORGE_RETRY_BASE_MS=0 start_server "$WORK/data" --workers 1
job=$(submit_clip "$media")
check "the job fails" wait_status "$job" failed 60
req GET "/v1/jobs/$job"
check "error type invalid-media" test "$(jget 'j["error"]["type"]')" = "https://clipforge.dev/problems/invalid-media"
check "the error names the limit ($(jget 'j["error"]["detail"]'))" grep -q \
  "320x240 is over the 10000-pixel limit (CLIPFORGE_MAX_PIXELS)" "$WORK/body"
check "run once, not retried" test "$(jget 'j["attempts"]')" = 1
stop_server

echo "# the same job within the limits succeeds"
start_server "$WORK/data" --workers 1
job=$(submit_clip "$media")
check "the job succeeds" wait_status "$job" succeeded 60
stop_server
finish
