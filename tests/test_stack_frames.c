/* test_stack_frames.c -- a guest function whose native frame is larger than
 * the guard page below a thread's stack must not write past it.
 *
 * The emitter keeps a function's operand stack in C locals, one per height
 * and type, so a valid module can ask for a frame of megabytes.  Neither
 * libtcc nor Debian's gcc probes a large frame page by page, so its first
 * write could land far below the stack's guard page -- in whatever is
 * mapped there (another thread's stack, the heap) -- or fault where the
 * trap handler does not look, killing the process.  Here the guest runs on
 * a thread whose stack has a guard page and, below it, a "victim" region
 * filled with a pattern: the call must end (returning, or trapping "call
 * stack exhausted"), the victim must be untouched, and the next call on the
 * same thread must work.  Both tiers.
 *
 * The module (built below): one function, "big", with locals (v128 i32
 * i64): if local 1 (zero) then push N i64 values, spill them to their slots
 * (an empty block) and branch out; else push a few v128 values and spill
 * them.  The slots of the first arm sit above those of the second in
 * libtcc's frame, so the second arm's first write is N * 8 bytes below the
 * frame's top, far past the guard page.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "check.h"
#include "fast_engine.h"
#include "engine/engine.h"
#include "wasm_bytes.h"

#define I64_SLOTS 150000u /* 1.2 MB of slots above the v128 ones */
#define STACK_BYTES (512u << 10)
#define GUARD_BYTES 4096u
#define VICTIM_BYTES (4u << 20)
#define PATTERN 0xa5

/* The module described at the top; *size set, free() the result. */
static uint8_t *big_frame_module(size_t *size)
{
    size_t code_cap = 2 * I64_SLOTS + 256;
    uint8_t *code = malloc(code_cap), *module = malloc(code_cap + 256);
    if (!code || !module) {
        free(code);
        free(module);
        return NULL;
    }
    size_t c = 0, n = 0;
    /* locals: 1 v128 (l0), 1 i32 (l1), 1 i64 (l2) */
    code[c++] = 3, code[c++] = 1, code[c++] = 0x7b, code[c++] = 1, code[c++] = 0x7f, code[c++] = 1,
    code[c++] = 0x7e;
    code[c++] = 0x20, code[c++] = 1, code[c++] = 0x04, code[c++] = 0x40; /* local.get 1, if */
    for (uint32_t i = 0; i < I64_SLOTS; i++)
        code[c++] = 0x20, code[c++] = 2;
    code[c++] = 0x02, code[c++] = 0x40, code[c++] = 0x0b, code[c++] = 0x0c, code[c++] = 0; /* block end br 0 */
    code[c++] = 0x05; /* else */
    for (uint32_t i = 0; i < 16; i++)
        code[c++] = 0x20, code[c++] = 0;
    code[c++] = 0x02, code[c++] = 0x40, code[c++] = 0x0b, code[c++] = 0x0c, code[c++] = 0;
    code[c++] = 0x0b, code[c++] = 0x0b; /* end if, end function */

    memcpy(module, "\0asm\1\0\0\0", 8);
    n = 8;
    static const uint8_t types[] = {1, 0x60, 0, 0}, funcs[] = {1, 0}, exports[] = {1, 3, 'b', 'i', 'g', 0, 0};
    put_section(module, &n, 1, types, sizeof types);
    put_section(module, &n, 3, funcs, sizeof funcs);
    put_section(module, &n, 7, exports, sizeof exports);
    uint8_t head[16];
    size_t h = 0;
    put_u32(head, &h, 1);
    put_u32(head, &h, (uint32_t)c);
    module[n++] = 10;
    put_u32(module, &n, (uint32_t)(h + c));
    memcpy(module + n, head, h);
    n += h;
    memcpy(module + n, code, c);
    n += c;
    free(code);
    *size = n;
    return module;
}

typedef struct run {
    wc_module *module;
    wc_trap traps[2];
    char message[1100];
} run;

static void *call_twice(void *arg)
{
    run *r = arg;
    for (int i = 0; i < 2; i++) {
        wc_instance_config config = {0};
        wc_instance *inst = NULL;
        wc_error err = {0};
        if (wc_instance_new(r->module, &config, NULL, 0, &inst, NULL, &err) != 0) {
            snprintf(r->message, sizeof r->message, "instance: %s", err.msg);
            return NULL;
        }
        r->traps[i] = wc_instance_call(inst, "big", NULL, NULL, &err);
        wc_instance_free(inst);
    }
    return NULL;
}

static void test_tier(wc_tier tier, const char *name, const uint8_t *bytes, size_t size)
{
    wc_engine *engine = test_tier_engine(tier);
    if (!engine) {
        CHECK(0, "no engine");
        return;
    }
    wc_error err = {0};
    run r = {.traps = {WC_TRAP_HOST, WC_TRAP_HOST}};
    if (wc_module_new(engine, bytes, size, &r.module, &err) != 0) {
        CHECK(0, "%s tier: module: %s", name, err.msg);
        wc_engine_free(engine);
        return;
    }
    /* [victim][guard][stack], the stack growing down towards the guard */
    size_t total = VICTIM_BYTES + GUARD_BYTES + STACK_BYTES;
    uint8_t *area = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(area != MAP_FAILED, "mmap");
    if (area != MAP_FAILED) {
        memset(area, PATTERN, VICTIM_BYTES);
        mprotect(area + VICTIM_BYTES, GUARD_BYTES, PROT_NONE);
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setstack(&attr, area + VICTIM_BYTES + GUARD_BYTES, STACK_BYTES);
        pthread_t thread;
        if (pthread_create(&thread, &attr, call_twice, &r) == 0)
            pthread_join(thread, NULL);
        else
            CHECK(0, "pthread_create");
        pthread_attr_destroy(&attr);
        CHECK(!r.message[0], "%s tier: %s", name, r.message);
        size_t touched = 0;
        for (size_t i = 0; i < VICTIM_BYTES; i++)
            touched += area[i] != PATTERN;
        CHECK(touched == 0, "%s tier: the guest wrote %zu bytes below the stack's guard page", name, touched);
        for (int i = 0; i < 2; i++)
            CHECK(r.traps[i] == WC_TRAP_NONE || r.traps[i] == WC_TRAP_STACK_EXHAUSTED, "%s tier: call %d: %s",
                  name, i + 1, wc_trap_name(r.traps[i]));
        munmap(area, total);
    }
    wc_module_release(r.module);
    wc_engine_free(engine);
}

int main(void)
{
    size_t size = 0;
    uint8_t *bytes = big_frame_module(&size);
    if (!bytes) {
        printf("FAIL: out of memory\n");
        return 1;
    }
    test_tier(WC_TIER_FAST, "fast", bytes, size);
    test_tier(WC_TIER_OPTIMIZED, "optimized", bytes, size);
    free(bytes);
    return check_report();
}
