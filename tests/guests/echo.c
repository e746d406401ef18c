/* echo.c -- test guest: a trivial tool and every way a tool can fail. */
#include "guest.h"

MANIFEST("echo.manifest.json");

static volatile int sink;

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
