#!/usr/bin/env bash
# The feature store from the command line: a detection stores its track under the media's
# content hash in the configured storage; the same bytes under another name (and another local
# cache) are not decoded again; `clipforge features ls` lists the track with what it describes;
# a track written by another extractor version is listed with --all only and never read.
set -euo pipefail
bin=${1:?clipforge binary}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
export CLIPFORGE_DATA_DIR="$work/data" CLIPFORGE_FEATURE_CACHE_DIR="$work/cache1"
ffmpeg -loglevel error -y -f lavfi -i "testsrc2=size=160x90:rate=25" -f lavfi \
  -i "sine=frequency=300:sample_rate=16000" -t 12 -c:v libx264 -preset ultrafast -c:a aac "$work/a.mp4"
cp "$work/a.mp4" "$work/b.mp4"
hash=$(sha256sum "$work/a.mp4" | cut -d' ' -f1)

echo "== the first detection decodes and stores"
"$bin" detect --input "$work/a.mp4" >"$work/t1.txt"
grep -q "features decoded" "$work/t1.txt" || fail "first run did not decode"
ls "$work/data/storage/objects/features/"v*/"$hash".*.cft >/dev/null || fail "no stored track"

echo "== the same bytes under another name, with an empty local cache, are not decoded again"
CLIPFORGE_FEATURE_CACHE_DIR="$work/cache2" "$bin" detect --input "$work/b.mp4" >"$work/t2.txt"
grep -q "features from cache" "$work/t2.txt" || fail "copy decoded again: $(cat "$work/t2.txt")"

echo "== features ls"
"$bin" features ls >"$work/ls.txt" 2>"$work/ls.err"
[ "$(wc -l <"$work/ls.txt")" = 1 ] && grep -q "^$hash  v" "$work/ls.txt" || fail "ls: $(cat "$work/ls.txt")"
grep -q "^1 tracks" "$work/ls.err" || fail "ls summary"
stored=$(ls "$work"/data/storage/objects/features/v*/"$hash".*.cft)
ext=$(sed -n "s|.*/features/v\([0-9]*\)/$hash\..*\.cft|\1|p" <<<"$stored")
old=$((ext - 1))
mkdir -p "$work/data/storage/objects/features/v$old"
echo junk >"$work/data/storage/objects/features/v$old/$hash.none.cft"
"$bin" features ls --json | python3 -c "
import json, sys
j = json.load(sys.stdin)
assert j['extractor'] == $ext and len(j['items']) == 1, j
i = j['items'][0]
assert i['sha256'] == '$hash' and i['current'] and i['hops'] >= 119 and 11900 <= i['duration_ms'] <= 12200, i
assert i['has_audio'] and i['has_video'] and i['description']['extractor'] == $ext, i
"
"$bin" features ls --all | grep -c "$hash" | grep -qx 2 || fail "--all does not list the old version"
"$bin" features ls --long | grep -q " AV " || fail "--long"
"$bin" features frobnicate >/dev/null 2>&1 || rc=$?
[ "${rc:-0}" = 2 ] || fail "bad action: exit ${rc:-0}"
echo ok
