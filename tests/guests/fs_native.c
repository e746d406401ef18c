/* fs_native.c -- test guest: a native plugin reading and writing the
 * directories it is granted (permissions.allowed_paths) through wasi-libc. */
#include <errno.h>
#include <stdio.h>

#define GUEST_MALLOC
#include "guest.h"

MANIFEST("fs_native.manifest.json");

/* {"content":[{"type":"text","text":TEXT}]} for plain text without quotes
 * or backslashes (what the tests write). */
static int64_t text_result(const char *s, size_t n, int is_error)
{
    char *out = wasmcap_alloc((int)(n + 96)), *p = out;
    const char *head = "{\"content\":[{\"type\":\"text\",\"text\":\"";
    const char *tail = is_error ? "\"}],\"isError\":true}" : "\"}]}";
    memcpy(p, head, strlen(head)), p += strlen(head);
    memcpy(p, s, n), p += n;
    memcpy(p, tail, strlen(tail)), p += strlen(tail);
    return result(out, (size_t)(p - out));
}

static int64_t failed(void)
{
    char msg[32];
    int n = snprintf(msg, sizeof msg, "errno=%d", errno);
    return text_result(msg, (size_t)n, 1);
}

EXPORT("wasmcap_call_tool")
int64_t call_tool(const char *name, int name_len, const char *args, int args_len)
{
    const char *v;
    char path[512];
    int n = json_str(args, args_len, "path", &v);
    if (n <= 0 || n >= (int)sizeof path)
        return text_result("expected {\"path\": ...}", 22, 1);
    memcpy(path, v, (size_t)n);
    path[n] = 0;
    if (name_is(name, name_len, "read_file")) {
        FILE *f = fopen(path, "r");
        if (!f)
            return failed();
        char *buf = wasmcap_alloc(4096);
        size_t got = fread(buf, 1, 4095, f);
        fclose(f);
        return text_result(buf, got, 0);
    }
    if (name_is(name, name_len, "write_file")) {
        const char *t;
        int tn = json_str(args, args_len, "text", &t);
        FILE *f = fopen(path, "w");
        if (!f)
            return failed();
        fwrite(t, 1, tn > 0 ? (size_t)tn : 0, f);
        if (fclose(f))
            return failed();
        return text_result("written", 7, 0);
    }
    return text_result("unknown tool", 12, 1);
}
