#!/usr/bin/env bash
# API keys, roles and tenants: off on loopback by default; with CLIPFORGE_AUTH=on, 401 without
# a good key (missing, malformed, wrong, revoked), 403 for a role too low, and another tenant's
# jobs, media, labels, events, shares and idempotency keys are unknown to a caller (404, never
# 403). Keys are made with `clipforge keys` and through /v1/keys by an admin.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

echo "# auto on loopback: no keys, every caller the default tenant's admin"
start_server "$WORK/open"
req GET /v1/whoami
check "whoami without a key: default admin, auth off ($BODY)" \
  test "$(jget 'j["tenant"] + " " + j["role"] + " " + str(j["auth"])')" = "default admin False"
check "the log says keys are not required" grep -q "API keys not required" "$WORK/server.log"
stop_server

echo "# a bad setting is refused at start"
rc=0
CLIPFORGE_AUTH=maybe "$CLIPFORGE" serve --listen 127.0.0.1:0 --data-dir "$WORK/bad" >"$WORK/bad.log" 2>&1 || rc=$?
check "CLIPFORGE_AUTH=maybe: serve exits non-zero ($rc) naming the setting" \
  bash -c "[ $rc -ne 0 ] && grep -q 'CLIPFORGE_AUTH' '$WORK/bad.log'"

echo "# keys from the command line"
D="$WORK/data"
key() { "$CLIPFORGE" keys create --data-dir "$D" --tenant "$1" --role "$2" | tail -1; }
ADMIN=$(key acme admin)
EDIT=$(key acme editor)
VIEW=$(key acme viewer)
BETA=$(key beta editor)
check "a key is cfk_<12 hex>_<64 hex>" grep -Eq '^cfk_[0-9a-f]{12}_[0-9a-f]{64}$' <<<"$ADMIN"
check "the store keeps no key in clear" bash -c "! grep -a -q '${ADMIN#cfk_*_}' '$D/clipforge.db'"
check "keys list shows the four keys" test "$("$CLIPFORGE" keys list --data-dir "$D" --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["items"]))')" = 4
rc=0
"$CLIPFORGE" keys create --data-dir "$D" --tenant acme --role root >/dev/null 2>&1 || rc=$?
check "keys create with an unknown role is a usage error ($rc)" test "$rc" = 2

CLIPFORGE_AUTH=on start_server "$D" --workers 1
A=(-H "Authorization: Bearer $ADMIN")
E=(-H "Authorization: Bearer $EDIT")
V=(-H "Authorization: Bearer $VIEW")
B=(-H "Authorization: Bearer $BETA")

echo "# 401"
curl -s -D "$WORK/h" -o "$WORK/body" "$BASE/v1/jobs" >/dev/null
STATUS=$(awk 'NR == 1 {print $2}' "$WORK/h"); CTYPE=application/problem+json
expect_problem 401 unauthorized
check "401 says how to authenticate (WWW-Authenticate: Bearer)" grep -qi '^WWW-Authenticate: Bearer' "$WORK/h"
last=${EDIT: -1}
req GET /v1/jobs -H "Authorization: Bearer ${EDIT%?}$([ "$last" = 0 ] && echo 1 || echo 0)"
expect_problem 401 unauthorized
req GET /v1/jobs -H "Authorization: Bearer nonsense"
expect_problem 401 unauthorized
req GET /v1/jobs -H "Authorization: Basic $(printf 'a:b' | base64)"
expect_problem 401 unauthorized
req GET /healthz
check "health needs no key ($STATUS)" test "$STATUS" = 200
req GET /openapi.json
check "the OpenAPI document needs no key ($STATUS)" test "$STATUS" = 200
check "the OpenAPI document describes the bearer key and who may call what" \
  test "$(jget 'j["components"]["securitySchemes"]["bearer"]["scheme"] + " " + str(j["paths"]["/healthz"]["get"]["security"]) + " " + j["paths"]["/v1/keys"]["post"]["x-cf-role"] + " " + j["paths"]["/v1/jobs"]["post"]["x-cf-role"] + " " + j["paths"]["/v1/jobs"]["get"]["x-cf-role"]')" = "bearer [] admin editor viewer"

echo "# roles"
make_media "$WORK/src.mp4" 2
req POST /v1/media "${V[@]}" -H 'Content-Type: video/mp4' --data-binary @"$WORK/src.mp4"
expect_problem 403 forbidden
req POST /v1/media "${E[@]}" -H 'Content-Type: video/mp4' --data-binary @"$WORK/src.mp4"
check "an editor uploads ($STATUS)" test "$STATUS" = 201
MEDIA=$(jget 'j["id"]')
req GET "/v1/media/$MEDIA" "${V[@]}"
check "a viewer of the tenant reads it ($STATUS)" test "$STATUS" = 200
req GET /v1/keys "${E[@]}"
expect_problem 403 forbidden
req GET /metrics "${E[@]}"
expect_problem 403 forbidden
req GET /metrics "${A[@]}"
check "an admin reads /metrics ($STATUS)" test "$STATUS" = 200

echo "# tenants"
clip='{"kind":"clip_processing","request":{"clip_id":"c","source_uri":"media://'$MEDIA'","operations":[{"op":"trim","start_ms":0,"end_ms":1000}]}}'
req POST /v1/jobs "${E[@]}" -H 'Content-Type: application/json' -H 'Idempotency-Key: same' -d "$clip"
check "acme submits a clip ($STATUS)" test "$STATUS" = 202
JOB=$(jget 'j["id"]')
for _ in $(seq 1 300); do
  req GET "/v1/jobs/$JOB" "${V[@]}"
  [ "$(jget 'j["status"]')" = succeeded ] && break
  sleep 0.1
done
check "acme's clip succeeds" test "$(jget 'j["status"]')" = succeeded
URI=$(jget 'j["result"]["artifacts"][0]["uri"]')
URL=$(jget 'j["result"]["artifacts"][0]["url"]')
check "its signed download needs no key" test "$(curl -s -o /dev/null -w '%{http_code}' "$BASE$URL")" = 200
req GET "/v1/jobs/$JOB" "${B[@]}"
expect_problem 404 not-found
req GET /v1/jobs "${B[@]}"
check "beta's job list is empty" test "$(jget 'len(j["items"])')" = 0
req GET /v1/jobs "${V[@]}"
check "acme's job list has its job" test "$(jget 'j["items"][0]["id"]')" = "$JOB"
req GET "/v1/media/$MEDIA" "${B[@]}"
expect_problem 404 not-found
req GET /v1/media "${B[@]}"
check "beta's media list is empty" test "$(jget 'len(j["items"])')" = 0
req GET "/v1/media/$MEDIA/poster" "${B[@]}"
expect_problem 404 not-found
req DELETE "/v1/media/$MEDIA" "${B[@]}"
expect_problem 404 not-found
req POST "/v1/jobs/$JOB/retry" "${B[@]}"
expect_problem 404 not-found
req GET "/v1/labels?media_id=$MEDIA" "${B[@]}"
expect_problem 404 not-found
req POST /v1/share "${B[@]}" -H 'Content-Type: application/json' -d "{\"uri\":\"$URI\",\"ttl_s\":60}"
expect_problem 404 not-found
req POST /v1/share "${E[@]}" -H 'Content-Type: application/json' -d "{\"uri\":\"$URI\",\"ttl_s\":60}"
check "acme shares its own output ($STATUS)" test "$STATUS" = 201
req GET "/v1/archive?jobs=$JOB" "${B[@]}"
expect_problem 404 not-found
req GET "/v1/events?job_id=$JOB" "${B[@]}"
expect_problem 404 not-found
curl -sN --max-time 1 "${B[@]}" "$BASE/v1/events?last_event_id=0" >"$WORK/beta-events" || true
check "beta's event stream has none of acme's events" bash -c "! grep -q '$JOB' '$WORK/beta-events'"
curl -sN --max-time 1 "$BASE/v1/events?last_event_id=0&access_token=$VIEW" >"$WORK/acme-events" || true
check "acme's stream (key as ?access_token=, as a browser sends it) has its events" grep -q "$JOB" "$WORK/acme-events"
ws_status() { # the status of a WebSocket handshake on /v1/events/ws with query $1
  curl -s -o /dev/null -w '%{http_code}' --max-time 2 -H 'Connection: Upgrade' -H 'Upgrade: websocket' \
    -H 'Sec-WebSocket-Version: 13' -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' "$BASE/v1/events/ws?$1" || true
}
check "a WebSocket without a key is refused (401)" test "$(ws_status last_event_id=0)" = 401
check "a WebSocket with the key as ?access_token= is upgraded (101)" test "$(ws_status "access_token=$VIEW")" = 101
check "a WebSocket for another tenant's job is refused (404)" test "$(ws_status "job_id=$JOB&access_token=$BETA")" = 404
req POST /v1/jobs "${B[@]}" -H 'Content-Type: application/json' -H 'Idempotency-Key: same' -d "$clip"
check "beta's same Idempotency-Key is its own: a new job ($STATUS)" test "$STATUS" = 202
BJOB=$(jget 'j["id"]')
check "not acme's job" test "$BJOB" != "$JOB"
for _ in $(seq 1 300); do
  req GET "/v1/jobs/$BJOB" "${B[@]}"
  case "$(jget 'j["status"]')" in succeeded|failed) break ;; esac
  sleep 0.1
done
check "beta's job naming acme's media fails: the media does not exist for it ($BODY)" \
  test "$(jget 'j["status"] + " " + str("does not exist" in j["error"]["detail"])')" = "failed True"

echo "# keys through the API"
req POST /v1/keys "${A[@]}" -H 'Content-Type: application/json' -d '{"role":"viewer","name":"dashboard"}'
check "an admin creates a key (201)" test "$STATUS" = 201
NEW=$(jget 'j["key"]')
NEWID=$(jget 'j["id"]')
check "for its own tenant" test "$(jget 'j["tenant"] + " " + j["role"]')" = "acme viewer"
req GET /v1/whoami -H "Authorization: Bearer $NEW"
check "the new key works" test "$(jget 'j["tenant"] + " " + j["role"]')" = "acme viewer"
req GET /v1/keys "${A[@]}"
check "the list has acme's four keys (three made by the CLI), no secrets" \
  test "$(jget 'str(len(j["items"])) + " " + str(any("key" in k or "hash" in k or "salt" in k for k in j["items"]))')" = "4 False"
BETAID=$(cut -d_ -f2 <<<"$BETA")
req DELETE "/v1/keys/$BETAID" "${A[@]}"
expect_problem 404 not-found
req DELETE "/v1/keys/$NEWID" "${A[@]}"
check "an admin revokes its tenant's key ($STATUS)" test "$STATUS" = 204
req GET /v1/whoami -H "Authorization: Bearer $NEW"
expect_problem 401 unauthorized
check "the refusal says revoked" test "$(jget 'j["detail"]')" = "API key revoked"
req POST /v1/keys "${A[@]}" -H 'Content-Type: application/json' -d '{"role":"owner"}'
expect_problem 400 validation
stop_server
finish
