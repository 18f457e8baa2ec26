#!/usr/bin/env bash
# Submissions share group commits (application/job_committer.h): under a flood of concurrent
# POST /v1/jobs every answer is right (202 with its own job; under one Idempotency-Key one job,
# answered 202 once and replayed with 200 to the others), and an answer means stored:
# after kill -9 and after SIGTERM in the middle of a flood, every job answered 202 is there
# after a restart, and SIGTERM with submissions waiting for their commit exits cleanly.
set -euo pipefail
source "$(dirname "$0")/lib.sh"

# flood BASE SECONDS OUT — 12 keep-alive connections posting noop jobs until SECONDS pass or
# the server goes away; each 202's id is appended to OUT as soon as it is answered.
flood() {
  python3 - "$@" <<'PY'
import http.client, sys, threading, time, urllib.parse
base, secs, out = sys.argv[1], float(sys.argv[2]), sys.argv[3]
u = urllib.parse.urlparse(base)
lock = threading.Lock()
f = open(out, "a")
def run():
    end = time.monotonic() + secs
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    while time.monotonic() < end:
        try:
            c.request("POST", "/v1/jobs", body='{"kind":"noop","request":{}}',
                      headers={"Content-Type": "application/json"})
            r = c.getresponse()
            body = r.read()
        except Exception:
            return
        if r.status == 202:
            import json
            with lock:
                f.write(json.loads(body)["id"] + "\n")
                f.flush()
ts = [threading.Thread(target=run) for _ in range(12)]
for t in ts: t.start()
for t in ts: t.join()
PY
}

# all_present FILE — every id in FILE reads back as a job.
all_present() {
  python3 - "$BASE" "$1" <<'PY'
import sys, urllib.request
base, f = sys.argv[1], sys.argv[2]
ids = [l.strip() for l in open(f) if l.strip()]
missing = [i for i in ids if urllib.request.urlopen(urllib.request.Request(f"{base}/v1/jobs/{i}")).status != 200]
print(f"{len(ids)} answered, {len(missing)} missing", file=sys.stderr)
sys.exit(1 if missing or not ids else 0)
PY
}

# wait_answers FILE — until the flood has had 50 answers (at most 120 s): a fixed sleep let a
# slow machine signal the server before the flood had started.
wait_answers() {
  local i
  for ((i = 0; i < 1200; i++)); do
    [ "$(wc -l <"$1")" -ge 50 ] && return 0
    sleep 0.1
  done
  echo "the flood got no 50 answers in 120 s" >&2
  return 1
}

export CLIPFORGE_NOOP_JOBS=1
start_server "$WORK/data" --no-workers

echo "# concurrent submissions: distinct jobs, one job per key"
python3 - "$BASE" >"$WORK/answers" <<'PY'
import http.client, json, sys, threading, urllib.parse
u = urllib.parse.urlparse(sys.argv[1])
res, lock = [], threading.Lock()
def run(n):
    c = http.client.HTTPConnection(u.hostname, u.port, timeout=10)
    for i in range(20):
        h = {"Content-Type": "application/json"}
        body = {"kind": "noop", "request": {}}
        tag = "plain"
        if i % 5 == 0:
            h["Idempotency-Key"] = "shared"
            tag = "shared"
        c.request("POST", "/v1/jobs", body=json.dumps(body), headers=h)
        r = c.getresponse()
        j = json.loads(r.read())
        with lock:
            res.append((tag, r.status, j.get("id")))
ts = [threading.Thread(target=run, args=(n,)) for n in range(10)]
for t in ts: t.start()
for t in ts: t.join()
plain = [x for x in res if x[0] == "plain"]
shared = [x for x in res if x[0] == "shared"]
print(len(plain), sum(s == 202 for _, s, _ in plain), len({i for _, _, i in plain}))
print(len(shared), sum(s == 202 for _, s, _ in shared), sum(s == 200 for _, s, _ in shared),
      len({i for _, _, i in shared}))
PY
read -r n_plain ok_plain ids_plain < <(sed -n 1p "$WORK/answers")
read -r n_shared created_shared replayed_shared ids_shared < <(sed -n 2p "$WORK/answers")
check "every plain submission got its own job ($n_plain, $ok_plain 202, $ids_plain ids)" \
  test "$ok_plain" = "$n_plain" -a "$ids_plain" = "$n_plain"
check "one key under concurrency: one 202, the rest replayed with 200, one job ($created_shared/$replayed_shared/$ids_shared)" \
  test "$created_shared" = 1 -a "$replayed_shared" = $((n_shared - 1)) -a "$ids_shared" = 1

echo "# kill -9 in the middle of a flood"
: >"$WORK/ids1"
flood "$BASE" 300 "$WORK/ids1" &
fl=$!
wait_answers "$WORK/ids1"
kill_server
wait "$fl" || true
start_server "$WORK/data" --no-workers
check "every job answered 202 before kill -9 is stored" all_present "$WORK/ids1"

echo "# SIGTERM in the middle of a flood"
: >"$WORK/ids2"
flood "$BASE" 300 "$WORK/ids2" &
fl=$!
wait_answers "$WORK/ids2"
stop_server
wait "$fl" || true
start_server "$WORK/data" --no-workers
check "every job answered 202 before SIGTERM is stored" all_present "$WORK/ids2"
stop_server
finish
