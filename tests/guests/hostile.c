/* hostile.c -- test guest: schemas and results that cost the host work
 * (its manifest), and content blocks of every shape, good and bad. */
#include "guest.h"

MANIFEST("hostile.manifest.json");

/* The content of result n of "blocks"; tests/test_plugin.c knows which are
 * valid. */
static const char *const contents[] = {
    /* 0-5: valid */
    "[{\"type\":\"text\",\"text\":\"t\"}]",
    "[{\"type\":\"image\",\"data\":\"AA==\",\"mimeType\":\"image/png\"},"
    "{\"type\":\"audio\",\"data\":\"AA==\",\"mimeType\":\"audio/wav\"}]",
    "[{\"type\":\"resource_link\",\"uri\":\"file:///a\",\"name\":\"a\"}]",
    "[{\"type\":\"resource\",\"resource\":{\"uri\":\"file:///a\",\"text\":\"x\"}},"
    "{\"type\":\"resource\",\"resource\":{\"uri\":\"file:///b\",\"blob\":\"AA==\"}}]",
    "[{\"type\":\"text\",\"text\":\"t\",\"annotations\":{\"priority\":1},\"_meta\":{}}]",
    "[]",
    /* 6-: invalid */
    "[1,\"x\",null]",
    "[{\"text\":\"no type\"}]",
    "[{\"type\":\"video\",\"data\":\"AA==\"}]",
    "[{\"type\":\"text\"}]",
    "[{\"type\":\"text\",\"text\":7}]",
    "[{\"type\":\"image\",\"data\":\"AA==\"}]",
    "[{\"type\":\"audio\",\"mimeType\":\"audio/wav\"}]",
    "[{\"type\":\"resource_link\",\"uri\":\"file:///a\"}]",
    "[{\"type\":\"resource\",\"resource\":{\"uri\":\"file:///a\"}}]",
    "[{\"type\":\"resource\",\"resource\":\"file:///a\"}]",
    "[{\"type\":\"text\",\"text\":\"ok\"},[]]",
    "[{\"type\":1,\"text\":\"t\"}]",
};

static unsigned index_in(const char *args, int len)
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
    if (name_is(name, name_len, "slowout")) {
        static const char head[] = "{\"content\":[],\"structuredContent\":{\"items\":[";
        static const char item[] = "\"aaaaaaaaaaaaaaax\"";
        enum { ITEMS = 3000 };
        size_t n = sizeof head - 1 + ITEMS * sizeof item + 3;
        char *out = wasmcap_alloc((int)n), *p = out;
        memcpy(p, head, sizeof head - 1);
        p += sizeof head - 1;
        for (int i = 0; i < ITEMS; i++) {
            if (i)
                *p++ = ',';
            memcpy(p, item, sizeof item - 1);
            p += sizeof item - 1;
        }
        memcpy(p, "]}}", 3);
        p += 3;
        return result(out, (size_t)(p - out));
    }
    if (name_is(name, name_len, "blocks")) {
        unsigned n = index_in(args, args_len);
        if (n >= sizeof contents / sizeof contents[0])
            return 0;
        char *out = cat("{\"content\":", 11, contents[n]);
        return result_str(cat(out, strlen(out), "}"));
    }
    return result_str("{\"content\":[{\"type\":\"text\",\"text\":\"ran\"}]}");
}
