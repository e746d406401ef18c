/* extism_v1.c -- a hyper-mcp v1 plugin (describe, call) whose tools use
 * every function of Extism's kernel, well and badly.  The differential test
 * runs the same module in Extism's JavaScript host. */
#include "extism_guest.h"

static const char tools[] =
    "{\"tools\":["
    "{\"name\":\"echo\",\"description\":\"the input it was given\",\"inputSchema\":{\"type\":\"object\"}},"
    "{\"name\":\"count\",\"description\":\"a var counting calls\",\"inputSchema\":{\"type\":\"object\"}},"
    "{\"name\":\"forget\",\"description\":\"removes the count\",\"inputSchema\":{\"type\":\"object\"}},"
    "{\"name\":\"config\",\"description\":\"config_get of key\",\"inputSchema\":{\"type\":\"object\","
    "\"properties\":{\"key\":{\"type\":\"string\"}}}},"
    "{\"name\":\"memory\",\"description\":\"stores and loads\",\"inputSchema\":{\"type\":\"object\"}},"
    "{\"name\":\"fail\",\"description\":\"error_set\",\"inputSchema\":{\"type\":\"object\"}},"
    "{\"name\":\"fail_cleared\",\"description\":\"error_set then error_set(0)\",\"inputSchema\":{\"type\":\"object\"}},"
    "{\"name\":\"nonzero\",\"description\":\"returns 3\",\"inputSchema\":{\"type\":\"object\"}},"
    "{\"name\":\"free_twice\",\"description\":\"frees one block twice\",\"inputSchema\":{\"type\":\"object\"}},"
    "{\"name\":\"missing_u8\",\"description\":\"load_u8 and store_u8 of a freed block\",\"inputSchema\":{\"type\":\"object\"}},"
    "{\"name\":\"missing_u64\",\"description\":\"load_u64 of a freed block\",\"inputSchema\":{\"type\":\"object\"}},"
    "{\"name\":\"past_end\",\"description\":\"store_u8 past its block\",\"inputSchema\":{\"type\":\"object\"}},"
    "{\"name\":\"input_past_end\",\"description\":\"input_load_u64 past the input\",\"inputSchema\":{\"type\":\"object\"}},"
    "{\"name\":\"output_too_long\",\"description\":\"output_set longer than its block\",\"inputSchema\":{\"type\":\"object\"}},"
    "{\"name\":\"output_bad\",\"description\":\"output_set of no block\",\"inputSchema\":{\"type\":\"object\"}},"
    "{\"name\":\"huge_alloc\",\"description\":\"alloc of 2^64-1 bytes\",\"inputSchema\":{\"type\":\"object\"}},"
    "{\"name\":\"endless_alloc\",\"description\":\"allocates until refused\",\"inputSchema\":{\"type\":\"object\"}},"
    "{\"name\":\"var_big\",\"description\":\"a var over the store's limit\",\"inputSchema\":{\"type\":\"object\"}},"
    "{\"name\":\"var_bad\",\"description\":\"var_set with bad addresses\",\"inputSchema\":{\"type\":\"object\"}},"
    "{\"name\":\"log\",\"description\":\"logs at each level\",\"inputSchema\":{\"type\":\"object\"}},"
    "{\"name\":\"http\",\"description\":\"http_request of url\",\"inputSchema\":{\"type\":\"object\","
    "\"properties\":{\"url\":{\"type\":\"string\"}}}},"
    "{\"name\":\"trap\",\"description\":\"unreachable\",\"inputSchema\":{\"type\":\"object\"}},"
    "{\"name\":\"calculate\",\"description\":\"a op b, for the benchmarks\",\"inputSchema\":"
    "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\"},\"b\":{\"type\":\"integer\"},"
    "\"op\":{\"type\":\"string\"}}}}"
    "]}";

EXPORT("describe") int32_t describe(void)
{
    x_output(tools);
    return 0;
}

static char text[BUF_MAX];

static int32_t t_echo(void)
{
    x_text_result(input_buf, 0);
    return 0;
}

static int32_t t_count(void)
{
    uint64_t v = x_var_get(x_store_str("count"));
    uint64_t n = 0;
    if (v) {
        char digits[32];
        x_load(v, digits, sizeof digits);
        for (char *d = digits; *d >= '0' && *d <= '9'; d++)
            n = n * 10 + (uint64_t)(*d - '0');
    }
    n++;
    char digits[32];
    u64_text(n, digits);
    x_var_set(x_store_str("count"), x_store_str(digits));
    memcpy(text, "count=", 6);
    memcpy(text + 6, digits, strlen(digits) + 1);
    x_text_result(text, 0);
    return 0;
}

static int32_t t_forget(void)
{
    x_var_set(x_store_str("count"), 0);
    x_text_result("forgotten", 0);
    return 0;
}

static int32_t t_config(void)
{
    char key[128];
    if (!json_str(input_buf, "key", key, sizeof key))
        memcpy(key, "greeting", 9);
    uint64_t v = x_config_get(x_store_str(key));
    if (!v) {
        x_text_result("(none)", 0);
        return 0;
    }
    x_load(v, text, sizeof text);
    x_text_result(text, 0);
    return 0;
}

static int32_t t_memory(void)
{
    uint64_t a = x_alloc(16);
    x_store_u64(a, 0x0102030405060708ull);
    x_store_u8(a + 8, 0xab);
    uint64_t w = x_load_u64(a);
    uint32_t b = x_load_u8(a + 8), z = x_load_u8(a + 15);
    uint64_t len = x_length(a), ulen = x_length_unsafe(a), none = x_length(0);
    uint64_t empty = x_alloc(0);
    uint64_t elen = x_length(empty);
    int input_ok = x_input_offset() != 0 && x_input_length() > 0;
    x_free(a);
    uint64_t freed = x_length(a);
    char *p = text;
    const uint64_t vals[] = {w, b, z, len, ulen, none, empty != 0, elen, (uint64_t)input_ok, freed};
    for (size_t i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        u64_text(vals[i], p);
        p += strlen(p);
        *p++ = i + 1 < sizeof vals / sizeof vals[0] ? ',' : 0;
    }
    x_text_result(text, 0);
    return 0;
}

static int32_t t_fail(void)
{
    x_fail("it failed on purpose");
    return 1;
}

static int32_t t_fail_cleared(void)
{
    x_fail("never seen");
    x_error_set(0);
    x_text_result("cleared", 0);
    return 0;
}

static int32_t t_free_twice(void)
{
    uint64_t a = x_alloc(8);
    x_free(a);
    x_free(a);
    x_free(0);
    x_free(0x0fff000000000000ull); /* (index 2^15 and up reads as negative in Extism's JS host) */
    x_text_result("freed twice", 0);
    return 0;
}

static int32_t t_missing_u8(void)
{
    uint64_t a = x_alloc(8);
    x_store_u8(a, 7);
    x_free(a);
    x_store_u8(a, 9);
    char digits[16];
    u64_text(x_load_u8(a), digits);
    x_text_result(digits, 0);
    return 0;
}

static int32_t t_missing_u64(void)
{
    uint64_t a = x_alloc(8);
    x_free(a);
    char digits[24];
    u64_text(x_load_u64(a), digits);
    x_text_result(digits, 0);
    return 0;
}

static int32_t t_past_end(void)
{
    uint64_t a = x_alloc(4);
    x_store_u8(a + 4, 1);
    x_text_result("stored past the end", 0);
    return 0;
}

static int32_t t_input_past_end(void)
{
    char digits[24];
    u64_text(x_input_load_u64(x_input_length() - 4), digits);
    x_text_result(digits, 0);
    return 0;
}

static int32_t t_output_too_long(void)
{
    uint64_t a = x_store_str("{}");
    x_output_set(a, 3);
    return 0;
}

static int32_t t_output_bad(void)
{
    x_output_set(0x0123000000000000ull, 2);
    return 0;
}

static int32_t t_huge_alloc(void)
{
    char digits[24];
    u64_text(x_alloc(~0ull), digits);
    x_text_result(digits, 0);
    return 0;
}

static int32_t t_endless_alloc(void)
{
    uint64_t n = 0, a, last = 0;
    while ((a = x_alloc(1u << 20)) != 0) {
        last = a;
        n++;
    }
    x_free(last); /* room for the output */
    char digits[24];
    u64_text(n > 0, digits);
    x_text_result(digits, 0);
    return 0;
}

static int32_t t_var_big(void)
{
    x_var_set(x_store_str("big"), x_alloc(2u << 20));
    x_text_result("set", 0);
    return 0;
}

static int32_t t_var_bad(void)
{
    x_var_set(0x0777000000000000ull, x_store_str("v"));
    x_var_set(x_store_str("k"), 0x0777000000000000ull);
    uint64_t v = x_var_get(x_store_str("k"));
    x_text_result(v ? "set" : "not set", 0);
    return 0;
}

static int32_t t_log(void)
{
    x_log_trace(x_store_str("a trace line"));
    x_log_debug(x_store_str("a debug line"));
    x_log_info(x_store_str("an info line"));
    x_log_warn(x_store_str("a warning line"));
    x_log_error(x_store_str("an error line"));
    x_log_info(0x0555000000000000ull);
    char digits[24];
    u64_text((uint64_t)x_get_log_level(), digits);
    x_text_result(digits, 0);
    return 0;
}

static int32_t t_http(void)
{
    char url[512];
    if (!json_str(input_buf, "url", url, sizeof url))
        return 1;
    size_t n = 0;
    const char *head = "{\"method\":\"POST\",\"url\":\"";
    memcpy(text, head, strlen(head));
    n = json_escape(text, strlen(head), sizeof text - 64, url);
    const char *tail = "\",\"headers\":{\"X-Test\":\"yes\"}}";
    memcpy(text + n, tail, strlen(tail) + 1);
    uint64_t body = x_store_str("ping");
    uint64_t res = x_http_request(x_store_str(text), body);
    static char resp[BUF_MAX];
    static char hdrs[4096];
    x_load(res, resp, sizeof resp);
    x_load(x_http_headers(), hdrs, sizeof hdrs);
    char digits[16];
    u64_text((uint64_t)x_http_status_code(), digits);
    n = 0;
    memcpy(text, digits, strlen(digits));
    n = strlen(digits);
    text[n++] = ' ';
    memcpy(text + n, resp, strlen(resp) + 1);
    n += strlen(resp);
    if (strstr(hdrs, "\"x-reply\""))
        memcpy(text + n, " +x-reply", 10);
    x_text_result(text, 0);
    return 0;
}

/* The integer value of "key"; 0 when absent. */
static int64_t json_int(const char *json, const char *key)
{
    const char *p = json_at(json, key);
    if (!p)
        return 0;
    int neg = *p == '-';
    p += neg;
    int64_t v = 0;
    while (*p >= '0' && *p <= '9')
        v = v * 10 + (*p++ - '0');
    return neg ? -v : v;
}

static int32_t t_calculate(void)
{
    int64_t a = json_int(input_buf, "a"), b = json_int(input_buf, "b"), r;
    char op[8] = "add";
    json_str(input_buf, "op", op, sizeof op);
    /* bench_stdio's operators, or their names */
    if (strcmp(op, "sub") == 0 || strcmp(op, "-") == 0)
        r = a - b;
    else if (strcmp(op, "mul") == 0 || strcmp(op, "*") == 0)
        r = a * b;
    else if (strcmp(op, "div") == 0 || strcmp(op, "/") == 0) {
        if (b == 0) {
            x_fail("division by zero");
            return 1;
        }
        r = a / b;
    } else
        r = a + b;
    char digits[24];
    u64_text((uint64_t)(r < 0 ? -r : r), digits + (r < 0));
    if (r < 0)
        digits[0] = '-';
    x_text_result(digits, 0);
    return 0;
}

EXPORT("call") int32_t call(void)
{
    char name[64];
    x_input();
    if (!json_str(input_buf, "name", name, sizeof name)) {
        x_fail("no tool name in the input");
        return 1;
    }
    static const struct {
        const char *name;
        int32_t (*fn)(void);
    } table[] = {
        {"echo", t_echo}, {"count", t_count}, {"forget", t_forget}, {"config", t_config},
        {"memory", t_memory}, {"fail", t_fail}, {"fail_cleared", t_fail_cleared},
        {"free_twice", t_free_twice}, {"missing_u8", t_missing_u8},
        {"missing_u64", t_missing_u64}, {"past_end", t_past_end},
        {"input_past_end", t_input_past_end}, {"output_too_long", t_output_too_long},
        {"output_bad", t_output_bad}, {"huge_alloc", t_huge_alloc},
        {"endless_alloc", t_endless_alloc}, {"var_big", t_var_big}, {"var_bad", t_var_bad},
        {"log", t_log}, {"http", t_http}, {"calculate", t_calculate},
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(table[i].name, name) == 0)
            return table[i].fn();
    if (strcmp(name, "nonzero") == 0)
        return 3;
    if (strcmp(name, "trap") == 0)
        __builtin_trap();
    x_fail("unknown tool");
    return 1;
}
