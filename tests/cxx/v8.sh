#!/bin/sh
# v8.sh BUILD_DIR -- the same C++ as run.sh (cxx-parse on every input of
# parse-inputs.txt, runtime_cases with and without an exception leaving
# main) in node's V8 through wasi_run.mjs, against the g++ builds: checks
# sdk/cxx's runtime on a second engine, independently of wasmcap's.
set -eu
build=$(cd "$1" && pwd)
. "$(dirname "$0")/lib.sh"

cases=0
while IFS= read -r input; do
    cases=$((cases + 1))
    expected=$(printf '%s' "$input" | with_status "$work/cxx-parse-native")
    got=$(printf '%s' "$input" | with_status node "$here/wasi_run.mjs" "$parse" 2>/dev/null)
    compare "cxx-parse in V8: $input" "$expected" "$got"
done < "$here/parse-inputs.txt"
for args in "" uncaught; do
    # shellcheck disable=SC2086
    expected=$(with_status "$work/runtime_cases-native" $args 2>/dev/null)
    # shellcheck disable=SC2086
    got=$(with_status node "$here/wasi_run.mjs" "$work/runtime_cases.wasm" $args 2>/dev/null)
    compare "runtime_cases $args in V8" "$expected" "$got"
done

[ "$status" = 0 ] && echo "ok: cxx-parse on $cases inputs and runtime_cases in V8, as native"
exit $status
