#!/usr/bin/env bash
# Proves that the web UI's type check catches a contract change: takes a field the UI reads
# (Media.filename) out of the OpenAPI document, regenerates a copy of the client from it, and
# type-checks apps/frontend against that copy. The check must fail, naming the field.
# Usage: check-drift.sh PYTHON SCRATCH_DIR (a directory of the build tree: build trees that run
# the check at once do not share it)
set -euo pipefail
pkg="$(cd "$(dirname "$0")/.." && pwd)"
root="$(cd "$pkg/../../.." && pwd)"
python="$1" scratch="$2"
rm -rf "$scratch"
mkdir -p "$scratch/api-client"
# The copy finds zod, React's types and the compiler through the workspace's node_modules.
ln -s "$root/node_modules" "$scratch/node_modules"
cp -r "$pkg/src" "$scratch/api-client/src"
"$python" - "$pkg/openapi.json" "$scratch/openapi.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1], encoding="utf-8"))
media = doc["components"]["schemas"]["Media"]
del media["properties"]["filename"]
media["required"] = [r for r in media.get("required", []) if r != "filename"]
json.dump(doc, open(sys.argv[2], "w", encoding="utf-8"), indent=2, sort_keys=True)
PY
"$python" "$root/packages/domain/tools/gen_ts.py" --openapi "$scratch/openapi.json" \
  --out "$scratch/api-client/src/generated"
cat > "$scratch/tsconfig.json" <<JSON
{
  "extends": "$root/apps/frontend/tsconfig.json",
  "compilerOptions": { "paths": { "@clipforge/api-client": ["$scratch/api-client/src/index.ts"] } },
  "include": ["$root/apps/frontend/src"]
}
JSON
echo "type-checking apps/frontend against a client without Media.filename"
if out="$("$root/node_modules/.bin/tsc" --noEmit -p "$scratch/tsconfig.json" 2>&1)"; then
  echo "the type check passed: the UI's use of Media.filename went unnoticed" >&2
  exit 1
fi
if ! grep -q "Property 'filename' does not exist" <<<"$out"; then
  echo "the type check failed, but not over the missing field:" >&2
  echo "$out" >&2
  exit 1
fi
grep "Property 'filename'" <<<"$out"
echo "the type check caught the missing field"
