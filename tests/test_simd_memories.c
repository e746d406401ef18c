/* test_simd_memories.c -- SIMD memory accesses on a memory other than 0
 * (multi-memory) and on 64-bit memories (memory64), on both tiers: every
 * kind of access (load, extending load, splat, zero-filling load, lane
 * load, store, lane store) reads and writes its own memory, in bounds and
 * out of bounds (a trap, and a store that traps writes nothing), offsets
 * past 2^32 and addresses wrapping 2^64 included, and a store's dirty-page
 * marks let the next instance find its memory clean.
 *
 * The module: memory 0 (1 page, i32), memory 1 (2 pages, i32) and memory 2
 * (1 page, i64), each with the same data at 0x100; a second module has one
 * i64 memory, memory 0.  The same functions are written for each memory
 * (access_funcs), assembled with wat2wasm at test time. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "engine/engine.h"
#include "util/buf.h"
#include "util/fs.h"
#include "util/process.h"

static char tmpdir[4096];

/* The data at 0x100 of every memory the accesses use: bytes with the sign
 * bit clear, then set, so that extending loads show their sign. */
static const uint8_t data[32] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a,
                                 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x80, 0x81, 0x82, 0x83, 0x84, 0x85,
                                 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8b, 0x8c, 0x8d, 0x8e, 0x8f};
#define DATA "\"\\00\\01\\02\\03\\04\\05\\06\\07\\08\\09\\0a\\0b\\0c\\0d\\0e\\0f" \
             "\\80\\81\\82\\83\\84\\85\\86\\87\\88\\89\\8a\\8b\\8c\\8d\\8e\\8f\""
/* What the stores write: bytes 1..16. */
#define PATTERN "(v128.const i8x16 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16)"

/* The functions, "<name>.<access>", over memory `mem` (its index, or ""
 * for memory 0 written without one) with addresses of type `at`. */
static void access_funcs(wc_buf *w, const char *name, const char *mem, const char *at)
{
    static const struct {
        const char *access, *result, *body;
    } funcs[] = {
        {"load", "(result v128)", "(v128.load %s (local.get 0))"},
        {"load_far", "(result v128)", "(v128.load %s offset=65520 (local.get 0))"},
        {"load8x8_s", "(result v128)", "(v128.load8x8_s %s (local.get 0))"},
        {"load16x4_u", "(result v128)", "(v128.load16x4_u %s (local.get 0))"},
        {"load16_splat", "(result v128)", "(v128.load16_splat %s (local.get 0))"},
        {"load64_zero", "(result v128)", "(v128.load64_zero %s (local.get 0))"},
        {"load32_lane", "(result v128)",
         "(v128.load32_lane %s 2 (local.get 0) (v128.const i32x4 -1 -1 -1 -1))"},
        {"store", "", "(v128.store %s (local.get 0) " PATTERN ")"},
        {"store_far", "", "(v128.store %s offset=65520 (local.get 0) " PATTERN ")"},
        {"store16_lane", "", "(v128.store16_lane %s 5 (local.get 0) " PATTERN ")"},
        {"peek", "(result i64)", "(i64.load %s (local.get 0))"},
    };
    for (size_t i = 0; i < sizeof funcs / sizeof funcs[0]; i++) {
        wc_buf_printf(w, "  (func (export \"%s.%s\") (param %s) %s ", name, funcs[i].access, at,
                      funcs[i].result);
        wc_buf_printf(w, funcs[i].body, mem);
        wc_buf_str(w, ")\n");
    }
}

/* The module for `text` (assembled by wat2wasm), or NULL, said. */
static wc_module *assemble(wc_engine *engine, const char *text)
{
    static int counter;
    char wat_path[4200], wasm_path[4200], out[2048];
    snprintf(wat_path, sizeof wat_path, "%s/m%d.wat", tmpdir, counter);
    snprintf(wasm_path, sizeof wasm_path, "%s/m%d.wasm", tmpdir, counter++);
    uint8_t *bytes = NULL;
    size_t size = 0;
    char *argv[] = {"wat2wasm", "--enable-all", wat_path, "-o", wasm_path, NULL};
    if (wc_write_file(wat_path, text, strlen(text)) != 0 || wc_run_process(argv, out, sizeof out, NULL) != 0 ||
        wc_read_file(wasm_path, 0, &bytes, &size) != 0) {
        CHECK(0, "wat2wasm: %s", out);
        return NULL;
    }
    wc_module *module = NULL;
    wc_error err = {0};
    CHECK(wc_module_new(engine, bytes, size, &module, &err) == 0, "module: %s", err.msg);
    free(bytes);
    return module;
}

static wc_trap call(wc_instance *inst, const char *name, const char *access, uint64_t address,
                    wc_value *result)
{
    char export[64];
    snprintf(export, sizeof export, "%s.%s", name, access);
    wc_value args[1] = {{.i64 = address}}, res[1];
    memset(res, 0xee, sizeof res);
    wc_error err = {0};
    wc_trap trap = wc_instance_call(inst, export, args, res, &err);
    if (result)
        *result = res[0];
    return trap;
}

/* The v128 `access` loads at `address`, compared with `want`. */
static void check_load(const char *tier, wc_instance *inst, const char *name, const char *access,
                       uint64_t address, const uint8_t want[16])
{
    wc_value r;
    wc_trap trap = call(inst, name, access, address, &r);
    CHECK(trap == WC_TRAP_NONE && memcmp(r.v128, want, 16) == 0, "%s: %s.%s at %llu: %s", tier, name,
          access, (unsigned long long)address, wc_trap_name(trap));
}

static uint64_t peek(wc_instance *inst, const char *name, uint64_t address)
{
    wc_value r;
    return call(inst, name, "peek", address, &r) == WC_TRAP_NONE ? r.i64 : 0xdeadull;
}

/* The loads of one memory, in bounds: each against what the spec says of
 * the data at 0x100. */
static void check_loads(const char *tier, wc_instance *inst, const char *name)
{
    uint8_t want[16];
    check_load(tier, inst, name, "load", 0x100, data);
    for (int i = 0; i < 8; i++) { /* bytes 12..19 sign-extended to 16 bits */
        want[2 * i] = data[12 + i];
        want[2 * i + 1] = data[12 + i] & 0x80 ? 0xff : 0;
    }
    check_load(tier, inst, name, "load8x8_s", 0x10c, want);
    for (int i = 0; i < 4; i++) { /* 16-bit lanes from byte 14 zero-extended to 32 bits */
        memcpy(want + 4 * i, data + 14 + 2 * i, 2);
        want[4 * i + 2] = want[4 * i + 3] = 0;
    }
    check_load(tier, inst, name, "load16x4_u", 0x10e, want);
    for (int i = 0; i < 8; i++)
        memcpy(want + 2 * i, data + 15, 2);
    check_load(tier, inst, name, "load16_splat", 0x10f, want);
    memcpy(want, data + 20, 8);
    memset(want + 8, 0, 8);
    check_load(tier, inst, name, "load64_zero", 0x114, want);
    memset(want, 0xff, 16);
    memcpy(want + 8, data + 17, 4);
    check_load(tier, inst, name, "load32_lane", 0x111, want);
}

/* Stores land in their memory, as the scalar loads of that memory see. */
static void check_stores(const char *tier, wc_instance *inst, const char *name)
{
    CHECK(call(inst, name, "store", 0x400, NULL) == WC_TRAP_NONE, "%s: %s.store", tier, name);
    CHECK(peek(inst, name, 0x400) == 0x0807060504030201ull && peek(inst, name, 0x408) == 0x100f0e0d0c0b0a09ull,
          "%s: %s.store wrote %llx", tier, name, (unsigned long long)peek(inst, name, 0x400));
    CHECK(call(inst, name, "store16_lane", 0x501, NULL) == WC_TRAP_NONE, "%s: %s.store16_lane", tier, name);
    CHECK(peek(inst, name, 0x500) == 0x0c0b00ull, "%s: %s.store16_lane wrote %llx", tier, name,
          (unsigned long long)peek(inst, name, 0x500));
    /* the offset reaches the first page's last 16 bytes */
    CHECK(call(inst, name, "store_far", 0, NULL) == WC_TRAP_NONE, "%s: %s.store_far", tier, name);
    CHECK(peek(inst, name, 65528) == 0x100f0e0d0c0b0a09ull, "%s: %s.store_far", tier, name);
    uint8_t pattern[16];
    for (int i = 0; i < 16; i++)
        pattern[i] = (uint8_t)(i + 1);
    check_load(tier, inst, name, "load_far", 0, pattern);
}

/* At and past the end of a memory of `size` bytes: a trapping store
 * writes nothing, the last access that fits runs, the first that does not
 * traps. */
static void check_bounds(const char *tier, wc_instance *inst, const char *name, uint64_t size)
{
    /* stores straddling the end change none of the bytes before it */
    CHECK(call(inst, name, "store", size - 32, NULL) == WC_TRAP_NONE, "%s: %s", tier, name);
    uint64_t before[2] = {peek(inst, name, size - 16), peek(inst, name, size - 8)};
    CHECK(call(inst, name, "store_far", size - 65520 - 15, NULL) == WC_TRAP_OOB_MEMORY, "%s: %s far", tier,
          name);
    CHECK(call(inst, name, "store", size - 15, NULL) == WC_TRAP_OOB_MEMORY, "%s: %s", tier, name);
    CHECK(call(inst, name, "store", size - 9, NULL) == WC_TRAP_OOB_MEMORY, "%s: %s", tier, name);
    CHECK(call(inst, name, "store16_lane", size - 1, NULL) == WC_TRAP_OOB_MEMORY, "%s: %s", tier, name);
    CHECK(peek(inst, name, size - 16) == before[0] && peek(inst, name, size - 8) == before[1],
          "%s: %s: a store that trapped wrote %llx %llx", tier, name,
          (unsigned long long)peek(inst, name, size - 16), (unsigned long long)peek(inst, name, size - 8));
    static const struct {
        const char *access;
        uint64_t bytes;
    } accesses[] = {{"load", 16}, {"load8x8_s", 8}, {"load16x4_u", 8}, {"load16_splat", 2},
                    {"load64_zero", 8}, {"load32_lane", 4}, {"store", 16}, {"store16_lane", 2}};
    for (size_t i = 0; i < sizeof accesses / sizeof accesses[0]; i++) {
        uint64_t last = size - accesses[i].bytes;
        wc_trap trap = call(inst, name, accesses[i].access, last, NULL);
        CHECK(trap == WC_TRAP_NONE, "%s: %s.%s at %llu: %s", tier, name, accesses[i].access,
              (unsigned long long)last, wc_trap_name(trap));
        trap = call(inst, name, accesses[i].access, last + 1, NULL);
        CHECK(trap == WC_TRAP_OOB_MEMORY, "%s: %s.%s at %llu: %s", tier, name, accesses[i].access,
              (unsigned long long)last + 1, wc_trap_name(trap));
    }
    CHECK(call(inst, name, "load_far", size - 65520 - 15, NULL) == WC_TRAP_OOB_MEMORY, "%s: %s far", tier,
          name);
}

/* A 64-bit memory's addresses past what any reservation covers, and an
 * address plus offset that wraps 2^64, trap. */
static void check_far_addresses(const char *tier, wc_instance *inst, const char *name)
{
    static const uint64_t beyond[] = {1ull << 32, 9ull << 30, 1ull << 40, ~0ull - 15, ~0ull};
    static const char *const accesses[] = {"load", "load16_splat", "load32_lane", "store", "store16_lane"};
    for (size_t i = 0; i < sizeof beyond / sizeof beyond[0]; i++)
        for (size_t k = 0; k < sizeof accesses / sizeof accesses[0]; k++)
            CHECK(call(inst, name, accesses[k], beyond[i], NULL) == WC_TRAP_OOB_MEMORY, "%s: %s.%s at %llx",
                  tier, name, accesses[k], (unsigned long long)beyond[i]);
    CHECK(call(inst, name, "load_far", ~0ull - 0x100, NULL) == WC_TRAP_OOB_MEMORY, "%s: %s wrapped", tier,
          name);
    CHECK(call(inst, name, "store_far", ~0ull - 0x100, NULL) == WC_TRAP_OOB_MEMORY, "%s: %s wrapped", tier,
          name);
}

/* A store across a 4 KiB page boundary marks both pages: the module's next
 * instance finds no byte of it in any memory. */
static void check_marks(const char *tier, wc_module *m, const char *const *names, size_t n)
{
    wc_instance *inst;
    wc_error err = {0};
    for (size_t i = 0; i < n; i++) {
        if (wc_instance_new(m, NULL, NULL, 0, &inst, NULL, &err) != 0) {
            CHECK(0, "%s: %s", tier, err.msg);
            return;
        }
        CHECK(call(inst, names[i], "store", 4088, NULL) == WC_TRAP_NONE, "%s: %s", tier, names[i]);
        CHECK(call(inst, names[i], "store16_lane", 8191, NULL) == WC_TRAP_NONE, "%s: %s", tier, names[i]);
        wc_instance_free(inst);
        if (wc_instance_new(m, NULL, NULL, 0, &inst, NULL, &err) != 0) {
            CHECK(0, "%s: %s", tier, err.msg);
            return;
        }
        for (size_t k = 0; k < n; k++)
            CHECK(peek(inst, names[k], 4088) == 0 && peek(inst, names[k], 4096) == 0 &&
                      peek(inst, names[k], 8184) == 0 && peek(inst, names[k], 8192) == 0,
                  "%s: %s's stores left bytes in %s", tier, names[i], names[k]);
        wc_instance_free(inst);
    }
}

static void run_tier(wc_tier tier, bool track_writes, const char *label)
{
    wc_engine_config config;
    wc_engine_config_default(&config);
    config.tier = tier;
    config.cache_dir = tmpdir;
    config.track_writes = track_writes;
    wc_engine *engine;
    wc_error err = {0};
    if (wc_engine_new(&config, &engine, &err) != 0) {
        CHECK(0, "%s: engine: %s", label, err.msg);
        return;
    }
    wc_buf w;
    wc_buf_init(&w);
    wc_buf_str(&w, "(module (memory 1) (memory 2) (memory i64 1)\n"
                   "  (data (memory 0) (i32.const 0x100) \"\\55\\55\\55\\55\\55\\55\\55\\55\")\n"
                   "  (data (memory 1) (i32.const 0x100) " DATA ")\n"
                   "  (data (memory 2) (i64.const 0x100) " DATA ")\n");
    access_funcs(&w, "m0", "0", "i32");
    access_funcs(&w, "m1", "1", "i32");
    access_funcs(&w, "m2", "2", "i64");
    wc_buf_str(&w, ")");
    wc_module *multi = wc_buf_cstr(&w) ? assemble(engine, (const char *)w.data) : NULL;
    wc_buf_free(&w);
    wc_buf_init(&w);
    wc_buf_str(&w, "(module (memory i64 1) (data (i64.const 0x100) " DATA ")\n");
    access_funcs(&w, "m", "", "i64");
    wc_buf_str(&w, ")");
    wc_module *only64 = wc_buf_cstr(&w) ? assemble(engine, (const char *)w.data) : NULL;
    wc_buf_free(&w);

    wc_instance *inst;
    if (multi && wc_instance_new(multi, NULL, NULL, 0, &inst, NULL, &err) == 0) {
        check_loads(label, inst, "m1");
        check_loads(label, inst, "m2");
        check_stores(label, inst, "m1");
        check_stores(label, inst, "m2");
        /* memory 0 saw none of it */
        CHECK(peek(inst, "m0", 0x100) == 0x5555555555555555ull && peek(inst, "m0", 0x400) == 0 &&
                  peek(inst, "m0", 0x500) == 0,
              "%s: memory 0 was written", label);
        check_bounds(label, inst, "m1", 2 * 65536);
        check_bounds(label, inst, "m2", 65536);
        check_far_addresses(label, inst, "m2");
        wc_instance_free(inst);
    } else {
        CHECK(!multi, "%s: instance: %s", label, err.msg);
    }
    if (only64 && wc_instance_new(only64, NULL, NULL, 0, &inst, NULL, &err) == 0) {
        check_loads(label, inst, "m");
        check_stores(label, inst, "m");
        check_bounds(label, inst, "m", 65536);
        check_far_addresses(label, inst, "m");
        wc_instance_free(inst);
    } else {
        CHECK(!only64, "%s: instance: %s", label, err.msg);
    }
    if (multi && track_writes) {
        static const char *const names[] = {"m0", "m1", "m2"};
        check_marks(label, multi, names, 3);
    }
    if (only64 && track_writes) {
        static const char *const names[] = {"m"};
        check_marks(label, only64, names, 1);
    }
    wc_module_release(multi);
    wc_module_release(only64);
    wc_engine_free(engine);
}

int main(void)
{
    if (wc_make_temp_dir(tmpdir, sizeof tmpdir, "wasmcap-test-simd-memories") != 0) {
        perror("mkdtemp");
        return 1;
    }
    run_tier(WC_TIER_FAST, false, "fast tier");
    run_tier(WC_TIER_FAST, true, "fast tier, writes tracked");
    run_tier(WC_TIER_OPTIMIZED, true, "optimized tier, writes tracked");
    char *rm[] = {"rm", "-rf", tmpdir, NULL};
    char out[256];
    if (wc_run_process(rm, out, sizeof out, NULL) != 0)
        printf("could not remove %s\n", tmpdir);
    if (failures) {
        printf("test_simd_memories: %d failure(s) of %d checks\n", failures, checks);
        return 1;
    }
    printf("test_simd_memories: all %d checks passed\n", checks);
    return 0;
}
