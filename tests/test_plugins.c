/* test_plugins.c -- the example plugins (plugins/, built by `make examples`)
 * through `wasmcap call` with the repository's wasmcap.json.
 *
 * Every tool of every example plugin, with good and bad input: the
 * calculator's JavaScript-style numbers and its division-by-zero error, the
 * expression parser's limits, notes' add/get/list/delete round trip in the
 * kv store, supply-risk's model-backed decision and its errors (naming
 * set_stock, or the grant it lacks), the command-ABI hello, and
 * person-detect with the published model of ../shared/models, granted only
 * in a config the test writes.  The kv store is a fresh temporary
 * directory, so the test starts from nothing and leaves nothing behind.
 */
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/wasi_nn.h"
#include "nn/backend.h"
#include "util/fs.h"
#include "util/process.h"

#include "check.h"

#include "../examples/blur/blur_kernel.h" /* the image-blur plugin's kernel, built natively */

static char output[65536];
/* the repository's config, or a test's variant of it */
static const char *config = WC_SOURCE_DIR "/wasmcap.json";

/* Calls a tool; returns the CallToolResult (NULL when the output is not
 * JSON) and the exit status in *status. */
static json_t *call(const char *tool, const char *args, int *status)
{
    char *argv[] = {WC_BINARY_DIR "/wasmcap", "call", "--config", (char *)config,
                    (char *)tool, (char *)args, NULL};
    *status = wc_run_process(argv, output, sizeof output, NULL);
    /* stderr is mixed in; the result is the line that starts with '{"' */
    const char *line = output;
    while (line && strncmp(line, "{\"content\"", 10) != 0 && strncmp(line, "{\"structured", 12) != 0) {
        line = strchr(line, '\n');
        if (line)
            line++;
    }
    if (!line)
        return NULL;
    json_error_t jerr;
    return json_loads(line, JSON_DISABLE_EOF_CHECK, &jerr);
}

static const char *text_of(json_t *r)
{
    const char *t = json_string_value(
        json_object_get(json_array_get(json_object_get(r, "content"), 0), "text"));
    return t ? t : "";
}

static json_t *structured(json_t *r, const char *key)
{
    return json_object_get(json_object_get(r, "structuredContent"), key);
}

/* A successful call whose first text block is `text`. */
static json_t *expect_text(const char *tool, const char *args, const char *text)
{
    int status;
    json_t *r = call(tool, args, &status);
    CHECK(r && status == 0 && !json_is_true(json_object_get(r, "isError")) &&
              strcmp(text_of(r), text) == 0,
          "%s %s: want \"%s\", got (%d): %s", tool, args, text, status, output);
    return r;
}

/* A tool error (isError, exit status 1) whose text contains `part`. */
static void expect_error(const char *tool, const char *args, const char *part)
{
    int status;
    json_t *r = call(tool, args, &status);
    CHECK(r && status == 1 && json_is_true(json_object_get(r, "isError")) &&
              strstr(text_of(r), part),
          "%s %s: want an error with \"%s\", got (%d): %s", tool, args, part, status, output);
    json_decref(r);
}

static void test_calculator(void)
{
    static const struct {
        const char *args, *text;
        double result;
    } cases[] = {
        {"{\"a\": 2, \"b\": 3, \"op\": \"+\"}", "5", 5},
        {"{\"a\": 0.1, \"b\": 0.2, \"op\": \"+\"}", "0.30000000000000004", 0.30000000000000004},
        {"{\"a\": 5, \"b\": 8, \"op\": \"-\"}", "-3", -3},
        {"{\"a\": 7, \"b\": 6, \"op\": \"*\"}", "42", 42},
        {"{\"a\": 1, \"b\": 3, \"op\": \"/\"}", "0.3333333333333333", 1.0 / 3},
        {"{\"a\": 1e21, \"b\": 0, \"op\": \"+\"}", "1e+21", 1e21},
        {"{\"a\": 1, \"b\": 1e7, \"op\": \"/\"}", "1e-7", 1e-7},
        {"{\"a\": -0.0, \"b\": 0, \"op\": \"*\"}", "0", 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *r = expect_text("calculator-calculate", cases[i].args, cases[i].text);
        CHECK(json_number_value(structured(r, "result")) == cases[i].result,
              "structured result of %s: %s", cases[i].args, output);
        json_decref(r);
    }
    expect_error("calculator-calculate", "{\"a\": 1, \"b\": 0, \"op\": \"/\"}", "division by zero");
    expect_error("calculator-calculate", "{\"a\": 1e308, \"b\": 10, \"op\": \"*\"}", "not a finite");
    /* the schema keeps out what the plugin never sees */
    expect_error("calculator-calculate", "{\"a\": 1, \"b\": 2, \"op\": \"^\"}", "op");
    expect_error("calculator-calculate", "{\"a\": \"1\", \"b\": 2, \"op\": \"+\"}", "a");

    json_t *r = expect_text("calculator-evaluate", "{\"expression\": \"(2 + 3) * 4 ^ 2 - -1\"}", "81");
    CHECK(json_number_value(structured(r, "result")) == 81, "evaluate structured");
    json_decref(r);
    json_decref(expect_text("calculator-evaluate", "{\"expression\": \"2 ^ 3 ^ 2\"}", "512"));
    json_decref(expect_text("calculator-evaluate", "{\"expression\": \" 10 % 4 + 1.5e3 / 3\"}", "502"));
    expect_error("calculator-evaluate", "{\"expression\": \"1 / (3 - 3)\"}", "division by zero");
    expect_error("calculator-evaluate", "{\"expression\": \"(1 + 2\"}", "')' expected");
    expect_error("calculator-evaluate", "{\"expression\": \"1 + 2)\"}", "unbalanced ')'");
    expect_error("calculator-evaluate", "{\"expression\": \"1 + x\"}", "number or '(' expected");
    expect_error("calculator-evaluate", "{\"expression\": \"0x10\"}", "malformed number");
    expect_error("calculator-evaluate", "{\"expression\": \"inf\"}", "number or '(' expected");
    /* deep nesting is refused, not a stack overflow */
    char deep[1200];
    int n = snprintf(deep, sizeof deep, "{\"expression\": \"");
    for (int i = 0; i < 500; i++)
        deep[n++] = '(';
    snprintf(deep + n, sizeof deep - (size_t)n, "1\"}");
    expect_error("calculator-evaluate", deep, "nested too deeply");
    n = snprintf(deep, sizeof deep, "{\"expression\": \"");
    for (int i = 0; i < 500; i++)
        deep[n++] = '-';
    snprintf(deep + n, sizeof deep - (size_t)n, "1\"}");
    expect_error("calculator-evaluate", deep, "nested too deeply");
}

static void test_notes(void)
{
    json_t *r = expect_text("notes-list", "{}", "no notes yet; add one with the add tool");
    CHECK(json_array_size(structured(r, "ids")) == 0, "empty list: %s", output);
    json_decref(r);
    r = expect_text("notes-add", "{\"id\": \"shopping\", \"text\": \"milk \\\"2%\\\"\\n\\u00e9\"}",
                    "Added note 'shopping' (12 bytes)");
    CHECK(json_is_false(structured(r, "replaced")), "replaced: %s", output);
    json_decref(r);
    r = expect_text("notes-add", "{\"id\": \"shopping\", \"text\": \"milk \\\"2%\\\"\\n\\u00e9!\"}",
                    "Replaced note 'shopping' (13 bytes)");
    CHECK(json_is_true(structured(r, "replaced")), "replaced: %s", output);
    json_decref(r);
    json_decref(expect_text("notes-add", "{\"id\": \"ideas-2\", \"text\": \"\"}",
                            "Added note 'ideas-2' (0 bytes)"));
    r = expect_text("notes-get", "{\"id\": \"shopping\"}", "milk \"2%\"\n\xc3\xa9!");
    CHECK(strcmp(json_string_value(structured(r, "text")) ?: "", "milk \"2%\"\n\xc3\xa9!") == 0,
          "get structured: %s", output);
    json_decref(r);
    r = expect_text("notes-list", "{}", "ideas-2\nshopping");
    CHECK(json_array_size(structured(r, "ids")) == 2, "list: %s", output);
    json_decref(r);
    json_decref(expect_text("notes-delete", "{\"id\": \"ideas-2\"}", "Deleted note 'ideas-2'"));
    r = expect_text("notes-delete", "{\"id\": \"ideas-2\"}", "There was no note 'ideas-2'");
    CHECK(json_is_false(structured(r, "deleted")), "delete twice: %s", output);
    json_decref(r);
    expect_error("notes-get", "{\"id\": \"ideas-2\"}", "no note 'ideas-2'");
    expect_error("notes-add", "{\"id\": \"Bad Id\", \"text\": \"x\"}", "pattern");
    expect_error("notes-get", "{}", "id");
}

static void test_supply_risk(void)
{
    expect_error("supply-risk-assess", "{\"sku\": \"SKU-1\", \"buffer_days\": 7}", "set_stock");
    json_decref(expect_text("supply-risk-set_stock", "{\"sku\": \"SKU-1\", \"quantity\": 120}",
                            "SKU-1: stock 120"));
    /* 120 / 10 per day = 12 days, 5 more than the buffer: the model says
     * 7.4% (19 / 256, its int8 output; the rule it was fitted to, 7.6%) */
    json_t *r = expect_text("supply-risk-assess", "{\"sku\": \"SKU-1\", \"buffer_days\": 7}",
                            "SKU-1: 12 days of cover, stockout risk 7% -> Hold");
    CHECK(json_object_size(json_object_get(r, "structuredContent")) == 4, "four fields: %s", output);
    CHECK(strcmp(json_string_value(structured(r, "sku")) ?: "", "SKU-1") == 0, "sku");
    CHECK(json_number_value(structured(r, "current_stock")) == 120, "current_stock");
    CHECK(json_number_value(structured(r, "stockout_probability")) == 0.0742, "probability: %s",
          output);
    CHECK(strcmp(json_string_value(structured(r, "recommended_action")) ?: "", "Hold") == 0,
          "action");
    /* `wasmcap call` has no bus: the default demand, and why */
    const char *source = json_string_value(
        json_object_get(json_array_get(json_object_get(r, "content"), 1), "text"));
    CHECK(source && strcmp(source, "daily demand 10: the default (the inventory service was not used: "
                                   "bus_request: bus unavailable: the server has no bus (wasmcap serve "
                                   "has one; see the \"bus\" section of wasmcap.json))") == 0,
          "where the demand came from: %s", output);
    json_decref(r);
    json_decref(expect_text("supply-risk-assess",
                            "{\"sku\": \"SKU-1\", \"buffer_days\": 7, \"daily_demand\": 40}",
                            "SKU-1: 3 days of cover, stockout risk 88% -> Expedite"));
    json_decref(expect_text("supply-risk-assess", "{\"sku\": \"SKU-1\", \"buffer_days\": 0}",
                            "SKU-1: 12 days of cover, stockout risk 0% -> Hold"));
    /* a stored demand replaces the default */
    json_decref(expect_text("supply-risk-set_stock",
                            "{\"sku\": \"SKU-2\", \"quantity\": 5, \"daily_demand\": 2.5}",
                            "SKU-2: stock 5, daily demand 2.5"));
    json_decref(expect_text("supply-risk-assess", "{\"sku\": \"SKU-2\", \"buffer_days\": 0}",
                            "SKU-2: 2 days of cover, stockout risk 27% -> RouteSecondary"));
    expect_error("supply-risk-assess", "{\"sku\": \"SKU-1\", \"buffer_days\": -1}", "buffer_days");
    expect_error("supply-risk-assess", "{\"sku\": \"SKU-1\", \"buffer_days\": 1.5}", "buffer_days");
    expect_error("supply-risk-assess", "{\"sku\": \"SKU-1\", \"buffer_days\": 41}", "buffer_days");
    expect_error("supply-risk-assess", "{\"sku\": \"SKU 1\", \"buffer_days\": 1}", "sku");
    expect_error("supply-risk-assess",
                 "{\"sku\": \"SKU-1\", \"buffer_days\": 1, \"daily_demand\": 0}", "daily_demand");
    expect_error("supply-risk-set_stock", "{\"sku\": \"SKU-1\", \"quantity\": -5}", "quantity");
}

/* A few SKUs put into kv first, each decision checked against the
 * manifest's outputSchema and its thresholds (Hold below 25%,
 * RouteSecondary below 60%, Expedite from there). */
static void test_supply_risk_decisions(void)
{
    static const struct {
        const char *sku;
        int stock, buffer;
        const char *action;
    } cases[] = {
        {"FAR-1", 300, 7, "Hold"},         /* 30 days of cover */
        {"EVEN-2", 90, 9, "RouteSecondary"}, /* cover equal to the buffer: 50% */
        {"SHORT-3", 80, 10, "Expedite"},   /* two days short: about 72% */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char args[128], text[64];
        snprintf(args, sizeof args, "{\"sku\": \"%s\", \"quantity\": %d}", cases[i].sku,
                 cases[i].stock);
        snprintf(text, sizeof text, "%s: stock %d", cases[i].sku, cases[i].stock);
        json_decref(expect_text("supply-risk-set_stock", args, text));
        snprintf(args, sizeof args, "{\"sku\": \"%s\", \"buffer_days\": %d}", cases[i].sku,
                 cases[i].buffer);
        int status;
        json_t *r = call("supply-risk-assess", args, &status);
        json_t *p = structured(r, "stockout_probability");
        const char *action = json_string_value(structured(r, "recommended_action"));
        CHECK(r && status == 0 && json_object_size(json_object_get(r, "structuredContent")) == 4 &&
                  json_is_string(structured(r, "sku")) &&
                  strcmp(json_string_value(structured(r, "sku")), cases[i].sku) == 0 &&
                  json_number_value(structured(r, "current_stock")) == cases[i].stock &&
                  json_is_number(p) && json_number_value(p) >= 0 && json_number_value(p) <= 1 &&
                  action && strcmp(action, cases[i].action) == 0 && strstr(text_of(r), action),
              "%s: want %s: %s", args, cases[i].action, output);
        double v = json_number_value(p);
        const char *by_threshold = v < 0.25 ? "Hold" : v < 0.60 ? "RouteSecondary" : "Expedite";
        CHECK(action && strcmp(action, by_threshold) == 0, "%s: %g is %s, not %s", args, v,
              by_threshold, action ? action : "(none)");
        json_decref(r);
    }
}

/* Switches the calls to a config written in dir: one plugin of plugins/
 * with the given permissions (JSON) and one model. */
static int use_config(const char *dir, const char *plugin, const char *model,
                      const char *model_path, const char *permissions)
{
    static char path[600];
    snprintf(path, sizeof path, "%s/%s.json", dir, plugin);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL, "cannot write %s", path);
    if (!f)
        return -1;
    fprintf(f,
            "{\"ontology\": \"%s/ontology\",\n"
            " \"nn\": {\"models\": {\"%s\": {\"path\": \"%s\"}}},\n"
            " \"plugins\": {\"%s\": {\"path\": \"%s/plugins/%s/%s.wasm\",\n"
            "   \"permissions\": %s}}}\n",
            WC_SOURCE_DIR, model, model_path, plugin, WC_SOURCE_DIR, plugin, plugin, permissions);
    fclose(f);
    config = path;
    return 0;
}

/* The same plugin without the model granted: a tool error that says what
 * the server must grant. */
static void test_supply_risk_without_grant(const char *dir)
{
    if (use_config(dir, "supply-risk", "supply_risk",
                   WC_SOURCE_DIR "/plugins/supply-risk/model/supply-risk.tflite",
                   "{\"kv_namespace\": \"supply-risk\"}"))
        return;
    json_decref(expect_text("supply-risk-set_stock", "{\"sku\": \"SKU-1\", \"quantity\": 120}",
                            "SKU-1: stock 120"));
    expect_error("supply-risk-assess", "{\"sku\": \"SKU-1\", \"buffer_days\": 7}",
                 "grant it with permissions.nn_models");
    config = WC_SOURCE_DIR "/wasmcap.json";
}

#define PERSON_SIDE 96
#define PERSON_PIXELS (PERSON_SIDE * PERSON_SIDE)
#define PERSON_MODEL WC_SOURCE_DIR "/../shared/models/person_detect.tflite"

/* {"image": "<pixels in unpadded base64>"} */
static void person_args(const uint8_t *pixels, char *args, size_t cap)
{
    static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t n = (size_t)snprintf(args, cap, "{\"image\": \"");
    for (size_t i = 0; i < PERSON_PIXELS; i += 3) {
        uint32_t bits = (uint32_t)pixels[i] << 16 | (uint32_t)pixels[i + 1] << 8 | pixels[i + 2];
        for (int k = 3; k >= 0; k--)
            args[n++] = b64[bits >> 6 * k & 63];
    }
    snprintf(args + n, cap - n, "\"}");
}

/* The model's "person" score for the pixels, run here through nn/backend.h
 * as the plugin feeds it (pixel - 128, int8): what the tool must answer. */
static double person_native(wc_nn_graph *graph, const uint8_t *pixels)
{
    uint8_t input[PERSON_PIXELS];
    int8_t scores[2] = {0, 0};
    for (size_t i = 0; i < PERSON_PIXELS; i++)
        input[i] = (uint8_t)(pixels[i] - 128);
    const wc_nn_tensor_info *in = wc_nn_graph_input(graph, 0);
    wc_nn_context *c = NULL;
    wc_error err = {0};
    int rc = wc_nn_context_new(graph, &c, &err) ||
             wc_nn_set_input(c, 0, WC_NN_U8, in->dims, in->rank, input, sizeof input, &err) ||
             wc_nn_compute(c, &err) || wc_nn_get_output(c, 0, scores, 2, NULL, &err);
    CHECK(rc == 0, "person_detect natively: %s", err.msg);
    wc_nn_context_free(c);
    return (scores[1] + 128) / 256.0;
}

/* person-detect on synthetic images (a bright disc on a dark gradient, and
 * a pattern that uses every byte value, so every base64 character), with
 * the published model from ../shared/models granted in a test-only config:
 * the answer is "person: 0.NN" and a probability pair, the very score of
 * the same pixels run natively (the plugin's own base64 decoding and
 * pixel conversion are right to the bit); a character outside base64
 * anywhere in the image is refused. */
static void test_person_detect(const char *dir)
{
    static uint8_t disc[PERSON_PIXELS], pattern[PERSON_PIXELS];
    for (int y = 0; y < PERSON_SIDE; y++)
        for (int x = 0; x < PERSON_SIDE; x++) {
            int dx = x - 48, dy = y - 40;
            disc[y * PERSON_SIDE + x] = (uint8_t)(dx * dx + dy * dy < 400 ? 220 : y * 2);
            pattern[y * PERSON_SIDE + x] = (uint8_t)((x * 37 + y * 11) ^ (x * y));
        }
    if (use_config(dir, "person-detect", "person_detect", PERSON_MODEL,
                   "{\"nn_models\": [\"person_detect\"]}"))
        return;
    wc_error err = {0};
    wc_nn_models *models = wc_nn_models_new(&err);
    if (!models || wc_nn_models_add(models, "person_detect", PERSON_MODEL, NULL, NULL, &err)) {
        CHECK(0, "person_detect: %s", err.msg);
        wc_nn_models_release(models);
        return;
    }
    wc_nn_graph *graph = wc_nn_models_find(models, "person_detect", 13);
    static char args[16384];
    const uint8_t *images[] = {disc, pattern};
    for (size_t i = 0; i < 2; i++) {
        person_args(images[i], args, sizeof args);
        int status;
        json_t *r = call("person-detect-detect", args, &status);
        double person = json_number_value(structured(r, "person"));
        double no_person = json_number_value(structured(r, "no_person"));
        double want_person = person_native(graph, images[i]);
        char want[32];
        snprintf(want, sizeof want, "person: %.2f", person);
        CHECK(r && status == 0 && json_is_number(structured(r, "person")) &&
                  json_is_number(structured(r, "no_person")) && person >= 0 && person <= 1 &&
                  no_person >= 0 && no_person <= 1 && fabs(person + no_person - 1) <= 2.0 / 256 &&
                  strcmp(text_of(r), want) == 0,
              "person-detect, image %zu: %s", i, output);
        CHECK(person == want_person, "person-detect, image %zu: person %.8f, natively %.8f", i,
              person, want_person);
        json_decref(r);
    }
    wc_nn_models_release(models);
    expect_error("person-detect-detect", "{\"image\": \"short\"}", "image");
    /* a bad character first, in the middle, last; '=' (padding) is not allowed */
    size_t first = strlen("{\"image\": \""), length = PERSON_PIXELS / 3 * 4;
    const size_t at[] = {first, first + length / 2 + 5, first + length - 1};
    for (size_t i = 0; i < 3; i++) {
        person_args(disc, args, sizeof args);
        args[at[i]] = i == 1 ? '=' : '!';
        expect_error("person-detect-detect", args, "in base64");
    }
    config = WC_SOURCE_DIR "/wasmcap.json";
}

/* image-blur's tool runs the blur kernel with wasm SIMD (-msimd128); its
 * checksum must be what the same C computes here, natively. */
static void test_image_blur(const char *dir)
{
    static char path[600];
    snprintf(path, sizeof path, "%s/image-blur.json", dir);
    FILE *f = fopen(path, "w");
    CHECK(f != NULL, "cannot write %s", path);
    if (!f)
        return;
    fprintf(f, "{\"plugins\": {\"image-blur\": {\"path\": \"%s/plugins/image-blur/image-blur.wasm\"}}}\n",
            WC_SOURCE_DIR);
    fclose(f);
    config = path;
    static const struct {
        unsigned passes;
        uint32_t seed;
    } cases[] = {{1, 1}, {3, 7}, {20, 4000000000u}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        static uint8_t a[256 * 256], b[256 * 256];
        blur_fill(a, sizeof a, cases[i].seed);
        uint8_t *src = a, *dst = b;
        for (unsigned k = 0; k < cases[i].passes; k++) {
            blur_image(src, dst, 256, 256);
            uint8_t *t = src;
            src = dst;
            dst = t;
        }
        char args[96], want[96];
        snprintf(args, sizeof args, "{\"passes\": %u, \"seed\": %" PRIu32 "}", cases[i].passes, cases[i].seed);
        snprintf(want, sizeof want, "blur 256x256, %u passes, seed %" PRIu32 ": %016" PRIx64, cases[i].passes,
                 cases[i].seed, blur_checksum(src, sizeof a));
        json_decref(expect_text("image-blur-blur", args, want));
    }
    expect_error("image-blur-blur", "{\"passes\": 65}", "passes");
    config = WC_SOURCE_DIR "/wasmcap.json";
}

static void test_hello(void)
{
    json_decref(expect_text("hello-greet", "{\"name\": \"world\"}", "Hello, world!"));
    json_decref(expect_text("hello-greet", "{\"name\": \"a \\\"b\\\"\"}", "Hello, a \"b\"!"));
    expect_error("hello-greet", "{}", "name");
}

int main(void)
{
    static const char *const modules[] = {"calculator/calculator", "notes/notes",
                                          "supply-risk/supply-risk", "hello/hello",
                                          "image-blur/image-blur"};
    for (size_t i = 0; i < sizeof modules / sizeof modules[0]; i++) {
        char path[512];
        snprintf(path, sizeof path, WC_SOURCE_DIR "/plugins/%s.wasm", modules[i]);
        FILE *f = fopen(path, "rb");
        if (!f) {
            printf("FAIL: %s is missing; build the plugins with `make examples`\n", path);
            return 1;
        }
        fclose(f);
    }
    char tmp[512];
    if (wc_make_temp_dir(tmp, sizeof tmp, "wasmcap-plugins")) {
        printf("FAIL: cannot create a temporary directory\n");
        return 1;
    }
    /* a fresh kv store (the code cache stays shared: it is keyed by content) */
    setenv("XDG_DATA_HOME", tmp, 1);
    unsetenv("WASMCAP_CONFIG");

    /* fill the optimized-code cache first, as a deployment would: a call
     * that ends while the background build runs abandons it */
    char *compile_argv[] = {WC_BINARY_DIR "/wasmcap", "compile",
                            WC_SOURCE_DIR "/plugins/calculator/calculator.wasm",
                            WC_SOURCE_DIR "/plugins/notes/notes.wasm",
                            WC_SOURCE_DIR "/plugins/supply-risk/supply-risk.wasm",
                            WC_SOURCE_DIR "/plugins/hello/hello.wasm",
                            WC_SOURCE_DIR "/plugins/image-blur/image-blur.wasm", NULL};
    int rc = wc_run_process(compile_argv, output, sizeof output, NULL);
    CHECK(rc == 0, "wasmcap compile failed (%d): %s", rc, output);

    test_calculator();
    test_notes();
    test_supply_risk();
    test_supply_risk_decisions();
    test_supply_risk_without_grant(tmp);
    test_person_detect(tmp);
    test_hello();
    test_image_blur(tmp);

    char *rm_argv[] = {"rm", "-rf", tmp, NULL};
    CHECK(wc_run_process(rm_argv, output, sizeof output, NULL) == 0, "rm -rf %s", tmp);
    if (failures) {
        printf("%d check(s) failed\n", failures);
        return 1;
    }
    printf("test_plugins: all checks passed\n");
    return 0;
}
