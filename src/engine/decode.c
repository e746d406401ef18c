/* decode.c -- the binary format of a WebAssembly module, section by section.
 *
 * The module is read once, front to back.  Every count and size read from
 * the module is checked against the configured limits and against the bytes
 * that remain before anything proportional to it is allocated: each item of
 * a vector takes at least one byte, so no vector can be longer than what is
 * left of its section.  Validation rules that concern the module's structure
 * (unknown indices, limits of types, duplicate exports) are checked here
 * too, but reported only once the whole module is known to be well-formed,
 * the order the specification uses.  Function bodies are validated last, by
 * validate.c.
 */
#include "engine/decode.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/validate.h"
#include "util/grow.h"

#define TRY(expr)                \
    do {                         \
        int rc_ = (expr);        \
        if (rc_ != 0)            \
            return rc_;          \
    } while (0)

/* ---- arena ---------------------------------------------------------------
 * Everything the info points to lives in a list of chunks freed at once. */

typedef struct arena_chunk {
    struct arena_chunk *next;
    size_t used, cap;
    _Alignas(max_align_t) unsigned char data[];
} arena_chunk;

typedef struct arena {
    arena_chunk *chunks;
} arena;

enum { ARENA_CHUNK_BYTES = 16 * 1024 };

static void *arena_alloc(arena *a, size_t n)
{
    size_t align = _Alignof(max_align_t);
    if (n > SIZE_MAX - align)
        return NULL;
    n = (n + align - 1) & ~(align - 1);
    if (n == 0)
        n = align;
    arena_chunk *c = a->chunks;
    if (!c || c->cap - c->used < n) {
        /* Large requests get a chunk of their own, placed behind the
         * current one so the current chunk's free space stays usable. */
        size_t cap = n > ARENA_CHUNK_BYTES / 4 ? n : ARENA_CHUNK_BYTES;
        if (cap > SIZE_MAX - sizeof(arena_chunk))
            return NULL;
        arena_chunk *fresh = malloc(sizeof(arena_chunk) + cap);
        if (!fresh)
            return NULL;
        fresh->used = 0;
        fresh->cap = cap;
        if (c && cap != ARENA_CHUNK_BYTES) {
            fresh->next = c->next;
            c->next = fresh;
        } else {
            fresh->next = c;
            a->chunks = fresh;
        }
        c = fresh;
    }
    void *p = c->data + c->used;
    c->used += n;
    memset(p, 0, n);
    return p;
}

static void arena_free(arena *a)
{
    if (!a)
        return;
    arena_chunk *c = a->chunks;
    while (c) {
        arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    free(a);
}

void *wc_dec_alloc(wc_decoder *d, size_t n)
{
    return arena_alloc(d->info->arena_, n);
}

/* Allocates count items of item_size bytes, or NULL on overflow/OOM. */
static void *alloc_array(wc_decoder *d, size_t count, size_t item_size)
{
    if (item_size && count > SIZE_MAX / item_size)
        return NULL;
    return wc_dec_alloc(d, count * item_size);
}

/* ---- errors -------------------------------------------------------------- */

static int set_error(wc_error *err, int code, const char *kind, size_t at,
                     const char *fmt, va_list ap)
{
    if (err) {
        char reason[400];
        vsnprintf(reason, sizeof reason, fmt, ap);
        wc_error_set(err, code, "%s module at byte 0x%zx: %s", kind, at, reason);
    }
    return code;
}

#define DEFINE_ERROR(fn, code, kind)                                \
    int fn(wc_decoder *d, size_t at, const char *fmt, ...)          \
    {                                                               \
        va_list ap;                                                 \
        va_start(ap, fmt);                                          \
        int rc = set_error(d->err, code, kind, at, fmt, ap);        \
        va_end(ap);                                                 \
        return rc;                                                  \
    }

DEFINE_ERROR(wc_dec_malformed, WC_EMALFORMED, "malformed")
DEFINE_ERROR(wc_dec_invalid, WC_EBADMODULE, "invalid")
DEFINE_ERROR(wc_dec_limit, WC_ETOOBIG, "oversized")
DEFINE_ERROR(wc_dec_unsupported, WC_ENOTSUP, "unsupported")

int wc_dec_nomem(wc_decoder *d)
{
    return wc_error_set(d->err, WC_ENOMEM, "out of memory while decoding the module");
}

void wc_dec_note_invalid(wc_decoder *d, size_t at, const char *fmt, ...)
{
    if (d->has_deferred)
        return;
    va_list ap;
    va_start(ap, fmt);
    set_error(&d->deferred, WC_EBADMODULE, "invalid", at, fmt, ap);
    va_end(ap);
    d->has_deferred = true;
}

/* ---- primitive readers --------------------------------------------------- */

static int unexpected_end(wc_decoder *d)
{
    return wc_dec_malformed(d, d->pos, "unexpected end");
}

int wc_dec_byte(wc_decoder *d, uint8_t *out)
{
    *out = 0; /* defined even on failure, which keeps compilers calm */
    if (d->pos >= d->end)
        return unexpected_end(d);
    *out = d->bytes[d->pos++];
    return 0;
}

int wc_dec_skip(wc_decoder *d, size_t n)
{
    if (n > d->end - d->pos)
        return unexpected_end(d);
    d->pos += n;
    return 0;
}

/* An unsigned LEB128 of at most `bits` (32 or 64) bits. */
static int read_unsigned(wc_decoder *d, unsigned bits, uint64_t *out)
{
    *out = 0;
    uint64_t result = 0;
    unsigned last = (bits - 1) / 7 * 7; /* the shift of the last byte allowed */
    for (unsigned shift = 0;; shift += 7) {
        uint8_t b;
        TRY(wc_dec_byte(d, &b));
        if (shift == last) {
            /* The last byte holds the top bits and nothing else. */
            if (b & 0x80)
                return wc_dec_malformed(d, d->pos - 1, "integer representation too long");
            if (b & (0x7f & ~((1u << (bits - last)) - 1)))
                return wc_dec_malformed(d, d->pos - 1, "integer too large");
            result |= (uint64_t)b << shift;
            break;
        }
        result |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80))
            break;
    }
    *out = result;
    return 0;
}

int wc_dec_u32(wc_decoder *d, uint32_t *out)
{
    uint64_t value;
    int rc = read_unsigned(d, 32, &value);
    *out = (uint32_t)value;
    return rc;
}

int wc_dec_u64(wc_decoder *d, uint64_t *out)
{
    return read_unsigned(d, 64, out);
}

/* A signed LEB128 of at most `bits` significant bits. */
static int read_signed(wc_decoder *d, unsigned bits, int64_t *out)
{
    uint64_t result = 0;
    unsigned shift = 0;
    *out = 0;
    unsigned max_bytes = (bits + 6) / 7;
    uint8_t b = 0;
    for (unsigned i = 0;; i++) {
        TRY(wc_dec_byte(d, &b));
        if (i == max_bytes - 1) {
            if (b & 0x80)
                return wc_dec_malformed(d, d->pos - 1, "integer representation too long");
            /* The bits beyond `bits` must all repeat the sign bit. */
            unsigned used = bits - 7 * i;
            uint8_t mask = (uint8_t)(((0x7fu >> (used - 1)) << (used - 1)) & 0x7f);
            if ((b & mask) != 0 && (b & mask) != mask)
                return wc_dec_malformed(d, d->pos - 1, "integer too large");
            result |= (uint64_t)(b & 0x7f) << shift;
            shift += 7;
            break;
        }
        result |= (uint64_t)(b & 0x7f) << shift;
        shift += 7;
        if (!(b & 0x80))
            break;
    }
    if (shift < 64 && (b & 0x40))
        result |= ~(uint64_t)0 << shift;
    *out = (int64_t)result;
    return 0;
}

int wc_dec_s32(wc_decoder *d, int32_t *out)
{
    int64_t v;
    *out = 0;
    TRY(read_signed(d, 32, &v));
    *out = (int32_t)v;
    return 0;
}

int wc_dec_s33(wc_decoder *d, int64_t *out)
{
    return read_signed(d, 33, out);
}

int wc_dec_s64(wc_decoder *d, int64_t *out)
{
    return read_signed(d, 64, out);
}

int wc_dec_valtype(wc_decoder *d, uint8_t *out)
{
    uint8_t b;
    *out = 0;
    TRY(wc_dec_byte(d, &b));
    switch (b) {
    case WC_VT_I32: case WC_VT_I64: case WC_VT_F32: case WC_VT_F64:
    case WC_VT_FUNCREF: case WC_VT_EXTERNREF:
        *out = b;
        return 0;
    case WC_VT_V128:
        d->info->uses_simd = true;
        *out = b;
        return 0;
    default:
        return wc_dec_malformed(d, d->pos - 1, "malformed value type 0x%02x", b);
    }
}

int wc_dec_reftype(wc_decoder *d, uint8_t *out)
{
    uint8_t b;
    *out = 0;
    TRY(wc_dec_byte(d, &b));
    if (b != WC_VT_FUNCREF && b != WC_VT_EXTERNREF)
        return wc_dec_malformed(d, d->pos - 1, "malformed reference type 0x%02x", b);
    *out = b;
    return 0;
}

/* A vector's length, which cannot exceed the bytes left since each item
 * takes at least one. */
static int read_count(wc_decoder *d, uint32_t *out)
{
    size_t at = d->pos;
    TRY(wc_dec_u32(d, out));
    if (*out > d->end - d->pos)
        return wc_dec_malformed(d, at, "unexpected end: count %u exceeds the %zu bytes left",
                                *out, d->end - d->pos);
    return 0;
}

/* Checks a count against a limit, before anything is read or allocated. */
static int check_limit(wc_decoder *d, size_t at, uint64_t value, uint64_t limit,
                       const char *what)
{
    if (value > limit)
        return wc_dec_limit(d, at, "%s %llu exceeds the limit of %llu", what,
                            (unsigned long long)value, (unsigned long long)limit);
    return 0;
}

/* ---- names --------------------------------------------------------------- */

static bool utf8_valid(const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        uint8_t c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len;
        uint32_t cp, min;
        if ((c & 0xe0) == 0xc0) { len = 2; cp = c & 0x1f; min = 0x80; }
        else if ((c & 0xf0) == 0xe0) { len = 3; cp = c & 0x0f; min = 0x800; }
        else if ((c & 0xf8) == 0xf0) { len = 4; cp = c & 0x07; min = 0x10000; }
        else return false;
        if (len > n - i)
            return false;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3f);
        }
        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        i += len;
    }
    return true;
}

/* A name: copied NUL-terminated into the arena; *len_out gets its length
 * (names may hold U+0000, so comparisons use the length). */
static int read_name(wc_decoder *d, const char **out, size_t *len_out)
{
    size_t at = d->pos;
    uint32_t len;
    TRY(wc_dec_u32(d, &len));
    if (len > d->end - d->pos)
        return wc_dec_malformed(d, at, "unexpected end: name length %u out of bounds", len);
    const uint8_t *s = d->bytes + d->pos;
    if (!utf8_valid(s, len))
        return wc_dec_malformed(d, d->pos, "malformed UTF-8 encoding");
    char *copy = wc_dec_alloc(d, (size_t)len + 1);
    if (!copy)
        return wc_dec_nomem(d);
    memcpy(copy, s, len);
    copy[len] = '\0';
    d->pos += len;
    *out = copy;
    if (len_out)
        *len_out = len;
    return 0;
}

/* ---- types shared by imports and definitions ------------------------------ */

/* Limits; with threads, a memory's may be shared (flags 2 and 3), which
 * needs a maximum. */
static int read_limits(wc_decoder *d, wc_limits *out, bool memory)
{
    size_t at = d->pos;
    uint8_t flags;
    TRY(wc_dec_byte(d, &flags));
    bool shared = (flags == 2 || flags == 3) && memory && wc_feature_enabled(&d->limits, WC_FEATURE_THREADS);
    if (flags > 1 && !shared) {
        if (flags == 2 || flags == 3)
            return wc_dec_malformed(d, at, "integer too large: shared %s are not supported",
                                    memory ? "memories (threads)" : "tables");
        return wc_dec_malformed(d, at, "integer too large: malformed limits flags 0x%02x", flags);
    }
    out->shared = shared;
    if (flags == 2)
        wc_dec_note_invalid(d, at, "shared memory must have maximum");
    out->has_max = flags & 1;
    TRY(wc_dec_u32(d, &out->min));
    out->max = 0;
    if (out->has_max)
        TRY(wc_dec_u32(d, &out->max));
    if (out->has_max && out->min > out->max)
        wc_dec_note_invalid(d, at, "size minimum must not be greater than maximum");
    return 0;
}

static int read_tabletype(wc_decoder *d, wc_tabletype *out)
{
    TRY(wc_dec_reftype(d, &out->elemtype));
    size_t at = d->pos;
    TRY(read_limits(d, &out->limits, false));
    if (out->limits.has_max && out->limits.min > out->limits.max)
        return 0; /* invalid already: that is the error to report, not a limit */
    return check_limit(d, at, out->limits.min, d->limits.max_table_elements,
                       "table of initial elements");
}

/* memory64's limits (flags 0x04, 0x05; with threads 0x06, 0x07 are
 * shared): u64 sizes, at most 2^48 pages. */
static int read_limits64(wc_decoder *d, size_t at, uint8_t flags, wc_limits *out)
{
    uint64_t min, max = 0;
    out->is64 = true;
    out->has_max = flags & 1;
    out->shared = flags & 2;
    if (out->shared && !out->has_max)
        wc_dec_note_invalid(d, at, "shared memory must have maximum");
    TRY(wc_dec_u64(d, &min));
    if (out->has_max)
        TRY(wc_dec_u64(d, &max));
    if (out->has_max && min > max)
        wc_dec_note_invalid(d, at, "size minimum must not be greater than maximum");
    if (min > (1ull << 48) || max > (1ull << 48)) {
        wc_dec_note_invalid(d, at, "memory size must be at most 2^48 pages (2^64 bytes)");
        return 0; /* invalid already: that is the error to report, not a limit */
    }
    TRY(check_limit(d, at, min, d->limits.max_memory_pages, "memory of initial pages"));
    out->min = (uint32_t)min;
    out->max = max < UINT32_MAX - 1 ? (uint32_t)max : UINT32_MAX - 1;
    return 0;
}

static int read_memtype(wc_decoder *d, wc_limits *out)
{
    size_t at = d->pos;
    *out = (wc_limits){0};
    uint8_t flags = d->pos < d->end ? d->bytes[d->pos] : 0;
    bool shared = (flags & 2) && wc_feature_enabled(&d->limits, WC_FEATURE_THREADS);
    if ((flags == 4 || flags == 5 || (shared && (flags == 6 || flags == 7))) &&
        wc_feature_enabled(&d->limits, WC_FEATURE_MEMORY64))
        return read_limits64(d, at, d->bytes[d->pos++], out);
    TRY(read_limits(d, out, true));
    if (out->min > 65536 || (out->has_max && out->max > 65536)) {
        wc_dec_note_invalid(d, at, "memory size must be at most 65536 pages (4GiB)");
        return 0;
    }
    return check_limit(d, at, out->min, d->limits.max_memory_pages, "memory of initial pages");
}

static int read_globaltype(wc_decoder *d, wc_globaltype *out)
{
    TRY(wc_dec_valtype(d, &out->valtype));
    uint8_t mut;
    TRY(wc_dec_byte(d, &mut));
    if (mut > 1)
        return wc_dec_malformed(d, d->pos - 1, "malformed mutability 0x%02x", mut);
    out->mutable_ = mut == 1;
    return 0;
}

/* A module's memories, imports included, once `more` are added: one in
 * 2.0, at most max_memories with multi-memory (each is a reservation of
 * address space and a dirty map). */
static int check_memory_count(wc_decoder *d, size_t at, uint64_t more)
{
    uint64_t total = (uint64_t)d->nmemories_total + more;
    if (total > 1 && !wc_feature_enabled(&d->limits, WC_FEATURE_MULTI_MEMORY)) {
        wc_dec_note_invalid(d, at, "multiple memories");
        return 0;
    }
    return check_limit(d, at, total, d->limits.max_memories, "number of memories");
}

/* Counts a memory (within max_memories: checked first) and its index type. */
static void note_memory(wc_decoder *d, const wc_limits *memory)
{
    if (!d->memory_is64)
        d->memory_is64 = wc_dec_alloc(d, (size_t)d->limits.max_memories + 1);
    if (d->memory_is64 && d->nmemories_total <= d->limits.max_memories)
        d->memory_is64[d->nmemories_total] = memory->is64;
    d->nmemories_total++;
}

/* ---- sections ------------------------------------------------------------ */

static int read_type_section(wc_decoder *d)
{
    wc_module_info *info = d->info;
    size_t at = d->pos;
    uint32_t count;
    TRY(wc_dec_u32(d, &count));
    TRY(check_limit(d, at, count, d->limits.max_types, "number of types"));
    d->pos = at;
    TRY(read_count(d, &count));
    info->types = alloc_array(d, count, sizeof *info->types);
    if (!info->types && count)
        return wc_dec_nomem(d);
    for (uint32_t i = 0; i < count; i++) {
        wc_functype *t = &info->types[i];
        uint8_t form;
        TRY(wc_dec_byte(d, &form));
        if (form != 0x60)
            return wc_dec_malformed(d, d->pos - 1,
                                    "integer representation too long: malformed function type 0x%02x",
                                    form);
        for (int which = 0; which < 2; which++) {
            size_t vat = d->pos;
            uint32_t n;
            TRY(wc_dec_u32(d, &n));
            TRY(check_limit(d, vat, n, d->limits.max_type_arity,
                            which ? "number of results" : "number of parameters"));
            d->pos = vat;
            TRY(read_count(d, &n));
            /* Value types are single bytes whose encoding is their WC_VT
             * code, so the type can point straight into the module. */
            const uint8_t *vals = d->bytes + d->pos;
            for (uint32_t k = 0; k < n; k++) {
                uint8_t vt;
                TRY(wc_dec_valtype(d, &vt));
            }
            if (which == 0) {
                t->nparams = n;
                t->params = vals;
            } else {
                t->nresults = n;
                t->results = vals;
            }
        }
        info->ntypes = i + 1;
    }
    return 0;
}

static const char *const extern_kind_names[] = {"func", "table", "memory", "global", "tag"};

static int read_import_section(wc_decoder *d)
{
    wc_module_info *info = d->info;
    size_t at = d->pos;
    uint32_t count;
    TRY(wc_dec_u32(d, &count));
    TRY(check_limit(d, at, count, d->limits.max_imports, "number of imports"));
    d->pos = at;
    TRY(read_count(d, &count));
    info->imports = alloc_array(d, count, sizeof *info->imports);
    d->func_types = alloc_array(d, count, sizeof *d->func_types);
    d->table_types = alloc_array(d, count, sizeof *d->table_types);
    d->global_types = alloc_array(d, count, sizeof *d->global_types);
    if (count && (!info->imports || !d->func_types || !d->table_types || !d->global_types))
        return wc_dec_nomem(d);
    for (uint32_t i = 0; i < count; i++) {
        wc_import *imp = &info->imports[i];
        TRY(read_name(d, &imp->module, &imp->module_len));
        TRY(read_name(d, &imp->name, &imp->name_len));
        size_t kat = d->pos;
        uint8_t kind;
        TRY(wc_dec_byte(d, &kind));
        switch (kind) {
        case WC_EXTERN_FUNC: {
            size_t tat = d->pos;
            TRY(wc_dec_u32(d, &imp->desc.func_type));
            if (imp->desc.func_type >= info->ntypes)
                wc_dec_note_invalid(d, tat, "unknown type %u", imp->desc.func_type);
            TRY(check_limit(d, kat, (uint64_t)info->nimported_funcs + 1,
                            d->limits.max_functions, "number of functions"));
            d->func_types[info->nimported_funcs++] = imp->desc.func_type;
            break;
        }
        case WC_EXTERN_TABLE:
            TRY(read_tabletype(d, &imp->desc.table));
            d->table_types[info->nimported_tables++] = imp->desc.table;
            break;
        case WC_EXTERN_MEMORY:
            TRY(read_memtype(d, &imp->desc.memory));
            TRY(check_memory_count(d, kat, 1));
            info->nimported_memories++;
            note_memory(d, &imp->desc.memory);
            break;
        case WC_EXTERN_GLOBAL:
            TRY(check_limit(d, kat, (uint64_t)info->nimported_globals + 1,
                            d->limits.max_globals, "number of globals"));
            TRY(read_globaltype(d, &imp->desc.global));
            d->global_types[info->nimported_globals++] = imp->desc.global;
            break;
        case WC_EXTERN_TAG:
            if (!wc_feature_decoded(&d->limits, WC_FEATURE_EXCEPTIONS))
                return wc_dec_malformed(d, kat, "malformed import kind 0x%02x", kind);
            TRY(wc_dec_import_tag(d, kat, count, &imp->desc.tag_type));
            break;
        default:
            return wc_dec_malformed(d, kat, "malformed import kind 0x%02x", kind);
        }
        imp->kind = (wc_extern_kind)kind;
        info->nimports = i + 1;
    }
    d->nfuncs_total = info->nimported_funcs;
    d->ntables_total = info->nimported_tables;
    d->nglobals_total = info->nimported_globals;
    return 0;
}

static int read_function_section(wc_decoder *d)
{
    wc_module_info *info = d->info;
    size_t at = d->pos;
    uint32_t count;
    TRY(wc_dec_u32(d, &count));
    TRY(check_limit(d, at, (uint64_t)info->nimported_funcs + count, d->limits.max_functions,
                    "number of functions"));
    d->pos = at;
    TRY(read_count(d, &count));
    info->funcs = alloc_array(d, count, sizeof *info->funcs);
    uint32_t *types = alloc_array(d, (size_t)info->nimported_funcs + count, sizeof *types);
    if (!types || (count && !info->funcs))
        return wc_dec_nomem(d);
    if (info->nimported_funcs)
        memcpy(types, d->func_types, info->nimported_funcs * sizeof *types);
    d->func_types = types;
    for (uint32_t i = 0; i < count; i++) {
        size_t tat = d->pos;
        uint32_t type;
        TRY(wc_dec_u32(d, &type));
        if (type >= info->ntypes)
            wc_dec_note_invalid(d, tat, "unknown type %u", type);
        info->funcs[i].type = type;
        types[info->nimported_funcs + i] = type;
    }
    info->nfuncs = count;
    d->nfuncs_total = info->nimported_funcs + count;
    return 0;
}

static int read_table_section(wc_decoder *d)
{
    wc_module_info *info = d->info;
    uint32_t count;
    TRY(read_count(d, &count));
    info->tables = alloc_array(d, count, sizeof *info->tables);
    wc_tabletype *all = alloc_array(d, (size_t)info->nimported_tables + count, sizeof *all);
    if (!all || (count && !info->tables))
        return wc_dec_nomem(d);
    if (info->nimported_tables)
        memcpy(all, d->table_types, info->nimported_tables * sizeof *all);
    d->table_types = all;
    for (uint32_t i = 0; i < count; i++) {
        TRY(read_tabletype(d, &info->tables[i]));
        all[info->nimported_tables + i] = info->tables[i];
        info->ntables = i + 1;
    }
    d->ntables_total = info->nimported_tables + count;
    return 0;
}

static int read_memory_section(wc_decoder *d)
{
    wc_module_info *info = d->info;
    uint32_t count;
    size_t at = d->pos;
    TRY(read_count(d, &count));
    TRY(check_memory_count(d, at, count));
    info->memories = alloc_array(d, count, sizeof *info->memories);
    if (count && !info->memories)
        return wc_dec_nomem(d);
    for (uint32_t i = 0; i < count; i++) {
        TRY(read_memtype(d, &info->memories[i]));
        info->nmemories = i + 1;
        note_memory(d, &info->memories[i]);
    }
    return 0;
}

static int read_global_section(wc_decoder *d)
{
    wc_module_info *info = d->info;
    size_t at = d->pos;
    uint32_t count;
    TRY(wc_dec_u32(d, &count));
    TRY(check_limit(d, at, (uint64_t)info->nimported_globals + count, d->limits.max_globals,
                    "number of globals"));
    d->pos = at;
    TRY(read_count(d, &count));
    info->globals = alloc_array(d, count, sizeof *info->globals);
    wc_globaltype *all = alloc_array(d, (size_t)info->nimported_globals + count, sizeof *all);
    if (!all || (count && !info->globals))
        return wc_dec_nomem(d);
    if (info->nimported_globals)
        memcpy(all, d->global_types, info->nimported_globals * sizeof *all);
    d->global_types = all;
    for (uint32_t i = 0; i < count; i++) {
        wc_global *g = &info->globals[i];
        TRY(read_globaltype(d, &g->type));
        g->init_offset = d->pos;
        TRY(wc_validate_const_expr(d, g->type.valtype));
        g->init_size = d->pos - g->init_offset;
        all[info->nimported_globals + i] = g->type;
        info->nglobals = i + 1;
    }
    d->nglobals_total = info->nimported_globals + count;
    return 0;
}

typedef struct export_name {
    const char *name;
    size_t len;
} export_name;

static int compare_export_names(const void *a, const void *b)
{
    const export_name *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->name, y->name, n);
    if (c)
        return c;
    return (x->len > y->len) - (x->len < y->len);
}

static int read_export_section(wc_decoder *d)
{
    wc_module_info *info = d->info;
    size_t at = d->pos;
    uint32_t count;
    TRY(wc_dec_u32(d, &count));
    TRY(check_limit(d, at, count, d->limits.max_exports, "number of exports"));
    d->pos = at;
    TRY(read_count(d, &count));
    info->exports = alloc_array(d, count, sizeof *info->exports);
    export_name *names = count ? calloc(count, sizeof *names) : NULL;
    if (count && (!info->exports || !names)) {
        free(names);
        return wc_dec_nomem(d);
    }
    int rc = 0;
    for (uint32_t i = 0; i < count && rc == 0; i++) {
        wc_export *e = &info->exports[i];
        rc = read_name(d, &e->name, &names[i].len);
        e->name_len = names[i].len;
        if (rc)
            break;
        names[i].name = e->name;
        size_t kat = d->pos;
        uint8_t kind;
        rc = wc_dec_byte(d, &kind);
        if (rc)
            break;
        if (kind > WC_EXTERN_TAG ||
            (kind == WC_EXTERN_TAG && !wc_feature_decoded(&d->limits, WC_FEATURE_EXCEPTIONS))) {
            rc = wc_dec_malformed(d, kat, "malformed export kind 0x%02x", kind);
            break;
        }
        e->kind = (wc_extern_kind)kind;
        size_t iat = d->pos;
        rc = wc_dec_u32(d, &e->index);
        if (rc)
            break;
        uint32_t space[] = {d->nfuncs_total, d->ntables_total, d->nmemories_total,
                            d->nglobals_total, d->ntags_total};
        if (e->index >= space[kind])
            wc_dec_note_invalid(d, iat, "unknown %s %u", extern_kind_names[kind], e->index);
        else if (kind == WC_EXTERN_FUNC)
            rc = wc_dec_declare_ref(d, e->index);
        info->nexports = i + 1;
    }
    if (rc == 0 && count > 1) {
        qsort(names, count, sizeof *names, compare_export_names);
        for (uint32_t i = 1; i < count; i++)
            if (compare_export_names(&names[i - 1], &names[i]) == 0) {
                wc_dec_note_invalid(d, at, "duplicate export name \"%s\"", names[i].name);
                break;
            }
    }
    free(names);
    return rc;
}

static int read_start_section(wc_decoder *d)
{
    wc_module_info *info = d->info;
    size_t at = d->pos;
    TRY(wc_dec_u32(d, &info->start));
    info->has_start = true;
    if (info->start >= d->nfuncs_total) {
        wc_dec_note_invalid(d, at, "unknown function %u", info->start);
        return 0;
    }
    uint32_t type = d->func_types[info->start];
    if (type < info->ntypes && (info->types[type].nparams || info->types[type].nresults))
        wc_dec_note_invalid(d, at, "start function must have type [] -> []");
    return 0;
}

/* A function index inside an element segment or an export. */
static int read_declared_func(wc_decoder *d)
{
    size_t at = d->pos;
    uint32_t func;
    TRY(wc_dec_u32(d, &func));
    if (func >= d->nfuncs_total) {
        wc_dec_note_invalid(d, at, "unknown function %u", func);
        return 0;
    }
    return wc_dec_declare_ref(d, func);
}

static int read_element_section(wc_decoder *d)
{
    wc_module_info *info = d->info;
    size_t at = d->pos;
    uint32_t count;
    TRY(wc_dec_u32(d, &count));
    TRY(check_limit(d, at, count, d->limits.max_segments, "number of element segments"));
    d->pos = at;
    TRY(read_count(d, &count));
    d->elem_types = alloc_array(d, count, 1);
    if (count && !d->elem_types)
        return wc_dec_nomem(d);
    for (uint32_t i = 0; i < count; i++) {
        size_t sat = d->pos;
        uint32_t kind;
        TRY(wc_dec_u32(d, &kind));
        if (kind > 7)
            return wc_dec_malformed(d, sat, "malformed elements segment kind %u", kind);
        /* bit 0: passive or declarative; bit 1: explicit table index (active)
         * or declarative (otherwise); bit 2: expressions, not indices. */
        bool active = !(kind & 1);
        bool uses_exprs = kind & 4;
        uint32_t table = 0;
        size_t tat = d->pos;
        if (active && (kind & 2))
            TRY(wc_dec_u32(d, &table));
        if (active) {
            if (table >= d->ntables_total)
                wc_dec_note_invalid(d, tat, "unknown table %u", table);
            TRY(wc_validate_const_expr(d, WC_VT_I32));
        }
        uint8_t type = WC_VT_FUNCREF;
        if (!active || (kind & 2)) {
            if (uses_exprs) {
                TRY(wc_dec_reftype(d, &type));
            } else {
                uint8_t elemkind;
                TRY(wc_dec_byte(d, &elemkind));
                if (elemkind != 0)
                    return wc_dec_malformed(d, d->pos - 1, "malformed element kind 0x%02x",
                                            elemkind);
            }
        }
        if (active && table < d->ntables_total && d->table_types[table].elemtype != type)
            wc_dec_note_invalid(d, tat, "type mismatch: element segment of %s in a table of %s",
                                wc_valtype_name(type),
                                wc_valtype_name(d->table_types[table].elemtype));
        uint32_t n;
        TRY(read_count(d, &n));
        for (uint32_t k = 0; k < n; k++) {
            if (uses_exprs)
                TRY(wc_validate_const_expr(d, type));
            else
                TRY(read_declared_func(d));
        }
        d->elem_types[i] = type;
        d->nelems = info->nelems = i + 1;
    }
    return 0;
}

static int read_datacount_section(wc_decoder *d)
{
    size_t at = d->pos;
    TRY(wc_dec_u32(d, &d->datacount));
    TRY(check_limit(d, at, d->datacount, d->limits.max_segments, "number of data segments"));
    d->info->has_datacount = true;
    return 0;
}

static int read_code_section(wc_decoder *d, bool *seen)
{
    wc_module_info *info = d->info;
    size_t at = d->pos;
    uint32_t count;
    TRY(read_count(d, &count));
    if (count != info->nfuncs)
        return wc_dec_malformed(d, at,
                                "function and code section have inconsistent lengths (%u and %u)",
                                info->nfuncs, count);
    *seen = true;
    for (uint32_t i = 0; i < count; i++) {
        wc_func *f = &info->funcs[i];
        size_t sat = d->pos;
        uint32_t size;
        TRY(wc_dec_u32(d, &size));
        TRY(check_limit(d, sat, size, d->limits.max_function_bytes, "function body of bytes"));
        if (size > d->end - d->pos)
            return wc_dec_malformed(d, sat, "unexpected end: function body of %u bytes", size);
        f->body_offset = d->pos;
        f->body_size = size;
        size_t section_end = d->end;
        d->end = d->pos + size;
        uint32_t nentries;
        int rc = read_count(d, &nentries);
        uint64_t total = 0;
        for (uint32_t k = 0; k < nentries && rc == 0; k++) {
            uint32_t n;
            uint8_t vt;
            rc = wc_dec_u32(d, &n);
            if (rc == 0)
                rc = wc_dec_valtype(d, &vt);
            total += n;
        }
        if (rc == 0 && total > UINT32_MAX)
            rc = wc_dec_malformed(d, f->body_offset, "too many locals");
        if (rc == 0)
            rc = check_limit(d, f->body_offset, total, d->limits.max_locals, "number of locals");
        if (rc)
            return rc;
        f->nlocals = (uint32_t)total;
        f->code_offset = d->pos;
        /* The instructions are read by wc_validate_code once the module's
         * later sections are known. */
        d->pos = d->end;
        d->end = section_end;
    }
    return 0;
}

static int read_data_section(wc_decoder *d)
{
    wc_module_info *info = d->info;
    size_t at = d->pos;
    uint32_t count;
    TRY(wc_dec_u32(d, &count));
    TRY(check_limit(d, at, count, d->limits.max_segments, "number of data segments"));
    d->pos = at;
    TRY(read_count(d, &count));
    if (info->has_datacount && count != d->datacount)
        return wc_dec_malformed(d, at,
                                "data count and data section have inconsistent lengths (%u and %u)",
                                d->datacount, count);
    uint64_t total_bytes = 0;
    for (uint32_t i = 0; i < count; i++) {
        size_t sat = d->pos;
        uint32_t kind;
        TRY(wc_dec_u32(d, &kind));
        if (kind > 2)
            return wc_dec_malformed(d, sat, "malformed data segment kind %u", kind);
        if (kind != 1) {
            uint32_t memory = 0;
            size_t mat = d->pos;
            if (kind == 2)
                TRY(wc_dec_u32(d, &memory));
            if (memory >= d->nmemories_total)
                wc_dec_note_invalid(d, mat, "unknown memory %u", memory);
            TRY(wc_validate_const_expr(d, wc_dec_memory_is64(d, memory) ? WC_VT_I64 : WC_VT_I32));
        }
        size_t lat = d->pos;
        uint32_t len;
        TRY(wc_dec_u32(d, &len));
        total_bytes += len;
        TRY(check_limit(d, lat, total_bytes, d->limits.max_data_bytes, "data segments of bytes"));
        if (len > d->end - d->pos)
            return wc_dec_malformed(d, lat, "unexpected end: data segment of %u bytes", len);
        d->pos += len;
        info->ndatas = i + 1;
    }
    return 0;
}

typedef struct growing {
    void *items;
    size_t count, cap;
} growing;

/* Appends one item (zeroed) to a malloc'd vector; NULL when out of memory. */
static void *grow_push(growing *g, size_t item_size)
{
    if (!wc_grow(&g->items, &g->cap, g->count + 1, item_size))
        return NULL;
    void *slot = (char *)g->items + g->count++ * item_size;
    memset(slot, 0, item_size);
    return slot;
}

static int read_custom_section(wc_decoder *d, growing *customs)
{
    wc_custom_section *c = grow_push(customs, sizeof *c);
    if (!c)
        return wc_dec_nomem(d);
    TRY(read_name(d, &c->name, NULL));
    c->offset = d->pos;
    c->data = d->bytes + d->pos;
    c->size = d->end - d->pos;
    d->pos = d->end;
    return 0;
}

/* Position of each non-custom section in the required order (the data
 * count section sits between element and code). */
static int section_rank(uint8_t id)
{
    static const int8_t rank[] = {
        [WC_SEC_TYPE] = 1,     [WC_SEC_IMPORT] = 2, [WC_SEC_FUNCTION] = 3,
        [WC_SEC_TABLE] = 4,    [WC_SEC_MEMORY] = 5, [WC_SEC_TAG] = 6,
        [WC_SEC_GLOBAL] = 7,   [WC_SEC_EXPORT] = 8,  [WC_SEC_START] = 9,
        [WC_SEC_ELEMENT] = 10, [WC_SEC_DATACOUNT] = 11, [WC_SEC_CODE] = 12,
        [WC_SEC_DATA] = 13,
    };
    return id < sizeof rank ? rank[id] : -1;
}

static int read_sections(wc_decoder *d, growing *sections, growing *customs)
{
    wc_module_info *info = d->info;
    int last_rank = 0;
    bool code_seen = false, data_seen = false;
    while (d->pos < d->size) {
        size_t at = d->pos;
        d->end = d->size;
        uint8_t id;
        uint32_t size;
        TRY(wc_dec_byte(d, &id));
        int rank = id == WC_SEC_CUSTOM ? 0 : section_rank(id);
        if (id == WC_SEC_TAG && !wc_feature_decoded(&d->limits, WC_FEATURE_EXCEPTIONS))
            rank = -1;
        if (rank < 0)
            return wc_dec_malformed(d, at, "malformed section id %u", id);
        size_t size_at = d->pos;
        TRY(wc_dec_u32(d, &size));
        if (id == WC_SEC_CODE)
            TRY(check_limit(d, size_at, size, d->limits.max_code_bytes, "code section of bytes"));
        if (size > d->size - d->pos)
            return wc_dec_malformed(d, size_at, "unexpected end: section size %u out of bounds",
                                    size);
        if (rank) {
            if (rank <= last_rank)
                return wc_dec_malformed(d, at, "unexpected content after last section: "
                                               "section %u out of order or duplicated", id);
            last_rank = rank;
        }
        wc_section *s = grow_push(sections, sizeof *s);
        if (!s)
            return wc_dec_nomem(d);
        s->id = id;
        s->offset = d->pos;
        s->size = size;
        d->end = d->pos + size;
        switch (id) {
        case WC_SEC_CUSTOM: TRY(read_custom_section(d, customs)); break;
        case WC_SEC_TYPE: TRY(read_type_section(d)); break;
        case WC_SEC_IMPORT: TRY(read_import_section(d)); break;
        case WC_SEC_FUNCTION: TRY(read_function_section(d)); break;
        case WC_SEC_TABLE: TRY(read_table_section(d)); break;
        case WC_SEC_MEMORY: TRY(read_memory_section(d)); break;
        case WC_SEC_TAG: TRY(wc_dec_tag_section(d)); break;
        case WC_SEC_GLOBAL: TRY(read_global_section(d)); break;
        case WC_SEC_EXPORT: TRY(read_export_section(d)); break;
        case WC_SEC_START: TRY(read_start_section(d)); break;
        case WC_SEC_ELEMENT: TRY(read_element_section(d)); break;
        case WC_SEC_DATACOUNT: TRY(read_datacount_section(d)); break;
        case WC_SEC_CODE: TRY(read_code_section(d, &code_seen)); break;
        case WC_SEC_DATA: TRY(read_data_section(d)); data_seen = true; break;
        }
        if (d->pos != d->end)
            return wc_dec_malformed(d, d->pos, "section size mismatch: %zu bytes left in section %u",
                                    d->end - d->pos, id);
    }
    d->end = d->size;
    if (!code_seen && info->nfuncs)
        return wc_dec_malformed(d, d->pos,
                                "function and code section have inconsistent lengths (%u and 0)",
                                info->nfuncs);
    if (!data_seen && info->has_datacount && d->datacount)
        return wc_dec_malformed(d, d->pos,
                                "data count and data section have inconsistent lengths (%u and 0)",
                                d->datacount);
    return 0;
}

int wc_dec_declare_ref(wc_decoder *d, uint32_t func)
{
    if (func >= d->nfuncs_total)
        return 0;
    if (!d->declared_refs) {
        /* Every section that declares references follows the function
         * section, so nfuncs_total is final here. */
        d->declared_refs = wc_dec_alloc(d, d->nfuncs_total / 8 + 1);
        if (!d->declared_refs)
            return wc_dec_nomem(d);
    }
    d->declared_refs[func / 8] |= (uint8_t)(1u << (func % 8));
    return 0;
}

/* Copies a malloc'd vector into the arena. */
static void *settle(wc_decoder *d, growing *g, size_t item_size)
{
    if (!g->count)
        return NULL;
    void *p = alloc_array(d, g->count, item_size);
    if (p)
        memcpy(p, g->items, g->count * item_size);
    return p;
}

static int decode_module(wc_decoder *d)
{
    d->end = d->size;
    static const uint8_t magic[4] = {0x00, 0x61, 0x73, 0x6d};
    static const uint8_t version[4] = {0x01, 0x00, 0x00, 0x00};
    if (d->size < 4 || memcmp(d->bytes, magic, 4) != 0)
        return wc_dec_malformed(d, 0, "magic header not detected");
    if (d->size < 8 || memcmp(d->bytes + 4, version, 4) != 0)
        return wc_dec_malformed(d, 4, "unknown binary version");
    d->pos = 8;

    growing sections = {0}, customs = {0};
    int rc = read_sections(d, &sections, &customs);
    if (rc == 0) {
        wc_module_info *info = d->info;
        info->func_types = d->func_types;
        info->sections = settle(d, &sections, sizeof(wc_section));
        info->custom = settle(d, &customs, sizeof(wc_custom_section));
        if ((sections.count && !info->sections) || (customs.count && !info->custom))
            rc = wc_dec_nomem(d);
        info->nsections = (uint32_t)sections.count;
        info->ncustom = (uint32_t)customs.count;
    }
    free(sections.items);
    free(customs.items);
    if (rc)
        return rc;
    /* Reports the deferred validation error unless a body is malformed. */
    return wc_validate_code(d);
}

/* ---- public entry points -------------------------------------------------- */

void wc_decode_limits_default(wc_decode_limits *limits)
{
    *limits = (wc_decode_limits){
        .max_module_bytes = 64u << 20,
        .max_types = 100000,
        .max_functions = 100000,
        .max_code_bytes = 32u << 20,
        .max_function_bytes = 4u << 20,
        .max_locals = 50000,
        .max_memory_pages = 16384,
        .max_table_elements = 10000000,
        .max_data_bytes = 256u << 20,
        .max_globals = 100000,
        .max_imports = 100000,
        .max_exports = 100000,
        .max_segments = 100000,
        .max_block_depth = 10000,
        .max_type_arity = 1000,
        .max_stack_height = 1000000,
        .max_memories = 16,
        .max_tags = 100000,
    };
}

static void fill_limits(wc_decode_limits *out, const wc_decode_limits *given)
{
    wc_decode_limits_default(out);
    if (!given)
        return;
#define TAKE(field) if (given->field) out->field = given->field
    TAKE(max_module_bytes);
    TAKE(max_types);
    TAKE(max_functions);
    TAKE(max_code_bytes);
    TAKE(max_function_bytes);
    TAKE(max_locals);
    TAKE(max_memory_pages);
    TAKE(max_table_elements);
    TAKE(max_data_bytes);
    TAKE(max_globals);
    TAKE(max_imports);
    TAKE(max_exports);
    TAKE(max_segments);
    TAKE(max_block_depth);
    TAKE(max_type_arity);
    TAKE(max_stack_height);
    TAKE(max_memories);
    TAKE(disabled_features);
    TAKE(max_tags);
#undef TAKE
}

static const struct {
    uint32_t bit;
    const char *name;
} feature_names[] = {
    {WC_FEATURE_TAIL_CALL, "tail-call"},
    {WC_FEATURE_EXCEPTIONS, "exception-handling"},
    {WC_FEATURE_MULTI_MEMORY, "multi-memory"},
    {WC_FEATURE_MEMORY64, "memory64"},
    {WC_FEATURE_EXTENDED_CONST, "extended-const"},
    {WC_FEATURE_THREADS, "threads"},
    {WC_FEATURE_RELAXED_SIMD, "relaxed-simd"},
};

uint32_t wc_feature_by_name(const char *name)
{
    for (size_t i = 0; i < sizeof feature_names / sizeof feature_names[0]; i++)
        if (strcmp(feature_names[i].name, name) == 0)
            return feature_names[i].bit;
    return 0;
}

const char *wc_feature_name(uint32_t feature)
{
    for (size_t i = 0; i < sizeof feature_names / sizeof feature_names[0]; i++)
        if (feature_names[i].bit == feature)
            return feature_names[i].name;
    return "unknown";
}

int wc_decode(const uint8_t *bytes, size_t size, const wc_decode_limits *limits,
              wc_module_info **out, wc_error *err)
{
    if (out)
        *out = NULL;
    if (!out || (!bytes && size))
        return wc_error_set(err, WC_EINVAL, "wc_decode: no module bytes or no output");
    wc_decoder d = {.bytes = bytes, .size = size, .err = err};
    fill_limits(&d.limits, limits);
    if (size > d.limits.max_module_bytes)
        return wc_dec_limit(&d, 0, "module of %zu bytes exceeds the limit of %zu bytes", size,
                            d.limits.max_module_bytes);

    wc_module_info *info = calloc(1, sizeof *info);
    arena *a = calloc(1, sizeof *a);
    if (!info || !a) {
        free(info);
        free(a);
        return wc_dec_nomem(&d);
    }
    info->bytes = bytes;
    info->size = size;
    info->arena_ = a;
    d.info = info;

    int rc = decode_module(&d);
    if (rc) {
        wc_module_info_free(info);
        return rc;
    }
    *out = info;
    return 0;
}

void wc_module_info_free(wc_module_info *info)
{
    if (!info)
        return;
    arena_free(info->arena_);
    free(info);
}

const wc_functype *wc_module_func_type(const wc_module_info *info, uint32_t func)
{
    if (!info)
        return NULL;
    if (!info->func_types || func >= info->nimported_funcs + info->nfuncs)
        return NULL;
    uint32_t type = info->func_types[func];
    return type < info->ntypes ? &info->types[type] : NULL;
}

const wc_export *wc_module_find_export(const wc_module_info *info, const char *name)
{
    if (!info || !name)
        return NULL;
    for (uint32_t i = 0; i < info->nexports; i++)
        if (strcmp(info->exports[i].name, name) == 0)
            return &info->exports[i];
    return NULL;
}

const wc_custom_section *wc_module_find_custom(const wc_module_info *info, const char *name)
{
    if (!info || !name)
        return NULL;
    for (uint32_t i = 0; i < info->ncustom; i++)
        if (strcmp(info->custom[i].name, name) == 0)
            return &info->custom[i];
    return NULL;
}

const char *wc_valtype_name(uint8_t valtype)
{
    switch (valtype) {
    case WC_VT_I32: return "i32";
    case WC_VT_I64: return "i64";
    case WC_VT_F32: return "f32";
    case WC_VT_F64: return "f64";
    case WC_VT_V128: return "v128";
    case WC_VT_FUNCREF: return "funcref";
    case WC_VT_EXTERNREF: return "externref";
    case WC_VT_UNKNOWN: return "unknown";
    default: return "?";
    }
}

const char *wc_extern_kind_name(wc_extern_kind kind)
{
    if ((unsigned)kind <= WC_EXTERN_TAG)
        return extern_kind_names[kind];
    return "?";
}
