#!/usr/bin/env bash
# `make deb` end to end: build the package from this build tree, check its metadata (every
# library the binary loads comes from a package it depends on), unpack it into a temporary root
# with the source and build trees hidden, and run `clipforge autoclip` from there.
# Usage: test_deb.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1 src=$2
. "$(dirname "$0")/lib.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/cfdebt-XXXXXX")
trap 'rm -rf "$work"' EXIT
. "$(dirname "$0")/../check_lib.sh"

deb=$(CF_DEB_COMPRESS=gzip "$src/infra/deb/build-deb.sh" "$build" "$work/out")
check "package built ($deb)" test -s "$deb"
dpkg-deb -f "$deb" Depends >"$work/depends"
echo "Depends: $(cat "$work/depends")"

# Every library the binary and its pipelines module link directly (their NEEDED entries) must
# come from a package named in Depends; the libraries those pull in are their packages' business.
dpkg-deb -x "$deb" "$work/root"
bin=$work/root/usr/bin/clipforge
module=$work/root/usr/lib/clipforge/clipforge-pipelines.so
check "pipelines module installed in /usr/lib/clipforge" test -s "$module"
missing=""
for obj in "$bin" "$module"; do
for soname in $(objdump -p "$obj" | awk '/NEEDED/{print $2}'); do
  lib=$(ldd "$obj" | awk -v s="$soname" '$1 == s {print $3}')
  [ -n "$lib" ] || { missing+=" $soname(not found)"; continue; }
  pkg=$(dpkg -S "$lib" 2>/dev/null | head -n1 | cut -d: -f1) ||
    pkg=$(dpkg -S "$(readlink -f "$lib")" 2>/dev/null | head -n1 | cut -d: -f1) || pkg=""
  [ -z "$pkg" ] && { missing+=" $soname(no package)"; continue; }
  case "$pkg" in libc6|libgcc-s1) continue ;; esac # essential: always there
  grep -qE "(^|[ ,])$pkg( |,|$)" "$work/depends" || missing+=" $pkg($soname)"
done
done
check "Depends covers every linked library:${missing:- all}" test -z "$missing"
check "Depends names the data packages read at run time" \
  grep -q "pocketsphinx-en-us" "$work/depends"
check "Depends names the adaptation's tools (sphinxtrain, sphinxbase-utils, pocketsphinx)" \
  grep -qE "sphinxtrain.*sphinxbase-utils, pocketsphinx" "$work/depends"
check "units installed" test -s "$work/root/lib/systemd/system/clipforge-serve.service"
check "data files in /usr/share/clipforge" test -s "$work/root/usr/share/clipforge/templates/shorts-blur.json"
check "binary names no source data directory" no_source_paths "$bin" "$src"
check "module names no source data directory" no_source_paths "$module" "$src"

RUN_DIR=$work/run
mkdir -p "$RUN_DIR"
# An 18 s talk-show sample (speech, cheering, fast cuts): short enough for a sanitized build.
"$src/infra/make-sample.sh" "$RUN_DIR/talk.mp4" 3 160x90 >/dev/null 2>&1
hide_trees "$src" "$build"
rc=0
run_isolated "$bin" autoclip --input talk.mp4 --output-dir shorts --count 1 --size 180x320 \
  --json >"$work/manifest.json" 2>"$work/autoclip.err" || rc=$?
check "autoclip from the unpacked package exits 0 (got $rc: $(tail -c 400 "$work/autoclip.err"))" test "$rc" -eq 0
check "one short with a manifest" python3 - "$work/manifest.json" "$RUN_DIR/shorts" <<'PY'
import json, os, sys
m = json.load(open(sys.argv[1]))
clips = [c for c in m["clips"] if c["status"] == "succeeded"]
assert len(clips) == 1, m["clips"]
video = os.path.join(sys.argv[2], clips[0]["video_uri"])
assert os.path.getsize(video) > 10000, video
PY
check "state under the user's state directory, not the working directory" \
  sh -c "test -d '$RUN_DIR/home/.local/state/clipforge' && ! test -e '$RUN_DIR/data'"
finish
