#!/bin/sh
# ab_stdio.sh -- two or more wasmcap binaries side by side on the stdio
# benchmark: calls/s and the server's CPU time per call.
#
#   sh bench/ab_stdio.sh BUILD_DIR ROUNDS NAME=BINARY NAME=BINARY...
#
# e.g. `sh bench/ab_stdio.sh build 6 new=build/wasmcap old=/tmp/wasmcap-old`.
# Each round runs every binary once, in turn, on BUILD_DIR/bench_stdio with
# CALLS (default 300000) pipelined tools/call of the calculator and the
# config of bench/stdio.sh (BUILD_DIR/bench-stdio, made by running that
# first), under `perf stat -e task-clock`.  The summary gives each binary's
# medians: calls/s, and CPU time per call (task-clock over the calls and
# the 1,000 warm-up ones), the steadier of the two on a machine whose speed
# drifts from one round to the next.  Every binary must have filled the
# code cache (`wasmcap compile --cache-dir BUILD_DIR/bench-stdio/cache ...`).
#
# The summary also gives, for every binary after the first, the median of
# its per-round ratios to the first (rounds pair the binaries in time, so
# the machine's drift cancels).  PIN=1 runs the client on CPU 0 and the
# server on CPU 1 (taskset): the server's threads then share one core, so
# CPU per call counts the work a call does and not how often its threads
# wake each other across cores; compare both ways.
set -eu

if [ $# -lt 4 ]; then
    echo "usage: sh bench/ab_stdio.sh BUILD_DIR ROUNDS NAME=BINARY NAME=BINARY..." >&2
    exit 2
fi
build=$1
rounds=$2
shift 2
calls=${CALLS:-300000}
config="$build/bench-stdio/wasmcap.json"
if [ ! -f "$config" ]; then
    echo "ab_stdio.sh: $config not found: run sh bench/stdio.sh $build first" >&2
    exit 1
fi
command -v perf >/dev/null || { echo "ab_stdio.sh: perf not found" >&2; exit 1; }
client_pin= server_pin=
if [ "${PIN:-0}" = 1 ]; then
    command -v taskset >/dev/null || { echo "ab_stdio.sh: PIN=1 needs taskset" >&2; exit 1; }
    client_pin="taskset -c 0" server_pin="taskset -c 1"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

i=0
while [ "$i" -lt "$rounds" ]; do
    i=$((i + 1))
    for pair in "$@"; do
        name=${pair%%=*}
        bin=${pair#*=}
        line=$($client_pin "$build/bench_stdio" --calls "$calls" --warmup 1000 --server "$name" calculator-calculate \
            "perf stat -e task-clock -x, -o $work/stat $server_pin $bin serve --config $config" 2>&1 |
            awk -v n="$name" '$1 == n && NF == 4 {print $3}')
        cpu=$(awk -F, -v c="$calls" '/task-clock/ {printf "%.3f", $1 * 1000 / (c + 1000)}' "$work/stat")
        echo "round $i $name ${line:-FAILED} calls/s, ${cpu:-?} us CPU a call"
        echo "$name ${line:-0} ${cpu:-0}" >>"$work/all"
    done
done

echo
for pair in "$@"; do
    name=${pair%%=*}
    for col in 2 3; do
        awk -v n="$name" -v c="$col" '$1 == n {print $c}' "$work/all" | sort -g >"$work/col$col"
    done
    median() { awk '{v[NR] = $1} END {print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}' "$1"; }
    printf '%-10s calls/s median %9.0f   CPU a call median %.3f us (best %.3f)\n' \
        "$name" "$(median "$work/col2")" "$(median "$work/col3")" "$(head -1 "$work/col3")"
done
first=${1%%=*}
shift
for pair in "$@"; do
    name=${pair%%=*}
    awk -v a="$first" -v b="$name" '$1 == a {ca[++na] = $2; pa[na] = $3} $1 == b {cb[++nb] = $2; pb[nb] = $3}
        END {for (i = 1; i <= na && i <= nb; i++) if (ca[i] > 0 && pa[i] > 0) print cb[i] / ca[i], pb[i] / pa[i]}' \
        "$work/all" >"$work/ratios"
    for col in 1 2; do awk -v c="$col" '{print $c}' "$work/ratios" | sort -g >"$work/r$col"; done
    printf '%-10s / %-10s per-round ratios, median: calls/s x%.3f, CPU a call x%.3f\n' \
        "$name" "$first" "$(median "$work/r1")" "$(median "$work/r2")"
done
