/* test_decode.c -- the WebAssembly decoder and validator on hand-assembled
 * modules: valid ones (checking what wc_module_info reports), one per kind
 * of malformed or invalid module, the configured limits, SIMD, and
 * robustness against truncated and mutated input. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/decode.h"

static int failures;

#define CHECK(cond)                                                             \
    do {                                                                        \
        if (!(cond)) {                                                          \
            printf("FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);              \
            failures++;                                                         \
        }                                                                       \
    } while (0)

/* ---- a small module builder ---------------------------------------------- */

typedef struct buf {
    uint8_t b[8192];
    size_t n;
} buf;

static void put(buf *b, const uint8_t *p, size_t n)
{
    if (b->n + n > sizeof b->b) {
        printf("FAIL: test module too large\n");
        exit(1);
    }
    memcpy(b->b + b->n, p, n);
    b->n += n;
}

#define BYTES(...) (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__})
#define PUT(b, ...) put(b, BYTES(__VA_ARGS__))

static void put_u32(buf *b, uint32_t v)
{
    do {
        uint8_t byte = v & 0x7f;
        v >>= 7;
        if (v)
            byte |= 0x80;
        put(b, &byte, 1);
    } while (v);
}

static void header(buf *m)
{
    m->n = 0;
    PUT(m, 0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00);
}

static void section(buf *m, uint8_t id, const uint8_t *payload, size_t n)
{
    put(m, &id, 1);
    put_u32(m, (uint32_t)n);
    put(m, payload, n);
}

/* Options of func_module. */
enum {
    WITH_MEMORY = 1,     /* (memory 1) */
    WITH_TABLE = 2,      /* (table 1 funcref) */
    WITH_GLOBALS = 4,    /* global 0: i32 immutable, global 1: (mut i32) */
    WITH_DATA = 8,       /* a data count section and one passive data segment */
    WITH_ELEM = 16,      /* one passive funcref element segment naming function 0 */
};

/* A module with one type `type` (a functype's encoding after 0x60) and one
 * function whose body (locals vector + instructions + end) is `body`. */
static void func_module(buf *m, const uint8_t *type, size_t ntype, const uint8_t *body,
                        size_t nbody, unsigned options)
{
    header(m);
    buf s = {0};
    PUT(&s, 0x01, 0x60);
    put(&s, type, ntype);
    section(m, 1, s.b, s.n);
    section(m, 3, BYTES(0x01, 0x00));
    if (options & WITH_TABLE)
        section(m, 4, BYTES(0x01, 0x70, 0x00, 0x01));
    if (options & WITH_MEMORY)
        section(m, 5, BYTES(0x01, 0x00, 0x01));
    if (options & WITH_GLOBALS)
        section(m, 6, BYTES(0x02, 0x7f, 0x00, 0x41, 0x00, 0x0b, 0x7f, 0x01, 0x41, 0x00, 0x0b));
    if (options & WITH_ELEM)
        section(m, 9, BYTES(0x01, 0x01, 0x00, 0x01, 0x00));
    if (options & WITH_DATA)
        section(m, 12, BYTES(0x01));
    s.n = 0;
    PUT(&s, 0x01);
    put_u32(&s, (uint32_t)nbody);
    put(&s, body, nbody);
    section(m, 10, s.b, s.n);
    if (options & WITH_DATA)
        section(m, 11, BYTES(0x01, 0x01, 0x01, 0x2a));
}

/* ---- running the decoder -------------------------------------------------- */

static const char *code_name(int rc)
{
    return rc == 0 ? "ok" : wc_strerror(rc);
}

/* Decodes and checks the result code and that the message holds `words`. */
static void expect_at(int line, const uint8_t *bytes, size_t n, const wc_decode_limits *limits,
                      int expected, const char *words)
{
    wc_module_info *info = NULL;
    wc_error err = {0};
    int rc = wc_decode(bytes, n, limits, &info, &err);
    if (rc != expected) {
        printf("FAIL %s:%d: expected %s, got %s: %s\n", __FILE__, line, code_name(expected),
               code_name(rc), rc ? err.msg : "");
        failures++;
    } else if (rc && words && !strstr(err.msg, words)) {
        printf("FAIL %s:%d: message \"%s\" lacks \"%s\"\n", __FILE__, line, err.msg, words);
        failures++;
    }
    if (rc) {
        const char *prefix = rc == WC_EMALFORMED ? "malformed module at byte 0x"
                             : rc == WC_EBADMODULE ? "invalid module at byte 0x" : NULL;
        if (prefix && strncmp(err.msg, prefix, strlen(prefix)) != 0) {
            printf("FAIL %s:%d: message \"%s\" does not start with \"%s\"\n", __FILE__, line,
                   err.msg, prefix);
            failures++;
        }
        if (info) {
            printf("FAIL %s:%d: info set on failure\n", __FILE__, line);
            failures++;
        }
    }
    wc_module_info_free(info);
}

#define EXPECT(m, code, words) expect_at(__LINE__, (m)->b, (m)->n, NULL, code, words)

/* A function body: no locals, then the instructions given. */
#define BODY(...) BYTES(0x00, __VA_ARGS__)
/* Function types (after 0x60). */
#define T_VOID BYTES(0x00, 0x00)
#define T_I32 BYTES(0x00, 0x01, 0x7f)
#define T_I32_I32 BYTES(0x01, 0x7f, 0x01, 0x7f)

static void body_expect(int line, const uint8_t *type, size_t ntype, const uint8_t *body,
                        size_t nbody, unsigned options, int expected, const char *words)
{
    buf m;
    func_module(&m, type, ntype, body, nbody, options);
    expect_at(line, m.b, m.n, NULL, expected, words);
}

#define BODY_EXPECT(type, body, options, code, words) \
    body_expect(__LINE__, type, body, options, code, words)

/* This thread's CPU time: what a refusal costs, whatever else the machine
 * runs (wall time failed under a loaded CI host). */
static double cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* ---- valid modules ----------------------------------------------------------- */

/* A module using a bit of everything; returns it in m. */
static void rich_module(buf *m)
{
    header(m);
    section(m, 0, BYTES(0x04, 'n', 'o', 't', 'e', 0xde, 0xad));
    /* types: 0 [] -> [], 1 [i32] -> [i32] */
    section(m, 1, BYTES(0x02, 0x60, 0x00, 0x00, 0x60, 0x01, 0x7f, 0x01, 0x7f));
    /* imports: env.f func type 1, env.t table, env.m memory 1..2, env.g global i32 */
    section(m, 2, BYTES(0x04,
                        0x03, 'e', 'n', 'v', 0x01, 'f', 0x00, 0x01,
                        0x03, 'e', 'n', 'v', 0x01, 't', 0x01, 0x70, 0x00, 0x02,
                        0x03, 'e', 'n', 'v', 0x01, 'm', 0x02, 0x01, 0x01, 0x02,
                        0x03, 'e', 'n', 'v', 0x01, 'g', 0x03, 0x7f, 0x00));
    /* functions 1 (type 1) and 2 (type 0) */
    section(m, 3, BYTES(0x02, 0x01, 0x00));
    /* table 1: externref 0 */
    section(m, 4, BYTES(0x01, 0x6f, 0x00, 0x00));
    /* globals: 1 = (mut i32) global.get 0, 2 = funcref ref.func 2 */
    section(m, 6, BYTES(0x02, 0x7f, 0x01, 0x23, 0x00, 0x0b, 0x70, 0x00, 0xd2, 0x02, 0x0b));
    /* exports: "run" func 1, "mem" memory 0 */
    section(m, 7, BYTES(0x02, 0x03, 'r', 'u', 'n', 0x00, 0x01, 0x03, 'm', 'e', 'm', 0x02, 0x00));
    section(m, 8, BYTES(0x02));
    /* element: active table 0 offset 0, function 1 */
    section(m, 9, BYTES(0x01, 0x00, 0x41, 0x00, 0x0b, 0x01, 0x01));
    section(m, 12, BYTES(0x01));
    section(m, 0, BYTES(0x03, 'm', 'i', 'd'));
    /* function 1: (local i64 i64) loop (block loop end end) end, call 0 of
     * local.get 0; function 2: data.drop 0 */
    buf code = {0};
    const uint8_t body1[] = {0x01, 0x02, 0x7e, /* 2 locals of i64 */
                             0x03, 0x40,       /* loop */
                             0x02, 0x40,       /* block */
                             0x03, 0x40,       /* loop */
                             0x0b, 0x0b, 0x0b, /* end end end */
                             0x20, 0x00,       /* local.get 0 */
                             0x10, 0x00,       /* call 0 (the import) */
                             0x0b};
    const uint8_t body2[] = {0x00, 0xfc, 0x09, 0x00, 0x0b};
    PUT(&code, 0x02);
    put_u32(&code, sizeof body1);
    put(&code, body1, sizeof body1);
    put_u32(&code, sizeof body2);
    put(&code, body2, sizeof body2);
    section(m, 10, code.b, code.n);
    /* data: passive "hi" */
    section(m, 11, BYTES(0x01, 0x01, 0x02, 'h', 'i'));
    section(m, 0, BYTES(0x04, 'l', 'a', 's', 't'));
}

static void test_valid_module(void)
{
    buf m;
    rich_module(&m);
    wc_module_info *info = NULL;
    wc_error err = {0};
    int rc = wc_decode(m.b, m.n, NULL, &info, &err);
    if (rc) {
        printf("FAIL %s:%d: rich module: %s\n", __FILE__, __LINE__, err.msg);
        failures++;
        return;
    }
    CHECK(info->ntypes == 2);
    CHECK(info->types[1].nparams == 1 && info->types[1].params[0] == WC_VT_I32);
    CHECK(info->nimports == 4);
    CHECK(strcmp(info->imports[0].module, "env") == 0 && strcmp(info->imports[0].name, "f") == 0);
    CHECK(info->imports[0].kind == WC_EXTERN_FUNC && info->imports[0].desc.func_type == 1);
    CHECK(info->imports[1].kind == WC_EXTERN_TABLE &&
          info->imports[1].desc.table.elemtype == WC_VT_FUNCREF &&
          info->imports[1].desc.table.limits.min == 2);
    CHECK(info->imports[2].kind == WC_EXTERN_MEMORY && info->imports[2].desc.memory.has_max &&
          info->imports[2].desc.memory.min == 1 && info->imports[2].desc.memory.max == 2);
    CHECK(info->imports[3].kind == WC_EXTERN_GLOBAL &&
          info->imports[3].desc.global.valtype == WC_VT_I32 &&
          !info->imports[3].desc.global.mutable_);
    CHECK(info->nimported_funcs == 1 && info->nimported_tables == 1 &&
          info->nimported_memories == 1 && info->nimported_globals == 1);
    CHECK(info->nfuncs == 2 && info->funcs[0].type == 1 && info->funcs[1].type == 0);
    CHECK(info->ntables == 1 && info->tables[0].elemtype == WC_VT_EXTERNREF);
    CHECK(info->nmemories == 0);
    CHECK(info->nglobals == 2 && info->globals[0].type.mutable_ &&
          info->globals[1].type.valtype == WC_VT_FUNCREF);
    CHECK(info->globals[0].init_size == 3 && m.b[info->globals[0].init_offset] == 0x23);
    CHECK(info->nexports == 2);
    const wc_export *run = wc_module_find_export(info, "run");
    CHECK(run && run->kind == WC_EXTERN_FUNC && run->index == 1);
    CHECK(wc_module_find_export(info, "nope") == NULL);
    CHECK(info->has_start && info->start == 2);
    CHECK(info->nelems == 1 && info->ndatas == 1 && info->has_datacount);
    CHECK(info->ncustom == 3);
    const wc_custom_section *note = wc_module_find_custom(info, "note");
    CHECK(note && note->size == 2 && note->data[0] == 0xde && m.b[note->offset] == 0xde);
    CHECK(wc_module_find_custom(info, "last") == &info->custom[2]);
    CHECK(info->nsections == 14);
    CHECK(info->sections[0].id == 0 && info->sections[1].id == 1 && info->sections[9].id == 12 &&
          info->sections[10].id == 0 && info->sections[11].id == 10 && info->sections[13].id == 0);
    const wc_functype *ft = wc_module_func_type(info, 0);
    CHECK(ft == &info->types[1]);
    CHECK(wc_module_func_type(info, 2) == &info->types[0]);
    CHECK(wc_module_func_type(info, 3) == NULL);

    /* Function 1's body: offsets, locals, loops. */
    const wc_func *f = &info->funcs[0];
    CHECK(f->body_size == 17);
    CHECK(m.b[f->body_offset] == 0x01 && f->code_offset == f->body_offset + 3);
    CHECK(f->nlocals == 2);
    CHECK(f->nloops == 2);
    if (f->nloops == 2) {
        CHECK(f->loops[0] == f->code_offset + 2);
        CHECK(f->loops[1] == f->code_offset + 6);
        CHECK(m.b[f->loops[0]] == 0x02 && m.b[f->loops[1]] == 0x0b);
    }
    CHECK(info->funcs[1].nloops == 0 && info->funcs[1].nlocals == 0);
    CHECK(strcmp(wc_valtype_name(WC_VT_EXTERNREF), "externref") == 0);
    CHECK(strcmp(wc_extern_kind_name(WC_EXTERN_MEMORY), "memory") == 0);
    wc_module_info_free(info);
}

static void test_minimal_modules(void)
{
    buf m;
    header(&m);
    EXPECT(&m, 0, NULL);
    /* Custom sections may come anywhere, repeated. */
    section(&m, 0, BYTES(0x01, 'a'));
    section(&m, 1, BYTES(0x00));
    section(&m, 0, BYTES(0x01, 'a', 1, 2, 3));
    EXPECT(&m, 0, NULL);

    /* The polymorphic stack after unreachable. */
    BODY_EXPECT(T_I32, BODY(0x00, 0x6a, 0x0b), 0, 0, NULL);
    BODY_EXPECT(T_VOID, BODY(0x0f, 0x1b, 0x1a, 0x0b), 0, 0, NULL);
    /* Multi-value block with a type index: (block (type 0) ...) */
    BODY_EXPECT(T_I32_I32, BODY(0x20, 0x00, 0x02, 0x00, 0x0b, 0x0b), 0, 0, NULL);
    /* br_table with consistent arities. */
    BODY_EXPECT(T_I32, BODY(0x02, 0x7f, 0x41, 0x01, 0x41, 0x00, 0x0e, 0x01, 0x00, 0x00,
                            0x0b, 0x0b), 0, 0, NULL);
    /* Bulk memory with a data count section. */
    BODY_EXPECT(T_VOID, BODY(0x41, 0x00, 0x41, 0x00, 0x41, 0x01, 0xfc, 0x08, 0x00, 0x00,
                             0xfc, 0x09, 0x00, 0x0b), WITH_MEMORY | WITH_DATA, 0, NULL);
    /* ref.func of a function declared in an element segment. */
    BODY_EXPECT(T_VOID, BODY(0xd2, 0x00, 0x1a, 0x0b), WITH_ELEM, 0, NULL);
    /* Typed select on references. */
    BODY_EXPECT(T_VOID, BODY(0xd0, 0x6f, 0xd0, 0x6f, 0x41, 0x01, 0x1c, 0x01, 0x6f, 0x1a, 0x0b),
                0, 0, NULL);
}

/* ---- malformed modules --------------------------------------------------------- */

static void test_malformed(void)
{
    buf m;
    m.n = 0;
    PUT(&m, 0x00, 0x61, 0x73, 0x6e, 0x01, 0x00, 0x00, 0x00);
    EXPECT(&m, WC_EMALFORMED, "magic header");
    m.n = 0;
    PUT(&m, 0x00, 0x61, 0x73, 0x6d, 0x02, 0x00, 0x00, 0x00);
    EXPECT(&m, WC_EMALFORMED, "unknown binary version");
    m.n = 0;
    PUT(&m, 0x00, 0x61);
    EXPECT(&m, WC_EMALFORMED, NULL);
    expect_at(__LINE__, NULL, 0, NULL, WC_EMALFORMED, "magic header");

    /* LEB128: six bytes, or unused bits set. */
    header(&m);
    PUT(&m, 0x01, 0x86, 0x80, 0x80, 0x80, 0x80, 0x00, 0x00);
    EXPECT(&m, WC_EMALFORMED, "integer representation too long");
    header(&m);
    PUT(&m, 0x01, 0x81, 0x80, 0x80, 0x80, 0x70, 0x00);
    EXPECT(&m, WC_EMALFORMED, "integer too large");
    /* i32.const with unused bits not a sign extension. */
    BODY_EXPECT(T_I32, BODY(0x41, 0x80, 0x80, 0x80, 0x80, 0x70, 0x0b), 0, WC_EMALFORMED,
                "integer too large");

    /* Unexpected end, section size mismatch, bad section id, junk. */
    header(&m);
    PUT(&m, 0x01, 0x05, 0x01, 0x60);
    EXPECT(&m, WC_EMALFORMED, "unexpected end");
    header(&m);
    section(&m, 1, BYTES(0x01, 0x60, 0x00, 0x00, 0x00));
    EXPECT(&m, WC_EMALFORMED, "section size mismatch");
    header(&m);
    section(&m, 14, BYTES(0x00));
    EXPECT(&m, WC_EMALFORMED, "malformed section id");
    header(&m);
    PUT(&m, 0x01, 0x01, 0x00, 0xff);
    EXPECT(&m, WC_EMALFORMED, NULL);

    /* Order and duplicates. */
    header(&m);
    section(&m, 3, BYTES(0x00));
    section(&m, 1, BYTES(0x00));
    EXPECT(&m, WC_EMALFORMED, "out of order");
    header(&m);
    section(&m, 1, BYTES(0x00));
    section(&m, 1, BYTES(0x00));
    EXPECT(&m, WC_EMALFORMED, "duplicated");
    header(&m);
    section(&m, 10, BYTES(0x00));
    section(&m, 12, BYTES(0x00));
    EXPECT(&m, WC_EMALFORMED, "out of order");

    /* Function and code sections disagree. */
    header(&m);
    section(&m, 1, BYTES(0x01, 0x60, 0x00, 0x00));
    section(&m, 3, BYTES(0x01, 0x00));
    EXPECT(&m, WC_EMALFORMED, "function and code section have inconsistent lengths");
    header(&m);
    section(&m, 10, BYTES(0x01, 0x02, 0x00, 0x0b));
    EXPECT(&m, WC_EMALFORMED, "function and code section have inconsistent lengths");

    /* Data count disagrees with the data section, or is missing. */
    header(&m);
    section(&m, 12, BYTES(0x02));
    section(&m, 11, BYTES(0x01, 0x01, 0x00));
    EXPECT(&m, WC_EMALFORMED, "data count and data section have inconsistent lengths");
    header(&m);
    section(&m, 12, BYTES(0x01));
    EXPECT(&m, WC_EMALFORMED, "data count and data section have inconsistent lengths");
    {
        header(&m);
        section(&m, 1, BYTES(0x01, 0x60, 0x00, 0x00));
        section(&m, 3, BYTES(0x01, 0x00));
        section(&m, 5, BYTES(0x01, 0x00, 0x01));
        section(&m, 10, BYTES(0x01, 0x05, 0x00, 0xfc, 0x09, 0x00, 0x0b));
        section(&m, 11, BYTES(0x01, 0x01, 0x00));
        EXPECT(&m, WC_EMALFORMED, "data count section required");
    }

    /* Names: malformed UTF-8 (an overlong encoding and a surrogate). */
    header(&m);
    section(&m, 0, BYTES(0x02, 0xc0, 0x80));
    EXPECT(&m, WC_EMALFORMED, "malformed UTF-8");
    header(&m);
    section(&m, 2, BYTES(0x01, 0x03, 0xed, 0xa0, 0x80, 0x01, 'x', 0x03, 0x7f, 0x00));
    EXPECT(&m, WC_EMALFORMED, "malformed UTF-8");
    header(&m);
    section(&m, 0, BYTES(0x05, 'a'));
    EXPECT(&m, WC_EMALFORMED, "unexpected end");

    /* Bad value type, mutability, limits flags, import and export kinds. */
    header(&m);
    section(&m, 1, BYTES(0x01, 0x60, 0x01, 0x7a, 0x00));
    EXPECT(&m, WC_EMALFORMED, "malformed value type");
    header(&m);
    section(&m, 6, BYTES(0x01, 0x7f, 0x02, 0x41, 0x00, 0x0b));
    EXPECT(&m, WC_EMALFORMED, "malformed mutability");
    header(&m);
    section(&m, 5, BYTES(0x01, 0x04, 0x01)); /* i64 limits: memory64 */
    expect_at(__LINE__, m.b, m.n, &(wc_decode_limits){.disabled_features = WC_FEATURE_MEMORY64},
              WC_EMALFORMED, "integer too large");
    header(&m);
    section(&m, 5, BYTES(0x01, 0x06, 0x01)); /* shared i64 limits */
    expect_at(__LINE__, m.b, m.n, &(wc_decode_limits){.disabled_features = WC_FEATURE_MEMORY64},
              WC_EMALFORMED, "integer too large");
    header(&m);
    section(&m, 5, BYTES(0x01, 0x06, 0x01)); /* both on: decodes, but shared needs a maximum */
    EXPECT(&m, WC_EBADMODULE, "shared memory must have maximum");
    header(&m);
    section(&m, 5, BYTES(0x01, 0x08, 0x01)); /* flags no proposal knows (6 is a shared 64-bit memory) */
    EXPECT(&m, WC_EMALFORMED, "integer too large");
    header(&m);
    section(&m, 2, BYTES(0x01, 0x01, 'a', 0x01, 'b', 0x05, 0x00));
    EXPECT(&m, WC_EMALFORMED, "malformed import kind");

    /* Reserved bytes must be zero (memory indices with multi-memory). */
    wc_decode_limits one_memory = {.disabled_features = WC_FEATURE_MULTI_MEMORY};
    func_module(&m, T_VOID, BODY(0x3f, 0x01, 0x1a, 0x0b), WITH_MEMORY);
    expect_at(__LINE__, m.b, m.n, &one_memory, WC_EMALFORMED, "zero byte expected");
    func_module(&m, T_VOID, BODY(0x41, 0x00, 0x40, 0x80, 0x00, 0x1a, 0x0b), WITH_MEMORY);
    expect_at(__LINE__, m.b, m.n, &one_memory, WC_EMALFORMED, "zero byte expected");
    func_module(&m, T_VOID, BODY(0x41, 0x00, 0x41, 0x00, 0x41, 0x00, 0xfc, 0x0a, 0x00, 0x01, 0x0b),
                WITH_MEMORY);
    expect_at(__LINE__, m.b, m.n, &one_memory, WC_EMALFORMED, "zero byte expected");

    /* Too many locals: 2^32-1 + 2 overflows; a huge count within the body. */
    BODY_EXPECT(T_VOID, BYTES(0x02, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x7f, 0x02, 0x7e, 0x0b), 0,
                WC_EMALFORMED, "too many locals");

    /* Illegal opcodes, missing end, operators after the end. */
    BODY_EXPECT(T_VOID, BODY(0x0a, 0x0b), 0, WC_EMALFORMED, "illegal opcode");
    BODY_EXPECT(T_VOID, BODY(0xfc, 0x12, 0x0b), 0, WC_EMALFORMED, "illegal opcode");
    BODY_EXPECT(T_VOID, BODY(0x01), 0, WC_EMALFORMED, "END opcode expected");
    BODY_EXPECT(T_VOID, BODY(0x02, 0x40, 0x0b), 0, WC_EMALFORMED, "END opcode expected");
    BODY_EXPECT(T_VOID, BODY(0x0b, 0x01), 0, WC_EMALFORMED, "after the end");
    BODY_EXPECT(T_VOID, BODY(0x05, 0x0b), 0, WC_EMALFORMED, NULL);
    /* ref.null of a non-reference type. */
    BODY_EXPECT(T_VOID, BODY(0xd0, 0x7f, 0x1a, 0x0b), 0, WC_EMALFORMED, "reference type");

    /* Element segment kinds 0..7 only; elemkind must be 0. */
    header(&m);
    section(&m, 9, BYTES(0x01, 0x08, 0x00));
    EXPECT(&m, WC_EMALFORMED, "elements segment kind");
    header(&m);
    section(&m, 9, BYTES(0x01, 0x01, 0x01, 0x00));
    EXPECT(&m, WC_EMALFORMED, "element kind");
    header(&m);
    section(&m, 11, BYTES(0x01, 0x03, 0x00));
    EXPECT(&m, WC_EMALFORMED, "data segment kind");

    /* Malformed wins over invalid anywhere in the module, as the
     * specification decodes everything before it validates. */
    header(&m);
    section(&m, 1, BYTES(0x01, 0x60, 0x00, 0x00));
    section(&m, 3, BYTES(0x02, 0x00, 0x00));
    section(&m, 10, BYTES(0x02, 0x04, 0x00, 0x41, 0x00, 0x0b, 0x03, 0x00, 0x0a, 0x0b));
    EXPECT(&m, WC_EMALFORMED, "illegal opcode");
}

/* ---- invalid modules ------------------------------------------------------------- */

static void test_invalid(void)
{
    buf m;
    BODY_EXPECT(T_I32, BODY(0x42, 0x00, 0x0b), 0, WC_EBADMODULE, "type mismatch");
    BODY_EXPECT(T_VOID, BODY(0x41, 0x00, 0x0b), 0, WC_EBADMODULE, "type mismatch");
    BODY_EXPECT(T_VOID, BODY(0x41, 0x00, 0x44, 0, 0, 0, 0, 0, 0, 0, 0, 0x6a, 0x1a, 0x0b), 0,
                WC_EBADMODULE, "type mismatch in i32.add, expected i32 got f64");
    BODY_EXPECT(T_VOID, BODY(0x1a, 0x0b), 0, WC_EBADMODULE, "type mismatch");
    BODY_EXPECT(T_VOID, BODY(0x20, 0x00, 0x1a, 0x0b), 0, WC_EBADMODULE, "unknown local 0");
    BODY_EXPECT(T_VOID, BODY(0x23, 0x03, 0x1a, 0x0b), WITH_GLOBALS, WC_EBADMODULE,
                "unknown global 3");
    BODY_EXPECT(T_VOID, BODY(0x41, 0x00, 0x24, 0x00, 0x0b), WITH_GLOBALS, WC_EBADMODULE,
                "global is immutable");
    BODY_EXPECT(T_VOID, BODY(0x41, 0x00, 0x24, 0x01, 0x0b), WITH_GLOBALS, 0, NULL);
    BODY_EXPECT(T_VOID, BODY(0x10, 0x01, 0x0b), 0, WC_EBADMODULE, "unknown function 1");
    BODY_EXPECT(T_VOID, BODY(0x41, 0x00, 0x11, 0x00, 0x00, 0x0b), 0, WC_EBADMODULE,
                "unknown table 0");
    BODY_EXPECT(T_VOID, BODY(0x41, 0x00, 0x11, 0x05, 0x00, 0x0b), WITH_TABLE, WC_EBADMODULE,
                "unknown type 5");
    BODY_EXPECT(T_VOID, BODY(0x41, 0x00, 0x28, 0x02, 0x00, 0x1a, 0x0b), 0, WC_EBADMODULE,
                "unknown memory 0");
    BODY_EXPECT(T_VOID, BODY(0x41, 0x00, 0x28, 0x03, 0x00, 0x1a, 0x0b), WITH_MEMORY,
                WC_EBADMODULE, "alignment must not be larger than natural");
    BODY_EXPECT(T_VOID, BODY(0x0c, 0x01, 0x0b), 0, WC_EBADMODULE, "unknown label 1");
    BODY_EXPECT(T_VOID, BODY(0x02, 0x09, 0x0b, 0x0b), 0, WC_EBADMODULE, "unknown type 9");
    BODY_EXPECT(T_VOID, BODY(0xfc, 0x09, 0x01, 0x0b), WITH_MEMORY | WITH_DATA, WC_EBADMODULE,
                "unknown data segment 1");
    BODY_EXPECT(T_VOID, BODY(0xfc, 0x0d, 0x01, 0x0b), WITH_ELEM, WC_EBADMODULE,
                "unknown elem segment 1");
    BODY_EXPECT(T_VOID, BODY(0xd2, 0x00, 0x1a, 0x0b), 0, WC_EBADMODULE,
                "undeclared function reference");
    BODY_EXPECT(T_VOID, BODY(0xd0, 0x70, 0xd0, 0x70, 0x41, 0x01, 0x1b, 0x1a, 0x0b), 0,
                WC_EBADMODULE, "type mismatch");
    BODY_EXPECT(T_VOID, BODY(0x41, 0x00, 0x41, 0x00, 0x41, 0x01, 0x1c, 0x02, 0x7f, 0x7f, 0x1a,
                             0x0b), 0, WC_EBADMODULE, "invalid result arity");
    /* br_table targets of different arity: block [] and block [i32]. */
    BODY_EXPECT(T_VOID, BODY(0x02, 0x40, 0x02, 0x7f, 0x41, 0x00, 0x0e, 0x01, 0x00, 0x01, 0x0b,
                             0x1a, 0x0b, 0x0b), 0, WC_EBADMODULE, "type mismatch");
    /* if without else must not change the stack's type. */
    BODY_EXPECT(T_VOID, BODY(0x41, 0x00, 0x04, 0x7f, 0x41, 0x00, 0x0b, 0x1a, 0x0b), 0,
                WC_EBADMODULE, "type mismatch");

    /* Module-level rules. */
    header(&m);
    section(&m, 5, BYTES(0x02, 0x00, 0x01, 0x00, 0x01));
    wc_decode_limits one_memory = {.disabled_features = WC_FEATURE_MULTI_MEMORY};
    expect_at(__LINE__, m.b, m.n, &one_memory, WC_EBADMODULE, "multiple memories");
    header(&m);
    section(&m, 5, BYTES(0x01, 0x00, 0x81, 0x80, 0x04));
    EXPECT(&m, WC_EBADMODULE, "memory size must be at most 65536 pages");
    header(&m);
    section(&m, 5, BYTES(0x01, 0x01, 0x02, 0x01));
    EXPECT(&m, WC_EBADMODULE, "size minimum must not be greater than maximum");
    header(&m);
    section(&m, 2, BYTES(0x01, 0x01, 'a', 0x01, 'b', 0x01, 0x70, 0x01, 0x03, 0x02));
    EXPECT(&m, WC_EBADMODULE, "size minimum must not be greater than maximum");
    header(&m);
    section(&m, 2, BYTES(0x01, 0x01, 'a', 0x01, 'b', 0x00, 0x00));
    EXPECT(&m, WC_EBADMODULE, "unknown type 0");
    header(&m);
    section(&m, 1, BYTES(0x01, 0x60, 0x01, 0x7f, 0x00));
    section(&m, 3, BYTES(0x01, 0x00));
    section(&m, 8, BYTES(0x00));
    section(&m, 10, BYTES(0x01, 0x02, 0x00, 0x0b));
    EXPECT(&m, WC_EBADMODULE, "start function");
    header(&m);
    section(&m, 8, BYTES(0x00));
    EXPECT(&m, WC_EBADMODULE, "unknown function 0");
    header(&m);
    section(&m, 6, BYTES(0x01, 0x7f, 0x00, 0x41, 0x00, 0x0b));
    section(&m, 7, BYTES(0x02, 0x01, 'x', 0x03, 0x00, 0x01, 'x', 0x03, 0x00));
    EXPECT(&m, WC_EBADMODULE, "duplicate export name");
    header(&m);
    section(&m, 7, BYTES(0x01, 0x01, 'x', 0x03, 0x00));
    EXPECT(&m, WC_EBADMODULE, "unknown global 0");

    /* Constant expressions (arithmetic is 2.0-invalid: extended-const off). */
    wc_decode_limits no_extended_const = {.disabled_features = WC_FEATURE_EXTENDED_CONST};
    header(&m);
    section(&m, 6, BYTES(0x01, 0x7f, 0x00, 0x41, 0x00, 0x41, 0x00, 0x6a, 0x0b));
    expect_at(__LINE__, m.b, m.n, &no_extended_const, WC_EBADMODULE,
              "constant expression required");
    header(&m);
    section(&m, 6, BYTES(0x02, 0x7f, 0x00, 0x41, 0x00, 0x0b, 0x7f, 0x00, 0x23, 0x00, 0x0b));
    EXPECT(&m, WC_EBADMODULE, "unknown global 0");
    header(&m);
    section(&m, 2, BYTES(0x01, 0x01, 'a', 0x01, 'b', 0x03, 0x7f, 0x01));
    section(&m, 6, BYTES(0x01, 0x7f, 0x00, 0x23, 0x00, 0x0b));
    EXPECT(&m, WC_EBADMODULE, "constant expression required");
    header(&m);
    section(&m, 2, BYTES(0x01, 0x01, 'a', 0x01, 'b', 0x03, 0x7f, 0x00));
    section(&m, 6, BYTES(0x01, 0x7f, 0x00, 0x23, 0x00, 0x0b));
    EXPECT(&m, 0, NULL);
    header(&m);
    section(&m, 6, BYTES(0x01, 0x7e, 0x00, 0x41, 0x00, 0x0b));
    EXPECT(&m, WC_EBADMODULE, "type mismatch");
    header(&m);
    section(&m, 6, BYTES(0x01, 0x70, 0x00, 0xd2, 0x00, 0x0b));
    EXPECT(&m, WC_EBADMODULE, "unknown function 0");

    /* Element and data segments. */
    header(&m);
    section(&m, 9, BYTES(0x01, 0x00, 0x41, 0x00, 0x0b, 0x00));
    EXPECT(&m, WC_EBADMODULE, "unknown table 0");
    header(&m);
    section(&m, 11, BYTES(0x01, 0x00, 0x41, 0x00, 0x0b, 0x00));
    EXPECT(&m, WC_EBADMODULE, "unknown memory 0");
    header(&m);
    section(&m, 4, BYTES(0x01, 0x6f, 0x00, 0x01));
    section(&m, 9, BYTES(0x01, 0x00, 0x41, 0x00, 0x0b, 0x00));
    EXPECT(&m, WC_EBADMODULE, "type mismatch");
}

/* ---- limits ---------------------------------------------------------------------- */

static void expect_fast_limit(int line, const buf *m, const wc_decode_limits *limits,
                              const char *words)
{
    double start = cpu_ms();
    expect_at(line, m->b, m->n, limits, WC_ETOOBIG, words);
    double took = cpu_ms() - start;
    if (took > 10.0) {
        printf("FAIL %s:%d: limit took %.2f ms\n", __FILE__, line, took);
        failures++;
    }
}

static void test_limits(void)
{
    buf m;
    wc_decode_limits limits = {0};
    limits.max_memory_pages = 16384; /* 1 GiB */

    header(&m);
    section(&m, 5, BYTES(0x01, 0x00, 0x80, 0x80, 0x04)); /* 65536 pages */
    expect_fast_limit(__LINE__, &m, &limits, "memory");
    header(&m);
    section(&m, 2, BYTES(0x01, 0x01, 'a', 0x01, 'b', 0x02, 0x00, 0x80, 0x80, 0x04));
    expect_fast_limit(__LINE__, &m, &limits, "memory");

    /* A data segment claiming 4 GiB - 1 in a module of a few bytes. */
    header(&m);
    section(&m, 5, BYTES(0x01, 0x00, 0x01));
    section(&m, 11, BYTES(0x01, 0x01, 0xff, 0xff, 0xff, 0xff, 0x0f));
    expect_fast_limit(__LINE__, &m, NULL, "data");

    /* 2^32-1 functions. */
    header(&m);
    section(&m, 1, BYTES(0x01, 0x60, 0x00, 0x00));
    section(&m, 3, BYTES(0xff, 0xff, 0xff, 0xff, 0x0f, 0x00));
    expect_fast_limit(__LINE__, &m, NULL, "functions");
    /* More functions than a configured maximum, counting imports. */
    wc_decode_limits few = {0};
    few.max_functions = 2;
    header(&m);
    section(&m, 1, BYTES(0x01, 0x60, 0x00, 0x00));
    section(&m, 2, BYTES(0x01, 0x01, 'a', 0x01, 'b', 0x00, 0x00));
    section(&m, 3, BYTES(0x02, 0x00, 0x00));
    expect_fast_limit(__LINE__, &m, &few, "functions");

    /* A code section larger than max_code_bytes (its size alone says so). */
    wc_decode_limits small_code = {0};
    small_code.max_code_bytes = 1000;
    header(&m);
    section(&m, 1, BYTES(0x01, 0x60, 0x00, 0x00));
    section(&m, 3, BYTES(0x01, 0x00));
    PUT(&m, 0x0a, 0x80, 0x80, 0x80, 0x80, 0x01, 0x01);
    expect_fast_limit(__LINE__, &m, &small_code, "code section");

    /* Locals, types, globals, block depth, module size. */
    wc_decode_limits tight = {0};
    tight.max_locals = 10;
    func_module(&m, T_VOID, BYTES(0x01, 0x0b, 0x7f, 0x0b), 0);
    expect_fast_limit(__LINE__, &m, &tight, "locals");
    func_module(&m, T_VOID, BYTES(0x01, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x7f, 0x0b), 0);
    expect_fast_limit(__LINE__, &m, NULL, "locals");
    header(&m);
    section(&m, 1, BYTES(0xff, 0xff, 0xff, 0xff, 0x0f));
    expect_fast_limit(__LINE__, &m, NULL, "types");
    header(&m);
    section(&m, 4, BYTES(0x01, 0x70, 0x00, 0xff, 0xff, 0xff, 0xff, 0x0f));
    expect_fast_limit(__LINE__, &m, NULL, "table");
    tight.max_block_depth = 2;
    func_module(&m, T_VOID, BODY(0x02, 0x40, 0x02, 0x40, 0x02, 0x40, 0x0b, 0x0b, 0x0b, 0x0b), 0);
    expect_fast_limit(__LINE__, &m, &tight, "nested");
    tight.max_module_bytes = 8;
    expect_fast_limit(__LINE__, &m, &tight, "module");
}

/* ---- SIMD -------------------------------------------------------------------------- */

/* v128.const 0 */
#define V128_ZERO 0xfd, 0x0c, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0

static void test_simd(void)
{
    buf m;
    /* v128 wherever a value type can be */
    header(&m);
    section(&m, 1, BYTES(0x01, 0x60, 0x01, 0x7b, 0x01, 0x7b));
    EXPECT(&m, 0, NULL);
    BODY_EXPECT(T_VOID, BODY(V128_ZERO, 0x1a, 0x0b), 0, 0, NULL);
    BODY_EXPECT(T_VOID, BYTES(0x01, 0x01, 0x7b, 0x0b), 0, 0, NULL);
    BODY_EXPECT(T_I32, BODY(0x02, 0x7b, V128_ZERO, 0x0b, 0xfd, 0x1b, 0x03, 0x0b), 0, 0, NULL);
    BODY_EXPECT(T_VOID, BODY(V128_ZERO, V128_ZERO, 0x41, 0x01, 0x1b, 0x1a, 0x0b), 0, 0, NULL);
    header(&m);
    section(&m, 6, BYTES(0x01, 0x7b, 0x00, V128_ZERO, 0x0b));
    EXPECT(&m, 0, NULL);
    header(&m);
    section(&m, 6, BYTES(0x01, 0x7b, 0x00, 0x41, 0x00, 0x0b));
    EXPECT(&m, WC_EBADMODULE, "type mismatch");
    /* only v128.const is constant */
    header(&m);
    section(&m, 6, BYTES(0x01, 0x7b, 0x00, 0x41, 0x00, 0xfd, 0x11, 0x0b));
    EXPECT(&m, WC_EBADMODULE, "constant expression required, got i32x4.splat");

    /* operand types, lanes, alignment, memory, unknown opcodes */
    BODY_EXPECT(T_VOID, BODY(0x41, 0x01, 0x41, 0x02, 0xfd, 0xae, 0x01, 0x1a, 0x0b), 0,
                WC_EBADMODULE, "type mismatch in i32x4.add, expected v128 got i32");
    BODY_EXPECT(T_I32, BODY(V128_ZERO, 0xfd, 0x1b, 0x04, 0x0b), 0, WC_EBADMODULE,
                "invalid lane index in i32x4.extract_lane");
    BODY_EXPECT(T_VOID, BODY(V128_ZERO, V128_ZERO, 0xfd, 0x0d, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
                             11, 12, 13, 14, 32, 0x1a, 0x0b),
                0, WC_EBADMODULE, "invalid lane index in i8x16.shuffle");
    BODY_EXPECT(T_VOID, BODY(0x41, 0x00, 0xfd, 0x00, 0x04, 0x00, 0x1a, 0x0b), WITH_MEMORY, 0, NULL);
    BODY_EXPECT(T_VOID, BODY(0x41, 0x00, 0xfd, 0x00, 0x05, 0x00, 0x1a, 0x0b), WITH_MEMORY,
                WC_EBADMODULE, "alignment must not be larger than natural");
    BODY_EXPECT(T_VOID, BODY(0x41, 0x00, 0xfd, 0x00, 0x04, 0x00, 0x1a, 0x0b), 0, WC_EBADMODULE,
                "unknown memory");
    BODY_EXPECT(T_VOID, BODY(0x41, 0x00, V128_ZERO, 0xfd, 0x56, 0x02, 0x00, 0x04, 0x1a, 0x0b),
                WITH_MEMORY, WC_EBADMODULE, "invalid lane index in v128.load32_lane");
    BODY_EXPECT(T_VOID, BODY(V128_ZERO, 0xfd, 0xa2, 0x01, 0x1a, 0x0b), 0, WC_EMALFORMED,
                "illegal opcode 0xfd 162");
    BODY_EXPECT(T_VOID, BODY(V128_ZERO, 0xfd, 0xff, 0xff, 0x03, 0x1a, 0x0b), 0, WC_EMALFORMED,
                "illegal opcode 0xfd");

    /* relaxed SIMD only with its feature on (the default when built) */
    func_module(&m, T_VOID, BODY(V128_ZERO, V128_ZERO, 0xfd, 0x80, 0x02, 0x1a, 0x0b), 0);
    expect_at(__LINE__, m.b, m.n, NULL, 0, NULL);
    wc_decode_limits off = {.disabled_features = WC_FEATURE_RELAXED_SIMD};
    expect_at(__LINE__, m.b, m.n, &off, WC_ENOTSUP, "i8x16.relaxed_swizzle needs relaxed SIMD (relaxed-simd)");
}

/* ---- robustness ------------------------------------------------------------------ */

/* Decodes anything; it must not crash, and must explain any failure. */
static void decode_anything(const uint8_t *bytes, size_t n, const char *what, size_t detail)
{
    wc_module_info *info = NULL;
    wc_error err = {0};
    int rc = wc_decode(bytes, n, NULL, &info, &err);
    if (rc == 0 && !info) {
        printf("FAIL %s %zu: success without info\n", what, detail);
        failures++;
    }
    if (rc != 0 && (info || err.msg[0] == '\0' || err.code != rc)) {
        printf("FAIL %s %zu: failure without a message\n", what, detail);
        failures++;
    }
    wc_module_info_free(info);
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state >> 16);
}

static void test_robustness(void)
{
    buf samples[3];
    rich_module(&samples[0]);
    func_module(&samples[1], T_I32,
                BODY(0x02, 0x7f, 0x41, 0x01, 0x41, 0x00, 0x0e, 0x01, 0x00, 0x00, 0x0b, 0x0b),
                WITH_MEMORY | WITH_TABLE | WITH_GLOBALS | WITH_DATA | WITH_ELEM);
    func_module(&samples[2], T_VOID,
                BODY(0x03, 0x40, 0x41, 0x00, 0x28, 0x02, 0x00, 0x04, 0x40, 0x0c, 0x01, 0x0b,
                     0x0b, 0x41, 0x00, 0x41, 0x00, 0x41, 0x00, 0xfc, 0x08, 0x00, 0x00, 0x0b),
                WITH_MEMORY | WITH_DATA);
    for (int s = 0; s < 3; s++) {
        wc_module_info *info = NULL;
        wc_error err = {0};
        int rc = wc_decode(samples[s].b, samples[s].n, NULL, &info, &err);
        if (rc) {
            printf("FAIL sample %d does not decode: %s\n", s, err.msg);
            failures++;
        }
        wc_module_info_free(info);
        /* Every truncation, each in a buffer of exactly its size so ASan
         * catches any read past the end. */
        for (size_t n = 0; n < samples[s].n; n++) {
            uint8_t *copy = malloc(n ? n : 1);
            memcpy(copy, samples[s].b, n);
            decode_anything(copy, n, "truncation", n);
            free(copy);
        }
    }
    /* Random mutations: flip, replace, insert or delete bytes. */
    for (int round = 0; round < 6000; round++) {
        const buf *src = &samples[round % 3];
        uint8_t copy[sizeof src->b + 16];
        size_t n = src->n;
        memcpy(copy, src->b, n);
        int edits = 1 + rng() % 4;
        for (int e = 0; e < edits && n > 8; e++) {
            size_t at = 8 + rng() % (n - 8);
            switch (rng() % 4) {
            case 0: copy[at] ^= (uint8_t)(1u << (rng() % 8)); break;
            case 1: copy[at] = (uint8_t)rng(); break;
            case 2:
                if (n < sizeof copy) {
                    memmove(copy + at + 1, copy + at, n - at);
                    copy[at] = (uint8_t)rng();
                    n++;
                }
                break;
            default:
                memmove(copy + at, copy + at + 1, n - at - 1);
                n--;
                break;
            }
        }
        uint8_t *exact = malloc(n);
        memcpy(exact, copy, n);
        decode_anything(exact, n, "mutation", (size_t)round);
        free(exact);
    }
}

/* Branches back to loops are where the instrumentation checks the
 * interrupt flag: br_if and br_table that can reach the loop, not a br to
 * the enclosing block. */
static void test_backedges(void)
{
    static const uint8_t module[] = {
        0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
        0x01, 0x04, 0x01, 0x60, 0x00, 0x00,             /* type () -> () */
        0x03, 0x02, 0x01, 0x00,                         /* one function */
        0x0a, 0x17, 0x01, 0x15, 0x00,                   /* code, body of 21 bytes, no locals */
        0x03, 0x40,                                     /* +0  loop */
        0x02, 0x40,                                     /* +2  block */
        0x41, 0x00, 0x0d, 0x01,                         /* +4  i32.const 0, br_if 1 (the loop) */
        0x41, 0x00, 0x0e, 0x02, 0x00, 0x01, 0x00,       /* +8  br_table 0 1 0 */
        0x0c, 0x00,                                     /* +15 br 0 (the block) */
        0x0b, 0x0b, 0x0b,
    };
    wc_module_info *info = NULL;
    wc_error err = {0};
    if (wc_decode(module, sizeof module, NULL, &info, &err) != 0) {
        printf("FAIL %s:%d: back-edge module: %s\n", __FILE__, __LINE__, err.msg);
        failures++;
        return;
    }
    const wc_func *f = &info->funcs[0];
    CHECK(f->nloops == 1 && f->loops[0] == f->code_offset + 2);
    CHECK(f->nbackedges == 2);
    if (f->nbackedges == 2) {
        CHECK(f->backedges[0] == f->code_offset + 6 && module[f->backedges[0]] == 0x0d);
        CHECK(f->backedges[1] == f->code_offset + 10 && module[f->backedges[1]] == 0x0e);
    }
    wc_module_info_free(info);
}

/* ---- extended constant expressions ------------------------------------------- */

/* A module whose one global (i32, immutable) is initialised by `expr`
 * (instructions and `end`). */
static void global_module(buf *m, const uint8_t *expr, size_t n)
{
    buf s = {0};
    PUT(&s, 0x01, 0x7f, 0x00);
    put(&s, expr, n);
    header(m);
    section(m, 6, s.b, s.n);
}

/* `pushes` times i32.const 1, then pushes - 1 times i32.add, then end. */
static void tall_const_expr(buf *m, uint32_t pushes)
{
    buf e = {0};
    for (uint32_t i = 0; i < pushes; i++)
        PUT(&e, 0x41, 0x01);
    for (uint32_t i = 1; i < pushes; i++)
        PUT(&e, 0x6a);
    PUT(&e, 0x0b);
    global_module(m, e.b, e.n);
}

static void test_extended_const(void)
{
    buf m;
    wc_decode_limits off = {0};
    off.disabled_features = WC_FEATURE_EXTENDED_CONST;
    /* (i32.sub (i32.mul 7 6) 50): valid with the proposal, not without. */
    global_module(&m, BYTES(0x41, 0x07, 0x41, 0x06, 0x6c, 0x41, 0x32, 0x6b, 0x0b));
    EXPECT(&m, 0, NULL);
    expect_at(__LINE__, m.b, m.n, &off, WC_EBADMODULE, "constant expression required");
    /* i64 operands of i32.add, a missing operand, two values left. */
    global_module(&m, BYTES(0x42, 0x01, 0x42, 0x02, 0x6a, 0x0b));
    EXPECT(&m, WC_EBADMODULE, "type mismatch in i32.add");
    global_module(&m, BYTES(0x41, 0x01, 0x6b, 0x0b));
    EXPECT(&m, WC_EBADMODULE, "type mismatch in i32.sub");
    global_module(&m, BYTES(0x41, 0x01, 0x41, 0x02, 0x41, 0x03, 0x6a, 0x0b));
    EXPECT(&m, WC_EBADMODULE, "type mismatch in constant expression");
    /* i64.add is not an i32 */
    global_module(&m, BYTES(0x42, 0x01, 0x42, 0x02, 0x7c, 0x0b));
    EXPECT(&m, WC_EBADMODULE, "type mismatch in constant expression, expected i32");
    /* Division stays non-constant. */
    global_module(&m, BYTES(0x41, 0x01, 0x41, 0x02, 0x6d, 0x0b));
    EXPECT(&m, WC_EBADMODULE, "constant expression required, got i32.div_s");
    /* The operand stack is bounded: as tall as allowed, then one more. */
    tall_const_expr(&m, WC_CONST_EXPR_MAX_HEIGHT);
    EXPECT(&m, 0, NULL);
    tall_const_expr(&m, WC_CONST_EXPR_MAX_HEIGHT + 1);
    expect_fast_limit(__LINE__, &m, NULL, "constant expression deeper than 256 values");
}

/* ---- multi-memory ------------------------------------------------------------- */

/* A module with `count` memories of one page. */
static void memories_module(buf *m, uint32_t count)
{
    buf s = {0};
    put_u32(&s, count);
    for (uint32_t i = 0; i < count; i++)
        PUT(&s, 0x00, 0x01);
    header(m);
    section(m, 5, s.b, s.n);
}

static void test_multi_memory(void)
{
    buf m;
    wc_decode_limits off = {.disabled_features = WC_FEATURE_MULTI_MEMORY};
    memories_module(&m, 2);
    EXPECT(&m, 0, NULL);
    expect_at(__LINE__, m.b, m.n, &off, WC_EBADMODULE, "multiple memories");
    /* at most max_memories (16 by default), counted before any is read */
    memories_module(&m, 16);
    EXPECT(&m, 0, NULL);
    memories_module(&m, 17);
    expect_fast_limit(__LINE__, &m, NULL, "number of memories 17 exceeds the limit of 16");
    wc_decode_limits two = {.max_memories = 2};
    header(&m);
    section(&m, 2, BYTES(0x02, 0x01, 'a', 0x01, 'b', 0x02, 0x00, 0x01, 0x01, 'a', 0x01, 'c', 0x02,
                         0x00, 0x01));
    section(&m, 5, BYTES(0x01, 0x00, 0x01));
    expect_fast_limit(__LINE__, &m, &two, "number of memories 3");
    /* A load from memory 1 (bit 6 of the flags: an index follows): valid
     * with two memories, not with one; with the proposal off the flags are
     * an alignment past the natural one. */
    static const uint8_t load1[] = {0x00, 0x41, 0x00, 0x28, 0x42, 0x01, 0x00, 0x1a, 0x0b};
    buf f;
    func_module(&f, T_VOID, load1, sizeof load1, WITH_MEMORY);
    EXPECT(&f, WC_EBADMODULE, "unknown memory 1");
    expect_at(__LINE__, f.b, f.n, &off, WC_EBADMODULE, "alignment must not be larger than natural");
    /* memory.size 1 and memory.grow 1: an index, not a zero byte */
    BODY_EXPECT(T_I32, BODY(0x3f, 0x01, 0x0b), WITH_MEMORY, WC_EBADMODULE, "unknown memory 1");
    func_module(&f, T_I32, BODY(0x3f, 0x01, 0x0b), WITH_MEMORY);
    expect_at(__LINE__, f.b, f.n, &off, WC_EMALFORMED, "zero byte expected");
    /* memory.copy 0 1 */
    BODY_EXPECT(T_VOID, BODY(0x41, 0x00, 0x41, 0x00, 0x41, 0x00, 0xfc, 0x0a, 0x00, 0x01, 0x0b),
                WITH_MEMORY, WC_EBADMODULE, "unknown memory 1");
}

/* ---- memory64 -------------------------------------------------------------------- */

static void test_memory64(void)
{
    buf m;
    wc_decode_limits off = {.disabled_features = WC_FEATURE_MEMORY64};
    /* (memory i64 1 2) */
    header(&m);
    section(&m, 5, BYTES(0x01, 0x05, 0x01, 0x02));
    EXPECT(&m, 0, NULL);
    expect_at(__LINE__, m.b, m.n, &off, WC_EMALFORMED, "malformed limits flags 0x05");
    /* 2^48 pages is the most a 64-bit memory may declare; its initial size
     * still meets max_memory_pages, before anything is allocated */
    header(&m);
    section(&m, 5, BYTES(0x01, 0x04, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01));
    EXPECT(&m, WC_EBADMODULE, "at most 2^48 pages");
    header(&m);
    section(&m, 5, BYTES(0x01, 0x05, 0x00, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01));
    EXPECT(&m, WC_EBADMODULE, "at most 2^48 pages");
    header(&m);
    section(&m, 5, BYTES(0x01, 0x05, 0x00, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40));
    EXPECT(&m, 0, NULL);
    header(&m);
    section(&m, 5, BYTES(0x01, 0x04, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x40));
    expect_fast_limit(__LINE__, &m, NULL, "memory of initial pages");
    /* an i64 memory's addresses are i64, and only a 64-bit memory takes an
     * offset past 2^32 */
    buf f;
    header(&f);
    section(&f, 1, BYTES(0x01, 0x60, 0x00, 0x00));
    section(&f, 3, BYTES(0x01, 0x00));
    section(&f, 5, BYTES(0x01, 0x04, 0x01));
    section(&f, 10, BYTES(0x01, 0x08, 0x00, 0x41, 0x00, 0x28, 0x02, 0x00, 0x1a, 0x0b));
    EXPECT(&f, WC_EBADMODULE, "type mismatch");
    header(&f);
    section(&f, 1, BYTES(0x01, 0x60, 0x00, 0x00));
    section(&f, 3, BYTES(0x01, 0x00));
    section(&f, 5, BYTES(0x01, 0x04, 0x01));
    section(&f, 10, BYTES(0x01, 0x0c, 0x00, 0x42, 0x00, 0x28, 0x02, 0x80, 0x80, 0x80, 0x80, 0x10,
                          0x1a, 0x0b));
    EXPECT(&f, 0, NULL);
    func_module(&f, T_VOID, BODY(0x41, 0x00, 0x28, 0x02, 0x80, 0x80, 0x80, 0x80, 0x10, 0x1a, 0x0b),
                WITH_MEMORY);
    EXPECT(&f, WC_EBADMODULE, "offset out of range for a 32-bit memory");
}

/* A module of one function [] -> [] with these memories (a memory
 * section's contents) and this code section. */
static void simd_access_module(buf *m, const uint8_t *memories, size_t nmemories, const uint8_t *code,
                            size_t ncode)
{
    header(m);
    section(m, 1, BYTES(0x01, 0x60, 0x00, 0x00));
    section(m, 3, BYTES(0x01, 0x00));
    section(m, 5, memories, nmemories);
    section(m, 10, code, ncode);
}

/* SIMD accesses take the memarg of scalar ones: a v128.load from memory 1,
 * and from a 64-bit memory with an i64 address (an i32 one is a type
 * mismatch) and an offset of 2^32, which a 32-bit memory refuses. */
static void test_simd_other_memories(void)
{
    buf m;
    simd_access_module(&m, BYTES(0x02, 0x00, 0x01, 0x00, 0x01),
                    BYTES(0x01, 0x0a, 0x00, 0x41, 0x00, 0xfd, 0x00, 0x44, 0x01, 0x00, 0x1a, 0x0b));
    EXPECT(&m, 0, NULL);
    simd_access_module(&m, BYTES(0x02, 0x00, 0x01, 0x00, 0x01),
                    BYTES(0x01, 0x0a, 0x00, 0x41, 0x00, 0xfd, 0x00, 0x44, 0x02, 0x00, 0x1a, 0x0b));
    EXPECT(&m, WC_EBADMODULE, "unknown memory 2");
    simd_access_module(&m, BYTES(0x01, 0x04, 0x01),
                    BYTES(0x01, 0x0d, 0x00, 0x42, 0x00, 0xfd, 0x00, 0x04, 0x80, 0x80, 0x80, 0x80, 0x10,
                          0x1a, 0x0b));
    EXPECT(&m, 0, NULL);
    simd_access_module(&m, BYTES(0x01, 0x04, 0x01),
                    BYTES(0x01, 0x09, 0x00, 0x41, 0x00, 0xfd, 0x00, 0x04, 0x00, 0x1a, 0x0b));
    EXPECT(&m, WC_EBADMODULE, "type mismatch");
    simd_access_module(&m, BYTES(0x01, 0x00, 0x01),
                    BYTES(0x01, 0x0d, 0x00, 0x41, 0x00, 0xfd, 0x00, 0x04, 0x80, 0x80, 0x80, 0x80, 0x10,
                          0x1a, 0x0b));
    EXPECT(&m, WC_EBADMODULE, "offset out of range for a 32-bit memory");
}

/* ---- exception handling (the legacy proposal) ------------------------------ */

/* Type 0 [] -> [], type 1 [i32] -> [], type 2 [] -> [i32]; the sections
 * `middle` (tags, imports, exports as the test needs) and one function of
 * type 0 with `body`. */
static void eh_module(buf *m, const uint8_t *imports, size_t nimports, const uint8_t *tags,
                      size_t ntags, const uint8_t *body, size_t nbody)
{
    header(m);
    section(m, 1, BYTES(0x03, 0x60, 0x00, 0x00, 0x60, 0x01, 0x7f, 0x00, 0x60, 0x00, 0x01, 0x7f));
    if (nimports)
        section(m, 2, imports, nimports);
    section(m, 3, BYTES(0x01, 0x00));
    if (ntags)
        section(m, 13, tags, ntags);
    buf s = {0};
    PUT(&s, 0x01);
    put_u32(&s, (uint32_t)nbody);
    put(&s, body, nbody);
    section(m, 10, s.b, s.n);
}

#define ONE_TAG BYTES(0x01, 0x00, 0x01) /* (tag (param i32)) */
#define NO_IMPORTS NULL, 0
#define EH_BODY(body, code, words)                              \
    do {                                                        \
        eh_module(&m, NO_IMPORTS, ONE_TAG, body);               \
        expect_at(__LINE__, m.b, m.n, NULL, code, words);       \
    } while (0)

static void test_exceptions(void)
{
    buf m;
    wc_decode_limits off = {.disabled_features = WC_FEATURE_EXCEPTIONS};

    /* Valid: try (throw 0 (i32.const 1)) catch 0 drop catch_all end. */
    EH_BODY(BODY(0x06, 0x40, 0x41, 0x01, 0x08, 0x00, 0x07, 0x00, 0x1a, 0x19, 0x0b, 0x0b),
            0, NULL);
    /* try with a result, a branch out of a catch, rethrow from catch_all. */
    EH_BODY(BODY(0x06, 0x7f, 0x41, 0x01, 0x07, 0x00, 0x0c, 0x00, 0x19, 0x09, 0x00, 0x0b, 0x1a,
                 0x0b),
            0, NULL);
    /* try ... delegate to the function's label; try without handlers. */
    EH_BODY(BODY(0x06, 0x40, 0x18, 0x00, 0x06, 0x40, 0x0b, 0x0b), 0, NULL);
    /* A module with only a tag. */
    EH_BODY(BODY(0x0b), 0, NULL);

    /* Invalid. */
    EH_BODY(BODY(0x41, 0x01, 0x08, 0x01, 0x0b), WC_EBADMODULE, "unknown tag 1");
    EH_BODY(BODY(0x08, 0x00, 0x0b), WC_EBADMODULE, "type mismatch in throw");
    EH_BODY(BODY(0x42, 0x01, 0x08, 0x00, 0x0b), WC_EBADMODULE, "type mismatch in throw");
    EH_BODY(BODY(0x06, 0x40, 0x07, 0x00, 0x0b, 0x0b), WC_EBADMODULE, "type mismatch");
    EH_BODY(BODY(0x06, 0x40, 0x09, 0x00, 0x0b, 0x0b), WC_EBADMODULE, "invalid rethrow label 0");
    EH_BODY(BODY(0x06, 0x40, 0x19, 0x02, 0x40, 0x09, 0x00, 0x0b, 0x0b, 0x0b), WC_EBADMODULE,
            "invalid rethrow label 0");
    EH_BODY(BODY(0x06, 0x40, 0x19, 0x09, 0x05, 0x0b, 0x0b), WC_EBADMODULE, "unknown label 5");
    EH_BODY(BODY(0x06, 0x40, 0x18, 0x01, 0x0b), WC_EBADMODULE, "unknown label 1");
    EH_BODY(BODY(0x06, 0x40, 0x41, 0x01, 0x0b, 0x0b), WC_EBADMODULE, "values left on the stack");
    /* Malformed after invalid: the skim that looks for it reads past a
     * try ... delegate, a catch and a throw to the illegal opcode. */
    EH_BODY(BODY(0x6a, 0x06, 0x40, 0x18, 0x00, 0x06, 0x40, 0x07, 0x00, 0x08, 0x00, 0x0b, 0x0a,
                 0x0b),
            WC_EMALFORMED, "illegal opcode 0x0a");
    /* Malformed: handlers outside a try, a catch after catch_all. */
    EH_BODY(BODY(0x07, 0x00, 0x0b), WC_EMALFORMED, "catch outside of try");
    EH_BODY(BODY(0x02, 0x40, 0x19, 0x0b, 0x0b), WC_EMALFORMED, "catch_all outside of try");
    EH_BODY(BODY(0x06, 0x40, 0x19, 0x07, 0x00, 0x1a, 0x0b, 0x0b), WC_EMALFORMED,
            "catch outside of try");
    EH_BODY(BODY(0x02, 0x40, 0x18, 0x00, 0x0b), WC_EMALFORMED, "delegate outside of try");

    /* Tags: attribute 0 only; a type without results; imports and exports. */
    eh_module(&m, NO_IMPORTS, BYTES(0x01, 0x01, 0x01), BODY(0x0b));
    EXPECT(&m, WC_EMALFORMED, "malformed tag attribute");
    eh_module(&m, NO_IMPORTS, BYTES(0x01, 0x00, 0x02), BODY(0x0b));
    EXPECT(&m, WC_EBADMODULE, "non-empty tag result type");
    eh_module(&m, NO_IMPORTS, BYTES(0x01, 0x00, 0x07), BODY(0x0b));
    EXPECT(&m, WC_EBADMODULE, "unknown type 7");
    eh_module(&m, BYTES(0x01, 0x01, 'a', 0x01, 'b', 0x04, 0x00, 0x01), NULL, 0,
              BODY(0x41, 0x00, 0x08, 0x00, 0x0b));
    EXPECT(&m, 0, NULL);
    eh_module(&m, BYTES(0x01, 0x01, 'a', 0x01, 'b', 0x04, 0x00, 0x01), ONE_TAG,
              BODY(0x41, 0x00, 0x08, 0x01, 0x0b));
    EXPECT(&m, 0, NULL);
    /* Exports of tag 0 (valid) and of tag 5 of 1. */
    for (uint8_t index = 0; index <= 5; index += 5) {
        header(&m);
        section(&m, 1, BYTES(0x01, 0x60, 0x01, 0x7f, 0x00));
        section(&m, 13, BYTES(0x01, 0x00, 0x00));
        section(&m, 7, BYTES(0x01, 0x01, 't', 0x04, index));
        if (index == 0)
            EXPECT(&m, 0, NULL);
        else
            EXPECT(&m, WC_EBADMODULE, "unknown tag 5");
    }

    /* With the proposal off, nothing of it is read. */
    eh_module(&m, NO_IMPORTS, ONE_TAG, BODY(0x0b));
    expect_at(__LINE__, m.b, m.n, &off, WC_EMALFORMED, "malformed section id 13");
    eh_module(&m, NO_IMPORTS, NULL, 0, BODY(0x06, 0x40, 0x0b, 0x0b));
    expect_at(__LINE__, m.b, m.n, &off, WC_EMALFORMED, "illegal opcode 0x06");
    eh_module(&m, BYTES(0x01, 0x01, 'a', 0x01, 'b', 0x04, 0x00, 0x01), NULL, 0, BODY(0x0b));
    expect_at(__LINE__, m.b, m.n, &off, WC_EMALFORMED, "malformed import kind 0x04");

    /* Limits: the number of tags; try nested past max_block_depth. */
    wc_decode_limits one_tag = {.max_tags = 1};
    eh_module(&m, NO_IMPORTS, BYTES(0x02, 0x00, 0x01, 0x00, 0x01), BODY(0x0b));
    expect_fast_limit(__LINE__, &m, &one_tag, "number of tags 2 exceeds the limit of 1");
    eh_module(&m, BYTES(0x01, 0x01, 'a', 0x01, 'b', 0x04, 0x00, 0x01), ONE_TAG, BODY(0x0b));
    expect_fast_limit(__LINE__, &m, &one_tag, "number of tags 2 exceeds the limit of 1");
    buf deep = {0};
    PUT(&deep, 0x00);
    for (int i = 0; i < 200; i++)
        PUT(&deep, 0x06, 0x40);
    for (int i = 0; i < 200; i++)
        PUT(&deep, 0x0b);
    PUT(&deep, 0x0b);
    wc_decode_limits shallow = {.max_block_depth = 100};
    eh_module(&m, NO_IMPORTS, ONE_TAG, deep.b, deep.n);
    expect_fast_limit(__LINE__, &m, &shallow, "nested deeper than the limit of 100");
    /* Tries open at once: WC_MAX_OPEN_TRIES, a catch's body counting as its try */
    for (uint32_t open = WC_MAX_OPEN_TRIES; open <= WC_MAX_OPEN_TRIES + 1; open++) {
        buf tries = {0};
        PUT(&tries, 0x00);
        for (uint32_t i = 0; i + 1 < open; i++)
            PUT(&tries, 0x06, 0x40, 0x19);
        PUT(&tries, 0x02, 0x40, 0x06, 0x40, 0x0b, 0x0b);
        for (uint32_t i = 0; i + 1 < open; i++)
            PUT(&tries, 0x0b);
        PUT(&tries, 0x0b);
        eh_module(&m, NO_IMPORTS, ONE_TAG, tries.b, tries.n);
        if (open == WC_MAX_OPEN_TRIES)
            EXPECT(&m, 0, NULL);
        else
            expect_fast_limit(__LINE__, &m, NULL, "tries nested deeper than the limit of 256");
    }
}

int main(void)
{
    test_valid_module();
    test_backedges();
    test_minimal_modules();
    test_malformed();
    test_invalid();
    test_limits();
    test_simd();
    test_robustness();
    test_extended_const();
    test_multi_memory();
    test_memory64();
    test_simd_other_memories();
    test_exceptions();
    if (failures) {
        printf("test_decode: %d failure(s)\n", failures);
        return 1;
    }
    printf("test_decode: all passed\n");
    return 0;
}
