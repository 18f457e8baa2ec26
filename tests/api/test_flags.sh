#!/usr/bin/env bash
# Feature flags: CLIPFORGE_FLAGS (config file or environment) shows with source "config"; an
# admin of the default tenant flips a flag at run time (PUT /v1/flags/{name}) and the gated
# behaviour changes without a restart (a template leaves GET /v1/templates and render jobs
# refuse it), DELETE gives the flag back to the config; non-admins and other tenants' admins
# get 403, bad bodies 400; a percentage rollout answers each tenant the same way every time,
# and raising it only adds tenants; highlight.remote decides, per media, whether a detection
# goes to the inference services.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

echo "# a malformed CLIPFORGE_FLAGS is refused at start"
rc=0
CLIPFORGE_FLAGS="a=on,b=sometimes" "$CLIPFORGE" serve --listen 127.0.0.1:0 --data-dir "$WORK/bad" \
  >"$WORK/bad.log" 2>&1 || rc=$?
check "serve exits non-zero ($rc) naming CLIPFORGE_FLAGS and the item" \
  bash -c "[ $rc -ne 0 ] && grep -q 'CLIPFORGE_FLAGS: b:' '$WORK/bad.log'"

D="$WORK/data"
key() { "$CLIPFORGE" keys create --data-dir "$D" --tenant "$1" --role "$2" | tail -1; }
ADMIN=$(key default admin)
VIEW=$(key default viewer)
EDIT=$(key default editor)
OTHER=$(key acme admin)
A=(-H "Authorization: Bearer $ADMIN")
J=(-H "Content-Type: application/json")
printf 'CLIPFORGE_FLAGS=ui.audio-events=off,exp.file=on\n' >"$WORK/clipforge.conf"
CLIPFORGE_CONFIG_FILE="$WORK/clipforge.conf" CLIPFORGE_AUTH=on CLIPFORGE_FLAGS="ui.audio-events=off,exp.env=40%" \
  start_server "$D" --no-workers

# flag NAME EXPR — EXPR over f, the caller's flag NAME in the last GET /v1/flags body.
flag() {
  python3 -S -c 'import json,sys; f=[i for i in json.load(open(sys.argv[1]))["items"] if i["name"]==sys.argv[2]]; f=f[0] if f else None; print(eval(sys.argv[3]))' \
    "$WORK/body" "$1" "$2"
}

echo "# flags from the configuration"
req GET /v1/flags -H "Authorization: Bearer $VIEW"
check "a viewer lists the flags ($STATUS)" test "$STATUS" = 200
check "the environment's flag: source config, setting 40% ($BODY)" \
  test "$(flag exp.env 'f["source"] + " " + f["setting"] + " " + f["subject"]')" = "config 40% tenant"
check "the environment wins over the config file (exp.file is not set)" test "$(flag exp.file 'f')" = None
check "ui.audio-events: config, off, not on for the caller" \
  test "$(flag ui.audio-events 'f["source"] + " " + f["setting"] + " " + str(f["on"])')" = "config off False"
check "highlight.remote: its default (on), by media, unknown without a media" \
  test "$(flag highlight.remote 'f["source"] + " " + f["setting"] + " " + f["subject"] + " " + str(f["on"])')" = "default on media True"
check "each known flag says what it gates" test "$(flag ui.audio-events '"description" in f')" = True
req GET "/v1/flags?media_id=m_nope" "${A[@]}"
expect_problem 404 not-found

echo "# who may change flags"
req PUT /v1/flags/template.podcast-split "${J[@]}" -H "Authorization: Bearer $VIEW" -d '{"enabled":false}'
expect_problem 403 forbidden
req PUT /v1/flags/template.podcast-split "${J[@]}" -H "Authorization: Bearer $EDIT" -d '{"enabled":false}'
expect_problem 403 forbidden
req PUT /v1/flags/template.podcast-split "${J[@]}" -H "Authorization: Bearer $OTHER" -d '{"enabled":false}'
expect_problem 403 forbidden
check "another tenant's admin is told flags are server-wide" grep -q "server-wide" "$WORK/body"
req DELETE /v1/flags/ui.audio-events -H "Authorization: Bearer $VIEW"
expect_problem 403 forbidden
req PUT /v1/flags/template.podcast-split "${J[@]}" -d '{"enabled":false}'
expect_problem 401 unauthorized

echo "# bad requests"
for body in '{"percent":101}' '{"percent":-1}' '{"percent":2.5}' '{"enabled":"yes"}' '{}' \
  '{"enabled":true,"percent":5}' '{"enabled":true,"extra":1}' '[true]'; do
  req PUT /v1/flags/x "${J[@]}" "${A[@]}" -d "$body"
  expect_problem 400 validation
done
req PUT /v1/flags/Not%20A%20Name "${J[@]}" "${A[@]}" -d '{"enabled":true}'
expect_problem 400 validation
req PUT /v1/flags/x -H "Content-Type: text/plain" "${A[@]}" -d 'on'
expect_problem 415 unsupported-media-type
req DELETE /v1/flags/never.set "${A[@]}"
expect_problem 404 not-found

echo "# a template flipped off and on at run time"
templates() { curl -s "${A[@]}" "$BASE/v1/templates" | python3 -c 'import json,sys; print(" ".join(t["id"] for t in json.load(sys.stdin)["items"]))'; }
render() {
  req POST /v1/jobs "${J[@]}" "${A[@]}" -d '{"kind":"render","request":{"clip_id":"c","template_id":"podcast-split","source_uri":"media://m_1","start_ms":0,"end_ms":1000}}'
}
check "podcast-split is listed before any flag names it" grep -qw podcast-split <<<"$(templates)"
render
check "a render with it is accepted ($STATUS)" test "$STATUS" = 202
req PUT /v1/flags/template.podcast-split "${J[@]}" "${A[@]}" -d '{"enabled":false}'
check "PUT answers the flag: store, off ($BODY)" \
  test "$STATUS $(jget 'j["source"] + " " + j["setting"] + " " + str(j["on"])')" = "200 store off False"
check "podcast-split is no longer listed" bash -c "! grep -qw podcast-split <<<'$(templates)'"
check "the other templates still are" grep -qw shorts-blur <<<"$(templates)"
render
expect_problem 400 validation
check "the render is refused as an unknown template" grep -q "unknown template 'podcast-split'" "$WORK/body"
req POST /v1/timelines "${J[@]}" "${A[@]}" -d '{"clip_id":"t","template_id":"podcast-split","source_uri":"media://m_1","start_ms":0,"end_ms":1000}'
expect_problem 400 validation
check "its timeline preview is refused the same way" grep -q "unknown template 'podcast-split'" "$WORK/body"
req PUT /v1/flags/template.podcast-split "${J[@]}" "${A[@]}" -d '{"enabled":true}'
check "back on ($STATUS)" test "$STATUS" = 200
check "podcast-split is listed again" grep -qw podcast-split <<<"$(templates)"
render
check "a render with it is accepted again ($STATUS)" test "$STATUS" = 202
req DELETE /v1/flags/template.podcast-split "${A[@]}"
check "DELETE: 204 ($STATUS)" test "$STATUS" = 204
req GET /v1/flags "${A[@]}"
check "a flag no source sets any more is gone from the list" test "$(flag template.podcast-split 'f')" = None

echo "# the store wins over the configuration; DELETE goes back to it"
req PUT /v1/flags/ui.audio-events "${J[@]}" "${A[@]}" -d '{"enabled":true}'
req GET /v1/flags "${A[@]}"
check "ui.audio-events: store, on" test "$(flag ui.audio-events 'f["source"] + " " + str(f["on"])')" = "store True"
req DELETE /v1/flags/ui.audio-events "${A[@]}"
req GET /v1/flags "${A[@]}"
check "ui.audio-events: config, off again" test "$(flag ui.audio-events 'f["source"] + " " + str(f["on"])')" = "config False"

echo "# a percentage rollout by tenant"
declare -a KEYS
for i in $(seq 0 15); do KEYS[$i]=$(key "t$i" viewer); done
# answers PCT — sets ANS to one 0/1 per tenant, asking each twice (the same answer both times)
answers() {
  req PUT /v1/flags/exp.rollout "${J[@]}" "${A[@]}" -d "{\"percent\":$1}"
  ANS=""
  STABLE=yes
  for i in $(seq 0 15); do
    local a b
    req GET /v1/flags -H "Authorization: Bearer ${KEYS[$i]}"
    a=$(flag exp.rollout 'int(f["on"])')
    req GET /v1/flags -H "Authorization: Bearer ${KEYS[$i]}"
    b=$(flag exp.rollout 'int(f["on"])')
    [ "$a" = "$b" ] || STABLE=no
    ANS="$ANS$a"
  done
}
answers 50
at50=$ANS
check "each tenant gets the same answer every time at 50% ($at50)" test "$STABLE" = yes
check "50% splits sixteen tenants ($at50)" bash -c "[[ $at50 == *0* && $at50 == *1* ]]"
answers 50
check "the same split again ($ANS)" test "$ANS" = "$at50"
answers 90
at90=$ANS
check "raising to 90% only adds tenants ($at50 -> $at90)" \
  python3 -c "import sys; a,b=sys.argv[1:]; sys.exit(any(x=='1' and y=='0' for x,y in zip(a,b)))" "$at50" "$at90"
answers 0
check "0% is on for none ($ANS)" test "$ANS" = 0000000000000000
answers 100
check "100% is on for all ($ANS)" test "$ANS" = 1111111111111111
req GET /v1/flags "${A[@]}"
check "a rollout reads as N% ($BODY)" test "$(flag exp.rollout 'f["setting"]')" = "100%"

echo "# OpenAPI lists the routes"
req GET /openapi.json
check "/v1/flags: get; /v1/flags/{name}: put (admin of the default tenant) and delete" \
  test "$(jget '" ".join(sorted(j["paths"]["/v1/flags"])) + " " + " ".join(sorted(j["paths"]["/v1/flags/{name}"])) + " " + j["paths"]["/v1/flags/{name}"]["put"]["x-cf-role"]')" = "get delete put admin of the default tenant"
stop_server

echo "# a flag set at run time outlives a restart (it is in the store)"
CLIPFORGE_AUTH=on start_server "$D" --no-workers
req GET /v1/flags "${A[@]}"
check "exp.rollout: store, 100% after the restart" test "$(flag exp.rollout 'f["source"] + " " + f["setting"]')" = "store 100%"
stop_server

echo "# highlight.remote routes detections: tried on the inference service only where it is on"
ffmpeg -loglevel error -y -f lavfi -i "testsrc=s=160x90:r=10:d=6" -f lavfi -i "sine=f=440:d=6" \
  -c:v libx264 -preset ultrafast -c:a aac -shortest "$WORK/short.mp4"
# a service that is not there: a detection that goes to it falls back here, saying why
CLIPFORGE_LOG_LEVEL=info CLIPFORGE_AI_URL="http://127.0.0.1:$(free_port)" CLIPFORGE_AI_RETRIES=0 start_server "$WORK/open" --workers 1
media=$(upload "$WORK/short.mp4")
detect() {
  local id
  id=$(curl -sf -X POST "${J[@]}" "$BASE/v1/jobs" \
    -d "{\"kind\":\"highlight_detection\",\"request\":{\"clip_id\":\"c\",\"media_uri\":\"media://$media\"}}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  wait_status "$id" succeeded 240
  req GET "/v1/jobs/$id"
}
req PUT /v1/flags/highlight.remote "${J[@]}" -d '{"enabled":false}'
req GET "/v1/flags?media_id=$media"
check "off for the media ($BODY)" test "$(flag highlight.remote 'str(f["on"])')" = False
detect
check "off: detected here without trying the service (no fallback_reason)" \
  test "$(jget '"fallback_reason" in j["result"]')" = False
check "the log says why" grep -q "detecting here (flag highlight.remote)" "$WORK/server.log"
req PUT /v1/flags/highlight.remote "${J[@]}" -d '{"enabled":true}'
detect
check "on: the service was tried (fallback_reason: $(jget 'j["result"].get("fallback_reason")'))" \
  test "$(jget '"fallback_reason" in j["result"]')" = True
req PUT /v1/flags/highlight.remote "${J[@]}" -d '{"percent":50}'
req GET "/v1/flags?media_id=$media"
on=$(flag highlight.remote 'str(f["on"])')
req GET /v1/flags
check "at 50% the listing cannot answer without a media (on: null)" test "$(flag highlight.remote 'str(f["on"])')" = None
detect
check "at 50% the job follows the media's answer (on for the media: $on)" \
  test "$(jget '"fallback_reason" in j["result"]')" = "$on"
stop_server
finish
