#!/bin/sh
# run.sh BUILD -- `make soak`: builds the plugins the soak test uses,
# compiles their optimized tier into BUILD/soak-cache once, and runs
# tests/soak/soak.mjs (node, with the official MCP SDK of tests/e2e)
# against BUILD/wasmcap.  SOAK_SECONDS (default 600) sets the length,
# SOAK_CASES the cases; soak.mjs documents both and the bounds.
set -eu
BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
test -d tests/e2e/node_modules || (cd tests/e2e && npm ci --no-audit --no-fund)
make -s -C plugins
make -s -C tests/e2e/plugins/faults
make -s -C tests/soak/plugins/abuse
"$BUILD/wasmcap" compile --cache-dir "$BUILD/soak-cache" plugins/calculator/calculator.wasm \
  plugins/notes/notes.wasm tests/e2e/plugins/faults/faults.wasm tests/soak/plugins/abuse/abuse.wasm >/dev/null
WASMCAP_BIN="$ROOT/$BUILD/wasmcap" WASMCAP_E2E_CACHE="$ROOT/$BUILD/soak-cache" \
  exec node tests/soak/soak.mjs
