#!/usr/bin/env bash
# Quotas and rate limits: CLIPFORGE_QUOTA_* per tenant refuse a job or an upload whole (429 or 413
# quota-exceeded naming the limit) before anything is queued or stored, and count each tenant
# apart; GET /v1/usage says what a tenant uses; CLIPFORGE_RATE_LIMIT answers 429 with Retry-After
# per key and per client address.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

D="$WORK/data"
ACME=$("$CLIPFORGE" keys create --data-dir "$D" --tenant acme --role editor | tail -1)
BETA=$("$CLIPFORGE" keys create --data-dir "$D" --tenant beta --role editor | tail -1)
OPS=$("$CLIPFORGE" keys create --data-dir "$D" --tenant default --role admin | tail -1)
ADM=$("$CLIPFORGE" keys create --data-dir "$D" --tenant acme --role admin | tail -1)
A=(-H "Authorization: Bearer $ACME")
B=(-H "Authorization: Bearer $BETA")
make_media "$WORK/a.mp4" 2
SIZE=$(stat -c %s "$WORK/a.mp4")
noop='{"kind":"noop","request":{}}'
count() { find "$1" -type f 2>/dev/null | wc -l; }

echo "# quotas (no workers: jobs stay queued)"
CLIPFORGE_AUTH=on CLIPFORGE_NOOP_JOBS=1 CLIPFORGE_QUOTA_CONCURRENT_JOBS=2 \
  CLIPFORGE_QUOTA_STORAGE_BYTES=$((SIZE * 3 / 2)) CLIPFORGE_QUOTA_UPLOAD_BYTES=$((SIZE + 10)) \
  start_server "$D" --no-workers
for i in 1 2; do
  req POST /v1/jobs "${A[@]}" -H 'Content-Type: application/json' -d "$noop"
  check "acme's job $i is accepted ($STATUS)" test "$STATUS" = 202
done
req POST /v1/jobs "${A[@]}" -H 'Content-Type: application/json' -d "$noop"
expect_problem 429 quota-exceeded
check "the problem names the limit" test "$(jget 'j["limit"]')" = concurrent_jobs
req GET /v1/jobs "${A[@]}"
check "nothing was queued for the refused job" test "$(jget 'len(j["items"])')" = 2
req POST /v1/jobs "${B[@]}" -H 'Content-Type: application/json' -d "$noop"
check "beta's quota is its own ($STATUS)" test "$STATUS" = 202

req POST /v1/media "${A[@]}" -H 'Content-Type: video/mp4' --data-binary @"$WORK/a.mp4"
check "acme's first upload fits ($STATUS)" test "$STATUS" = 201
before=$(count "$D/storage")
req POST /v1/media "${A[@]}" -H 'Content-Type: video/mp4' --data-binary @"$WORK/a.mp4"
expect_problem 413 quota-exceeded
check "over the storage quota: the limit is storage_bytes" test "$(jget 'j["limit"]')" = storage_bytes
check "no file was stored for it" test "$(count "$D/storage")" = "$before"
req POST /v1/media "${B[@]}" -H 'Content-Type: video/mp4' --data-binary @"$WORK/a.mp4"
check "beta's storage is its own ($STATUS)" test "$STATUS" = 201
head -c $((SIZE + 100)) /dev/urandom >"$WORK/big.bin"
req POST /v1/media "${B[@]}" -H 'Content-Type: video/mp4' --data-binary @"$WORK/big.bin"
expect_problem 413 quota-exceeded
check "over the upload quota: the limit is upload_bytes" test "$(jget 'j["limit"]')" = upload_bytes

req GET /v1/usage "${A[@]}"
check "usage: acme's bytes, jobs and limits ($BODY)" \
  test "$(jget '"%d/%d %d/%d %s" % (j["storage_bytes"]["used"], j["storage_bytes"]["limit"], j["concurrent_jobs"]["used"], j["concurrent_jobs"]["limit"], j["processing_minutes"]["limit"])')" \
  = "$SIZE/$((SIZE * 3 / 2)) 2/2 None"
check "usage: the period is this calendar month" \
  test "$(jget 'j["period_start"][:7] + " " + j["period_start"][8:]')" = "$(date -u +%Y-%m) 01T00:00:00.000Z"
req GET /v1/usage "${B[@]}"
check "usage: beta's own counts" test "$(jget '"%d %d" % (j["storage_bytes"]["used"], j["concurrent_jobs"]["used"])')" = "$SIZE 1"

echo "# a tenant's own limits, set by an admin of the default tenant"
J=(-H 'Content-Type: application/json')
req PUT /v1/quotas/beta -H "Authorization: Bearer $ADM" "${J[@]}" -d '{"concurrent_jobs":1}'
expect_problem 403 forbidden
req PUT /v1/quotas/beta -H "Authorization: Bearer $OPS" "${J[@]}" -d '{"concurrent_jobs":1,"processing_minutes":600}'
check "the operator sets beta's limits ($STATUS)" test "$STATUS" = 200
check "its own limits and the server's for the rest ($BODY)" \
  test "$(jget '"%s %s %s" % (j["own"]["concurrent_jobs"], j["own"]["storage_bytes"], j["limits"]["storage_bytes"])')" = "1 None $((SIZE * 3 / 2))"
req POST /v1/jobs "${B[@]}" "${J[@]}" -d "$noop"
expect_problem 429 quota-exceeded
check "beta is held to its own limit of 1" grep -q "1 of 1" <<<"$(jget 'j["detail"]')"
req GET /v1/usage "${B[@]}"
check "beta's usage shows its own limits" test "$(jget '"%s %s" % (j["concurrent_jobs"]["limit"], j["processing_minutes"]["limit"])')" = "1 600"
req PUT /v1/quotas/beta -H "Authorization: Bearer $OPS" "${J[@]}" -d '{"concurrent_jobs":null}'
req POST /v1/jobs "${B[@]}" "${J[@]}" -d "$noop"
check "null gives the server's limit back: beta's second job fits ($STATUS)" test "$STATUS" = 202
req PUT /v1/quotas/beta -H "Authorization: Bearer $OPS" "${J[@]}" -d '{"concurrent_jobs":-2}'
expect_problem 400 validation
req PUT /v1/quotas/beta -H "Authorization: Bearer $OPS" "${J[@]}" -d '{"gpus":1}'
expect_problem 400 validation
stop_server

echo "# rate limit"
CLIPFORGE_AUTH=on CLIPFORGE_RATE_LIMIT=5/m start_server "$D" --no-workers
codes=""
for _ in 1 2 3 4 5 6; do codes+="$(curl -s -o /dev/null -w '%{http_code}' "${A[@]}" "$BASE/v1/jobs") "; done
check "the sixth call in a minute is refused ($codes)" test "$codes" = "200 200 200 200 200 429 "
curl -s -D "$WORK/h" -o "$WORK/body" "${A[@]}" "$BASE/v1/jobs" >/dev/null
STATUS=$(awk 'NR == 1 {print $2}' "$WORK/h"); CTYPE=application/problem+json
expect_problem 429 rate-limited
ra=$(awk -F': ' 'tolower($1) == "retry-after" {sub(/\r$/, "", $2); print $2}' "$WORK/h")
check "Retry-After says when a token is back (1..12 s at 5/m: $ra)" test "${ra:-0}" -ge 1 -a "${ra:-0}" -le 12
check "the client address has its own bucket, which acme's calls also emptied" \
  test "$(curl -s -o /dev/null -w '%{http_code}' "${B[@]}" "$BASE/v1/jobs")" = 429
check "health probes are not counted" test "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/healthz")" = 200
stop_server
rc=0
CLIPFORGE_RATE_LIMIT=lots "$CLIPFORGE" serve --listen 127.0.0.1:0 --data-dir "$WORK/bad" >"$WORK/bad.log" 2>&1 || rc=$?
check "a bad CLIPFORGE_RATE_LIMIT stops the start ($rc), naming it" \
  bash -c "[ $rc -ne 0 ] && grep -q CLIPFORGE_RATE_LIMIT '$WORK/bad.log'"
finish
