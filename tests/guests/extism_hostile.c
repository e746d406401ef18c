/* extism_hostile.c -- a hyper-mcp v1 plugin that attacks Extism's kernel
 * where extism_v1.c does not: lengths and offsets that overflow, straddle a
 * block's end or carry into the block index, addresses of no block at all
 * handed to every function that takes one, a var store filled past its
 * count, an output longer than the address space.  tests/test_extism.c
 * expects each refused (a trap with Extism's message, or the function's
 * quiet "nothing") and the plugin to serve the next call. */
#include <stdio.h>

#include "extism_guest.h"

#define GARBAGE UINT64_C(0xdeadbeefdeadbeef)

EXPORT("describe") int32_t describe(void)
{
    static const char *const names[] = {
        "load_straddle", "load_max_offset", "store_straddle", "input_wrap", "no_block_index",
        "output_huge", "output_offset_huge", "output_freed", "error_garbage", "garbage_calmly",
        "http_garbage", "var_flood", "alloc_2_63", "ok",
    };
    static char list[2048];
    size_t n = 0;
    const char *head = "{\"tools\":[";
    memcpy(list, head, strlen(head));
    n = strlen(head);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        n += (size_t)snprintf(list + n, sizeof list - n,
                              "%s{\"name\":\"%s\",\"inputSchema\":{\"type\":\"object\"}}",
                              i ? "," : "", names[i]);
    }
    memcpy(list + n, "]}", 3);
    x_output(list);
    return 0;
}

static char name[64];

static int32_t tool(void)
{
    if (!strcmp(name, "load_straddle")) { /* 8 bytes read at 8 of a 12-byte block */
        uint64_t a = x_alloc(12);
        return (int32_t)x_load_u64(a + 8);
    }
    if (!strcmp(name, "load_max_offset")) { /* the largest offset a block address holds */
        uint64_t a = x_alloc(8);
        return (int32_t)x_load_u8(a | UINT64_C(0x0000ffffffffffff));
    }
    if (!strcmp(name, "store_straddle")) {
        uint64_t a = x_alloc(7);
        x_store_u64(a, 1);
        return 0;
    }
    if (!strcmp(name, "input_wrap")) /* offset + 8 wraps past 2^64 */
        return (int32_t)x_input_load_u64(UINT64_MAX - 3);
    if (!strcmp(name, "no_block_index"))
        return (int32_t)x_load_u64(UINT64_C(0xffff000000000000));
    if (!strcmp(name, "output_huge")) {
        uint64_t a = x_alloc(4);
        x_output_set(a, UINT64_MAX);
        return 0;
    }
    if (!strcmp(name, "output_offset_huge")) { /* offset + length overflows */
        uint64_t a = x_alloc(4);
        x_output_set(a + 2, UINT64_MAX - 1);
        return 0;
    }
    if (!strcmp(name, "output_freed")) {
        uint64_t a = x_store_str("gone");
        x_free(a);
        x_output_set(a, 4);
        return 0;
    }
    if (!strcmp(name, "error_garbage")) {
        x_error_set(GARBAGE);
        return 1;
    }
    if (!strcmp(name, "garbage_calmly")) { /* functions that answer "nothing" */
        x_free(GARBAGE);
        x_var_set(GARBAGE, GARBAGE);
        x_log_info(GARBAGE);
        uint64_t sum = x_length(GARBAGE) + x_length_unsafe(GARBAGE) + x_config_get(GARBAGE) +
                       x_var_get(GARBAGE) + x_http_request(GARBAGE, 0) + x_load_u8(GARBAGE);
        x_text_result(sum ? "something" : "nothing", 0);
        return 0;
    }
    if (!strcmp(name, "http_garbage")) { /* a good request, a body of no block */
        uint64_t req = x_store_str("{\"url\":\"http://127.0.0.1:9/\"}");
        x_http_request(req, GARBAGE);
        x_text_result("returned", 0);
        return 0;
    }
    if (!strcmp(name, "var_flood")) { /* more vars than the store counts */
        char key[16];
        uint64_t one = x_store_str("1");
        for (int i = 0; i < 5000; i++) {
            int n = 0;
            key[n++] = 'v';
            for (int d = 1000; d; d /= 10)
                key[n++] = (char)('0' + i / d % 10);
            key[n] = 0;
            x_var_set(x_store_str(key), one);
        }
        return 0;
    }
    if (!strcmp(name, "alloc_2_63")) {
        char digits[24];
        u64_text(x_alloc(UINT64_C(1) << 63), digits);
        x_text_result(digits, 0);
        return 0;
    }
    if (!strcmp(name, "ok")) {
        x_text_result("still serving", 0);
        return 0;
    }
    x_fail("unknown tool");
    return 1;
}

EXPORT("call") int32_t call(void)
{
    x_input();
    if (!json_str(input_buf, "name", name, sizeof name)) {
        x_fail("call: no name");
        return 1;
    }
    return tool();
}
