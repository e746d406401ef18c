/* decode.h -- read and validate a WebAssembly binary module.
 *
 * The decoder is the engine's front door: every byte of an untrusted module
 * passes through it before anything else looks at the module.  It checks the
 * binary format (malformed modules) and the validation rules of the
 * WebAssembly 2.0 core specification (invalid modules), refuses modules whose
 * declared sizes pass configurable limits before any large allocation, and
 * describes the module in a wc_module_info that the rest of the engine
 * (instrumentation, translation, linking) reads.
 *
 * Errors name the byte offset and the reason, e.g.
 *   "invalid module at byte 0x2f: type mismatch in i32.add, expected i32 got f64".
 *
 * SIMD (v128 and the 0xfd prefix) is part of it; relaxed SIMD is the
 * proposal WC_FEATURE_RELAXED_SIMD, shared memories and the 0xfe-prefixed
 * atomics WC_FEATURE_THREADS.
 * Exception handling is validated, then refused as not supported yet.
 */
#ifndef WC_ENGINE_DECODE_H
#define WC_ENGINE_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/error.h"

/* Value types, by their binary encoding. */
enum {
    WC_VT_I32 = 0x7f,
    WC_VT_I64 = 0x7e,
    WC_VT_F32 = 0x7d,
    WC_VT_F64 = 0x7c,
    WC_VT_V128 = 0x7b,
    WC_VT_FUNCREF = 0x70,
    WC_VT_EXTERNREF = 0x6f,
};

/* External kinds, by their binary encoding (import/export descriptors). */
typedef enum {
    WC_EXTERN_FUNC = 0,
    WC_EXTERN_TABLE = 1,
    WC_EXTERN_MEMORY = 2,
    WC_EXTERN_GLOBAL = 3,
    WC_EXTERN_TAG = 4, /* exception handling */
} wc_extern_kind;

/* Section ids, by their binary encoding. */
enum {
    WC_SEC_CUSTOM = 0,
    WC_SEC_TYPE = 1,
    WC_SEC_IMPORT = 2,
    WC_SEC_FUNCTION = 3,
    WC_SEC_TABLE = 4,
    WC_SEC_MEMORY = 5,
    WC_SEC_GLOBAL = 6,
    WC_SEC_EXPORT = 7,
    WC_SEC_START = 8,
    WC_SEC_ELEMENT = 9,
    WC_SEC_CODE = 10,
    WC_SEC_DATA = 11,
    WC_SEC_DATACOUNT = 12,
    WC_SEC_TAG = 13, /* exception handling: between memory and global */
};

typedef struct wc_functype {
    uint32_t nparams, nresults;
    const uint8_t *params;  /* nparams WC_VT_* codes */
    const uint8_t *results; /* nresults WC_VT_* codes */
} wc_functype;

typedef struct wc_limits {
    uint32_t min;
    uint32_t max; /* meaningful only when has_max */
    bool has_max;
    /* memory64: addresses are i64.  Its limits may pass 2^32 pages; min is
     * checked against max_memory_pages, and a larger max is kept as
     * UINT32_MAX - 1 (a memory never reaches it: 4 GiB is the runtime's
     * bound). */
    bool is64;
    /* threads: a shared memory (it has a maximum); an importer must agree */
    bool shared;
} wc_limits;

typedef struct wc_tabletype {
    uint8_t elemtype; /* WC_VT_FUNCREF or WC_VT_EXTERNREF */
    wc_limits limits;
} wc_tabletype;

typedef struct wc_globaltype {
    uint8_t valtype;
    bool mutable_;
} wc_globaltype;

typedef struct wc_import {
    const char *module; /* NUL-terminated, valid UTF-8 */
    const char *name;
    size_t module_len, name_len; /* names may contain U+0000 */
    wc_extern_kind kind;
    union {
        uint32_t func_type; /* index into types */
        wc_tabletype table;
        wc_limits memory;
        wc_globaltype global;
        uint32_t tag_type; /* index into types (a type without results) */
    } desc;
} wc_import;

typedef struct wc_export {
    const char *name;
    size_t name_len; /* the name may contain U+0000 */
    wc_extern_kind kind;
    uint32_t index; /* in the kind's index space (imports first) */
} wc_export;

typedef struct wc_custom_section {
    const char *name;
    const uint8_t *data; /* payload after the name, points into the module bytes */
    size_t size;
    size_t offset; /* byte offset of the payload in the module */
} wc_custom_section;

/* A raw section as it appears in the binary, in order of appearance. */
typedef struct wc_section {
    uint8_t id;
    size_t offset; /* of the payload (after id and size) */
    size_t size;   /* of the payload */
} wc_section;

/* A function defined in the module (imports are not listed here). */
typedef struct wc_func {
    uint32_t type;        /* index into types */
    size_t body_offset;   /* of the body (after its size LEB: the locals vector) */
    size_t body_size;     /* size of the body, locals vector included */
    size_t code_offset;   /* of the first instruction (after the locals) */
    uint32_t nlocals;     /* declared locals, parameters not included */
    uint32_t nloops;      /* number of `loop` instructions in the body */
    const size_t *loops;  /* offset of the first instruction inside each loop,
                             ascending (just after the loop's block type) */
    uint32_t nbackedges;  /* br, br_if and br_table instructions that can
                             branch back to a loop */
    const size_t *backedges; /* their offsets (of the opcode), ascending */
    bool tail_calls;      /* the body has a return_call or return_call_indirect */
} wc_func;

typedef struct wc_global {
    wc_globaltype type;
    size_t init_offset; /* constant expression, including its `end` */
    size_t init_size;
} wc_global;

/* Limits checked while decoding, before anything large is allocated or
 * compiled.  Zero in a field means "use the default" of
 * wc_decode_limits_default(). */
typedef struct wc_decode_limits {
    size_t max_module_bytes;      /* default 64 MiB */
    uint32_t max_types;           /* default 100000 */
    uint32_t max_functions;       /* imported + defined, default 100000 */
    size_t max_code_bytes;        /* size of the code section, default 32 MiB */
    size_t max_function_bytes;    /* one function body, default 4 MiB */
    uint32_t max_locals;          /* per function, default 50000 */
    uint32_t max_memory_pages;    /* initial pages of any memory, default 16384 (1 GiB) */
    uint32_t max_table_elements;  /* initial elements of any table, default 10000000 */
    uint64_t max_data_bytes;      /* sum of data segment sizes, default 256 MiB */
    uint32_t max_globals;         /* default 100000 */
    uint32_t max_imports;         /* default 100000 */
    uint32_t max_exports;         /* default 100000 */
    uint32_t max_segments;        /* element or data segments, default 100000 */
    uint32_t max_block_depth;     /* nesting of block/loop/if, default 10000 */
    /* Added after the first version; they bound validation time and memory,
     * which grow with a type's arity and the operand stack's height. */
    uint32_t max_type_arity;      /* params or results of one function type, default 1000 */
    uint32_t max_stack_height;    /* operand stack of one function, default 1000000 */
    /* Post-2.0 proposals turned off (WC_FEATURE_* bits); 0, the default,
     * leaves every proposal this build implements on.  The spec suite turns
     * them off for the core tests, whose assertions some proposals relax
     * (a second memory is invalid in 2.0, valid with multi-memory). */
    uint32_t disabled_features;
    /* Memories of a module, imported and defined (multi-memory), default 16. */
    uint32_t max_memories;
    uint32_t max_tags;            /* imported + defined, default 100000 */
} wc_decode_limits;

/* The post-2.0 proposals, one bit each.  A module using one that is off, or
 * that this build does not implement, is refused at validation with the
 * proposal named. */
enum {
    WC_FEATURE_TAIL_CALL = 1u << 0,
    WC_FEATURE_EXCEPTIONS = 1u << 1,
    WC_FEATURE_MULTI_MEMORY = 1u << 2,
    WC_FEATURE_MEMORY64 = 1u << 3,
    WC_FEATURE_EXTENDED_CONST = 1u << 4,
    WC_FEATURE_THREADS = 1u << 5,
    WC_FEATURE_RELAXED_SIMD = 1u << 6,
};
#define WC_FEATURES_ALL 0x7fu

/* The proposals this build implements (each joins when its spec tests pass
 * on both tiers). */
#define WC_FEATURES_IMPLEMENTED \
    (WC_FEATURE_TAIL_CALL | WC_FEATURE_EXTENDED_CONST | WC_FEATURE_RELAXED_SIMD | \
     WC_FEATURE_MULTI_MEMORY | WC_FEATURE_MEMORY64 | WC_FEATURE_THREADS | \
     WC_FEATURE_EXCEPTIONS)

/* Parameters or results a tail call may carry at most (its arguments and
 * results pass through an area of this size: runtime/wasm-rt.h). */
#define WC_TAIL_CALL_MAX_VALUES 1000u

/* The proposals the decoder and validator understand: a proposal read
 * before the emitter could compile it joined here first, so that its
 * modules were refused as unsupported only after validation (exception
 * handling did; today every proposal read is implemented). */
#define WC_FEATURES_DECODED WC_FEATURES_IMPLEMENTED

/* True when the decoder reads the proposal `feature` under these limits. */
static inline bool wc_feature_decoded(const wc_decode_limits *limits, uint32_t feature)
{
    return (WC_FEATURES_DECODED & feature) && !(limits->disabled_features & feature);
}

/* True when the proposal `feature` is on under these limits. */
static inline bool wc_feature_enabled(const wc_decode_limits *limits, uint32_t feature)
{
    return (WC_FEATURES_IMPLEMENTED & feature) && !(limits->disabled_features & feature);
}

/* Tries (exception handling) open at once in one function: each holds a
 * handler of a few hundred bytes on the native stack while it is open, so
 * deeper nesting is refused as a limit (max_block_depth bounds the rest). */
#define WC_MAX_OPEN_TRIES 256u

/* Extended constant expressions (i32/i64 add, sub, mul) taller than this
 * many operands are refused as a limit: the validator and the emitter keep
 * one fixed array of this size. */
#define WC_CONST_EXPR_MAX_HEIGHT 256u

/* The bit of a proposal by the name of its folder in the spec test suite
 * ("tail-call", "exception-handling", "multi-memory", "memory64",
 * "extended-const", "threads", "relaxed-simd"); 0 for an unknown name. */
uint32_t wc_feature_by_name(const char *name);
/* The name of one feature bit, or "unknown". */
const char *wc_feature_name(uint32_t feature);

typedef struct wc_module_info {
    const uint8_t *bytes; /* the module, owned by the caller, must outlive info */
    size_t size;

    uint32_t ntypes;
    wc_functype *types;

    uint32_t nimports;
    wc_import *imports;
    /* counts of imports per kind: these come first in each index space */
    uint32_t nimported_funcs, nimported_tables, nimported_memories, nimported_globals;

    uint32_t nfuncs; /* defined functions */
    wc_func *funcs;

    uint32_t ntables; /* defined tables */
    wc_tabletype *tables;

    uint32_t nmemories; /* defined memories (with imports, one in 2.0, max_memories with multi-memory) */
    wc_limits *memories;

    uint32_t nglobals; /* defined globals */
    wc_global *globals;

    uint32_t nexports;
    wc_export *exports;

    bool uses_simd; /* v128 or a 0xfd-prefixed instruction appears */
    bool uses_atomics; /* a 0xfe-prefixed instruction (threads) appears */

    bool has_start;
    uint32_t start; /* function index */

    bool tail_calls; /* some function makes a tail call */
    /* the most parameters of a type call_indirect or return_call_indirect
     * names (the fast tier's limit on a call's arguments) */
    uint32_t max_indirect_params;

    /* Exception handling: tags, imports first (nimported_tags + ntags
     * entries of tag_types, each a type index). */
    uint32_t nimported_tags, ntags;
    const uint32_t *tag_types;
    bool exceptions; /* some function uses try, throw or rethrow */

    uint32_t nelems;  /* element segments */
    uint32_t ndatas;  /* data segments */
    bool has_datacount;

    uint32_t ncustom;
    wc_custom_section *custom;

    uint32_t nsections; /* every section, custom ones included, in order */
    wc_section *sections;

    /* Type index of every function, imports first
     * (nimported_funcs + nfuncs entries). */
    const uint32_t *func_types;

    void *arena_; /* private: owns every array and string above */
} wc_module_info;

/* Fills *limits with the defaults. */
void wc_decode_limits_default(wc_decode_limits *limits);

/* Decodes and validates bytes[0..size).  On success returns 0 and *out is a
 * new info to free with wc_module_info_free().  On failure returns
 * WC_EMALFORMED (binary format), WC_EBADMODULE (validation),
 * WC_ETOOBIG (a configured limit) or WC_ENOTSUP (a proposal beyond 2.0
 * that is off or not implemented), *out is NULL and err holds the reason with the
 * byte offset.  limits may be NULL for the defaults.  Never reads outside
 * bytes[0..size), whatever the input. */
int wc_decode(const uint8_t *bytes, size_t size, const wc_decode_limits *limits,
              wc_module_info **out, wc_error *err);

void wc_module_info_free(wc_module_info *info);

/* The type of function index `func` (imports first), or NULL if out of range. */
const wc_functype *wc_module_func_type(const wc_module_info *info, uint32_t func);

/* The first export with this name, or NULL. */
const wc_export *wc_module_find_export(const wc_module_info *info, const char *name);

/* The first custom section with this name, or NULL. */
const wc_custom_section *wc_module_find_custom(const wc_module_info *info, const char *name);

/* Human-readable names, e.g. "i32", "funcref", "func", "memory". */
const char *wc_valtype_name(uint8_t valtype);
const char *wc_extern_kind_name(wc_extern_kind kind);

#endif
