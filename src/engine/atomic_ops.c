/* atomic_ops.c -- the table of atomic instructions (atomic_ops.h). */
#include <stddef.h>

#include "engine/atomic_ops.h"
#include "engine/decode.h"

#define I WC_VT_I32
#define L WC_VT_I64
#define N 0
#define COUNT(a, b, c) ((c) ? 3 : (b) ? 2 : (a) ? 1 : 0)

static const wc_atomic_op ops[] = {
#define WC_ATOMIC_OP(code, name, kind, bytes, helper, r, a, b, c)                                      \
    {code, name, #helper, WC_ATOMIC_##kind, bytes, r, {a, b, c}, COUNT(a, b, c)},
#include "engine/runtime/atomic_ops.def"
#undef WC_ATOMIC_OP
};

const wc_atomic_op *wc_atomic_op_find(uint32_t code)
{
    /* the table is in opcode order: 0x00..0x03, then 0x10..0x4e densely */
    size_t index = code < 4 ? code : code >= 0x10 ? code - 0x10 + 4 : SIZE_MAX;
    if (index >= sizeof ops / sizeof ops[0] || ops[index].code != code)
        return NULL;
    return &ops[index];
}
