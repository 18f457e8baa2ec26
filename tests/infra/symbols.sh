#!/usr/bin/env bash
# Every global symbol of clipforge's libraries carries a prefix of ours: `cf_` (or a package's
# own cf-prefix: cfclip_, cfd_, cft_) or highlight detection's `hl_`, so that linking clipforge
# into something else (or two of its packages into one binary) cannot clash with a helper
# named `output_open` or `strbuf_addf`. Compiler-made names (__odr_asan..., starting "__") aside.
set -euo pipefail
build=${1:?usage: symbols.sh BUILD_DIR}
status=0
libs=$(find "$build" -name 'libcf*.a' -not -path '*/_deps/*' | sort)
[ -n "$libs" ] || { echo "FAIL - no libcf*.a under $build"; exit 1; }
for lib in $libs; do
  bad=$(nm -g --defined-only "$lib" | awk '$2 ~ /^[TDBRVW]$/ {print $3}' | grep -v '^__' |
        grep -vE '^(cf[a-z]*_|hl_)' | sort -u || true)
  if [ -n "$bad" ]; then
    echo "FAIL - $(basename "$lib") exports unprefixed symbols: $(echo $bad)"
    status=1
  else
    echo "ok - $(basename "$lib"): every global symbol prefixed"
  fi
done
exit $status
