#!/usr/bin/env bash
# Tenancy of templates, signed links and metrics, with keys on, two tenants (acme, beta) and S3
# storage (the local stack's S3-protocol server, which checks SigV4 signatures):
# - a template file whose "tenant" member names acme is acme's alone: beta does not see it in
#   GET /v1/templates, gets 404 for GET /v1/templates/{id}, and its render jobs and timeline
#   previews naming it are refused as an unknown template; shared templates stay everyone's;
# - a media file's presigned S3 link is issued only to its tenant, names that tenant
#   (x-clipforge-tenant, signed), opens the object, and is refused by the object store once its
#   tenant is changed; another tenant gets 404 and no link;
# - a transcript a tenant uploads is kept under its own prefix, its link presigned;
# - /metrics: a tenant's admin sees only its own per-tenant counters (jobs, upload bytes), the
#   operator (the default tenant's admin) sees every tenant's and the server's.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
source "$repo/infra/local-stack/services.sh"
trap 'stop_services; cleanup' EXIT
start_s3

tdir="$WORK/templates"
mkdir -p "$tdir"
cp "$repo"/packages/pipelines/rendering/templates/shorts-blur.json "$tdir/"
python3 - "$tdir/shorts-blur.json" "$tdir/acme-promo.json" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
t["tenant"] = "acme"
t["description"] = "acme's own"
json.dump(t, open(sys.argv[2], "w"))
PY

D="$WORK/data"
key() { "$CLIPFORGE" keys create --data-dir "$D" --tenant "$1" --role "$2" | tail -1; }
A=(-H "Authorization: Bearer $(key acme admin)")
B=(-H "Authorization: Bearer $(key beta admin)")
O=(-H "Authorization: Bearer $(key default admin)")
J=(-H 'Content-Type: application/json')
CLIPFORGE_AUTH=on CLIPFORGE_TEMPLATE_DIR="$tdir" CLIPFORGE_STORAGE_URL="$CF_S3_URL&cache=$WORK/s3cache" \
  start_server "$D" --no-workers

echo "# templates"
ids() { req GET /v1/templates "$@"; jget '" ".join(t["id"] for t in j["items"])'; }
check "acme lists its own template and the shared one" test "$(ids "${A[@]}")" = "acme-promo shorts-blur"
check "beta lists the shared one only" test "$(ids "${B[@]}")" = "shorts-blur"
req GET /v1/templates/acme-promo "${A[@]}"
check "acme reads its template ($STATUS)" test "$STATUS $(jget 'j["id"] + "/" + j["description"]')" = "200 acme-promo/acme's own"
req GET /v1/templates/acme-promo "${B[@]}"
expect_problem 404 not-found
req GET /v1/templates/no-such "${A[@]}"
expect_problem 404 not-found
req GET /v1/templates/shorts-blur "${B[@]}"
check "beta reads the shared template ($STATUS)" test "$STATUS $(jget 'j["id"]')" = "200 shorts-blur"

make_media "$WORK/in.mp4" 2
media() { # media KEY_ARGS... — uploads in.mp4 as that caller, prints the media id
  curl -sf -X POST -H 'Content-Type: video/mp4' "$@" --data-binary @"$WORK/in.mp4" "$BASE/v1/media" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'
}
mb=$(media "${B[@]}")
render() { # render TEMPLATE KEY_ARGS...
  local t=$1; shift
  req POST /v1/jobs "${J[@]}" "$@" -d "{\"kind\":\"render\",\"request\":{\"clip_id\":\"c\",\"template_id\":\"$t\",\"source_uri\":\"media://$mb\",\"start_ms\":0,\"end_ms\":1000}}"
}
render acme-promo "${B[@]}"
expect_problem 400 validation
check "beta's render naming acme's template: unknown template" grep -q "unknown template 'acme-promo'" "$WORK/body"
req POST /v1/timelines "${J[@]}" "${B[@]}" -d "{\"clip_id\":\"t\",\"template_id\":\"acme-promo\",\"source_uri\":\"media://$mb\",\"start_ms\":0,\"end_ms\":1000}"
expect_problem 400 validation
check "beta's timeline preview of it: unknown template" grep -q "unknown template 'acme-promo'" "$WORK/body"
render shorts-blur "${B[@]}"
check "beta's render with the shared template is accepted ($STATUS)" test "$STATUS" = 202
rjob=$(jget 'j["id"]')
req POST "/v1/jobs/$rjob/cancel" "${B[@]}"
check "beta cancels it while queued ($STATUS)" test "$STATUS $(jget 'j["status"]')" = "202 cancelled"

echo "# S3 presigned links"
ma=$(media "${A[@]}")
req GET "/v1/media/$ma" "${A[@]}"
url=$(jget 'j["url"]')
check "acme's media link is presigned by S3 and names acme" \
  bash -c "grep -q '^http://127.0.0.1:.*X-Amz-Signature=' <<<'$url' && grep -q '[?&]x-clipforge-tenant=acme' <<<'$url'"
check "the link opens the object (the uploaded bytes)" cmp -s "$WORK/in.mp4" <(curl -sf "$url")
code=$(curl -s -o /dev/null -w '%{http_code}' "${url/x-clipforge-tenant=acme/x-clipforge-tenant=beta}")
check "passed off as beta's, the object store refuses it ($code)" test "$code" = 403
req GET "/v1/media/$ma" "${B[@]}"
expect_problem 404 not-found
check "beta's answer holds no link" bash -c "! grep -q 'X-Amz' '$WORK/body'"
req GET /v1/media "${B[@]}"
check "beta's media list holds its own media only" test "$(jget '" ".join(m["id"] for m in j["items"])')" = "$mb"

echo "# uploaded transcripts"
printf '1\n00:00:00,500 --> 00:00:01,500\nHello acme\n' >"$WORK/acme.srt"
req POST /v1/transcripts "${A[@]}" -H 'Content-Type: application/x-subrip' --data-binary @"$WORK/acme.srt"
check "acme's transcript is kept under acme's prefix on S3 ($STATUS $(jget 'j.get("uri")'))" \
  test "$STATUS $(jget 'j["uri"].startswith("storage://tenants/acme/transcripts/tr_")')" = "201 True"
check "its presigned link gives the Transcript JSON" \
  bash -c 'curl -sf "$1" | python3 -c "import json, sys; sys.exit(0 if json.load(sys.stdin)[\"segments\"][0][\"text\"] == \"Hello acme\" else 1)"' _ "$(jget 'j["url"]')"
acme_tr=$(jget 'j["id"]')
req GET "/v1/transcripts/$acme_tr" "${B[@]}"
expect_problem 404 not-found
req DELETE "/v1/transcripts/$acme_tr" "${B[@]}"
expect_problem 404 not-found
req GET "/v1/transcripts/$acme_tr" "${A[@]}"
check "acme reads its own back; beta neither reads nor deletes it ($STATUS)" \
  test "$STATUS $(jget 'j["segments"][0]["text"]')" = "200 Hello acme"
req GET /v1/transcripts "${A[@]}"
check "acme's list holds its upload ($(jget '[i["uri"] for i in j["items"]]'))" \
  test "$(jget '[i["uri"] for i in j["items"]]')" = '["storage://tenants/acme/transcripts/'"$acme_tr"'.json"]'
req GET /v1/transcripts "${B[@]}"
check "beta's list is empty ($STATUS)" test "$STATUS $(jget 'len(j["items"])')" = "200 0"

echo "# metrics"
size=$(stat -c %s "$WORK/in.mp4")
req GET /metrics "${A[@]}"
check "acme's admin: its upload bytes" grep -q "^clipforge_tenant_upload_bytes_total{tenant=\"acme\"} $size\$" "$WORK/body"
check "acme's admin: no job of its own yet" grep -q '^clipforge_tenant_jobs_submitted_total{tenant="acme"} 0$' "$WORK/body"
check "acme's admin: nothing of beta's" bash -c "! grep -q 'beta' '$WORK/body'"
check "acme's admin: nothing of the server's" bash -c "! grep -q 'clipforge_http_request_duration\|clipforge_jobs{' '$WORK/body'"
req GET /metrics "${B[@]}"
check "beta's admin: its accepted render" grep -q '^clipforge_tenant_jobs_submitted_total{tenant="beta"} 1$' "$WORK/body"
check "beta's admin: the render cancelled while queued counts as ended" \
  grep -q '^clipforge_tenant_jobs_failed_total{tenant="beta"} 1$' "$WORK/body"
req GET /metrics "${O[@]}"
check "the operator: every tenant's series" \
  bash -c "grep -q '^clipforge_tenant_upload_bytes_total{tenant=\"acme\"} $size\$' '$WORK/body' &&
           grep -q '^clipforge_tenant_upload_bytes_total{tenant=\"beta\"} $size\$' '$WORK/body'"
check "the operator: the server's metrics too" grep -q '^clipforge_http_request_duration_seconds_count' "$WORK/body"
stop_server
finish
