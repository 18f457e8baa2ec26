#!/usr/bin/env bash
# Fails when apps/frontend/src/generated/domain.ts differs from what
# packages/domain/tools/gen_ts.py makes of the schemas now. Usage: check-generated.sh PYTHON SCRATCH_DIR
set -euo pipefail
fe="$(cd "$(dirname "$0")/.." && pwd)"
root="$(cd "$fe/../.." && pwd)"
python="$1" scratch="$2"
rm -rf "$scratch"
mkdir -p "$scratch"
echo "regenerating TypeScript from $root/packages/domain/schemas into $scratch"
"$python" "$root/packages/domain/tools/gen_ts.py" --out "$scratch/domain.ts"
if ! diff -u "$fe/src/generated/domain.ts" "$scratch/domain.ts"; then
  echo "generated TypeScript is stale: run 'make gen' and commit apps/frontend/src/generated" >&2
  exit 1
fi
echo "generated TypeScript is up to date"
