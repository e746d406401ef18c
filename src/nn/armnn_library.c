/* armnn_library.c -- armnn_library.h: libwasmcap-armnn.so by dlopen, once. */
#include "nn/armnn_library.h"

#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util/dl_table.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static wc_armnn_api api;
static char failure[512]; /* empty when api is loaded */

/* $WASMCAP_ARMNN_LIBRARY, else the library beside /proc/self/exe. */
static int library_path(char *path, size_t size)
{
    const char *env = getenv("WASMCAP_ARMNN_LIBRARY");
    if (env && *env)
        return snprintf(path, size, "%s", env) < (int)size ? 0 : -1;
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0)
        return -1;
    exe[n] = 0;
    char *slash = strrchr(exe, '/');
    if (!slash)
        return -1;
    *slash = 0;
    return snprintf(path, size, "%s/%s", exe, WC_ARMNN_LIBRARY_NAME) < (int)size ? 0 : -1;
}

static void load(void)
{
    char path[PATH_MAX];
    if (library_path(path, sizeof path) != 0) {
        snprintf(failure, sizeof failure, "cannot tell where %s is (set WASMCAP_ARMNN_LIBRARY)",
                 WC_ARMNN_LIBRARY_NAME);
        return;
    }
    void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        snprintf(failure, sizeof failure, "cannot load %s", dlerror());
        return;
    }
    uint32_t (*version)(void) = (uint32_t(*)(void))dlsym(lib, "wc_armnn_shim_version");
    if (!version || version() != WC_ARMNN_SHIM_VERSION) {
        snprintf(failure, sizeof failure, "%.300s is of shim version %u, this server needs %u "
                 "(a library from another build)", path, version ? version() : 0,
                 WC_ARMNN_SHIM_VERSION);
        dlclose(lib);
        return;
    }
    /* The version vouches for every symbol; dlsym's answers are checked anyway. */
    static const wc_dl_symbol symbols[] = {
        {"wc_armnn_net_load", offsetof(wc_armnn_api, net_load)},
        {"wc_armnn_net_free", offsetof(wc_armnn_api, net_free)},
        {"wc_armnn_net_input_count", offsetof(wc_armnn_api, net_input_count)},
        {"wc_armnn_net_output_count", offsetof(wc_armnn_api, net_output_count)},
        {"wc_armnn_net_input", offsetof(wc_armnn_api, net_input)},
        {"wc_armnn_net_output", offsetof(wc_armnn_api, net_output)},
        {"wc_armnn_net_run", offsetof(wc_armnn_api, net_run)},
    };
    /* the library stays loaded: networks live as long as the process may */
    const char *missing = wc_dl_fill(lib, symbols, sizeof symbols / sizeof symbols[0], &api, sizeof api);
    if (missing) {
        snprintf(failure, sizeof failure, "%.300s lacks %s", path, missing);
        dlclose(lib);
    }
}

int wc_armnn_library_open(const wc_armnn_api **out, wc_error *err)
{
    pthread_once(&once, load);
    if (failure[0]) {
        *out = NULL;
        return wc_error_set(err, WC_ENOTSUP, "nn: the Arm NN fallback is not available: %s",
                            failure);
    }
    *out = &api;
    return 0;
}
