/* inspect_tflite.h -- the TensorFlow Lite view of `wasmcap inspect`. */
#ifndef WC_CLI_INSPECT_TFLITE_H
#define WC_CLI_INSPECT_TFLITE_H

#include <stddef.h>
#include <stdint.h>

/* The largest model file inspect reads. */
#define WC_INSPECT_MAX_MODEL_BYTES ((size_t)1 << 30)

/* Prints the model in bytes; returns the exit status: 0 valid, 1 not. */
int wc_inspect_tflite(const char *path, const uint8_t *bytes, size_t size);

#endif
