#!/usr/bin/env bash
# `clipforge models` on a copy of the shipped registry: list and show carry the metadata, split
# and pin change what serves, bad changes are refused with exit 2 and leave the registry alone, a
# publish without a comparison with the current default is refused (exit 1), and
# `clipforge detect` runs the version the registry assigns (profile pin, media pin by content
# hash, A/B split) and the engine's default once the assignment is gone.
set -euo pipefail
bin=${1:?clipforge binary}
src=${2:?source dir}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export CLIPFORGE_FEATURE_CACHE_DIR="$work/cache" CLIPFORGE_DATA_DIR="$work/data"
fail() { echo "FAIL: $*" >&2; exit 1; }
M="$work/models"
mkdir "$M"
cp "$src"/apps/ai/models/*.json "$M/"
export CLIPFORGE_HIGHLIGHT_MODELS_DIR="$M"
models() { "$bin" models "$@"; }
jq_py() { python3 -c "import json,sys; j=json.load(sys.stdin); print($1)"; }

echo "== list and show"
models list | grep -q '^highlight *heuristic *(built in)' || fail "heuristic not listed"
models list | grep -q '^highlight *v1 *2026-' || fail "v1 not listed with its training time"
"$bin" models list --models-dir "$M" --json >/dev/null || fail "--models-dir"
[ "$(models list --json | jq_py 'sorted(m["version"] for m in j["models"])')" = "['heuristic', 'v1']" ] ||
  fail "list --json"
[ "$(models show v1 --json | jq_py '(j["features"][0], j["profiles"], "weights" in j["model"])')" = \
  "('crowd', ['generic', 'sports', 'podcast', 'gaming'], True)" ] || fail "show --json"

echo "== bad changes are refused and change nothing"
cp "$M/registry.json" "$work/before.json" 2>/dev/null || echo '{}' >"$work/before.json"
expect_exit() { local want=$1; shift; local rc=0; "$@" >"$work/out" 2>"$work/err" || rc=$?; [ "$rc" = "$want" ] ||
  fail "$* exited $rc, wanted $want: $(cat "$work/err")"; [ "$(wc -l <"$work/err")" -le 2 ] || fail "not one clear line"; }
expect_exit 2 models split --profile generic heuristic=0.5 v1=0.4
grep -q "add up to 1" "$work/err" || fail "split shares message"
expect_exit 2 models split --profile lecture v1=1
grep -q "does not support profile 'lecture'" "$work/err" || fail "unsupported profile message"
expect_exit 2 models pin v9 --profile generic
expect_exit 2 models pin v1 --profile opera
expect_exit 2 models show v9
expect_exit 2 models frobnicate
expect_exit 1 models publish v1
grep -q "no recorded comparison" "$work/err" || fail "publish gate message"
cmp -s "$M/registry.json" "$work/before.json" 2>/dev/null || [ ! -e "$M/registry.json" ] || fail "refusals wrote the registry"

echo "== the shipped models are never changed in place"
shipped=$(cd "$(dirname "$bin")/share/clipforge/models" && pwd -P)
ls "$shipped" >"$work/shipped.before"
for change in "pin v1 --profile generic" "split --profile generic heuristic=0.5 v1=0.5" "publish v1 --force"; do
  # shellcheck disable=SC2086
  CLIPFORGE_HIGHLIGHT_MODELS_DIR= expect_exit 2 models $change
  grep -q "shipped with clipforge, which are read-only: set --models-dir or CLIPFORGE_HIGHLIGHT_MODELS_DIR" \
    "$work/err" || fail "$change on the shipped models: $(cat "$work/err")"
done
mkdir -p "$work/labels"
expect_exit 2 "$bin" train --data-dir "$work/data" --labels "$work/labels" --out-dir "$shipped"
grep -q "shipped with clipforge" "$work/err" || fail "train into the shipped models: $(cat "$work/err")"
ls "$shipped" | cmp -s - "$work/shipped.before" || fail "the shipped models directory changed"

echo "== detection follows the registry"
ffmpeg -loglevel error -y -f lavfi -i "testsrc2=size=160x90:rate=25" -f lavfi \
  -i "sine=frequency=300:sample_rate=16000" -t 20 -c:v libx264 -preset ultrafast -c:a aac "$work/m.mp4"
# the heuristic's version is its profile's ("heuristic-N"): one word for it
detect() { "$bin" detect --input "$work/m.mp4" --json 2>"$work/detect.err" |
  jq_py '(j["engine"], "heuristic-N" if j["model_version"].startswith("heuristic-") else j["model_version"])'; }
[ "$(detect)" = "('heuristic', 'heuristic-N')" ] || fail "no assignment: heuristic answers"
models pin v1 --profile generic >/dev/null
[ "$(detect)" = "('learned', 'v1')" ] || fail "profile pin not followed"
grep -q "registry: model v1 (pin profile:generic)" "$work/detect.err" || fail "assignment not reported"
models pin --clear --profile generic >/dev/null
hash=$(sha256sum "$work/m.mp4" | cut -d' ' -f1)
models pin v1 --media "sha256:$hash" >/dev/null
[ "$(detect)" = "('learned', 'v1')" ] || fail "media pin (content hash) not followed"
models pin --clear --media "sha256:$hash" >/dev/null
[ "$(models split --profile generic heuristic=0.5 v1=0.5 --json | jq_py 'j["assignment"]["splits"]')" = \
  "{'generic': {'heuristic': 0.5, 'v1': 0.5}}" ] || fail "split --json: the assignment after the change"
want=$(python3 - "$hash" <<'PY'
import sys
h = 0xcbf29ce484222325
for b in ("sha256:" + sys.argv[1]).encode():
    h = ((h ^ b) * 0x100000001b3) & (2**64 - 1)
h ^= h >> 33; h = (h * 0xff51afd7ed558ccd) & (2**64 - 1); h ^= h >> 33
print("('heuristic', 'heuristic-N')" if (h >> 11) / 2**53 < 0.5 else "('learned', 'v1')")
PY
)
[ "$(detect)" = "$want" ] || fail "split arm: got $(detect), wanted $want"
[ "$(detect)" = "$want" ] || fail "split arm not stable"
models split --profile generic --clear >/dev/null
[ "$(detect)" = "('heuristic', 'heuristic-N')" ] || fail "after clearing: heuristic answers"
[ "$(models list --json | jq_py 'len(j["assignment"]["splits"]) + len(j["assignment"]["pins"])')" = 0 ] ||
  fail "assignment left behind"
python3 - "$M/registry.json" <<'PY' || fail "history"
import json, sys
h = json.load(open(sys.argv[1]))["history"]
assert [e["action"] for e in h] == ["pin", "unpin", "pin", "unpin", "split", "unsplit"], h
assert all(e["at"].endswith("Z") and e["kind"] == "highlight" for e in h)
PY
echo "ok"
