#!/bin/sh
# install.sh BUILD_DIR -- Extism's JavaScript host, @extism/extism as pinned by
# package-lock.json, into BUILD_DIR/extism-js (npm ci), unless it is there
# already with this lock file.  Used by run.sh, bench/extism.sh and the
# Makefile's test-unit.
set -e
here=$(cd "$(dirname "$0")" && pwd)
js="$1/extism-js"
if cmp -s "$here/package-lock.json" "$js/package-lock.json" && [ -d "$js/node_modules/@extism/extism" ]; then
  exit 0
fi
mkdir -p "$js"
cp "$here/package.json" "$here/package-lock.json" "$js/"
cd "$js" && npm ci --no-audit --no-fund --silent
