# check_lib.sh — counted checks for the shell tests (sourced).
# check WHAT COMMAND... runs COMMAND and prints "ok - WHAT" or "FAIL - WHAT"; finish prints the
# tally and returns non-zero when a check failed, so a test ends with `finish`.

FAILS=0 CHECKS=0

check() {
  local what=$1; shift
  CHECKS=$((CHECKS + 1))
  if "$@"; then echo "ok - $what"; else echo "FAIL - $what"; FAILS=$((FAILS + 1)); fi
}

finish() {
  echo "$((CHECKS - FAILS)) passed, $FAILS failed"
  [ "$FAILS" -eq 0 ]
}
