#!/bin/sh
# run.sh -- `wasmcap gen c`: the header checked in as plugins/ontology.h is
# what the ontology generates today; generated headers compile with
# Debian's clang for wasm32-wasi as plugins build (-Wall -Wextra -Werror);
# and a plugin writing a field the ontology lacks, or a value of the wrong
# type, does not.
#
#   sh tests/gen/run.sh SOURCE_DIR BUILD_DIR WASMCAP
set -eu

[ $# -eq 3 ] || { echo "usage: sh tests/gen/run.sh SOURCE_DIR BUILD_DIR WASMCAP" >&2; exit 2; }
src=$1
work=$2/gen
wasmcap=$3
rm -rf "$work" && mkdir -p "$work"

"$wasmcap" gen c "$src/ontology" > "$work/ontology.h"
if ! diff -u "$src/plugins/ontology.h" "$work/ontology.h"; then
    echo "run.sh: plugins/ontology.h is not what \`wasmcap gen c ontology\` writes (make -C plugins ontology-header)" >&2
    exit 1
fi

CLANG=${CLANG:-clang}
flags="--target=wasm32-wasi --sysroot=/usr -O2 -Wall -Wextra -Werror -mexec-model=reactor -I$src/sdk/c -I$work"
$CLANG $flags -o "$work/good.wasm" "$src/tests/gen/good.c"

expect_failure() {
    if $CLANG $flags -o "$work/$1.wasm" "$src/tests/gen/$1.c" 2>"$work/$1.log"; then
        echo "run.sh: $1.c compiled, but it writes $2" >&2
        exit 1
    fi
    if ! grep -q "$3" "$work/$1.log"; then
        echo "run.sh: $1.c failed for another reason than $2:" >&2
        cat "$work/$1.log" >&2
        exit 1
    fi
}
expect_failure wrong_field "a field the ontology lacks" "stockout_percentage"
expect_failure wrong_type "a string where the ontology has a number" "current_stock\|incompatible"
echo "gen: ontology.h is current, compiles for wasm32-wasi, and refuses a wrong field and a wrong type"
