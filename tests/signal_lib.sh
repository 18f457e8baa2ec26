# signal_lib.sh — for tests that cancel a running `clipforge` command with a signal.
# wait_cancel_armed PID STDERR_FILE: waits (up to 60 s) until the command, started with
# CLIPFORGE_LOG_LEVEL=debug and its stderr in STDERR_FILE, logs that SIGINT/SIGTERM now cancel
# its run. Signalled earlier, the process would simply die by the signal's default action.
# Returns 1 when the process ended or never got there.
wait_cancel_armed() {
  local pid=$1 errfile=$2
  for _ in $(seq 1 1200); do
    grep -q 'now cancel the run' "$errfile" 2>/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.05
  done
  return 1
}
