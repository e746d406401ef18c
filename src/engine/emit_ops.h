/* emit_ops.h -- private to the emitter: instructions as C templates. */
#ifndef WC_ENGINE_EMIT_OPS_H
#define WC_ENGINE_EMIT_OPS_H

#include <stdint.h>

#include "engine/decode.h"

enum { WC_OP_PURE, WC_OP_SIMPLE, WC_OP_TRAP };

typedef struct wc_numeric_op {
    uint8_t in1, in2, out; /* value types; in2 is 0 for unary operators */
    uint8_t kind;          /* WC_OP_* */
    const char *tmpl;      /* $0, $1: the operands */
} wc_numeric_op;

typedef struct wc_memory_op {
    uint8_t type;     /* the value loaded or stored */
    const char *tmpl; /* loads: the expression, $0 the address; stores: the C type */
} wc_memory_op;

/* 0x45..0xc4, or NULL. */
const wc_numeric_op *wc_emit_numeric(uint8_t op);
/* 0xfc 0..7, or NULL. */
const wc_numeric_op *wc_emit_trunc_sat(uint32_t sub);
/* 0x28..0x3e, or NULL. */
const wc_memory_op *wc_emit_memory_op(uint8_t op);

#endif
