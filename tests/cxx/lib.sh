# lib.sh -- what run.sh and v8.sh share, sourced with $build (absolute):
# builds the C++ under test for wasm32 (clang++ -fwasm-exceptions, sdk/cxx's
# runtime, the plugins' flags) and natively (g++, libstdc++) into $work,
# and the helpers that compare their outputs.
src=$(cd "$(dirname "$0")/../.." && pwd)
here=$src/tests/cxx
work=$build/test-cxx
mkdir -p -m 700 "$work" "$work/cache"
export XDG_CACHE_HOME="$work/cache"
cxxflags="-std=c++17 -O2 -Wall -Wextra -Werror"

make -s -C "$src/plugins" cxx-parse/cxx-parse.wasm
parse=$src/plugins/cxx-parse/cxx-parse.wasm
# shellcheck disable=SC2086
g++ $cxxflags -o "$work/cxx-parse-native" "$src/plugins/cxx-parse/cxx-parse.cpp"
# shellcheck disable=SC2086
clang++ --target=wasm32-wasi --sysroot=/usr $cxxflags -fwasm-exceptions -nostdlib++ \
    -o "$work/runtime_cases.wasm" "$here/runtime_cases.cpp" "$src/sdk/cxx/libwasmcap_cxx.a"
# shellcheck disable=SC2086
g++ $cxxflags -o "$work/runtime_cases-native" "$here/runtime_cases.cpp"

# with_status COMMAND...: its stdout, then "exit N"
with_status() {
    if "$@"; then echo "exit 0"; else echo "exit $?"; fi
}

status=0
# compare NAME EXPECTED GOT
compare() {
    if [ "$2" != "$3" ]; then
        printf 'FAIL: %s\n  native: %s\n  wasm:   %s\n' "$1" "$2" "$3"
        status=1
    fi
}
