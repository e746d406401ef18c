/* extism.h -- the Extism kernel ("extism:host/env") and hyper-mcp's host
 * functions ("extism:host/user") for plugins built with Extism's PDKs.
 *
 * Extism keeps a call's data outside the guest: the input, the output, the
 * error message and every buffer the guest asks for are blocks on the host,
 * which the guest names by 64-bit addresses and reads and writes a byte or
 * a u64 at a time (load_u8, store_u64, ...).  As in Extism's JavaScript
 * host, an address is the block's index in the high 16 bits and the offset
 * in the low 48; index 0 is never a block, so address 0 means "none".
 * Every access is checked against its block: a guest never reaches host
 * memory, and what a bad address does is what it does in Extism's hosts
 * (docs/PLUGINS.md, "Extism plugins", lists each case).
 *
 * A call's blocks (wc_extism_call) live and die with the call and are
 * bounded in number and in bytes.  Vars (var_get/var_set) outlive calls:
 * one wc_extism_vars per plugin, shared by its concurrent calls under a
 * lock, bounded in bytes and entries.
 *
 * The host functions find the call through the instance's host data (a
 * wc_wasmcap_host whose `extism` member is set); the bindings are static.
 */
#ifndef WC_HOST_EXTISM_H
#define WC_HOST_EXTISM_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"

#define WC_EXTISM_ENV_MODULE "extism:host/env"
#define WC_EXTISM_USER_MODULE "extism:host/user"

/* Blocks a call may hold at once (the 16 bits of an address's index). */
#define WC_EXTISM_MAX_BLOCKS 65535u
/* Bytes of keys and values a plugin's vars may hold: Extism's default. */
#define WC_EXTISM_DEFAULT_MAX_VAR_BYTES (1u << 20)
/* Vars a plugin may hold, so that a lookup stays cheap. */
#define WC_EXTISM_MAX_VARS 4096u

/* ---- vars: per plugin, across calls ------------------------------------- */

typedef struct wc_extism_vars wc_extism_vars;

/* max_bytes 0: WC_EXTISM_DEFAULT_MAX_VAR_BYTES.  NULL when out of memory. */
wc_extism_vars *wc_extism_vars_new(size_t max_bytes);
void wc_extism_vars_free(wc_extism_vars *vars);
/* A copy of the value of key (malloc'ed, *len set), or NULL when absent
 * (*len 0) or out of memory (*len 1). */
uint8_t *wc_extism_vars_get(wc_extism_vars *vars, const void *key, size_t key_len, size_t *len);
/* Sets key to value; value NULL removes it.  0, WC_ETOOBIG when the store
 * would hold more than its bytes or entries (err says which as Extism words
 * it), or WC_ENOMEM. */
int wc_extism_vars_set(wc_extism_vars *vars, const void *key, size_t key_len, const void *value,
                       size_t value_len, wc_error *err);

/* ---- one call ------------------------------------------------------------ */

typedef struct wc_extism_block {
    uint8_t *data; /* NULL for a freed block (and for an empty one) */
    uint64_t len;
    bool live;
} wc_extism_block;

typedef struct wc_extism_call {
    wc_extism_block *blocks; /* [0] unused */
    uint32_t nblocks, cap;
    uint64_t bytes, max_bytes; /* live block bytes and their limit */
    uint32_t input, error;     /* block indices; 0: none */
    uint32_t output;
    uint64_t output_offset, output_len;
    int http_status;
    json_t *http_headers; /* of the last http_request; NULL: none yet */
    wc_extism_vars *vars; /* borrowed: the plugin's */
    const json_t *config; /* borrowed: config_get's object of strings, may be NULL */
} wc_extism_call;

/* A call with `input` (copied into its input block).  max_bytes bounds the
 * blocks' bytes (0: 64 MiB).  0 or WC_ENOMEM. */
int wc_extism_call_init(wc_extism_call *call, wc_extism_vars *vars, const json_t *config,
                        uint64_t max_bytes, const void *input, size_t input_len);
void wc_extism_call_destroy(wc_extism_call *call);
/* After the guest returned: the output it set (empty when none). */
const uint8_t *wc_extism_call_output(const wc_extism_call *call, size_t *len);
/* The error message it set with error_set, or NULL when none. */
const uint8_t *wc_extism_call_error(const wc_extism_call *call, size_t *len);

/* ---- bindings ------------------------------------------------------------ */

/* The import bindings of "extism:host/env" and of "extism:host/user"
 * (static; env unused). */
size_t wc_extism_env_bindings(const wc_import_binding **out);
size_t wc_extism_user_bindings(const wc_import_binding **out);

#endif
