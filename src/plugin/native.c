/* native.c -- one call of a native plugin's entry point.
 *
 * The native ABI (docs/PLUGINS.md): run _initialize if exported, copy the
 * inputs into buffers from wasmcap_alloc, call the entry point, and read the
 * JSON object at the (ptr << 32 | len) it returns.  This is the hot path of
 * every tool call: no lookups by name, no allocation but the result's.
 */
#include "plugin/plugin_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "json/parse.h"
#include "json/scan.h"

static int bad(wc_run *r, wc_run_status status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int bad(wc_run *r, wc_run_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->msg, sizeof r->msg, fmt, ap);
    va_end(ap);
    r->status = status;
    return -1;
}

static int guest_call(wc_run *r, int index, const wc_value *args, wc_value *results)
{
    wc_trap trap = wc_instance_call_index(r->inst, (uint32_t)index, args, results, NULL);
    if (trap == WC_TRAP_NONE)
        return 0;
    wc_run_trapped(r, trap);
    return -1;
}

/* Allocates a guest buffer of `total` bytes and copies the len bytes of
 * data to its start; *ptr gets its address. */
static int copy_in(wc_run *r, const void *data, size_t len, size_t total, uint32_t *ptr)
{
    if (total > UINT32_MAX / 2)
        return bad(r, WC_RUN_INTERNAL, "an input of %zu bytes is too large", total);
    size_t want = len;
    len = total; /* bounds below are for the whole buffer */
    wc_value arg = {.i32 = (uint32_t)len}, res = {0};
    if (guest_call(r, r->p->alloc_index, &arg, &res))
        return -1;
    uint8_t *dst = res.i32 ? wc_instance_mem(r->inst, res.i32, len) : NULL;
    if (!dst) {
        wc_memory *mem = wc_instance_memory(r->inst);
        uint64_t used = mem ? wc_memory_size(mem) : 0;
        if (!res.i32 && used + len + 65536 > ((uint64_t)r->p->max_pages << 16)) {
            r->status = WC_RUN_MEMORY;
            return -1;
        }
        return bad(r, WC_RUN_BADOUT, "wasmcap_alloc(%zu) returned %s", len,
                   res.i32 ? "a buffer outside its memory" : "0");
    }
    if (want)
        memcpy(dst, data, want);
    *ptr = res.i32;
    return 0;
}

/* The usual result -- {"content":[...]} with perhaps "structuredContent"
 * (a flat object) and "isError" (a boolean), keys plain and none twice --
 * checked from its bytes: valid JSON throughout, and the shape
 * finish_result would check.  Anything else is left to the parsed path,
 * which also words every error. */
typedef struct result_shape {
    wc_run *r;
    int members;
    const char *keys[16];
    size_t key_lens[16];
    bool content, bad;
} result_shape;

static bool visit_result_member(void *ctx, const wc_json_member_scan *m)
{
    result_shape *rs = ctx;
    if (m->escaped || rs->members == 16) {
        rs->bad = true;
        return false;
    }
    for (int i = 0; i < rs->members; i++)
        if (rs->key_lens[i] == m->key_len && memcmp(rs->keys[i], m->key, m->key_len) == 0) {
            rs->bad = true;
            return false;
        }
    rs->keys[rs->members] = m->key;
    rs->key_lens[rs->members++] = m->key_len;
    if (wc_json_key_is(m, "content")) {
        rs->content = m->value_len > 0 && m->value[0] == '[';
        rs->bad = !rs->content;
    } else if (wc_json_key_is(m, "isError")) {
        bool t = m->value_len == 4 && memcmp(m->value, "true", 4) == 0;
        rs->r->is_error = t;
        rs->bad = !t && !(m->value_len == 5 && memcmp(m->value, "false", 5) == 0);
    } else if (wc_json_key_is(m, "structuredContent")) {
        wc_json_member flat[WC_JSON_FLAT_MAX];
        rs->r->structured = m->value;
        rs->r->structured_len = m->value_len;
        rs->bad = wc_json_flat_members(m->value, m->value_len, flat) < 0;
    }
    return !rs->bad;
}

static bool text_result_shape(wc_run *r, const char *text, size_t len)
{
    bool unchecked = false;
    wc_json_options check = {.flags = WC_JSON_REJECT_DUPLICATES, .check_only = true,
                             .unchecked_duplicates = &unchecked};
    if (!wc_json_parse_with(text, len, &check, NULL) || unchecked)
        return false;
    const char *end = text + len, *p = wc_json_scan_ws(text, end), *after;
    if (p == end || *p != '{')
        return false;
    result_shape rs = {.r = r};
    r->is_error = false;
    r->structured = NULL;
    if (wc_json_scan_members(p, end, visit_result_member, &rs, &after) != 1 || rs.bad ||
        !rs.content)
        return false;
    r->text_result = true;
    return true;
}

int wc_native_invoke(wc_run *r, int export_index, const void *a, size_t alen, const void *b,
                     size_t blen, int ninputs, json_t **out)
{
    *out = NULL;
    wc_plugin *p = r->p;
    if (p->init_index >= 0 && guest_call(r, p->init_index, NULL, NULL))
        return -1;
    wc_value args[4] = {{0}}, res = {0};
    /* Both inputs in one buffer: one guest call fewer per call. */
    if (ninputs >= 1) {
        size_t total = alen + (ninputs >= 2 ? blen : 0);
        uint32_t ptr = 0;
        if (copy_in(r, a, alen, total, &ptr))
            return -1;
        args[0].i32 = ptr;
        args[1].i32 = (uint32_t)alen;
        if (ninputs >= 2) {
            uint8_t *dst = wc_instance_mem(r->inst, ptr + (uint64_t)alen, blen);
            if (blen)
                memcpy(dst, b, blen);
            args[2].i32 = ptr + (uint32_t)alen;
            args[3].i32 = (uint32_t)blen;
        }
    }
    if (guest_call(r, export_index, args, &res))
        return -1;
    uint32_t rptr = (uint32_t)(res.i64 >> 32), rlen = (uint32_t)res.i64;
    if (res.i64 == 0)
        return bad(r, WC_RUN_BADOUT, "it returned no result (0)");
    if (rlen > p->max_output)
        return bad(r, WC_RUN_OUTPUT, "%u bytes", rlen);
    const char *data = wc_instance_mem_view(r->inst, rptr, rlen);
    if (!data)
        return bad(r, WC_RUN_BADOUT, "the result at %u (%u bytes) lies outside its memory", rptr, rlen);
    bool kept = false;
    if (r->keep_text && !memchr(data, '\n', rlen) && !memchr(data, '\r', rlen)) {
        wc_buf_append(r->keep_text, data, rlen);
        kept = !r->keep_text->failed && wc_buf_cstr(r->keep_text);
    }
    if (kept && r->skim_result &&
        text_result_shape(r, (const char *)r->keep_text->data + (r->keep_text->len - rlen), rlen))
        return 0; /* *out stays NULL: the text is the result */
    /* The text goes to the client as it is when it is a complete result
     * (it has content): then only what finish_result checks is built. */
    static const char *const checked[] = {"structuredContent", "isError", NULL};
    wc_json_error jerr;
    bool unchecked = false;
    wc_json_options skim = {.flags = WC_JSON_REJECT_DUPLICATES, .keep = checked,
                            .unchecked_duplicates = &unchecked};
    json_t *obj = kept && r->skim_result
                      ? wc_json_parse_with(data, rlen, &skim, &jerr)
                      : wc_json_parse(data, rlen, WC_JSON_REJECT_DUPLICATES, &jerr);
    if (obj && kept && r->skim_result &&
        (unchecked || (json_is_object(obj) && !json_object_get(obj, "content")))) {
        /* keys it could not compare, or a result to complete rather than
         * pass on: all of it */
        json_decref(obj);
        obj = wc_json_parse(data, rlen, WC_JSON_REJECT_DUPLICATES, &jerr);
    }
    if (!obj)
        return bad(r, WC_RUN_BADOUT, "invalid JSON at byte %zu: %s", jerr.position, jerr.text);
    if (!json_is_object(obj)) {
        json_decref(obj);
        return bad(r, WC_RUN_BADOUT, "expected a JSON object");
    }
    *out = obj;
    return 0;
}
