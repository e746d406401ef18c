/* extism_blocks.c -- a call's blocks (extism.h): the host-side memory an
 * Extism guest allocates, reads and writes by address.
 *
 * Indices are never reused within a call, so an address that was freed
 * stays dead, as in Extism's JavaScript host; the table grows by doubling
 * up to WC_EXTISM_MAX_BLOCKS and the blocks' bytes are bounded by the
 * plugin's memory limit: past either, alloc returns 0.
 */
#include "host/extism_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

#define DEFAULT_MAX_BYTES (64ull << 20)

int wc_extism_call_init(wc_extism_call *c, wc_extism_vars *vars, const json_t *config,
                        uint64_t max_bytes, const void *input, size_t input_len)
{
    memset(c, 0, sizeof *c);
    c->vars = vars;
    c->config = config;
    c->max_bytes = max_bytes ? max_bytes : DEFAULT_MAX_BYTES;
    c->cap = 16;
    c->blocks = calloc(c->cap, sizeof *c->blocks);
    if (!c->blocks)
        return WC_ENOMEM;
    c->nblocks = 1; /* index 0 is "none" */
    /* The input is a block like any other (the guest may even free it);
     * the limit grows by its size, so it does not count against the
     * guest's allocations. */
    c->max_bytes = input_len > UINT64_MAX - c->max_bytes ? UINT64_MAX : c->max_bytes + input_len;
    c->input = wc_extism_block_new(c, input, input_len);
    if (!c->input) {
        wc_extism_call_destroy(c);
        return WC_ENOMEM;
    }
    return 0;
}

void wc_extism_call_destroy(wc_extism_call *c)
{
    for (uint32_t i = 0; c->blocks && i < c->nblocks; i++)
        free(c->blocks[i].data);
    free(c->blocks);
    c->blocks = NULL;
    c->nblocks = 0;
    json_decref(c->http_headers);
    c->http_headers = NULL;
}

wc_extism_block *wc_extism_block_at(wc_extism_call *c, uint64_t addr)
{
    uint32_t i = extism_index(addr);
    if (i == 0 || i >= c->nblocks || !c->blocks[i].live)
        return NULL;
    return &c->blocks[i];
}

uint32_t wc_extism_block_new(wc_extism_call *c, const void *data, uint64_t len)
{
    if (c->nblocks > WC_EXTISM_MAX_BLOCKS || len > c->max_bytes - c->bytes ||
        len > EXTISM_OFFSET_MASK)
        return 0;
    if (c->nblocks == c->cap) {
        uint32_t cap = c->cap * 2;
        if (cap > WC_EXTISM_MAX_BLOCKS + 1)
            cap = WC_EXTISM_MAX_BLOCKS + 1;
        wc_extism_block *grown = realloc(c->blocks, cap * sizeof *grown);
        if (!grown)
            return 0;
        c->blocks = grown;
        c->cap = cap;
    }
    uint8_t *bytes = NULL;
    if (len) {
        bytes = data ? malloc(len) : calloc(1, len);
        if (!bytes)
            return 0;
        if (data)
            memcpy(bytes, data, len);
    }
    uint32_t i = c->nblocks++;
    c->blocks[i] = (wc_extism_block){.data = bytes, .len = len, .live = true};
    c->bytes += len;
    return i;
}

void wc_extism_block_free(wc_extism_call *c, uint64_t addr)
{
    wc_extism_block *b = wc_extism_block_at(c, addr);
    if (!b)
        return;
    free(b->data);
    c->bytes -= b->len;
    *b = (wc_extism_block){0};
}

uint64_t wc_extism_store(wc_extism_call *c, const void *data, size_t len)
{
    return extism_address(wc_extism_block_new(c, data ? data : "", len));
}

const uint8_t *wc_extism_call_output(const wc_extism_call *c, size_t *len)
{
    *len = 0;
    if (!c->output || c->output >= c->nblocks || !c->blocks[c->output].live)
        return (const uint8_t *)"";
    const wc_extism_block *b = &c->blocks[c->output];
    if (c->output_offset > b->len || c->output_len > b->len - c->output_offset)
        return (const uint8_t *)""; /* (output_set checked it; kept safe) */
    *len = (size_t)c->output_len;
    return b->data ? b->data + c->output_offset : (const uint8_t *)"";
}

const uint8_t *wc_extism_call_error(const wc_extism_call *c, size_t *len)
{
    *len = 0;
    if (!c->error || c->error >= c->nblocks || !c->blocks[c->error].live)
        return NULL;
    *len = (size_t)c->blocks[c->error].len;
    return c->blocks[c->error].data ? c->blocks[c->error].data : (const uint8_t *)"";
}

wc_wasmcap_host *wc_extism_host(wc_instance *caller, const char *fn)
{
    wc_wasmcap_host *host = wc_instance_host_data(caller);
    if (!host || !host->extism) {
        wc_instance_set_trap_message(caller, "extism %s: called outside an Extism call (a start "
                                     "function may not use the Extism kernel)", fn);
        return NULL;
    }
    return host;
}

void wc_extism_log(wc_wasmcap_host *host, wc_log_level level, const char *fmt, ...)
{
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    json_t *fields = json_pack("{s:s}", "plugin", host->plugin ? host->plugin : "?");
    wc_log_fields(level, "plugin", fields, "%s", msg);
    json_decref(fields);
}
