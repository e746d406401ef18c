#!/bin/sh
# cxx_throw.sh -- C++ exceptions in wasm against native, in one run:
# bench/cxx_throw.cpp built by clang++ -fwasm-exceptions with sdk/cxx's
# runtime, through `wasmcap exec` on the optimized tier (code cache filled
# first) and on the fast tier, and built natively by g++ (libstdc++'s
# unwinder); and its error returns alone built with -fno-exceptions, on the
# optimized tier (what exception-enabled code pays where nothing throws).
# Runs interleave; prints each one's median ns per throw (8 frames with a
# destructor each) and per error-code return through the same chain, and
# the ratios to native.
#
#   sh bench/cxx_throw.sh BUILD_DIR [RUNS] [ITERATIONS]     (defaults 5 and 100000)
set -eu

if [ $# -lt 1 ]; then
    echo "usage: sh bench/cxx_throw.sh BUILD_DIR [RUNS] [ITERATIONS]" >&2
    exit 2
fi
build=$(cd "$1" && pwd)
runs=${2:-5}
iterations=${3:-100000}
src=$(cd "$(dirname "$0")/.." && pwd)
wasmcap=$build/wasmcap
work=$build/bench-cxx-throw
mkdir -p -m 700 "$work" "$work/cache"
export XDG_CACHE_HOME="$work/cache"
cxxflags="-std=c++17 -O2 -Wall -Wextra -Werror"

make -s -C "$src/sdk/cxx"
# shellcheck disable=SC2086
clang++ --target=wasm32-wasi --sysroot=/usr $cxxflags -fwasm-exceptions -nostdlib++ \
    -o "$work/cxx_throw.wasm" "$src/bench/cxx_throw.cpp" "$src/sdk/cxx/libwasmcap_cxx.a"
# shellcheck disable=SC2086
clang++ --target=wasm32-wasi --sysroot=/usr $cxxflags -fno-exceptions -nostdlib++ \
    -o "$work/cxx_throw-noexc.wasm" "$src/bench/cxx_throw.cpp"
# shellcheck disable=SC2086
g++ $cxxflags -o "$work/cxx_throw-native" "$src/bench/cxx_throw.cpp"
for w in cxx_throw cxx_throw-noexc; do # the first run fills the code cache
    "$wasmcap" exec "$work/$w.wasm" --tier optimized -- 1 >/dev/null
done

median() {
    sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
kinds="optimized fast noexc native"
for k in $kinds; do : >"$work/$k.throw"; : >"$work/$k.return"; done
i=0
while [ "$i" -lt "$runs" ]; do
    for k in $kinds; do
        case $k in
        native) out=$("$work/cxx_throw-native" "$iterations") ;;
        noexc) out=$("$wasmcap" exec "$work/cxx_throw-noexc.wasm" --tier optimized -- "$iterations") ;;
        *) out=$("$wasmcap" exec "$work/cxx_throw.wasm" --tier "$k" -- "$iterations") ;;
        esac
        echo "$out" | awk '{ print $1 }' >>"$work/$k.throw"
        echo "$out" | awk '{ print $2 }' >>"$work/$k.return"
    done
    i=$((i + 1))
done
printf 'C++ throw through 8 frames, %s iterations, median of %s runs, thread CPU time (load: %s)\n' \
    "$iterations" "$runs" "$(uptime | sed 's/.*load average: //')"
n_throw=$(median <"$work/native.throw")
n_return=$(median <"$work/native.return")
for k in $kinds; do
    r=$(median <"$work/$k.return")
    if [ "$k" = noexc ]; then
        printf '  %-9s (-fno-exceptions, optimized)          ' "$k"
    else
        t=$(median <"$work/$k.throw")
        printf '  %-9s throw %9.1f ns (x%.2f native)   ' "$k" "$t" "$(echo "$t / $n_throw" | bc -l)"
    fi
    printf 'error return %7.1f ns (x%.2f native)\n' "$r" "$(echo "$r / $n_return" | bc -l)"
done
