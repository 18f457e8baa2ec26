# lib.sh — what the scale tests share (sourced): check() counts and reports each check in
# FAILS / CHECKS, kill_all kills and reaps the processes a test started.

source "$(dirname "${BASH_SOURCE[0]}")/../check_lib.sh"

# kill_all PID... — SIGKILL to each (empty or gone ones are fine), then waits for them all.
kill_all() {
  local pid
  for pid in "$@"; do kill -KILL "$pid" 2>/dev/null || true; done
  for pid in "$@"; do wait "$pid" 2>/dev/null || true; done
}
