#!/bin/sh
# nn.sh -- issue 13's inference figures, side by side in one run:
#
#   1. bench_nn: each model of ../shared/models on the XNNPACK backend
#      (load, a context, the first inference, inferences/s on 1 and 2 threads);
#   2. bench_nn_call: the overhead of WASI-NN, a tool call that runs one
#      inference against the same inference called natively;
#   3. bench_nn_share: RSS with INSTANCES (default 1,000) concurrent
#      instances of person-detect sharing one model;
#   4. bench_stdio: tool calls per second over stdio of the model-backed
#      supply-risk assess, next to the calculator in the same server.
#
#   sh bench/nn.sh BUILD_DIR
#
# `make bench-nn` runs it.  Environment: INSTANCES (default 1000), CALLS
# (stdio calls per run, default 20000), RUNS (stdio runs, default 3),
# ROUNDS (bench_nn_call rounds, default 15).  The stdio server's config and
# code cache go to BUILD_DIR/bench-nn/, its kv store there too (SKU-1: 120
# in stock, 10 a day), with the optimized tier compiled beforehand.
set -eu

if [ $# -lt 1 ]; then
    echo "usage: sh bench/nn.sh BUILD_DIR" >&2
    exit 2
fi
build=$1
src=$(cd "$(dirname "$0")/.." && pwd)
case $build in
/*) ;;
*) build=$(pwd)/$build ;;
esac

for f in wasmcap bench_nn bench_nn_call bench_nn_share bench_stdio; do
    if [ ! -x "$build/$f" ]; then
        echo "nn.sh: $build/$f not found: build first (make build)" >&2
        exit 1
    fi
done
for f in supply-risk/supply-risk.wasm supply-risk/model/supply-risk.tflite \
         person-detect/person-detect.wasm calculator/calculator.wasm; do
    if [ ! -f "$src/plugins/$f" ]; then
        echo "nn.sh: plugins/$f not found: make -C plugins" >&2
        exit 1
    fi
done

echo "machine: $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), nproc $(nproc)," \
     "$(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo), $(uname -sr)"
echo "$(date -u '+%Y-%m-%d %H:%M UTC'); load before: $(cut -d' ' -f1-3 /proc/loadavg)"

echo
echo "== 1. per model: $build/bench_nn"
"$build/bench_nn"

echo
echo "== 2. WASI-NN overhead: $build/bench_nn_call --rounds ${ROUNDS:-15}"
"$build/bench_nn_call" --rounds "${ROUNDS:-15}"

echo
echo "== 3. shared weights: $build/bench_nn_share --instances ${INSTANCES:-1000}"
"$build/bench_nn_share" --instances "${INSTANCES:-1000}"

echo
work="$build/bench-nn"
rm -rf "$work/kv"
mkdir -p -m 700 "$work/cache" "$work/kv"
cat > "$work/wasmcap.json" <<JSON
{
  "server": {"name": "wasmcap-bench-nn", "log_level": "warning", "tier": "optimized"},
  "storage": {"kv_dir": "$work/kv", "cache_dir": "$work/cache"},
  "nn": {"models": {"supply_risk": {"path": "$src/plugins/supply-risk/model/supply-risk.tflite"}}},
  "plugins": {
    "calculator": {"path": "$src/plugins/calculator/calculator.wasm"},
    "supply-risk": {"path": "$src/plugins/supply-risk/supply-risk.wasm",
                    "permissions": {"kv_namespace": "supply-risk", "nn_models": ["supply_risk"]}}
  }
}
JSON
"$build/wasmcap" compile --cache-dir "$work/cache" "$src/plugins/calculator/calculator.wasm" \
    "$src/plugins/supply-risk/supply-risk.wasm" >&2
"$build/wasmcap" call --config "$work/wasmcap.json" supply-risk-set_stock \
    '{"sku": "SKU-1", "quantity": 120}' > /dev/null
args='{"sku":"SKU-1","buffer_days":7}'
expect=$("$build/wasmcap" call --config "$work/wasmcap.json" supply-risk-assess "$args" |
         sed -n 's/.*"text":"\([^"]*\)".*/\1/p')
echo "== 4. tool calls per second over stdio: supply-risk-assess $args -> \"$expect\""
echo "command: $build/bench_stdio --calls ${CALLS:-20000} --warmup 500 --runs ${RUNS:-3}" \
     "--server calculator calculator-calculate \"$build/wasmcap serve --config $work/wasmcap.json\"" \
     "--arguments '$args' --expect '$expect'" \
     "--server supply-risk supply-risk-assess \"$build/wasmcap serve --config $work/wasmcap.json\""
"$build/bench_stdio" --calls "${CALLS:-20000}" --warmup 500 --runs "${RUNS:-3}" \
    --server calculator calculator-calculate "$build/wasmcap serve --config $work/wasmcap.json" \
    --arguments "$args" --expect "$expect" \
    --server supply-risk supply-risk-assess "$build/wasmcap serve --config $work/wasmcap.json"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
