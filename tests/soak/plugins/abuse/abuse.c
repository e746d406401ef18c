/* abuse.c -- the soak test's plugin (tests/soak): tools that push the host
 * where a hostile plugin would, each in one call.
 *
 *   flood  `count` log messages of `bytes` bytes as fast as it can (the
 *          host must bound what it queues for a client that does not read)
 *   fetch  one http_fetch of `url` with `headers` (an object): redirects,
 *          header floods and huge bodies come from the soak's own server
 *
 * Its manifest is the sidecar abuse.manifest.json, so that the soak can
 * give a copy of the module another manifest (hostile schemas).
 */
#define WASMCAP_IMPLEMENTATION
#include "wasmcap.h"

#include <string.h>

static int flood(const wasmcap_json *args, wasmcap_result *out)
{
    long count = (long)wasmcap_json_number(wasmcap_json_get(args, "count"), 1000);
    long bytes = (long)wasmcap_json_number(wasmcap_json_get(args, "bytes"), 100);
    static char line[4096];
    if (bytes < 1)
        bytes = 1;
    if (bytes > (long)sizeof line - 1)
        bytes = (long)sizeof line - 1;
    memset(line, 'x', (size_t)bytes);
    line[bytes] = 0;
    for (long i = 0; i < count; i++)
        wasmcap_log(WASMCAP_INFO, "%ld %s", i, line);
    return wasmcap_text(out, "sent %ld log messages", count);
}

static int fetch(const wasmcap_json *args, wasmcap_result *out)
{
    const char *url = wasmcap_json_string(wasmcap_json_get(args, "url"), "");
    wasmcap_jw w = {0};
    wasmcap_jw_begin_object(&w);
    wasmcap_jw_kv_string(&w, "method", "GET");
    wasmcap_jw_kv_string(&w, "url", url);
    const wasmcap_json *headers = wasmcap_json_get(args, "headers");
    if (headers) {
        wasmcap_jw_key(&w, "headers");
        wasmcap_jw_value(&w, headers);
    }
    wasmcap_jw_end_object(&w);
    char *response = NULL;
    size_t len = 0;
    int rc = wasmcap_http_fetch(w.buf.data, &response, &len);
    wasmcap_buf_free(&w.buf);
    if (rc != 0)
        return wasmcap_error(out, "http_fetch failed: %s", wasmcap_last_error());
    wasmcap_json *doc = wasmcap_json_parse(response, len, NULL, 0);
    double status = wasmcap_json_number(wasmcap_json_get(doc, "status"), -1);
    const wasmcap_json *body = wasmcap_json_get(doc, "body");
    wasmcap_text(out, "status %.0f, %zu bytes of body", status,
                 body && body->type == WASMCAP_JSON_STRING ? body->len : 0);
    wasmcap_json_free(doc);
    free(response);
    return 0;
}

WASMCAP_TOOLS({"flood", flood}, {"fetch", fetch});
