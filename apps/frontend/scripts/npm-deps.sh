#!/usr/bin/env bash
# Installs the frontend's npm packages with `npm ci` from the committed package-lock.json, only
# when node_modules was not already installed from this very lockfile (several build trees share
# apps/frontend/node_modules, and npm ci starts by deleting it).
set -euo pipefail
cd "$(dirname "$0")/.."
want="$(sha256sum package-lock.json | cut -d' ' -f1)"
stamp=node_modules/.clipforge-lock-sha256
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
echo "apps/frontend: npm ci" >&2
npm ci --no-audit --no-fund --loglevel=error
echo "$want" > "$stamp"
