/* validate.c -- validation of function bodies and constant expressions.
 *
 * Function bodies are checked in one pass with the operand and control
 * stacks of the validation algorithm in the appendix of the WebAssembly
 * specification: each instruction pops the types it consumes and pushes
 * those it produces, and after an unconditional branch the stack becomes
 * polymorphic (pops of an emptied frame yield "unknown").  The same pass
 * decodes the instructions, so malformed encodings are found here too.
 *
 * Work per instruction is bounded by the maximum arity of a function type,
 * and the stacks by configured limits, so the cost stays linear in the size
 * of the module.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/validate.h"
#include "engine/memarg.h"
#include "util/grow.h"

#define TRY(expr)                \
    do {                         \
        int rc_ = (expr);        \
        if (rc_ != 0)            \
            return rc_;          \
    } while (0)

/* ---- opcode names, for error messages ----------------------------------- */

static const char *const opcode_names[256] = {
    [0x00] = "unreachable", [0x01] = "nop", [0x02] = "block", [0x03] = "loop",
    [0x04] = "if", [0x05] = "else", [0x0b] = "end", [0x0c] = "br", [0x0d] = "br_if",
    [0x0e] = "br_table", [0x0f] = "return", [0x10] = "call", [0x11] = "call_indirect",
    [0x12] = "return_call", [0x13] = "return_call_indirect",
    [0x1a] = "drop", [0x1b] = "select", [0x1c] = "select", [0x20] = "local.get",
    [0x21] = "local.set", [0x22] = "local.tee", [0x23] = "global.get",
    [0x24] = "global.set", [0x25] = "table.get", [0x26] = "table.set",
    [0x28] = "i32.load", [0x29] = "i64.load", [0x2a] = "f32.load", [0x2b] = "f64.load",
    [0x2c] = "i32.load8_s", [0x2d] = "i32.load8_u", [0x2e] = "i32.load16_s",
    [0x2f] = "i32.load16_u", [0x30] = "i64.load8_s", [0x31] = "i64.load8_u",
    [0x32] = "i64.load16_s", [0x33] = "i64.load16_u", [0x34] = "i64.load32_s",
    [0x35] = "i64.load32_u", [0x36] = "i32.store", [0x37] = "i64.store",
    [0x38] = "f32.store", [0x39] = "f64.store", [0x3a] = "i32.store8",
    [0x3b] = "i32.store16", [0x3c] = "i64.store8", [0x3d] = "i64.store16",
    [0x3e] = "i64.store32", [0x3f] = "memory.size", [0x40] = "memory.grow",
    [0x41] = "i32.const", [0x42] = "i64.const", [0x43] = "f32.const", [0x44] = "f64.const",
    [0x45] = "i32.eqz", [0x46] = "i32.eq", [0x47] = "i32.ne", [0x48] = "i32.lt_s",
    [0x49] = "i32.lt_u", [0x4a] = "i32.gt_s", [0x4b] = "i32.gt_u", [0x4c] = "i32.le_s",
    [0x4d] = "i32.le_u", [0x4e] = "i32.ge_s", [0x4f] = "i32.ge_u", [0x50] = "i64.eqz",
    [0x51] = "i64.eq", [0x52] = "i64.ne", [0x53] = "i64.lt_s", [0x54] = "i64.lt_u",
    [0x55] = "i64.gt_s", [0x56] = "i64.gt_u", [0x57] = "i64.le_s", [0x58] = "i64.le_u",
    [0x59] = "i64.ge_s", [0x5a] = "i64.ge_u", [0x5b] = "f32.eq", [0x5c] = "f32.ne",
    [0x5d] = "f32.lt", [0x5e] = "f32.gt", [0x5f] = "f32.le", [0x60] = "f32.ge",
    [0x61] = "f64.eq", [0x62] = "f64.ne", [0x63] = "f64.lt", [0x64] = "f64.gt",
    [0x65] = "f64.le", [0x66] = "f64.ge", [0x67] = "i32.clz", [0x68] = "i32.ctz",
    [0x69] = "i32.popcnt", [0x6a] = "i32.add", [0x6b] = "i32.sub", [0x6c] = "i32.mul",
    [0x6d] = "i32.div_s", [0x6e] = "i32.div_u", [0x6f] = "i32.rem_s", [0x70] = "i32.rem_u",
    [0x71] = "i32.and", [0x72] = "i32.or", [0x73] = "i32.xor", [0x74] = "i32.shl",
    [0x75] = "i32.shr_s", [0x76] = "i32.shr_u", [0x77] = "i32.rotl", [0x78] = "i32.rotr",
    [0x79] = "i64.clz", [0x7a] = "i64.ctz", [0x7b] = "i64.popcnt", [0x7c] = "i64.add",
    [0x7d] = "i64.sub", [0x7e] = "i64.mul", [0x7f] = "i64.div_s", [0x80] = "i64.div_u",
    [0x81] = "i64.rem_s", [0x82] = "i64.rem_u", [0x83] = "i64.and", [0x84] = "i64.or",
    [0x85] = "i64.xor", [0x86] = "i64.shl", [0x87] = "i64.shr_s", [0x88] = "i64.shr_u",
    [0x89] = "i64.rotl", [0x8a] = "i64.rotr", [0x8b] = "f32.abs", [0x8c] = "f32.neg",
    [0x8d] = "f32.ceil", [0x8e] = "f32.floor", [0x8f] = "f32.trunc", [0x90] = "f32.nearest",
    [0x91] = "f32.sqrt", [0x92] = "f32.add", [0x93] = "f32.sub", [0x94] = "f32.mul",
    [0x95] = "f32.div", [0x96] = "f32.min", [0x97] = "f32.max", [0x98] = "f32.copysign",
    [0x99] = "f64.abs", [0x9a] = "f64.neg", [0x9b] = "f64.ceil", [0x9c] = "f64.floor",
    [0x9d] = "f64.trunc", [0x9e] = "f64.nearest", [0x9f] = "f64.sqrt", [0xa0] = "f64.add",
    [0xa1] = "f64.sub", [0xa2] = "f64.mul", [0xa3] = "f64.div", [0xa4] = "f64.min",
    [0xa5] = "f64.max", [0xa6] = "f64.copysign", [0xa7] = "i32.wrap_i64",
    [0xa8] = "i32.trunc_f32_s", [0xa9] = "i32.trunc_f32_u", [0xaa] = "i32.trunc_f64_s",
    [0xab] = "i32.trunc_f64_u", [0xac] = "i64.extend_i32_s", [0xad] = "i64.extend_i32_u",
    [0xae] = "i64.trunc_f32_s", [0xaf] = "i64.trunc_f32_u", [0xb0] = "i64.trunc_f64_s",
    [0xb1] = "i64.trunc_f64_u", [0xb2] = "f32.convert_i32_s", [0xb3] = "f32.convert_i32_u",
    [0xb4] = "f32.convert_i64_s", [0xb5] = "f32.convert_i64_u", [0xb6] = "f32.demote_f64",
    [0xb7] = "f64.convert_i32_s", [0xb8] = "f64.convert_i32_u", [0xb9] = "f64.convert_i64_s",
    [0xba] = "f64.convert_i64_u", [0xbb] = "f64.promote_f32", [0xbc] = "i32.reinterpret_f32",
    [0xbd] = "i64.reinterpret_f64", [0xbe] = "f32.reinterpret_i32",
    [0xbf] = "f64.reinterpret_i64", [0xc0] = "i32.extend8_s", [0xc1] = "i32.extend16_s",
    [0xc2] = "i64.extend8_s", [0xc3] = "i64.extend16_s", [0xc4] = "i64.extend32_s",
    [0xd0] = "ref.null", [0xd1] = "ref.is_null", [0xd2] = "ref.func",
};

static const char *const prefixed_names[18] = {
    "i32.trunc_sat_f32_s", "i32.trunc_sat_f32_u", "i32.trunc_sat_f64_s",
    "i32.trunc_sat_f64_u", "i64.trunc_sat_f32_s", "i64.trunc_sat_f32_u",
    "i64.trunc_sat_f64_s", "i64.trunc_sat_f64_u", "memory.init", "data.drop",
    "memory.copy", "memory.fill", "table.init", "elem.drop", "table.copy",
    "table.grow", "table.size", "table.fill",
};

/* The highest 0xfc-prefixed opcode of WebAssembly 2.0. */
#define LAST_PREFIXED_OPCODE 17

/* ---- numeric instructions: their types by opcode ------------------------- */

typedef struct numeric_sig {
    uint8_t in1, in2, out; /* in2 is 0 for unary operators */
} numeric_sig;

static bool numeric_signature(uint8_t op, numeric_sig *s)
{
    enum { I = WC_VT_I32, L = WC_VT_I64, F = WC_VT_F32, D = WC_VT_F64 };
    static const struct {
        uint8_t first, last;
        numeric_sig sig;
    } ranges[] = {
        {0x45, 0x45, {I, 0, I}}, {0x46, 0x4f, {I, I, I}}, {0x50, 0x50, {L, 0, I}},
        {0x51, 0x5a, {L, L, I}}, {0x5b, 0x60, {F, F, I}}, {0x61, 0x66, {D, D, I}},
        {0x67, 0x69, {I, 0, I}}, {0x6a, 0x78, {I, I, I}}, {0x79, 0x7b, {L, 0, L}},
        {0x7c, 0x8a, {L, L, L}}, {0x8b, 0x91, {F, 0, F}}, {0x92, 0x98, {F, F, F}},
        {0x99, 0x9f, {D, 0, D}}, {0xa0, 0xa6, {D, D, D}}, {0xa7, 0xa7, {L, 0, I}},
        {0xa8, 0xa9, {F, 0, I}}, {0xaa, 0xab, {D, 0, I}}, {0xac, 0xad, {I, 0, L}},
        {0xae, 0xaf, {F, 0, L}}, {0xb0, 0xb1, {D, 0, L}}, {0xb2, 0xb3, {I, 0, F}},
        {0xb4, 0xb5, {L, 0, F}}, {0xb6, 0xb6, {D, 0, F}}, {0xb7, 0xb8, {I, 0, D}},
        {0xb9, 0xba, {L, 0, D}}, {0xbb, 0xbb, {F, 0, D}}, {0xbc, 0xbc, {F, 0, I}},
        {0xbd, 0xbd, {D, 0, L}}, {0xbe, 0xbe, {I, 0, F}}, {0xbf, 0xbf, {L, 0, D}},
        {0xc0, 0xc1, {I, 0, I}}, {0xc2, 0xc4, {L, 0, L}},
    };
    for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++)
        if (op >= ranges[i].first && op <= ranges[i].last) {
            *s = ranges[i].sig;
            return true;
        }
    return false;
}

/* Saturating truncations, 0xfc 0..7. */
static numeric_sig trunc_sat_signature(uint32_t sub)
{
    static const numeric_sig sigs[8] = {
        {WC_VT_F32, 0, WC_VT_I32}, {WC_VT_F32, 0, WC_VT_I32}, {WC_VT_F64, 0, WC_VT_I32},
        {WC_VT_F64, 0, WC_VT_I32}, {WC_VT_F32, 0, WC_VT_I64}, {WC_VT_F32, 0, WC_VT_I64},
        {WC_VT_F64, 0, WC_VT_I64}, {WC_VT_F64, 0, WC_VT_I64},
    };
    return sigs[sub];
}

/* Memory accesses: type and natural alignment (log2) by opcode. */
typedef struct memop {
    uint8_t type;
    uint8_t max_align;
} memop;

static memop memory_access(uint8_t op)
{
    static const memop ops[] = {
        /* loads 0x28..0x35 */
        {WC_VT_I32, 2}, {WC_VT_I64, 3}, {WC_VT_F32, 2}, {WC_VT_F64, 3},
        {WC_VT_I32, 0}, {WC_VT_I32, 0}, {WC_VT_I32, 1}, {WC_VT_I32, 1},
        {WC_VT_I64, 0}, {WC_VT_I64, 0}, {WC_VT_I64, 1}, {WC_VT_I64, 1},
        {WC_VT_I64, 2}, {WC_VT_I64, 2},
        /* stores 0x36..0x3e */
        {WC_VT_I32, 2}, {WC_VT_I64, 3}, {WC_VT_F32, 2}, {WC_VT_F64, 3},
        {WC_VT_I32, 0}, {WC_VT_I32, 1}, {WC_VT_I64, 0}, {WC_VT_I64, 1},
        {WC_VT_I64, 2},
    };
    return ops[op - 0x28];
}

/* Every opcode of WebAssembly 2.0 outside the 0xfc and 0xfd prefixes. */
static bool is_known_opcode(uint8_t op)
{
    return opcode_names[op] != NULL;
}

/* ---- the validator --------------------------------------------------------- */

typedef struct ctrl_frame {
    uint8_t opcode; /* block, loop, if, else; 0 for the function itself */
    bool unreachable;
    uint32_t br_table_seen; /* br_table_round that last checked this label */
    uint32_t tries; /* try and catch frames open here, this one included */
    size_t height; /* of the operand stack when the frame was entered */
    uint32_t nparams, nresults;
    const uint8_t *params, *results;
} ctrl_frame;

/* Parameters and locals as runs of one type, so a function declaring
 * 2^32-1 locals in five bytes costs five bytes of memory. */
typedef struct local_run {
    uint64_t end; /* one past the last index of the run */
    uint8_t type;
} local_run;

typedef struct validator {
    wc_decoder *d;
    size_t op_at;      /* offset of the instruction being validated */
    const char *op;    /* its name */

    uint8_t *vals;
    size_t nvals, vals_cap;
    ctrl_frame *ctrls;
    size_t nctrls, ctrls_cap;
    local_run *locals;
    size_t nlocal_runs, locals_cap;
    size_t *loops;
    size_t nloops, loops_cap;
    size_t *backedges;
    size_t nbackedges, backedges_cap;
    uint8_t *scratch; /* br_table's popped label values */
    size_t scratch_cap;
    uint32_t br_table_round; /* numbers br_table instructions */
    bool tail_calls;           /* the function has made a tail call */
} validator;

static int type_mismatch(validator *v, uint8_t expected, uint8_t actual, bool nothing)
{
    if (nothing)
        return wc_dec_invalid(v->d, v->op_at, "type mismatch in %s, expected %s but nothing on the stack",
                              v->op, wc_valtype_name(expected));
    return wc_dec_invalid(v->d, v->op_at, "type mismatch in %s, expected %s got %s", v->op,
                          wc_valtype_name(expected), wc_valtype_name(actual));
}

static int push(validator *v, uint8_t type)
{
    if (v->nvals >= v->d->limits.max_stack_height)
        return wc_dec_limit(v->d, v->op_at, "operand stack exceeds the limit of %u values",
                            v->d->limits.max_stack_height);
    if (!wc_grow((void **)&v->vals, &v->vals_cap, v->nvals + 1, 1))
        return wc_dec_nomem(v->d);
    v->vals[v->nvals++] = type;
    return 0;
}

static int push_all(validator *v, const uint8_t *types, uint32_t n)
{
    if (n == 0)
        return 0;
    if (n > v->d->limits.max_stack_height - (v->nvals < v->d->limits.max_stack_height
                                                 ? v->nvals : v->d->limits.max_stack_height))
        return wc_dec_limit(v->d, v->op_at, "operand stack exceeds the limit of %u values",
                            v->d->limits.max_stack_height);
    if (!wc_grow((void **)&v->vals, &v->vals_cap, v->nvals + n, 1))
        return wc_dec_nomem(v->d);
    memcpy(v->vals + v->nvals, types, n);
    v->nvals += n;
    return 0;
}

/* Pops one value; `expected` (or WC_VT_UNKNOWN for any) is for the message. */
static int pop_any(validator *v, uint8_t expected, uint8_t *out)
{
    *out = WC_VT_UNKNOWN;
    ctrl_frame *frame = &v->ctrls[v->nctrls - 1];
    if (v->nvals == frame->height) {
        if (frame->unreachable) {
            *out = WC_VT_UNKNOWN;
            return 0;
        }
        return type_mismatch(v, expected, WC_VT_UNKNOWN, true);
    }
    *out = v->vals[--v->nvals];
    return 0;
}

static int pop_expect(validator *v, uint8_t expected)
{
    uint8_t actual;
    TRY(pop_any(v, expected, &actual));
    if (actual != expected && actual != WC_VT_UNKNOWN && expected != WC_VT_UNKNOWN)
        return type_mismatch(v, expected, actual, false);
    return 0;
}

static int pop_all(validator *v, const uint8_t *types, uint32_t n)
{
    if (n == 0)
        return 0;
    /* The common case: exactly the expected types, all known. */
    if (v->nvals - v->ctrls[v->nctrls - 1].height >= n &&
        memcmp(v->vals + v->nvals - n, types, n) == 0) {
        v->nvals -= n;
        return 0;
    }
    for (uint32_t i = n; i-- > 0;)
        TRY(pop_expect(v, types[i]));
    return 0;
}

static int push_ctrl(validator *v, uint8_t opcode, const uint8_t *params, uint32_t nparams,
                     const uint8_t *results, uint32_t nresults)
{
    /* The function's own frame does not count as nesting. */
    if (v->nctrls > v->d->limits.max_block_depth)
        return wc_dec_limit(v->d, v->op_at, "blocks nested deeper than the limit of %u",
                            v->d->limits.max_block_depth);
    /* each open try holds a handler on the native stack (emit_exceptions.c) */
    bool is_try = opcode == 0x06 || opcode == 0x07 || opcode == 0x19;
    uint32_t tries = (v->nctrls ? v->ctrls[v->nctrls - 1].tries : 0) + is_try;
    if (tries > WC_MAX_OPEN_TRIES)
        return wc_dec_limit(v->d, v->op_at, "tries nested deeper than the limit of %u",
                            WC_MAX_OPEN_TRIES);
    if (!wc_grow((void **)&v->ctrls, &v->ctrls_cap, v->nctrls + 1, sizeof *v->ctrls))
        return wc_dec_nomem(v->d);
    v->ctrls[v->nctrls++] = (ctrl_frame){
        .opcode = opcode,
        .tries = tries,
        .height = v->nvals,
        .params = params,
        .nparams = nparams,
        .results = results,
        .nresults = nresults,
    };
    return push_all(v, params, nparams);
}

static int pop_ctrl(validator *v, ctrl_frame *out)
{
    ctrl_frame *frame = &v->ctrls[v->nctrls - 1];
    TRY(pop_all(v, frame->results, frame->nresults));
    if (v->nvals != frame->height)
        return wc_dec_invalid(v->d, v->op_at,
                              "type mismatch in %s, %zu values left on the stack at the end of the block",
                              v->op, v->nvals - frame->height);
    *out = *frame;
    v->nctrls--;
    return 0;
}

static void set_unreachable(validator *v)
{
    ctrl_frame *frame = &v->ctrls[v->nctrls - 1];
    v->nvals = frame->height;
    frame->unreachable = true;
}

/* A branch target: the label's frame and the types a branch carries. */
static int label(validator *v, uint32_t depth, const uint8_t **types, uint32_t *n)
{
    *types = NULL;
    *n = 0;
    if (depth >= v->nctrls)
        return wc_dec_invalid(v->d, v->op_at, "unknown label %u", depth);
    ctrl_frame *frame = &v->ctrls[v->nctrls - 1 - depth];
    if (frame->opcode == 0x03) {
        /* A branch back to a loop: the instrumentation checks the interrupt
         * flag just before it (once per instruction, br_table included). */
        if (v->nbackedges == 0 || v->backedges[v->nbackedges - 1] != v->op_at) {
            if (!wc_grow((void **)&v->backedges, &v->backedges_cap, v->nbackedges + 1,
                         sizeof *v->backedges))
                return wc_dec_nomem(v->d);
            v->backedges[v->nbackedges++] = v->op_at;
        }
        *types = frame->params;
        *n = frame->nparams;
    } else {
        *types = frame->results;
        *n = frame->nresults;
    }
    return 0;
}

/* ---- immediates ------------------------------------------------------------ */

static int read_blocktype(validator *v, const uint8_t **params, uint32_t *nparams,
                          const uint8_t **results, uint32_t *nresults)
{
    wc_decoder *d = v->d;
    *params = *results = NULL;
    *nparams = *nresults = 0;
    if (d->pos >= d->end)
        return wc_dec_malformed(d, d->pos, "unexpected end");
    uint8_t b = d->bytes[d->pos];
    if (b == 0x40) {
        d->pos++;
        return 0;
    }
    if ((b & 0xc0) == 0x40) {
        /* A one-byte negative number: a single value type, whose byte in the
         * module serves as the one-element result list. */
        *results = d->bytes + d->pos;
        *nresults = 1;
        uint8_t vt;
        return wc_dec_valtype(d, &vt);
    }
    size_t at = d->pos;
    int64_t index;
    TRY(wc_dec_s33(d, &index));
    if (index < 0)
        return wc_dec_malformed(d, at, "malformed block type");
    if ((uint64_t)index >= d->info->ntypes)
        return wc_dec_invalid(d, at, "unknown type %lld", (long long)index);
    const wc_functype *t = &d->info->types[index];
    *params = t->params;
    *nparams = t->nparams;
    *results = t->results;
    *nresults = t->nresults;
    return 0;
}

/* A memory index immediate (memory.size, grow, init, copy, fill): a zero
 * byte in 2.0, any index with multi-memory. */
static int read_memory_index(validator *v, uint32_t *memory)
{
    if (wc_feature_enabled(&v->d->limits, WC_FEATURE_MULTI_MEMORY))
        return wc_dec_u32(v->d, memory);
    uint8_t b;
    TRY(wc_dec_byte(v->d, &b));
    if (b != 0)
        return wc_dec_malformed(v->d, v->d->pos - 1, "zero byte expected in %s", v->op);
    *memory = 0;
    return 0;
}

static int need_memory(validator *v, uint32_t memory)
{
    if (memory >= v->d->nmemories_total)
        return wc_dec_invalid(v->d, v->op_at, "unknown memory %u", memory);
    return 0;
}

static int read_table(validator *v, uint32_t *table)
{
    TRY(wc_dec_u32(v->d, table));
    if (*table >= v->d->ntables_total)
        return wc_dec_invalid(v->d, v->op_at, "unknown table %u", *table);
    return 0;
}

/* The type of memory `memory`'s addresses: i64 with memory64. */
static uint8_t address_type(validator *v, uint32_t memory)
{
    return wc_dec_memory_is64(v->d, memory) ? WC_VT_I64 : WC_VT_I32;
}

/* Reads a memarg; *address is the type of the access's address. */
static int read_memarg(validator *v, uint8_t max_align, uint8_t *address)
{
    wc_memarg arg;
    TRY(wc_dec_memarg(v->d, &arg));
    TRY(need_memory(v, arg.memory));
    if (arg.align > max_align)
        return wc_dec_invalid(v->d, v->op_at, "alignment must not be larger than natural");
    *address = address_type(v, arg.memory);
    if (*address == WC_VT_I32 && arg.offset > UINT32_MAX)
        return wc_dec_invalid(v->d, v->op_at, "offset out of range for a 32-bit memory");
    return 0;
}

static int local_type(validator *v, uint32_t index, uint8_t *type)
{
    size_t lo = 0, hi = v->nlocal_runs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v->locals[mid].end <= index)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == v->nlocal_runs)
        return wc_dec_invalid(v->d, v->op_at, "unknown local %u", index);
    *type = v->locals[lo].type;
    return 0;
}

static int add_locals(validator *v, uint64_t count, uint8_t type)
{
    if (count == 0)
        return 0;
    uint64_t start = v->nlocal_runs ? v->locals[v->nlocal_runs - 1].end : 0;
    if (!wc_grow((void **)&v->locals, &v->locals_cap, v->nlocal_runs + 1, sizeof *v->locals))
        return wc_dec_nomem(v->d);
    v->locals[v->nlocal_runs++] = (local_run){.end = start + count, .type = type};
    return 0;
}

/* ---- instructions ---------------------------------------------------------- */

/* A number or a vector: what an untyped select takes. */
static bool is_num(uint8_t t)
{
    return t == WC_VT_I32 || t == WC_VT_I64 || t == WC_VT_F32 || t == WC_VT_F64 ||
           t == WC_VT_V128 || t == WC_VT_UNKNOWN;
}

static bool is_ref(uint8_t t)
{
    return t == WC_VT_FUNCREF || t == WC_VT_EXTERNREF || t == WC_VT_UNKNOWN;
}

static int validate_br_table(validator *v)
{
    wc_decoder *d = v->d;
    uint32_t n;
    size_t at = d->pos;
    TRY(wc_dec_u32(d, &n));
    if (n > d->end - d->pos)
        return wc_dec_malformed(d, at, "unexpected end: br_table of %u labels", n);
    /* The default label comes last but sets the arity the others must
     * share: skip to it first, then read the labels again. */
    size_t labels_at = d->pos;
    uint32_t depth;
    for (uint32_t i = 0; i < n; i++)
        TRY(wc_dec_u32(d, &depth));
    TRY(wc_dec_u32(d, &depth));
    size_t after = d->pos;
    TRY(pop_expect(v, WC_VT_I32));
    const uint8_t *default_types;
    uint32_t arity;
    TRY(label(v, depth, &default_types, &arity));
    if (!wc_grow((void **)&v->scratch, &v->scratch_cap, arity, 1))
        return wc_dec_nomem(d);
    d->pos = labels_at;
    uint32_t round = ++v->br_table_round;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t target;
        const uint8_t *types;
        uint32_t count;
        TRY(wc_dec_u32(d, &target));
        TRY(label(v, target, &types, &count));
        if (count != arity)
            return wc_dec_invalid(d, v->op_at,
                                  "type mismatch in br_table, label %u carries %u values, the default %u",
                                  target, count, arity);
        /* A label repeated in the table needs checking once: this keeps a
         * table of millions of entries linear. */
        ctrl_frame *frame = &v->ctrls[v->nctrls - 1 - target];
        if (frame->br_table_seen == round)
            continue;
        frame->br_table_seen = round;
        /* Check the values against this label but keep what was really on
         * the stack, as the next label checks it again. */
        for (uint32_t k = count; k-- > 0;) {
            TRY(pop_any(v, types[k], &v->scratch[k]));
            uint8_t actual = v->scratch[k];
            if (actual != types[k] && actual != WC_VT_UNKNOWN)
                return type_mismatch(v, types[k], actual, false);
        }
        TRY(push_all(v, v->scratch, count));
    }
    d->pos = after;
    TRY(pop_all(v, default_types, arity));
    set_unreachable(v);
    return 0;
}

static int validate_call(validator *v, const wc_functype *t)
{
    TRY(pop_all(v, t->params, t->nparams));
    return push_all(v, t->results, t->nresults);
}

/* call_indirect's and return_call_indirect's immediates (the type, read
 * into *type, and a table of funcref) and the index operand. */
static int indirect_callee(validator *v, uint32_t *type)
{
    wc_decoder *d = v->d;
    uint32_t table;
    TRY(wc_dec_u32(d, type));
    TRY(read_table(v, &table));
    if (*type >= d->info->ntypes)
        return wc_dec_invalid(d, v->op_at, "unknown type %u", *type);
    if (d->info->types[*type].nparams > d->info->max_indirect_params)
        d->info->max_indirect_params = d->info->types[*type].nparams;
    if (d->table_types[table].elemtype != WC_VT_FUNCREF)
        return wc_dec_invalid(d, v->op_at, "type mismatch in %s, table %u is not of funcref", v->op, table);
    return pop_expect(v, WC_VT_I32);
}

/* return_call and return_call_indirect: the callee returns for the
 * function, so its results must be the function's. */
static int validate_tail_call(validator *v, const wc_functype *t)
{
    const ctrl_frame *fn = &v->ctrls[0];
    if (t->nresults != fn->nresults ||
        (t->nresults && memcmp(t->results, fn->results, t->nresults) != 0))
        return wc_dec_invalid(v->d, v->op_at, "type mismatch in %s: the callee's results are not the function's",
                              v->op);
    if (t->nparams > WC_TAIL_CALL_MAX_VALUES || t->nresults > WC_TAIL_CALL_MAX_VALUES)
        return wc_dec_limit(v->d, v->op_at, "%s of a type with more than %u parameters or results", v->op,
                            WC_TAIL_CALL_MAX_VALUES);
    TRY(pop_all(v, t->params, t->nparams));
    v->tail_calls = true;
    set_unreachable(v);
    return 0;
}

static int need_data_segment(validator *v, uint32_t index)
{
    wc_decoder *d = v->d;
    /* Without a data count section the segments are counted only after
     * the code; an unknown segment is still reported as such (the spec's
     * own tests expect it of modules other encoders wrote that way). */
    uint32_t known = d->info->has_datacount ? d->datacount : d->info->ndatas;
    if (index >= known)
        return wc_dec_invalid(d, v->op_at, "unknown data segment %u", index);
    if (!d->info->has_datacount)
        return wc_dec_malformed(d, v->op_at, "data count section required");
    return 0;
}

static int validate_prefixed(validator *v)
{
    wc_decoder *d = v->d;
    uint32_t sub;
    TRY(wc_dec_u32(d, &sub));
    if (sub > LAST_PREFIXED_OPCODE)
        return wc_dec_malformed(d, v->op_at, "illegal opcode 0xfc %u", sub);
    v->op = prefixed_names[sub];
    uint32_t index, table, other, memory;
    switch (sub) {
    case 0: case 1: case 2: case 3: case 4: case 5: case 6: case 7: {
        numeric_sig s = trunc_sat_signature(sub);
        TRY(pop_expect(v, s.in1));
        return push(v, s.out);
    }
    case 8: /* memory.init */
        TRY(wc_dec_u32(d, &index));
        TRY(read_memory_index(v, &memory));
        TRY(need_memory(v, memory));
        TRY(need_data_segment(v, index));
        TRY(pop_expect(v, WC_VT_I32));
        TRY(pop_expect(v, WC_VT_I32));
        return pop_expect(v, address_type(v, memory));
    case 9: /* data.drop */
        TRY(wc_dec_u32(d, &index));
        return need_data_segment(v, index);
    case 10: /* memory.copy */
        TRY(read_memory_index(v, &memory));
        TRY(need_memory(v, memory));
        TRY(read_memory_index(v, &other));
        TRY(need_memory(v, other));
        /* n is i64 only if both memories are */
        TRY(pop_expect(v, address_type(v, memory) == WC_VT_I64 && address_type(v, other) == WC_VT_I64
                              ? WC_VT_I64 : WC_VT_I32));
        TRY(pop_expect(v, address_type(v, other)));
        return pop_expect(v, address_type(v, memory));
    case 11: /* memory.fill */
        TRY(read_memory_index(v, &memory));
        TRY(need_memory(v, memory));
        TRY(pop_expect(v, address_type(v, memory)));
        TRY(pop_expect(v, WC_VT_I32));
        return pop_expect(v, address_type(v, memory));
    case 12: /* table.init elem table */
        TRY(wc_dec_u32(d, &index));
        TRY(read_table(v, &table));
        if (index >= d->nelems)
            return wc_dec_invalid(d, v->op_at, "unknown elem segment %u", index);
        if (d->elem_types[index] != d->table_types[table].elemtype)
            return wc_dec_invalid(d, v->op_at, "type mismatch in table.init, %s segment into a %s table",
                                  wc_valtype_name(d->elem_types[index]),
                                  wc_valtype_name(d->table_types[table].elemtype));
        TRY(pop_expect(v, WC_VT_I32));
        TRY(pop_expect(v, WC_VT_I32));
        return pop_expect(v, WC_VT_I32);
    case 13: /* elem.drop */
        TRY(wc_dec_u32(d, &index));
        if (index >= d->nelems)
            return wc_dec_invalid(d, v->op_at, "unknown elem segment %u", index);
        return 0;
    case 14: /* table.copy dst src */
        TRY(read_table(v, &table));
        TRY(read_table(v, &other));
        if (d->table_types[table].elemtype != d->table_types[other].elemtype)
            return wc_dec_invalid(d, v->op_at, "type mismatch in table.copy, %s into %s",
                                  wc_valtype_name(d->table_types[other].elemtype),
                                  wc_valtype_name(d->table_types[table].elemtype));
        TRY(pop_expect(v, WC_VT_I32));
        TRY(pop_expect(v, WC_VT_I32));
        return pop_expect(v, WC_VT_I32);
    case 15: /* table.grow */
        TRY(read_table(v, &table));
        TRY(pop_expect(v, WC_VT_I32));
        TRY(pop_expect(v, d->table_types[table].elemtype));
        return push(v, WC_VT_I32);
    case 16: /* table.size */
        TRY(read_table(v, &table));
        return push(v, WC_VT_I32);
    default: /* 17: table.fill */
        TRY(read_table(v, &table));
        TRY(pop_expect(v, WC_VT_I32));
        TRY(pop_expect(v, d->table_types[table].elemtype));
        return pop_expect(v, WC_VT_I32);
    }
}

/* A prefixed instruction's operands and result on the stack. */
static int apply_signature(validator *v, const wc_simd_sig *sig)
{
    v->op = sig->name;
    for (uint32_t i = sig->noperands; i-- > 0;)
        TRY(pop_expect(v, sig->operands[i]));
    return sig->result ? push(v, sig->result) : 0;
}

/* A 0xfd-prefixed instruction: its immediates (validate_simd.c), then its
 * operands and result. */
static int validate_simd(validator *v)
{
    wc_simd_sig sig;
    TRY(wc_validate_simd(v->d, v->op_at, &sig));
    return apply_signature(v, &sig);
}

/* A 0xfe-prefixed instruction (threads): its immediates
 * (validate_atomic.c), then its operands and result on the stack. */
static int validate_atomic(validator *v)
{
    wc_simd_sig sig;
    TRY(wc_validate_atomic(v->d, v->op_at, &sig));
    return apply_signature(v, &sig);
}

static int illegal_opcode(wc_decoder *d, size_t at, uint8_t op)
{
    const char *why = "";
    if (op == 0xfe)
        why = " (threads are not enabled)";
    else if (op >= 0x06 && op <= 0x0a)
        why = " (exception handling is not supported)";
    else if (op == 0x12 || op == 0x13)
        why = " (tail calls are not supported)";
    return wc_dec_malformed(d, at, "illegal opcode 0x%02x%s", op, why);
}

/* ---- exception handling (the legacy proposal) ------------------------------
 * try opens a block; catch x and catch_all close the try's body (or the
 * previous catch) and open a handler with the same results, catch x with
 * the tag's payload on the stack; delegate l closes a try without
 * handlers and names the label whose handlers take its exceptions; throw x
 * consumes the tag's payload; rethrow l names an enclosing catch. */

static const char *exception_op_name(uint8_t op)
{
    switch (op) {
    case 0x06: return "try";
    case 0x07: return "catch";
    case 0x08: return "throw";
    case 0x09: return "rethrow";
    case 0x18: return "delegate";
    default: return "catch_all";
    }
}

static int read_tag(validator *v, const wc_functype **type)
{
    uint32_t index;
    TRY(wc_dec_u32(v->d, &index));
    if (index >= v->d->ntags_total)
        return wc_dec_invalid(v->d, v->op_at, "unknown tag %u", index);
    *type = &v->d->info->types[v->d->tag_types[index]];
    return 0;
}

static int validate_exception_op(validator *v, uint8_t op)
{
    wc_decoder *d = v->d;
    const uint8_t *params, *results;
    uint32_t nparams, nresults, index;
    const wc_functype *tag;
    ctrl_frame frame;
    uint8_t current = v->ctrls[v->nctrls - 1].opcode;
    v->op = exception_op_name(op);
    d->info->exceptions = true;
    switch (op) {
    case 0x06: /* try */
        TRY(read_blocktype(v, &params, &nparams, &results, &nresults));
        TRY(pop_all(v, params, nparams));
        return push_ctrl(v, op, params, nparams, results, nresults);
    case 0x07: /* catch x */
    case 0x19: /* catch_all */
        if (current != 0x06 && current != 0x07)
            return wc_dec_malformed(d, v->op_at, "%s outside of try", v->op);
        tag = NULL;
        if (op == 0x07)
            TRY(read_tag(v, &tag));
        TRY(pop_ctrl(v, &frame));
        TRY(push_ctrl(v, op, NULL, 0, frame.results, frame.nresults));
        v->ctrls[v->nctrls - 1].params = frame.params;
        v->ctrls[v->nctrls - 1].nparams = frame.nparams;
        return tag ? push_all(v, tag->params, tag->nparams) : 0;
    case 0x18: /* delegate l */
        if (current != 0x06)
            return wc_dec_malformed(d, v->op_at, "delegate outside of try");
        TRY(wc_dec_u32(d, &index));
        TRY(pop_ctrl(v, &frame));
        if (index >= v->nctrls)
            return wc_dec_invalid(d, v->op_at, "unknown label %u", index);
        return push_all(v, frame.results, frame.nresults);
    case 0x08: /* throw x */
        TRY(read_tag(v, &tag));
        TRY(pop_all(v, tag->params, tag->nparams));
        set_unreachable(v);
        return 0;
    default: /* rethrow l */
        TRY(wc_dec_u32(d, &index));
        if (index >= v->nctrls)
            return wc_dec_invalid(d, v->op_at, "unknown label %u", index);
        uint8_t target = v->ctrls[v->nctrls - 1 - index].opcode;
        if (target != 0x07 && target != 0x19)
            return wc_dec_invalid(d, v->op_at, "invalid rethrow label %u", index);
        set_unreachable(v);
        return 0;
    }
}

/* Validates one instruction whose opcode byte has just been read. */
static int validate_instruction(validator *v, uint8_t op)
{
    wc_decoder *d = v->d;
    wc_module_info *info = d->info;
    const uint8_t *params = NULL, *results = NULL, *types = NULL;
    uint32_t nparams = 0, nresults = 0, n = 0, index = 0;
    uint8_t t1 = 0, t2 = 0;
    ctrl_frame frame;

    if (op >= 0x45 && op <= 0xc4) {
        numeric_sig s = {0};
        numeric_signature(op, &s);
        if (s.in2)
            TRY(pop_expect(v, s.in2));
        TRY(pop_expect(v, s.in1));
        return push(v, s.out);
    }
    if (op >= 0x28 && op <= 0x3e) {
        memop m = memory_access(op);
        uint8_t address;
        TRY(read_memarg(v, m.max_align, &address));
        if (op <= 0x35) {
            TRY(pop_expect(v, address));
            return push(v, m.type);
        }
        TRY(pop_expect(v, m.type));
        return pop_expect(v, address);
    }

    switch (op) {
    case 0x00: /* unreachable */
        set_unreachable(v);
        return 0;
    case 0x01: /* nop */
        return 0;
    case 0x02: /* block */
    case 0x03: /* loop */
    case 0x04: /* if */
        TRY(read_blocktype(v, &params, &nparams, &results, &nresults));
        if (op == 0x03) {
            /* Where the instrumentation splices its interrupt check. */
            if (!wc_grow((void **)&v->loops, &v->loops_cap, v->nloops + 1, sizeof *v->loops))
                return wc_dec_nomem(d);
            v->loops[v->nloops++] = d->pos;
        }
        if (op == 0x04)
            TRY(pop_expect(v, WC_VT_I32));
        TRY(pop_all(v, params, nparams));
        return push_ctrl(v, op, params, nparams, results, nresults);
    case 0x05: /* else */
        if (v->ctrls[v->nctrls - 1].opcode != 0x04)
            return wc_dec_malformed(d, v->op_at, "END opcode expected, got else outside of if");
        TRY(pop_ctrl(v, &frame));
        return push_ctrl(v, 0x05, frame.params, frame.nparams, frame.results, frame.nresults);
    case 0x0b: /* end */
        TRY(pop_ctrl(v, &frame));
        if (frame.opcode == 0x04) {
            /* An if without else: the missing branch passes its parameters
             * through unchanged. */
            bool same = frame.nparams == frame.nresults &&
                        (frame.nparams == 0 ||
                         memcmp(frame.params, frame.results, frame.nparams) == 0);
            if (!same)
                return wc_dec_invalid(d, v->op_at, "type mismatch in if without else");
        }
        if (v->nctrls == 0)
            return 0; /* the function's end */
        return push_all(v, frame.results, frame.nresults);
    case 0x0c: /* br */
        TRY(wc_dec_u32(d, &index));
        TRY(label(v, index, &types, &n));
        TRY(pop_all(v, types, n));
        set_unreachable(v);
        return 0;
    case 0x0d: /* br_if */
        TRY(wc_dec_u32(d, &index));
        TRY(label(v, index, &types, &n));
        TRY(pop_expect(v, WC_VT_I32));
        TRY(pop_all(v, types, n));
        return push_all(v, types, n);
    case 0x0e:
        return validate_br_table(v);
    case 0x0f: /* return */
        TRY(pop_all(v, v->ctrls[0].results, v->ctrls[0].nresults));
        set_unreachable(v);
        return 0;
    case 0x10: /* call */
        TRY(wc_dec_u32(d, &index));
        if (index >= d->nfuncs_total)
            return wc_dec_invalid(d, v->op_at, "unknown function %u", index);
        return validate_call(v, &info->types[d->func_types[index]]);
    case 0x11: /* call_indirect type table */
        TRY(indirect_callee(v, &index));
        return validate_call(v, &info->types[index]);
    case 0x06: case 0x07: case 0x08: case 0x09: case 0x18: case 0x19:
        if (!wc_feature_decoded(&d->limits, WC_FEATURE_EXCEPTIONS))
            return illegal_opcode(d, v->op_at, op);
        return validate_exception_op(v, op);
    case 0x12: /* return_call */
        if (!wc_feature_enabled(&d->limits, WC_FEATURE_TAIL_CALL))
            return illegal_opcode(d, v->op_at, op);
        TRY(wc_dec_u32(d, &index));
        if (index >= d->nfuncs_total)
            return wc_dec_invalid(d, v->op_at, "unknown function %u", index);
        return validate_tail_call(v, &info->types[d->func_types[index]]);
    case 0x13: /* return_call_indirect type table */
        if (!wc_feature_enabled(&d->limits, WC_FEATURE_TAIL_CALL))
            return illegal_opcode(d, v->op_at, op);
        TRY(indirect_callee(v, &index));
        return validate_tail_call(v, &info->types[index]);
    case 0x1a: /* drop */
        return pop_any(v, WC_VT_UNKNOWN, &t1);
    case 0x1b: /* select */
        TRY(pop_expect(v, WC_VT_I32));
        TRY(pop_any(v, WC_VT_UNKNOWN, &t1));
        TRY(pop_any(v, WC_VT_UNKNOWN, &t2));
        if (!is_num(t1) || !is_num(t2))
            return wc_dec_invalid(d, v->op_at,
                                  "type mismatch in select, reference operands need a typed select");
        if (t1 != t2 && t1 != WC_VT_UNKNOWN && t2 != WC_VT_UNKNOWN)
            return type_mismatch(v, t1, t2, false);
        return push(v, t1 == WC_VT_UNKNOWN ? t2 : t1);
    case 0x1c: { /* select t* */
        size_t at = d->pos;
        TRY(wc_dec_u32(d, &n));
        if (n > d->end - d->pos)
            return wc_dec_malformed(d, at, "unexpected end: select of %u types", n);
        uint8_t type = 0;
        for (uint32_t i = 0; i < n; i++)
            TRY(wc_dec_valtype(d, &type));
        if (n != 1)
            return wc_dec_invalid(d, v->op_at, "invalid result arity %u in select", n);
        TRY(pop_expect(v, WC_VT_I32));
        TRY(pop_expect(v, type));
        TRY(pop_expect(v, type));
        return push(v, type);
    }
    case 0x20: /* local.get */
        TRY(wc_dec_u32(d, &index));
        TRY(local_type(v, index, &t1));
        return push(v, t1);
    case 0x21: /* local.set */
        TRY(wc_dec_u32(d, &index));
        TRY(local_type(v, index, &t1));
        return pop_expect(v, t1);
    case 0x22: /* local.tee */
        TRY(wc_dec_u32(d, &index));
        TRY(local_type(v, index, &t1));
        TRY(pop_expect(v, t1));
        return push(v, t1);
    case 0x23: /* global.get */
    case 0x24: /* global.set */
        TRY(wc_dec_u32(d, &index));
        if (index >= d->nglobals_total)
            return wc_dec_invalid(d, v->op_at, "unknown global %u", index);
        if (op == 0x23)
            return push(v, d->global_types[index].valtype);
        if (!d->global_types[index].mutable_)
            return wc_dec_invalid(d, v->op_at, "global is immutable: global.set of global %u", index);
        return pop_expect(v, d->global_types[index].valtype);
    case 0x25: { /* table.get */
        uint32_t table;
        TRY(read_table(v, &table));
        TRY(pop_expect(v, WC_VT_I32));
        return push(v, d->table_types[table].elemtype);
    }
    case 0x26: { /* table.set */
        uint32_t table;
        TRY(read_table(v, &table));
        TRY(pop_expect(v, d->table_types[table].elemtype));
        return pop_expect(v, WC_VT_I32);
    }
    case 0x3f: /* memory.size */
        TRY(read_memory_index(v, &index));
        TRY(need_memory(v, index));
        return push(v, address_type(v, index));
    case 0x40: /* memory.grow */
        TRY(read_memory_index(v, &index));
        TRY(need_memory(v, index));
        TRY(pop_expect(v, address_type(v, index)));
        return push(v, address_type(v, index));
    case 0x41: {
        int32_t value;
        TRY(wc_dec_s32(d, &value));
        return push(v, WC_VT_I32);
    }
    case 0x42: {
        int64_t value;
        TRY(wc_dec_s64(d, &value));
        return push(v, WC_VT_I64);
    }
    case 0x43:
        TRY(wc_dec_skip(d, 4));
        return push(v, WC_VT_F32);
    case 0x44:
        TRY(wc_dec_skip(d, 8));
        return push(v, WC_VT_F64);
    case 0xd0: /* ref.null */
        TRY(wc_dec_reftype(d, &t1));
        return push(v, t1);
    case 0xd1: /* ref.is_null */
        TRY(pop_any(v, WC_VT_UNKNOWN, &t1));
        if (!is_ref(t1))
            return wc_dec_invalid(d, v->op_at, "type mismatch in ref.is_null, expected a reference got %s",
                                  wc_valtype_name(t1));
        return push(v, WC_VT_I32);
    case 0xd2: /* ref.func */
        TRY(wc_dec_u32(d, &index));
        if (index >= d->nfuncs_total)
            return wc_dec_invalid(d, v->op_at, "unknown function %u", index);
        if (!d->declared_refs || !(d->declared_refs[index / 8] & (1u << (index % 8))))
            return wc_dec_invalid(d, v->op_at, "undeclared function reference %u", index);
        return push(v, WC_VT_FUNCREF);
    case 0xfc:
        return validate_prefixed(v);
    case 0xfd:
        return validate_simd(v);
    case 0xfe:
        if (!wc_feature_enabled(&d->limits, WC_FEATURE_THREADS))
            return illegal_opcode(d, v->op_at, op);
        return validate_atomic(v);
    default:
        return illegal_opcode(d, v->op_at, op);
    }
}

static int validate_function(validator *v, wc_func *f)
{
    wc_decoder *d = v->d;
    const wc_functype *type = &d->info->types[f->type];
    d->pos = f->body_offset;
    d->end = f->body_offset + f->body_size;
    v->nvals = v->nctrls = v->nlocal_runs = v->nloops = v->nbackedges = 0;
    v->tail_calls = false;
    v->op_at = d->pos;
    v->op = "function";

    /* The locals were checked by decode.c; read them again as runs. */
    for (uint32_t i = 0; i < type->nparams; i++)
        TRY(add_locals(v, 1, type->params[i]));
    uint32_t nentries;
    TRY(wc_dec_u32(d, &nentries));
    for (uint32_t i = 0; i < nentries; i++) {
        uint32_t count;
        uint8_t vt;
        TRY(wc_dec_u32(d, &count));
        TRY(wc_dec_valtype(d, &vt));
        TRY(add_locals(v, count, vt));
    }

    TRY(push_ctrl(v, 0, NULL, 0, type->results, type->nresults));
    while (v->nctrls > 0) {
        if (d->pos >= d->end)
            return wc_dec_malformed(d, d->pos, "unexpected end of function body, END opcode expected");
        v->op_at = d->pos;
        uint8_t op = d->bytes[d->pos++];
        v->op = opcode_names[op] ? opcode_names[op] : "instruction";
        TRY(validate_instruction(v, op));
    }
    if (d->pos != d->end)
        return wc_dec_malformed(d, d->pos, "section size mismatch: operators after the end of the function");

    if (v->nloops) {
        size_t *loops = wc_dec_alloc(d, v->nloops * sizeof *loops);
        if (!loops)
            return wc_dec_nomem(d);
        memcpy(loops, v->loops, v->nloops * sizeof *loops);
        f->loops = loops;
        f->nloops = (uint32_t)v->nloops;
    }
    /* its wrapper passes its own arguments through the tail-call area too */
    if (v->tail_calls && type->nparams > WC_TAIL_CALL_MAX_VALUES)
        return wc_dec_limit(d, f->body_offset, "a function of more than %u parameters making a tail call",
                            WC_TAIL_CALL_MAX_VALUES);
    f->tail_calls = v->tail_calls;
    d->info->tail_calls |= v->tail_calls;
    if (v->nbackedges) {
        size_t *edges = wc_dec_alloc(d, v->nbackedges * sizeof *edges);
        if (!edges)
            return wc_dec_nomem(d);
        memcpy(edges, v->backedges, v->nbackedges * sizeof *edges);
        f->backedges = edges;
        f->nbackedges = (uint32_t)v->nbackedges;
    }
    return 0;
}

/* ---- decoding without validation -------------------------------------------
 * The specification decodes the whole module before validating it, so a
 * module both invalid and malformed is malformed.  Once validation has
 * failed, the remaining bodies are skimmed for malformed encodings. */

static int skim_memarg(wc_decoder *d)
{
    wc_memarg arg;
    return wc_dec_memarg(d, &arg);
}

static int skim_zero_byte(wc_decoder *d)
{
    uint8_t b;
    if (wc_feature_enabled(&d->limits, WC_FEATURE_MULTI_MEMORY)) /* a memory index */
        return wc_dec_u32(d, &(uint32_t){0});
    TRY(wc_dec_byte(d, &b));
    if (b != 0)
        return wc_dec_malformed(d, d->pos - 1, "zero byte expected");
    return 0;
}

static int skim_instruction(wc_decoder *d, size_t at, uint8_t op, uint64_t *depth)
{
    uint32_t x, n;
    uint8_t t;
    if ((op >= 0x45 && op <= 0xc4) || op == 0x00 || op == 0x01 || op == 0x05 || op == 0x0f ||
        op == 0x1a || op == 0x1b || op == 0xd1)
        return 0;
    if (op >= 0x28 && op <= 0x3e)
        return skim_memarg(d);
    switch (op) {
    case 0x02: case 0x03: case 0x04: {
        if (d->pos >= d->end)
            return wc_dec_malformed(d, d->pos, "unexpected end");
        uint8_t b = d->bytes[d->pos];
        if (b == 0x40) {
            d->pos++;
        } else if ((b & 0xc0) == 0x40) {
            TRY(wc_dec_valtype(d, &t));
        } else {
            int64_t index;
            TRY(wc_dec_s33(d, &index));
            if (index < 0)
                return wc_dec_malformed(d, at, "malformed block type");
        }
        ++*depth;
        return 0;
    }
    case 0x0b:
        --*depth;
        return 0;
    case 0x0c: case 0x0d: case 0x10: case 0x20: case 0x21: case 0x22: case 0x23: case 0x24:
    case 0x25: case 0x26: case 0xd2:
        return wc_dec_u32(d, &x);
    case 0x0e:
        TRY(wc_dec_u32(d, &n));
        if (n > d->end - d->pos)
            return wc_dec_malformed(d, at, "unexpected end");
        for (uint32_t i = 0; i <= n; i++)
            TRY(wc_dec_u32(d, &x));
        return 0;
    case 0x11:
        TRY(wc_dec_u32(d, &x));
        return wc_dec_u32(d, &x);
    case 0x1c:
        TRY(wc_dec_u32(d, &n));
        if (n > d->end - d->pos)
            return wc_dec_malformed(d, at, "unexpected end");
        for (uint32_t i = 0; i < n; i++)
            TRY(wc_dec_valtype(d, &t));
        return 0;
    case 0x3f: case 0x40:
        return skim_zero_byte(d);
    case 0x41: {
        int32_t value;
        return wc_dec_s32(d, &value);
    }
    case 0x42: {
        int64_t value;
        return wc_dec_s64(d, &value);
    }
    case 0x43:
        return wc_dec_skip(d, 4);
    case 0x44:
        return wc_dec_skip(d, 8);
    case 0xd0:
        return wc_dec_reftype(d, &t);
    case 0xfc:
        TRY(wc_dec_u32(d, &n));
        switch (n) {
        case 0: case 1: case 2: case 3: case 4: case 5: case 6: case 7:
            return 0;
        case 8:
            TRY(wc_dec_u32(d, &x));
            return skim_zero_byte(d);
        case 9: case 13: case 15: case 16: case 17:
            return wc_dec_u32(d, &x);
        case 10:
            TRY(skim_zero_byte(d));
            return skim_zero_byte(d);
        case 11:
            return skim_zero_byte(d);
        case 12: case 14:
            TRY(wc_dec_u32(d, &x));
            return wc_dec_u32(d, &x);
        default:
            return wc_dec_malformed(d, at, "illegal opcode 0xfc %u", n);
        }
    case 0x06: case 0x07: case 0x08: case 0x09: case 0x18: case 0x19:
        if (!wc_feature_decoded(&d->limits, WC_FEATURE_EXCEPTIONS))
            return illegal_opcode(d, at, op);
        if (op == 0x06) /* try: a block type, as block's */
            return skim_instruction(d, at, 0x02, depth);
        if (op == 0x18)
            --*depth; /* delegate ends its try */
        return op == 0x19 ? 0 : wc_dec_u32(d, &x);
    case 0x12: case 0x13:
        if (!wc_feature_enabled(&d->limits, WC_FEATURE_TAIL_CALL))
            return illegal_opcode(d, at, op);
        TRY(wc_dec_u32(d, &x));
        return op == 0x12 ? 0 : wc_dec_u32(d, &x);
    case 0xfd: {
        /* only malformed encodings matter here */
        wc_simd_sig sig;
        int rc = wc_validate_simd(d, at, &sig);
        return rc == WC_EBADMODULE ? 0 : rc;
    }
    case 0xfe: {
        if (!wc_feature_enabled(&d->limits, WC_FEATURE_THREADS))
            return illegal_opcode(d, at, op);
        wc_simd_sig sig;
        int rc = wc_validate_atomic(d, at, &sig);
        return rc == WC_EBADMODULE ? 0 : rc;
    }
    default:
        return illegal_opcode(d, at, op);
    }
}

static int skim_function(wc_decoder *d, const wc_func *f)
{
    d->pos = f->code_offset;
    d->end = f->body_offset + f->body_size;
    uint64_t depth = 1;
    while (depth > 0) {
        if (d->pos >= d->end)
            return wc_dec_malformed(d, d->pos, "unexpected end of function body, END opcode expected");
        size_t at = d->pos;
        uint8_t op = d->bytes[d->pos++];
        TRY(skim_instruction(d, at, op, &depth));
    }
    if (d->pos != d->end)
        return wc_dec_malformed(d, d->pos, "section size mismatch: operators after the end of the function");
    return 0;
}

/* After a validation error in `invalid` (saved by the caller): a malformed
 * body from function `first` on takes precedence. */
static int skim_functions(wc_decoder *d, uint32_t first, const wc_error *invalid)
{
    for (uint32_t i = first; i < d->info->nfuncs; i++) {
        int rc = skim_function(d, &d->info->funcs[i]);
        if (rc)
            return rc;
    }
    if (d->err)
        *d->err = *invalid;
    return WC_EBADMODULE;
}

int wc_validate_code(wc_decoder *d)
{
    if (d->has_deferred)
        return skim_functions(d, 0, &d->deferred);
    validator v = {.d = d};
    int rc = 0;
    for (uint32_t i = 0; i < d->info->nfuncs && rc == 0; i++) {
        rc = validate_function(&v, &d->info->funcs[i]);
        if (rc == WC_EBADMODULE) {
            wc_error saved = {0};
            if (d->err)
                saved = *d->err;
            rc = skim_functions(d, i, &saved);
        }
    }
    free(v.vals);
    free(v.ctrls);
    free(v.locals);
    free(v.loops);
    free(v.backedges);
    free(v.scratch);
    d->pos = d->end = d->size;
    return rc;
}

/* ---- constant expressions --------------------------------------------------- */

/* Reads past a non-constant instruction's opcode to tell an illegal opcode
 * (malformed) from a legal one that has no place here (invalid). */
static int not_constant(wc_decoder *d, size_t at, uint8_t op)
{
    if (op == 0xfd) {
        wc_simd_sig sig;
        TRY(wc_validate_simd(d, at, &sig));
        return wc_dec_invalid(d, at, "constant expression required, got %s", sig.name);
    }
    if (op == 0xfe && wc_feature_enabled(&d->limits, WC_FEATURE_THREADS)) {
        wc_simd_sig sig;
        TRY(wc_validate_atomic(d, at, &sig));
        return wc_dec_invalid(d, at, "constant expression required, got %s", sig.name);
    }
    if (op == 0xfc) {
        uint32_t sub;
        TRY(wc_dec_u32(d, &sub));
        if (sub > LAST_PREFIXED_OPCODE)
            return wc_dec_malformed(d, at, "illegal opcode 0xfc %u", sub);
        return wc_dec_invalid(d, at, "constant expression required, got %s", prefixed_names[sub]);
    }
    if (!is_known_opcode(op))
        return illegal_opcode(d, at, op);
    return wc_dec_invalid(d, at, "constant expression required, got %s", opcode_names[op]);
}

/* The arithmetic extended constant expressions allow: i32/i64 add, sub, mul. */
static bool extended_const_op(uint8_t op, uint8_t *type)
{
    switch (op) {
    case 0x6a: case 0x6b: case 0x6c:
        *type = WC_VT_I32;
        return true;
    case 0x7c: case 0x7d: case 0x7e:
        *type = WC_VT_I64;
        return true;
    default:
        return false;
    }
}

int wc_validate_const_expr(wc_decoder *d, uint8_t type)
{
    size_t start = d->pos;
    bool extended = wc_feature_enabled(&d->limits, WC_FEATURE_EXTENDED_CONST);
    /* The operand types; a taller expression is refused (a limit), so
     * emitting it needs no more than this many temporaries either. */
    uint8_t stack[WC_CONST_EXPR_MAX_HEIGHT];
    uint32_t height = 0;
    for (;;) {
        size_t at = d->pos;
        uint8_t op, pushed, operand;
        uint32_t index;
        TRY(wc_dec_byte(d, &op));
        if (extended && extended_const_op(op, &operand)) {
            if (height < 2 || stack[height - 1] != operand || stack[height - 2] != operand) {
                wc_dec_note_invalid(d, at, "type mismatch in %s, expected two %s operands",
                                    opcode_names[op], wc_valtype_name(operand));
                height = 0; /* further errors are ignored: the first is kept */
                stack[height++] = operand;
            } else {
                height--;
            }
            continue;
        }
        switch (op) {
        case 0x0b:
            if (height != 1 || (stack[0] != type && stack[0] != WC_VT_UNKNOWN))
                wc_dec_note_invalid(d, start, "type mismatch in constant expression, expected %s",
                                    wc_valtype_name(type));
            return 0;
        case 0x41: {
            int32_t value;
            TRY(wc_dec_s32(d, &value));
            pushed = WC_VT_I32;
            break;
        }
        case 0x42: {
            int64_t value;
            TRY(wc_dec_s64(d, &value));
            pushed = WC_VT_I64;
            break;
        }
        case 0x43:
            TRY(wc_dec_skip(d, 4));
            pushed = WC_VT_F32;
            break;
        case 0x44:
            TRY(wc_dec_skip(d, 8));
            pushed = WC_VT_F64;
            break;
        case 0xd0:
            TRY(wc_dec_reftype(d, &pushed));
            break;
        case 0xfd: { /* v128.const is constant, no other SIMD instruction is */
            size_t sub_at = d->pos;
            uint32_t sub;
            TRY(wc_dec_u32(d, &sub));
            if (sub != 12) {
                d->pos = sub_at;
                return not_constant(d, at, op);
            }
            TRY(wc_dec_skip(d, 16));
            pushed = WC_VT_V128;
            break;
        }
        case 0xd2:
            TRY(wc_dec_u32(d, &index));
            if (index >= d->nfuncs_total)
                wc_dec_note_invalid(d, at, "unknown function %u", index);
            else
                TRY(wc_dec_declare_ref(d, index));
            pushed = WC_VT_FUNCREF;
            break;
        case 0x23:
            /* Only imported globals are visible to constant expressions. */
            TRY(wc_dec_u32(d, &index));
            pushed = WC_VT_UNKNOWN;
            if (index >= d->info->nimported_globals)
                wc_dec_note_invalid(d, at, "unknown global %u", index);
            else if (d->global_types[index].mutable_)
                wc_dec_note_invalid(d, at, "constant expression required, global %u is mutable",
                                    index);
            else
                pushed = d->global_types[index].valtype;
            break;
        default:
            return not_constant(d, at, op);
        }
        if (height == WC_CONST_EXPR_MAX_HEIGHT)
            return wc_dec_limit(d, at, "constant expression deeper than %u values",
                                WC_CONST_EXPR_MAX_HEIGHT);
        stack[height++] = pushed;
    }
}
