#!/bin/sh
# base64_image.sh BUILD_DIR -- person-detect's SIMD image decoder against
# its scalar one (tests/simd/base64_image.c), built by clang with
# -msimd128 and run through `wasmcap exec` on both tiers.
set -eu
build=$(cd "$1" && pwd)
src=$(cd "$(dirname "$0")/../.." && pwd)
work=$build/test-base64-image
mkdir -p -m 700 "$work" "$work/cache"
clang --target=wasm32-wasi --sysroot=/usr -O2 -Wall -Wextra -Werror -msimd128 \
    -I"$src/plugins/person-detect" -o "$work/base64_image.wasm" "$src/tests/simd/base64_image.c"
export XDG_CACHE_HOME="$work/cache"
status=0
for tier in fast optimized; do
    if got=$("$build/wasmcap" exec "$work/base64_image.wasm" --tier "$tier"); then
        echo "ok: $tier tier: $got"
    else
        echo "FAIL: $tier tier: $got"
        status=1
    fi
done
exit $status
