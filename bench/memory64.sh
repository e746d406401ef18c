#!/bin/sh
# memory64.sh -- what memory64's explicit bounds checks cost: the compute
# kernels (bench/kernel.c) built for a 32-bit memory (wasm32, whose guard
# region is the bounds check) and for a 64-bit one (wasm64, every access
# checked), run by bench_engine on both tiers, alternating, in one run.
#
#   sh bench/memory64.sh BUILD_DIR [ROUNDS]
#
# Prints each kernel's median time per tier for both builds and the ratio
# 64-bit / 32-bit (ROUNDS runs of each, default 3).
set -eu

if [ $# -lt 1 ]; then
    echo "usage: sh bench/memory64.sh BUILD_DIR [ROUNDS]" >&2
    exit 2
fi
build=$1
rounds=${2:-3}
src=$(cd "$(dirname "$0")/.." && pwd)
case $build in
/*) ;;
*) build=$(pwd)/$build ;;
esac
bench="$build/bench_engine"
if [ ! -x "$bench" ]; then
    echo "memory64.sh: $bench not found: build first" >&2
    exit 1
fi

out="$build/bench-memory64"
mkdir -p "$out/no-examples"
exports="-Wl,--export=kernel_mix -Wl,--export=kernel_sieve -Wl,--export=kernel_collatz"
${CC:-gcc} -O2 -Wall -Wextra -Werror -fPIC -shared -o "$out/kernel.so" "$src/bench/kernel.c"
for bits in 32 64; do
    # shellcheck disable=SC2086 # the export flags are split on purpose
    ${CLANG:-clang} -O2 --target=wasm$bits-unknown-unknown -nostdlib -Wall -Wextra -Werror \
        -Wl,--no-entry $exports -o "$out/kernel$bits.wasm" "$src/bench/kernel.c"
done

echo "load before: $(cat /proc/loadavg)"
: >"$out/times"
i=0
while [ "$i" -lt "$rounds" ]; do
    for bits in 32 64; do
        # section 3's lines: "  KERNEL: TIER   VALUE ms ..."
        "$bench" --examples "$out/no-examples" --runs 1 --kernel-wasm "$out/kernel$bits.wasm" \
            --kernel-native "$out/kernel.so" 2>/dev/null |
            sed -n "/^3\. compute kernels/,/^4\./ s/^  \(.*\): \(fast tier\|optimized tier\) *\([0-9.]*\) ms.*/$bits|\1|\2|\3/p" \
            >>"$out/times"
    done
    i=$((i + 1))
done
echo "load after: $(cat /proc/loadavg)"

# medians per (bits, kernel, tier), then 64 / 32
sort -t'|' -k1,3 -k4,4n "$out/times" | awk -F'|' '
    { key = $2 "|" $3; n[$1 "|" key]++; v[$1 "|" key, n[$1 "|" key]] = $4; keys[key] = 1 }
    function median(k,   c) { c = n[k]; return c % 2 ? v[k, (c + 1) / 2] : (v[k, c / 2] + v[k, c / 2 + 1]) / 2 }
    END {
        for (key in keys) {
            split(key, p, "|")
            a = median("32|" key); b = median("64|" key)
            printf "%-34s %-15s %12.0f %12.0f %7.3fx\n", p[1], p[2], a, b, a ? b / a : 0
        }
    }' | sort >"$out/table"
printf "%-34s %-15s %12s %12s %8s\n" "kernel" "tier" "32-bit ms" "64-bit ms" "64/32"
cat "$out/table"
