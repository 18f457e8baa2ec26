#!/usr/bin/env bash
# Getting clips out: GET /v1/archive?jobs= zips the videos finished jobs made (every byte, each
# once, named after the source and the clip's title; a valid zip by Python's zipfile), refuses
# unfinished and unknown jobs; POST /v1/share signs one job output for ttl_s, and the link works
# while other keys and missing files are refused. No temp file stays behind.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

export TMPDIR="$WORK/tmp"
mkdir -p "$TMPDIR"
start_server "$WORK/data" --workers 1
J=(-H 'Content-Type: application/json')
make_media "$WORK/src.mp4" 3
req POST "/v1/media?filename=Match%20day.mp4" -H 'Content-Type: video/mp4' --data-binary @"$WORK/src.mp4"
media=$(jget 'j["id"]')
a=$(submit_clip "$media" '[{"op":"trim","start_ms":0,"end_ms":1000}]')
b=$(submit_clip "$media" '[{"op":"trim","start_ms":1000,"end_ms":2500}]')
wait_status "$a" succeeded 120
wait_status "$b" succeeded 120

echo "# archive"
code=$(curl -s -D "$WORK/headers" -o "$WORK/clips.zip" -w '%{http_code} %{content_type}' "$BASE/v1/archive?jobs=$a,$b,$a")
check "archive: 200 application/zip ($code)" test "$code" = "200 application/zip"
check "archive: offered as a download" grep -qi 'content-disposition: attachment; filename="clipforge-clips.zip"' "$WORK/headers"
python3 - "$WORK/clips.zip" "$BASE" "$a" "$b" > "$WORK/zipcheck" <<'PY'
import json, sys, urllib.request, zipfile
path, base, *jobs = sys.argv[1:]
z = zipfile.ZipFile(path)
print("intact", z.testzip() is None)
names = sorted(z.namelist())
print("names", names)
print("stored", all(i.compress_type == zipfile.ZIP_STORED for i in z.infolist()))
same = True
for j in jobs:
    job = json.load(urllib.request.urlopen(f"{base}/v1/jobs/{j}"))
    video = [x for x in job["result"]["artifacts"] if x["kind"] == "video"][0]
    data = urllib.request.urlopen(base + video["url"]).read()
    same = same and any(z.read(n) == data for n in names)
print("same", same)
PY
check "archive: Python's zipfile finds it intact" grep -qx "intact True" "$WORK/zipcheck"
want=$(python3 -c 'import sys; print(sorted(["Match day/%s.mp4" % j for j in sys.argv[1:]]))' "$a" "$b")
check "archive: one entry per video (the repeated job once), in the source's folder ($(grep names "$WORK/zipcheck"))" \
  grep -qxF "names $want" "$WORK/zipcheck"
check "archive: videos stored, not deflated" grep -qx "stored True" "$WORK/zipcheck"
check "archive: every byte of each video" grep -qx "same True" "$WORK/zipcheck"
check "archive: no temp file left" test -z "$(ls -A "$TMPDIR")"
req GET "/v1/archive?jobs=j_nosuch";  expect_problem 404 not-found
req GET "/v1/archive";                expect_problem 400 validation
req GET "/v1/archive?jobs=$(python3 -c 'print(",".join(["j_x"] * 101))')"; expect_problem 400 validation
# a job that did not succeed (cancelled here, so the test does not race a quick job to its end)
slow=$(submit_clip "$media" "$HEAVY_OPS")
curl -s -X POST "$BASE/v1/jobs/$slow/cancel" >/dev/null
status=""
for _ in $(seq 600); do
  status=$(curl -s "$BASE/v1/jobs/$slow" | python3 -S -c 'import json,sys; print(json.load(sys.stdin)["status"])')
  case $status in cancelled|succeeded|failed) break ;; esac
  sleep 0.1
done
if [ "$status" = cancelled ]; then
  req GET "/v1/archive?jobs=$a,$slow"; expect_problem 409 conflict
  check "conflict: says the job did not finish" test "$(jget '"only finished jobs" in j["detail"]')" = True
else
  echo "# the job finished before it could be cancelled: the conflict case is not run"
fi

echo "# share"
uri=$(curl -s "$BASE/v1/jobs/$a" | python3 -c 'import json,sys; print([x for x in json.load(sys.stdin)["result"]["artifacts"] if x["kind"]=="video"][0]["uri"])')
req POST /v1/share "${J[@]}" -d "{\"uri\":\"$uri\",\"ttl_s\":3600}"
check "share: 201 ($STATUS)" test "$STATUS" = 201
check "share: the uri, a signed url, the expiry an hour away" \
  test "$(jget 'j["uri"] == "'"$uri"'" and "sig=" in j["url"] and j["expires_at"].endswith("Z")')" = True
exp_s=$(jget 'int(j["url"].split("exp=")[1].split("&")[0])')
check "share: the link expires in ttl_s" test "$(( exp_s - $(date +%s) ))" -ge 3590 -a "$(( exp_s - $(date +%s) ))" -le 3600
url=$(jget 'j["url"]')
check "share: the link downloads the clip" test "$(curl -s -o /dev/null -w '%{http_code}' "$BASE$url")" = 200
req POST /v1/share "${J[@]}" -d "{\"uri\":\"$uri\"}"
check "share: a week by default" test "$(( $(jget 'int(j["url"].split("exp=")[1].split("&")[0])') - $(date +%s) ))" -ge 604700
req POST /v1/share "${J[@]}" -d "{\"uri\":\"storage://media/$media\"}"; expect_problem 400 validation
req POST /v1/share "${J[@]}" -d '{"uri":"/etc/passwd"}';                 expect_problem 400 validation
req POST /v1/share "${J[@]}" -d '{"uri":"storage://jobs/../media/x"}';   expect_problem 400 validation
req POST /v1/share "${J[@]}" -d '{"uri":"storage://jobs/j_none/1/x.mp4"}'; expect_problem 404 not-found
req POST /v1/share "${J[@]}" -d "{\"uri\":\"$uri\",\"ttl_s\":99999999}";  expect_problem 400 validation
stop_server
finish
