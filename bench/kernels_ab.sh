#!/bin/sh
# kernels_ab.sh -- one build's compute kernels against another's, in one
# run, turn about: each round runs bench/run.sh (bench_engine's section 3:
# native, fast tier, optimized tier, interleaved) with the old build, then
# the new, so both meet the same load; prints every round's ratio to native
# of each kernel and tier, then their medians and new/old.
#
#   sh bench/kernels_ab.sh OLD_BUILD NEW_BUILD [ROUNDS] [bench_engine options...]
#
# ROUNDS defaults to 3; the options go to both builds' bench_engine (e.g.
# --runs 7, --kernel sieve, --track-writes).  Each build needs bench_engine.
set -eu

src=$(cd "$(dirname "$0")/.." && pwd)
. "$src/bench/lib.sh"
bench_two_builds "sh bench/kernels_ab.sh OLD_BUILD NEW_BUILD [ROUNDS] [bench_engine options...]" "$@"
shift 2
rounds=3
if [ $# -gt 0 ]; then
    rounds=$1
    shift
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# "sieve fast 2.90" for each "<kernel> (...): <tier> / native  <ratio>x" row
ratios() {
    awk '/: (fast|optimized) \/ native/ {
        kernel = $1; tier = $0; sub(/.*: /, "", tier); sub(/ .*/, "", tier)
        for (i = NF; i >= 1; i--) if ($i ~ /^[0-9.]+x$/) r = $i   # the value, not the target
        sub(/x$/, "", r)
        print kernel, tier, r
    }'
}
i=0
while [ "$i" -lt "$rounds" ]; do
    for b in old new; do
        eval "dir=\$$b"
        sh "$src/bench/run.sh" "$dir" --kernels-only "$@" 2>/dev/null | ratios | sed "s/^/$b /" >>"$work/all"
    done
    i=$((i + 1))
done
printf 'kernel / native, %s rounds turn about (load at the end: %s)\n' "$rounds" "$(cut -d' ' -f1-3 /proc/loadavg)"
awk '{ key = $2 " " $3; v[$1, key] = v[$1, key] " " $4; keys[key] = 1 }
     END { for (k in keys) printf "  %-18s old%s | new%s\n", k, v["old", k], v["new", k] }' "$work/all" | sort
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
for key in $(awk '{ print $2 "/" $3 }' "$work/all" | sort -u); do
    k=$(echo "$key" | tr / ' ')
    mo=$(awk -v k="$k" '$1 == "old" && $2 " " $3 == k { print $4 }' "$work/all" | median)
    mn=$(awk -v k="$k" '$1 == "new" && $2 " " $3 == k { print $4 }' "$work/all" | median)
    printf '  %-18s median old %5.2fx  new %5.2fx  new/old x%.3f\n' "$k" "$mo" "$mn" "$(echo "$mn $mo" | awk '{ print $1 / $2 }')"
done
