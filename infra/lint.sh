#!/usr/bin/env bash
# infra/lint.sh BUILD_DIR [JOBS] — the checks of `make lint`, each over the C sources of apps/ and
# packages/ (generated code aside): clang-format (the tree must already be formatted: `make fmt`),
# clang-tidy with the checked-in .clang-tidy, cppcheck with jansson's macros (infra/lint/jansson.cfg).
# BUILD_DIR holds compile_commands.json. Exits non-zero when any check reports something.
set -uo pipefail
build=${1:?usage: infra/lint.sh BUILD_DIR [JOBS]}
jobs=${2:-$(nproc)}
cd "$(dirname "$0")/.."
status=0

sources() { find apps packages tests bench -name "*.[$1]" -not -path '*/generated/*' -not -path '*/node_modules/*' | sort; }

echo "lint: clang-format"
sources ch | xargs clang-format --dry-run --Werror || status=1

echo "lint: clang-tidy"
# the translation units of the build (compile_commands.json), not the tests' programs
units=$(python3 -c 'import json,sys
for e in json.load(open(sys.argv[1])):
    f = e["file"]
    if "/generated/" not in f and "/tests/" not in f: print(f)' "$build/compile_commands.json")
# (its "N warnings generated" counts go to stderr; the findings, errors by .clang-tidy, to stdout)
echo "$units" | xargs -P "$jobs" -n 8 clang-tidy -p "$build" --quiet 2>/dev/null || status=1

echo "lint: cppcheck"
cppcheck --quiet --error-exitcode=1 --enable=warning,performance --inline-suppr -j "$jobs" \
    --library=infra/lint/jansson.cfg --project="$build/compile_commands.json" \
    -i"$PWD/packages/domain/generated" || status=1

[ $status -eq 0 ] && echo "lint: clean" || echo "lint: problems above" >&2
exit $status
