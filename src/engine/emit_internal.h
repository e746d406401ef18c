/* emit_internal.h -- private to the emitter (emit*.c): the module as the
 * emitter sees it, and the pieces of the translation unit each file writes.
 *
 * Names in the generated C: the instance struct is `wc_inst` (reached as
 * `instance`, which the runtime's FUNC_PROLOGUE expects); function i is
 * `fn<i>` whether defined or imported (an import is a trampoline into the
 * host); global i is `g<i>`, table i `t<i>`, memory i `m<i>` (pointers
 * when imported); type i's id is `wc_types[i]` and its multi-value result struct
 * `R<i>`; locals are `l<i>` and the operand stack's slot at height h of type
 * letter c (i, j, F, D, r, x) is `<c><h>`; in libtcc's unit `H` is the
 * instance's call-state header (wasm-rt.h's wc_rt_hdr).
 */
#ifndef WC_ENGINE_EMIT_INTERNAL_H
#define WC_ENGINE_EMIT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/decode.h"
#include "util/buf.h"
#include "util/error.h"

typedef struct wc_emit_module {
    const wc_module_info *info;
    bool track_writes; /* every write marks its page (wasm-rt.h, WC_DIRTY) */
    bool for_tcc;      /* libtcc's unit: hot macros spelled out (emit_spelled.c) */
    uint32_t nfuncs_total, nglobals_total, ntables_total;
    const wc_globaltype **global_types; /* every global, imports first */
    const wc_tabletype **table_types;   /* every table, imports first */
    uint32_t *import_of;                /* per import: its index in its kind's space */
    uint32_t *func_import;              /* per imported function: its import index */
    bool has_memory, memory_imported; /* memory 0 */
    uint32_t nmemories_total;
    char **memory_names; /* per memory, imports first: a pointer expression */
    bool *memory_is64;   /* per memory: i64 addresses (memory64) */
} wc_emit_module;

/* The C prelude every unit starts with after wasm-rt.h (emit_prelude.c). */
extern const char wc_emit_prelude[];

/* C type, slot letter and wc_rt_value field of a value type. */
const char *wc_emit_ctype(uint8_t valtype);
char wc_emit_letter(uint8_t valtype);
const char *wc_emit_field(uint8_t valtype);
/* The C return type of function type `type`: void, a C type or R<type>. */
void wc_emit_return_type(const wc_emit_module *m, uint32_t type, wc_buf *out);
/* "static T fn<func>(wc_inst *instance, P l0, ...)" */
void wc_emit_signature(const wc_emit_module *m, uint32_t func, wc_buf *out);
/* The same with each parameter's type after `qualifier` ("volatile "). */
void wc_emit_signature_qualified(const wc_emit_module *m, uint32_t func, const char *qualifier,
                                 wc_buf *out);
/* An lvalue for global i, table i (a pointer) and memory 0 (a pointer). */
void wc_emit_global(const wc_emit_module *m, uint32_t global, wc_buf *out);
void wc_emit_table(const wc_emit_module *m, uint32_t table, wc_buf *out);
const char *wc_emit_memory(const wc_emit_module *m);
/* A pointer to memory i (multi-memory), e.g. "(&instance->m1)". */
const char *wc_emit_memory_at(const wc_emit_module *m, uint32_t memory);
/* The value of a constant expression at bytes[*pos] (through its `end`),
 * as a C expression; *pos moves past it. */
void wc_emit_const_expr(const wc_emit_module *m, size_t *pos, size_t end, wc_buf *out);

/* n in decimal (what printf's %u writes, without printf's cost). */
void wc_emit_decimal(uint64_t n, wc_buf *out);

/* Readers of validated bytes: never past end (a short read yields 0). */
uint32_t wc_emit_u32(const uint8_t *bytes, size_t *pos, size_t end);
uint64_t wc_emit_u64(const uint8_t *bytes, size_t *pos, size_t end);
int64_t wc_emit_s64(const uint8_t *bytes, size_t *pos, size_t end, unsigned bits);

/* Appends a C literal of the f32 / f64 with these bits. */
void wc_emit_f32_literal(uint32_t bits, wc_buf *out);
void wc_emit_f64_literal(uint64_t bits, wc_buf *out);

/* A v128 literal from the 16 bytes at bytes[*pos] (moved past them). */
void wc_emit_v128_literal(const uint8_t *bytes, size_t *pos, size_t end, wc_buf *out);
/* What a unit of a module using SIMD adds to the prelude (emit_simd.c):
 * the v128 type and the helpers, wasm-simd.h for gcc, the runtime's for
 * libtcc. */
void wc_emit_simd_prelude(bool for_tcc, wc_buf *out);
/* What such a unit says before wasm-rt.h: gcc's v128 is a vector. */
void wc_emit_simd_preamble(wc_buf *out);
/* libtcc's address of an access to a 32-bit memory at addr + offset, for
 * M+ to precede (emit_spelled.c); NULL when out of memory. */
char *wc_emit_tcc_address(const char *addr, uint32_t offset);
/* A load's template (emit_ops.c) as this unit spells it: $0 the address. */
void wc_emit_load_template(const wc_emit_module *m, const char *tmpl, wc_buf *out);
/* The statement storing value (of C type `type`) at where, at M (memory
 * `memory`'s base, which the caller has in scope), and the mark of its page
 * in that memory when writes are tracked (WC_DIRTY). */
void wc_emit_store(const wc_emit_module *m, uint32_t memory, const char *type, const char *where,
                   const char *value, wc_buf *out);
/* The page marks of a tracked write of `bytes` at where: its first byte's
 * page, and its last byte's only when it writes more than WC_DIRTY_SPILL
 * bytes past it (freeing zeroes those after every marked page). */
void wc_emit_page_marks(const wc_emit_module *m, uint32_t memory, const char *where, unsigned bytes,
                        wc_buf *out);
/* The function's entry check of its call depth and stack (a statement
 * with its indent and newline, after the declarations), and its undoing
 * before a return (a statement, bare). */
const char *wc_emit_prologue(const wc_emit_module *m);
const char *wc_emit_epilogue(const wc_emit_module *m);
/* The interrupt check, a statement with its indent and newline. */
const char *wc_emit_irq(const wc_emit_module *m);
/* A branch back to loop `label` with its interrupt check (statements). */
void wc_emit_loop_back(const wc_emit_module *m, uint32_t label, wc_buf *out);

/* One function body (defined function `index`, imports not counted). */
int wc_emit_function(const wc_emit_module *m, uint32_t index, wc_buf *out, wc_error *err);

/* Element and data segments: their contents (before the functions, after
 * their prototypes), the helpers that read them, and wc_init_segments(),
 * which applies the active ones in order and drops them. */
int wc_emit_segments(const wc_emit_module *m, wc_buf *out, wc_error *err);
/* Fields of wc_inst the segments need (the sizes left to table.init and
 * memory.init, zero once dropped). */
void wc_emit_segment_fields(const wc_emit_module *m, wc_buf *out);

/* Tail calls (emit_tail.c).  The funcref field naming func's tail entry
 * (", fn<func>_tail", or nothing in a unit without tail calls); the
 * prototypes of the tail entries; the wrappers and tail entries that are
 * not function bodies, and wc_tail_via<type>. */
void wc_emit_tail_ref(const wc_emit_module *m, uint32_t func, wc_buf *out);
void wc_emit_tail_prototypes(const wc_emit_module *m, wc_buf *out);
void wc_emit_tail_entries(const wc_emit_module *m, wc_buf *out);
/* The head of func's tail entry, up to its parameters read from the area
 * (locals of a C type after `qualifier`). */
void wc_emit_tail_head(const wc_emit_module *m, uint32_t func, const char *qualifier, wc_buf *out);
/* A call of callee(inst, args[0], ...) of function type `type`, whose
 * results are stored in results[0...] (arrays of wc_rt_value). */
void wc_emit_values_call(const wc_emit_module *m, uint32_t type, const char *callee, const char *inst,
                         const char *args, const char *results, wc_buf *out);

/* Import trampolines, export wrappers and the wc_glue table. */
void wc_emit_imports(const wc_emit_module *m, wc_buf *out);
void wc_emit_glue(const wc_emit_module *m, wc_buf *out);

#endif
