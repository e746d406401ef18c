#!/bin/sh
# parse.sh BUILD_DIR -- real toolchain output with exceptions: the C++
# plugin plugins/cxx-parse, built by clang++ with -fwasm-exceptions and
# sdk/cxx's runtime, must answer every input of parse-inputs.txt (one JSON
# argument object a line; together they take every throw and catch path of
# the plugin) exactly as the same C++ built natively by g++ with libstdc++:
# through `wasmcap exec` on both tiers (stdout and exit status) and as a
# command-ABI plugin through `wasmcap call` (its text and isError).
set -eu
build=$(cd "$1" && pwd)
src=$(cd "$(dirname "$0")/../.." && pwd)
work=$build/test-cxx-parse
mkdir -p -m 700 "$work" "$work/cache"
make -s -C "$src/plugins" cxx-parse/cxx-parse.wasm
g++ -std=c++17 -O2 -Wall -Wextra -Werror -o "$work/cxx-parse-native" "$src/plugins/cxx-parse/cxx-parse.cpp"
export XDG_CACHE_HOME="$work/cache"
wasm=$src/plugins/cxx-parse/cxx-parse.wasm
config=$work/wasmcap.json
printf '{"plugins": {"cxx-parse": {"path": "%s"}}}\n' "$wasm" > "$config"

status=0
cases=0
while IFS= read -r input; do
    cases=$((cases + 1))
    expected=$(printf '%s' "$input" | "$work/cxx-parse-native"; echo "exit $?")
    for tier in fast optimized; do
        got=$(printf '%s' "$input" | "$build/wasmcap" exec "$wasm" --tier "$tier"; echo "exit $?")
        if [ "$got" != "$expected" ]; then
            printf 'FAIL: exec, %s tier: %s\n  native: %s\n  wasm:   %s\n' "$tier" "$input" "$expected" "$got"
            status=1
        fi
    done
    # as a plugin: the arguments the host checked against the schema
    if printf '%s' "$input" | jq -e '.expr | strings' >/dev/null 2>&1; then
        native_text=$(printf '%s' "$input" | "$work/cxx-parse-native" || true)
        native_error=false
        printf '%s' "$input" | "$work/cxx-parse-native" >/dev/null || native_error=true
        result=$("$build/wasmcap" call --config "$config" cxx-parse-evaluate "$input" 2>/dev/null || true)
        text=$(printf '%s' "$result" | jq -r '.content[0].text // "(no text)"' 2>/dev/null || echo "(not JSON: $result)")
        error=$(printf '%s' "$result" | jq -r '.isError // false' 2>/dev/null || echo "?")
        if [ "$text" != "$native_text" ] || [ "$error" != "$native_error" ]; then
            printf 'FAIL: plugin call: %s\n  native: %s (error %s)\n  wasm:   %s (error %s)\n' \
                "$input" "$native_text" "$native_error" "$text" "$error"
            status=1
        fi
    fi
done < "$(dirname "$0")/parse-inputs.txt"
[ "$status" = 0 ] && echo "ok: $cases inputs, exec on both tiers and the plugin tool, as native"
exit $status
