#!/usr/bin/env bash
# CORS: off by default (no Access-Control-* header, a preflight is refused like any OPTIONS);
# with CLIPFORGE_CORS_ORIGINS, a listed origin gets the header on every reply and its preflights
# answered, an unlisted one gets neither.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

# fetch [curl args] — the response headers into $WORK/h, the status into STATUS
fetch() {
  curl -s -D "$WORK/h" -o /dev/null "$@"
  STATUS=$(awk 'NR == 1 {print $2}' "$WORK/h")
}
# hval NAME — the value of header NAME in the last fetch ("" when absent)
hval() {
  awk -v n="$(tr '[:upper:]' '[:lower:]' <<<"$1")" -F': ' 'tolower($1) == n {sub(/\r$/, "", $2); print $2}' "$WORK/h"
}
preflight=(-X OPTIONS -H 'Access-Control-Request-Method: POST' -H 'Access-Control-Request-Headers: content-type')

echo "# off by default"
start_server "$WORK/off"
fetch -H 'Origin: https://app.example' "$BASE/v1/jobs"
check "no Access-Control-Allow-Origin on a GET from another origin" test -z "$(hval Access-Control-Allow-Origin)"
fetch "${preflight[@]}" -H 'Origin: https://app.example' "$BASE/v1/jobs"
check "a preflight is refused (405, no allowed methods: $STATUS)" \
  test "$STATUS/$(hval Access-Control-Allow-Methods)" = "405/"
stop_server

echo "# CLIPFORGE_CORS_ORIGINS=https://app.example, http://localhost:5173"
CLIPFORGE_CORS_ORIGINS='https://app.example, http://localhost:5173' start_server "$WORK/on"
fetch -H 'Origin: https://app.example' "$BASE/v1/jobs"
check "a listed origin gets itself back ($(hval Access-Control-Allow-Origin))" \
  test "$(hval Access-Control-Allow-Origin)" = "https://app.example"
check "with Vary: Origin" test "$(hval Vary)" = "Origin"
fetch -H 'Origin: http://localhost:5173' "$BASE/v1/media/nope"
check "on errors too ($STATUS, $(hval Access-Control-Allow-Origin))" \
  test "$STATUS/$(hval Access-Control-Allow-Origin)" = "404/http://localhost:5173"
fetch -H 'Origin: https://evil.example' "$BASE/v1/jobs"
check "an unlisted origin gets no header" test -z "$(hval Access-Control-Allow-Origin)"
fetch -H 'Origin: https://app.example.evil' "$BASE/v1/jobs"
check "a longer origin that starts like a listed one gets none" test -z "$(hval Access-Control-Allow-Origin)"
fetch "${preflight[@]}" -H 'Origin: https://app.example' "$BASE/v1/jobs"
check "a listed origin's preflight: 204 allowing POST and Content-Type ($STATUS)" \
  grep -q "^204/.*POST.*/.*Content-Type" <<<"$STATUS/$(hval Access-Control-Allow-Methods)/$(hval Access-Control-Allow-Headers)"
fetch "${preflight[@]}" -H 'Origin: https://evil.example' "$BASE/v1/jobs"
check "an unlisted origin's preflight is refused ($STATUS)" test "$STATUS" = 405
stop_server
finish
