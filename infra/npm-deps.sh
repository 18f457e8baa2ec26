#!/usr/bin/env bash
# Installs the npm workspace's packages (apps/frontend, packages/shared/*) with `npm ci` from the
# committed root package-lock.json, only when node_modules was not already installed from this
# very lockfile (several build trees share the root node_modules, and npm ci starts by deleting
# it). npm keeps what it downloaded in its cache (~/.npm), so a second install works offline.
set -euo pipefail
cd "$(dirname "$0")/.."
# Before the workspace, apps/frontend had a node_modules of its own (it has this stamp): left
# behind, it would shadow the workspace's and load a second React beside the shared packages'
# one, so it goes, and the workspace is installed again.
if [ -f apps/frontend/node_modules/.clipforge-lock-sha256 ]; then
  echo "npm workspace: removing apps/frontend/node_modules from before the workspace" >&2
  rm -rf apps/frontend/node_modules node_modules/.clipforge-lock-sha256
fi
want="$(sha256sum package-lock.json | cut -d' ' -f1)"
stamp=node_modules/.clipforge-lock-sha256
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
  exit 0
fi
echo "npm workspace: npm ci" >&2
npm ci --no-audit --no-fund --prefer-offline --loglevel=error
echo "$want" > "$stamp"
