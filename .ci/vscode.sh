#!/usr/bin/env bash
# The VS Code extension (editors/vscode/): install its npm packages as locked (`npm ci`: the language
# client for the extension; vsce, vscode-textmate and vscode-oniguruma for building and for the grammar's
# tests in tests/editors) and package it with the official tool, `npx @vscode/vsce package`, into
# editors/vscode/dist/eenvoud.vsix (ignored by git). The Makefile's `test` target runs it before pytest.
#
# When it cannot (no node or npm, no network for the registry), it says so on standard error and exits
# 0: the editors' tests are then skipped, and pytest lists them as skipped. With CI=true an extension
# that cannot be built is a failure (exit 1): CI skips nothing.
set -uo pipefail

HERE=$(cd "$(dirname "$0")/.." && pwd)
EXT="$HERE/editors/vscode"
OUT="$EXT/dist/eenvoud.vsix"

say() { echo "vscode.sh: $*" >&2; }

cannot() {
  if [ "${CI:-}" = "true" ]; then
    say "error: $* (CI=true: the VS Code extension is required, the editors' tests must not be skipped)"
    exit 1
  fi
  say "skipping the VS Code extension and its tests: $*"
  exit 0
}

command -v node >/dev/null || cannot "node is not installed"
command -v npm >/dev/null || cannot "npm is not installed"

cd "$EXT" || cannot "no folder $EXT"

# `npm ci` when node_modules is missing or older than the lock file (it removes and reinstalls all of it)
stamp=node_modules/.package-lock.json
if [ ! -f "$stamp" ] || [ package-lock.json -nt "$stamp" ] || [ package.json -nt "$stamp" ]; then
  say "npm ci (editors/vscode)"
  npm ci --no-audit --no-fund >&2 || cannot "npm ci failed in editors/vscode (needs the npm registry)"
  touch "$stamp"
fi

mkdir -p dist
if [ ! -f "$OUT" ] || [ -n "$(find . -path ./node_modules -prune -o -path ./dist -prune -o -type f -newer "$OUT" -print -quit)" ]; then
  say "npx @vscode/vsce package -> editors/vscode/dist/eenvoud.vsix"
  # --skip-license: the licence is the repository's (EUPL-1.2, package.json), no LICENSE file of its own;
  # --allow-missing-repository: the checkout names no public repository
  npx --no-install @vscode/vsce package --skip-license --allow-missing-repository --out "$OUT" >&2 \
    || { rm -f "$OUT"; cannot "vsce package failed"; }
fi
say "built editors/vscode/dist/eenvoud.vsix"
