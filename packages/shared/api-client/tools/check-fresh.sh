#!/usr/bin/env bash
# Fails when the committed client is not what the server and the generator make now:
# packages/shared/api-client/openapi.json must be what `clipforge openapi` prints (less the
# run-time x-cf-job-kinds), and src/generated what packages/domain/tools/gen_ts.py makes of it.
# Usage: check-fresh.sh PYTHON CLIPFORGE SCRATCH_DIR
set -euo pipefail
pkg="$(cd "$(dirname "$0")/.." && pwd)"
root="$(cd "$pkg/../../.." && pwd)"
python="$1" clipforge="$2" scratch="$3"
rm -rf "$scratch"
mkdir -p "$scratch"
echo "regenerating the client from '$clipforge openapi' into $scratch"
"$python" "$root/packages/domain/tools/gen_ts.py" --server "$clipforge" \
  --openapi "$scratch/openapi.json" --out "$scratch/generated"
stale=0
diff -u "$pkg/openapi.json" "$scratch/openapi.json" || stale=1
diff -ru "$pkg/src/generated" "$scratch/generated" || stale=1
if [ "$stale" = 1 ]; then
  echo "the API client is stale: run 'python3 packages/domain/tools/gen_ts.py --server BUILD/clipforge'" \
       "(or 'make gen') and commit packages/shared/api-client" >&2
  exit 1
fi
echo "the API client is up to date with the server's OpenAPI document"
