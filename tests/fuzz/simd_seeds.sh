#!/bin/sh
# simd_seeds.sh -- writes the decode fuzzer's SIMD seeds into
# tests/fuzz/corpus/decode (fuzz_decode.c: decode -> validate -> emit ->
# libtcc compiles both units): every 0xfd instruction once.
#
# - simd_ops_<n>.bin: the instructions of runtime/simd_ops.def, a function
#   each over its operands (parameters) with its immediate, in four modules
#   by opcode range (a small seed is what a fuzzer mutates best);
# - simd_memory.bin: every SIMD load and store on memory 0, memory 1 and a
#   64-bit memory, with offsets, and v128 through the emitter's other paths
#   (constants, globals, locals, select, blocks and branches, calls).
#
#   sh tests/fuzz/simd_seeds.sh        (from anywhere; needs wat2wasm)
set -eu

root=$(cd "$(dirname "$0")/../.." && pwd)
out=$root/tests/fuzz/corpus/decode
tmp=$(mktemp -d "${TMPDIR:-/tmp}/simd_seeds.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# One module per opcode range: 0x0d-0x4c, 0x4d-0x9f, 0xa0-0xff, 0x100 on.
awk -v dir="$tmp" '
    function hex(s,    v, i) {
        v = 0
        s = tolower(substr(s, 3))
        for (i = 1; i <= length(s); i++)
            v = v * 16 + index("0123456789abcdef", substr(s, i, 1)) - 1
        return v
    }
    function type(letter) {
        if (letter == "V") return "v128"
        if (letter == "I") return "i32"
        if (letter == "L") return "i64"
        return letter == "F" ? "f32" : "f64"
    }
    /^WC_SIMD_OP\(/ {
        line = $0
        sub(/^WC_SIMD_OP\(/, "", line)
        sub(/\)[^)]*$/, "", line)
        n = split(line, f, /, */)
        code = hex(f[1]); name = f[3]; gsub(/"/, "", name)
        imm = f[4]; lanes = f[5]; result = f[6]
        group = code < 77 ? 1 : code < 160 ? 2 : code < 256 ? 3 : 4
        file = dir "/simd_ops_" group ".wat"
        params = ""; gets = ""
        for (i = 7; i <= 9; i++)
            if (f[i] != "N") {
                params = params " " type(f[i])
                gets = gets " (local.get " (i - 7) ")"
            }
        immediate = ""
        if (imm == "LANE") immediate = " " (lanes - 1)
        if (imm == "SHUFFLE") immediate = " 0 17 2 19 4 21 6 23 8 25 10 27 12 29 14 31"
        printf "  (func (param%s) (result %s)%s (%s%s))\n", params, type(result), gets, name, immediate >> file
    }
' "$root/src/engine/runtime/simd_ops.def"

for n in 1 2 3 4; do
    { echo "(module"; cat "$tmp/simd_ops_$n.wat"; echo ")"; } >"$tmp/simd_ops_$n.full.wat"
done

# Every memory access on three memories: 0, 1, and 2 (64-bit).
{
    echo "(module (memory 1) (memory 1) (memory i64 1)"
    echo "  (global \$g (mut v128) (v128.const i32x4 1 2 3 4))"
    for mem in 0 1 2; do
        at=i32
        [ "$mem" = 2 ] && at=i64
        echo "  (func (param $at v128) (result v128)"
        for op in load load8x8_s load8x8_u load16x4_s load16x4_u load32x2_s load32x2_u \
                  load8_splat load16_splat load32_splat load64_splat load32_zero load64_zero; do
            echo "    (drop (v128.$op $mem offset=3 (local.get 0)))"
        done
        for lane in "8 15" "16 7" "32 3" "64 1"; do
            set -- $lane
            echo "    (drop (v128.load$1_lane $mem offset=5 $2 (local.get 0) (local.get 1)))"
            echo "    (v128.store$1_lane $mem $2 (local.get 0) (local.get 1))"
        done
        echo "    (v128.store $mem offset=16 (local.get 0) (local.get 1))"
        echo "    (v128.load $mem (local.get 0)))"
    done
    # v128 through locals, globals, select, blocks, branches and calls
    echo "  (func \$pick (param v128 v128 i32) (result v128)"
    echo "    (local \$t v128)"
    echo "    (local.set \$t (select (local.get 0) (local.get 1) (local.get 2)))"
    echo "    (global.set \$g (local.tee \$t (i32x4.add (local.get \$t) (global.get \$g))))"
    echo "    (block (result v128)"
    echo "      (br_if 0 (local.get \$t) (local.get 2))"
    echo "      (drop)"
    echo "      (loop (result v128)"
    echo "        (local.set \$t (i8x16.shuffle 1 0 3 2 5 4 7 6 9 8 11 10 13 12 15 14 (local.get \$t) (local.get 0)))"
    echo "        (br_if 0 (i32.eqz (v128.any_true (local.get \$t))))"
    echo "        (v128.const i64x2 -1 0x7fffffffffffffff))))"
    echo "  (func (export \"f\") (param v128 i32) (result v128)"
    echo "    (call \$pick (local.get 0) (i32x4.splat (local.get 1)) (local.get 1)))"
    echo ")"
} >"$tmp/simd_memory.full.wat"

for w in simd_ops_1 simd_ops_2 simd_ops_3 simd_ops_4 simd_memory; do
    wat2wasm --enable-all "$tmp/$w.full.wat" -o "$out/$w.bin"
    echo "$out/$w.bin: $(wc -c <"$out/$w.bin") bytes"
done
