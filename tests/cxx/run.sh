#!/bin/sh
# run.sh BUILD_DIR -- real toolchain output with exceptions: C++ built by
# clang++ with -fwasm-exceptions and sdk/cxx's runtime must print what the
# same C++ built natively by g++ (with libstdc++) prints:
#  - the plugin plugins/cxx-parse on every input of parse-inputs.txt (one
#    JSON argument object a line; together they take every throw and catch
#    path of the plugin), through `wasmcap exec` on both tiers (stdout and
#    exit status) and as a command-ABI tool through `wasmcap call` (its text
#    and isError);
#  - runtime_cases.cpp (the runtime's corners: catch by value, nested and
#    rethrown exceptions, pointers, a throwing copy, static initialisers,
#    100,000 throws in steady memory), and the same with an exception that
#    leaves main (natively std::terminate, status 134; a trap in wasmcap),
#    through `wasmcap exec` on both tiers;
#  - catch_at_4gib.cpp: a catch once the memory has grown to 4 GiB.
set -eu
build=$(cd "$1" && pwd)
. "$(dirname "$0")/lib.sh"
config=$work/wasmcap.json
printf '{"plugins": {"cxx-parse": {"path": "%s"}}}\n' "$parse" > "$config"

cases=0
while IFS= read -r input; do
    cases=$((cases + 1))
    expected=$(printf '%s' "$input" | with_status "$work/cxx-parse-native")
    for tier in fast optimized; do
        got=$(printf '%s' "$input" | with_status "$build/wasmcap" exec "$parse" --tier "$tier" 2>/dev/null)
        compare "cxx-parse exec, $tier tier: $input" "$expected" "$got"
    done
    # as a tool: only arguments that the schema lets through reach it, and
    # as the host writes them (compact, escapes decoded): so jq -c for native
    if printf '%s' "$input" | jq -e '.expr | strings' >/dev/null 2>&1; then
        arguments=$(printf '%s' "$input" | jq -c .)
        native_error=false
        native_text=$(printf '%s' "$arguments" | "$work/cxx-parse-native") || native_error=true
        result=$("$build/wasmcap" call --config "$config" cxx-parse-evaluate "$input" 2>/dev/null || true)
        text=$(printf '%s' "$result" | jq -r '.content[0].text' 2>/dev/null || echo "not a result: $result")
        error=$(printf '%s' "$result" | jq -r '.isError // false' 2>/dev/null || echo "?")
        compare "cxx-parse tool: $input" "$native_text (error $native_error)" "$text (error $error)"
    fi
done < "$here/parse-inputs.txt"

for args in "" uncaught; do
    # shellcheck disable=SC2086
    expected=$(with_status "$work/runtime_cases-native" $args 2>/dev/null)
    for tier in fast optimized; do
        # shellcheck disable=SC2086
        got=$(with_status "$build/wasmcap" exec "$work/runtime_cases.wasm" --tier "$tier" -- $args 2>/dev/null)
        compare "runtime_cases $args, $tier tier" "$expected" "$got"
    done
done

# a catch after the memory grew to 4 GiB (no native counterpart: wasm32's whole address space)
# shellcheck disable=SC2086
clang++ --target=wasm32-wasi --sysroot=/usr $cxxflags -fwasm-exceptions -nostdlib++ -Wl,--max-memory=4294967296 \
    -o "$work/catch_at_4gib.wasm" "$here/catch_at_4gib.cpp" "$src/sdk/cxx/libwasmcap_cxx.a"
for tier in fast optimized; do
    got=$(with_status "$build/wasmcap" exec "$work/catch_at_4gib.wasm" --tier "$tier" --memory-limit 4GiB 2>/dev/null)
    compare "catch_at_4gib, $tier tier" "caught 42 at 65536 pages
exit 0" "$got"
done

[ "$status" = 0 ] && echo "ok: cxx-parse on $cases inputs (exec on both tiers, the tool), runtime_cases as native, and a catch at 4 GiB"
exit $status
