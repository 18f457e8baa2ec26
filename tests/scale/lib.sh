# lib.sh — what the scale tests share (sourced): check() counts and reports each check in
# FAILS / CHECKS, kill_all kills and reaps the processes a test started.

FAILS=0 CHECKS=0

# check WHAT COMMAND... — runs COMMAND; "ok - WHAT" or "FAIL - WHAT", counted.
check() {
  local what=$1; shift
  CHECKS=$((CHECKS + 1))
  if "$@"; then echo "ok - $what"; else echo "FAIL - $what"; FAILS=$((FAILS + 1)); fi
}

# kill_all PID... — SIGKILL to each (empty or gone ones are fine), then waits for them all.
kill_all() {
  local pid
  for pid in "$@"; do kill -KILL "$pid" 2>/dev/null || true; done
  for pid in "$@"; do wait "$pid" 2>/dev/null || true; done
}
