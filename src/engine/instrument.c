/* instrument.c -- rewrite a validated module into the form the engine translates.
 *
 * wasm2c has no fuel or epoch mechanism, so a call that loops forever could
 * only be stopped by killing the process.  This pass makes every function
 * entry and every branch back to a loop (br, br_if, br_table that can target
 * a loop label) test an interrupt flag:
 *
 *     global.get $interrupt  if  unreachable  end
 *
 * A loop repeats only through such a branch, and recursion passes function
 * entries, so no code runs unboundedly without a check.  The check sits at
 * the end of an iteration rather than at the loop header so that the body's
 * first loads come before any exit of the iteration: gcc can then hoist
 * loop-invariant loads (the memory base) out of the loop.
 *
 * The flag is a new mutable i32 global appended after the module's own
 * globals (appending shifts no index), exported as "wcirq" so the engine can
 * reach it, and made volatile in the generated C (see translate.c) so the C
 * compiler cannot hoist the load out of a loop.  A watchdog or
 * wc_instance_interrupt() sets it; the resulting `unreachable` trap is
 * reported as a deadline or an interruption because the flag is set.
 *
 * The pass also renames what wasm2c turns into C identifiers, so that the
 * generated symbol names are predictable whatever the module calls things:
 * imports become module "h", fields "f<i>", "t<i>", "m<i>", "g<i>" (i is the
 * import's position), exports become "e<i>", memory 0 is exported as
 * "wcmem", and custom sections (names, the plugin manifest) are dropped.
 */
#include "engine/instrument.h"

#include <stdio.h>
#include <string.h>

static const uint8_t interrupt_check_tail[] = {0x04, 0x40, 0x00, 0x0b}; /* if unreachable end */

/* The position of each section id in the required order. */
static int section_rank(uint8_t id)
{
    static const int rank[] = {
        [WC_SEC_TYPE] = 1,     [WC_SEC_IMPORT] = 2, [WC_SEC_FUNCTION] = 3,
        [WC_SEC_TABLE] = 4,    [WC_SEC_MEMORY] = 5, [WC_SEC_GLOBAL] = 6,
        [WC_SEC_EXPORT] = 7,   [WC_SEC_START] = 8,  [WC_SEC_ELEMENT] = 9,
        [WC_SEC_DATACOUNT] = 10, [WC_SEC_CODE] = 11, [WC_SEC_DATA] = 12,
    };
    return id < sizeof rank / sizeof rank[0] ? rank[id] : 0;
}

/* Reads an unsigned LEB128 of already-validated bytes. */
static uint64_t read_uleb(const uint8_t *p, size_t *len)
{
    uint64_t value = 0;
    unsigned shift = 0;
    size_t i = 0;
    for (;;) {
        uint8_t byte = p[i++];
        value |= (uint64_t)(byte & 0x7f) << shift;
        if (!(byte & 0x80) || shift >= 63)
            break;
        shift += 7;
    }
    *len = i;
    return value;
}

static void write_section(wc_buf *out, uint8_t id, const wc_buf *payload)
{
    wc_buf_byte(out, id);
    wc_buf_uleb(out, payload->len);
    wc_buf_append(out, payload->data, payload->len);
}

static void write_limits(wc_buf *b, const wc_limits *limits)
{
    wc_buf_byte(b, limits->has_max ? 1 : 0);
    wc_buf_uleb(b, limits->min);
    if (limits->has_max)
        wc_buf_uleb(b, limits->max);
}

static void write_name(wc_buf *b, const char *name)
{
    wc_buf_uleb(b, strlen(name));
    wc_buf_str(b, name);
}

static void emit_imports(wc_buf *out, const wc_module_info *info)
{
    static const char kind_letter[] = {'f', 't', 'm', 'g'};
    wc_buf p;
    wc_buf_init(&p);
    wc_buf_uleb(&p, info->nimports);
    for (uint32_t i = 0; i < info->nimports; i++) {
        const wc_import *imp = &info->imports[i];
        char field[16];
        snprintf(field, sizeof field, "%c%u", kind_letter[imp->kind], i);
        write_name(&p, "h");
        write_name(&p, field);
        wc_buf_byte(&p, (uint8_t)imp->kind);
        switch (imp->kind) {
        case WC_EXTERN_FUNC:
            wc_buf_uleb(&p, imp->desc.func_type);
            break;
        case WC_EXTERN_TABLE:
            wc_buf_byte(&p, imp->desc.table.elemtype);
            write_limits(&p, &imp->desc.table.limits);
            break;
        case WC_EXTERN_MEMORY:
            write_limits(&p, &imp->desc.memory);
            break;
        case WC_EXTERN_GLOBAL:
            wc_buf_byte(&p, imp->desc.global.valtype);
            wc_buf_byte(&p, imp->desc.global.mutable_ ? 1 : 0);
            break;
        }
    }
    write_section(out, WC_SEC_IMPORT, &p);
    out->failed |= p.failed;
    wc_buf_free(&p);
}

/* The module's globals plus the interrupt flag. */
static void emit_globals(wc_buf *out, const wc_module_info *info, const wc_section *sec)
{
    wc_buf p;
    wc_buf_init(&p);
    wc_buf_uleb(&p, (uint64_t)info->nglobals + 1);
    if (sec) {
        size_t n;
        read_uleb(info->bytes + sec->offset, &n);
        wc_buf_append(&p, info->bytes + sec->offset + n, sec->size - n);
    }
    static const uint8_t flag[] = {WC_VT_I32, 0x01, 0x41, 0x00, 0x0b}; /* mut i32 = 0 */
    wc_buf_append(&p, flag, sizeof flag);
    write_section(out, WC_SEC_GLOBAL, &p);
    out->failed |= p.failed;
    wc_buf_free(&p);
}

static void emit_exports(wc_buf *out, const wc_module_info *info, uint32_t flag_index)
{
    bool has_memory = info->nimported_memories + info->nmemories > 0;
    wc_buf p;
    wc_buf_init(&p);
    wc_buf_uleb(&p, (uint64_t)info->nexports + 1 + (has_memory ? 1 : 0));
    for (uint32_t i = 0; i < info->nexports; i++) {
        char name[16];
        snprintf(name, sizeof name, "e%u", i);
        write_name(&p, name);
        wc_buf_byte(&p, (uint8_t)info->exports[i].kind);
        wc_buf_uleb(&p, info->exports[i].index);
    }
    write_name(&p, WC_INTERRUPT_EXPORT);
    wc_buf_byte(&p, WC_EXTERN_GLOBAL);
    wc_buf_uleb(&p, flag_index);
    if (has_memory) {
        write_name(&p, WC_MEMORY_EXPORT);
        wc_buf_byte(&p, WC_EXTERN_MEMORY);
        wc_buf_uleb(&p, 0);
    }
    write_section(out, WC_SEC_EXPORT, &p);
    out->failed |= p.failed;
    wc_buf_free(&p);
}

static void append_check(wc_buf *b, uint32_t flag_index)
{
    wc_buf_byte(b, 0x23); /* global.get */
    wc_buf_uleb(b, flag_index);
    wc_buf_append(b, interrupt_check_tail, sizeof interrupt_check_tail);
}

static void emit_code(wc_buf *out, const wc_module_info *info, uint32_t flag_index)
{
    wc_buf p, body;
    wc_buf_init(&p);
    wc_buf_init(&body);
    wc_buf_uleb(&p, info->nfuncs);
    for (uint32_t f = 0; f < info->nfuncs; f++) {
        const wc_func *fn = &info->funcs[f];
        const uint8_t *bytes = info->bytes;
        size_t end = fn->body_offset + fn->body_size;
        body.len = 0;
        wc_buf_append(&body, bytes + fn->body_offset, fn->code_offset - fn->body_offset);
        append_check(&body, flag_index);
        size_t at = fn->code_offset;
        for (uint32_t e = 0; e < fn->nbackedges; e++) {
            wc_buf_append(&body, bytes + at, fn->backedges[e] - at);
            append_check(&body, flag_index);
            at = fn->backedges[e];
        }
        wc_buf_append(&body, bytes + at, end - at);
        wc_buf_uleb(&p, body.len);
        wc_buf_append(&p, body.data, body.len);
        p.failed |= body.failed;
    }
    write_section(out, WC_SEC_CODE, &p);
    out->failed |= p.failed;
    wc_buf_free(&p);
    wc_buf_free(&body);
}

int wc_instrument(const wc_module_info *info, wc_buf *out, uint32_t *flag_index, wc_error *err)
{
    static const uint8_t header[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
    uint32_t flag = info->nimported_globals + info->nglobals;
    bool globals_done = false, exports_done = false;

    wc_buf_append(out, header, sizeof header);
    for (uint32_t s = 0; s < info->nsections; s++) {
        const wc_section *sec = &info->sections[s];
        if (sec->id == WC_SEC_CUSTOM)
            continue;
        int rank = section_rank(sec->id);
        if (!globals_done && rank > section_rank(WC_SEC_GLOBAL)) {
            emit_globals(out, info, NULL);
            globals_done = true;
        }
        if (!exports_done && rank > section_rank(WC_SEC_EXPORT)) {
            emit_exports(out, info, flag);
            exports_done = true;
        }
        switch (sec->id) {
        case WC_SEC_IMPORT:
            emit_imports(out, info);
            break;
        case WC_SEC_GLOBAL:
            emit_globals(out, info, sec);
            globals_done = true;
            break;
        case WC_SEC_EXPORT:
            emit_exports(out, info, flag);
            exports_done = true;
            break;
        case WC_SEC_CODE:
            emit_code(out, info, flag);
            break;
        default:
            wc_buf_byte(out, sec->id);
            wc_buf_uleb(out, sec->size);
            wc_buf_append(out, info->bytes + sec->offset, sec->size);
            break;
        }
    }
    if (!globals_done)
        emit_globals(out, info, NULL);
    if (!exports_done)
        emit_exports(out, info, flag);
    if (out->failed)
        return wc_error_set(err, WC_ENOMEM, "out of memory while instrumenting the module");
    *flag_index = flag;
    return 0;
}
