/* validate_atomic.c -- the immediates of a 0xfe-prefixed instruction (the
 * threads proposal), read and checked, and its operand types for
 * validate.c's stacks. */
#include "engine/atomic_ops.h"
#include "engine/memarg.h"
#include "engine/validate.h"

int wc_validate_atomic(wc_decoder *d, size_t at, wc_simd_sig *out)
{
    int rc;
    uint32_t code;
    if ((rc = wc_dec_u32(d, &code)) != 0)
        return rc;
    d->info->uses_atomics = true;
    const wc_atomic_op *op = wc_atomic_op_find(code);
    if (!op)
        return wc_dec_malformed(d, at, "illegal opcode 0xfe %u", code);
    out->name = op->name;
    out->result = op->result;
    out->noperands = op->noperands;
    for (uint32_t i = 0; i < 3; i++)
        out->operands[i] = op->operands[i];

    if (op->kind == WC_ATOMIC_FENCE) {
        uint8_t flags;
        if ((rc = wc_dec_byte(d, &flags)) != 0)
            return rc;
        if (flags != 0)
            return wc_dec_malformed(d, at, "zero byte expected in atomic.fence");
        return 0;
    }
    wc_memarg arg;
    if ((rc = wc_dec_memarg(d, &arg)) != 0)
        return rc;
    if (arg.memory >= d->nmemories_total)
        return wc_dec_invalid(d, at, "unknown memory %u", arg.memory);
    /* atomics trap when misaligned; the immediate must state exactly the
     * natural alignment */
    if (arg.align != wc_memarg_natural_align(op->bytes))
        return wc_dec_invalid(d, at, "alignment must be equal to natural alignment in %s", op->name);
    bool is64 = wc_dec_memory_is64(d, arg.memory);
    if (!is64 && arg.offset > UINT32_MAX)
        return wc_dec_invalid(d, at, "offset out of range for a 32-bit memory");
    out->operands[0] = is64 ? WC_VT_I64 : WC_VT_I32;
    return 0;
}
