/* res.c -- test guest: resources (static, templated, dynamic), a prompt; completion from the manifest. */
#include "guest.h"

MANIFEST("res.manifest.json");

static int64_t contents(const char *uri, int uri_len, const char *text)
{
    const char *a = "{\"contents\":[{\"uri\":\"";
    char *out = wasmcap_alloc(uri_len + (int)strlen(text) + 128), *p = out;
    memcpy(p, a, strlen(a)), p += strlen(a);
    memcpy(p, uri, (size_t)uri_len), p += uri_len;
    const char *b = "\",\"mimeType\":\"text/plain\",\"text\":\"";
    memcpy(p, b, strlen(b)), p += strlen(b);
    memcpy(p, text, strlen(text)), p += strlen(text);
    memcpy(p, "\"}]}", 4), p += 4;
    return result(out, (size_t)(p - out));
}

EXPORT("wasmcap_call_tool")
int64_t call_tool(const char *name, int name_len, const char *args, int args_len)
{
    (void)name, (void)name_len, (void)args, (void)args_len;
    return result_str("{\"content\":[]}");
}

EXPORT("wasmcap_read_resource")
int64_t read_resource(const char *uri, int len)
{
    if (name_is(uri, len, "mem://static"))
        return contents(uri, len, "static text");
    if (name_is(uri, len, "mem://dynamic"))
        return contents(uri, len, "dynamic text");
    if (len > 12 && memcmp(uri, "mem://items/", 12) == 0 && !name_is(uri, len, "mem://items/none"))
        return contents(uri, len, "an item");
    if (name_is(uri, len, "mem://trap"))
        __builtin_trap();
    return result_str("{\"error\":\"no such resource here\"}");
}

EXPORT("wasmcap_list_resources")
int64_t list_resources(void)
{
    return result_str("{\"resources\":[{\"uri\":\"mem://dynamic\",\"name\":\"dynamic\"}]}");
}

EXPORT("wasmcap_get_prompt")
int64_t get_prompt(const char *name, int name_len, const char *args, int args_len)
{
    const char *who;
    int n = json_str(args, args_len, "who", &who);
    if (!name_is(name, name_len, "greet"))
        return result_str("{\"error\":\"no such prompt\"}");
    if (n == 3 && memcmp(who, "eve", 3) == 0)
        return result_str("{\"error\":\"eve is not welcome\"}");
    const char *head = "{\"description\":\"greeting\",\"messages\":[{\"role\":\"user\","
                       "\"content\":{\"type\":\"text\",\"text\":\"Say hello to ";
    size_t len = strlen(head);
    char *full = wasmcap_alloc((int)len + n + 16);
    memcpy(full, head, len);
    memcpy(full + len, who, (size_t)n);
    memcpy(full + len + n, "\"}}]}", 5);
    return result(full, len + (size_t)n + 5);
}
