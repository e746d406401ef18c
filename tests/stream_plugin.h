/* stream_plugin.h -- a plugin whose calls are answered as event streams,
 * for the cluster tests: its tools send progress before their answer, one
 * of them never answers.  Needs http_server.h (and wat2wasm on PATH). */
#ifndef WC_TESTS_STREAM_PLUGIN_H
#define WC_TESTS_STREAM_PLUGIN_H

#include <stdio.h>
#include <string.h>

/* Writes into dir (t.wasm, t.manifest.json) a plugin of two tools: prog
 * (progress 1/3, 2/3, then "ok") and hang (progress 1/3, then a loop until
 * cancelled or out of time). */
static inline int stream_plugin_build(const char *dir)
{
    FILE *f = hs_plugin_file(dir, "t.wat");
    if (!f)
        return -1;
    fputs("(module\n"
          " (import \"wasmcap\" \"progress\" (func $progress (param f64 f64 i32 i32)))\n"
          " (memory (export \"memory\") 1)\n"
          " (global $heap (mut i32) (i32.const 4096))\n"
          " (data (i32.const 64) \"{\\\"content\\\":[{\\\"type\\\":\\\"text\\\",\\\"text\\\":"
          "\\\"ok\\\"}]}\")\n"
          " (func (export \"wasmcap_alloc\") (param $n i32) (result i32) (local $p i32)\n"
          "  global.get $heap local.set $p\n"
          "  global.get $heap local.get $n i32.add global.set $heap\n"
          "  local.get $p)\n"
          " (func (export \"wasmcap_call_tool\") (param $name i32) (param $nl i32)\n"
          "       (param $a i32) (param $al i32) (result i64)\n"
          "  (call $progress (f64.const 1) (f64.const 3) (i32.const 0) (i32.const 0))\n"
          "  (if (i32.eq (i32.load8_u (local.get $name)) (i32.const 104))\n"
          "   (then (loop $l (br $l))))\n"
          "  (call $progress (f64.const 2) (f64.const 3) (i32.const 0) (i32.const 0))\n"
          "  (i64.or (i64.shl (i64.const 64) (i64.const 32)) (i64.const 41)))\n"
          ")\n",
          f);
    fclose(f);
    f = hs_plugin_file(dir, "t.manifest.json");
    if (!f)
        return -1;
    fputs("{\"name\":\"t\",\"version\":\"1.0.0\",\"tools\":[{\"name\":\"prog\"},"
          "{\"name\":\"hang\"}]}\n", f);
    fclose(f);
    return hs_plugin_wat2wasm(dir, "t");
}


/* POSTs a call of tool (with the extra header lines) with a progress
 * token on port and reads its event stream up to the first progress, whose
 * id goes to id; then the client lets the connection go.  node (NULL: not
 * wanted) gets the reply's X-Wasmcap-Node ("" none). */
static inline bool stream_call_until_progress(int port, const char *session, const char *extra,
                                              const char *tool, int call_id, char id[64],
                                              char node[16])
{
    char body[256];
    snprintf(body, sizeof body, "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"tools/call\","
             "\"params\":{\"name\":\"%s\",\"arguments\":{},\"_meta\":{\"progressToken\":"
             "\"p\"}}}", call_id, tool);
    hc c;
    hc_resp r = {0};
    bool ok = hc_open(&c, port, "127.0.0.1") &&
              hs_send_post(&c, port, session, extra, body, strlen(body)) &&
              hc_read_head(&c, &r, HS_WAIT_MS, false) == 200;
    hc_event e = {0};
    ok = ok && hc_next_event(&c, &r, &e, HS_WAIT_MS) == 1 && e.data &&
         strstr(e.data, "notifications/progress") && e.has_id;
    if (ok)
        snprintf(id, 64, "%s", e.id);
    if (node) {
        const char *name = r.head ? hc_header(&r, "x-wasmcap-node") : NULL;
        snprintf(node, 16, "%s", name ? name : "");
    }
    hc_event_free(&e);
    if (r.head)
        hc_resp_free(&r);
    hc_close(&c);
    return ok;
}

#endif
