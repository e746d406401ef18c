/* values.c -- Wasm values as wast2json writes them: parsing, comparing, printing.
 *
 * wast2json writes every number as the decimal string of its unsigned bit
 * pattern ("4294967295" for i32 -1, "2143289344" for an f32 NaN), so values
 * are carried as bits from the JSON to the engine and back, and floats are
 * compared bit for bit: no conversion ever touches a NaN payload.
 */
#include "spectest/spectest.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#define F32_SIGN_MASK UINT32_C(0x80000000)
#define F32_CANONICAL_NAN UINT32_C(0x7fc00000)
#define F64_SIGN_MASK UINT64_C(0x8000000000000000)
#define F64_CANONICAL_NAN UINT64_C(0x7ff8000000000000)

static const struct {
    const char *name;
    uint8_t type;
} type_names[] = {
    {"i32", WC_VT_I32},         {"i64", WC_VT_I64},       {"f32", WC_VT_F32},
    {"f64", WC_VT_F64},         {"v128", WC_VT_V128},     {"funcref", WC_VT_FUNCREF},
    {"externref", WC_VT_EXTERNREF},
};

bool spectest_type_from_name(const char *name, uint8_t *type)
{
    for (size_t i = 0; i < sizeof type_names / sizeof type_names[0]; i++) {
        if (strcmp(name, type_names[i].name) == 0) {
            *type = type_names[i].type;
            return true;
        }
    }
    return false;
}

void *spectest_externref(uint64_t n)
{
    /* +1 so that ref.extern 0 is distinguishable from ref.null extern. */
    return (void *)(uintptr_t)(n + 1);
}

/* Only plain decimal digits: strtoull alone would also take "-1" and " 1". */
static bool parse_decimal(const char *text, uint64_t max, uint64_t *out)
{
    if (!isdigit((unsigned char)text[0]))
        return false;
    errno = 0;
    char *end;
    unsigned long long value = strtoull(text, &end, 10);
    if (errno != 0 || *end != '\0' || value > max)
        return false;
    *out = value;
    return true;
}

static bool is_float_type(uint8_t type)
{
    return type == WC_VT_F32 || type == WC_VT_F64;
}

static bool is_ref_type(uint8_t type)
{
    return type == WC_VT_FUNCREF || type == WC_VT_EXTERNREF;
}

/* One float lane's NaN pattern, if it is one. */
static bool nan_pattern(const char *text, spectest_match *match)
{
    if (strcmp(text, "nan:canonical") == 0)
        *match = SPECTEST_MATCH_NAN_CANONICAL;
    else if (strcmp(text, "nan:arithmetic") == 0)
        *match = SPECTEST_MATCH_NAN_ARITHMETIC;
    else
        return false;
    return true;
}

/* {"type": "v128", "lane_type": "i32", "value": ["1", "2", "3", "4"]}:
 * each lane the decimal of its unsigned bits, lane 0 first. */
static spectest_parse_status parse_v128(const json_t *json, bool expected, spectest_value *out,
                                        char *why, size_t why_size)
{
    static const struct {
        const char *name;
        uint8_t type, bytes;
    } shapes[] = {
        {"i8", WC_VT_I32, 1}, {"i16", WC_VT_I32, 2}, {"i32", WC_VT_I32, 4},
        {"i64", WC_VT_I64, 8}, {"f32", WC_VT_F32, 4}, {"f64", WC_VT_F64, 8},
    };
    const char *lane_name = json_string_value(json_object_get(json, "lane_type"));
    for (size_t i = 0; lane_name && i < sizeof shapes / sizeof shapes[0]; i++)
        if (strcmp(lane_name, shapes[i].name) == 0) {
            out->lane_type = shapes[i].type;
            out->lane_bytes = shapes[i].bytes;
        }
    if (!out->lane_bytes) {
        snprintf(why, why_size, "v128 value with an unknown lane_type");
        return SPECTEST_PARSE_ERROR;
    }
    out->nlanes = (uint8_t)(16 / out->lane_bytes);
    const json_t *lanes = json_object_get(json, "value");
    if (!json_is_array(lanes) || json_array_size(lanes) != out->nlanes) {
        snprintf(why, why_size, "v128 value without %u %s lanes", out->nlanes, lane_name);
        return SPECTEST_PARSE_ERROR;
    }
    uint64_t max = out->lane_bytes == 8 ? UINT64_MAX : (UINT64_C(1) << (8 * out->lane_bytes)) - 1;
    for (uint8_t i = 0; i < out->nlanes; i++) {
        const char *text = json_string_value(json_array_get(lanes, i));
        uint64_t bits = 0;
        out->lane_match[i] = SPECTEST_MATCH_EXACT;
        if (!text) {
            snprintf(why, why_size, "v128 lane %u that is not a string", i);
            return SPECTEST_PARSE_ERROR;
        }
        if (expected && is_float_type(out->lane_type) && nan_pattern(text, &out->lane_match[i]))
            continue;
        if (!parse_decimal(text, max, &bits)) {
            snprintf(why, why_size, "bad %s lane \"%s\"", lane_name, text);
            return SPECTEST_PARSE_ERROR;
        }
        memcpy(out->value.v128 + i * out->lane_bytes, &bits, out->lane_bytes); /* little-endian */
    }
    return SPECTEST_PARSE_OK;
}

/* A float lane of `bytes` bytes against a NaN pattern. */
static bool nan_matches(spectest_match match, const uint8_t *lane, unsigned bytes)
{
    uint64_t bits = 0;
    memcpy(&bits, lane, bytes);
    uint64_t quiet = bytes == 4 ? F32_CANONICAL_NAN : F64_CANONICAL_NAN;
    uint64_t sign = bytes == 4 ? F32_SIGN_MASK : F64_SIGN_MASK;
    if (match == SPECTEST_MATCH_NAN_CANONICAL)
        return (bits & ~sign) == quiet;
    return (bits & quiet) == quiet;
}

static bool v128_matches(const spectest_value *expected, const wc_value *actual)
{
    unsigned bytes = expected->lane_bytes;
    for (unsigned i = 0; i < expected->nlanes; i++) {
        const uint8_t *want = expected->value.v128 + i * bytes, *got = actual->v128 + i * bytes;
        if (expected->lane_match[i] == SPECTEST_MATCH_EXACT ? memcmp(want, got, bytes) != 0
                                                            : !nan_matches(expected->lane_match[i], got, bytes))
            return false;
    }
    return true;
}

spectest_parse_status spectest_parse_value(const json_t *json, bool expected,
                                           spectest_value *out, char *why,
                                           size_t why_size)
{
    memset(out, 0, sizeof *out);
    out->match = SPECTEST_MATCH_EXACT;

    const char *type_name = json_string_value(json_object_get(json, "type"));
    if (!type_name) {
        snprintf(why, why_size, "value without a \"type\"");
        return SPECTEST_PARSE_ERROR;
    }
    if (!spectest_type_from_name(type_name, &out->type)) {
        snprintf(why, why_size, "unknown value type \"%s\"", type_name);
        return SPECTEST_PARSE_ERROR;
    }
    if (out->type == WC_VT_V128)
        return parse_v128(json, expected, out, why, why_size);

    const json_t *value_json = json_object_get(json, "value");
    if (!value_json) {
        /* wast2json writes `(ref.func)` and `(ref.extern)` without a value:
         * any non-null reference of that type. */
        if (expected && is_ref_type(out->type)) {
            out->match = SPECTEST_MATCH_NONNULL_REF;
            return SPECTEST_PARSE_OK;
        }
        snprintf(why, why_size, "%s value without a \"value\"", type_name);
        return SPECTEST_PARSE_ERROR;
    }
    const char *text = json_string_value(value_json);
    if (!text) {
        snprintf(why, why_size, "%s value that is not a string", type_name);
        return SPECTEST_PARSE_ERROR;
    }

    if (expected && is_float_type(out->type) && nan_pattern(text, &out->match))
        return SPECTEST_PARSE_OK;
    if (is_ref_type(out->type) && strcmp(text, "null") == 0)
        return SPECTEST_PARSE_OK; /* the zeroed value is null for both */

    uint64_t bits;
    bool ok = false;
    switch (out->type) {
    case WC_VT_I32:
    case WC_VT_F32:
        /* Writing the bits through .i32 sets the f32 member's bits as well. */
        ok = parse_decimal(text, UINT32_MAX, &bits);
        out->value.i32 = (uint32_t)bits;
        break;
    case WC_VT_I64:
    case WC_VT_F64:
        ok = parse_decimal(text, UINT64_MAX, &bits);
        out->value.i64 = bits;
        break;
    case WC_VT_EXTERNREF:
        ok = parse_decimal(text, UINT64_MAX - 1, &bits);
        out->value.externref = spectest_externref(bits);
        break;
    default: /* a funcref other than null cannot be written in a script */
        break;
    }
    if (!ok) {
        snprintf(why, why_size, "bad %s value \"%s\"", type_name, text);
        return SPECTEST_PARSE_ERROR;
    }
    return SPECTEST_PARSE_OK;
}

bool spectest_value_matches(const spectest_value *expected, const wc_value *actual)
{
    if (expected->type == WC_VT_V128)
        return v128_matches(expected, actual);
    bool is_f32 = expected->type == WC_VT_F32;
    switch (expected->match) {
    case SPECTEST_MATCH_NAN_CANONICAL:
        /* Either sign, quiet bit only. */
        return is_f32 ? (actual->i32 & ~F32_SIGN_MASK) == F32_CANONICAL_NAN
                      : (actual->i64 & ~F64_SIGN_MASK) == F64_CANONICAL_NAN;
    case SPECTEST_MATCH_NAN_ARITHMETIC:
        /* Either sign, any payload with the quiet bit set. */
        return is_f32 ? (actual->i32 & F32_CANONICAL_NAN) == F32_CANONICAL_NAN
                      : (actual->i64 & F64_CANONICAL_NAN) == F64_CANONICAL_NAN;
    case SPECTEST_MATCH_NONNULL_REF:
        return expected->type == WC_VT_FUNCREF ? actual->funcref.func != NULL
                                               : actual->externref != NULL;
    case SPECTEST_MATCH_EXACT:
        break;
    }
    switch (expected->type) {
    case WC_VT_I32:
    case WC_VT_F32:
        return actual->i32 == expected->value.i32;
    case WC_VT_I64:
    case WC_VT_F64:
        return actual->i64 == expected->value.i64;
    case WC_VT_FUNCREF:
        /* Scripts can only name ref.null func exactly. */
        return (actual->funcref.func == NULL) == (expected->value.funcref.func == NULL);
    case WC_VT_EXTERNREF:
        return actual->externref == expected->value.externref;
    default:
        return false;
    }
}

void spectest_format_value(uint8_t type, const wc_value *value, char *buf, size_t size)
{
    switch (type) {
    case WC_VT_I32:
        snprintf(buf, size, "i32:%" PRIu32, value->i32);
        break;
    case WC_VT_I64:
        snprintf(buf, size, "i64:%" PRIu64, value->i64);
        break;
    case WC_VT_F32:
        snprintf(buf, size, "f32:0x%08" PRIx32 " (%.9g)", value->i32, (double)value->f32);
        break;
    case WC_VT_F64:
        snprintf(buf, size, "f64:0x%016" PRIx64 " (%.17g)", value->i64, value->f64);
        break;
    case WC_VT_FUNCREF:
        snprintf(buf, size, "funcref:%s", value->funcref.func ? "non-null" : "null");
        break;
    case WC_VT_V128: {
        /* as i32 lanes: the shape of an actual value is unknown */
        uint32_t lane[4];
        memcpy(lane, value->v128, 16);
        snprintf(buf, size, "v128:i32x4 0x%08" PRIx32 " 0x%08" PRIx32 " 0x%08" PRIx32 " 0x%08" PRIx32,
                 lane[0], lane[1], lane[2], lane[3]);
        break;
    }
    case WC_VT_EXTERNREF:
        if (!value->externref)
            snprintf(buf, size, "externref:null");
        else /* undo spectest_externref() */
            snprintf(buf, size, "externref:%" PRIuPTR, (uintptr_t)value->externref - 1);
        break;
    default:
        snprintf(buf, size, "%s:?", wc_valtype_name(type));
        break;
    }
}

/* "v128:f32x4 0x3f800000 nan:canonical ...": in the script's lane shape. */
static void format_v128_expected(const spectest_value *expected, char *buf, size_t size)
{
    size_t n = (size_t)snprintf(buf, size, "v128:%c%ux%u", is_float_type(expected->lane_type) ? 'f' : 'i',
                                8u * expected->lane_bytes, expected->nlanes);
    for (unsigned i = 0; i < expected->nlanes && n < size; i++) {
        uint64_t bits = 0;
        memcpy(&bits, expected->value.v128 + i * expected->lane_bytes, expected->lane_bytes);
        spectest_match m = expected->lane_match[i];
        if (m == SPECTEST_MATCH_EXACT)
            n += (size_t)snprintf(buf + n, size - n, " 0x%0*" PRIx64, 2 * expected->lane_bytes, bits);
        else
            n += (size_t)snprintf(buf + n, size - n, " %s",
                                  m == SPECTEST_MATCH_NAN_CANONICAL ? "nan:canonical" : "nan:arithmetic");
    }
}

void spectest_format_expected(const spectest_value *expected, char *buf, size_t size)
{
    const char *type_name = wc_valtype_name(expected->type);
    switch (expected->match) {
    case SPECTEST_MATCH_NAN_CANONICAL:
        snprintf(buf, size, "%s:nan:canonical", type_name);
        break;
    case SPECTEST_MATCH_NAN_ARITHMETIC:
        snprintf(buf, size, "%s:nan:arithmetic", type_name);
        break;
    case SPECTEST_MATCH_NONNULL_REF:
        snprintf(buf, size, "%s:non-null", type_name);
        break;
    case SPECTEST_MATCH_EXACT:
        if (expected->type == WC_VT_V128)
            format_v128_expected(expected, buf, size);
        else
            spectest_format_value(expected->type, &expected->value, buf, size);
        break;
    }
}
