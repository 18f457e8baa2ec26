#!/usr/bin/env bash
# `clipforge serve` answers the web UI at / (files with their types and cache policy, index.html
# for the app's routes, no path traversal) and stores review labels (POST/GET /v1/labels).
set -euo pipefail
source "$(dirname "$0")/../api/lib.sh"

# A stand-in build of the UI (the real one needs Node.js; the e2e test covers that).
WEB="$WORK/web"
mkdir -p "$WEB/assets" "$WORK/outside"
echo '<!doctype html><title>clipforge</title>' > "$WEB/index.html"
echo 'console.log(1)' > "$WEB/assets/index-3f2a1b.js"
echo 'top-secret-content' > "$WORK/outside/secret.txt"
ln -s "$WORK/outside/secret.txt" "$WEB/assets/leak.txt"
export CLIPFORGE_WEB_DIR="$WEB"
start_server "$WORK/data" --no-workers
J=(-H 'Content-Type: application/json')

header() { curl -s -D - -o /dev/null "$BASE$1" | tr -d '\r' | sed -n "s/^$2: //Ip"; }

echo "# web UI files"
req GET /
check "/ is the app ($STATUS $CTYPE)" test "$STATUS $CTYPE" = "200 text/html; charset=utf-8"
check "/ is revalidated" test "$(header / Cache-Control)" = "no-cache"
req GET /assets/index-3f2a1b.js
check "hashed asset served as JavaScript ($CTYPE)" test "$CTYPE" = "text/javascript; charset=utf-8"
check "hashed asset cached for good" test "$(header /assets/index-3f2a1b.js Cache-Control)" = "public, max-age=31536000, immutable"
check "nosniff" test "$(header /assets/index-3f2a1b.js X-Content-Type-Options)" = "nosniff"
for route in /jobs /jobs/j_123 /review/j_9 /clips /upload; do
  req GET "$route"
  check "client route $route answers the app ($STATUS)" test "$STATUS" = 200 -a "$BODY" = '<!doctype html><title>clipforge</title>'
done
check "HEAD / answers" test "$(curl -s -o /dev/null -w '%{http_code}' -I "$BASE/")" = 200
req GET /no/such/route;             expect_problem 404 not-found
req GET /assets/missing-1.js;       expect_problem 404 not-found
req GET /assets/leak.txt;           expect_problem 404 not-found
code=$(curl -s --path-as-is -o "$WORK/body" -w '%{http_code}' "$BASE/../outside/secret.txt")
check "traversal refused ($code)" test "$code" = 404 -a "$(grep -c top-secret-content "$WORK/body" || true)" = 0
code=$(curl -s --path-as-is -o "$WORK/body" -w '%{http_code}' "$BASE/assets/%2e%2e/%2e%2e/outside/secret.txt")
check "encoded traversal refused ($code)" test "$code" = 404 -a "$(grep -c top-secret-content "$WORK/body" || true)" = 0
req POST /jobs "${J[@]}" -d '{}';  check "POST to a page is not the app ($STATUS)" test "$STATUS" = 404

echo "# labels"
make_media "$WORK/a.mp4" 2
media=$(upload "$WORK/a.mp4")
req POST /v1/labels "${J[@]}" -d "{\"media_id\":\"$media\",\"job_id\":\"j_1\",\"start_ms\":200,\"end_ms\":1500,\"verdict\":\"accept\",\"detected_start_ms\":0,\"detected_end_ms\":1500,\"score\":0.75,\"model_version\":\"heuristic-1\"}"
check "label stored ($STATUS)" test "$STATUS" = 201
check "label has an id and a time" test "$(jget 'j["id"].startswith("l_") and j["created_at"].endswith("Z")')" = True
check "label keeps the moved boundary" test "$(jget 'j["start_ms"], j["detected_start_ms"], j["verdict"]')" = "(200, 0, 'accept')"
req POST /v1/labels "${J[@]}" -d "{\"media_id\":\"$media\",\"start_ms\":900,\"end_ms\":1800,\"verdict\":\"reject\"}"
check "second label stored ($STATUS)" test "$STATUS" = 201
req POST /v1/labels "${J[@]}" -d "{\"media_id\":\"$media\",\"start_ms\":900,\"end_ms\":900,\"verdict\":\"reject\"}"
expect_problem 400 validation
check "names the field ($(jget 'j["detail"]'))" test "$(jget 'j["detail"]')" = "end_ms: must be > start_ms"
req POST /v1/labels "${J[@]}" -d "{\"media_id\":\"$media\",\"start_ms\":0,\"end_ms\":900,\"verdict\":\"maybe\"}"
expect_problem 400 validation
req POST /v1/labels "${J[@]}" -d '{"media_id":"m_nope","start_ms":0,"end_ms":900,"verdict":"accept"}'
expect_problem 400 validation
req GET "/v1/labels?media_id=$media"
check "both labels listed, oldest first" test "$(jget '[l["verdict"] for l in j["items"]]')" = '["accept", "reject"]'
req GET "/v1/labels?media_id=m_other"
expect_problem 404 not-found # labels of media that does not exist (or is another tenant's)
req GET /v1/labels;                 expect_problem 400 validation

echo "# openapi"
req GET /openapi.json
check "POST /v1/jobs declares the runnable kinds" test "$(jget '"clip_processing" in j["paths"]["/v1/jobs"]["post"]["x-cf-job-kinds"]')" = True
check "labels documented" test "$(jget 'sorted(j["paths"]["/v1/labels"])')" = '["get", "post"]'

stop_server
finish
