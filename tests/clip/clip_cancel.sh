# clip_cancel.sh — Ctrl-C (SIGINT) and SIGTERM cancel a running clip within a second: exit 1,
# no output file, no temp file.
source "$(dirname "$0")/../signal_lib.sh"
source "$(dirname "$0")/lib.sh" "$@"

gen long.mp4 -f lavfi -i testsrc2=s=640x360:r=30:d=40 -f lavfi -i "sine=d=40" -c:v libx264 \
  -preset ultrafast -pix_fmt yuv420p -c:a aac -shortest

# cancel_with SIGNAL DELAY_S OUTPUT ARGS...: DELAY_S after the signal handler is installed, or,
# with AFTER="log text", after that debug line; the clip of INPUT (long.mp4).
cancel_with() {
  local sig=$1 delay=$2 output=$3
  shift 3
  CLIPFORGE_LOG_LEVEL=debug "$CF" clip --input "${INPUT:-long.mp4}" --output "$output" "$@" >out.txt 2>err.txt &
  local pid=$! rc=0
  # DELAY_S counts from the handler's installation: before it, the signal would just kill.
  wait_cancel_armed $pid err.txt || fail "clipforge clip never installed its signal handler"
  if [ -n "${AFTER:-}" ]; then
    for _ in $(seq 300); do grep -q "$AFTER" err.txt && break; sleep 0.1; done
    grep -q "$AFTER" err.txt || fail "no \"$AFTER\" in the log"
  fi
  sleep "$delay"
  kill -0 $pid 2>/dev/null || fail "the job ended before it could be cancelled"
  local t0
  t0=$(date +%s%N)
  kill -"$sig" $pid
  wait $pid || rc=$?
  local ms=$(( ($(date +%s%N) - t0) / 1000000 ))
  no_sanitizer_report err.txt
  # When the pipeline stopped: the time of its "cancelled" log line (the rest is process exit,
  # slow under ASan's leak check).
  local stop_ms
  stop_ms=$(python3 - "$t0" err.txt <<'PY'
import sys, json, datetime
t0 = int(sys.argv[1]) / 1e6
for line in open(sys.argv[2]):
    if line.startswith("{") and "cancelled" in line:
        ts = json.loads(line)["ts"]
        t = datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.timezone.utc)
        print(int(t.timestamp() * 1000 - t0)); break
else:
    print(99999)
PY
)
  echo "  $sig after ${delay}s: stopped in ${stop_ms} ms, exit $rc after ${ms} ms: $(grep 'clipforge clip:' err.txt | head -1)"
  [ $rc -eq 1 ] || fail "exit code $rc after $sig, expected 1"
  grep -q "error: .*cancelled" err.txt || fail "no cancellation message"
  [ "$stop_ms" -lt 1000 ] || fail "the pipeline took ${stop_ms} ms to stop"
  [ $ms -lt 5000 ] || fail "the process took ${ms} ms to exit"
  [ ! -e "$output" ] || fail "$output left behind"
  no_temp_left
}

check "SIGINT during the encode stops within a second and cleans up"
cancel_with INT 1.5 a.mp4 --scale 1280x-1
check "SIGTERM (loudness measurement or encode) stops within a second and cleans up"
cancel_with TERM 1.2 b.mp4 --normalize-audio --scale 1280x-1
check "SIGINT during a GIF palette pass stops within a second and cleans up"
cancel_with INT 0.8 c.gif --fps 15
check "SIGTERM during a GIF's encode (its palette done) stops within a second and cleans up"
# The GIF muxer holds a packet back until its trailer: a cancelled GIF must still free it (the
# sanitizer's leak check of the process says so).
AFTER="GIF palette: done" cancel_with TERM 0.3 d.gif --fps 15
grep -q "error: encoding: cancelled" err.txt || fail "not cancelled in the encode: $(grep error err.txt)"
check "SIGINT while recordings joined end to end are copied as one stops within a second, the copy removed"
# Before: the copy (about 1 s a 100 MB here) was made before the run looked at its cancel flag,
# so a job cancelled during the copy of a multi-GB file waited for all of it.
gen part.ts -f lavfi -i "testsrc2=s=1280x720:r=25:d=4" -f lavfi -i "sine=d=4" -c:v libx264 -preset ultrafast -qp 0 \
  -g 25 -c:a aac -f mpegts
for _ in $(seq 1 36); do cat part.ts; done >joined.ts
rm part.ts
INPUT=joined.ts AFTER="copying it to" cancel_with INT 0.2 e.mp4 --trim 1:3
grep -q "error: .*cancelled while copying it as one recording" err.txt || fail "not cancelled in the copy: $(grep error err.txt)"
rm joined.ts
echo "PASS clip_cancel"
