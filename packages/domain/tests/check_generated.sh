#!/usr/bin/env bash
# Fails when packages/domain/generated differs from what tools/gen.py makes of schemas/ now.
# Usage: check_generated.sh PYTHON SCRATCH_DIR
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
python="$1" scratch="$2"
rm -rf "$scratch"
mkdir -p "$scratch"
echo "regenerating from $here/schemas into $scratch"
"$python" "$here/tools/gen.py" --schemas "$here/schemas" --out "$scratch"
if ! diff -ru "$here/generated" "$scratch"; then
  echo "generated files are stale: run 'make gen' and commit packages/domain/generated" >&2
  exit 1
fi
echo "generated files are up to date"
