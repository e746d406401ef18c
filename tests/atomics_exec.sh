#!/bin/sh
# atomics_exec.sh BUILD_DIR SOURCE_DIR -- real toolchain output with atomics:
# guests/cmd_atomics.wasm (clang -matomics -mbulk-memory, C11 <stdatomic.h>)
# through `wasmcap exec` on both tiers must print what a native gcc -O2
# build of the same C prints.
set -eu
build=$1
src=$2
steps=2000000
tmp=$(mktemp -d "${TMPDIR:-/tmp}/atomics.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

${CC:-cc} -O2 -o "$tmp/native" "$src/tests/guests/cmd_atomics.c"
want=$("$tmp/native" "$steps")
if ! "$build/wasmcap" inspect "$build/guests/cmd_atomics.wasm" >"$tmp/inspect" 2>&1; then
    echo "FAIL: wasmcap inspect refused cmd_atomics.wasm"; cat "$tmp/inspect"; exit 1
fi
for tier in fast optimized; do
    got=$(XDG_CACHE_HOME=$tmp "$build/wasmcap" exec --tier "$tier" "$build/guests/cmd_atomics.wasm" \
        -- "$steps")
    if [ "$got" != "$want" ]; then
        echo "FAIL: $tier tier printed '$got', the native build '$want'"
        exit 1
    fi
    echo "$tier tier: $got (as native)"
done
