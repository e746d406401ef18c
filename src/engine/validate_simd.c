/* validate_simd.c -- the immediates of a 0xfd-prefixed instruction, read
 * and checked, and its operand types for validate.c's stacks. */
#include "engine/memarg.h"
#include "engine/simd_ops.h"
#include "engine/validate.h"

int wc_validate_simd(wc_decoder *d, size_t at, wc_simd_sig *out)
{
    int rc;
    uint32_t code;
    if ((rc = wc_dec_u32(d, &code)) != 0)
        return rc;
    d->info->uses_simd = true;
    const wc_simd_op *op = wc_simd_op_find(code);
    if (!op)
        return wc_dec_malformed(d, at, "illegal opcode 0xfd %u", code);
    out->name = op->name;
    out->result = op->result;
    out->noperands = op->noperands;
    for (uint32_t i = 0; i < 3; i++)
        out->operands[i] = op->operands[i];

    /* Every immediate is read before any is judged: a module both
     * malformed and invalid is malformed. */
    wc_memarg arg = {0};
    uint8_t lane = 0;
    bool bad_lane = false;
    bool memory = op->kind == WC_SIMD_LOAD || op->kind == WC_SIMD_STORE ||
                  op->kind == WC_SIMD_LOAD_LANE || op->kind == WC_SIMD_STORE_LANE;
    if (memory && (rc = wc_dec_memarg(d, &arg)) != 0)
        return rc;
    switch (op->kind) {
    case WC_SIMD_LANE:
    case WC_SIMD_LOAD_LANE:
    case WC_SIMD_STORE_LANE:
        if ((rc = wc_dec_byte(d, &lane)) != 0)
            return rc;
        bad_lane = lane >= op->lanes;
        break;
    case WC_SIMD_SHUFFLE:
        for (int i = 0; i < 16; i++) {
            if ((rc = wc_dec_byte(d, &lane)) != 0)
                return rc;
            bad_lane |= lane >= 32;
        }
        break;
    case WC_SIMD_CONST:
        if ((rc = wc_dec_skip(d, 16)) != 0)
            return rc;
        break;
    default:
        break;
    }

    if (op->relaxed && !wc_feature_enabled(&d->limits, WC_FEATURE_RELAXED_SIMD))
        return wc_dec_unsupported(d, at, "%s needs relaxed SIMD (relaxed-simd), which is not enabled",
                                  op->name);
    if (memory) {
        if (arg.memory >= d->nmemories_total)
            return wc_dec_invalid(d, at, "unknown memory %u", arg.memory);
        if (arg.align > wc_memarg_natural_align(op->bytes))
            return wc_dec_invalid(d, at, "alignment must not be larger than natural");
        /* the address is the memory's index type, as for scalar accesses */
        if (wc_dec_memory_is64(d, arg.memory))
            out->operands[0] = WC_VT_I64;
        else if (arg.offset > UINT32_MAX)
            return wc_dec_invalid(d, at, "offset out of range for a 32-bit memory");
    }
    if (bad_lane)
        return wc_dec_invalid(d, at, "invalid lane index in %s", op->name);
    return 0;
}
