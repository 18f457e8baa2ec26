#!/usr/bin/env bash
# Job submission, reading, listing with filters and cursors, idempotency, cancel/retry of queued
# jobs, and 500 concurrent submissions (API only: --no-workers keeps jobs queued).
set -euo pipefail
source "$(dirname "$0")/lib.sh"

start_server "$WORK/data" --no-workers
J=(-H 'Content-Type: application/json')
REQ='{"kind":"clip_processing","request":{"clip_id":"c1","source_uri":"media://m_x","operations":[{"op":"trim","start_ms":0,"end_ms":1000}]}}'

echo "# submit and read"
req POST /v1/jobs "${J[@]}" -d "$REQ"
check "submit: 202" test "$STATUS" = 202
check "submit: application/json" test "$CTYPE" = "application/json"
id=$(jget 'j["id"]')
check "submit: queued" test "$(jget 'j["status"]')" = queued
check "submit: defaults applied by the generated parser" test "$(jget 'j["request"]["target_format"]')" = mp4
submitted=$BODY
req GET "/v1/jobs/$id"
check "get: 200 with the same job" test "$STATUS/$(jget 'j["id"]')" = "200/$id"
check "get: attempts 0" test "$(jget 'j["attempts"]')" = 0
check "the submission's answer is the job as read, byte for byte" test "$BODY" = "$submitted"
# the answer writes the stored request text instead of parsing it again: reals, escapes and
# non-ASCII text come out as a read of the stored job gives them
REQ2='{"kind":"clip_processing","request":{"source_uri":"media://m_x","clip_id":"caf\u00e9 \"q\" \\ \/","operations":[{"op":"speed","factor":1.25},{"op":"fps","fps":29.97},{"op":"trim","end_ms":1000}]}}'
req POST /v1/jobs "${J[@]}" -d "$REQ2"
submitted=$BODY
id2=$(jget 'j["id"]')
req GET "/v1/jobs/$id2"
check "reals and escapes: the same bytes as the job read ($submitted)" test "$BODY" = "$submitted"
# a cancel or a retry answers with the job parsed and dumped whole (cf_job_record_to_json); a read
# writes its stored request as it is: the same bytes, with the error after the request too
req POST "/v1/jobs/$id2/cancel"
changed=$BODY
req GET "/v1/jobs/$id2"
check "cancelled: the read is the cancel's answer, byte for byte ($BODY)" test "$BODY" = "$changed"
req POST "/v1/jobs/$id2/retry"
changed=$BODY
req GET "/v1/jobs/$id2"
check "retried: the read is the retry's answer, byte for byte" test "$BODY" = "$changed"

echo "# idempotency"
req POST /v1/jobs "${J[@]}" -H 'Idempotency-Key: order-7' -d "$REQ"
first=$(jget 'j["id"]')
first_body=$BODY
check "first keyed submit: 202" test "$STATUS" = 202
req POST /v1/jobs "${J[@]}" -H 'Idempotency-Key: order-7' -d "$REQ"
check "replayed keyed submit: 200" test "$STATUS" = 200
check "replayed keyed submit: same job" test "$(jget 'j["id"]')" = "$first"
check "replayed keyed submit: the same answer as the first" test "$BODY" = "$first_body"

echo "# cancel and retry of a queued job"
req POST "/v1/jobs/$id/cancel"
check "cancel: 202 cancelled" test "$STATUS/$(jget 'j["status"]')" = "202/cancelled"
check "cancel: error is the cancelled problem" test "$(jget 'j["error"]["type"]')" = "https://clipforge.dev/problems/cancelled"
req POST "/v1/jobs/$id/retry"
check "retry: 202 queued" test "$STATUS/$(jget 'j["status"]')" = "202/queued"

echo "# 500 concurrent submissions"
seq 1 500 | xargs -P 50 -I{} curl -s -o /dev/null -w '%{http_code}\n' -X POST \
  -H 'Content-Type: application/json' -d "$REQ" "$BASE/v1/jobs" >"$WORK/codes"
check "all 500 accepted with 202" test "$(grep -c '^202$' "$WORK/codes")" = 500

echo "# listing: filters and cursor pages"
ids=()
cursor=""
pages=0
while :; do
  req GET "/v1/jobs?status=queued&kind=clip_processing&limit=200${cursor:+&cursor=$cursor}"
  [ "$STATUS" = 200 ] || break
  mapfile -t page < <(jget '"\n".join(x["id"] for x in j["items"])')
  ids+=("${page[@]}")
  pages=$((pages + 1))
  cursor=$(jget 'j["next_cursor"] or ""')
  [ -n "$cursor" ] || break
done
check "paging returns 503 queued jobs ($pages pages)" test "${#ids[@]}" = 503
check "no job listed twice" test "$(printf '%s\n' "${ids[@]}" | sort -u | wc -l)" = 503
req GET "/v1/jobs?status=cancelled"
check "status filter: none cancelled now" test "$(jget 'len(j["items"])')" = 0
req GET "/v1/jobs?kind=render"
check "kind filter: no render jobs" test "$(jget 'len(j["items"])')" = 0

echo "# metrics"
metrics=$(curl -s "$BASE/metrics")
check "metrics: jobs by state" grep -q '^clipforge_jobs{state="queued"} 503$' <<<"$metrics"
check "metrics: queue depth" grep -q '^clipforge_queue_depth 503$' <<<"$metrics"
check "metrics: HTTP latency histogram" grep -q '^clipforge_http_request_duration_seconds_count{code="2xx"}' <<<"$metrics"
check "readyz: 200" test "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/readyz")" = 200

echo "# openapi"
req GET /openapi.json
check "openapi: 3.1" test "$(jget 'j["openapi"]')" = 3.1.0
check "openapi: the job kinds this build runs" test "$(jget '"clip_processing" in j["paths"]["/v1/jobs"]["post"]["x-cf-job-kinds"]')" = True
check "openapi: every route documented" test "$(jget 'len(j["paths"])')" -ge 12
check "openapi: components from the domain schemas" test "$(jget '"JobCreate" in j["components"]["schemas"] and "ClipProcessingRequest" in j["components"]["schemas"]')" = True
check "openapi: every \$ref resolves" test "$(python3 - "$WORK/body" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
bad = []
def walk(x):
    if isinstance(x, dict):
        r = x.get("$ref")
        if isinstance(r, str):
            name = r.split("/")[-1]
            if not r.startswith("#/components/schemas/") or name not in doc["components"]["schemas"]:
                bad.append(r)
        for v in x.values(): walk(v)
    elif isinstance(x, list):
        for v in x: walk(v)
walk(doc)
print(len(bad))
PY
)" = 0
# The structure OpenAPI 3.1 requires, and every schema in it (components and inline) checked
# against the JSON Schema 2020-12 meta-schema by Debian's python3-jsonschema.
check "openapi: valid operations, parameters, responses and schemas" /usr/bin/python3 - "$WORK/body" <<'PY'
import json, re, sys
from jsonschema import Draft202012Validator
doc = json.load(open(sys.argv[1]))
bad = []
def need(ok, what):
    if not ok: bad.append(what)
need(isinstance(doc["info"].get("title"), str) and isinstance(doc["info"].get("version"), str), "info")
schemas = list(doc["components"]["schemas"].items())
for path, item in doc["paths"].items():
    need(path.startswith("/"), path)
    for method, op in item.items():
        if method not in ("get", "put", "post", "delete", "patch", "head", "options", "trace"):
            continue
        where = f"{method.upper()} {path}"
        need(op.get("responses") and all(re.fullmatch(r"[1-5]\d\d|[1-5]XX|default", c) and
                                         isinstance(r.get("description"), str)
                                         for c, r in op["responses"].items()), where + " responses")
        params = op.get("parameters", []) + item.get("parameters", [])
        for p in params:
            need(p.get("in") in ("path", "query", "header", "cookie") and p.get("name"), where + " parameter")
            if p.get("in") == "path":
                need(p.get("required") is True and "{" + p["name"] + "}" in path, where + " path parameter")
            if "schema" in p: schemas.append((where + " " + p["name"], p["schema"]))
        named = re.findall(r"{(\w+)}", path)
        need(all(any(p.get("in") == "path" and p.get("name") == n for p in params) for n in named),
             where + " path template")
        bodies = [op.get("requestBody", {})] + list(op["responses"].values())
        for b in bodies:
            for mime, media in b.get("content", {}).items():
                if "schema" in media: schemas.append((where + " " + mime, media["schema"]))
for name, schema in schemas:
    try:
        Draft202012Validator.check_schema(schema)
    except Exception as e:
        bad.append(f"{name}: {str(e).splitlines()[0]}")
print("\n".join(bad) or f"{len(schemas)} schemas, all valid", file=sys.stderr)
sys.exit(1 if bad else 0)
PY

stop_server
finish
