#!/usr/bin/env bash
# The OpenAPI document describes what the routes really answer: every operation's success answer
# has a content description (JSON answers and JSON request bodies a component schema), path
# parameters are named by what they are, and the JSON bodies a real server sends on each route a
# server without workers serves (keys, usage, quotas, flags with a null "on", labels, media,
# jobs, probes) validate against the schema the document names for that operation and status
# (python3-jsonschema).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

D="$WORK/data"
ADMIN=$("$CLIPFORGE" keys create --data-dir "$D" --tenant default --role admin | tail -1)
A=(-H "Authorization: Bearer $ADMIN")
J=(-H "Content-Type: application/json")
CLIPFORGE_AUTH=on start_server "$D" --no-workers
curl -sf "$BASE/openapi.json" >"$WORK/openapi.json"

echo "# the document"
check "every success answer is described, JSON answers and bodies by a component; no {id}" \
  /usr/bin/python3 - "$WORK/openapi.json" <<'PY'
import json, re, sys
doc = json.load(open(sys.argv[1]))
bad = []
for path, item in doc["paths"].items():
    if re.search(r"{id}", path):
        bad.append(path + ": {id} names no kind of thing")
    for method, op in item.items():
        for code, answer in op["responses"].items():
            if code == "default" or code in ("204", "101"):
                continue
            content = answer.get("content") or {}
            if not content:
                bad.append(f"{method.upper()} {path} {code}: no content")
            schema = (content.get("application/json") or {}).get("schema", {})
            if "application/json" in content and path != "/openapi.json" and "$ref" not in schema:
                bad.append(f"{method.upper()} {path} {code}: JSON without a component schema")
        body = ((op.get("requestBody") or {}).get("content") or {}).get("application/json")
        if body is not None and "$ref" not in body.get("schema", {}):
            bad.append(f"{method.upper()} {path}: a JSON body without a component schema")
print("\n".join(bad) or "all described", file=sys.stderr)
sys.exit(1 if bad else 0)
PY

# conform METHOD TEMPLATE — the last answer's status is the operation's success status and its
# body validates against the schema the document gives for it.
conform() {
  check "$1 $2 answers as documented ($STATUS)" /usr/bin/python3 - "$WORK/openapi.json" "$WORK/body" "$1" "$2" "$STATUS" <<'PY'
import json, sys
from jsonschema import Draft202012Validator, FormatChecker
doc, body, method, path, status = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3].lower(), sys.argv[4], sys.argv[5]
responses = doc["paths"][path][method]["responses"]
if status not in responses:
    sys.exit(f"status {status} is not the documented {sorted(responses)}: {open(body).read()[:300]}")
schema = responses[status]["content"]["application/json"]["schema"]
v = Draft202012Validator(dict(schema, components=doc["components"]), format_checker=FormatChecker())
errors = list(v.iter_errors(json.load(open(body))))
for e in errors[:3]:
    print(f"{'/'.join(map(str, e.absolute_path))}: {e.message[:200]}", file=sys.stderr)
sys.exit(1 if errors else 0)
PY
}

echo "# probes and the caller"
req GET /healthz; conform GET /healthz
req GET /readyz; conform GET /readyz
req GET /v1/whoami "${A[@]}"; conform GET /v1/whoami

echo "# keys"
req POST /v1/keys "${A[@]}" "${J[@]}" -d '{"role":"viewer","name":"dashboard"}'; conform POST /v1/keys
check "the new key is in the answer" test "$(jget 'j["key"].startswith("cfk_")')" = True
KID=$(jget 'j["id"]')
VIEW=$(jget 'j["key"]')
req GET /v1/whoami -H "Authorization: Bearer $VIEW"; conform GET /v1/whoami
check "whoami names the viewer's key" test "$(jget 'j["role"] + " " + j["key_id"]')" = "viewer $KID"
req POST /v1/keys "${A[@]}" "${J[@]}" -d '{"role":"root"}'
expect_problem 400 validation
req DELETE "/v1/keys/$KID" "${A[@]}"
check "revoked (204: $STATUS)" test "$STATUS" = 204
req GET /v1/keys "${A[@]}"; conform GET /v1/keys
check "the revoked key is listed with revoked_at" test "$(jget '[k.get("revoked_at") is not None for k in j["items"] if k["id"] == "'"$KID"'"]')" = "[true]"

echo "# usage and quotas (null: the server's limit)"
req GET /v1/usage "${A[@]}"; conform GET /v1/usage
req PUT /v1/quotas/beta "${A[@]}" "${J[@]}" -d '{"concurrent_jobs":1,"storage_bytes":0,"upload_bytes":null}'
conform PUT "/v1/quotas/{tenant}"
check "own: 1, 0 kept, null for the ones left to the server" \
  test "$(jget 'json.dumps([j["own"][k] for k in ("concurrent_jobs", "storage_bytes", "upload_bytes", "processing_minutes")])')" = "[1, 0, null, null]"
req PUT /v1/quotas/beta "${A[@]}" "${J[@]}" -d '{"concurrent_jobs":null}'
check "null gives a limit back to the server ($STATUS)" test "$(jget 'json.dumps(j["own"]["concurrent_jobs"])')" = null
req GET /v1/quotas/beta "${A[@]}"; conform GET "/v1/quotas/{tenant}"
for body in '{"concurrent_jobs":-1}' '{"concurrent_jobs":"1"}' '{"colour":1}' '[1]'; do
  req PUT /v1/quotas/beta "${A[@]}" "${J[@]}" -d "$body"
  expect_problem 400 validation
done

echo "# flags: a media rollout at a percentage is null without a media"
req PUT /v1/flags/highlight.remote "${A[@]}" "${J[@]}" -d '{"percent":50}'; conform PUT "/v1/flags/{name}"
req GET /v1/flags "${A[@]}"; conform GET /v1/flags
check "highlight.remote: on is null" \
  test "$(jget 'json.dumps([f["on"] for f in j["items"] if f["name"] == "highlight.remote"])')" = "[null]"

echo "# media, labels and jobs"
make_media "$WORK/src.mp4" 1
req POST "/v1/media?filename=a.mp4" "${A[@]}" -H 'Content-Type: video/mp4' --data-binary @"$WORK/src.mp4"
conform POST /v1/media
MID=$(jget 'j["id"]')
req GET "/v1/flags?media_id=$MID" "${A[@]}"; conform GET /v1/flags
check "highlight.remote: on is a boolean for one media" \
  test "$(jget '[type(f["on"]).__name__ for f in j["items"] if f["name"] == "highlight.remote"]')" = '["bool"]'
req GET "/v1/media/$MID" "${A[@]}"; conform GET "/v1/media/{media_id}"
req GET /v1/media "${A[@]}"; conform GET /v1/media
req POST /v1/labels "${A[@]}" "${J[@]}" -d "{\"media_id\":\"$MID\",\"start_ms\":0,\"end_ms\":500,\"verdict\":\"accept\"}"
conform POST /v1/labels
req GET "/v1/labels?media_id=$MID" "${A[@]}"; conform GET /v1/labels
req POST /v1/jobs "${A[@]}" "${J[@]}" \
  -d "{\"kind\":\"clip_processing\",\"request\":{\"clip_id\":\"c\",\"source_uri\":\"media://$MID\"}}"
conform POST /v1/jobs
JID=$(jget 'j["id"]')
req GET "/v1/jobs/$JID" "${A[@]}"; conform GET "/v1/jobs/{job_id}"
req GET /v1/jobs "${A[@]}"; conform GET /v1/jobs
req GET /v1/templates "${A[@]}"; conform GET /v1/templates

stop_server
finish
