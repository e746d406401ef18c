#!/bin/sh
# atomics.sh -- what the threads proposal's atomics cost: tests/guests/
# cmd_atomics.c (C11 <stdatomic.h> on one thread) built with clang -matomics
# (every atomic a 0xfe instruction) and without it (clang lowers them to
# plain loads and stores: wasm has one thread then), each through `wasmcap
# exec` on both tiers (the optimized tier's code cache filled first, so no
# compiler runs while timing), and the same C built natively (cc -O2, real
# x86 atomics).  Runs are interleaved; prints each one's median CPU time
# (user + system) and the ratios, after checking all print the same.
#
#   sh bench/atomics.sh BUILD_DIR [RUNS] [STEPS]     (defaults 5 and 20000000)
set -eu

if [ $# -lt 1 ]; then
    echo "usage: sh bench/atomics.sh BUILD_DIR [RUNS] [STEPS]" >&2
    exit 2
fi
build=$(cd "$1" && pwd)
runs=${2:-5}
steps=${3:-20000000}
src=$(cd "$(dirname "$0")/.." && pwd)
wasmcap=$build/wasmcap
work=$build/bench-atomics
mkdir -p -m 700 "$work" "$work/cache"

guest=$src/tests/guests/cmd_atomics.c
flags="--target=wasm32-wasi -O2 -Wl,-z,stack-size=16384"
# shellcheck disable=SC2086 # flags is split on purpose
clang $flags -matomics -mbulk-memory -o "$work/atomic.wasm" "$guest"
# shellcheck disable=SC2086
clang $flags -o "$work/plain.wasm" "$guest"
cc -std=gnu11 -O2 -o "$work/native" "$guest"
export XDG_CACHE_HOME="$work/cache"
for w in atomic plain; do # the first run fills the code cache
    "$wasmcap" exec "$work/$w.wasm" --tier optimized -- 1 >/dev/null
done

# name and command of each contender
set -- \
    "atomic-opt" "$wasmcap exec $work/atomic.wasm --tier optimized -- $steps" \
    "plain-opt" "$wasmcap exec $work/plain.wasm --tier optimized -- $steps" \
    "atomic-fast" "$wasmcap exec $work/atomic.wasm --tier fast -- $steps" \
    "plain-fast" "$wasmcap exec $work/plain.wasm --tier fast -- $steps" \
    "native" "$work/native $steps"
want=$($work/native "$steps")
names=
while [ $# -gt 0 ]; do
    got=$($2)
    if [ "$got" != "$want" ]; then
        printf 'atomics.sh: %s printed "%s", native "%s"\n' "$1" "$got" "$want" >&2
        exit 1
    fi
    names="$names $1"
    printf '%s\n' "$2" >"$work/$1.cmd"
    : >"$work/$1.t"
    shift 2
done
echo "all print: $want"

# CPU seconds (user + system) of one run of a command
seconds() {
    /usr/bin/time -f '%U %S' -o "$work/time.out" $1 >/dev/null
    awk '{ print $1 + $2 }' "$work/time.out"
}
median() {
    sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
i=0
while [ "$i" -lt "$runs" ]; do
    for n in $names; do
        seconds "$(cat "$work/$n.cmd")" >>"$work/$n.t"
    done
    i=$((i + 1))
done
printf 'cmd_atomics, %s steps, median CPU time of %s runs (load: %s)\n' "$steps" "$runs" \
    "$(uptime | sed 's/.*load average: //')"
for n in $names; do
    eval "t_$(echo "$n" | tr - _)=$(median <"$work/$n.t")"
    printf '  %-12s %.3f s\n' "$n" "$(median <"$work/$n.t")"
done
# shellcheck disable=SC2154 # set by the eval above
printf '  optimized: atomic / plain x%.2f, atomic / native x%.2f\n' \
    "$(echo "$t_atomic_opt / $t_plain_opt" | bc -l)" "$(echo "$t_atomic_opt / $t_native" | bc -l)"
# shellcheck disable=SC2154
printf '  fast:      atomic / plain x%.2f, atomic / native x%.2f\n' \
    "$(echo "$t_atomic_fast / $t_plain_fast" | bc -l)" "$(echo "$t_atomic_fast / $t_native" | bc -l)"
