#!/bin/sh
# stdio.sh -- MCP over stdio, wasmcap against the anchor (the official
# TypeScript SDK server of ../shared/anchors/ts-sdk), side by side in one run.
#
#   sh bench/stdio.sh BUILD_DIR [bench_stdio options...]
#
# e.g. `sh bench/stdio.sh build` (what `make bench-stdio` runs) or
# `sh bench/stdio.sh build --runs 3`.  Environment: CALLS (default 100000),
# WARMUP (default 1000), ANCHOR_DIR (default ../shared/anchors/ts-sdk).
#
# Both servers get the same requests from the same driver (bench_stdio):
# tools/call of calculate with {"a","b","op"}, pipelined; wasmcap runs a
# fresh instance of plugins/calculator/calculator.wasm per call, as it
# always does.  wasmcap's config is written to BUILD_DIR/bench-stdio/ with
# the optimized tier required and its code cache filled beforehand by
# `wasmcap compile`, so no compiler runs during the measurement (a compiler
# child would count in wait4's ru_maxrss).  The anchor needs its npm
# dependencies: when ANCHOR_DIR has no node_modules, it is copied to
# BUILD_DIR/anchor-ts-sdk and installed there (npm install), so nothing is
# written into ../shared.
set -eu

if [ $# -lt 1 ]; then
    echo "usage: sh bench/stdio.sh BUILD_DIR [bench_stdio options...]" >&2
    exit 2
fi
build=$1
shift

src=$(cd "$(dirname "$0")/.." && pwd)
case $build in
/*) ;;
*) build=$(pwd)/$build ;;
esac

wasmcap="$build/wasmcap"
bench="$build/bench_stdio"
for f in "$wasmcap" "$bench"; do
    if [ ! -x "$f" ]; then
        echo "stdio.sh: $f not found: build first (make build, or cmake --build $build)" >&2
        exit 1
    fi
done
plugin="$src/plugins/calculator/calculator.wasm"
if [ ! -f "$plugin" ]; then
    echo "stdio.sh: $plugin not found: make -C plugins" >&2
    exit 1
fi

# The anchor with its dependencies; wasmcap's config and its code cache.
. "$src/bench/lib.sh"
bench_anchor
work="$build/bench-stdio"
bench_config "$work" "$plugin"

echo "machine: $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), nproc $(nproc)," \
     "$(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), $(uname -sr)"
echo "node $(node --version); $(date -u '+%Y-%m-%d %H:%M UTC'); load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "wasmcap config ($work/wasmcap.json):"
sed 's/^/  /' "$work/wasmcap.json"
echo "command: $bench --calls ${CALLS:-100000} --warmup ${WARMUP:-1000} $*" \
     "--server wasmcap calculator-calculate \"$wasmcap serve --config $work/wasmcap.json\"" \
     "--server anchor calculate \"node $anchor/server_stdio.mjs\""
status=0
"$bench" --calls "${CALLS:-100000}" --warmup "${WARMUP:-1000}" "$@" \
    --server wasmcap calculator-calculate "$wasmcap serve --config $work/wasmcap.json" \
    --server anchor calculate "node $anchor/server_stdio.mjs" || status=$?
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
exit $status
