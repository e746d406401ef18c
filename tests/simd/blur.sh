#!/bin/sh
# blur.sh BUILD_DIR -- real toolchain output with SIMD: examples/blur built
# by clang with -msimd128 (and without, its scalar loop) runs through
# `wasmcap exec` on both tiers and must print what the same C built
# natively prints (the kernel's math is integer and exact).
set -eu
build=$(cd "$1" && pwd)
src=$(cd "$(dirname "$0")/../.." && pwd)
work=$build/test-simd-blur
mkdir -p -m 700 "$work" "$work/cache"
make -s -C "$src/examples" blur/blur.wasm blur/blur-scalar.wasm
cc -std=gnu11 -O2 -o "$work/blur-native" "$src/examples/blur/blur.c"
expected=$("$work/blur-native" 3 7)
export XDG_CACHE_HOME="$work/cache"
status=0
for wasm in blur blur-scalar; do
    for tier in fast optimized; do
        got=$("$build/wasmcap" exec "$src/examples/blur/$wasm.wasm" --tier "$tier" -- 3 7) || got="exit $?"
        if [ "$got" = "$expected" ]; then
            echo "ok: $wasm.wasm, $tier tier: $got"
        else
            echo "FAIL: $wasm.wasm, $tier tier: got \"$got\", native \"$expected\""
            status=1
        fi
    done
done
exit $status
