#!/bin/sh
# exceptions_ab.sh -- one build's exception handling against another's, in
# one run, turn about: bench/cxx_throw.cpp (clang++ -fwasm-exceptions, as
# bench/cxx_throw.sh builds it) through each build's `wasmcap exec` on the
# optimized tier (each with its own code cache, filled first) and the fast
# tier, then each build's bench_exceptions.  Prints the medians of the C++
# figures (ns per throw, ns per error return) and every bench_exceptions
# table, so old and new meet the same load.
#
#   sh bench/exceptions_ab.sh OLD_BUILD NEW_BUILD [RUNS] [ITERATIONS]   (defaults 5 and 50000)
set -eu

src=$(cd "$(dirname "$0")/.." && pwd)
. "$src/bench/lib.sh"
bench_two_builds "sh bench/exceptions_ab.sh OLD_BUILD NEW_BUILD [RUNS] [ITERATIONS]" "$@"
runs=${3:-5}
iterations=${4:-50000}
work=$new/bench-exceptions-ab
mkdir -p -m 700 "$work/old" "$work/new"

make -s -C "$src/sdk/cxx"
clang++ --target=wasm32-wasi --sysroot=/usr -std=c++17 -O2 -Wall -Wextra -Werror -fwasm-exceptions \
    -nostdlib++ -o "$work/cxx_throw.wasm" "$src/bench/cxx_throw.cpp" "$src/sdk/cxx/libwasmcap_cxx.a"
for b in old new; do # the first run fills each build's code cache
    eval "dir=\$$b"
    XDG_CACHE_HOME="$work/$b" "$dir/wasmcap" exec "$work/cxx_throw.wasm" --tier optimized -- 1 >/dev/null
done

median() {
    sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
for b in old new; do for t in optimized fast; do : >"$work/$b.$t.throw"; : >"$work/$b.$t.return"; done; done
i=0
while [ "$i" -lt "$runs" ]; do
    for t in optimized fast; do
        for b in old new; do
            eval "dir=\$$b"
            out=$(XDG_CACHE_HOME="$work/$b" "$dir/wasmcap" exec "$work/cxx_throw.wasm" --tier "$t" -- "$iterations")
            echo "$out" | awk '{ print $1 }' >>"$work/$b.$t.throw"
            echo "$out" | awk '{ print $2 }' >>"$work/$b.$t.return"
        done
    done
    i=$((i + 1))
done
printf 'C++ throw through 8 frames, %s iterations, median of %s runs, thread CPU time (load: %s)\n' \
    "$iterations" "$runs" "$(cut -d' ' -f1-3 /proc/loadavg)"
for t in optimized fast; do
    for b in old new; do
        printf '  %-3s %-9s throw %8.1f ns   error return %7.1f ns\n' "$b" "$t" \
            "$(median <"$work/$b.$t.throw")" "$(median <"$work/$b.$t.return")"
    done
done
for b in old new new old; do
    eval "dir=\$$b"
    echo "bench_exceptions, $b build:"
    "$dir/bench_exceptions" --runs 15
done
