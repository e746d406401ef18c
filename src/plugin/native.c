/* native.c -- the native ABI (abi.h): one call of a plugin's entry point.
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
    return wc_run_code(r->status);
}

static int guest_call(wc_run *r, int index, const wc_value *args, wc_value *results)
{
    wc_trap trap = wc_run_outcome(
        r, wc_instance_call_index(r->inst, (uint32_t)index, args, results, NULL));
    if (trap == WC_TRAP_NONE)
        return 0;
    wc_run_trapped(r, trap);
    return wc_run_code(r->status);
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
        return wc_run_code(r->status);
    uint8_t *dst = res.i32 ? wc_instance_mem(r->inst, res.i32, len) : NULL;
    if (!dst) {
        wc_memory *mem = wc_instance_memory(r->inst);
        uint64_t used = mem ? wc_memory_size(mem) : 0;
        if (!res.i32 && used + len + 65536 > ((uint64_t)r->p->max_pages << 16)) {
            r->status = WC_RUN_MEMORY;
            return wc_run_code(r->status);
        }
        return bad(r, WC_RUN_BADOUT, "wasmcap_alloc(%zu) returned %s", len,
                   res.i32 ? "a buffer outside its memory" : "0");
    }
    if (want)
        memcpy(dst, data, want);
    *ptr = res.i32;
    return 0;
}

/* A member's value checked as wc_json_parse checks it (duplicate keys
 * refused), nothing built: the position past it, or NULL.  The value sits
 * in the result object, whose level counts toward the nesting limit. */
static const char *checked_value(const char *p, const char *end)
{
    if (p < end && *p != '{' && *p != '[')
        return wc_json_check_scalar(p, end);
    bool unchecked = false;
    size_t len = 0;
    wc_json_options check = {.flags = WC_JSON_REJECT_DUPLICATES, .check_only = true,
                             .unchecked_duplicates = &unchecked, .value_end = &len,
                             .max_depth = WC_JSON_MAX_DEPTH - 1};
    if (!wc_json_parse_with(p, (size_t)(end - p), &check, NULL) || unchecked)
        return NULL; /* (a check returns json_true(), nothing to free) */
    return p + len;
}

/* content as results usually have it -- an array of flat content blocks
 * (text, image, audio, resource_link), each valid -- checked without the
 * parser: the position past it, or NULL for anything else, which the
 * parsed path then decides (and words). */
static const char *flat_content(const char *p, const char *end, const char *revision)
{
    p = wc_json_scan_ws(p + 1, end);
    if (p < end && *p == ']')
        return p + 1;
    for (;;) {
        wc_json_member members[WC_JSON_FLAT_MAX];
        int count;
        if (p == end || *p != '{')
            return NULL;
        p = wc_json_flat_object_checked(p, end, members, &count);
        if (!p || !wc_content_flat_block_ok(members, count, revision))
            return NULL;
        p = wc_json_scan_ws(p, end);
        if (p < end && *p == ',') {
            p = wc_json_scan_ws(p + 1, end);
            continue;
        }
        return p < end && *p == ']' ? p + 1 : NULL;
    }
}

static bool key_is(const char *key, size_t len, const char *name, size_t name_len)
{
    if (len != name_len)
        return false;
    for (size_t i = 0; i < len; i++) /* short keys: cheaper than a call to memcmp */
        if (key[i] != name[i])
            return false;
    return true;
}

#define KEY_IS(key, len, lit) key_is((key), (len), (lit), sizeof(lit) - 1)

bool wc_result_text_shape(wc_result_shape *shape, const char *revision, const char *text,
                          size_t len)
{
    const char *end = text + len, *p = wc_json_scan_ws(text, end);
    shape->is_error = false;
    shape->structured = NULL;
    shape->structured_len = 0;
    shape->structured_count = 0;
    if (p == end || *p != '{')
        return false;
    const char *keys[16];
    size_t key_lens[16];
    int members = 0;
    bool content = false;
    p = wc_json_scan_ws(p + 1, end);
    for (;;) { /* ({} has no content: refused with the rest) */
        const char *key;
        size_t key_len;
        if (members == 16 || !(p = wc_json_plain_string(p, end, &key, &key_len)))
            return false;
        for (int i = 0; i < members; i++)
            if (key_is(keys[i], key_lens[i], key, key_len))
                return false;
        keys[members] = key;
        key_lens[members++] = key_len;
        p = wc_json_scan_ws(p, end);
        if (p == end || *p != ':')
            return false;
        const char *value = p = wc_json_scan_ws(p + 1, end);
        if (KEY_IS(key, key_len, "content")) {
            if (p == end || *p != '[')
                return false;
            content = true;
            p = flat_content(p, end, revision);
        } else if (KEY_IS(key, key_len, "isError")) {
            p = wc_json_check_scalar(p, end);
            if (!p || (*value != 't' && *value != 'f'))
                return false; /* not a boolean: the parsed path words it */
            shape->is_error = *value == 't';
        } else if (KEY_IS(key, key_len, "structuredContent")) {
            p = wc_json_flat_object_checked(p, end, shape->structured_members,
                                            &shape->structured_count);
            if (!p)
                return false;
            shape->structured = value;
            shape->structured_len = (size_t)(p - value);
        } else {
            p = checked_value(p, end);
        }
        if (!p)
            return false;
        p = wc_json_scan_ws(p, end);
        if (p == end || *p != ',')
            break;
        p = wc_json_scan_ws(p + 1, end);
    }
    if (p == end || *p != '}' || wc_json_scan_ws(p + 1, end) != end || !content)
        return false;
    shape->text_result = true;
    return true;
}

/* Runs entry with inputs (ninputs of a/b) and parses the JSON object it
 * returns.  0 with *out, or wc_run_code(r->status) with r->status set. */
static int native_invoke(wc_run *r, int export_index, const void *a, size_t alen,
                         const void *b, size_t blen, int ninputs, json_t **out)
{
    *out = NULL;
    wc_plugin *p = r->p;
    if (p->init_index >= 0 && guest_call(r, p->init_index, NULL, NULL))
        return wc_run_code(r->status);
    wc_value args[4] = {{0}}, res = {0};
    /* Both inputs in one buffer: one guest call fewer per call. */
    if (ninputs >= 1) {
        size_t total = alen + (ninputs >= 2 ? blen : 0);
        uint32_t ptr = 0;
        if (copy_in(r, a, alen, total, &ptr))
            return wc_run_code(r->status);
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
        return wc_run_code(r->status);
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
    if (kept && r->skim &&
        wc_result_text_shape(r->skim, r->call->client.protocol_version,
                             (const char *)r->keep_text->data + (r->keep_text->len - rlen), rlen))
        return 0; /* *out stays NULL: the text is the result */
    /* The text goes to the client as it is when it is a complete result
     * (it has content): then only what finish_result checks is built. */
    /* resultType and its members: an input-required result is told apart */
    static const char *const checked[] = {"content", "structuredContent", "isError",
                                          "resultType", "inputRequests", "requestState", NULL};
    wc_json_error jerr;
    bool unchecked = false;
    wc_json_options skim = {.flags = WC_JSON_REJECT_DUPLICATES, .keep = checked,
                            .unchecked_duplicates = &unchecked};
    json_t *obj = kept && r->skim
                      ? wc_json_parse_with(data, rlen, &skim, &jerr)
                      : wc_json_parse(data, rlen, WC_JSON_REJECT_DUPLICATES, &jerr);
    if (kept && r->skim &&
        (unchecked || (obj && json_is_object(obj) && !json_object_get(obj, "content")))) {
        /* keys it could not compare (then a refusal names the first fault
         * too), or a result to complete rather than pass on: all of it */
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

/* ---- the operations ---------------------------------------------------- */

static int native_load(wc_plugin *p, const wc_module_info *info, wc_error *err)
{
    const char *n = p->config.name;
    if (p->entry[WC_ENTRY_CALL_TOOL] < 0)
        return 0;
    if (p->alloc_index < 0)
        return wc_error_set(err, WC_ELINK,
                            "plugin '%s': a native plugin (it exports wasmcap_call_tool) must export "
                            "wasmcap_alloc (i32) -> (i32)", n);
    const wc_export *mem = wc_module_find_export(info, "memory");
    if (!mem || mem->kind != WC_EXTERN_MEMORY)
        return wc_error_set(err, WC_ELINK,
                            "plugin '%s': a native plugin must export its memory as \"memory\"", n);
    return 1;
}

static wc_wasi_config *wasi_if_imported(const wc_plugin *p, wc_wasi_config *none)
{
    *none = (wc_wasi_config){0};
    return p->needs_wasi ? none : NULL;
}

static int native_call_tool(wc_plugin *p, wc_tool_run *t, wc_error *failure)
{
    wc_run r;
    wc_wasi_config wcfg;
    if (wc_run_begin(&r, p, t->call, wasi_if_imported(p, &wcfg)) == 0) {
        r.keep_text = t->keep_text;
        r.skim = t->skim;
        native_invoke(&r, p->entry[WC_ENTRY_CALL_TOOL], t->tool->name, strlen(t->tool->name),
                      t->args, t->args_len, 2, &t->result);
    }
    if (r.status != WC_RUN_OK) {
        char what[160];
        snprintf(what, sizeof what, "tool '%s'", t->display);
        wc_run_describe(&r, what, failure);
    }
    wc_run_end(&r);
    if (r.status != WC_RUN_OK)
        return wc_run_code(r.status);
    t->deadline_ns = r.deadline_ns;
    return 0;
}

/* Runs an entry that returns an object which may be {"error": ...}. */
static int native_entry(wc_plugin *p, wc_plugin_entry e, const char *what, const void *a,
                        size_t alen, const void *b, size_t blen, int ninputs, wc_call *call,
                        json_t **out, wc_error *err)
{
    *out = NULL;
    wc_run r;
    wc_wasi_config wcfg;
    json_t *res = NULL;
    if (wc_run_begin(&r, p, call, wasi_if_imported(p, &wcfg)) == 0)
        native_invoke(&r, p->entry[e], a, alen, b, blen, ninputs, &res);
    int rc = r.status != WC_RUN_OK ? wc_run_describe(&r, what, err) : WC_OK;
    wc_run_end(&r);
    if (!res)
        return rc ? rc : WC_EPLUGIN;
    json_t *error = json_object_get(res, "error");
    if (error) {
        if (json_is_string(error))
            wc_error_set(err, WC_EREFUSED, "%s", json_string_value(error));
        else
            wc_error_set(err, WC_EREFUSED, "plugin '%s' failed in %s", p->config.name, what);
        json_decref(res);
        return WC_EREFUSED;
    }
    *out = res;
    return 0;
}

static int native_read_resource(wc_plugin *p, const char *uri, const char *what, wc_call *call,
                                json_t **out, wc_error *err)
{
    return native_entry(p, WC_ENTRY_READ_RESOURCE, what, uri, strlen(uri), NULL, 0, 1, call, out,
                        err);
}

static int native_list_resources(wc_plugin *p, wc_call *call, json_t **out, wc_error *err)
{
    return native_entry(p, WC_ENTRY_LIST_RESOURCES, "the resource list", NULL, 0, NULL, 0, 0,
                        call, out, err);
}

static int native_get_prompt(wc_plugin *p, const char *name, const char *arguments,
                             const char *what, wc_call *call, json_t **out, wc_error *err)
{
    return native_entry(p, WC_ENTRY_GET_PROMPT, what, name, strlen(name), arguments,
                        strlen(arguments), 2, call, out, err);
}

static int native_complete(wc_plugin *p, const char *params, wc_call *call, json_t **out,
                           wc_error *err)
{
    return native_entry(p, WC_ENTRY_COMPLETE, "completion", params, strlen(params), NULL, 0, 1,
                        call, out, err);
}

const wc_plugin_abi wc_abi_native = {
    .name = "native",
    .attemptable = true,
    .load = native_load,
    .call_tool = native_call_tool,
    .read_resource = native_read_resource,
    .list_resources = native_list_resources,
    .get_prompt = native_get_prompt,
    .complete = native_complete,
};
