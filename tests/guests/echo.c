/* echo.c -- test guest: a trivial tool and every way a tool can fail. */
#include "guest.h"

MANIFEST("echo.manifest.json");

static volatile int sink;

/* Results of every shape, for the host's two ways of checking one: parsed,
 * or from its text (tests/test_plugin.c compares them). */
static const char *const shapes[] = {
    "{\"content\":[{\"type\":\"text\",\"text\":\"plain\"}]}",
    "{\"content\":[],\"structuredContent\":{\"count\":3}}",
    "{\"content\":[{\"type\":\"text\",\"text\":\"3\"}],\"structuredContent\":{\"count\":\"x\"}}",
    "{\"content\":[],\"structuredContent\":{\"other\":1}}",
    "{\"content\":[],\"structuredContent\":{\"count\":{\"nested\":true}}}",
    "{\"content\":[],\"structuredContent\":{\"count\":1,\"count\":2}}",
    "{\"content\":[],\"content\":[]}",
    "{\"content\":[{\"a\":1,\"a\":2}],\"structuredContent\":{\"count\":1}}",
    "{\"content\":{},\"structuredContent\":{\"count\":1}}",
    "{\"content\":[],\"isError\":\"yes\"}",
    "{\"content\":[],\"isError\":true}",
    "{\"content\":[],\"isError\":false,\"structuredContent\":{\"count\":0}}",
    "{\"structuredContent\":{\"count\":5}}",
    "{\"c\\u006fntent\":[],\"structuredContent\":{\"count\":5}}",
    "{\"content\":[],\"structuredContent\":[1]}",
    "{\"content\":[],\"structuredContent\":{\"count\":1},\"_meta\":{\"k\":[1,{\"z\":null}]}}",
    "{\"content\":[{\"type\":\"text\",\"text\":\"\\u00e9\\n\"}] , \"structuredContent\" : { \"count\" : -1.5e3 } }",
    "{\"content\":[],\"structuredContent\":{\"count\":1}} x",
    "{\"content\":[1,],\"structuredContent\":{\"count\":1}}",
    "{\"content\":[\"\\ud800\"],\"structuredContent\":{\"count\":1}}",
};

/* n from arguments {"n": N} (the first digits in them). */
static unsigned shape_index(const char *args, int len)
{
    unsigned n = 0;
    int i = 0;
    while (i < len && (args[i] < '0' || args[i] > '9'))
        i++;
    while (i < len && args[i] >= '0' && args[i] <= '9')
        n = n * 10 + (unsigned)(args[i++] - '0');
    return n;
}

EXPORT("wasmcap_call_tool")
int64_t call_tool(const char *name, int name_len, const char *args, int args_len)
{
    if (name_is(name, name_len, "echo")) {
        char *out = wasmcap_alloc(args_len + 32);
        memcpy(out, "{\"structuredContent\":", 21);
        memcpy(out + 21, args, (size_t)args_len);
        out[21 + args_len] = '}';
        return result(out, (size_t)args_len + 22);
    }
    if (name_is(name, name_len, "trap"))
        __builtin_trap();
    if (name_is(name, name_len, "oob"))
        return *(volatile int *)(uintptr_t)0xfffffff0u;
    if (name_is(name, name_len, "loop"))
        for (;;)
            sink++;
    if (name_is(name, name_len, "grow")) {
        while (__builtin_wasm_memory_grow(0, 1) != (size_t)-1)
            ;
        __builtin_trap();
    }
    if (name_is(name, name_len, "big")) {
        size_t n = 200000;
        char *out = wasmcap_alloc((int)n);
        memset(out, 'x', n);
        const char *head = "{\"content\":[{\"type\":\"text\",\"text\":\"";
        memcpy(out, head, strlen(head));
        memcpy(out + n - 4, "\"}]}", 4);
        return result(out, n);
    }
    if (name_is(name, name_len, "badout"))
        return result_str("{\"structuredContent\":{\"count\":\"many\"}}");
    if (name_is(name, name_len, "goodout"))
        return result_str("{\"structuredContent\":{\"count\":3}}");
    if (name_is(name, name_len, "nostruct"))
        return result_str("{\"content\":[{\"type\":\"text\",\"text\":\"hi\"}]}");
    if (name_is(name, name_len, "badjson"))
        return result_str("{\"content\": [oops");
    if (name_is(name, name_len, "notobject"))
        return result_str("[1,2,3]");
    if (name_is(name, name_len, "zero"))
        return 0;
    if (name_is(name, name_len, "outside"))
        return result((const char *)(uintptr_t)0xfff00000u, 100);
    if (name_is(name, name_len, "shape") || name_is(name, name_len, "shapeout")) {
        unsigned n = shape_index(args, args_len);
        return n < sizeof shapes / sizeof shapes[0] ? result_str(shapes[n]) : 0;
    }
    if (name_is(name, name_len, "iserror"))
        return result_str("{\"content\":[{\"type\":\"text\",\"text\":\"unknown operation 'pow'; "
                          "use + - * /\"}],\"isError\":true}");
    return result_str("{\"content\":[{\"type\":\"text\",\"text\":\"no such tool\"}],\"isError\":true}");
}

/* 150 values, whatever is asked: the host caps the list at 100. */
EXPORT("wasmcap_complete")
int64_t complete(const char *params, int len)
{
    (void)params, (void)len;
    char *out = wasmcap_alloc(4096), *p = out;
    memcpy(p, "{\"values\":[", 11);
    p += 11;
    for (int i = 0; i < 150; i++) {
        if (i)
            *p++ = ',';
        *p++ = '"';
        *p++ = 'v';
        *p++ = (char)('0' + i / 100);
        *p++ = (char)('0' + i / 10 % 10);
        *p++ = (char)('0' + i % 10);
        *p++ = '"';
    }
    *p++ = ']';
    *p++ = '}';
    return result(out, (size_t)(p - out));
}
