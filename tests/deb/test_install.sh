#!/usr/bin/env bash
# `cmake --install` (what `make install PREFIX=...` runs) into a temporary prefix: the binary
# finds its templates, profiles and models relative to itself with the source and build trees
# hidden, keeps its state under XDG_STATE_HOME/HOME, and still finds them after the prefix moves.
set -euo pipefail
build=$1 src=$2
. "$(dirname "$0")/lib.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/cfinst-XXXXXX")
trap 'rm -rf "$work"' EXIT
. "$(dirname "$0")/../check_lib.sh"

cmake --install "$build" --prefix "$work/prefix" >/dev/null
bin=$work/prefix/bin/clipforge
check "binary installed" test -x "$bin"
for f in share/clipforge/templates/shorts-blur.json share/clipforge/profiles/generic.json \
         share/clipforge/models/highlight-v1.json; do
  check "$f installed" test -s "$work/prefix/$f"
done
check "binary names no source data directory" no_source_paths "$bin" "$src"

RUN_DIR=$work/run
mkdir -p "$RUN_DIR"
hide_trees "$src" "$build"
ffmpeg -loglevel error -f lavfi -i "sine=frequency=300:duration=6" -f lavfi \
  -i "testsrc2=size=160x90:rate=10:duration=6" -c:v libx264 -preset ultrafast -c:a aac -shortest \
  "$RUN_DIR/in.mp4"

# detect reads profiles and models; its feature cache goes under the state dir.
run_isolated "$bin" detect --input in.mp4 --profile generic --json >"$work/detect.json" 2>"$work/detect.err" || true
check "detect runs from the installed tree ($(head -c 300 "$work/detect.err"))" \
  python3 -c 'import json,sys; json.load(open(sys.argv[1]))["highlights"]' "$work/detect.json"
check "feature cache under ~/.local/state/clipforge, nothing in the working directory" \
  sh -c "test -d '$RUN_DIR/home/.local/state/clipforge/features' && ! test -e '$RUN_DIR/data'"

# The installed models are not a registry to change: a pin is refused, saying what to do.
rc=0
run_isolated "$bin" models pin v1 --profile generic >"$work/pin.out" 2>&1 || rc=$?
check "models pin on the installed models is refused with exit 2 ($(head -c 300 "$work/pin.out"))" \
  sh -c "[ $rc = 2 ] && grep -q 'a writable copy' '$work/pin.out' && ! test -e '$work/prefix/share/clipforge/models/registry.json'"

# The templates list of the API comes from the installed templates.
mv "$work/prefix" "$work/moved"
bin=$work/moved/bin/clipforge
run_isolated "$bin" render --template nope --input in.mp4 --span 0:2 --format vertical \
  --output o.mp4 >"$work/render.out" 2>&1 || true
check "a moved prefix still finds its templates ($(head -c 300 "$work/render.out"))" \
  grep -q "$work/moved/share/clipforge/templates" "$work/render.out"

finish
