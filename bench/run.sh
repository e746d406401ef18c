#!/bin/sh
# run.sh -- builds the compute kernel natively and to wasm, then runs
# bench_engine and prints its results.
#
#   sh bench/run.sh BUILD_DIR [bench_engine options...]
#
# e.g. `sh bench/run.sh build`, `sh bench/run.sh build --quick`,
# `sh bench/run.sh build --json`.  `make bench` calls it with the build
# directory.  Run from anywhere; paths are relative to the source tree.
# The kernel is built into BUILD_DIR/bench-kernel/ with the same -O2 for
# both: gcc natively (a shared object bench_engine dlopens) and clang for
# wasm32 (no libc, the kernel_* functions exported).
set -eu

if [ $# -lt 1 ]; then
    echo "usage: sh bench/run.sh BUILD_DIR [bench_engine options...]" >&2
    exit 2
fi
build=$1
shift

src=$(cd "$(dirname "$0")/.." && pwd)
case $build in
/*) ;;
*) build=$(pwd)/$build ;;
esac

bench="$build/bench_engine"
if [ ! -x "$bench" ]; then
    echo "run.sh: $bench not found: build first (make build, or cmake --build $build)" >&2
    exit 1
fi

CC=${CC:-gcc}
CLANG=${CLANG:-clang}
out="$build/bench-kernel"
mkdir -p "$out"

"$CC" -O2 -Wall -Wextra -Werror -fPIC -shared \
    -o "$out/kernel.so" "$src/bench/kernel.c"
"$CLANG" -O2 --target=wasm32-wasi -nostdlib -Wall -Wextra -Werror \
    -Wl,--no-entry \
    -Wl,--export=kernel_mix -Wl,--export=kernel_sieve -Wl,--export=kernel_collatz \
    -o "$out/kernel.wasm" "$src/bench/kernel.c"

echo "load before: $(cat /proc/loadavg)" >&2
exec "$bench" --examples "$src/examples" \
    --kernel-wasm "$out/kernel.wasm" --kernel-native "$out/kernel.so" "$@"
