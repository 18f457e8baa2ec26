#!/usr/bin/env bash
# A clip job runs through the embedded workers; its artifacts carry signed URLs that serve the
# files with Range; tampered, unsigned or expired URLs get 403, as do URLs whose tenant was
# changed; a URL validly signed for another tenant does not open the object (404); ranges past
# the end get 416.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

make_media "$WORK/src.mp4" 4
start_server "$WORK/data" --workers 2
media=$(upload "$WORK/src.mp4")
job=$(submit_clip "$media" '[{"op":"trim","start_ms":1000,"end_ms":3000},{"op":"scale","width":160,"height":-1},{"op":"thumbnail","at_ms":500,"output_uri":"/tmp/evil.jpg"}]')
check "job succeeds" wait_status "$job" succeeded 60
req GET "/v1/jobs/$job"
url=$(jget '[a for a in j["result"]["artifacts"] if a["kind"]=="video"][0]["url"]')
thumb=$(jget '[a for a in j["result"]["artifacts"] if a["kind"]=="thumbnail"][0]["url"]')
check "artifacts carry signed URLs" grep -q '^/v1/files/jobs/.*?tenant=default&exp=[0-9]*&sig=[0-9a-f]\{64\}$' <<<"$url"
check "the thumbnail was written inside the server's storage, not where the request said" \
  test ! -e /tmp/evil.jpg
check "progress is 1 and attempts 1" test "$(jget 'j["progress"]')/$(jget 'j["attempts"]')" = "1/1"

echo "# download and Range"
curl -sf -o "$WORK/full.mp4" -D "$WORK/h_full" "$BASE$url"
size=$(stat -c %s "$WORK/full.mp4")
check "full download is a 2 s 160 px video (ffprobe)" test "$(ffprobe -v error -select_streams v:0 -show_entries stream=width -of csv=p=0 "$WORK/full.mp4")" = 160
check "Accept-Ranges: bytes" grep -qi '^accept-ranges: bytes' "$WORK/h_full"
code=$(curl -s -o "$WORK/part" -D "$WORK/h_part" -w '%{http_code}' -H 'Range: bytes=100-1099' "$BASE$url")
check "range: 206" test "$code" = 206
check "range: 1000 bytes" test "$(stat -c %s "$WORK/part")" = 1000
check "range: the right bytes" cmp -s "$WORK/part" <(tail -c +101 "$WORK/full.mp4" | head -c 1000)
check "range: Content-Range" grep -qi "^content-range: bytes 100-1099/$size" "$WORK/h_part"
code=$(curl -s -o "$WORK/tail" -w '%{http_code}' -H 'Range: bytes=-500' "$BASE$url")
check "suffix range: the last 500 bytes" test "$code/$(stat -c %s "$WORK/tail")" = "206/500"
check "suffix range: the right bytes" cmp -s "$WORK/tail" <(tail -c 500 "$WORK/full.mp4")
code=$(curl -s -o "$WORK/open" -w '%{http_code}' -H "Range: bytes=$((size - 10))-" "$BASE$url")
check "open range: 206, 10 bytes" test "$code/$(stat -c %s "$WORK/open")" = "206/10"
check "thumbnail is a JPEG" test "$(curl -sf "$BASE$thumb" | head -c 3 | od -An -tx1 | tr -d ' ')" = ffd8ff
req GET "$url" -H "Range: bytes=$size-";          expect_problem 416 range-not-satisfiable

echo "# forbidden"
bad_sig="${url%%&sig=*}&sig=$(printf '0%.0s' $(seq 64))"
req GET "$bad_sig";                                expect_problem 403 forbidden
req GET "${url%%\?*}";                             expect_problem 403 forbidden
path=${url%%\?*}; sig=${url##*sig=}
req GET "$path?exp=1&sig=$sig";                    expect_problem 403 forbidden
other=${thumb%%\?*}
req GET "$other?${url#*\?}";                       expect_problem 403 forbidden
req GET "${url/tenant=default/tenant=beta}";      expect_problem 403 forbidden
check "another tenant in the URL breaks the signature ($(jget 'j["detail"]'))" grep -q "does not match" "$WORK/body"
req GET "${url/tenant=default&/}";                 expect_problem 403 forbidden
req GET "/v1/files/../clipforge.db?exp=9999999999&sig=$sig"
check "path traversal is refused (${STATUS})" test "$STATUS" = 403 -o "$STATUS" = 404

echo "# metrics after one run"
metrics=$(curl -s "$BASE/metrics")
check "metrics: the run's duration" grep -q '^clipforge_job_duration_seconds_count{outcome="succeeded",kind="clip_processing"} 1$' <<<"$metrics"
check "metrics: one delivery, leased" grep -q '^clipforge_bus_deliveries_total{result="leased"} 1$' <<<"$metrics"
check "metrics: no worker busy" grep -q '^clipforge_workers_busy 0$' <<<"$metrics"
check "metrics: jobs by state" grep -q '^clipforge_jobs{state="succeeded"} 1$' <<<"$metrics"

echo "# jobs that cannot succeed fail once, with their problem"
make_media "$WORK/cut.mp4" 4
ffmpeg -loglevel error -y -i "$WORK/cut.mp4" -c copy -movflags +faststart "$WORK/fast.mp4"
head -c $(($(stat -c %s "$WORK/fast.mp4") / 2)) "$WORK/fast.mp4" >"$WORK/half.mp4"
broken=$(upload "$WORK/half.mp4")
for src in m_missing "$broken"; do
  id=$(submit_clip "$src" '[{"op":"scale","width":160,"height":-1}]')
  check "$src: job fails" wait_status "$id" failed 60
  req GET "/v1/jobs/$id"
  echo "# $src: $(jget 'j["error"]')"
  # A missing source and a source cut in half are both the client's media at fault.
  want=invalid-media
  check "$src: error is the $want problem, not retried" \
    test "$(jget 'j["error"]["type"]')/$(jget 'j["attempts"]')" = "https://clipforge.dev/problems/$want/1"
  events=$( (curl -sN --max-time 1 "$BASE/v1/events?job_id=$id" || true) | sed -n 's/^data: //p' | tail -1)
  check "$src: the last event is JobFailed, not retryable" python3 -c '
import json, sys
e = json.loads(sys.argv[1]); sys.exit(0 if e["type"] == "JobFailed" and e["data"]["retryable"] is False else 1)' "$events"
done
check "metrics: two failed runs" grep -q '^clipforge_job_duration_seconds_count{outcome="failed",kind="clip_processing"} 2$' <<<"$(curl -s "$BASE/metrics")"
check "no temp files left by the failures" test -z "$(find "$WORK/data/work" -mindepth 1 | head -1)"

echo "# an expired URL"
stop_server
CLIPFORGE_URL_TTL_S=3 start_server "$WORK/data" --workers 1
t0=$(date +%s)
req GET "/v1/jobs/$job"
t1=$(date +%s)
short=$(jget '[a for a in j["result"]["artifacts"] if a["kind"]=="video"][0]["url"]')
exp=${short#*exp=}; exp=${exp%%&*}
check "CLIPFORGE_URL_TTL_S sets the expiry ($exp, signed between $t0 and $t1)" \
  test "$exp" -ge $((t0 + 3)) -a "$exp" -le $((t1 + 3))
# URLs signed here with the data dir's key, so the URL's own expiry decides, never how long a
# loaded machine takes between signing and fetching.
sign() { # PATH EXP [TENANT]
  python3 - "$WORK/data/signing.key" "$1" "$2" "${3:-default}" <<'PY'
import hashlib, hmac, sys
key, path, exp, tenant = open(sys.argv[1], "rb").read(), sys.argv[2], sys.argv[3], sys.argv[4]
msg = (tenant + "\n" + path[len("/v1/files/"):] + "\n" + exp).encode()
print(path + "?tenant=" + tenant + "&exp=" + exp + "&sig=" + hmac.new(key, msg, hashlib.sha256).hexdigest())
PY
}
check "the test signs as the server does" test "$(sign "${short%%\?*}" "$exp")" = "$short"
ahead=$(sign "${short%%\?*}" $(($(date +%s) + 600)))
check "a URL not yet expired is served" test "$(curl -s -o /dev/null -w '%{http_code}' "$BASE$ahead")" = 200
req GET "$(sign "${short%%\?*}" $(($(date +%s) - 1)))"; expect_problem 403 forbidden
check "refused as expired" grep -q expired <<<"$(jget 'j["detail"]')"
req GET "$(sign "${short%%\?*}" $(($(date +%s) + 600)) beta)"; expect_problem 404 not-found
check "signed for a tenant that does not own the job: unknown ($(jget 'j["detail"]'))" grep -q "no such file" "$WORK/body"
req GET "$(sign "/v1/files/media/$media" $(($(date +%s) + 600)) beta)"; expect_problem 404 not-found
media_url=$(sign "/v1/files/media/$media" $(($(date +%s) + 600)))
check "the same media signed for its own tenant is served" test "$(curl -s -o /dev/null -w '%{http_code}' "$BASE$media_url")" = 200
check "the signing key survived the restart (old URL still valid)" test "$(curl -s -o /dev/null -w '%{http_code}' "$BASE$url")" = 200

stop_server
finish
