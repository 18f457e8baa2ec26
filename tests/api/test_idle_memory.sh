#!/usr/bin/env bash
# An idle server does not map the pipelines: the FFmpeg, pocketsphinx and libxml2 libraries come
# with clipforge-pipelines.so, loaded by the first thing that needs them (here an upload's
# probe), after which uploads, pictures and a first job work as ever. Without sanitizers the
# idle server's resident memory, with its workers, stays within 20 MiB. A binary whose module is
# missing serves what needs no pipeline and says what is missing for what does.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
J=(-H 'Content-Type: application/json')
make_media "$WORK/src.mp4" 1 160x120

mapped() { grep -q "$1" "/proc/$SERVER_PID/maps"; }
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$SERVER_PID/status"; }

echo "# idle"
start_server "$WORK/data" --workers 2
sleep 1
req GET /v1/templates
check "templates listed without the module ($STATUS)" test "$STATUS" = 200
req GET /openapi.json
check "openapi served without the module ($STATUS)" test "$STATUS" = 200
check "idle: the pipelines module is not mapped" test "$(mapped clipforge-pipelines.so && echo yes || echo no)" = no
check "idle: libavcodec is not mapped" test "$(mapped libavcodec && echo yes || echo no)" = no
if mapped libasan || mapped libtsan; then
  echo "ok - # skip the resident memory bound: a sanitized build ($(rss_kib) KiB)"
else
  kib=$(rss_kib)
  check "idle resident memory with 2 workers within 20 MiB ($kib KiB)" test "$kib" -le 20480
fi

echo "# first use"
req POST /v1/media -H 'Content-Type: video/mp4' --data-binary @"$WORK/src.mp4"
check "upload probed (201: $STATUS)" test "$STATUS" = 201
media=$(jget 'j["id"]')
check "the upload's probe found the video" test "$(jget 'j["probe"]["streams"][0]["codec"]')" = h264
check "the module is mapped after the first upload" mapped clipforge-pipelines.so
req POST /v1/jobs "${J[@]}" -d "{\"kind\":\"clip_processing\",\"request\":{\"clip_id\":\"c\",\"source_uri\":\"media://$media\",\"operations\":[{\"op\":\"trim\",\"start_ms\":0,\"end_ms\":500}]}}"
check "first job accepted ($STATUS)" test "$STATUS" = 202
job=$(jget 'j["id"]')
check "first job after idle succeeds" wait_status "$job" succeeded 60
req GET "/v1/media/$media/waveform"
check "waveform computed through the module ($STATUS)" test "$STATUS" = 200
stop_server

echo "# a binary without its module"
mkdir -p "$WORK/alone"
cp "$CLIPFORGE" "$WORK/alone/clipforge"
CLIPFORGE=$WORK/alone/clipforge start_server "$WORK/data2" --workers 1
req GET /healthz
check "serves without the module ($STATUS)" test "$STATUS" = 200
req POST /v1/media -H 'Content-Type: video/mp4' --data-binary @"$WORK/src.mp4"
check "an upload is refused with 503 ($STATUS)" test "$STATUS" = 503
check "the problem names the missing module" grep -q "clipforge-pipelines.so" "$WORK/body"
stop_server
rc=0
"$WORK/alone/clipforge" probe "$WORK/src.mp4" 2>"$WORK/probe.err" || rc=$?
check "probe without the module exits 1 ($rc)" test "$rc" = 1
check "and names the module" grep -q "clipforge-pipelines.so" "$WORK/probe.err"
finish
