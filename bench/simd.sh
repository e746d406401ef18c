#!/bin/sh
# simd.sh -- the SIMD image kernel (examples/blur) in one run: its -msimd128
# wasm build and its scalar wasm build on the optimized tier (`wasmcap exec
# --tier optimized`, the code cache filled first, so no compiler runs while
# timing) and on the fast tier (libtcc, which compiles in each run: a few
# milliseconds), and the same C built natively (cc -O2).  With OLD=PATH (an
# older wasmcap binary) the fast tier's two builds also run on it, for old
# against new in the same run.  Runs are interleaved (every command once,
# then again); prints each one's median CPU time (user + system: what a
# loaded machine distorts least) and the ratios, after checking that all
# print the same checksum.
#
#   sh bench/simd.sh BUILD_DIR [RUNS] [PASSES] [FAST_PASSES]
#
# RUNS 5, PASSES 64 on the optimized tier and natively; FAST_PASSES (the
# fast tier's, default PASSES / 4) keeps the fast tier's runs short.
set -eu

if [ $# -lt 1 ]; then
    echo "usage: sh bench/simd.sh BUILD_DIR [RUNS] [PASSES] [FAST_PASSES]" >&2
    exit 2
fi
build=$(cd "$1" && pwd)
runs=${2:-5}
passes=${3:-64}
fast_passes=${4:-$((passes / 4 > 0 ? passes / 4 : 1))}
old=${OLD:-}
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

# name|command, one a line: the commands timed, in the order they run
blur=$src/examples/blur
commands="simd_opt|$wasmcap exec $blur/blur.wasm --tier optimized -- $passes
scalar_opt|$wasmcap exec $blur/blur-scalar.wasm --tier optimized -- $passes
native|$work/blur-native $passes
simd_fast|$wasmcap exec $blur/blur.wasm --tier fast -- $fast_passes
scalar_fast|$wasmcap exec $blur/blur-scalar.wasm --tier fast -- $fast_passes"
if [ -n "$old" ]; then
    commands="$commands
simd_fast_old|$old exec $blur/blur.wasm --tier fast -- $fast_passes
scalar_fast_old|$old exec $blur/blur-scalar.wasm --tier fast -- $fast_passes"
fi

# every command of a pass count prints the same checksum
check() {
    want=
    echo "$commands" | while IFS='|' read -r name cmd; do
        case $cmd in *" -- $1") ;; *) continue ;; esac
        got=$($cmd)
        if [ -z "$want" ]; then
            want=$got
            echo "$1 passes, all builds: $got"
        elif [ "$got" != "$want" ]; then
            printf 'simd.sh: %s disagrees:\n  %s\n  %s\n' "$name" "$got" "$want" >&2
            exit 1
        fi
    done
}
check "$passes"
[ "$fast_passes" = "$passes" ] || check "$fast_passes"

# CPU seconds (user + system) of one run of a command
seconds() {
    /usr/bin/time -f '%U %S' -o "$work/time.out" $1 >/dev/null
    awk '{ print $1 + $2 }' "$work/time.out"
}
median() {
    sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
echo "$commands" | while IFS='|' read -r name cmd; do : >"$work/$name.t"; done
i=0
while [ "$i" -lt "$runs" ]; do
    echo "$commands" | while IFS='|' read -r name cmd; do seconds "$cmd" >>"$work/$name.t"; done
    i=$((i + 1))
done
t() { median <"$work/$1.t"; }
ratio() { echo "$1 / $2" | bc -l; }

printf 'blur, median CPU time of %s runs (load: %s)\n' "$runs" "$(uptime | sed 's/.*load average: //')"
printf '  %s passes:\n' "$passes"
printf '    wasm -msimd128, optimized tier: %.3f s\n' "$(t simd_opt)"
printf '    wasm scalar, optimized tier:    %.3f s\n' "$(t scalar_opt)"
printf '    native cc -O2 (scalar C):       %.3f s\n' "$(t native)"
printf '    scalar / simd: x%.2f   simd / native: x%.2f   scalar / native: x%.2f\n' \
    "$(ratio "$(t scalar_opt)" "$(t simd_opt)")" "$(ratio "$(t simd_opt)" "$(t native)")" \
    "$(ratio "$(t scalar_opt)" "$(t native)")"
printf '  %s passes, fast tier (libtcc; the compile included):\n' "$fast_passes"
printf '    wasm -msimd128: %.3f s\n' "$(t simd_fast)"
printf '    wasm scalar:    %.3f s\n' "$(t scalar_fast)"
printf '    scalar / simd: x%.2f\n' "$(ratio "$(t scalar_fast)" "$(t simd_fast)")"
if [ -n "$old" ]; then
    printf '  %s passes, fast tier of OLD (%s):\n' "$fast_passes" "$old"
    printf '    wasm -msimd128: %.3f s\n' "$(t simd_fast_old)"
    printf '    wasm scalar:    %.3f s\n' "$(t scalar_fast_old)"
    printf '    scalar / simd: x%.2f   old simd / new simd: x%.2f   old scalar / new scalar: x%.2f\n' \
        "$(ratio "$(t scalar_fast_old)" "$(t simd_fast_old)")" "$(ratio "$(t simd_fast_old)" "$(t simd_fast)")" \
        "$(ratio "$(t scalar_fast_old)" "$(t scalar_fast)")"
fi
