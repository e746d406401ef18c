/* store.c -- test guest: the host functions (kv, config) and WASI in a native plugin. */
#include <stdlib.h>
#include <unistd.h>

#define GUEST_MALLOC
#include "guest.h"

MANIFEST("store.manifest.json");

static int64_t text(const char *prefix, const char *s, size_t n, int is_error)
{
    char *out = wasmcap_alloc((int)(n + 128)), *p = out;
    const char *head = "{\"content\":[{\"type\":\"text\",\"text\":\"";
    memcpy(p, head, strlen(head)), p += strlen(head);
    memcpy(p, prefix, strlen(prefix)), p += strlen(prefix);
    memcpy(p, s, n), p += n;
    const char *tail = is_error ? "\"}],\"isError\":true}" : "\"}]}";
    memcpy(p, tail, strlen(tail)), p += strlen(tail);
    return result(out, (size_t)(p - out));
}

/* The response slot after a host call that returned n (or an error code). */
static int64_t slot(const char *what, int n)
{
    char code[16] = "code -";
    char *buf = wasmcap_alloc(n > 0 ? n : 512);
    int got = wc_read_response(buf, n > 0 ? n : 512);
    if (n < 0) {
        code[6] = (char)('0' - n);
        code[7] = ' ';
        code[8] = 0;
        return text(code, buf, got > 0 ? (size_t)got : 0, 1);
    }
    return text(what, buf, (size_t)got, 0);
}

EXPORT("wasmcap_call_tool")
int64_t call_tool(const char *name, int name_len, const char *args, int args_len)
{
    const char *key, *value;
    int klen = json_str(args, args_len, "key", &key);
    if (name_is(name, name_len, "put")) {
        int vlen = json_str(args, args_len, "value", &value);
        int rc = wc_kv_put(key, klen, value, vlen);
        return rc == 0 ? text("stored", "", 0, 0) : slot("", rc);
    }
    if (name_is(name, name_len, "get"))
        return slot("value: ", wc_kv_get(key, klen));
    if (name_is(name, name_len, "config"))
        return slot("color: ", wc_config_get("color", 5));
    if (name_is(name, name_len, "env")) {
        const char *g = getenv("GREETING");
        return g ? text("GREETING=", g, strlen(g), 0) : text("GREETING unset", "", 0, 0);
    }
    if (name_is(name, name_len, "stderr")) {
        static const char msg[] = "first line\nsecond line\n";
        write(2, msg, sizeof msg - 1);
        return text("logged", "", 0, 0);
    }
    return text("no such tool", "", 0, 1);
}
