#!/bin/sh
# simd.sh -- the SIMD image kernel (examples/blur) three ways in one run:
# its -msimd128 wasm build and its scalar wasm build on the optimized tier
# (`wasmcap exec --tier optimized`, the code cache filled first, so no
# compiler runs while timing), and the same C built natively (cc -O2).
# Runs are interleaved (simd, scalar, native, simd, ...); prints each one's
# median CPU time (user + system: what a loaded machine distorts least) and
# the ratios, after checking the three print the same checksum.
#
#   sh bench/simd.sh BUILD_DIR [RUNS] [PASSES]     (defaults 5 and 64)
set -eu

if [ $# -lt 1 ]; then
    echo "usage: sh bench/simd.sh BUILD_DIR [RUNS] [PASSES]" >&2
    exit 2
fi
build=$(cd "$1" && pwd)
runs=${2:-5}
passes=${3:-64}
src=$(cd "$(dirname "$0")/.." && pwd)
wasmcap=$build/wasmcap
work=$build/bench-simd
mkdir -p -m 700 "$work" "$work/cache"

make -s -C "$src/examples" blur/blur.wasm blur/blur-scalar.wasm
cc -std=gnu11 -O2 -o "$work/blur-native" "$src/examples/blur/blur.c"
export XDG_CACHE_HOME="$work/cache"
for w in blur blur-scalar; do # the first run fills the code cache
    "$wasmcap" exec "$src/examples/blur/$w.wasm" --tier optimized -- 1 >/dev/null
done

simd="$wasmcap exec $src/examples/blur/blur.wasm --tier optimized -- $passes"
scalar="$wasmcap exec $src/examples/blur/blur-scalar.wasm --tier optimized -- $passes"
native="$work/blur-native $passes"
a=$($simd)
b=$($scalar)
c=$($native)
if [ "$a" != "$b" ] || [ "$a" != "$c" ]; then
    printf 'simd.sh: the builds disagree:\n  simd:   %s\n  scalar: %s\n  native: %s\n' "$a" "$b" "$c" >&2
    exit 1
fi
echo "all three: $a"

# CPU seconds (user + system) of one run of a command
seconds() {
    /usr/bin/time -f '%U %S' -o "$work/time.out" $1 >/dev/null
    awk '{ print $1 + $2 }' "$work/time.out"
}
median() {
    sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
: >"$work/simd.t"
: >"$work/scalar.t"
: >"$work/native.t"
i=0
while [ "$i" -lt "$runs" ]; do
    seconds "$simd" >>"$work/simd.t"
    seconds "$scalar" >>"$work/scalar.t"
    seconds "$native" >>"$work/native.t"
    i=$((i + 1))
done
t_simd=$(median <"$work/simd.t")
t_scalar=$(median <"$work/scalar.t")
t_native=$(median <"$work/native.t")
printf 'blur, %s passes, median CPU time of %s runs (load: %s)\n' "$passes" "$runs" "$(uptime | sed 's/.*load average: //')"
printf '  wasm -msimd128, optimized tier: %.3f s\n' "$t_simd"
printf '  wasm scalar, optimized tier:    %.3f s\n' "$t_scalar"
printf '  native cc -O2 (scalar C):       %.3f s\n' "$t_native"
printf '  scalar / simd: x%.2f   simd / native: x%.2f   scalar / native: x%.2f\n' \
    "$(echo "$t_scalar / $t_simd" | bc -l)" "$(echo "$t_simd / $t_native" | bc -l)" \
    "$(echo "$t_scalar / $t_native" | bc -l)"
