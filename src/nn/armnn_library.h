/* armnn_library.h -- the Arm NN shim (armnn_shim.h), loaded on first use.
 *
 * libwasmcap-armnn.so carries Arm NN, its TFLite parser and the C++
 * runtime; linked into the server they cost every process ~4 MiB of
 * resident pages (relocations and static constructors) although most
 * configs never fall back to Arm NN.  So the server dlopens it the first
 * time a model needs it: from $WASMCAP_ARMNN_LIBRARY when set, else beside
 * the running executable (the build directory holds both).
 *
 * Thread-safe: the first call loads, every later one returns its result.
 */
#ifndef WC_NN_ARMNN_LIBRARY_H
#define WC_NN_ARMNN_LIBRARY_H

#include "nn/armnn_shim.h"

#define WC_ARMNN_LIBRARY_NAME "libwasmcap-armnn.so"

typedef struct wc_armnn_api {
    int (*net_load)(const uint8_t *bytes, size_t size, wc_armnn_net **out, wc_error *err);
    void (*net_free)(wc_armnn_net *net);
    uint32_t (*net_input_count)(const wc_armnn_net *net);
    uint32_t (*net_output_count)(const wc_armnn_net *net);
    const wc_armnn_tensor *(*net_input)(const wc_armnn_net *net, uint32_t index);
    const wc_armnn_tensor *(*net_output)(const wc_armnn_net *net, uint32_t index);
    int (*net_run)(wc_armnn_net *net, const void *const *inputs, void *const *outputs,
                   wc_error *err);
} wc_armnn_api;

/* Sets *out to the shim's functions.  When the library cannot be loaded
 * (missing, not loadable, another version), WC_ENOTSUP with the path
 * tried and the reason: "nn: the Arm NN fallback is not available: ...". */
int wc_armnn_library_open(const wc_armnn_api **out, wc_error *err);

#endif
