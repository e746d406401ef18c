/* test_schema.c -- the JSON Schema validator: every keyword passing and
 * failing, the messages (with the failing value's path), recursion through
 * $ref, schemas refused at compile time, and the limits. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json/schema.h"

static int failures, checks, decided_from_text;

/* wc_schema_validate_object_text, where it decides, must agree with
 * wc_schema_validate on the parsed value: verdict and message. */
static void check_text_agrees(const wc_schema *compiled, const char *schema_text,
                              const char *instance_text, bool valid, const char *err)
{
    wc_error text_err = {0};
    int rc = wc_schema_validate_object_text(compiled, instance_text, strlen(instance_text),
                                            &text_err);
    if (rc < 0)
        return;
    checks++;
    decided_from_text++;
    if (rc != (valid ? 1 : 0) || (!valid && strcmp(err, text_err.msg) != 0)) {
        failures++;
        fprintf(stderr, "FAIL %s on %s: from the text %s (%s), from the value %s (%s)\n",
                schema_text, instance_text, rc ? "valid" : "invalid", text_err.msg,
                valid ? "valid" : "invalid", err);
    }
}

static json_t *parse(const char *text)
{
    json_error_t error;
    json_t *value = json_loads(text, JSON_DECODE_ANY, &error);
    if (!value) {
        failures++;
        fprintf(stderr, "FAIL test bug: cannot parse %s: %s\n", text, error.text);
    }
    return value;
}

static wc_schema *compile_text(const char *schema_text)
{
    json_t *schema = parse(schema_text);
    if (!schema)
        return NULL;
    wc_error err;
    wc_schema *compiled = wc_schema_compile(schema, &err);
    json_decref(schema); /* the compiled schema must not need it */
    if (!compiled) {
        failures++;
        fprintf(stderr, "FAIL schema %s refused: %s\n", schema_text, err.msg);
    }
    return compiled;
}

/* want_message NULL: the instance must be valid; otherwise the exact
 * message expected. */
static void check_instance(const wc_schema *compiled, const char *schema_text,
                           const json_t *instance, const char *instance_text,
                           const char *want_message)
{
    checks++;
    wc_error err = {0};
    bool valid = wc_schema_validate(compiled, instance, &err);
    bool quiet_valid = wc_schema_validate(compiled, instance, NULL);
    if (instance_text)
        check_text_agrees(compiled, schema_text, instance_text, valid, err.msg);
    if (valid != quiet_valid) {
        failures++;
        fprintf(stderr, "FAIL %s on %s: verdict differs without a message buffer\n",
                schema_text, instance_text);
    }
    if (!want_message && !valid) {
        failures++;
        fprintf(stderr, "FAIL %s on %s: want valid, got: %s\n", schema_text, instance_text, err.msg);
    } else if (want_message && valid) {
        failures++;
        fprintf(stderr, "FAIL %s on %s: want \"%s\", got valid\n", schema_text, instance_text,
                want_message);
    } else if (want_message && (strcmp(err.msg, want_message) != 0 || err.code != WC_EINVAL)) {
        failures++;
        fprintf(stderr, "FAIL %s on %s:\n  want: %s\n  got:  %s\n", schema_text, instance_text,
                want_message, err.msg);
    }
}

static void check(const char *schema_text, const char *instance_text, const char *want_message)
{
    wc_schema *compiled = compile_text(schema_text);
    json_t *instance = parse(instance_text);
    if (compiled && instance)
        check_instance(compiled, schema_text, instance, instance_text, want_message);
    json_decref(instance);
    wc_schema_free(compiled);
}

#define valid(schema, instance) check(schema, instance, NULL)
#define invalid(schema, instance, message) check(schema, instance, message)

/* The schema must be refused with a message containing want_fragment. */
static void refused(const char *schema_text, const char *want_fragment)
{
    json_t *schema = parse(schema_text);
    if (!schema)
        return;
    checks++;
    wc_error err = {0};
    wc_schema *compiled = wc_schema_compile(schema, &err);
    if (compiled) {
        failures++;
        fprintf(stderr, "FAIL schema %s accepted, want error \"%s\"\n", schema_text, want_fragment);
    } else if (!strstr(err.msg, want_fragment) || err.code != WC_EINVAL) {
        failures++;
        fprintf(stderr, "FAIL schema %s:\n  want error containing: %s\n  got: %s\n", schema_text,
                want_fragment, err.msg);
    }
    wc_schema_free(compiled);
    json_decref(schema);
}

static void test_types(void)
{
    valid("{\"type\": \"string\"}", "\"x\"");
    invalid("{\"type\": \"string\"}", "5", "at /: expected string, got integer");
    valid("{\"type\": [\"string\", \"null\"]}", "null");
    invalid("{\"type\": [\"string\", \"null\"]}", "true", "at /: expected null or string, got boolean");
    valid("{\"type\": \"integer\"}", "1");
    valid("{\"type\": \"integer\"}", "1.0"); /* no fractional part */
    valid("{\"type\": \"integer\"}", "-0.0");
    invalid("{\"type\": \"integer\"}", "1.5",
            "at /: expected integer, got a number with a fractional part");
    invalid("{\"type\": \"integer\"}", "\"1\"", "at /: expected integer, got string");
    valid("{\"type\": \"number\"}", "1");
    valid("{\"type\": \"number\"}", "1e300");
    invalid("{\"type\": \"number\"}", "[]", "at /: expected number, got array");
    valid("{\"type\": \"boolean\"}", "false");
    valid("{\"type\": \"object\"}", "{}");
    valid("{\"type\": \"array\"}", "[]");
    invalid("{\"type\": \"null\"}", "{}", "at /: expected null, got object");
    valid("{}", "{\"anything\": [1, 2]}");
    valid("true", "42");
    invalid("false", "42", "at /: no value is allowed here (schema is false)");
}

static void test_objects(void)
{
    const char *order = "{\"type\": \"object\", \"required\": [\"sku\", \"qty\"],"
                        " \"properties\": {\"sku\": {\"type\": \"string\"},"
                        "  \"qty\": {\"type\": \"integer\", \"minimum\": 1},"
                        "  \"items\": {\"type\": \"array\", \"items\": {\"type\": \"object\","
                        "    \"properties\": {\"price\": {\"type\": \"number\"}}}}},"
                        " \"additionalProperties\": false}";
    valid(order, "{\"sku\": \"a\", \"qty\": 2}");
    valid(order, "{\"sku\": \"a\", \"qty\": 2, \"items\": [{\"price\": 1}, {\"price\": 2.5}]}");
    invalid(order, "{\"qty\": 2}", "at /: missing required property \"sku\"");
    invalid(order, "{\"sku\": \"a\", \"qty\": 0}", "at /qty: 0 is less than the minimum 1");
    invalid(order, "{\"sku\": \"a\", \"qty\": 1, \"items\": [{}, {}, {\"price\": \"9\"}]}",
            "at /items/2/price: expected number, got string");
    invalid(order, "{\"sku\": \"a\", \"qty\": 1, \"colour\": \"red\"}",
            "at /: unexpected property \"colour\" (additional properties are not allowed)");

    /* additionalProperties as a schema; keys escaped in the path */
    const char *map = "{\"additionalProperties\": {\"type\": \"integer\"}}";
    valid(map, "{\"a\": 1, \"b\": 2}");
    invalid(map, "{\"a/b~c\": \"x\"}", "at /a~1b~0c: expected integer, got string");

    /* patternProperties count as described for additionalProperties */
    const char *patterned = "{\"patternProperties\": {\"^x-\": {\"type\": \"string\"}},"
                            " \"additionalProperties\": false}";
    valid(patterned, "{\"x-a\": \"1\"}");
    invalid(patterned, "{\"x-a\": 1}", "at /x-a: expected string, got integer");
    invalid(patterned, "{\"y\": 1}",
            "at /: unexpected property \"y\" (additional properties are not allowed)");

    valid("{\"minProperties\": 1, \"maxProperties\": 2}", "{\"a\": 1}");
    invalid("{\"minProperties\": 1}", "{}", "at /: object has 0 properties, fewer than the minimum 1");
    invalid("{\"maxProperties\": 1}", "{\"a\": 1, \"b\": 2}",
            "at /: object has 2 properties, more than the maximum 1");
    /* object keywords ignore other types */
    valid("{\"required\": [\"a\"], \"minProperties\": 3}", "\"not an object\"");
}

static void test_arrays(void)
{
    const char *list = "{\"items\": {\"type\": \"string\"}, \"minItems\": 1, \"maxItems\": 3}";
    valid(list, "[\"a\", \"b\"]");
    invalid(list, "[]", "at /: array has 0 items, fewer than the minimum 1");
    invalid(list, "[\"a\", \"b\", \"c\", \"d\"]", "at /: array has 4 items, more than the maximum 3");
    invalid(list, "[\"a\", 2]", "at /1: expected string, got integer");

    const char *tuple = "{\"prefixItems\": [{\"type\": \"string\"}, {\"type\": \"integer\"}],"
                        " \"items\": {\"type\": \"boolean\"}}";
    valid(tuple, "[\"a\", 1, true, false]");
    valid(tuple, "[\"a\"]");
    invalid(tuple, "[1]", "at /0: expected string, got integer");
    invalid(tuple, "[\"a\", 1, 2]", "at /2: expected boolean, got integer");
    invalid("{\"prefixItems\": [{}], \"items\": false}", "[1, 2]",
            "at /1: no value is allowed here (schema is false)");

    valid("{\"uniqueItems\": true}", "[1, \"1\", [1], {\"a\": 1}, {\"a\": 2}]");
    invalid("{\"uniqueItems\": true}", "[1, 2, 1.0]",
            "at /: items 0 and 2 are equal; items must be unique");
    invalid("{\"uniqueItems\": true}", "[{\"a\": [1, 2]}, {\"a\": [1, 2.0]}]",
            "at /: items 0 and 1 are equal; items must be unique");
    valid("{\"uniqueItems\": false}", "[1, 1]");
}

static void test_values(void)
{
    const char *colours = "{\"enum\": [\"red\", \"green\", 3, null, {\"a\": [1]}]}";
    valid(colours, "\"red\"");
    valid(colours, "null");
    valid(colours, "3.0");
    valid(colours, "{\"a\": [1.0]}");
    invalid(colours, "\"blue\"",
            "at /: value is not one of [\"red\",\"green\",3,null,{\"a\":[1]}]");
    invalid(colours, "false", "at /: value is not one of [\"red\",\"green\",3,null,{\"a\":[1]}]");

    valid("{\"const\": 1}", "1.0");
    valid("{\"const\": {\"k\": [true, null]}}", "{\"k\": [true, null]}");
    invalid("{\"const\": \"v1\"}", "\"v2\"", "at /: value must be \"v1\"");
    invalid("{\"const\": null}", "0", "at /: value must be null");
    invalid("{\"const\": 1}", "true", "at /: value must be 1");
}

static void test_numbers(void)
{
    valid("{\"minimum\": 1, \"maximum\": 10}", "1");
    valid("{\"minimum\": 1, \"maximum\": 10}", "10.0");
    invalid("{\"maximum\": 10}", "10.5", "at /: 10.5 is greater than the maximum 10");
    invalid("{\"minimum\": 0.1}", "0.05", "at /: 0.05 is less than the minimum 0.1");
    valid("{\"exclusiveMinimum\": 0, \"exclusiveMaximum\": 1}", "0.5");
    invalid("{\"exclusiveMinimum\": 0}", "0", "at /: 0 is not greater than the exclusive minimum 0");
    invalid("{\"exclusiveMaximum\": 1}", "1.0",
            "at /: 1 is not less than the exclusive maximum 1");
    /* numeric keywords ignore other types */
    valid("{\"minimum\": 5}", "\"3\"");

    /* big numbers compare exactly: 2^53 + 1 is above 2^53 as a double */
    invalid("{\"maximum\": 9007199254740992.0}", "9007199254740993",
            "at /: 9007199254740993 is greater than the maximum 9007199254740992");
    valid("{\"maximum\": 9007199254740992.0}", "9007199254740992");
    valid("{\"minimum\": -9223372036854775808}", "-9223372036854775808");
    valid("{\"maximum\": 9223372036854775807}", "9223372036854775807");
    invalid("{\"maximum\": 1e300}", "1e301", "at /: 1e+301 is greater than the maximum 1e+300");
    invalid("{\"minimum\": 1e19}", "9223372036854775807",
            "at /: 9223372036854775807 is less than the minimum 1e+19");
    valid("{\"maximum\": 1e19}", "9223372036854775807");
    valid("{\"type\": \"integer\"}", "1e300"); /* integral, even if huge */
    valid("{\"exclusiveMaximum\": 9007199254740993}", "9007199254740992.0");
    invalid("{\"exclusiveMaximum\": 9007199254740992}", "9007199254740992.0",
            "at /: 9007199254740992 is not less than the exclusive maximum 9007199254740992");
}

static void test_strings(void)
{
    valid("{\"minLength\": 2, \"maxLength\": 3}", "\"ab\"");
    invalid("{\"minLength\": 3}", "\"ab\"",
            "at /: string has 2 characters, fewer than the minimum length 3");
    invalid("{\"maxLength\": 3}", "\"abcd\"",
            "at /: string has 4 characters, more than the maximum length 3");
    /* code points, not bytes: "héllo" is 6 bytes, "日本語" 9, an emoji 4 */
    valid("{\"maxLength\": 5}", "\"h\\u00e9llo\"");
    valid("{\"minLength\": 3, \"maxLength\": 3}", "\"日本語\"");
    valid("{\"maxLength\": 1}", "\"\\ud83d\\ude00\"");
    invalid("{\"maxLength\": 2}", "\"日本語\"",
            "at /: string has 3 characters, more than the maximum length 2");
    /* lengths 1 to 23 of mixed 1- to 4-byte characters against
     * a count made here, so the eight-bytes-at-a-time count meets each
     * boundary */
    static const char *const pieces[] = {"a", "\u00e9", "\u65e5", "\U0001F600"};
    for (unsigned seed = 0; seed < 64; seed++) {
        char text[512] = "\"", schema[96], message[160];
        size_t chars = 0, at = 1;
        unsigned r = seed * 2654435761u;
        for (size_t n = 0; n < 1 + seed % 23; n++, r = r * 1103515245u + 12345u) {
            unsigned k = (r >> 16) % 4;
            at += (size_t)snprintf(text + at, sizeof text - at, "%s", pieces[k]);
            chars++;
        }
        snprintf(text + at, sizeof text - at, "\"");
        snprintf(schema, sizeof schema, "{\"minLength\": %zu, \"maxLength\": %zu}", chars, chars);
        valid(schema, text);
        snprintf(schema, sizeof schema, "{\"maxLength\": %zu}", chars - 1);
        snprintf(message, sizeof message,
                 "at /: string has %zu characters, more than the maximum length %zu", chars,
                 chars - 1);
        invalid(schema, text, message);
    }

    /* long strings, counted 64 bytes at a time (a block of ASCII only is
     * not counted): 150 ASCII characters with one 2- to 4-byte character
     * at each position, so every block and word boundary meets one */
    for (size_t k = 1; k < 4; k++)
        for (size_t pos = 0; pos < 150; pos++) {
            char text[512] = "\"", schema[96], message[160];
            size_t at = 1;
            for (size_t n = 0; n < 150; n++)
                at += (size_t)snprintf(text + at, sizeof text - at, "%s",
                                       n == pos ? pieces[k] : "x");
            snprintf(text + at, sizeof text - at, "\"");
            valid("{\"minLength\": 150, \"maxLength\": 150}", text);
            snprintf(message, sizeof message,
                     "at /: string has 150 characters, more than the maximum length 149");
            snprintf(schema, sizeof schema, "{\"maxLength\": 149}");
            invalid(schema, text, message);
        }

    const char *lower = "{\"properties\": {\"name\": {\"pattern\": \"^[a-z]+$\"}}}";
    valid(lower, "{\"name\": \"abc\"}");
    invalid(lower, "{\"name\": \"aBc\"}", "at /name: does not match pattern \"^[a-z]+$\"");
    /* unanchored search, as the specification says */
    valid("{\"pattern\": \"b+\"}", "\"aaabbbccc\"");
    invalid("{\"pattern\": \"b+\"}", "\"aaa\"", "at /: does not match pattern \"b+\"");
    /* UTF mode: "." is one code point */
    valid("{\"pattern\": \"^.$\"}", "\"\\u00e9\"");
    valid("{\"pattern\": \"^\\\\p{L}+$\"}", "\"日本\"");
}

static void test_combinators(void)
{
    const char *any = "{\"anyOf\": [{\"type\": \"string\"}, {\"type\": \"integer\", \"minimum\": 0}]}";
    valid(any, "\"x\"");
    valid(any, "3");
    invalid(any, "-1",
            "at /: matches none of the anyOf alternatives: [0] at /: expected string, got "
            "integer; [1] at /: -1 is less than the minimum 0");

    const char *one = "{\"oneOf\": [{\"type\": \"integer\"}, {\"minimum\": 2}]}";
    valid(one, "1");
    valid(one, "2.5");
    invalid(one, "3", "at /: matches oneOf alternatives 0 and 1; exactly one must match");
    invalid(one, "1.5",
            "at /: matches none of the oneOf alternatives: [0] at /: expected integer, got a "
            "number with a fractional part; [1] at /: 1.5 is less than the minimum 2");

    const char *all = "{\"allOf\": [{\"type\": \"string\"}, {\"maxLength\": 2}]}";
    valid(all, "\"ab\"");
    invalid(all, "\"abc\"", "at /: string has 3 characters, more than the maximum length 2");

    valid("{\"not\": {\"type\": \"null\"}}", "0");
    invalid("{\"not\": {\"type\": \"null\"}}", "null", "at /: must not match the schema in \"not\"");
    /* failures inside alternatives keep their deeper paths */
    invalid("{\"anyOf\": [{\"properties\": {\"a\": {\"type\": \"string\"}}}]}", "{\"a\": 1}",
            "at /: matches none of the anyOf alternatives: [0] at /a: expected string, got integer");

    /* if/then/else: "if" only chooses the branch; its own failure is no error */
    const char *contact =
        "{\"type\": \"object\", \"properties\": {\"contactMethod\": {\"enum\": [\"email\", "
        "\"phone\"]}}, \"if\": {\"properties\": {\"contactMethod\": {\"const\": \"phone\"}}}, "
        "\"then\": {\"required\": [\"phone\"]}, \"else\": {\"required\": [\"email\"]}}";
    valid(contact, "{\"contactMethod\": \"phone\", \"phone\": \"123\"}");
    valid(contact, "{\"contactMethod\": \"email\", \"email\": \"a@b\"}");
    invalid(contact, "{\"contactMethod\": \"phone\", \"email\": \"a@b\"}",
            "at /: missing required property \"phone\"");
    invalid(contact, "{\"contactMethod\": \"email\"}", "at /: missing required property \"email\"");
    valid("{\"if\": {\"type\": \"string\"}, \"then\": {\"minLength\": 2}}", "5");
    invalid("{\"if\": {\"type\": \"string\"}, \"then\": {\"minLength\": 2}}", "\"a\"",
            "at /: string has 1 characters, fewer than the minimum length 2");
    valid("{\"if\": false, \"else\": {\"minimum\": 3}}", "3");
    invalid("{\"if\": false, \"else\": {\"minimum\": 3}}", "1", "at /: 1 is less than the minimum 3");
    valid("{\"then\": false, \"else\": false}", "1"); /* no if: then and else do nothing */

    /* $ref to an $anchor; an "$anchor" inside const data is not a schema */
    const char *anchored = "{\"properties\": {\"x\": {\"$ref\": \"#pos\"}, \"y\": {\"const\": "
                           "{\"$anchor\": \"pos\"}}}, \"$defs\": {\"p\": {\"$anchor\": \"pos\", "
                           "\"type\": \"integer\", \"minimum\": 1}}}";
    valid(anchored, "{\"x\": 2}");
    invalid(anchored, "{\"x\": 0}", "at /x: 0 is less than the minimum 1");
}

static void test_refs(void)
{
    /* a tree: recursion through $ref */
    const char *tree = "{\"$ref\": \"#/$defs/node\", \"$defs\": {\"node\": {\"type\": \"object\","
                       " \"required\": [\"value\"],"
                       " \"properties\": {\"value\": {\"type\": \"integer\"},"
                       "  \"children\": {\"type\": \"array\", \"items\": {\"$ref\": \"#/$defs/node\"}}},"
                       " \"additionalProperties\": false}}}";
    valid(tree, "{\"value\": 1, \"children\": [{\"value\": 2}, {\"value\": 3, \"children\": "
                "[{\"value\": 4, \"children\": []}]}]}");
    invalid(tree, "{\"value\": 1, \"children\": [{\"value\": 2}, {\"value\": 3, \"children\": "
                  "[{\"value\": \"4\"}]}]}",
            "at /children/1/children/0/value: expected integer, got string");
    invalid(tree, "{\"value\": 1, \"children\": [{}]}",
            "at /children/0: missing required property \"value\"");

    /* "#" is the root; pointers are escaped and percent-encoded */
    const char *list = "{\"anyOf\": [{\"type\": \"null\"}, {\"type\": \"array\", \"items\": {\"$ref\": \"#\"}}]}";
    valid(list, "[[], [null, [[]]]]");
    invalid(list, "[[1]]",
            "at /: matches none of the anyOf alternatives: [0] at /: expected null, got array; "
            "[1] at /0: matches none of the anyOf alternatives: [0] at /0: expected null, got "
            "array; [1] at /0/0: matches none of the anyOf alternatives: [0] at /0/0: expected "
            "null, got integer; [1] at /0/0: expected array, got integer");
    valid("{\"$defs\": {\"a/b\": {\"type\": \"string\"}}, \"$ref\": \"#/$defs/a~1b\"}", "\"s\"");
    invalid("{\"$defs\": {\"a b\": {\"type\": \"string\"}}, \"$ref\": \"#/$defs/a%20b\"}", "1",
            "at /: expected string, got integer");
    valid("{\"prefixItems\": [{\"type\": \"string\"}], \"items\": {\"$ref\": \"#/prefixItems/0\"}}",
          "[\"a\", \"b\"]");
    /* $ref applies alongside its siblings (2020-12) */
    invalid("{\"$defs\": {\"s\": {\"type\": \"string\"}}, \"$ref\": \"#/$defs/s\", \"maxLength\": 1}",
            "\"ab\"", "at /: string has 2 characters, more than the maximum length 1");

}

static void test_refused_schemas(void)
{
    refused("42", "at #: a schema must be an object or a boolean, not integer");
    refused("{\"type\": \"int\"}", "at #/type: unknown type \"int\"");
    refused("{\"type\": [\"string\", 3]}", "at #/type/1: type names are strings");
    refused("{\"type\": []}", "at #/type: must be a type name or a non-empty array of them");
    refused("{\"properties\": {\"a\": {\"pattern\": \"(abc\"}}}",
            "at #/properties/a/pattern: invalid regular expression \"(abc\" at offset 4: "
            "missing closing parenthesis");
    refused("{\"patternProperties\": {\"[\": {}}}",
            "at #/patternProperties/[: invalid regular expression \"[\" at offset 1");
    refused("{\"$ref\": \"https://example.com/s.json\"}",
            "at #/$ref: $ref \"https://example.com/s.json\" is not supported: only local");
    refused("{\"$ref\": \"#/$defs/missing\", \"$defs\": {}}",
            "at #/$ref: $ref \"#/$defs/missing\" does not point to anything in this schema");
    refused("{\"$ref\": \"#node\"}", "no subschema declares this $anchor");
    refused("{\"$ref\": \"#n\", \"$defs\": {\"a\": {\"$anchor\": \"n\"}, \"b\": {\"$anchor\": \"n\"}}}",
            "the anchor is declared 2 times");
    refused("{\"$ref\": \"#/$defs/a%2\", \"$defs\": {}}", "does not point to anything");
    refused("{\"$ref\": \"#/$defs/a~2\", \"$defs\": {}}", "does not point to anything");
    refused("{\"$ref\": \"#/$defs/n\", \"$defs\": {\"n\": {\"minimum\": \"1\"}}}",
            "at #/$defs/n/minimum: must be a number");
    refused("{\"$defs\": {\"unused\": {\"maxLength\": -1}}}",
            "at #/$defs/unused/maxLength: must be a non-negative integer");
    refused("{\"$ref\": \"#/$defs/n\", \"$defs\": {\"n\": 7}}",
            "at #/$defs/n: a schema must be an object or a boolean, not integer");
    refused("{\"items\": [{}, {}]}", "at #/items: must be a schema; JSON Schema 2020-12 writes "
                                     "tuples as \"prefixItems\"");
    refused("{\"anyOf\": []}", "at #/anyOf: must be a non-empty array of schemas");
    refused("{\"allOf\": [{}, \"x\"]}", "at #/allOf/1: a schema must be an object or a boolean");
    refused("{\"required\": \"a\"}", "at #/required: must be an array of property names");
    refused("{\"exclusiveMinimum\": true}", "at #/exclusiveMinimum: must be a number");
    refused("{\"minItems\": 1.5}", "at #/minItems: must be a non-negative integer");
    refused("{\"uniqueItems\": 1}", "at #/uniqueItems: must be true or false");
    refused("{\"enum\": 1}", "at #/enum: must be an array of values");
    refused("{\"not\": null}", "at #/not: a schema must be an object or a boolean, not null");

    /* annotations and unknown keywords are accepted and ignored; counts may
     * be written 2.0 */
    valid("{\"$schema\": \"https://json-schema.org/draft/2020-12/schema\", \"$id\": \"x\","
          " \"title\": \"t\", \"description\": \"d\", \"default\": 1, \"examples\": [1],"
          " \"$comment\": \"c\", \"x-vendor\": {\"type\": 5}, \"format\": \"email\","
          " \"minLength\": 2.0}",
          "\"ab\"");
}

/* Schemas whose $refs recurse without descending into the value are
 * refused at load, naming where the cycle closes; recursion under a
 * keyword that takes a part of the value is fine (test_refs). */
static void test_unbounded_refused(void)
{
    refused("{\"type\": \"object\", \"anyOf\": [{\"$ref\": \"#\"}, {\"$ref\": \"#\"}]}",
            "at #/anyOf/0/$ref: $ref \"#\" leads back to a schema applied to the same value");
    refused("{\"$ref\": \"#\"}", "at #/$ref: $ref \"#\" leads back");
    refused("{\"$defs\": {\"a\": {\"allOf\": [{\"$ref\": \"#/$defs/b\"}]},"
            " \"b\": {\"if\": true, \"else\": {\"not\": {\"$ref\": \"#/$defs/a\"}}}}}",
            "$ref \"#/$defs/");
    refused("{\"properties\": {\"x\": {\"oneOf\": [{\"$ref\": \"#/properties/x\"}]}}}",
            "at #/properties/x/oneOf/0/$ref: $ref \"#/properties/x\" leads back");
    /* a shared (acyclic) target and descending recursion still compile */
    valid("{\"$defs\": {\"s\": {\"type\": \"string\"}}, \"anyOf\": [{\"$ref\": \"#/$defs/s\"},"
          " {\"allOf\": [{\"$ref\": \"#/$defs/s\"}]}]}", "\"x\"");
    valid("{\"additionalProperties\": {\"anyOf\": [{\"$ref\": \"#\"}, {\"$ref\": \"#\"}]}}",
          "{\"a\": {\"b\": {}}}");
}

/* CPU time of this thread: what a loaded machine does not stretch. */
static double cpu_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* The check must stop with `want` (a verdict) and a message containing
 * fragment, within two seconds of CPU (a sanitizer build included). */
static void stops(const char *what, const wc_schema *compiled, const json_t *instance,
                  const wc_schema_budget *budget, int want, const char *fragment)
{
    checks++;
    wc_error err = {0};
    double start = cpu_ms();
    int verdict = wc_schema_check(compiled, instance, budget, &err);
    double took = cpu_ms() - start;
    int want_code = want == WC_SCHEMA_INVALID ? WC_EINVAL : want;
    if (verdict != want || err.code != want_code || !strstr(err.msg, fragment) || took > 2000) {
        failures++;
        fprintf(stderr, "FAIL %s: verdict %d (want %d), code %d after %.0f ms: %s\n", what, verdict,
                want, err.code, took, err.msg);
    }
}

/* The work of one validation is bounded: exponential combinators, costly
 * patterns and quadratic uniqueItems stop with a clear message. */
static void test_work_budget(void)
{
    wc_error err;
    /* 2^40 paths through a DAG of anyOf (no cycle: nothing to refuse) */
    char chain[8192];
    int n = snprintf(chain, sizeof chain, "{\"$ref\": \"#/$defs/d0\", \"$defs\": {");
    for (int i = 0; i < 40; i++)
        n += snprintf(chain + n, sizeof chain - n,
                      "\"d%d\": {\"anyOf\": [{\"$ref\": \"#/$defs/d%d\"}, {\"$ref\": "
                      "\"#/$defs/d%d\"}]}, ", i, i + 1, i + 1);
    snprintf(chain + n, sizeof chain - n, "\"d40\": false}}");
    wc_schema *exponential = compile_text(chain);
    json_t *empty = json_object();
    if (exponential) {
        stops("exponential anyOf", exponential, empty, NULL, WC_SCHEMA_OVER_BUDGET,
              "schema validation stopped at /: it needed more than 1000000 steps");
        /* the plain call fails with the same message rather than hanging */
        checks++;
        if (wc_schema_validate(exponential, empty, &err) ||
            !strstr(err.msg, "schema validation stopped")) {
            failures++;
            fprintf(stderr, "FAIL exponential anyOf (validate): %s\n", err.msg);
        }
    }
    wc_schema_free(exponential);

    /* two recursive branches that do descend: twice the work per level */
    wc_schema *doubling = compile_text(
        "{\"anyOf\": [{\"type\": \"array\", \"items\": {\"$ref\": \"#\"}},"
        " {\"type\": \"array\", \"items\": {\"$ref\": \"#\"}}]}");
    json_t *deep = json_integer(1);
    for (int i = 0; i < 40; i++) {
        json_t *outer = json_array();
        json_array_append_new(outer, deep);
        deep = outer;
    }
    if (doubling)
        stops("doubling recursion", doubling, deep, NULL, WC_SCHEMA_OVER_BUDGET,
              "it needed more than 1000000 steps");
    wc_schema_free(doubling);
    json_decref(deep);

    /* a catastrophic pattern on many long items: the match limit */
    wc_schema *pattern = compile_text(
        "{\"type\": \"array\", \"items\": {\"type\": \"string\", \"pattern\": \"^(a+)+$\"}}");
    json_t *items = json_array();
    char item[64];
    memset(item, 'a', sizeof item);
    item[sizeof item - 2] = 'b';
    item[sizeof item - 1] = '\0';
    for (int i = 0; i < 5000; i++)
        json_array_append_new(items, json_string(item));
    if (pattern) {
        stops("catastrophic pattern", pattern, items, NULL, WC_SCHEMA_OVER_BUDGET,
              "schema validation stopped at /0: matching \"^(a+)+$\" needed more backtracking "
              "than the limit of one match (100000)");
    }
    wc_schema_free(pattern);

    /* many matches: each costs steps, so their number is bounded too */
    pattern = compile_text(
        "{\"type\": \"array\", \"items\": {\"type\": \"string\", \"pattern\": \"^a\"}}");
    json_array_clear(items);
    for (int i = 0; i < 20000; i++)
        json_array_append_new(items, json_string("ab"));
    if (pattern) {
        stops("many matches", pattern, items, NULL, WC_SCHEMA_OVER_BUDGET,
              "it needed more than 1000000 steps");
        /* a small budget (an event loop's) stops far sooner */
        wc_schema_budget small = {.max_steps = WC_SCHEMA_SMALL_STEPS, .small = true};
        stops("small budget", pattern, items, &small, WC_SCHEMA_OVER_BUDGET,
              "it needed more than 10000 steps");
        /* a deadline that has passed is seen within STEPS_PER_CLOCK_CHECK */
        wc_schema_budget late = {.deadline_ns = 1};
        stops("deadline", pattern, items, &late, WC_SCHEMA_PAST_DEADLINE, "its time ran out");
        json_t *few = json_pack("[s,s]", "ab", "b");
        stops("few items within the budget", pattern, few, &late, WC_SCHEMA_INVALID,
              "at /1: does not match pattern \"^a\"");
        json_decref(few);
    }
    wc_schema_free(pattern);

    /* uniqueItems compares n*(n-1)/2 pairs */
    wc_schema *unique = compile_text("{\"uniqueItems\": true}");
    json_array_clear(items);
    for (int i = 0; i < 5000; i++)
        json_array_append_new(items, json_integer(i));
    if (unique)
        stops("uniqueItems", unique, items, NULL, WC_SCHEMA_OVER_BUDGET, "steps");
    wc_schema_free(unique);
    json_decref(items);

    /* the text path has the same limits */
    wc_schema *member = compile_text(
        "{\"type\": \"object\", \"properties\": {\"s\": {\"type\": \"string\","
        " \"pattern\": \"^(a+)+$\"}}}");
    const char *text = "{\"s\": \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab\"}";
    checks++;
    int verdict = member ? wc_schema_check_object_text(member, text, strlen(text), NULL, &err)
                         : WC_SCHEMA_OVER_BUDGET;
    if (verdict != WC_SCHEMA_OVER_BUDGET || !strstr(err.msg, "stopped at /s: matching")) {
        failures++;
        fprintf(stderr, "FAIL pattern from text: %d %s\n", verdict, err.msg);
    }
    wc_schema_free(member);

    /* chains of $refs (400 each, acyclic) under nested items: deeper than
     * the evaluation stack allows */
    json_t *defs = json_object();
    for (int i = 0; i < 400; i++) {
        char name[16], ref[32];
        snprintf(name, sizeof name, "d%d", i);
        snprintf(ref, sizeof ref, "#/$defs/d%d", i + 1);
        json_object_set_new(defs, name, i < 399 ? json_pack("{s:s}", "$ref", ref)
                                                : json_pack("{s:{s:s}}", "items", "$ref",
                                                            "#/$defs/d0"));
    }
    json_t *long_chain = json_pack("{s:s,s:o}", "$ref", "#/$defs/d0", "$defs", defs);
    wc_schema *chain_schema = wc_schema_compile(long_chain, &err);
    json_t *nested = json_loads("[[[[]]]]", 0, NULL);
    checks++;
    if (!chain_schema || wc_schema_validate(chain_schema, nested, &err) ||
        strcmp(err.msg, "at /0/0: schema recursion deeper than 1024 levels") != 0) {
        failures++;
        fprintf(stderr, "FAIL chains of 400 $refs: %s\n", err.msg);
    }
    json_decref(nested);
    wc_schema_free(chain_schema);
    json_decref(long_chain);
    json_decref(empty);
}

/* Compiling is linear in the schema's size (CPU time measured): a plugin's large schema costs
 * its load no quadratic time (finding a $ref's node was a linear search). */
static void test_compile_size(void)
{
    json_t *properties = json_object();
    for (int i = 0; i < 100000; i++) {
        char name[16];
        snprintf(name, sizeof name, "p%d", i);
        json_object_set_new(properties, name, json_pack("{s:s}", "type", "string"));
    }
    json_t *schema = json_pack("{s:s,s:o,s:{s:s}}", "type", "object", "properties", properties,
                               "items", "$ref", "#/properties/p99999");
    wc_error err = {0};
    double start = cpu_ms();
    wc_schema *compiled = wc_schema_compile(schema, &err);
    double took = cpu_ms() - start;
    checks++;
    if (!compiled || took > 3000) {
        failures++;
        fprintf(stderr, "FAIL 100,000 properties: %s after %.0f ms\n", compiled ? "compiled" : err.msg,
                took);
    }
    wc_schema_free(compiled);
    json_decref(schema);

    /* many "#name" refs: one walk for all anchors, not one per ref */
    properties = json_object();
    json_t *defs = json_object();
    for (int i = 0; i < 20000; i++) {
        char name[16], anchor[16], ref[16];
        snprintf(name, sizeof name, "p%d", i);
        snprintf(anchor, sizeof anchor, "a%d", i);
        snprintf(ref, sizeof ref, "#a%d", i);
        json_object_set_new(properties, name, json_pack("{s:s}", "$ref", ref));
        json_object_set_new(defs, name, json_pack("{s:s,s:s}", "$anchor", anchor, "type", "string"));
    }
    schema = json_pack("{s:o,s:o}", "properties", properties, "$defs", defs);
    start = cpu_ms();
    compiled = wc_schema_compile(schema, &err);
    took = cpu_ms() - start;
    checks++;
    if (!compiled || took > 3000) {
        failures++;
        fprintf(stderr, "FAIL 20,000 anchor refs: %s after %.0f ms\n", compiled ? "compiled" : err.msg,
                took);
    }
    wc_schema_free(compiled);
    json_decref(schema);
}

static void test_nesting_limit(void)
{
    /* a chain of arrays deeper than the limit, built by hand because
     * json_loads has its own depth limit */
    wc_schema *anything = compile_text("{\"items\": {\"$ref\": \"#\"}}");
    json_t *innermost = json_array();
    json_t *value = innermost;
    for (int depth = 0; depth < WC_SCHEMA_MAX_INSTANCE_DEPTH + 10; depth++) {
        json_t *outer = json_array();
        json_array_append_new(outer, value);
        value = outer;
    }
    wc_error err;
    if (anything && (wc_schema_validate(anything, value, &err) ||
                     !strstr(err.msg, "value nested deeper than 256 levels") ||
                     strncmp(err.msg, "at /0/0/0/", 10) != 0)) {
        failures++;
        fprintf(stderr, "FAIL deep nesting: %s\n", err.msg);
    }
    json_decref(value);

    /* exactly at the limit is fine */
    value = json_array();
    for (int depth = 0; depth < WC_SCHEMA_MAX_INSTANCE_DEPTH - 1; depth++) {
        json_t *outer = json_array();
        json_array_append_new(outer, value);
        value = outer;
    }
    if (anything && !wc_schema_validate(anything, value, &err)) {
        failures++;
        fprintf(stderr, "FAIL nesting at the limit: %s\n", err.msg);
    }
    json_decref(value);
    wc_schema_free(anything);
}

static void test_long_messages(void)
{
    /* a message longer than a wc_error holds is cut, still terminated, and
     * the failure keeps its code */
    char key[700];
    memset(key, 'k', sizeof key - 1);
    key[sizeof key - 1] = 0;
    json_t *schema = json_pack("{s:{s:{s:{s:{s:s}}}}}", "properties", key, "properties", key,
                               "type", "string");
    json_t *instance = json_pack("{s:{s:i}}", key, key, 1);
    wc_schema *compiled = schema ? wc_schema_compile(schema, NULL) : NULL;
    wc_error err;
    memset(&err, 'x', sizeof err);
    checks++;
    if (!compiled || !instance || wc_schema_validate(compiled, instance, &err) ||
        err.code != WC_EINVAL || strlen(err.msg) != sizeof err.msg - 1 ||
        strncmp(err.msg, "at /kkk", 7) != 0) {
        failures++;
        fprintf(stderr, "FAIL long message: code %d, \"%.40s\"\n", err.code, err.msg);
    }
    json_decref(schema);
    json_decref(instance);
    wc_schema_free(compiled);
}

/* One compiled schema shared by several threads at once (patterns use
 * per-call match data); every thread must see every verdict right. */
typedef struct {
    const wc_schema *schema;
    json_t *good, *bad;
    int wrong;
} shared_use;

static void *validate_repeatedly(void *arg)
{
    shared_use *use = arg;
    wc_error err;
    for (int i = 0; i < 2000; i++) {
        if (!wc_schema_validate(use->schema, use->good, &err))
            use->wrong++;
        if (wc_schema_validate(use->schema, use->bad, &err) ||
            strcmp(err.msg, "at /tags/1: does not match pattern \"^[a-z]+$\"") != 0)
            use->wrong++;
    }
    return NULL;
}

static void test_threads(void)
{
    wc_schema *compiled = compile_text(
        "{\"properties\": {\"tags\": {\"items\": {\"pattern\": \"^[a-z]+$\"}}}}");
    json_t *good = parse("{\"tags\": [\"a\", \"bc\"]}");
    json_t *bad = parse("{\"tags\": [\"a\", \"B\"]}");
    if (!compiled || !good || !bad)
        goto done;
    enum { THREADS = 4 };
    pthread_t threads[THREADS];
    shared_use uses[THREADS];
    for (int t = 0; t < THREADS; t++) {
        uses[t] = (shared_use){compiled, good, bad, 0};
        if (pthread_create(&threads[t], NULL, validate_repeatedly, &uses[t]) != 0) {
            failures++;
            fprintf(stderr, "FAIL cannot start thread\n");
            uses[t].schema = NULL;
        }
    }
    for (int t = 0; t < THREADS; t++) {
        if (!uses[t].schema)
            continue;
        pthread_join(threads[t], NULL);
        checks++;
        if (uses[t].wrong) {
            failures++;
            fprintf(stderr, "FAIL thread %d: %d wrong verdicts\n", t, uses[t].wrong);
        }
    }
done:
    json_decref(good);
    json_decref(bad);
    wc_schema_free(compiled);
}

/* Flat objects made at random against schemas like tools declare: the
 * text path decides most of them, always as the value path does. */
static void test_text_agreement(void)
{
    static const char *schemas[] = {
        "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"number\"},\"b\":{\"type\":\"number\"},"
        "\"op\":{\"type\":\"string\",\"enum\":[\"+\",\"-\",\"*\",\"/\"]}},\"required\":[\"a\",\"b\",\"op\"],"
        "\"additionalProperties\":false}",
        "{\"type\":\"object\",\"properties\":{\"sku\":{\"type\":\"string\",\"pattern\":\"^[A-Z]+-[0-9]+$\","
        "\"maxLength\":12},\"days\":{\"type\":\"integer\",\"minimum\":1,\"exclusiveMaximum\":100}},"
        "\"required\":[\"sku\"],\"minProperties\":1,\"maxProperties\":3}",
        "{\"properties\":{\"x\":{\"const\":true},\"y\":{\"type\":[\"null\",\"string\"],\"minLength\":2}},"
        "\"additionalProperties\":{\"type\":\"integer\"}}",
        "{\"type\":\"object\",\"additionalProperties\":false}",
        "{\"type\":[\"object\",\"null\"],\"properties\":{\"a/b~c\":{\"type\":\"boolean\"}},"
        "\"required\":[\"a/b~c\"]}",
        "{}",
        /* members whose schemas need the value built (combinators, $ref) */
        "{\"properties\":{\"a\":{\"anyOf\":[{\"type\":\"integer\"},{\"type\":\"string\","
        "\"maxLength\":1}]},\"b\":{\"$ref\":\"#/$defs/n\"},\"op\":{\"oneOf\":[{\"const\":\"+\"},"
        "{\"type\":\"string\",\"minLength\":2}]}},\"$defs\":{\"n\":{\"type\":\"number\",\"minimum\":0}},"
        "\"additionalProperties\":{\"not\":{\"type\":\"null\"}}}",
        /* numbers compared by value, boolean schemas, bounds of both kinds */
        "{\"properties\":{\"a\":{\"enum\":[1,2.5,\"x\",null,true,\"\\u00e9t\\u00e9\"]},\"b\":{\"const\":3},"
        "\"x\":{\"type\":\"integer\",\"maximum\":2.5,\"exclusiveMinimum\":-3},\"y\":false,\"z\":true,"
        "\"op\":{\"type\":\"string\",\"minLength\":2,\"maxLength\":3,\"pattern\":\"^[^+]\"}},"
        "\"required\":[\"\\u00e9t\\u00e9\"],\"additionalProperties\":{\"type\":[\"number\",\"boolean\"],"
        "\"minimum\":-1e300,\"exclusiveMaximum\":100}}",
        /* an ontology's shape: the root names its type by $ref, members theirs
         * (a chain of two), as tools' outputSchemas do */
        "{\"type\":\"object\",\"$ref\":\"#/$defs/r\",\"$defs\":{\"r\":{\"type\":\"object\","
        "\"properties\":{\"sku\":{\"$ref\":\"#/$defs/s\"},\"x\":{\"$ref\":\"#/$defs/p\"},"
        "\"op\":{\"$ref\":\"#/$defs/a\"}},\"required\":[\"sku\",\"x\"],\"additionalProperties\":false},"
        "\"s\":{\"$ref\":\"#/$defs/s2\",\"maxLength\":8},\"s2\":{\"type\":\"string\","
        "\"pattern\":\"^[A-Z]\"},\"p\":{\"type\":\"number\",\"minimum\":0,\"maximum\":1},"
        "\"a\":{\"enum\":[\"+\",\"-\"]}}}",
        /* a root $ref beside members of its own: the value path decides */
        "{\"$ref\":\"#/$defs/r\",\"properties\":{\"a\":{\"type\":\"integer\"}},"
        "\"$defs\":{\"r\":{\"required\":[\"b\"]}}}",
        /* if/then/else on the object and on a member: decided on the values */
        "{\"properties\":{\"op\":{\"if\":{\"type\":\"string\"},\"then\":{\"maxLength\":1}}},"
        "\"if\":{\"required\":[\"a\"]},\"then\":{\"required\":[\"b\"]},\"else\":{\"maxProperties\":2}}",
    };
    static const char *keys[] = {
        "a", "b", "op", "sku", "days", "x", "y", "z", "a/b~c", "\u00e9t\u00e9",
        /* longer than any buffer a key might be copied into */
        "k0123456789012345678901234567890123456789012345678901234567890123456789"
        "0123456789012345678901234567890123456789012345678901234567890123456789",
    };
    static const char *values[] = {
        "1", "-2.5", "0", "1e400", "9007199254740993", "\"+\"", "\"%\"", "\"ABC-12\"",
        "\"abc\"", "\"A\\u0042C-1\"", "\"\"", "true", "false", "null", "3", "99.5", "100",
        "\"\\ud83d\\ude00x\"", "3.0", "1.0", "2.5", "-0", "1E2", "2.5e-3", "-3", "\"x\"",
        "\"\xc3\xa9t\xc3\xa9\"", "\"\\u00e9t\\u00e9\"", "\"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\"",
        "-9223372036854775808", "12345678901234567890",
    };
    unsigned seed = 12345;
    int before = decided_from_text;
    for (size_t si = 0; si < sizeof schemas / sizeof *schemas; si++) {
        wc_schema *compiled = compile_text(schemas[si]);
        if (!compiled)
            continue;
        for (int round = 0; round < 400; round++) {
            char text[1024];
            int n = 0, members = (int)((seed = seed * 1103515245u + 12345u) >> 16) % 5;
            n += sprintf(text + n, "{");
            for (int i = 0; i < members; i++) {
                seed = seed * 1103515245u + 12345u;
                const char *k = keys[(seed >> 16) % (sizeof keys / sizeof *keys)];
                seed = seed * 1103515245u + 12345u;
                const char *val = values[(seed >> 16) % (sizeof values / sizeof *values)];
                n += sprintf(text + n, "%s\"%s\" : %s", i ? ", " : " ", k, val);
            }
            sprintf(text + n, " }");
            json_error_t error;
            json_t *instance = json_loads(text, JSON_REJECT_DUPLICATES, &error);
            if (!instance)
                continue; /* a key twice, or a number jansson refuses */
            wc_error err = {0};
            bool valid = wc_schema_validate(compiled, instance, &err);
            check_text_agrees(compiled, schemas[si], text, valid, err.msg);
            json_decref(instance);
        }
        wc_schema_free(compiled);
    }
    checks++;
    if (decided_from_text - before < 1000) {
        failures++;
        fprintf(stderr, "FAIL the text path decided only %d random instances\n",
                decided_from_text - before);
    }
}

/* A root that names its object type by $ref, and members theirs, are
 * checked from the text, with the value path's verdict and words; a root
 * $ref beside keywords about members, or a combinator behind a member's
 * $ref, is left to the value path. */
static void test_text_refs(void)
{
    wc_schema *named = compile_text(
        "{\"type\":\"object\",\"$ref\":\"#/$defs/t\",\"$defs\":{\"t\":{\"type\":\"object\","
        "\"properties\":{\"sku\":{\"$ref\":\"#/$defs/sku\"},\"p\":{\"$ref\":\"#/$defs/p\"}},"
        "\"required\":[\"sku\"],\"additionalProperties\":false},\"sku\":{\"type\":\"string\","
        "\"pattern\":\"^[A-Z]\"},\"p\":{\"anyOf\":[{\"type\":\"number\"}]}}}");
    static const struct {
        const char *text;
        int verdict;
        const char *msg;
    } cases[] = {
        {"{\"sku\":\"A-1\"}", WC_SCHEMA_VALID, ""},
        {"{\"sku\":\"a-1\"}", WC_SCHEMA_INVALID, "at /sku: does not match pattern \"^[A-Z]\""},
        {"{\"p\":1}", WC_SCHEMA_INVALID, "at /: missing required property \"sku\""},
        {"{\"sku\":\"A\",\"q\":1}", WC_SCHEMA_INVALID,
         "at /: unexpected property \"q\" (additional properties are not allowed)"},
        /* p's $ref leads to an anyOf: its value is built, the rest read */
        {"{\"sku\":\"A\",\"p\":\"x\"}", WC_SCHEMA_INVALID,
         "at /p: matches none of the anyOf alternatives:"},
    };
    for (size_t i = 0; named && i < sizeof cases / sizeof cases[0]; i++) {
        wc_error err = {0};
        int verdict = wc_schema_check_object_text(named, cases[i].text, strlen(cases[i].text),
                                                  NULL, &err);
        checks++;
        if (verdict != cases[i].verdict || strncmp(err.msg, cases[i].msg, strlen(cases[i].msg))) {
            failures++;
            fprintf(stderr, "FAIL root $ref from the text, %s: verdict %d (%s), want %d (%s)\n",
                    cases[i].text, verdict, err.msg, cases[i].verdict, cases[i].msg);
        }
    }
    wc_schema_free(named);

    wc_schema *beside = compile_text(
        "{\"$ref\":\"#/$defs/t\",\"required\":[\"a\"],\"$defs\":{\"t\":{\"type\":\"object\"}}}");
    wc_error err = {0};
    checks++;
    if (!beside || wc_schema_check_object_text(beside, "{}", 2, NULL, &err) != WC_SCHEMA_UNDECIDED) {
        failures++;
        fprintf(stderr, "FAIL a root $ref beside \"required\" was decided from the text\n");
    }
    wc_schema_free(beside);
}

int main(void)
{
    test_types();
    test_objects();
    test_arrays();
    test_values();
    test_numbers();
    test_strings();
    test_combinators();
    test_refs();
    test_text_refs();
    test_refused_schemas();
    test_unbounded_refused();
    test_work_budget();
    test_compile_size();
    test_nesting_limit();
    test_long_messages();
    test_threads();
    test_text_agreement();
    if (failures) {
        fprintf(stderr, "test_schema: %d failure(s)\n", failures);
        return 1;
    }
    printf("test_schema: all %d checks passed\n", checks);
    return 0;
}
