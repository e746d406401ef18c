/* fuzz_schema.c -- libFuzzer target for the JSON Schema compiler and
 * validator.
 *
 * An input is a schema, a newline, and an instance (JSON text each).
 * Properties checked on every input:
 * - compiling never crashes or leaks, and a refusal says where ("at #...");
 * - validating ends within its budget: valid, invalid with a message, or
 *   stopped with a message saying so -- never a hang (run with -timeout,
 *   so that an input slower than that fails the run);
 * - the verdict does not depend on whether a message is wanted;
 * - where the text path decides an object, it agrees with the value path:
 *   verdict and message.
 *
 * Built and run by `make fuzz` (clang, -fsanitize=fuzzer,address,undefined).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/parse.h"
#include "json/schema.h"

/* A tenth of the server's default: the same work per step, more inputs a
 * second. */
#define FUZZ_STEPS (WC_SCHEMA_DEFAULT_STEPS / 10)

static void fail(const char *what, const char *detail)
{
    fprintf(stderr, "%s: %s\n", what, detail);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    const char *newline = memchr(text, '\n', size);
    size_t schema_len = newline ? (size_t)(newline - text) : size;
    const char *instance_text = newline ? newline + 1 : "{}";
    size_t instance_len = newline ? size - schema_len - 1 : 2;

    json_t *schema = wc_json_parse(text, schema_len, WC_JSON_REJECT_DUPLICATES, NULL);
    if (!schema)
        return 0;
    wc_error err = {0};
    wc_schema *compiled = wc_schema_compile(schema, &err);
    json_decref(schema);
    if (!compiled) {
        if (strncmp(err.msg, "at #", 4) != 0 && strcmp(err.msg, "out of memory") != 0)
            fail("refusal without a location", err.msg);
        return 0;
    }

    json_t *instance = wc_json_parse(instance_text, instance_len, WC_JSON_REJECT_DUPLICATES, NULL);
    if (instance) {
        wc_schema_budget budget = {.max_steps = FUZZ_STEPS};
        wc_error message = {0};
        int verdict = wc_schema_check(compiled, instance, &budget, &message);
        if (verdict != WC_SCHEMA_VALID && verdict != WC_SCHEMA_INVALID &&
            verdict != WC_SCHEMA_OVER_BUDGET)
            fail("unexpected verdict", message.msg);
        if (verdict != WC_SCHEMA_VALID && !message.msg[0])
            fail("failure without a message", "");
        if (verdict == WC_SCHEMA_OVER_BUDGET && !strstr(message.msg, "schema validation stopped"))
            fail("stopped without saying so", message.msg);
        if (wc_schema_check(compiled, instance, &budget, NULL) != verdict)
            fail("the verdict depends on the message buffer", message.msg);

        wc_error from_text = {0};
        int text_verdict = wc_schema_check_object_text(compiled, instance_text, instance_len,
                                                       &budget, &from_text);
        bool both_decided = (text_verdict == WC_SCHEMA_VALID || text_verdict == WC_SCHEMA_INVALID) &&
                            (verdict == WC_SCHEMA_VALID || verdict == WC_SCHEMA_INVALID);
        if (both_decided &&
            (text_verdict != verdict || (verdict == WC_SCHEMA_INVALID && strcmp(message.msg, from_text.msg))))
            fail("the text path disagrees", from_text.msg);
        json_decref(instance);
    }
    wc_schema_free(compiled);
    return 0;
}
