#!/usr/bin/env bash
# Usage records for billing: every finished job run becomes one record (tenant, job, kind,
# status, run time) on the bus's usage topic, written in the transaction that finishes the run;
# CLIPFORGE_BILLING_WEBHOOK_URL receives each one signed (X-Clipforge-Signature, HMAC-SHA256), and
# a receiver that fails (5xx) gets it again later instead of losing it.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

HOOK_PORT=$(free_port)
python3 - "$HOOK_PORT" "$WORK/records" <<'PY' &
import hashlib, hmac, http.server, json, sys
port, out = int(sys.argv[1]), sys.argv[2]
seen = {"n": 0}
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        seen["n"] += 1
        if seen["n"] <= 5:  # more failures than one delivery retries: the bus must bring it back
            self.send_response(503); self.end_headers(); return
        want = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
        ok = hmac.compare_digest(want, self.headers.get("X-Clipforge-Signature", ""))
        with open(out, "a") as f:
            f.write(json.dumps({"signed": ok, "record": json.loads(body), "n": seen["n"]}) + "\n")
        self.send_response(200 if ok else 401); self.end_headers()
    def log_message(self, *a): pass
http.server.HTTPServer(("127.0.0.1", port), H).serve_forever()
PY
HOOK_PID=$!
trap 'kill $HOOK_PID 2>/dev/null || true; cleanup' EXIT

D="$WORK/data"
KEY=$("$CLIPFORGE" keys create --data-dir "$D" --tenant acme --role editor | tail -1)
CLIPFORGE_AUTH=on CLIPFORGE_NOOP_JOBS=1 CLIPFORGE_BILLING_WEBHOOK_URL="http://127.0.0.1:$HOOK_PORT/usage" \
  CLIPFORGE_BILLING_WEBHOOK_SECRET=s3cret start_server "$D" --workers 1
ids=()
for _ in 1 2; do
  req POST /v1/jobs -H "Authorization: Bearer $KEY" -H 'Content-Type: application/json' -d '{"kind":"noop","request":{}}'
  ids+=("$(jget 'j["id"]')")
done
for _ in $(seq 1 300); do
  [ -f "$WORK/records" ] && [ "$(wc -l <"$WORK/records")" -ge 2 ] && break
  sleep 0.1
done
check "both runs were billed, once each" test "$(wc -l <"$WORK/records" 2>/dev/null || echo 0)" = 2
check "every record is signed with the secret" test "$(grep -c '"signed": true' "$WORK/records")" = 2
rec() { python3 -c 'import json,sys; r=[json.loads(l)["record"] for l in open(sys.argv[1])]; r.sort(key=lambda x: x["job_id"]); print(eval(sys.argv[2]))' "$WORK/records" "$1"; }
check "records name the tenant, the jobs, the kind and the status" \
  test "$(rec '" ".join(x["tenant"] + "/" + x["kind"] + "/" + x["status"] + "/" + x["type"] for x in r)')" \
  = "acme/noop/succeeded/JobUsage acme/noop/succeeded/JobUsage"
check "records are of the submitted jobs" \
  test "$(rec '" ".join(x["job_id"] for x in r)')" = "$(printf '%s\n' "${ids[@]}" | sort | paste -sd' ')"
check "run time = finished_at - started_at, not negative" \
  test "$(rec 'all(x["processing_ms"] == x["finished_at"] - x["started_at"] >= 0 for x in r)')" = True
check "the first record came back after its receiver failed five times" \
  test "$(python3 -c 'import json,sys; print(min(json.loads(l)["n"] for l in open(sys.argv[1])))' "$WORK/records")" = 6
stop_server
finish
