/* emit_names.c -- how the emitter spells WebAssembly things in C: types,
 * globals, tables, memory, constants and constant expressions, and the
 * readers of the (validated) bytes they come from. */
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "engine/emit_internal.h"

const char *wc_emit_ctype(uint8_t vt)
{
    switch (vt) {
    case WC_VT_I32: return "u32";
    case WC_VT_I64: return "u64";
    case WC_VT_F32: return "f32";
    case WC_VT_F64: return "f64";
    case WC_VT_FUNCREF: return "wasm_rt_funcref_t";
    case WC_VT_V128: return "v128";
    default: return "wasm_rt_externref_t";
    }
}

char wc_emit_letter(uint8_t vt)
{
    switch (vt) {
    case WC_VT_I32: return 'i';
    case WC_VT_I64: return 'j';
    case WC_VT_F32: return 'F'; /* f32, f64 and v128 are type names */
    case WC_VT_F64: return 'D';
    case WC_VT_FUNCREF: return 'r';
    case WC_VT_V128: return 'V';
    default: return 'x';
    }
}

const char *wc_emit_field(uint8_t vt)
{
    switch (vt) {
    case WC_VT_I32: return "i32";
    case WC_VT_I64: return "i64";
    case WC_VT_F32: return "f32";
    case WC_VT_F64: return "f64";
    case WC_VT_FUNCREF: return "funcref";
    case WC_VT_V128: return "v128";
    default: return "externref";
    }
}

void wc_emit_return_type(const wc_emit_module *m, uint32_t type, wc_buf *out)
{
    const wc_functype *ft = &m->info->types[type];
    if (ft->nresults == 0)
        wc_buf_str(out, "void");
    else if (ft->nresults == 1)
        wc_buf_str(out, wc_emit_ctype(ft->results[0]));
    else
        wc_buf_printf(out, "R%" PRIu32, type);
}

void wc_emit_signature_qualified(const wc_emit_module *m, uint32_t func, const char *qualifier,
                                 wc_buf *out)
{
    uint32_t type = m->info->func_types[func];
    const wc_functype *ft = &m->info->types[type];
    wc_buf_str(out, "static ");
    wc_emit_return_type(m, type, out);
    /* appended, not formatted: every function's prototype and head */
    wc_buf_str(out, " fn");
    wc_emit_decimal(func, out);
    wc_buf_str(out, "(wc_inst *instance");
    for (uint32_t i = 0; i < ft->nparams; i++) {
        const char *param[4] = {", ", qualifier, wc_emit_ctype(ft->params[i]), " l"};
        for (size_t k = 0; k < 4; k++)
            wc_buf_str(out, param[k]);
        wc_emit_decimal(i, out);
    }
    wc_buf_str(out, ")");
}

void wc_emit_signature(const wc_emit_module *m, uint32_t func, wc_buf *out)
{
    wc_emit_signature_qualified(m, func, "", out);
}

void wc_emit_global(const wc_emit_module *m, uint32_t global, wc_buf *out)
{
    if (global < m->info->nimported_globals)
        wc_buf_printf(out, "(*instance->g%" PRIu32 ")", global);
    else
        wc_buf_printf(out, "instance->g%" PRIu32, global);
}

void wc_emit_table(const wc_emit_module *m, uint32_t table, wc_buf *out)
{
    if (table < m->info->nimported_tables)
        wc_buf_printf(out, "instance->t%" PRIu32, table);
    else
        wc_buf_printf(out, "(&instance->t%" PRIu32 ")", table);
}

const char *wc_emit_memory(const wc_emit_module *m)
{
    return m->memory_imported ? "instance->m0" : "(&instance->m0)";
}

const char *wc_emit_memory_at(const wc_emit_module *m, uint32_t memory)
{
    if (memory == 0 || memory >= m->nmemories_total || !m->memory_names[memory])
        return wc_emit_memory(m);
    return m->memory_names[memory];
}

void wc_emit_decimal(uint64_t n, wc_buf *out)
{
    char digits[20];
    size_t k = sizeof digits;
    do {
        digits[--k] = (char)('0' + n % 10);
        n /= 10;
    } while (n);
    wc_buf_append(out, digits + k, sizeof digits - k);
}

uint64_t wc_emit_u64(const uint8_t *bytes, size_t *pos, size_t end)
{
    uint64_t value = 0;
    for (unsigned shift = 0; *pos < end && shift < 70; shift += 7) {
        uint8_t byte = bytes[(*pos)++];
        if (shift < 64)
            value |= (uint64_t)(byte & 0x7f) << shift;
        if (!(byte & 0x80))
            break;
    }
    return value;
}

uint32_t wc_emit_u32(const uint8_t *bytes, size_t *pos, size_t end)
{
    return (uint32_t)wc_emit_u64(bytes, pos, end);
}

int64_t wc_emit_s64(const uint8_t *bytes, size_t *pos, size_t end, unsigned bits)
{
    uint64_t value = 0;
    unsigned shift = 0;
    uint8_t byte = 0;
    while (*pos < end && shift < 70) {
        byte = bytes[(*pos)++];
        if (shift < 64)
            value |= (uint64_t)(byte & 0x7f) << shift;
        shift += 7;
        if (!(byte & 0x80))
            break;
    }
    if (shift < 64 && (byte & 0x40))
        value |= ~(uint64_t)0 << shift;
    if (bits < 64) { /* the encoding's sign-extended value fits in bits */
        uint64_t mask = ((uint64_t)1 << bits) - 1;
        value &= mask;
        if (value >> (bits - 1))
            value |= ~mask;
    }
    return (int64_t)value;
}

/* Hexadecimal floating constants are exact in both compilers; zeros,
 * infinities and NaNs (whose payload and sign matter) go by their bits. */
void wc_emit_f32_literal(uint32_t bits, wc_buf *out)
{
    float f;
    memcpy(&f, &bits, sizeof f);
    if (isfinite(f) && f != 0.0f)
        wc_buf_printf(out, "(%af)", (double)f);
    else
        wc_buf_printf(out, "F32_FROM(0x%08" PRIx32 "u)", bits);
}

void wc_emit_f64_literal(uint64_t bits, wc_buf *out)
{
    double d;
    memcpy(&d, &bits, sizeof d);
    if (isfinite(d) && d != 0.0)
        wc_buf_printf(out, "(%a)", d);
    else
        wc_buf_printf(out, "F64_FROM(0x%016" PRIx64 "ull)", bits);
}

/* One instruction of a constant expression (its opcode already read) as a
 * C expression. */
static void emit_const_instr(const wc_emit_module *m, uint8_t op, size_t *pos, size_t end,
                             wc_buf *out)
{
    const uint8_t *b = m->info->bytes;
    switch (op) {
    case 0x41:
        wc_buf_printf(out, "%" PRIu32 "u", (uint32_t)wc_emit_s64(b, pos, end, 32));
        break;
    case 0x42:
        wc_buf_printf(out, "%" PRIu64 "ull", (uint64_t)wc_emit_s64(b, pos, end, 64));
        break;
    case 0x43: {
        uint32_t bits = 0;
        if (*pos + 4 <= end)
            memcpy(&bits, b + *pos, 4);
        *pos += 4;
        wc_emit_f32_literal(bits, out);
        break;
    }
    case 0x44: {
        uint64_t bits = 0;
        if (*pos + 8 <= end)
            memcpy(&bits, b + *pos, 8);
        *pos += 8;
        wc_emit_f64_literal(bits, out);
        break;
    }
    case 0xd0:
        if (*pos < end && b[(*pos)++] == WC_VT_FUNCREF)
            wc_buf_str(out, "wasm_rt_funcref_null_value");
        else
            wc_buf_str(out, "((wasm_rt_externref_t)0)");
        break;
    case 0xd2: {
        uint32_t f = wc_emit_u32(b, pos, end);
        wc_buf_printf(out,
                      "((wasm_rt_funcref_t){wc_types[%" PRIu32 "], "
                      "(wasm_rt_function_ptr_t)fn%" PRIu32 ", instance",
                      m->info->func_types[f], f);
        wc_emit_tail_ref(m, f, out);
        wc_buf_str(out, "})");
        break;
    }
    case 0x23:
        wc_emit_global(m, wc_emit_u32(b, pos, end), out);
        break;
    case 0xfd: /* v128.const */
        wc_emit_u32(b, pos, end);
        wc_emit_v128_literal(b, pos, end, out);
        break;
    default: /* not in a valid module */
        *pos = end;
        break;
    }
}

/* The C operator and result type of an extended-const instruction, or NULL. */
static const char *extended_const_op(uint8_t op, const char **ctype)
{
    static const char *const ops[3] = {"+", "-", "*"};
    if (op >= 0x6a && op <= 0x6c) {
        *ctype = "uint32_t";
        return ops[op - 0x6a];
    }
    if (op >= 0x7c && op <= 0x7e) {
        *ctype = "uint64_t";
        return ops[op - 0x7c];
    }
    return NULL;
}

/* An extended constant expression (several instructions, valid: every
 * value is an integer) as a statement expression over an array of
 * temporaries, one per operand-stack height: linear in the expression's
 * length whatever its shape. */
static void emit_extended_const(const wc_emit_module *m, size_t *pos, size_t end, wc_buf *out)
{
    const uint8_t *b = m->info->bytes;
    const char *ctype = "uint64_t";
    uint32_t height = 0;
    wc_buf_printf(out, "({ uint64_t c_[%u]; ", WC_CONST_EXPR_MAX_HEIGHT);
    while (*pos < end) {
        uint8_t op = b[(*pos)++];
        if (op == 0x0b)
            break;
        const char *c_op = extended_const_op(op, &ctype);
        if (c_op && height >= 2) {
            height--;
            wc_buf_printf(out, "c_[%" PRIu32 "] = (%s)(c_[%" PRIu32 "] %s c_[%" PRIu32 "]); ",
                          height - 1, ctype, height - 1, c_op, height);
        } else if (!c_op && height < WC_CONST_EXPR_MAX_HEIGHT) {
            wc_buf_printf(out, "c_[%" PRIu32 "] = ", height++);
            emit_const_instr(m, op, pos, end, out);
            wc_buf_str(out, "; ");
        } else { /* not in a valid module */
            *pos = end;
        }
    }
    wc_buf_printf(out, "(%s)c_[0]; })", ctype);
}

/* Whether the constant expression at pos has more than one instruction
 * before its `end` (extended constant expressions). */
static bool is_extended_const(const wc_emit_module *m, size_t pos, size_t end)
{
    const uint8_t *b = m->info->bytes;
    if (pos >= end)
        return false;
    switch (b[pos++]) {
    case 0x41: case 0x42: wc_emit_s64(b, &pos, end, 64); break;
    case 0x43: pos += 4; break;
    case 0x44: pos += 8; break;
    case 0xd0: pos += 1; break;
    case 0xfd: wc_emit_u32(b, &pos, end); pos += 16; break; /* v128.const */
    default: wc_emit_u32(b, &pos, end); break; /* ref.func, global.get */
    }
    return pos < end && b[pos] != 0x0b;
}

void wc_emit_const_expr(const wc_emit_module *m, size_t *pos, size_t end, wc_buf *out)
{
    const uint8_t *b = m->info->bytes;
    if (is_extended_const(m, *pos, end)) {
        emit_extended_const(m, pos, end, out);
        return;
    }
    size_t len_before = out->len;
    while (*pos < end) {
        uint8_t op = b[(*pos)++];
        if (op == 0x0b) {
            if (out->len == len_before)
                wc_buf_str(out, "0");
            return;
        }
        emit_const_instr(m, op, pos, end, out);
    }
}
