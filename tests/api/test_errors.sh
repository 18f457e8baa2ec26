#!/usr/bin/env bash
# Every error kind of the API answers application/problem+json with its stable type.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

export CLIPFORGE_MAX_BODY_BYTES=2000 CLIPFORGE_MAX_UPLOAD_BYTES=100000 CLIPFORGE_MAX_JSON_DEPTH=8
export CLIPFORGE_MAX_URL_BYTES=2048 CLIPFORGE_MAX_HEADER_BYTES=4096
mkdir -p "$WORK/web/assets"
echo '<!doctype html><title>clipforge</title>' >"$WORK/web/index.html"
echo 'console.log(1)' >"$WORK/web/assets/app-1234abcd.js"
export CLIPFORGE_WEB_DIR="$WORK/web"
start_server "$WORK/data" --no-workers
J=(-H 'Content-Type: application/json')

echo "# the web UI beside the API"
req GET /
check "/ serves index.html ($STATUS $CTYPE)" test "$STATUS" = 200 -a "${CTYPE%%;*}" = text/html
req GET /assets/app-1234abcd.js
check "assets are served ($STATUS $CTYPE)" test "$STATUS" = 200 -a "$BODY" = "console.log(1)"
req GET /assets/../../data/clipforge.db
check "no path outside the web root ($STATUS)" test "$STATUS" = 404 -o "$STATUS" = 400
OCT=(-H 'Content-Type: application/octet-stream')

echo "# not-found"
req GET /v1/jobs/j_nope;            expect_problem 404 not-found
req GET /v1/media/m_nope;           expect_problem 404 not-found
req DELETE /v1/media/m_nope;        expect_problem 404 not-found
req GET /no/such/route;             expect_problem 404 not-found
req POST /v1/jobs/j_nope/cancel;    expect_problem 404 not-found

echo "# method-not-allowed"
req PUT /v1/jobs;                   expect_problem 405 method-not-allowed
allow=$(curl -s -o /dev/null -D - -X PATCH "$BASE/v1/jobs/x" | tr -d '\r' | sed -n 's/^Allow: //p')
check "405 names the allowed methods ($allow)" test "$allow" = "GET"

echo "# validation"
req POST /v1/jobs "${J[@]}" -d '{"kind":';                       expect_problem 400 validation
req POST /v1/jobs "${J[@]}" -d '[[[[[[[[[[[[1]]]]]]]]]]]]';      expect_problem 400 validation
req POST /v1/jobs "${J[@]}" -d '{"request":{}}';                 expect_problem 400 validation
check "missing kind is named" grep -q 'kind' <<<"$(jget 'j["detail"]')"
req POST /v1/jobs "${J[@]}" -d '{"kind":"teleport","request":{}}'; expect_problem 400 validation
req POST /v1/jobs "${J[@]}" -d '{"kind":"clip_processing","request":{},"x":1}'; expect_problem 400 validation
req POST /v1/jobs "${J[@]}" -d '{"kind":"clip_processing"}';     expect_problem 400 validation
req GET '/v1/jobs?status=sleeping';                              expect_problem 400 validation
req GET '/v1/jobs?limit=0';                                      expect_problem 400 validation
req GET '/v1/jobs?cursor=abc';                                   expect_problem 400 validation
req GET /v1/events -H 'Last-Event-ID: x';                        expect_problem 400 validation
req POST /v1/media "${OCT[@]}" --data-binary '';                 expect_problem 400 validation

echo "# unsupported-media-type"
req POST /v1/jobs -H 'Content-Type: text/plain' -d '{}';         expect_problem 415 unsupported-media-type
req POST /v1/media -F "file=@$0";                                expect_problem 415 unsupported-media-type
head -c 5000 /dev/urandom >"$WORK/noise.bin"
req POST /v1/media "${OCT[@]}" --data-binary @"$WORK/noise.bin"; expect_problem 415 unsupported-media-type
ffmpeg -loglevel error -y -f lavfi -i color=red:s=64x64 -frames:v 1 "$WORK/photo.png"
req POST /v1/media "${OCT[@]}" --data-binary @"$WORK/photo.png"; expect_problem 415 unsupported-media-type
check "a photo is refused as a still picture ($(jget 'j["detail"]'))" grep -q "still picture (png)" <<<"$(jget 'j["detail"]')"
# an HLS playlist naming a file on the server: before, it was accepted and read as that file
ffmpeg -loglevel error -y -f lavfi -i testsrc2=s=64x64:d=2 -f mpegts "$WORK/elsewhere.ts"
printf '#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\n%s\n#EXT-X-ENDLIST\n' "$WORK/elsewhere.ts" >"$WORK/list.bin"
req POST /v1/media "${OCT[@]}" --data-binary @"$WORK/list.bin"; expect_problem 415 unsupported-media-type
# the media layer's reason, about "the upload" and not the server's path (before: a generic
# "not a media file clipforge can read" for all three)
check "a playlist is named as one ($(jget 'j["detail"]'))" grep -q "^the upload is not media but an HLS playlist" <<<"$(jget 'j["detail"]')"
check "no server path in the reason" test -z "$(grep -F "$WORK" <<<"$(jget 'j["detail"]')")"
ffmpeg -loglevel error -y -f lavfi -i testsrc2=s=64x64:d=2 -c:v libx264 "$WORK/whole.mp4"
# the file up to its index (moov, written last), as a recorder stopped by a flat battery leaves it
python3 -c 'import sys; d = open(sys.argv[1], "rb").read(); sys.stdout.buffer.write(d[:d.rindex(b"moov") - 4])' \
  "$WORK/whole.mp4" >"$WORK/unfinished.bin"
req POST /v1/media "${OCT[@]}" --data-binary @"$WORK/unfinished.bin"; expect_problem 415 unsupported-media-type
check "a recording never finished is named as one ($(jget 'j["detail"]'))" grep -q "^the upload is a recording that was never finished" <<<"$(jget 'j["detail"]')"
req POST /v1/media "${OCT[@]}" --data-binary @"$WORK/noise.bin"; expect_problem 415 unsupported-media-type
check "noise is not readable media ($(jget 'j["detail"]'))" grep -q "^the upload" <<<"$(jget 'j["detail"]')"
check "no server path in its reason" test -z "$(grep -F "$WORK" <<<"$(jget 'j["detail"]')")"
check "a refused upload leaves no object" test -z "$(find "$WORK/data/storage" -type f)"

echo "# payload-too-large"
big=$(python3 -c 'print("{\"kind\":\"clip_processing\",\"request\":{\"pad\":\"" + "x"*5000 + "\"}}")')
req POST /v1/jobs "${J[@]}" -d "$big";                           expect_problem 413 payload-too-large
head -c 200000 /dev/zero >"$WORK/big.bin"
req POST /v1/media "${OCT[@]}" --data-binary @"$WORK/big.bin";   expect_problem 413 payload-too-large
# Without Content-Length (chunked) the limit is enforced while streaming.
req POST /v1/media "${OCT[@]}" -H 'Transfer-Encoding: chunked' --data-binary @"$WORK/big.bin"
expect_problem 413 payload-too-large
sleep 0.3
check "an oversize upload leaves no file" test -z "$(find "$WORK/data/storage" -type f)"

echo "# every job kind is served: an empty request is invalid (400), not unsupported-job-kind"
for kind in autoclip highlight_detection render transcription; do
  req POST /v1/jobs "${J[@]}" -d "{\"kind\":\"$kind\",\"request\":{}}"
  check "$kind is a supported kind: an empty request is invalid ($STATUS)" test "$STATUS" = 400
done

echo "# conflict"
REQ='{"kind":"clip_processing","request":{"clip_id":"c","source_uri":"media://m_1"}}'
req POST /v1/jobs "${J[@]}" -d "$REQ"
check "a valid job is accepted: 202" test "$STATUS" = 202
id=$(jget 'j["id"]')
req POST "/v1/jobs/$id/retry";       expect_problem 409 conflict
req POST "/v1/jobs/$id/cancel";      check "cancel of a queued job: 202" test "$STATUS" = 202
req POST "/v1/jobs/$id/cancel";      expect_problem 409 conflict
req POST /v1/jobs "${J[@]}" -H 'Idempotency-Key: k1' -d "$REQ"
req POST /v1/jobs "${J[@]}" -H 'Idempotency-Key: k1' -d "${REQ/m_1/m_2}"
expect_problem 409 conflict

echo "# validation of the request through the generated parser"
req POST /v1/jobs "${J[@]}" -d '{"kind":"clip_processing","request":{"clip_id":"c","source_uri":"media://m","operations":[{"op":"trim","start_ms":5,"end_ms":1}]}}'
expect_problem 400 validation
check "the detail names the field path" grep -q 'operations\[0\]' <<<"$(jget 'j["detail"]')"
req POST /v1/jobs "${J[@]}" -d '{"kind":"clip_processing","request":{"clip_id":"c","source_uri":"/etc/passwd"}}'
expect_problem 400 validation

echo "# request line and headers over their limits: 414 / 431, the server goes on"
long=$(head -c 3000 /dev/zero | tr '\0' a)
req GET "/v1/jobs?kind=$long";       expect_problem 414 uri-too-long
check "the detail names the limit ($(jget 'j["detail"]'))" grep -q "over 2048 (CLIPFORGE_MAX_URL_BYTES)" "$WORK/body"
req GET "/v1/jobs/$long";            expect_problem 414 uri-too-long
req GET /v1/jobs -H "X-Long: $long" -H "X-Long-Too: $long"; expect_problem 431 header-fields-too-large
check "the detail names the limit ($(jget 'j["detail"]'))" grep -q "over 4096 (CLIPFORGE_MAX_HEADER_BYTES)" "$WORK/body"
req GET "/v1/jobs?kind=${long:0:1000}"
check "a URL under the limit passes ($STATUS)" test "$STATUS" = 400 -o "$STATUS" = 200
huge=$(head -c 100000 /dev/zero | tr '\0' a)
code=$(curl -s -o /dev/null -w '%{http_code}' "$BASE/v1/jobs?kind=$huge")
check "far over the limit: still 414 ($code)" test "$code" = 414
code=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Huge: $huge" "$BASE/v1/jobs")
check "headers far over the limit: still 431 ($code)" test "$code" = 431
req GET /healthz
check "the server still serves ($STATUS)" test "$STATUS" = 200

stop_server
finish
