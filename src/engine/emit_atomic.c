/* emit_atomic.c -- the threads proposal's atomic instructions in the
 * emitted C.
 *
 * Each is one block of statements: the effective address (u64, so no
 * 32-bit address plus offset wraps), the trap "unaligned atomic" when it is
 * not a multiple of the access's width -- checked before the bounds, as the
 * spec orders them -- then, on a 64-bit memory, the explicit bounds check
 * (a 32-bit memory's guard region faults as for any access), then the
 * helper of wasm-atomic.h: inline __atomic code in gcc's unit, the
 * runtime's compiled copy in libtcc's (it has no __atomic builtins).  An
 * aligned access of at most 8 bytes never crosses a page, so a write marks
 * one page.  wait and notify are the runtime's on both tiers.
 */
#include <inttypes.h>

#include "engine/emit_atomic.h"

extern const char wc_wasm_atomic_header[];

bool wc_emit_atomic_read(const uint8_t *b, size_t *pos, size_t end, wc_atomic_emit *out)
{
    *out = (wc_atomic_emit){0};
    out->op = wc_atomic_op_find(wc_emit_u32(b, pos, end));
    if (!out->op)
        return false;
    if (out->op->kind == WC_ATOMIC_FENCE)
        (*pos)++; /* its zero byte */
    else
        wc_emit_memarg(b, pos, end, &out->arg);
    return true;
}

/* The width's helpers of libtcc's unit, declared. */
static void declare_width(unsigned bits, wc_buf *out)
{
    const char *w = bits == 64 ? "u64" : "u32";
    static const char *const rmw[] = {"add", "sub", "and", "or", "xor", "xchg"};
    wc_buf_printf(out, "%s wc_rt_atomic_load%u(u8 *);\nvoid wc_rt_atomic_store%u(u8 *, %s);\n", w, bits,
                  bits, w);
    for (size_t i = 0; i < sizeof rmw / sizeof rmw[0]; i++)
        wc_buf_printf(out, "%s wc_rt_atomic_%s%u(u8 *, %s);\n", w, rmw[i], bits, w);
    wc_buf_printf(out, "%s wc_rt_atomic_cmpxchg%u(u8 *, %s, %s);\n", w, bits, w, w);
}

void wc_emit_atomic_prelude(wc_buf *out)
{
    wc_buf_str(out, "#ifdef __TINYC__\n#define ATOMIC(name) wc_rt_atomic_##name\n");
    for (unsigned bits = 8; bits <= 64; bits *= 2)
        declare_width(bits, out);
    wc_buf_str(out, "void wc_rt_atomic_fence(void);\n#else\n");
    wc_buf_str(out, wc_wasm_atomic_header);
    wc_buf_str(out, "#define ATOMIC(name) wc_atomic_##name\n#endif\n"
                    "u32 wc_rt_atomic_notify(u8 *p, u32 count);\n"
                    "u32 wc_rt_atomic_wait(u8 *p, u64 expected, u32 bytes, s64 timeout, u32 shared,\n"
                    "                      const volatile u32 *irq);\n");
}

/* Whether memory `memory` (imports first) is shared. */
static bool memory_shared(const wc_module_info *info, uint32_t memory)
{
    if (memory >= info->nimported_memories)
        return info->memories[memory - info->nimported_memories].shared;
    uint32_t k = 0;
    for (uint32_t i = 0; i < info->nimports; i++)
        if (info->imports[i].kind == WC_EXTERN_MEMORY && k++ == memory)
            return info->imports[i].desc.memory.shared;
    return false;
}

void wc_emit_atomic(const wc_emit_module *m, const wc_atomic_emit *a, char *const *operands,
                    const char *result, wc_buf *out)
{
    const wc_atomic_op *op = a->op;
    if (op->kind == WC_ATOMIC_FENCE) {
        wc_buf_str(out, "  ATOMIC(fence)();\n");
        return;
    }
    uint32_t memory = a->arg.memory;
    uint64_t offset = a->arg.offset;
    const char *addr = operands[0] ? operands[0] : "0";
    const char *v1 = op->noperands > 1 && operands[1] ? operands[1] : "0";
    const char *v2 = op->noperands > 2 && operands[2] ? operands[2] : "0";
    const char *to = result ? result : "wc_unused";
    const char *rtype = op->result ? wc_emit_ctype(op->result) : "u32";
    const char *w = op->bytes == 8 ? "u64" : "u32";
    unsigned bits = op->bytes * 8u;

    wc_buf_printf(out, "  { u64 wc_ea = (u64)%s + %" PRIu64 "ull;\n", addr, offset);
    if (op->bytes > 1)
        wc_buf_printf(out, "  if (UNLIKELY(wc_ea & %u)) TRAP(UNALIGNED_ATOMIC);\n", op->bytes - 1u);
    if (m->memory_is64[memory]) {
        uint64_t end = offset <= UINT64_MAX - op->bytes ? offset + op->bytes : UINT64_MAX;
        wc_buf_printf(out, "  wc_ea = WC_ADDR64(%s, %s, %" PRIu64 "ull, %" PRIu64 "ull);\n",
                      wc_emit_memory_at(m, memory), addr, offset, end);
    }
    if (memory != 0)
        wc_buf_printf(out, "  u8 *const M = %s->data;\n", wc_emit_memory_at(m, memory));
    switch (op->kind) {
    case WC_ATOMIC_LOAD:
        wc_buf_printf(out, "  %s = (%s)ATOMIC(load%u)(M + wc_ea);\n", to, rtype, bits);
        break;
    case WC_ATOMIC_STORE:
        wc_buf_printf(out, "  ATOMIC(store%u)(M + wc_ea, (%s)%s);\n", bits, w, v1);
        break;
    case WC_ATOMIC_RMW:
        wc_buf_printf(out, "  %s = (%s)ATOMIC(%s%u)(M + wc_ea, (%s)%s);\n", to, rtype, op->helper, bits, w,
                      v1);
        break;
    case WC_ATOMIC_CMPXCHG:
        wc_buf_printf(out, "  %s = (%s)ATOMIC(cmpxchg%u)(M + wc_ea, (%s)%s, (%s)%s);\n", to, rtype, bits, w,
                      v1, w, v2);
        break;
    case WC_ATOMIC_NOTIFY:
        wc_buf_printf(out, "  %s = wc_rt_atomic_notify(M + wc_ea, %s);\n", to, v1);
        break;
    default: /* WC_ATOMIC_WAIT */
        wc_buf_printf(out, "  %s = wc_rt_atomic_wait(M + wc_ea, (u64)%s, %u, (s64)%s, %d, &instance->irq);\n",
                      to, v1, (unsigned)op->bytes, v2, memory_shared(m->info, memory) ? 1 : 0);
        wc_buf_str(out, wc_emit_irq(m)); /* a wait the deadline ended traps here */
        break;
    }
    bool writes = op->kind == WC_ATOMIC_STORE || op->kind == WC_ATOMIC_RMW || op->kind == WC_ATOMIC_CMPXCHG;
    if (writes && m->track_writes)
        wc_emit_page_marks(m, memory, "wc_ea", 1, out);
    wc_buf_str(out, "  }\n");
}
