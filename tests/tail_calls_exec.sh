#!/bin/sh
# tail_calls_exec.sh BUILD_DIR SOURCE_DIR -- real toolchain output with tail
# calls: guests/cmd_tail_calls.wasm (clang -mtail-call) through `wasmcap
# exec` on both tiers, ten million steps of tail calls (the engine's call
# depth is 10,000), must print what a native gcc -O2 build of the same C
# prints.
set -eu
build=$1
src=$2
steps=10000000
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tail-calls.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

${CC:-cc} -O2 -o "$tmp/native" "$src/tests/guests/cmd_tail_calls.c"
want=$("$tmp/native" "$steps")
for tier in fast optimized; do
    got=$(XDG_CACHE_HOME=$tmp "$build/wasmcap" exec --tier "$tier" "$build/guests/cmd_tail_calls.wasm" \
        -- "$steps")
    if [ "$got" != "$want" ]; then
        echo "FAIL: $tier tier printed '$got', the native build '$want'"
        exit 1
    fi
    echo "$tier tier: $got (as native)"
done
