/* test_sdk.c -- the C guest SDK (sdk/c/wasmcap.h), compiled natively.
 *
 * Plugins run the SDK inside wasm, where a crash is only a trap; here the
 * same code runs under ASan/UBSan: the strict JSON reader on valid, invalid
 * and random input (it must never crash, and what it accepts must survive a
 * round trip through the writer), the writer's escaping and misuse checks,
 * JavaScript-style number formatting (shortest round trip), the dispatch of
 * tools, prompts and resources into result JSON (checked with jansson), and
 * the host-call wrappers against an in-test double of the host (a response
 * slot, a tiny kv).  The real host functions run under these wrappers in
 * tests/test_plugins.c and tests/e2e (the example plugins, in wasm).
 */
#define WASMCAP_IMPLEMENTATION
#include "../sdk/c/wasmcap.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

extern const char *wasmcap__native_reply;

/* ---- the host's double: the response slot and a tiny kv ----------------- */

static char slot[1024];
static size_t slot_len;
static int logged_level = -1;
static char logged[256];
static double progress_seen;
static char updated_uri[64];
static int streams_closed;

static int32_t set_slot(const char *s, int32_t rc)
{
    slot_len = strlen(s);
    memcpy(slot, s, slot_len);
    return rc < 0 ? rc : (int32_t)slot_len;
}

void wasmcap__h_log(int32_t level, const char *msg, size_t len)
{
    logged_level = level;
    snprintf(logged, sizeof logged, "%.*s", (int)len, msg);
}
void wasmcap__h_progress(double progress, double total, const char *msg, size_t len)
{
    (void)total, (void)msg, (void)len;
    progress_seen = progress;
}
void wasmcap__h_resource_updated(const char *uri, size_t len)
{
    snprintf(updated_uri, sizeof updated_uri, "%.*s", (int)len, uri);
}
void wasmcap__h_close_stream(void)
{
    streams_closed++;
}
int32_t wasmcap__h_request_context(void)
{
    return set_slot("{\"requestState\":\"s\"}", 0);
}
static char changed_kind[16];
void wasmcap__h_list_changed(const char *kind, size_t len)
{
    snprintf(changed_kind, sizeof changed_kind, "%.*s", (int)len, kind);
}
int32_t wasmcap__h_config_get(const char *key, size_t len)
{
    if (len == 3 && memcmp(key, "url", 3) == 0)
        return set_slot("https://example.com", 0);
    return set_slot("config key not granted", WASMCAP_EDENIED);
}
static char kv_value[256];
static int kv_present;
int32_t wasmcap__h_kv_get(const char *key, size_t len)
{
    (void)key, (void)len;
    if (!kv_present)
        return set_slot("no such key", WASMCAP_ENOTFOUND);
    return set_slot(kv_value, 0);
}
int32_t wasmcap__h_kv_put(const char *key, size_t key_len, const char *val, size_t val_len)
{
    (void)key, (void)key_len;
    if (val_len >= sizeof kv_value)
        return set_slot("value too large", WASMCAP_ETOOLARGE);
    memcpy(kv_value, val, val_len);
    kv_value[val_len] = 0;
    kv_present = 1;
    slot_len = 0;
    return 0;
}
int32_t wasmcap__h_kv_delete(const char *key, size_t len)
{
    (void)key, (void)len;
    kv_present = 0;
    slot_len = 0;
    return 0;
}
int32_t wasmcap__h_kv_list(const char *prefix, size_t len)
{
    (void)prefix, (void)len;
    return set_slot("[\"a\",\"b\"]", 0);
}
static char page_args[64];
int32_t wasmcap__h_kv_list_page(const char *prefix, size_t len, const char *cursor, size_t cursor_len)
{
    snprintf(page_args, sizeof page_args, "%.*s|%.*s", (int)len, prefix, (int)cursor_len, cursor);
    return set_slot("{\"keys\":[\"a\"],\"skipped\":1}", 0);
}
int32_t wasmcap__h_http_fetch(const char *req, size_t len)
{
    (void)req, (void)len;
    return set_slot("http is not granted to plugin 'x': set plugins.x.permissions.allowed_hosts",
                    WASMCAP_EDENIED);
}
int32_t wasmcap__h_sample(const char *req, size_t len)
{
    (void)req, (void)len;
    return set_slot("the client does not support sampling", WASMCAP_ENOTSUP);
}
int32_t wasmcap__h_elicit(const char *req, size_t len)
{
    (void)req, (void)len;
    return set_slot("{\"action\":\"accept\",\"content\":{}}", 0);
}
static char bus_seen[128];
int32_t wasmcap__h_bus_publish(const char *subject, size_t subject_len, const void *data, size_t len)
{
    snprintf(bus_seen, sizeof bus_seen, "%.*s<%.*s", (int)subject_len, subject, (int)len,
             (const char *)data);
    return set_slot("", 0);
}
int32_t wasmcap__h_bus_request(const char *subject, size_t subject_len, const void *data, size_t len,
                               uint32_t timeout_ms, size_t max_reply)
{
    snprintf(bus_seen, sizeof bus_seen, "%.*s?%.*s %u %zu", (int)subject_len, subject, (int)len,
             (const char *)data, timeout_ms, max_reply);
    if (subject_len == 4 && memcmp(subject, "nope", 4) == 0)
        return set_slot("bus_request: no responders on 'nope'", WASMCAP_ENORESPONDERS);
    return set_slot("{\"rate\":2.5}", 0);
}
int32_t wasmcap__h_read_response(char *dst, size_t dst_len)
{
    size_t n = slot_len < dst_len ? slot_len : dst_len;
    memcpy(dst, slot, n);
    return (int32_t)n;
}

/* ---- JSON reader -------------------------------------------------------- */

static wasmcap_json *parse(const char *s, char *err, size_t err_size)
{
    return wasmcap_json_parse(s, strlen(s), err, err_size);
}

static void test_parse_valid(void)
{
    char err[128];
    const char *doc = " {\"a\": [1, -2.5e3, true, false, null, \"x\\n\\u00e9\\ud83d\\ude00\"],"
                      " \"b\": {}, \"c\": [], \"d\": \"\\\"\\\\\\/\\b\\f\\r\\t\", \"e\": 0} ";
    wasmcap_json *v = parse(doc, err, sizeof err);
    CHECK(v != NULL, "valid document refused: %s", err);
    if (!v)
        return;
    CHECK(v->type == WASMCAP_JSON_OBJECT && v->len == 5, "root: type %d len %zu", v->type, v->len);
    const wasmcap_json *a = wasmcap_json_get(v, "a");
    CHECK(a && a->type == WASMCAP_JSON_ARRAY && a->len == 6, "a");
    CHECK(wasmcap_json_number(wasmcap_json_at(a, 0), 0) == 1, "a[0]");
    CHECK(wasmcap_json_number(wasmcap_json_at(a, 1), 0) == -2500, "a[1]");
    CHECK(wasmcap_json_bool(wasmcap_json_at(a, 2), 0) == 1, "a[2]");
    CHECK(wasmcap_json_bool(wasmcap_json_at(a, 3), 1) == 0, "a[3]");
    CHECK(wasmcap_json_at(a, 4)->type == WASMCAP_JSON_NULL, "a[4]");
    const char *s = wasmcap_json_string(wasmcap_json_at(a, 5), NULL);
    CHECK(s && strcmp(s, "x\n\xc3\xa9\xf0\x9f\x98\x80") == 0, "escapes and surrogates: %s", s);
    CHECK(wasmcap_json_at(a, 6) == NULL, "past the end");
    CHECK(wasmcap_json_get(v, "b")->type == WASMCAP_JSON_OBJECT, "b");
    CHECK(wasmcap_json_get(v, "c")->len == 0, "c");
    CHECK(strcmp(wasmcap_json_string(wasmcap_json_get(v, "d"), ""), "\"\\/\b\f\r\t") == 0, "d");
    CHECK(wasmcap_json_is_integer(wasmcap_json_get(v, "e")), "e is an integer");
    CHECK(!wasmcap_json_is_integer(wasmcap_json_at(a, 2)), "true is not an integer");
    CHECK(wasmcap_json_get(v, "zz") == NULL, "absent key");
    CHECK(wasmcap_json_get(a, "a") == NULL, "get on an array");
    CHECK(wasmcap_json_string(wasmcap_json_get(v, "e"), "dflt")[0] == 'd', "default");
    wasmcap_json_free(v);

    /* "\u0000" puts a NUL inside a string; len counts it */
    v = parse("\"a\\u0000b\"", err, sizeof err);
    CHECK(v && v->len == 3 && v->string[1] == 0 && v->string[2] == 'b', "embedded NUL");
    wasmcap_json_free(v);
    /* a bare scalar is a document */
    v = parse("  -0.125  ", err, sizeof err);
    CHECK(v && v->type == WASMCAP_JSON_NUMBER && v->number == -0.125, "scalar");
    wasmcap_json_free(v);
    /* raw UTF-8 passes */
    v = parse("\"\xe2\x82\xac \xf4\x8f\xbf\xbf\"", err, sizeof err);
    CHECK(v && v->len == 8, "raw UTF-8");
    wasmcap_json_free(v);
    wasmcap_json_free(NULL);
}

static void test_parse_invalid(void)
{
    static const char *const bad[] = {
        "", " ", "{", "}", "[", "[1,]", "[,1]", "{\"a\"}", "{\"a\":}", "{\"a\":1,}", "{a:1}",
        "{\"a\" 1}", "{\"a\":1 \"b\":2}", "01", "-", "-01", "1.", ".5", "+1", "1e", "1e+",
        "0x10", "NaN", "Infinity", "1e400", "-1e400", "\"abc", "\"\\x\"", "\"\\u12\"",
        "\"\\u12G4\"", "\"\\ud800\"", "\"\\ud800\\u0041\"", "\"\\udc00\"", "\"\\ud800x\"",
        "\"\x01\"", "\"\t\"", "\"\xff\"", "\"\xc0\xaf\"", "\"\xe0\x80\xaf\"",
        "\"\xed\xa0\x80\"", "\"\xf4\x90\x80\x80\"", "\"\xe2\x82\"", "nul", "tru", "falsey",
        "1 2", "[1] x", "{} {}", "'a'", "[\"a\":1]", "{\"a\":1]", "[1}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[128] = "";
        wasmcap_json *v = parse(bad[i], err, sizeof err);
        CHECK(v == NULL, "accepted invalid JSON #%zu '%s'", i, bad[i]);
        CHECK(err[0] != 0, "no message for invalid JSON #%zu", i);
        wasmcap_json_free(v);
    }
    /* an embedded NUL byte in the text (not an escape) is a control character */
    char err[128];
    CHECK(wasmcap_json_parse("\"a\0b\"", 5, err, sizeof err) == NULL, "raw NUL");
    CHECK(wasmcap_json_parse(NULL, 0, err, sizeof err) == NULL, "NULL text");
    /* the message says where */
    wasmcap_json *v = parse("{\"a\" 1}", err, sizeof err);
    CHECK(!v && strstr(err, "':' expected at byte 5"), "message: %s", err);

    /* depth: 64 levels parse, 65 do not */
    char deep[200];
    for (int depth = 63; depth <= 66; depth++) {
        memset(deep, '[', (size_t)depth);
        memset(deep + depth, ']', (size_t)depth);
        v = wasmcap_json_parse(deep, (size_t)depth * 2, err, sizeof err);
        CHECK((v != NULL) == (depth <= WASMCAP_JSON_MAX_DEPTH), "depth %d: %s", depth,
              v ? "accepted" : err);
        wasmcap_json_free(v);
    }
    /* a very deep document is refused without recursing through it */
    size_t n = 1000000;
    char *huge = malloc(n);
    memset(huge, '[', n);
    v = wasmcap_json_parse(huge, n, err, sizeof err);
    CHECK(v == NULL && strstr(err, "too deep"), "huge nesting: %s", err);
    free(huge);
}

/* Long strings, which the reader skims sixteen and eight bytes at a time:
 * each byte that ends a plain run ('"', an escape, a control character, a
 * multi-byte character, a byte no UTF-8 has) at every position of the
 * first 40, and a string of every length to 40: the reader agrees with
 * jansson on each, and a string it accepts has jansson's value. */
static void test_parse_long_strings(void)
{
    static const char *const specials[] = {"\"", "\\n", "\\u00e9", "\x01", "\x1f",
                                           "\xc3\xa9", "\xe2\x82\xac", "\xff", "\x80", "\x7f"};
    char text[128], err[128];
    for (size_t s = 0; s < sizeof specials / sizeof specials[0]; s++) {
        for (size_t at = 0; at < 40; at++) {
            size_t n = 0;
            text[n++] = '"';
            for (size_t i = 0; i < at; i++)
                text[n++] = (char)('A' + i % 26);
            memcpy(text + n, specials[s], strlen(specials[s]));
            n += strlen(specials[s]);
            for (size_t i = 0; i < 24; i++)
                text[n++] = (char)('a' + i % 26);
            text[n++] = '"';
            char *exact = malloc(n); /* ASan sees an overread */
            memcpy(exact, text, n);
            wasmcap_json *v = wasmcap_json_parse(exact, n, err, sizeof err);
            json_t *j = json_loadb(exact, n, JSON_DECODE_ANY, NULL);
            CHECK((v != NULL) == (j != NULL), "special #%zu at %zu: reader %s, jansson %s", s, at,
                  v ? "accepts" : err, j ? "accepts" : "refuses");
            if (v && j)
                CHECK(v->type == WASMCAP_JSON_STRING && v->len == json_string_length(j) &&
                          memcmp(v->string, json_string_value(j), v->len) == 0 &&
                          v->string[v->len] == 0,
                      "special #%zu at %zu: value differs", s, at);
            wasmcap_json_free(v);
            json_decref(j);
            free(exact);
        }
    }
    for (size_t len = 0; len <= 40; len++) { /* unterminated, then terminated */
        char *exact = malloc(len + 2);
        exact[0] = '"';
        for (size_t i = 0; i < len; i++)
            exact[1 + i] = (char)('0' + i % 10);
        CHECK(wasmcap_json_parse(exact, len + 1, err, sizeof err) == NULL &&
                  strstr(err, "unterminated"),
              "length %zu without its closing quote: %s", len, err);
        exact[len + 1] = '"';
        wasmcap_json *v = wasmcap_json_parse(exact, len + 2, err, sizeof err);
        CHECK(v && v->len == len && memcmp(v->string, exact + 1, len) == 0 && v->string[len] == 0,
              "length %zu: %s", len, v ? "wrong value" : err);
        wasmcap_json_free(v);
        free(exact);
    }
}

/* Serializes v with the writer. */
static char *serialize(const wasmcap_json *v)
{
    wasmcap_jw w = {0};
    wasmcap_jw_value(&w, v);
    CHECK(!w.buf.failed && w.depth == 0, "writer failed on a parsed value");
    return w.buf.data;
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint32_t next_rand(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 11);
}

/* Random and mutated documents: never a crash; what is accepted, jansson
 * accepts too, and writing it out then reading it back is stable. */
static void test_parse_random(void)
{
    static const char *const seeds[] = {
        "{\"a\":[1,2.5,-3e-2,true,false,null],\"b\":{\"c\":\"d\\u00e9\\ud83d\\ude00\"}}",
        "[[[[[]]]],{},\"\\n\\t\\\"\",0,-0.0,1E+2]",
        "{\"id\":\"shopping\",\"text\":\"milk \\u0000 eggs\"}",
    };
    static const char alphabet[] = "{}[]\",:0123456789.eE+-tfnrulsa\\u \x80\xc3\xa9\xff";
    char buf[256], err[128];
    int accepted = 0;
    for (int iter = 0; iter < 30000; iter++) {
        size_t len;
        if (iter % 3 == 0) {
            len = next_rand() % 40;
            for (size_t i = 0; i < len; i++)
                buf[i] = alphabet[next_rand() % (sizeof alphabet - 1)];
        } else {
            const char *seed = seeds[next_rand() % 3];
            len = strlen(seed);
            memcpy(buf, seed, len);
            int edits = 1 + next_rand() % 3;
            for (int e = 0; e < edits && len; e++) {
                size_t at = next_rand() % len;
                switch (next_rand() % 3) {
                case 0: buf[at] = alphabet[next_rand() % (sizeof alphabet - 1)]; break;
                case 1: memmove(buf + at, buf + at + 1, len - at - 1); len--; break;
                default: len = at; break;
                }
            }
        }
        /* parse from an exact-size heap copy so ASan sees any overread */
        char *text = malloc(len ? len : 1);
        memcpy(text, buf, len);
        wasmcap_json *v = wasmcap_json_parse(text, len, err, sizeof err);
        json_error_t jerr;
        json_t *j = json_loadb(text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
        if (v) {
            accepted++;
            CHECK(j != NULL, "accepted what jansson refuses: '%.*s'", (int)len, text);
            char *once = serialize(v);
            wasmcap_json *again = once ? wasmcap_json_parse(once, strlen(once), err, sizeof err) : NULL;
            CHECK(again != NULL, "writer output does not parse: %s", once ? once : "(none)");
            char *twice = again ? serialize(again) : NULL;
            CHECK(once && twice && strcmp(once, twice) == 0, "round trip: %s vs %s", once ? once : "(none)",
                  twice ? twice : "(none)");
            free(once);
            free(twice);
            wasmcap_json_free(again);
            wasmcap_json_free(v);
        } else {
            CHECK(err[0] != 0, "refused without a message");
            /* jansson may accept numbers we refuse as out of range */
            if (j && !json_is_number(j) && !json_is_array(j) && !json_is_object(j))
                CHECK(0, "refused what jansson accepts: '%.*s': %s", (int)len, text, err);
        }
        json_decref(j);
        free(text);
    }
    CHECK(accepted > 100, "only %d random documents parsed: the test proves little", accepted);
}

/* ---- numbers ------------------------------------------------------------ */

static void test_numbers(void)
{
    /* the outputs of JavaScript's String(v) */
    static const struct {
        double v;
        const char *js;
    } cases[] = {
        {0.1 + 0.2, "0.30000000000000004"}, {1e21, "1e+21"}, {1e20, "100000000000000000000"},
        {123456789012345680000.0, "123456789012345680000"}, {1e-7, "1e-7"},
        {0.000001, "0.000001"}, {-0.0, "0"}, {1.0 / 3, "0.3333333333333333"},
        {5e-324, "5e-324"}, {1.7976931348623157e308, "1.7976931348623157e+308"},
        {100, "100"}, {-42.5, "-42.5"}, {2.5e-10, "2.5e-10"}, {123e25, "1.23e+27"},
        {0.5, "0.5"}, {5, "5"}, {-1e-7, "-1e-7"}, {4.35, "4.35"}, {1e300 * 10, "1e+301"},
    };
    char out[32];
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        wasmcap_format_number(cases[i].v, out);
        CHECK(strcmp(out, cases[i].js) == 0, "String(%.17g): got %s, want %s", cases[i].v, out,
              cases[i].js);
    }
    wasmcap_format_number(NAN, out);
    CHECK(strcmp(out, "NaN") == 0, "NaN: %s", out);
    wasmcap_format_number(-INFINITY, out);
    CHECK(strcmp(out, "-Infinity") == 0, "-Infinity: %s", out);

    /* random doubles: exact round trip, and no shorter form exists */
    for (int i = 0; i < 20000; i++) {
        uint64_t bits = ((uint64_t)next_rand() << 32) ^ next_rand() ^ ((uint64_t)next_rand() << 43);
        double v;
        memcpy(&v, &bits, sizeof v);
        if (!isfinite(v))
            continue;
        size_t n = wasmcap_format_number(v, out);
        CHECK(n == strlen(out) && n < 32, "length %zu", n);
        CHECK(strtod(out, NULL) == v || (v == 0 && strtod(out, NULL) == 0),
              "%s does not read back as %.17g", out, v);
        /* significant digits: leading zeros (0.000ddd) do not count */
        int digits = 0;
        const char *p = out + (out[0] == '-');
        while (*p == '0' || *p == '.')
            p++;
        for (; *p && *p != 'e'; p++)
            digits += *p >= '0' && *p <= '9';
        if (digits > 1 && !strchr(out, 'e') && strchr(out, '.') == NULL)
            continue; /* an integer with trailing zeros: digit count means nothing */
        char shorter[40];
        snprintf(shorter, sizeof shorter, "%.*e", digits > 1 ? digits - 2 : 0, v);
        if (digits > 1 && strchr(out, '.'))
            CHECK(strtod(shorter, NULL) != v, "%s is not the shortest (%s)", out, shorter);
    }
}

/* The printf-free paths against printf: the shortest digits against the
 * search by snprintf/strtod, %.Nf, %d and %s against vsnprintf. */
static void check_digits_against_search(double v)
{
    char fast[24], slow[24];
    int fk, fe, sk, se;
    if (wasmcap__short_digits(v, fast, &fk, &fe) != 0)
        return; /* this one is the search's */
    wasmcap__search_digits(v, slow, &sk, &se);
    while (fk > 1 && fast[fk - 1] == '0')
        fk--;
    while (sk > 1 && slow[sk - 1] == '0')
        sk--;
    CHECK(fk == sk && fe == se && memcmp(fast, slow, (size_t)fk) == 0,
          "%.17g: digits %.*s e%d, the search gives %.*s e%d", v, fk, fast, fe, sk, slow, se);
}

static int short_digits_taken;

static void test_number_fast_paths(void)
{
    char d[24];
    int k, e;
    /* the forms a tool's numbers take: k/256, few decimals, integers, ratios */
    for (int i = 1; i < 256; i++)
        check_digits_against_search(i / 256.0), check_digits_against_search(i * 1.1);
    for (int i = 0; i < 200000; i++) {
        uint64_t r = ((uint64_t)next_rand() << 32) ^ next_rand();
        double v;
        switch (i % 5) {
        case 0: v = (double)(r % 100000000) / wasmcap__pow10[r % 11]; break;
        case 1: v = (double)(r % 1000) / (double)(1 + (r >> 40) % 997); break;
        case 2: v = ldexp((double)(r % (1u << 20)), -(int)(r >> 58)); break;
        case 3: v = (double)(r >> 11) * 1e-8; break;
        default: memcpy(&v, &r, sizeof v); break;
        }
        if (!isfinite(v) || v <= 0)
            continue;
        short_digits_taken += wasmcap__short_digits(v, d, &k, &e) == 0;
        check_digits_against_search(v);
    }
    CHECK(short_digits_taken > 100000, "the fast path took only %d numbers", short_digits_taken);
    CHECK(wasmcap__short_digits(0.1 + 0.2, d, &k, &e) != 0, "17 digits are the search's");

    /* %.Nf, %d, %s: the SDK's text against the C library's */
    int fixed_taken = 0;
    for (int i = 0; i < 100000; i++) {
        uint64_t r = ((uint64_t)next_rand() << 32) ^ next_rand();
        double v = i % 3 == 0 ? (double)(int)(r % 512 - 256) / 256.0
                 : i % 3 == 1 ? (double)(int64_t)(r % 2000000001 - 1000000000) / 1000.0
                              : ldexp((double)(r >> 12), -(int)(r % 60));
        int decimals = (int)(r >> 60) % 10, n = (int)(r >> 33) - (1 << 30);
        char fmt[64], want[256];
        snprintf(fmt, sizeof fmt, "risk %%.%df%%%% of %%s (%%d) %%.%df, %%g", decimals,
                 (decimals + 3) % 10);
        double g = i % 4 == 0 ? v : i % 4 == 1 ? v / 1e4 : i % 4 == 2 ? 999999.5 - v / 1e7 : -v * 1e3;
        snprintf(want, sizeof want, fmt, v, "SKU-1", n, -v, g);
        wasmcap_buf b = {0};
        wasmcap_buf_printf(&b, fmt, v, "SKU-1", n, -v, g);
        CHECK(b.data && strcmp(b.data, want) == 0, "%s: %s, printf %s", fmt, b.data ? b.data : "-", want);
        wasmcap_buf_free(&b);
        wasmcap_buf one = {0};
        fixed_taken += wasmcap__put_fixed(&one, v, decimals) == 0;
        wasmcap_buf_free(&one);
    }
    CHECK(fixed_taken > 60000, "%%.Nf took the fast path for only %d values", fixed_taken);
    static const double ties[] = {0.125,    0.375,  2.5,      -0.5,      1e300, -INFINITY,
                                  NAN,      -0.0,   0.0,      9.9999995, 999999.5, 1e-4,
                                  0.000099, 123456, 1234567,  0.1,       10,    1.5e-5};
    for (size_t i = 0; i < sizeof ties / sizeof ties[0]; i++) {
        char want[800];
        snprintf(want, sizeof want, "%.2f|%.0f|%s|%g", ties[i], ties[i], "x", ties[i]);
        wasmcap_buf b = {0};
        wasmcap_buf_printf(&b, "%.2f|%.0f|%s|%g", ties[i], ties[i], "x", ties[i]);
        CHECK(b.data && strcmp(b.data, want) == 0, "%.17g: %s, printf %s", ties[i], b.data ? b.data : "-", want);
        wasmcap_buf_free(&b);
    }
    static const double general[] = {12345.6, 0.000123, 1, -7.25, 999999.4};
    for (size_t i = 0; i < sizeof general / sizeof general[0]; i++) {
        wasmcap_buf g = {0};
        CHECK(wasmcap__put_general(&g, general[i]) == 0, "%%g of %g: not the fast path", general[i]);
        wasmcap_buf_free(&g);
    }
    wasmcap_buf b = {0};
    wasmcap_buf_printf(&b, "%s", "");
    CHECK(b.data && b.data[0] == 0 && b.len == 0, "an empty string is a string");
    wasmcap_buf_free(&b);
}

/* ---- writer ------------------------------------------------------------- */

static void test_writer(void)
{
    wasmcap_jw w = {0};
    wasmcap_jw_begin_object(&w);
    wasmcap_jw_kv_string(&w, "s", "q\"b\\n\n\x01\x1f\xff\xc3\xa9");
    wasmcap_jw_key(&w, "nul");
    wasmcap_jw_stringn(&w, "a\0b", 3);
    wasmcap_jw_kv_number(&w, "n", 0.1);
    wasmcap_jw_kv_number(&w, "inf", INFINITY);
    wasmcap_jw_kv_int(&w, "i", -9007199254740993LL);
    wasmcap_jw_kv_bool(&w, "t", 1);
    wasmcap_jw_key(&w, "arr");
    wasmcap_jw_begin_array(&w);
    wasmcap_jw_null(&w);
    wasmcap_jw_string(&w, NULL);
    wasmcap_jw_stringf(&w, "%d-%s", 7, "x");
    wasmcap_jw_begin_array(&w);
    wasmcap_jw_end_array(&w);
    wasmcap_jw_begin_object(&w);
    wasmcap_jw_end_object(&w);
    wasmcap_jw_raw(&w, "{\"r\":1}", 7);
    wasmcap_jw_message(&w, "user", "hi");
    wasmcap_jw_end_array(&w);
    wasmcap_jw_end_object(&w);
    CHECK(!w.buf.failed && w.depth == 0, "writer failed");
    const char *want = "{\"s\":\"q\\\"b\\\\n\\n\\u0001\\u001f\xef\xbf\xbd\xc3\xa9\","
                       "\"nul\":\"a\\u0000b\",\"n\":0.1,\"inf\":null,\"i\":-9007199254740993,"
                       "\"t\":true,\"arr\":[null,null,\"7-x\",[],{},{\"r\":1},"
                       "{\"role\":\"user\",\"content\":{\"type\":\"text\",\"text\":\"hi\"}}]}";
    CHECK(w.buf.data && strcmp(w.buf.data, want) == 0, "writer output:\n%s\nwant:\n%s",
          w.buf.data ? w.buf.data : "(none)", want);
    json_error_t jerr;
    json_t *j = w.buf.data ? json_loads(w.buf.data, JSON_ALLOW_NUL, &jerr) : NULL;
    CHECK(j != NULL, "jansson refuses the writer's output: %s", jerr.text);
    json_decref(j);
    wasmcap_buf_free(&w.buf);

    /* misuse marks the writer failed instead of writing bad JSON */
    struct {
        const char *what;
        int step;
    } misuse[] = {{"value without key", 0}, {"key in array", 1}, {"wrong end", 2},
                  {"two top-level values", 3}, {"key after key", 4}, {"end after key", 5},
                  {"too deep", 6}, {"NULL key", 7}};
    for (size_t i = 0; i < sizeof misuse / sizeof misuse[0]; i++) {
        wasmcap_jw m = {0};
        switch (misuse[i].step) {
        case 0: wasmcap_jw_begin_object(&m); wasmcap_jw_int(&m, 1); break;
        case 1: wasmcap_jw_begin_array(&m); wasmcap_jw_key(&m, "k"); break;
        case 2: wasmcap_jw_begin_array(&m); wasmcap_jw_end_object(&m); break;
        case 3: wasmcap_jw_int(&m, 1); wasmcap_jw_int(&m, 2); break;
        case 4: wasmcap_jw_begin_object(&m); wasmcap_jw_key(&m, "a"); wasmcap_jw_key(&m, "b"); break;
        case 5: wasmcap_jw_begin_object(&m); wasmcap_jw_key(&m, "a"); wasmcap_jw_end_object(&m); break;
        case 6:
            for (int d = 0; d < 70; d++)
                wasmcap_jw_begin_array(&m);
            break;
        case 7: wasmcap_jw_begin_object(&m); wasmcap_jw_key(&m, NULL); break;
        }
        CHECK(m.buf.failed, "misuse not caught: %s", misuse[i].what);
        wasmcap_buf_free(&m.buf);
    }
}

/* ---- dispatch ----------------------------------------------------------- */

static int tool_add(const wasmcap_json *args, wasmcap_result *out)
{
    double a = wasmcap_json_number(wasmcap_json_get(args, "a"), NAN);
    double b = wasmcap_json_number(wasmcap_json_get(args, "b"), NAN);
    if (isnan(a) || isnan(b))
        return wasmcap_error(out, "a and b must be numbers");
    wasmcap_text(out, "%g", a + b);
    wasmcap_jw_kv_number(wasmcap_structured(out), "result", a + b);
    return 0;
}

static int tool_fails(const wasmcap_json *args, wasmcap_result *out)
{
    (void)args;
    wasmcap_jw_kv_int(wasmcap_structured(out), "partial", 1);
    return 5; /* no message: the SDK supplies one */
}

static int tool_misuse(const wasmcap_json *args, wasmcap_result *out)
{
    (void)args;
    wasmcap_jw_int(wasmcap_structured(out), 1); /* a value where a key is due */
    return 0;
}

static int tool_structured_only(const wasmcap_json *args, wasmcap_result *out)
{
    wasmcap_jw_key(wasmcap_structured(out), "echo");
    wasmcap_jw_value(wasmcap_structured(out), args);
    return 0;
}

static const wasmcap_tool tools[] = {
    {"add", tool_add}, {"fails", tool_fails}, {"misuse", tool_misuse},
    {"echo", tool_structured_only},
};

/* Calls a tool through the dispatcher; returns the result parsed by jansson. */
static json_t *call(const char *name, const char *args)
{
    uint64_t r = wasmcap__call_tool(tools, sizeof tools / sizeof tools[0], name, strlen(name),
                                    args, args ? strlen(args) : 0);
    CHECK(r != 0 && wasmcap__native_reply, "no reply from %s", name);
    if (!r)
        return NULL;
    json_error_t jerr;
    json_t *j = json_loadb(wasmcap__native_reply, (size_t)(r - 1), 0, &jerr);
    CHECK(j != NULL, "reply of %s is not JSON: %s", name, wasmcap__native_reply);
    free((void *)wasmcap__native_reply);
    wasmcap__native_reply = NULL;
    return j;
}

static const char *first_text(json_t *result)
{
    return json_string_value(json_object_get(json_array_get(json_object_get(result, "content"), 0), "text"));
}

/* The same call with its name and arguments in a buffer from
 * wasmcap_alloc, as the host passes them: the arguments' plain strings are
 * read in place.  *closing: whether the byte at args_offset + quote_at
 * became the string's NUL (the in-place path was taken). */
static json_t *call_in_place(const char *name, const char *args, size_t quote_at, int *closing)
{
    size_t nl = strlen(name), al = strlen(args);
    char *buf = wasmcap_alloc(nl + al);
    memcpy(buf, name, nl);
    memcpy(buf + nl, args, al);
    uint64_t r = wasmcap__call_tool(tools, sizeof tools / sizeof tools[0], buf, nl, buf + nl, al);
    *closing = buf[nl + quote_at] == 0;
    wasmcap__free(buf);
    wasmcap__input = NULL;
    CHECK(r != 0 && wasmcap__native_reply, "no reply from %s in place", name);
    if (!r)
        return NULL;
    json_t *j = json_loadb(wasmcap__native_reply, (size_t)(r - 1), 0, NULL);
    free((void *)wasmcap__native_reply);
    wasmcap__native_reply = NULL;
    return j;
}

static void test_in_place(void)
{
    /* a long plain string (a base64 image), then escapes, keys, nesting */
    size_t long_len = 5000;
    char *args = malloc(long_len + 200);
    strcpy(args, "{\"image\":\"");
    size_t at = strlen(args);
    for (size_t i = 0; i < long_len; i++)
        args[at + i] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[i % 64];
    strcpy(args + at + long_len, "\",\"esc\":\"a\\\"b\\u00e9\\n\",\"n\":{\"k\":[1,\"x\",true]},\"e\":\"\"}");
    int closing = 0;
    json_t *want = call("echo", args);
    json_t *got = call_in_place("echo", args, at + long_len, &closing);
    CHECK(want && got && json_equal(want, got), "in place: another result");
    CHECK(closing, "the long string was copied, not read in place");
    json_decref(want);
    json_decref(got);
    /* refused alike: an unterminated string, a bad escape, a control byte */
    static const char *const bad[] = {"{\"a\":\"abc", "{\"a\":\"a\\qb\"}", "{\"a\":\"a\x01\"}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_t *r = call_in_place("echo", bad[i], 0, &closing);
        CHECK(r && json_is_true(json_object_get(r, "isError")) &&
                  strstr(first_text(r), "invalid arguments"),
              "in place, %s: accepted", bad[i]);
        json_decref(r);
    }
    free(args);
}

static void test_dispatch(void)
{
    json_t *r = call("add", "{\"a\": 2, \"b\": 0.5}");
    CHECK(r && !json_object_get(r, "isError"), "add: isError");
    CHECK(r && first_text(r) && strcmp(first_text(r), "2.5") == 0, "add text: %s", first_text(r));
    CHECK(r && json_real_value(json_object_get(json_object_get(r, "structuredContent"), "result")) == 2.5,
          "add structured");
    json_decref(r);

    r = call("add", "{\"a\": \"x\"}");
    CHECK(r && json_is_true(json_object_get(r, "isError")), "add error: isError");
    CHECK(r && strcmp(first_text(r), "a and b must be numbers") == 0, "error text: %s", first_text(r));
    CHECK(r && !json_object_get(r, "structuredContent"), "error keeps no structured content");
    json_decref(r);

    r = call("nope", "{}");
    CHECK(r && json_is_true(json_object_get(r, "isError")) && strstr(first_text(r), "unknown tool 'nope'"),
          "unknown tool: %s", r ? first_text(r) : "");
    json_decref(r);

    r = call("add", "{\"a\": 1,");
    CHECK(r && json_is_true(json_object_get(r, "isError")) && strstr(first_text(r), "invalid arguments"),
          "bad JSON args: %s", r ? first_text(r) : "");
    json_decref(r);

    r = call("add", "[1, 2]");
    CHECK(r && strstr(first_text(r), "must be a JSON object"), "array args: %s", r ? first_text(r) : "");
    json_decref(r);

    r = call("echo", NULL); /* no arguments: {} */
    CHECK(r && json_is_object(json_object_get(json_object_get(r, "structuredContent"), "echo")),
          "empty args become {}");
    CHECK(r && json_array_size(json_object_get(r, "content")) == 0, "structured only: empty content");
    json_decref(r);

    r = call("echo", "null");
    CHECK(r && json_is_object(json_object_get(json_object_get(r, "structuredContent"), "echo")),
          "null args become {}");
    json_decref(r);

    r = call("fails", "{}");
    CHECK(r && json_is_true(json_object_get(r, "isError")) && strstr(first_text(r), "failed (5)"),
          "failing tool: %s", r ? first_text(r) : "");
    CHECK(r && !json_object_get(r, "structuredContent"), "failing tool: no structured content");
    json_decref(r);

    r = call("misuse", "{}");
    CHECK(r && json_is_true(json_object_get(r, "isError")) && strstr(first_text(r), "misused JSON writer"),
          "misuse: %s", r ? first_text(r) : "");
    json_decref(r);

    /* the exported allocator */
    void *p = wasmcap_alloc(0); /* lives until the instance ends: not freed */
    CHECK(p != NULL, "alloc(0)");
    CHECK(wasmcap_alloc(SIZE_MAX) == NULL, "alloc(SIZE_MAX)");
}

static int prompt_hello(const wasmcap_json *args, wasmcap_reply *out)
{
    const char *who = wasmcap_json_string(wasmcap_json_get(args, "who"), NULL);
    if (!who)
        return wasmcap_reply_error(out, "argument 'who' is required");
    wasmcap_jw_kv_string(&out->w, "description", "greets");
    wasmcap_jw_key(&out->w, "messages");
    wasmcap_jw_begin_array(&out->w);
    wasmcap_jw_message(&out->w, "user", who);
    wasmcap_jw_end_array(&out->w);
    return 0;
}

static int read_res(const char *uri, wasmcap_reply *out)
{
    if (strcmp(uri, "x://1") != 0)
        return wasmcap_reply_error(out, "no resource '%s'", uri);
    wasmcap_resource_text(out, uri, "text/plain", "one");
    return 0;
}

static json_t *reply_json(uint64_t r)
{
    CHECK(r != 0, "no reply");
    if (!r)
        return NULL;
    json_error_t jerr;
    json_t *j = json_loadb(wasmcap__native_reply, (size_t)(r - 1), 0, &jerr);
    CHECK(j != NULL, "reply is not JSON: %s", wasmcap__native_reply);
    free((void *)wasmcap__native_reply);
    return j;
}

static void test_replies(void)
{
    static const wasmcap_prompt prompts[] = {{"hello", prompt_hello}};
    json_t *r = reply_json(wasmcap__get_prompt(prompts, 1, "hello", 5, "{\"who\":\"bob\"}", 13));
    CHECK(r && strcmp(json_string_value(json_object_get(r, "description")), "greets") == 0, "prompt");
    CHECK(r && json_array_size(json_object_get(r, "messages")) == 1, "prompt messages");
    json_decref(r);
    r = reply_json(wasmcap__get_prompt(prompts, 1, "hello", 5, "{}", 2));
    CHECK(r && json_object_size(r) == 1 &&
              strcmp(json_string_value(json_object_get(r, "error")), "argument 'who' is required") == 0,
          "prompt error");
    json_decref(r);
    r = reply_json(wasmcap__get_prompt(prompts, 1, "bye", 3, NULL, 0));
    CHECK(r && strstr(json_string_value(json_object_get(r, "error")), "unknown prompt 'bye'"),
          "unknown prompt");
    json_decref(r);

    r = reply_json(wasmcap__read_resource(read_res, "x://1", 5));
    json_t *c = json_array_get(json_object_get(r, "contents"), 0);
    CHECK(c && strcmp(json_string_value(json_object_get(c, "text")), "one") == 0 &&
              strcmp(json_string_value(json_object_get(c, "uri")), "x://1") == 0,
          "read_resource");
    json_decref(r);
    r = reply_json(wasmcap__read_resource(read_res, "x://2", 5));
    CHECK(r && strstr(json_string_value(json_object_get(r, "error")), "no resource 'x://2'"),
          "resource not found");
    json_decref(r);
    r = reply_json(wasmcap__read_resource(read_res, "x://1\0", 6));
    CHECK(r && json_object_get(r, "error"), "a URI with a NUL is refused");
    json_decref(r);
}

/* ---- host wrappers ------------------------------------------------------ */

static void test_host_calls(void)
{
    char *v = (char *)"unset";
    size_t len = 99;
    CHECK(strcmp(wasmcap_last_error(), "") == 0, "no error yet");
    CHECK(wasmcap_kv_get("k", &v, &len) == WASMCAP_ENOTFOUND && v == NULL && len == 0, "kv_get absent");
    CHECK(strcmp(wasmcap_last_error(), "no such key") == 0, "message: %s", wasmcap_last_error());
    CHECK(wasmcap_kv_put("k", "va\0lue", 6) == 0, "kv_put");
    CHECK(wasmcap_kv_get("k", &v, &len) == 0 && v && len == 2 && strcmp(v, "va") == 0,
          "kv_get: %s %zu", v, len);
    free(v);
    CHECK(wasmcap_kv_delete("k") == 0, "kv_delete");
    CHECK(wasmcap_kv_get("k", &v, NULL) == WASMCAP_ENOTFOUND, "deleted");
    CHECK(wasmcap_kv_list("", &v, &len) == 0 && strcmp(v, "[\"a\",\"b\"]") == 0, "kv_list");
    free(v);
    CHECK(wasmcap_kv_list_page("n/", NULL, &v, &len) == 0 && strcmp(page_args, "n/|") == 0 &&
              strstr(v, "\"skipped\":1"), "kv_list_page: %s %s", page_args, v);
    free(v);
    CHECK(wasmcap_kv_list_page("n/", "bi8", &v, &len) == 0 && strcmp(page_args, "n/|bi8") == 0, "cursor");
    free(v);
    CHECK(wasmcap_config_get("url", &v, &len) == 0 && strcmp(v, "https://example.com") == 0 &&
              len == 19, "config_get");
    free(v);
    CHECK(wasmcap_config_get("secret", &v, &len) == WASMCAP_EDENIED && !v, "config denied");
    CHECK(wasmcap_http_fetch("{}", &v, &len) == WASMCAP_EDENIED &&
              strstr(wasmcap_last_error(), "allowed_hosts"), "http denied: %s", wasmcap_last_error());
    CHECK(wasmcap_sample("{}", &v, &len) == WASMCAP_ENOTSUP, "sample unsupported");
    CHECK(wasmcap_elicit("{}", &v, &len) == 0 && strstr(v, "accept"), "elicit");
    free(v);
    wasmcap_log(WASMCAP_WARNING, "%d%%", 50);
    CHECK(logged_level == WASMCAP_WARNING && strcmp(logged, "50%") == 0, "log: %d %s", logged_level, logged);
    wasmcap_progress(3, 10, NULL);
    CHECK(progress_seen == 3, "progress");
    wasmcap_resource_updated("notes://a");
    CHECK(strcmp(updated_uri, "notes://a") == 0, "resource_updated: %s", updated_uri);
    wasmcap_close_stream();
    CHECK(streams_closed == 1, "close_stream");
    CHECK(wasmcap_request_context(&v, &len) == 0 && strcmp(v, "{\"requestState\":\"s\"}") == 0,
          "request_context");
    free(v);
    wasmcap_list_changed("prompts");
    CHECK(strcmp(changed_kind, "prompts") == 0, "list_changed: %s", changed_kind);
    CHECK(wasmcap_bus_publish("orders.created", "{}", 2) == 0 && strcmp(bus_seen, "orders.created<{}") == 0,
          "bus_publish: %s", bus_seen);
    CHECK(wasmcap_bus_request("inventory.rate", "{\"sku\":\"A\"}", 11, 250, 4096, &v, &len) == 0 &&
              strcmp(v, "{\"rate\":2.5}") == 0 && len == 12 &&
              strcmp(bus_seen, "inventory.rate?{\"sku\":\"A\"} 250 4096") == 0,
          "bus_request: %s %s", v ? v : "(null)", bus_seen);
    free(v);
    CHECK(wasmcap_bus_request("nope", "", 0, 0, 0, &v, &len) == WASMCAP_ENORESPONDERS && !v &&
              strstr(wasmcap_last_error(), "no responders"), "bus_request error: %s", wasmcap_last_error());
    /* an over-long error message is cut, not overflowed */
    set_slot("", 0);
    slot_len = sizeof slot;
    memset(slot, 'm', sizeof slot);
    CHECK(wasmcap__take(WASMCAP_EFAILED, &v, &len) == WASMCAP_EFAILED &&
              strlen(wasmcap_last_error()) == 511, "long message: %zu", strlen(wasmcap_last_error()));
    free(wasmcap__last_error);
    wasmcap__last_error = NULL;
}

int main(void)
{
    test_parse_valid();
    test_parse_invalid();
    test_parse_long_strings();
    test_parse_random();
    test_numbers();
    test_number_fast_paths();
    test_writer();
    test_dispatch();
    test_in_place();
    test_replies();
    test_host_calls();
    if (failures) {
        printf("%d check(s) failed\n", failures);
        return 1;
    }
    printf("test_sdk: all checks passed\n");
    return 0;
}
