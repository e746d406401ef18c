/* test_atomics.c -- the threads proposal's atomics on both tiers.
 *
 * A module built here has one export per atomic load, store and
 * read-modify-write (63 instructions, every width); each runs against a
 * reference model of its result and of the memory around it (the
 * neighbouring words must not change; cmpxchg's expected value is wrapped
 * to the access's width, so it runs once matching with garbage above that
 * width and once not matching).  Then the traps: a misaligned address is
 * "unaligned atomic", also when it is out of bounds too (alignment is
 * checked first); past the end is out of bounds; an offset does not wrap
 * the 32-bit address space.  wait and notify: not-equal, a timeout, on an
 * unshared memory the trap the spec names, and a wait without a timeout
 * stopped by the call's deadline.  Atomic writes mark their pages, so the
 * next instance finds none of them.  Hostile modules are refused: shared
 * without a maximum, a shared table, an alignment other than natural, and
 * the proposal turned off; a shared import links only to a shared memory.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "engine/decode.h"
#include "engine/engine.h"

/* ---- a module, written byte by byte ------------------------------------ */

typedef struct bytes {
    uint8_t data[16384];
    size_t n;
} bytes;

static void put(bytes *b, uint8_t v)
{
    if (b->n < sizeof b->data)
        b->data[b->n++] = v;
}

static void put_u32(bytes *b, uint64_t v)
{
    do {
        uint8_t byte = v & 0x7f;
        v >>= 7;
        put(b, byte | (v ? 0x80 : 0));
    } while (v);
}

static void put_bytes(bytes *b, const void *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        put(b, ((const uint8_t *)p)[i]);
}

static void put_section(bytes *module, uint8_t id, const bytes *payload)
{
    put(module, id);
    put_u32(module, payload->n);
    put_bytes(module, payload->data, payload->n);
}

enum { I = 0x7f, L = 0x7e };

/* The atomic loads, stores and read-modify-writes, 0xfe 0x10..0x4e: seven
 * widths each (the access's bytes, and whether the value is an i64). */
static const uint8_t widths[7] = {4, 8, 1, 2, 1, 2, 4};
static const bool wide[7] = {false, true, false, false, true, true, true};
enum { LOAD, STORE, ADD, SUB, AND, OR, XOR, XCHG, CMPXCHG };
#define FIRST_OP 0x10
#define NOPS 63

typedef struct op {
    int kind;
    uint8_t bytes;
    uint8_t type;
} op;

static op op_of(unsigned code)
{
    unsigned idx = code - FIRST_OP;
    return (op){(int)(idx / 7), widths[idx % 7], wide[idx % 7] ? L : I};
}

static unsigned log2_of(unsigned n)
{
    return n == 8 ? 3 : n == 4 ? 2 : n == 2 ? 1 : 0;
}

typedef struct fn {
    const char *name;
    uint8_t params[3], nparams;
    uint8_t result; /* 0: none */
    uint8_t body[16];
    size_t body_size;
} fn;

#define MAX_FNS 80

/* Every function of the module; memory_flags 1 (unshared) or 3 (shared),
 * 16 pages.  align_of_load: the alignment i32.atomic.load states (2 is
 * natural). */
static size_t build(uint8_t *out, size_t cap, uint8_t memory_flags, uint8_t align_of_load)
{
    static fn fns[MAX_FNS];
    static char names[NOPS][8];
    size_t nfns = 0;
    for (unsigned code = FIRST_OP; code < FIRST_OP + NOPS; code++) {
        op o = op_of(code);
        fn *f = &fns[nfns++];
        snprintf(names[code - FIRST_OP], sizeof names[0], "a%02x", code);
        *f = (fn){.name = names[code - FIRST_OP], .params = {I}, .nparams = 1};
        if (o.kind != LOAD)
            f->params[f->nparams++] = o.type;
        if (o.kind == CMPXCHG)
            f->params[f->nparams++] = o.type;
        f->result = o.kind == STORE ? 0 : o.type;
        uint8_t align = code == FIRST_OP ? align_of_load : (uint8_t)log2_of(o.bytes);
        size_t n = 0;
        for (uint8_t p = 0; p < f->nparams; p++) {
            f->body[n++] = 0x20;
            f->body[n++] = p;
        }
        f->body[n++] = 0xfe;
        f->body[n++] = (uint8_t)code;
        f->body[n++] = align;
        f->body[n++] = 0;
        f->body_size = n;
    }
    fns[nfns++] = (fn){"peek", {I}, 1, L, {0x20, 0, 0x29, 3, 0}, 5};
    fns[nfns++] = (fn){"poke", {I, L}, 2, 0, {0x20, 0, 0x20, 1, 0x37, 3, 0}, 7};
    fns[nfns++] = (fn){"notify", {I, I}, 2, I, {0x20, 0, 0x20, 1, 0xfe, 0x00, 2, 0}, 8};
    fns[nfns++] = (fn){"wait32", {I, I, L}, 3, I, {0x20, 0, 0x20, 1, 0x20, 2, 0xfe, 0x01, 2, 0}, 10};
    fns[nfns++] = (fn){"wait64", {I, L, L}, 3, I, {0x20, 0, 0x20, 1, 0x20, 2, 0xfe, 0x02, 3, 0}, 10};
    fns[nfns++] = (fn){"fence", {0}, 0, 0, {0xfe, 0x03, 0x00}, 3};
    /* i32.atomic.rmw.add offset=4 of (address, 1): an offset that must
     * not wrap a 32-bit address */
    fns[nfns++] = (fn){"off", {I}, 1, I, {0x20, 0, 0x41, 1, 0xfe, 0x1e, 2, 4}, 8};

    bytes module = {.n = 0}, sec;
    put_bytes(&module, "\0asm\1\0\0\0", 8);
    sec.n = 0;
    put_u32(&sec, nfns);
    for (size_t i = 0; i < nfns; i++) {
        put(&sec, 0x60);
        put_u32(&sec, fns[i].nparams);
        put_bytes(&sec, fns[i].params, fns[i].nparams);
        put_u32(&sec, fns[i].result ? 1 : 0);
        if (fns[i].result)
            put(&sec, fns[i].result);
    }
    put_section(&module, 1, &sec);
    sec.n = 0;
    put_u32(&sec, nfns);
    for (size_t i = 0; i < nfns; i++)
        put_u32(&sec, i);
    put_section(&module, 3, &sec);
    sec.n = 0;
    put_u32(&sec, 1);
    put(&sec, memory_flags);
    put_u32(&sec, 16);
    put_u32(&sec, 16);
    put_section(&module, 5, &sec);
    sec.n = 0;
    put_u32(&sec, nfns);
    for (size_t i = 0; i < nfns; i++) {
        put_u32(&sec, strlen(fns[i].name));
        put_bytes(&sec, fns[i].name, strlen(fns[i].name));
        put(&sec, 0);
        put_u32(&sec, i);
    }
    put_section(&module, 7, &sec);
    sec.n = 0;
    put_u32(&sec, nfns);
    for (size_t i = 0; i < nfns; i++) {
        put_u32(&sec, fns[i].body_size + 2);
        put(&sec, 0); /* no locals */
        put_bytes(&sec, fns[i].body, fns[i].body_size);
        put(&sec, 0x0b);
    }
    put_section(&module, 10, &sec);
    if (module.n > cap)
        return 0;
    memcpy(out, module.data, module.n);
    return module.n;
}

/* ---- the reference model ------------------------------------------------- */

static const uint64_t WORD = 0x8877665544332211ull, BELOW = 0x0123456789abcdefull,
                      ABOVE = 0xfedcba9876543210ull, VALUE = 0xf0e1d2c3b4a59687ull;

/* What op does to the word at 8 (its low `bytes` bytes): the result and the
 * word after. */
static void model(op o, uint64_t word, uint64_t v1, uint64_t v2, uint64_t *result, uint64_t *after)
{
    uint64_t mask = o.bytes == 8 ? ~0ull : (1ull << (8 * o.bytes)) - 1;
    uint64_t old = word & mask, next = old;
    switch (o.kind) {
    case LOAD: break;
    case STORE: next = v1; break;
    case ADD: next = old + v1; break;
    case SUB: next = old - v1; break;
    case AND: next = old & v1; break;
    case OR: next = old | v1; break;
    case XOR: next = old ^ v1; break;
    case XCHG: next = v1; break;
    default: next = (v1 & mask) == old ? v2 : old; break;
    }
    *result = old;
    *after = (word & ~mask) | (next & mask);
}

static wc_value arg_of(uint8_t type, uint64_t v)
{
    wc_value a = {0};
    if (type == L)
        a.i64 = v;
    else
        a.i32 = (uint32_t)v;
    return a;
}

static uint64_t peek(wc_instance *inst, uint32_t address)
{
    wc_value a = {.i32 = address}, r = {0};
    wc_error err = {0};
    wc_trap trap = wc_instance_call(inst, "peek", &a, &r, &err);
    return trap == WC_TRAP_NONE ? r.i64 : 0xdeadull;
}

static void poke(wc_instance *inst, uint32_t address, uint64_t value)
{
    wc_value a[2] = {{.i32 = address}, {.i64 = value}};
    wc_error err = {0};
    wc_instance_call(inst, "poke", a, NULL, &err);
}

/* Calls op `code` at address with operands v1, v2. */
static wc_trap call_op(wc_instance *inst, unsigned code, uint32_t address, uint64_t v1, uint64_t v2,
                       uint64_t *result)
{
    op o = op_of(code);
    char name[8];
    snprintf(name, sizeof name, "a%02x", code);
    wc_value args[3] = {{.i32 = address}, arg_of(o.type, v1), arg_of(o.type, v2)}, r = {0};
    wc_error err = {0};
    wc_trap trap = wc_instance_call(inst, name, args, &r, &err);
    *result = o.type == L ? r.i64 : r.i32;
    return trap;
}

static void run_op(wc_instance *inst, const char *tier, unsigned code, uint64_t v1, uint64_t v2)
{
    op o = op_of(code);
    uint64_t vmask = o.type == L ? ~0ull : 0xffffffffull;
    v1 &= vmask;
    v2 &= vmask;
    poke(inst, 0, BELOW);
    poke(inst, 8, WORD);
    poke(inst, 16, ABOVE);
    uint64_t want, want_word, got = 0;
    model(o, WORD, v1, v2, &want, &want_word);
    wc_trap trap = call_op(inst, code, 8, v1, v2, &got);
    CHECK(trap == WC_TRAP_NONE, "%s tier: 0xfe 0x%02x trapped: %s", tier, code, wc_trap_name(trap));
    if (o.kind != STORE)
        CHECK(got == want, "%s tier: 0xfe 0x%02x gave %#llx, not %#llx", tier, code, (unsigned long long)got,
              (unsigned long long)want);
    uint64_t word = peek(inst, 8);
    CHECK(word == want_word, "%s tier: after 0xfe 0x%02x memory holds %#llx, not %#llx", tier, code,
          (unsigned long long)word, (unsigned long long)want_word);
    CHECK(peek(inst, 0) == BELOW && peek(inst, 16) == ABOVE, "%s tier: 0xfe 0x%02x wrote past its %u bytes", tier,
          code, o.bytes);
}

static void test_ops(wc_instance *inst, const char *tier)
{
    for (unsigned code = FIRST_OP; code < FIRST_OP + NOPS; code++) {
        op o = op_of(code);
        if (o.kind != CMPXCHG) {
            run_op(inst, tier, code, VALUE, 0);
            continue;
        }
        /* matching only in the access's width: garbage above it */
        uint64_t mask = o.bytes == 8 ? ~0ull : (1ull << (8 * o.bytes)) - 1;
        run_op(inst, tier, code, (WORD & mask) | (0xa5a5a5a5a5a5a5a5ull & ~mask), VALUE);
        run_op(inst, tier, code, (WORD + 1) & mask, VALUE);
    }
    wc_error err = {0};
    CHECK(wc_instance_call(inst, "fence", NULL, NULL, &err) == WC_TRAP_NONE, "%s tier: atomic.fence trapped",
          tier);
}

static void test_traps(wc_instance *inst, const char *tier)
{
    const uint32_t end = 16 * 65536;
    for (unsigned code = FIRST_OP; code < FIRST_OP + NOPS; code++) {
        op o = op_of(code);
        uint64_t r;
        wc_trap trap;
        if (o.bytes > 1) {
            trap = call_op(inst, code, 8 + o.bytes / 2, 1, 1, &r);
            CHECK(trap == WC_TRAP_UNALIGNED_ATOMIC, "%s tier: 0xfe 0x%02x misaligned gave %s", tier, code,
                  wc_trap_name(trap));
            trap = call_op(inst, code, end + 1, 1, 1, &r);
            CHECK(trap == WC_TRAP_UNALIGNED_ATOMIC, "%s tier: 0xfe 0x%02x misaligned out of bounds gave %s", tier,
                  code, wc_trap_name(trap));
        }
        trap = call_op(inst, code, end, 1, 1, &r);
        CHECK(trap == WC_TRAP_OOB_MEMORY, "%s tier: 0xfe 0x%02x at the end gave %s", tier, code,
              wc_trap_name(trap));
        trap = call_op(inst, code, end - o.bytes, 1, 1, &r);
        CHECK(trap == WC_TRAP_NONE, "%s tier: 0xfe 0x%02x at the last word gave %s", tier, code,
              wc_trap_name(trap));
    }
    wc_error err = {0};
    wc_value a = {.i32 = 0xfffffffcu}, r = {0};
    wc_trap trap = wc_instance_call(inst, "off", &a, &r, &err);
    CHECK(trap == WC_TRAP_OOB_MEMORY, "%s tier: an offset wrapping the address space gave %s", tier,
          wc_trap_name(trap));
    a.i32 = 2;
    trap = wc_instance_call(inst, "off", &a, &r, &err);
    CHECK(trap == WC_TRAP_UNALIGNED_ATOMIC, "%s tier: address 2 + offset 4 gave %s", tier, wc_trap_name(trap));
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static wc_trap wait_call(wc_instance *inst, const char *name, uint32_t address, uint64_t expected,
                         int64_t timeout_ns, uint32_t *result)
{
    wc_value args[3] = {{.i32 = address}, arg_of(strcmp(name, "wait64") == 0 ? L : I, expected),
                        {.i64 = (uint64_t)timeout_ns}},
             r = {0};
    wc_error err = {0};
    wc_trap trap = wc_instance_call(inst, name, args, &r, &err);
    *result = r.i32;
    return trap;
}

static void test_wait(wc_module *m, const char *tier, bool shared)
{
    wc_instance_config config = {.timeout_ms = 100};
    wc_instance *inst = NULL;
    wc_error err = {0};
    if (wc_instance_new(m, &config, NULL, 0, &inst, NULL, &err) != 0) {
        CHECK(0, "%s tier: instance: %s", tier, err.msg);
        return;
    }
    poke(inst, 8, WORD);
    uint32_t r = 9;
    wc_value args[2] = {{.i32 = 8}, {.i32 = 1}}, out = {.i32 = 9};
    wc_trap trap = wc_instance_call(inst, "notify", args, &out, &err);
    CHECK(trap == WC_TRAP_NONE && out.i32 == 0, "%s tier: notify with no waiters gave %s, %u", tier,
          wc_trap_name(trap), out.i32);
    if (!shared) {
        trap = wait_call(inst, "wait32", 8, (uint32_t)WORD, 0, &r);
        CHECK(trap == WC_TRAP_UNSHARED_WAIT, "%s tier: wait on an unshared memory gave %s", tier,
              wc_trap_name(trap));
        wc_instance_free(inst);
        return;
    }
    trap = wait_call(inst, "wait32", 8, 7, -1, &r);
    CHECK(trap == WC_TRAP_NONE && r == 1, "%s tier: wait32, not equal, gave %s, %u", tier, wc_trap_name(trap), r);
    trap = wait_call(inst, "wait64", 8, WORD & 0xffffffffull, -1, &r);
    CHECK(trap == WC_TRAP_NONE && r == 1, "%s tier: wait64 compares 64 bits: %s, %u", tier, wc_trap_name(trap), r);
    double t0 = now_ms();
    trap = wait_call(inst, "wait32", 8, (uint32_t)WORD, 5000000, &r);
    double waited = now_ms() - t0;
    CHECK(trap == WC_TRAP_NONE && r == 2, "%s tier: wait32 of 5 ms gave %s, %u", tier, wc_trap_name(trap), r);
    CHECK(waited >= 5 && waited < 90, "%s tier: a wait of 5 ms took %.1f ms", tier, waited);
    trap = wait_call(inst, "wait64", 8, WORD, 0, &r);
    CHECK(trap == WC_TRAP_NONE && r == 2, "%s tier: wait64 of 0 ns gave %s, %u", tier, wc_trap_name(trap), r);
    trap = wait_call(inst, "wait64", 12, WORD, 0, &r);
    CHECK(trap == WC_TRAP_UNALIGNED_ATOMIC, "%s tier: wait64 at 12 gave %s", tier, wc_trap_name(trap));
    trap = wait_call(inst, "wait32", 16 * 65536, 0, 0, &r);
    CHECK(trap == WC_TRAP_OOB_MEMORY, "%s tier: wait32 past the end gave %s", tier, wc_trap_name(trap));
    wc_instance_free(inst);

    /* no timeout: the call's deadline (100 ms) ends it */
    if (wc_instance_new(m, &config, NULL, 0, &inst, NULL, &err) != 0) {
        CHECK(0, "%s tier: instance: %s", tier, err.msg);
        return;
    }
    t0 = now_ms();
    trap = wait_call(inst, "wait32", 8, 0, -1, &r);
    waited = now_ms() - t0;
    CHECK(trap == WC_TRAP_DEADLINE, "%s tier: a wait without a timeout gave %s", tier, wc_trap_name(trap));
    CHECK(waited < 1000, "%s tier: a wait without a timeout stopped after %.0f ms (deadline 100 ms)", tier, waited);
    wc_instance_free(inst);

    /* nor does the longest timeout outlast it */
    if (wc_instance_new(m, &config, NULL, 0, &inst, NULL, &err) != 0) {
        CHECK(0, "%s tier: instance: %s", tier, err.msg);
        return;
    }
    t0 = now_ms();
    trap = wait_call(inst, "wait64", 8, 0, INT64_MAX, &r);
    waited = now_ms() - t0;
    CHECK(trap == WC_TRAP_DEADLINE && waited < 1000, "%s tier: a wait of 2^63-1 ns gave %s after %.0f ms", tier,
          wc_trap_name(trap), waited);
    wc_instance_free(inst);
}

/* Each writing instruction writes its own 4 KiB page; the next instance of
 * the module must find every page zero. */
static void test_dirty_pages(wc_module *m, const char *tier)
{
    wc_instance *inst = NULL;
    wc_error err = {0};
    wc_instance_config config = {0};
    for (int round = 0; round < 2; round++) {
        if (wc_instance_new(m, &config, NULL, 0, &inst, NULL, &err) != 0) {
            CHECK(0, "%s tier: instance: %s", tier, err.msg);
            return;
        }
        unsigned page = 1;
        for (unsigned code = FIRST_OP; code < FIRST_OP + NOPS; code++, page++) {
            op o = op_of(code);
            uint32_t address = page * 4096 + 8;
            if (round == 1) {
                uint64_t left = peek(inst, address);
                CHECK(left == 0, "%s tier: the next instance found %#llx where 0xfe 0x%02x wrote", tier,
                      (unsigned long long)left, code);
                continue;
            }
            uint64_t r;
            if (o.kind != LOAD)
                call_op(inst, code, address, o.kind == CMPXCHG ? 0 : VALUE, VALUE, &r);
        }
        wc_instance_free(inst);
    }
}

static void test_tier(wc_tier tier, const char *name)
{
    wc_engine_config cfg;
    wc_engine_config_default(&cfg);
    cfg.tier = tier;
    cfg.cache_dir = "";
    cfg.track_writes = true;
    wc_engine *engine = NULL;
    wc_error err = {0};
    if (wc_engine_new(&cfg, &engine, &err) != 0) {
        CHECK(0, "engine: %s", err.msg);
        return;
    }
    static uint8_t shared_bytes[16384], unshared_bytes[16384];
    size_t shared_size = build(shared_bytes, sizeof shared_bytes, 3, 2);
    size_t unshared_size = build(unshared_bytes, sizeof unshared_bytes, 1, 2);
    wc_module *shared = NULL, *unshared = NULL;
    if (wc_module_new(engine, shared_bytes, shared_size, &shared, &err) != 0 ||
        wc_module_new(engine, unshared_bytes, unshared_size, &unshared, &err) != 0) {
        CHECK(0, "%s tier: module: %s", name, err.msg);
    } else {
        wc_instance_config config = {0};
        wc_instance *inst = NULL;
        if (wc_instance_new(shared, &config, NULL, 0, &inst, NULL, &err) == 0) {
            test_ops(inst, name);
            test_traps(inst, name);
            wc_instance_free(inst);
        } else {
            CHECK(0, "%s tier: instance: %s", name, err.msg);
        }
        if (wc_instance_new(unshared, &config, NULL, 0, &inst, NULL, &err) == 0) {
            test_ops(inst, name); /* atomics on an unshared memory are valid */
            wc_instance_free(inst);
        }
        test_wait(shared, name, true);
        test_wait(unshared, name, false);
        test_dirty_pages(shared, name);
    }
    if (shared)
        wc_module_release(shared);
    if (unshared)
        wc_module_release(unshared);
    wc_engine_free(engine);
}

/* ---- refused ------------------------------------------------------------- */

static int decode(const uint8_t *b, size_t n, uint32_t disabled, wc_error *err)
{
    wc_decode_limits limits;
    wc_decode_limits_default(&limits);
    limits.disabled_features = disabled;
    wc_module_info *info = NULL;
    int rc = wc_decode(b, n, &limits, &info, err);
    if (info)
        wc_module_info_free(info);
    return rc;
}

static void test_refused(void)
{
    static uint8_t b[16384];
    size_t n = build(b, sizeof b, 3, 2);
    wc_error err = {0};
    CHECK(decode(b, n, 0, &err) == 0, "the test module: %s", err.msg);

    int rc = decode(b, n, WC_FEATURE_THREADS, &err);
    CHECK(rc != 0 && strstr(err.msg, "threads"), "threads off: rc %d, %s", rc, err.msg);

    n = build(b, sizeof b, 3, 1);
    rc = decode(b, n, 0, &err);
    CHECK(rc == WC_EBADMODULE && strstr(err.msg, "natural alignment"), "align 1 on i32.atomic.load: rc %d, %s",
          rc, err.msg);
    n = build(b, sizeof b, 3, 3);
    rc = decode(b, n, 0, &err);
    CHECK(rc == WC_EBADMODULE && strstr(err.msg, "natural alignment"), "align 3 on i32.atomic.load: rc %d, %s",
          rc, err.msg);

    /* (memory 1 shared): no maximum */
    static const uint8_t no_max[] = {0, 'a', 's', 'm', 1, 0, 0, 0, 5, 3, 1, 2, 1};
    rc = decode(no_max, sizeof no_max, 0, &err);
    CHECK(rc == WC_EBADMODULE && strstr(err.msg, "shared memory must have maximum"),
          "shared without a maximum: rc %d, %s", rc, err.msg);
    /* (memory 1 65537 shared) */
    static const uint8_t huge[] = {0, 'a', 's', 'm', 1, 0, 0, 0, 5, 6, 1, 3, 1, 0x81, 0x80, 0x04};
    rc = decode(huge, sizeof huge, 0, &err);
    CHECK(rc == WC_EBADMODULE && strstr(err.msg, "65536"), "shared, maximum past 4 GiB: rc %d, %s", rc, err.msg);
    /* (memory 70000 70000 shared): past the default limit of initial pages */
    static const uint8_t big[] = {0, 'a', 's', 'm', 1, 0, 0, 0, 5, 8, 1, 3, 0xf0, 0xa2, 0x04, 0xf0, 0xa2, 0x04};
    rc = decode(big, sizeof big, 0, &err);
    CHECK(rc == WC_EBADMODULE || rc == WC_ETOOBIG, "shared, 70000 pages: rc %d, %s", rc, err.msg);
    /* (table 1 1 shared): tables are never shared */
    static const uint8_t table[] = {0, 'a', 's', 'm', 1, 0, 0, 0, 4, 5, 1, 0x70, 3, 1, 1};
    rc = decode(table, sizeof table, 0, &err);
    CHECK(rc == WC_EMALFORMED, "a shared table: rc %d, %s", rc, err.msg);
    /* 0xfe 0x7f: no such instruction */
    static const uint8_t illegal[] = {0, 'a', 's', 'm', 1, 0, 0, 0, 1, 4, 1, 0x60, 0, 0, 3, 2, 1, 0,
                                      5, 4, 1, 3, 1, 1, 10, 7, 1, 5, 0, 0xfe, 0x7f, 0, 0x0b};
    rc = decode(illegal, sizeof illegal, 0, &err);
    CHECK(rc == WC_EMALFORMED && strstr(err.msg, "0xfe"), "0xfe 0x7f: rc %d, %s", rc, err.msg);
}

/* A shared import takes only a shared memory, an unshared one only an
 * unshared one. */
static void test_link(void)
{
    /* (import "env" "m" (memory 1 1 shared)) and the same unshared */
    static const uint8_t want_shared[] = {0, 'a', 's', 'm', 1, 0, 0, 0, 2, 11, 1, 3, 'e', 'n', 'v',
                                          1, 'm', 2, 3, 1, 1};
    static const uint8_t want_plain[] = {0, 'a', 's', 'm', 1, 0, 0, 0, 2, 11, 1, 3, 'e', 'n', 'v',
                                         1, 'm', 2, 1, 1, 1};
    wc_engine_config cfg;
    wc_engine_config_default(&cfg);
    cfg.tier = WC_TIER_FAST;
    cfg.cache_dir = "";
    wc_engine *engine = NULL;
    wc_memory *shared = NULL, *plain = NULL;
    wc_module *ms = NULL, *mp = NULL;
    wc_error err = {0};
    if (wc_engine_new(&cfg, &engine, &err) != 0 || wc_memory_new_shared(engine, 1, 1, &shared, &err) != 0 ||
        wc_memory_new(engine, 1, 1, true, &plain, &err) != 0 ||
        wc_module_new(engine, want_shared, sizeof want_shared, &ms, &err) != 0 ||
        wc_module_new(engine, want_plain, sizeof want_plain, &mp, &err) != 0) {
        CHECK(0, "link setup: %s", err.msg);
        goto done;
    }
    struct {
        wc_module *m;
        wc_memory *mem;
        bool links;
    } cases[] = {{ms, shared, true}, {ms, plain, false}, {mp, plain, true}, {mp, shared, false}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        wc_import_binding b = {.module = "env", .name = "m",
                               .ext = {.kind = WC_EXTERN_MEMORY, .u.memory = cases[i].mem}};
        wc_instance_config config = {0};
        wc_instance *inst = NULL;
        int rc = wc_instance_new(cases[i].m, &config, &b, 1, &inst, NULL, &err);
        CHECK((rc == 0) == cases[i].links, "link case %zu: rc %d, %s", i, rc, rc ? err.msg : "linked");
        if (inst)
            wc_instance_free(inst);
    }
done:
    if (ms)
        wc_module_release(ms);
    if (mp)
        wc_module_release(mp);
    if (shared)
        wc_memory_free(shared);
    if (plain)
        wc_memory_free(plain);
    wc_engine_free(engine);
}

int main(void)
{
    test_refused();
    test_link();
    test_tier(WC_TIER_FAST, "fast");
    test_tier(WC_TIER_OPTIMIZED, "optimized");
    printf("%d checks, %d failures\n", checks, failures);
    return failures != 0;
}
