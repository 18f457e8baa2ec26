# lib.sh — helpers for the API tests: start/stop a real `clipforge serve` on a free loopback
# port with its own data dir, HTTP calls with curl, JSON assertions with python3.
# Usage: source lib.sh; CLIPFORGE=path/to/clipforge must be set.

: "${CLIPFORGE:?set CLIPFORGE to the clipforge binary}"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/cfapi-XXXXXX")
SERVER_PID=""
PORT=""
BASE=""
source "$(dirname "${BASH_SOURCE[0]}")/../check_lib.sh"

cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [ "$FAILS" -gt 0 ] && [ -s "$WORK/server.log" ]; then
    echo "# the server's last log lines:"
    tail -40 "$WORK/server.log" | sed 's/^/#   /'
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# start_server DATA_DIR [serve args...] — environment variables pass through.
# The port is free when free_port looks, not always when the server binds it (tests run side by
# side, and every connection takes an ephemeral port): a server that could not listen is started
# again on another port.
start_server() {
  local data=$1 from attempt
  shift
  for attempt in 1 2 3 4 5; do
    PORT=$(free_port)
    BASE="http://127.0.0.1:$PORT"
    from=$(($(stat -c %s "$WORK/server.log" 2>/dev/null || echo 0) + 1))
    "$CLIPFORGE" serve --listen "127.0.0.1:$PORT" --data-dir "$data" "$@" >>"$WORK/server.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 200); do
      curl -sf "$BASE/healthz" >/dev/null 2>&1 && return 0
      kill -0 "$SERVER_PID" 2>/dev/null || break
      sleep 0.05
    done
    if ! kill -0 "$SERVER_PID" 2>/dev/null && tail -c +"$from" "$WORK/server.log" | grep -q "cannot listen on 127.0.0.1:$PORT"; then
      echo "# port $PORT was taken before the server bound it (attempt $attempt): another port" >&2
      wait "$SERVER_PID" 2>/dev/null || true
      continue
    fi
    kill -0 "$SERVER_PID" 2>/dev/null && echo "server did not start" >&2 || echo "server died" >&2
    cat "$WORK/server.log" >&2
    exit 1
  done
  echo "server could not listen on five free ports" >&2; exit 1
}

# stop_server — graceful (SIGTERM); fails the test when the exit status is not 0 (ASan/LSan).
stop_server() {
  kill -TERM "$SERVER_PID"
  local rc=0
  wait "$SERVER_PID" || rc=$?
  SERVER_PID=""
  check "server exits cleanly on SIGTERM (status $rc)" test "$rc" -eq 0
  [ "$rc" -eq 0 ] || tail -50 "$WORK/server.log" >&2
}

# kill_server — SIGKILL, as in a crash.
kill_server() {
  kill -KILL "$SERVER_PID"
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}


# req METHOD PATH [curl args...] — sets STATUS, BODY (file $WORK/body), CTYPE.
req() {
  local method=$1 path=$2; shift 2
  local out
  out=$(curl -s -o "$WORK/body" -w '%{http_code} %{content_type}' -X "$method" "$@" "$BASE$path")
  STATUS=${out%% *}
  CTYPE=${out#* }
  BODY=$(cat "$WORK/body")
}

# jget EXPR — evaluates a python expression over j = the last JSON body.
jget() {
  python3 -S -c 'import json,sys; j=json.load(open(sys.argv[1])); v=eval(sys.argv[2]); print(v if not isinstance(v,(dict,list)) else json.dumps(v))' "$WORK/body" "$1"
}

# expect_problem STATUS SLUG — the last response is that problem+json.
expect_problem() {
  local status=$1 slug=$2
  check "$status $slug: status $STATUS" test "$STATUS" = "$status"
  check "$status $slug: content type ($CTYPE)" test "$CTYPE" = "application/problem+json"
  check "$status $slug: type and status fields" test "$(jget 'j["type"] + " " + str(j["status"])')" = "https://clipforge.dev/problems/$slug $status"
}

# wait_status JOB_ID STATUS [SECONDS] — polls until the job has STATUS.
wait_status() {
  local id=$1 want=$2 secs=${3:-30} got=""
  local end=$((SECONDS + secs))
  while [ $SECONDS -lt $end ]; do
    got=$(curl -s "$BASE/v1/jobs/$id" | python3 -S -c 'import json,sys; print(json.load(sys.stdin)["status"])')
    [ "$got" = "$want" ] && return 0
    sleep 0.1
  done
  echo "job $id: status $got, wanted $want" >&2
  return 1
}

# cancel_ms JOB_ID [MAX_S] — posts a cancel and prints the ms until the job reads cancelled
# (MAX_S, default 10, at most). One process posts and polls tightly, so the figure is the
# server's, not curl's.
cancel_ms() {
  python3 - "$BASE" "$1" "${2:-10}" <<'PY'
import json, sys, time, urllib.request
base, job, max_s = sys.argv[1], sys.argv[2], float(sys.argv[3])
t0 = time.monotonic()
urllib.request.urlopen(urllib.request.Request(f"{base}/v1/jobs/{job}/cancel", method="POST"))
while time.monotonic() - t0 < max_s:
    if json.load(urllib.request.urlopen(f"{base}/v1/jobs/{job}"))["status"] == "cancelled":
        break
    time.sleep(0.01)
print(int((time.monotonic() - t0) * 1000))
PY
}


# make_media FILE SECONDS [WxH] — a test clip (moving picture + tone) made with the ffmpeg CLI.
make_media() {
  ffmpeg -loglevel error -y -f lavfi -i "testsrc2=size=${3:-320x240}:rate=25" \
    -f lavfi -i sine=frequency=440:sample_rate=48000 -t "$2" -c:v libx264 -preset ultrafast \
    -g 25 -c:a aac "$1"
}

# upload FILE — uploads it, prints the media id.
upload() {
  curl -sf -X POST -H 'Content-Type: video/mp4' --data-binary @"$1" "$BASE/v1/media" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'
}

# submit_clip MEDIA_ID [OPERATIONS_JSON] [extra curl args] — submits a clip job, prints its id.
submit_clip() {
  local media=$1 ops=${2:-'[{"op":"trim","start_ms":0,"end_ms":1000}]'}; shift 2 || shift $#
  curl -sf -X POST -H 'Content-Type: application/json' "$@" "$BASE/v1/jobs" \
    -d "{\"kind\":\"clip_processing\",\"request\":{\"clip_id\":\"c\",\"source_uri\":\"media://$media\",\"operations\":$ops}}" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'
}

# Operations that re-encode the whole source (seconds of work under ASan for a long source).
HEAVY_OPS='[{"op":"scale","width":640,"height":-1},{"op":"normalize_audio"}]'
