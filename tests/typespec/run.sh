#!/bin/sh
# run.sh -- the ontology's TypeSpec source still emits the JSON Schemas
# checked in next to it, and they load.
#
#   sh tests/typespec/run.sh SOURCE_DIR BUILD_DIR WASMCAP
#
# Installs @typespec/compiler and @typespec/json-schema (pinned by
# package-lock.json, 1.11.0: the last release that runs on Debian 12's
# Node 20) into BUILD_DIR/typespec with `npm ci`, compiles
# ontology/logistics.tsp with the JSON Schema emitter, and compares the
# emitted files byte for byte with ontology/logistics/.  Then
# `wasmcap check` loads the emitted folder as an ontology.
set -eu

[ $# -eq 3 ] || { echo "usage: sh tests/typespec/run.sh SOURCE_DIR BUILD_DIR WASMCAP" >&2; exit 2; }
src=$1
work=$2/typespec
wasmcap=$3
here=$src/tests/typespec

mkdir -p "$work"
# reinstall when the pins change
if ! cmp -s "$here/package-lock.json" "$work/package-lock.json" || [ ! -x "$work/node_modules/.bin/tsp" ]; then
    cp "$here/package.json" "$here/package-lock.json" "$work/"
    (cd "$work" && npm ci --no-audit --no-fund --loglevel=error) >&2
fi

# TypeSpec finds its libraries from the main file's folder up
rm -rf "$work/project" && mkdir -p "$work/project"
cp "$src/ontology/logistics.tsp" "$work/project/main.tsp"
(cd "$work" && ./node_modules/.bin/tsp compile project/main.tsp --emit @typespec/json-schema \
    --option @typespec/json-schema.file-type=json \
    --option "@typespec/json-schema.emitter-output-dir=$work/project/out") >&2

if ! diff -r "$src/ontology/logistics" "$work/project/out"; then
    echo "run.sh: ontology/logistics/ is not what ontology/logistics.tsp emits (copy $work/project/out/*.json there)" >&2
    exit 1
fi

printf '{"ontology": "%s"}\n' "$work/project/out" > "$work/project/wasmcap.json"
"$wasmcap" check --config "$work/project/wasmcap.json"
echo "typespec: the emitted schemas match ontology/logistics/ and load"
