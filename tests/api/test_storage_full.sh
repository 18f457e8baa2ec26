#!/usr/bin/env bash
# A full disk under the data dir (a 3 MB tmpfs, mounted in a mount namespace of this test's own):
# an upload that does not fit is refused with 507 insufficient-storage and leaves no partial file,
# the server keeps serving, an upload that fits is kept, and a job whose output does not fit fails
# with the same problem (not a processing failure of the media).
set -euo pipefail
if [ -z "${CF_IN_MOUNT_NS:-}" ]; then
  export CF_IN_MOUNT_NS=1
  for ns in "unshare -m" "unshare -rm"; do # root, else a user namespace of our own
    if $ns true 2>/dev/null; then exec $ns bash "$0" "$@"; fi
  done
  echo "# mount namespaces are not allowed here: skipped"
  exit 77
fi
source "$(dirname "$0")/lib.sh"

disk="$WORK/disk"
mkdir -p "$disk"
if ! mount -t tmpfs -o size=3m tmpfs "$disk" 2>"$WORK/mount.err"; then
  echo "# a tmpfs cannot be mounted here ($(cat "$WORK/mount.err")): skipped"
  exit 77
fi
trap 'umount -l "$disk" 2>/dev/null || true; cleanup' EXIT
CLIPFORGE_MAX_ATTEMPTS=1 start_server "$disk/data" --workers 1

echo "# an upload larger than the free space"
head -c 4000000 /dev/urandom >"$WORK/big.mp4"
req POST /v1/media -H 'Content-Type: video/mp4' --data-binary @"$WORK/big.mp4"
expect_problem 507 insufficient-storage
check "the detail says the server's storage is full ($(jget 'j["detail"]'))" \
  grep -q "storage is full" "$WORK/body"
check "no partial file is left in the storage" test -z "$(ls -A "$disk/data/storage/tmp")"
check "nothing was listed" test "$(curl -s "$BASE/v1/media" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["items"]))')" = 0
check "the operator's log names it" grep -q "not kept: storage: write failed: No space left on device" "$WORK/server.log"

echo "# the server goes on: an upload that fits is kept"
make_media "$WORK/small.mp4" 4
req POST /v1/media -H 'Content-Type: video/mp4' --data-binary @"$WORK/small.mp4"
check "201 for a 4 s clip (status $STATUS)" test "$STATUS" = 201
media=$(jget 'j["id"]')

echo "# a job whose output does not fit: failed, insufficient-storage"
python3 - "$disk" <<'PY'
import os, sys
s = os.statvfs(sys.argv[1])
with open(os.path.join(sys.argv[1], "filler"), "wb") as f:  # leaves 400 kB
    f.write(b"\0" * max(0, s.f_bavail * s.f_frsize - 400 * 1024))
PY
job=$(submit_clip "$media" '[{"op":"scale","width":1280,"height":-1}]')
wait_status "$job" failed 120
req GET "/v1/jobs/$job"
check "the job's error is insufficient-storage: $(jget 'j["error"]["type"] + " " + j["error"]["detail"]')" \
  test "$(jget 'j["error"]["type"]')" = https://clipforge.dev/problems/insufficient-storage
check "no work files are left" test -z "$(ls -A "$disk/data/work")"
echo "# the CLI on the full disk: exit 1, and which disk it means"
set +e; TMPDIR="$disk" "$CLIPFORGE" clip --input "$WORK/small.mp4" --output "$WORK/cli.mp4" \
  --scale 1280x-1 >/dev/null 2>"$WORK/cli.err"; rc=$?; set -e
check "clip with its work files on the full disk exits 1 ($rc)" test "$rc" = 1
check "it says a disk is full, naming TMPDIR's ($(tail -1 "$WORK/cli.err"))" \
  grep -q "a disk is full: the output's, or the work files' ($disk; TMPDIR sets it)" "$WORK/cli.err"
check "and leaves no output" test ! -e "$WORK/cli.mp4"
rm -f "$disk/filler"
echo "# with room again, the same job succeeds"
job=$(submit_clip "$media" '[{"op":"scale","width":1280,"height":-1}]')
wait_status "$job" succeeded 120
stop_server
finish
