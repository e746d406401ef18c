#!/bin/sh
# big_module.sh -- builds the ~1 MiB benchmark module: SQLite compiled by
# Debian's clang for wasm32-wasi (real toolchain output, 1,362 functions,
# ~1 MiB of code), for the first-call figures of bench_first_call and
# bench_engine at the size issue 17 names.
#
#   sh bench/big_module.sh BUILD_DIR
#
# The amalgamation (sqlite3.c) comes from the npm package better-sqlite3,
# which ships it (npm is a registry this project already uses); the
# version is pinned.  Output: BUILD_DIR/bench-big/sqlite/sqlite.wasm (the
# NAME/NAME.wasm layout bench_engine's --examples reads), then a check
# that it runs (`wasmcap exec` on the fast tier prints 1000, 500500, r999).
# Takes a minute or three: clang -O2 on 250,000 lines.
set -eu

if [ $# -ne 1 ]; then
    echo "usage: sh bench/big_module.sh BUILD_DIR" >&2
    exit 2
fi
src=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "$1" && pwd)
work="$build/bench-big"
out="$work/sqlite/sqlite.wasm"
version=12.4.1
mkdir -p "$work/sqlite"

if [ ! -f "$work/package/deps/sqlite3/sqlite3.c" ]; then
    (cd "$work" && npm pack --silent "better-sqlite3@$version" >/dev/null &&
     tar xzf "better-sqlite3-$version.tgz" package/deps/sqlite3/sqlite3.c \
         package/deps/sqlite3/sqlite3.h)
fi
if [ ! -f "$out" ]; then
    # No threads, extensions, WAL (shared memory) or shared cache under WASI;
    # mmap and getpid come from wasi-libc's emulations.
    ${CLANG:-clang} -O2 --target=wasm32-wasi -I "$work/package/deps/sqlite3" \
        -DSQLITE_THREADSAFE=0 -DSQLITE_OMIT_LOAD_EXTENSION -DSQLITE_OMIT_WAL \
        -DSQLITE_OMIT_SHARED_CACHE -D_WASI_EMULATED_MMAN -D_WASI_EMULATED_GETPID \
        -o "$out.tmp" "$src/bench/big/sqlite_main.c" "$work/package/deps/sqlite3/sqlite3.c" \
        -lwasi-emulated-mman -lwasi-emulated-getpid
    mv "$out.tmp" "$out"
fi
expected=$(printf '1000\n500500\nr999')
got=$("$build/wasmcap" exec --tier fast "$out" </dev/null)
if [ "$got" != "$expected" ]; then
    echo "big_module.sh: $out printed '$got', not '$expected'" >&2
    exit 1
fi
echo "$out: $(wc -c <"$out") bytes, runs"
