#!/bin/sh
# call_indirect_ab.sh -- one build's call_indirect against another's, in one
# run, turn about: bench/call_indirect.wat (100 million calls through a
# table to the same instance) through each build's `wasmcap exec` on the
# fast and the optimized tier (each build with its own code cache, filled
# first).  Prints each tier's median CPU time of the runs for both builds
# and new/old.
#
#   sh bench/call_indirect_ab.sh OLD_BUILD NEW_BUILD [RUNS]   (default 5)
set -eu

[ $# -ge 2 ] || { echo "usage: sh bench/call_indirect_ab.sh OLD_BUILD NEW_BUILD [RUNS]" >&2; exit 2; }
old=$(cd "$1" && pwd) new=$(cd "$2" && pwd) runs=${3:-5}
src=$(cd "$(dirname "$0")/.." && pwd)
work=$new/bench-call-indirect-ab
mkdir -p -m 700 "$work/old" "$work/new"
wat2wasm "$src/bench/call_indirect.wat" -o "$work/call_indirect.wasm"

# ms NAME TIER: one run's CPU time (user + system) in milliseconds: on a
# machine loaded by other work, wall time measures the load
ms() {
    eval "dir=\$$1"
    XDG_CACHE_HOME="$work/$1" /usr/bin/time -f "%U %S" -o "$work/time" \
        "$dir/wasmcap" exec "$work/call_indirect.wasm" --tier "$2"
    awk '{ printf "%d\n", ($1 + $2) * 1000 }' "$work/time"
}

median() {
    sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

for b in old new; do # fills each build's code cache
    ms "$b" optimized >/dev/null
done
for tier in fast optimized; do
    : >"$work/$tier.old"
    : >"$work/$tier.new"
    i=0
    while [ "$i" -lt "$runs" ]; do
        ms old "$tier" >>"$work/$tier.old"
        ms new "$tier" >>"$work/$tier.new"
        i=$((i + 1))
    done
    o=$(median <"$work/$tier.old")
    n=$(median <"$work/$tier.new")
    echo "$tier tier: old $o ms, new $n ms, new/old $(awk -v o="$o" -v n="$n" 'BEGIN { printf "%.3f", n / o }') (median of $runs)"
done
