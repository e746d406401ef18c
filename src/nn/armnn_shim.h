/* armnn_shim.h -- Arm NN (Debian's 20.08, the CpuRef backend) as C: the one
 * C++ file of src/ (armnn_shim.cpp) behind this header.  It is built into a
 * shared object of its own, libwasmcap-armnn.so, which the server loads only
 * when a model falls back to Arm NN (armnn_library.h): Arm NN and the C++
 * runtime are most of what an idle server would otherwise keep resident.
 *
 * A network is a TFLite model parsed by Arm NN's TfLiteParser, optimized
 * for CpuRef and loaded into a runtime of its own.  Every C++ exception is
 * caught in the shim and comes back as a wc_error code with Arm NN's
 * message: WC_EBADMODULE for a model Arm NN refuses (a parse, optimize or
 * load failure, the operator named as Arm NN names it), WC_ENOMEM for
 * std::bad_alloc, WC_EIO for a failed run.
 *
 * What an exception cannot catch (Arm NN 20.08 has crashed on some models)
 * is armnn_check.h's business: a model is loaded here only after a child
 * process has loaded and run it.
 *
 * Thread safety: runs of one network are serialized by its lock (Arm NN's
 * loaded network keeps per-run state); different networks run in parallel.
 */
#ifndef WC_NN_ARMNN_SHIM_H
#define WC_NN_ARMNN_SHIM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#include "util/error.h"

typedef struct wc_armnn_net wc_armnn_net;

/* Bumped by any change to this header's functions or types: the loader
 * refuses a libwasmcap-armnn.so of another version (wc_armnn_shim_version). */
#define WC_ARMNN_SHIM_VERSION 1
uint32_t wc_armnn_shim_version(void);

/* The element types of the inputs and outputs the shim takes (backend.h's
 * types are C11 atomics' neighbours, which C++ cannot include). */
typedef enum wc_armnn_type {
    WC_ARMNN_F32,
    WC_ARMNN_U8,
    WC_ARMNN_I8, /* QAsymmS8 or QSymmS8 */
    WC_ARMNN_I32,
} wc_armnn_type;

#define WC_ARMNN_MAX_RANK 8

typedef struct wc_armnn_tensor {
    wc_armnn_type type;
    uint32_t rank;
    uint32_t dims[WC_ARMNN_MAX_RANK];
    size_t size; /* bytes */
} wc_armnn_tensor;

/* Parses, optimizes and loads a .tflite model (bytes are copied). */
int wc_armnn_net_load(const uint8_t *bytes, size_t size, wc_armnn_net **out, wc_error *err);
void wc_armnn_net_free(wc_armnn_net *net);

uint32_t wc_armnn_net_input_count(const wc_armnn_net *net);
uint32_t wc_armnn_net_output_count(const wc_armnn_net *net);
/* NULL when index is out of range. */
const wc_armnn_tensor *wc_armnn_net_input(const wc_armnn_net *net, uint32_t index);
const wc_armnn_tensor *wc_armnn_net_output(const wc_armnn_net *net, uint32_t index);

/* One inference: inputs[i] holds input i (its described size), outputs[i]
 * receives output i. */
int wc_armnn_net_run(wc_armnn_net *net, const void *const *inputs, void *const *outputs,
                     wc_error *err);

#ifdef __cplusplus
}
#endif

#endif
