/* reload_guest.h -- the test guest of hot reload, built as two versions
 * (reload_v1.c, reload_v2.c) that say which they are: "version" answers at
 * once, "slow" after sleeping {"ms": N}, so a test can hold a call on one
 * version while it swaps in the other. */
#include "guest.h"

#ifndef REVISION
#error define REVISION before including reload_guest.h
#endif

__attribute__((import_module("wasi_snapshot_preview1"), import_name("poll_oneoff")))
int wasi_poll_oneoff(const void *in, void *out, int nsubscriptions, int *nevents);

static void sleep_ms(unsigned ms)
{
    /* One clock subscription (relative, CLOCK_MONOTONIC). */
    _Alignas(8) unsigned char sub[48] = {0}, event[32];
    uint64_t ns = (uint64_t)ms * 1000000u;
    uint32_t monotonic = 1;
    memcpy(sub + 16, &monotonic, 4);
    memcpy(sub + 24, &ns, 8);
    int n = 0;
    wasi_poll_oneoff(sub, event, 1, &n);
}

static const char answer[] = "{\"content\":[{\"type\":\"text\",\"text\":\"v" REVISION "\"}]}";

EXPORT("wasmcap_call_tool")
int64_t call_tool(const char *name, int name_len, const char *args, int args_len)
{
    if (name_is(name, name_len, "slow")) {
        unsigned ms = 0;
        for (int i = 0; i < args_len; i++)
            if (args[i] >= '0' && args[i] <= '9')
                ms = ms * 10 + (unsigned)(args[i] - '0');
        sleep_ms(ms > 10000 ? 10000 : ms);
    }
    return result_str(answer);
}
