/* validate.h -- private to the decoder: the state shared by decode.c (the
 * module's sections) and validate.c (function bodies and constant
 * expressions), and memarg.c (the memory-access immediate).  Nothing else
 * includes this header.
 */
#ifndef WC_ENGINE_VALIDATE_H
#define WC_ENGINE_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/decode.h"

/* "No value type known": what popping the polymorphic stack of unreachable
 * code yields.  Never a valid encoding. */
#define WC_VT_UNKNOWN 0

typedef struct wc_decoder {
    const uint8_t *bytes;
    size_t size;
    size_t pos; /* next byte to read */
    size_t end; /* end of the region being read (section, body) */

    wc_error *err;
    wc_decode_limits limits;
    wc_module_info *info;

    /* Index spaces, imports first. */
    uint32_t nfuncs_total;
    uint32_t *func_types; /* type index of each function */
    uint32_t ntables_total;
    wc_tabletype *table_types;
    uint32_t nmemories_total;
    bool *memory_is64; /* per memory, imports first (max_memories entries) */
    uint32_t nglobals_total;
    wc_globaltype *global_types;
    uint32_t nelems;
    uint8_t *elem_types; /* reference type of each element segment */
    uint32_t datacount;  /* from the data count section, if any */
    uint32_t ntags_total;
    uint32_t *tag_types; /* type index of each tag, imports first */

    /* C.refs: functions that ref.func may name inside function bodies. */
    uint8_t *declared_refs; /* bitmap over nfuncs_total */

    /* The first validation error met while reading the module's structure.
     * Reported only if the rest of the module is well-formed, as the spec
     * decodes the whole module before validating it. */
    bool has_deferred;
    wc_error deferred;
} wc_decoder;

/* Allocates n zeroed bytes owned by the module info; NULL when out of
 * memory. */
void *wc_dec_alloc(wc_decoder *d, size_t n);

/* Error helpers: set d->err to "<kind> module at byte 0x..: <reason>" and
 * return the matching WC_E* code. */
int wc_dec_malformed(wc_decoder *d, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int wc_dec_invalid(wc_decoder *d, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int wc_dec_limit(wc_decoder *d, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int wc_dec_unsupported(wc_decoder *d, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int wc_dec_nomem(wc_decoder *d);
/* Records a validation error to report once decoding is over (first wins). */
void wc_dec_note_invalid(wc_decoder *d, size_t at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Readers: each returns 0 or an error code, reading within [pos, end). */
int wc_dec_byte(wc_decoder *d, uint8_t *out);
int wc_dec_u32(wc_decoder *d, uint32_t *out);
int wc_dec_u64(wc_decoder *d, uint64_t *out);
/* Whether memory `memory` (if it exists) has i64 addresses (memory64). */
static inline bool wc_dec_memory_is64(const wc_decoder *d, uint32_t memory)
{
    return memory < d->nmemories_total && d->memory_is64 && memory <= d->limits.max_memories &&
           d->memory_is64[memory];
}
int wc_dec_s32(wc_decoder *d, int32_t *out);
int wc_dec_s33(wc_decoder *d, int64_t *out);
int wc_dec_s64(wc_decoder *d, int64_t *out);
int wc_dec_skip(wc_decoder *d, size_t n);
/* A value type: number, vector or reference type. */
int wc_dec_valtype(wc_decoder *d, uint8_t *out);
/* A reference type: funcref or externref. */
int wc_dec_reftype(wc_decoder *d, uint8_t *out);

/* A SIMD instruction read by wc_validate_simd: its name and the types it
 * pops (operands in order) and pushes (result 0 for none). */
typedef struct wc_simd_sig {
    const char *name;
    uint8_t operands[3];
    uint32_t noperands;
    uint8_t result;
} wc_simd_sig;

/* Reads the instruction after a 0xfd byte at `at` with its immediates and
 * checks them (lanes, alignment, memory, the relaxed-SIMD feature). */
int wc_validate_simd(wc_decoder *d, size_t at, wc_simd_sig *out);
/* Reads the instruction after a 0xfe byte at `at` (the threads proposal)
 * with its immediates and checks them (memory, natural alignment, offset);
 * its signature has the SIMD one's shape (the address first, i64 on a
 * 64-bit memory). */
int wc_validate_atomic(wc_decoder *d, size_t at, wc_simd_sig *out);
/* Tags (decode_tags.c): a tag's type (attribute byte and type index), an
 * imported tag (at: its kind byte; nimports: the import count), the tag
 * section, and the check of a tag count against max_tags. */
int wc_dec_tag_type(wc_decoder *d, uint32_t *type);
int wc_dec_import_tag(wc_decoder *d, size_t at, uint32_t nimports, uint32_t *type);
int wc_dec_tag_section(wc_decoder *d);
int wc_dec_tag_limit(wc_decoder *d, size_t at, uint64_t count);

/* Marks function `func` as declared for ref.func (C.refs). */
int wc_dec_declare_ref(wc_decoder *d, uint32_t func);

/* Reads a constant expression (through its `end`) whose result must be of
 * type `type`.  Validation errors are noted, not returned, so decoding can
 * go on; malformed encodings are returned. */
int wc_validate_const_expr(wc_decoder *d, uint8_t type);

/* Validates every function body of d->info (run once the whole module is
 * decoded), filling each wc_func's loops. */
int wc_validate_code(wc_decoder *d);

#endif
