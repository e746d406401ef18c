#!/bin/sh
# run.sh BUILD_DIR -- the differential test of the Extism ABI
# (differential.mjs) against @extism/extism, installed by install.sh into
# BUILD_DIR/extism-js when it is not there yet.
set -e
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "$1" && pwd)
sh "$here/install.sh" "$build"
# node resolves @extism/extism from the script's folder
cp "$here/differential.mjs" "$here/wasmcap_stdio.mjs" "$build/extism-js/"
exec node "$build/extism-js/differential.mjs" "$build/wasmcap" "$build/guests"
