#!/bin/sh
# extism.sh BUILD_DIR [CALLS] -- an Extism plugin's calls per second in
# wasmcap against the same plugin in Extism's JavaScript host, one run on
# this machine (docs/BENCHMARKS.md):
#   wasmcap     bench_stdio: pipelined tools/call over stdio of `wasmcap
#               serve`, the guest's calculate tool (a fresh instance per call,
#               the optimized tier)
#   extism-js   bench/extism_js.mjs: plugin.call in process, one after another
# The guest is tests/guests/extism_v1.c (BUILD_DIR/guests/extism_v1.wasm).
set -e
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$1" && pwd)
calls=${2:-20000}
guest="$build/guests/extism_v1.wasm"
work="$build/bench-extism"
mkdir -p "$work"
sh "$root/tests/extism/install.sh" "$build"
cat > "$work/wasmcap.json" <<JSON
{"server": {"tier": "optimized", "log_level": "warning"},
 "storage": {"kv_dir": "$work/kv", "cache_dir": "$work/cache"},
 "plugins": {"x": {"path": "$guest"}}}
JSON
"$build/wasmcap" compile --cache-dir "$work/cache" "$guest" >/dev/null
"$build/bench_stdio" --calls "$calls" --warmup 1000 \
  --server wasmcap x-calculate "$build/wasmcap serve --config $work/wasmcap.json"
cp "$root/bench/extism_js.mjs" "$build/extism-js/extism_js.mjs"
node "$build/extism-js/extism_js.mjs" "$guest" "$calls"
