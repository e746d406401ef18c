/* flood.c -- test guest: a tool that logs without end (tests/test_stdio.c). */
#include "guest.h"

MANIFEST("flood.manifest.json");

/* The number after "key": in a flat JSON object; 0 when there is none. */
static unsigned number(const char *json, int len, const char *key)
{
    size_t k = strlen(key);
    for (int i = 0; i + (int)k + 2 < len; i++) {
        if (json[i] != '"' || memcmp(json + i + 1, key, k) != 0 || json[i + 1 + (int)k] != '"')
            continue;
        int j = i + (int)k + 2;
        while (j < len && (json[j] < '0' || json[j] > '9'))
            j++;
        unsigned n = 0;
        while (j < len && json[j] >= '0' && json[j] <= '9')
            n = n * 10 + (unsigned)(json[j++] - '0');
        return n;
    }
    return 0;
}

EXPORT("wasmcap_call_tool")
int64_t call_tool(const char *name, int name_len, const char *args, int args_len)
{
    if (!name_is(name, name_len, "flood"))
        return result_str("{\"content\":[],\"isError\":true}");
    /* {"count": N, "size": S}: N log messages of S bytes each */
    unsigned count = number(args, args_len, "count"), size = number(args, args_len, "size");
    if (size == 0 || size > 60000)
        size = 100;
    char *msg = wasmcap_alloc((int)size);
    memset(msg, 'l', size);
    for (unsigned i = 0; i < count; i++)
        wc_log(1, msg, (int)size); /* info */
    return result_str("{\"content\":[{\"type\":\"text\",\"text\":\"flooded\"}]}");
}
