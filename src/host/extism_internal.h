/* extism_internal.h -- what the Extism host files share: the call's blocks
 * (extism_blocks.c) and the way a host function finds its call. */
#ifndef WC_HOST_EXTISM_INTERNAL_H
#define WC_HOST_EXTISM_INTERNAL_H

#include "host/extism.h"
#include "host/wasmcap.h"
#include "util/log.h"

#define EXTISM_OFFSET_BITS 48
#define EXTISM_OFFSET_MASK ((UINT64_C(1) << EXTISM_OFFSET_BITS) - 1)

static inline uint32_t extism_index(uint64_t addr) { return (uint32_t)(addr >> EXTISM_OFFSET_BITS); }
static inline uint64_t extism_offset(uint64_t addr) { return addr & EXTISM_OFFSET_MASK; }
static inline uint64_t extism_address(uint32_t index) { return (uint64_t)index << EXTISM_OFFSET_BITS; }

/* The live block that addr names, or NULL. */
wc_extism_block *wc_extism_block_at(wc_extism_call *call, uint64_t addr);
/* A new block of len bytes, zeroed, or a copy of data when not NULL: its
 * index, or 0 when the call's blocks are at their count or byte limit. */
uint32_t wc_extism_block_new(wc_extism_call *call, const void *data, uint64_t len);
void wc_extism_block_free(wc_extism_call *call, uint64_t addr);
/* The address of a new block holding data, 0 when it does not fit. */
uint64_t wc_extism_store(wc_extism_call *call, const void *data, size_t len);

/* The call's host state and its Extism call, or NULL with the trap message
 * set (an instance made without them: a bug in the host). */
wc_wasmcap_host *wc_extism_host(wc_instance *caller, const char *fn);

/* A server log line of the plugin's (printf-style). */
void wc_extism_log(wc_wasmcap_host *host, wc_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* extism_http.c: http_request, http_status_code, http_headers. */
wc_trap wc_extism_http_request(wc_instance *caller, void *env, const wc_value *args,
                               wc_value *results);
wc_trap wc_extism_http_status_code(wc_instance *caller, void *env, const wc_value *args,
                                   wc_value *results);
wc_trap wc_extism_http_headers(wc_instance *caller, void *env, const wc_value *args,
                               wc_value *results);

/* The entry of every Extism host function: its call, and a cancelled call
 * stops the guest. */
#define EXTISM_ENTER(fn)                                                      \
    wc_wasmcap_host *host = wc_extism_host(caller, fn);                       \
    if (!host)                                                                \
        return WC_TRAP_HOST;                                                  \
    wc_extism_call *c __attribute__((unused)) = host->extism;                 \
    if (wc_cancel_token_cancelled(host->cancel))                              \
        return WC_TRAP_INTERRUPTED

#endif
