/* emit_spelled.c -- the commonest instructions spelled out for libtcc.
 *
 * The unit gcc compiles reads memory through the prelude's LD/ST macros
 * (gcc needs LD's empty asm to keep a load whose value is unused, and its
 * trap with it) and checks interrupts with IRQ.  libtcc removes nothing, so
 * the macros only cost it: expanding a function-like macro (collecting
 * its arguments, substituting, rescanning) was a fifth of a fast-tier
 * compile, and loads, stores and back-edges are nearly every macro use in
 * real code.  For libtcc the emitter writes what the macros expand to; the
 * two spellings must mean the same (the prelude's and wasm-rt.h's
 * definitions).  Page marks (after every store when writes are tracked, as
 * the plugin host runs modules) are spelled out for both compilers.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/emit_internal.h"
#include "engine/runtime/wasm-rt.h"

/* The page marks name the map's shape by value (macros cost libtcc
 * preprocessing): these must be wasm-rt.h's. */
_Static_assert(WC_DIRTY_SHIFT == 12 && WC_DIRTY_MAP_PAGES == 1u << 20, "the spelled page marks");

/* libtcc's address of a 32-bit memory's access, read after M+ as
 * M+addr+offset: (M+addr)+offset steps the pointer twice, so the sum never
 * wraps at 32 bits, and needs no cast to u64.  addr is a cast-expression
 * (a name, a constant, a parenthesized or cast expression, as the (u64)
 * cast of gcc's spelling needs too); a constant one is added up here. */
char *wc_emit_tcc_address(const char *addr, uint32_t offset)
{
    char *end;
    unsigned long long constant = strtoull(addr, &end, 10);
    wc_buf b;
    wc_buf_init(&b);
    if (end != addr && addr[0] >= '0' && addr[0] <= '9' && strcmp(end, "u") == 0 && constant <= UINT32_MAX) {
        constant += offset;
        wc_emit_decimal(constant, &b);
        wc_buf_str(&b, constant > UINT32_MAX ? "ull" : "u");
    } else {
        wc_buf_str(&b, addr);
        if (offset) {
            wc_buf_str(&b, "+");
            wc_emit_decimal(offset, &b);
            wc_buf_str(&b, "u");
        }
    }
    char *text = wc_buf_cstr(&b);
    if (!text)
        wc_buf_free(&b);
    return text;
}

/* tmpl is a load template of emit_ops.c: an optional cast, then
 * LD(t, $0) or LDF(t, $0) at its end.  libtcc's unit assigns every load
 * to its slot, which converts the value as the casts do: it gets only the
 * access, *(wc_t*)(M+$0).  Any other shape is kept as it is (the macros
 * are defined for libtcc too: slower, not wrong). */
void wc_emit_load_template(const wc_emit_module *m, const char *tmpl, wc_buf *out)
{
    const char *ld = m->for_tcc ? strstr(tmpl, "LD(") : NULL;
    if (!ld && m->for_tcc)
        ld = strstr(tmpl, "LDF(");
    const char *open = ld ? strchr(ld, '(') : NULL;
    const char *comma = open ? strchr(open, ',') : NULL;
    if (!comma || strcmp(comma, ", $0)") != 0) {
        wc_buf_str(out, tmpl);
        return;
    }
    wc_buf_str(out, "*(wc_");
    wc_buf_append(out, open + 1, (size_t)(comma - open - 1));
    wc_buf_str(out, "*)(M+$0)");
}

/* The bytes a store of C type `type` writes. */
static unsigned store_bytes(const char *type)
{
    if (strcmp(type, "u8") == 0)
        return 1;
    if (strcmp(type, "u16") == 0)
        return 2;
    return strcmp(type, "u64") == 0 || strcmp(type, "f64") == 0 ? 8 : 4;
}

void wc_emit_page_marks(const wc_emit_module *m, uint32_t memory, const char *where, unsigned bytes,
                        wc_buf *out)
{
    /* the bytes a store writes into the next page are zeroed with its
     * first page (WC_DIRTY_SPILL): only a wider one marks its last page */
    unsigned last = bytes > WC_DIRTY_SPILL + 1 ? bytes - 1 : 0;
    for (unsigned k = 0; k < (last ? 2u : 1u); k++) {
        const char *plus = k ? " + " : "";
        char extra[12] = "";
        if (k)
            snprintf(extra, sizeof extra, "%u", last);
        if (memory == 0) {
            /* wc_D: memory 0's map, read once per function (gcc would read
             * it again after every store, which may alias it).  A mark
             * follows its store, whose u64 address was then below the
             * memory's size, at most 4 GiB (the engine's page limit): its
             * page is in the map without a mask, and fewer tokens are less
             * for libtcc to read. */
            const char *mark[5] = {"  wc_D[(", where, plus, extra, ") >> 12] = 1;\n"};
            /* libtcc's where is a sum, which >> takes whole */
            const char *tcc_mark[5] = {"  wc_D[", where, plus, extra, ">>12]=1;\n"};
            for (size_t i = 0; i < 5; i++)
                wc_buf_str(out, m->for_tcc ? tcc_mark[i] : mark[i]);
        } else if (!m->for_tcc) {
            const char *mark[7] = {"  WC_DIRTY(", wc_emit_memory_at(m, memory), ", ", where, plus, extra, ");\n"};
            for (size_t i = 0; i < 7; i++)
                wc_buf_str(out, mark[i]);
        } else {
            const char *mark[7] = {"  ", wc_emit_memory_at(m, memory), "->dirty[((u64)(", where, plus, extra,
                                   ") >> 12) & 1048575] = 1;\n"};
            for (size_t i = 0; i < 7; i++)
                wc_buf_str(out, mark[i]);
        }
    }
}

void wc_emit_store(const wc_emit_module *m, uint32_t memory, const char *type, const char *where,
                   const char *value, wc_buf *out)
{
    /* the assignment converts value as ST's cast does */
    const char *parts[7] = {"  *(wc_", type, "*)(M+", where, ") = ", value, ";\n"};
    if (!m->for_tcc) {
        const char *macro[7] = {"  ST(", type, ", ", where, ", ", value, ");\n"};
        for (size_t i = 0; i < 7; i++)
            wc_buf_str(out, macro[i]);
        if (m->track_writes)
            wc_emit_page_marks(m, memory, where, store_bytes(type), out);
        return;
    }
    for (size_t i = 0; i < 7; i++)
        wc_buf_str(out, parts[i]);
    if (m->track_writes)
        wc_emit_page_marks(m, memory, where, store_bytes(type), out);
}

void wc_emit_loop_back(const wc_emit_module *m, uint32_t label, wc_buf *out)
{
    if (m->for_tcc) {
        wc_buf_str(out, wc_emit_irq(m));
        wc_buf_printf(out, "  goto L%" PRIu32 ";\n", label);
        return;
    }
    wc_buf_printf(out, "  IRQ_GOTO(L%" PRIu32 ");\n", label);
}

/* FUNC_PROLOGUE and FUNC_EPILOGUE for libtcc through H, the call-state
 * header before the instance (WC_RT_HDR), taken once: the macros' nested
 * expansions were about a tenth of a fast-tier compile.  The prologue's
 * one condition is the macro's: ++depth > (frame below the stack's limit
 * ? 0 : max_depth). */
const char *wc_emit_prologue(const wc_emit_module *m)
{
    return m->for_tcc ? "  wc_rt_hdr *H = (wc_rt_hdr *)instance - 1;\n"
                        "  if (++H->depth > H->max_depth || (char *)__builtin_frame_address(0) < H->stack_limit)"
                        " wasm_rt_trap(WASM_RT_TRAP_EXHAUSTION);\n"
                      : "  FUNC_PROLOGUE;\n";
}

const char *wc_emit_epilogue(const wc_emit_module *m)
{
    return m->for_tcc ? "--H->depth;" : "FUNC_EPILOGUE;";
}

const char *wc_emit_irq(const wc_emit_module *m)
{
    return m->for_tcc ? "  if (instance->irq) wasm_rt_trap(WASM_RT_TRAP_UNREACHABLE);\n"
                      : "  IRQ;\n";
}
