/* fuzz_json.c -- libFuzzer target for the JSON parser (json/parse.c) and
 * the scanners that read parts of a text without it (json/scan.c).
 *
 * Differential: every input goes through the oracles of json_agreement.h,
 * shared with test_json.c -- wc_json_parse against jansson's json_loadb
 * (values, and refusals with duplicates allowed and refused), skimming
 * and check_only against the full parse, and the prefix, scalar, number
 * and flat-object readers against a parse of exactly their bytes; what
 * parses is written back (wc_json_text) exactly as json_dumps writes it
 * and reads back as the same value.  Any
 * disagreement aborts with the text; so do crashes, leaks, reads past the
 * input and undefined behaviour (ASan, UBSan).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "json_agreement.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    compare_with_jansson(text, size, 0, "fuzz");
    compare_with_jansson(text, size, WC_JSON_REJECT_DUPLICATES, "fuzz (no duplicates)");
    json_t *v = parse_exact(text, size, 0, NULL);
    if (v)
        check_text(v, "fuzz");
    json_decref(v);
    if (failures) {
        fflush(stdout); /* CHECK printed why */
        abort();
    }
    return 0;
}
