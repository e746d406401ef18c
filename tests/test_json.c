/* test_json.c -- the JSON parser (json/parse.h) and writer (json/text.h).
 *
 * RFC 8259 conformance in the style of the JSONTestSuite (y_ must parse,
 * n_ must not), every error message with its position, integers and reals
 * at their limits (reals bit for bit against strtod), the nesting limit,
 * duplicate keys; the writer byte for byte against json_dumpb; round trips
 * of random values; json_loadb agreement on a corpus, on every truncation of
 * it and on random mutations of it, each parsed from a buffer of exactly its
 * size so that ASan sees any read past the end; and the JSON-RPC reader
 * and writers built on them.
 */
#define _GNU_SOURCE
#include <locale.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json/parse.h"
#include "json/scan.h"
#include "json/text.h"
#include "mcp/jsonrpc.h"
#include "check.h"
#include "json_agreement.h"

/* --- conformance --- */

typedef struct {
    const char *name, *text;
    size_t len; /* 0: strlen */
} json_case;

#define Y(name, text) {name, text, sizeof(text) - 1}

static const json_case accept_cases[] = {
    Y("y_array_arraysWithSpaces", "[[]   ]"),
    Y("y_array_empty", "[]"),
    Y("y_array_empty-string", "[\"\"]"),
    Y("y_array_ending_with_newline", "[\"a\"]\n"),
    Y("y_array_false", "[false]"),
    Y("y_array_heterogeneous", "[null, 1, \"1\", {}]"),
    Y("y_array_null", "[null]"),
    Y("y_array_with_leading_space", " [1]"),
    Y("y_array_with_several_null", "[1,null,null,null,2]"),
    Y("y_array_with_trailing_space", "[2] "),
    Y("y_number", "[123e65]"),
    Y("y_number_0e+1", "[0e+1]"),
    Y("y_number_0e1", "[0e1]"),
    Y("y_number_after_space", "[ 4]"),
    Y("y_number_double_close_to_zero",
      "[-0.000000000000000000000000000000000000000000000000000000000000000000000000000001]"),
    Y("y_number_int_with_exp", "[20e1]"),
    Y("y_number_minus_zero", "[-0]"),
    Y("y_number_negative_int", "[-123]"),
    Y("y_number_negative_one", "[-1]"),
    Y("y_number_negative_zero", "[-0]"),
    Y("y_number_real_capital_e", "[1E22]"),
    Y("y_number_real_capital_e_neg_exp", "[1E-2]"),
    Y("y_number_real_capital_e_pos_exp", "[1E+2]"),
    Y("y_number_real_exponent", "[123e45]"),
    Y("y_number_real_fraction_exponent", "[123.456e78]"),
    Y("y_number_real_neg_exp", "[1e-2]"),
    Y("y_number_real_pos_exponent", "[1e+2]"),
    Y("y_number_real_underflow", "[123e-10000000]"),
    Y("y_number_simple_int", "[123]"),
    Y("y_number_simple_real", "[123.456789]"),
    Y("y_object", "{\"asd\":\"sdf\", \"dfg\":\"fgh\"}"),
    Y("y_object_basic", "{\"asd\":\"sdf\"}"),
    Y("y_object_duplicated_key", "{\"a\":\"b\",\"a\":\"c\"}"),
    Y("y_object_duplicated_key_and_value", "{\"a\":\"b\",\"a\":\"b\"}"),
    Y("y_object_empty", "{}"),
    Y("y_object_empty_key", "{\"\":0}"),
    Y("y_object_escaped_null_in_key", "{\"foo\\u0001bar\": 42}"),
    Y("y_object_extreme_numbers", "{ \"min\": -1.0e+28, \"max\": 1.0e+28 }"),
    Y("y_object_long_strings",
      "{\"x\":[{\"id\": \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}], "
      "\"id\": \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\"}"),
    Y("y_object_simple", "{\"a\":[]}"),
    Y("y_object_string_unicode", "{\"title\":\"\\u041f\\u043e\\u043b\\u0442\\u043e\\u0440\\u0430 "
                                 "\\u0417\\u0435\\u043c\\u043b\\u0435\\u043a\\u043e\\u043f\\u0430\" }"),
    Y("y_object_with_newlines", "{\n\"a\": \"b\"\n}"),
    Y("y_string_1_2_3_bytes_UTF-8_sequences", "[\"\\u0060\\u012a\\u12AB\"]"),
    Y("y_string_accepted_surrogate_pair", "[\"\\uD801\\udc37\"]"),
    Y("y_string_accepted_surrogate_pairs", "[\"\\ud83d\\ude39\\ud83d\\udc8d\"]"),
    Y("y_string_allowed_escapes", "[\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"]"),
    Y("y_string_backslash_and_u_escaped_zero", "[\"\\\\u0000\"]"),
    Y("y_string_backslash_doublequotes", "[\"\\\"\"]"),
    Y("y_string_comments", "[\"a/*b*/c/*d//e\"]"),
    Y("y_string_double_escape_a", "[\"\\\\a\"]"),
    Y("y_string_double_escape_n", "[\"\\\\n\"]"),
    Y("y_string_escaped_control_character", "[\"\\u0012\"]"),
    Y("y_string_escaped_noncharacter", "[\"\\uFFFF\"]"),
    Y("y_string_in_array", "[\"asd\"]"),
    Y("y_string_in_array_with_leading_space", "[ \"asd\"]"),
    Y("y_string_last_surrogates_1_and_2", "[\"\\uDBFF\\uDFFF\"]"),
    Y("y_string_nbsp_uescaped", "[\"new\\u00A0line\"]"),
    Y("y_string_nonCharacterInUTF-8_U+10FFFF", "[\"\xf4\x8f\xbf\xbf\"]"),
    Y("y_string_nonCharacterInUTF-8_U+FFFF", "[\"\xef\xbf\xbf\"]"),
    Y("y_string_one-byte-utf-8", "[\"\\u002c\"]"),
    Y("y_string_pi", "[\"\xcf\x80\"]"),
    Y("y_string_reservedCharacterInUTF-8_U+1BFFF", "[\"\xf0\x9b\xbf\xbf\"]"),
    Y("y_string_simple_ascii", "[\"asd \"]"),
    Y("y_string_space", "\" \""),
    Y("y_string_three-byte-utf-8", "[\"\\u0821\"]"),
    Y("y_string_two-byte-utf-8", "[\"\\u0123\"]"),
    Y("y_string_u+2028_line_sep", "[\"\xe2\x80\xa8\"]"),
    Y("y_string_u+2029_par_sep", "[\"\xe2\x80\xa9\"]"),
    Y("y_string_uEscape", "[\"\\u0061\\u30af\\u30EA\\u30b9\"]"),
    Y("y_string_uescaped_newline", "[\"new\\u000Aline\"]"),
    Y("y_string_unescaped_char_delete", "[\"\x7f\"]"),
    Y("y_string_unicode_2", "[\"\xe2\x8d\x82\xe3\x88\xb4\xe2\x8d\x82\"]"),
    Y("y_string_utf8", "[\"\xe2\x82\xac\xf0\x9d\x84\x9e\"]"),
    Y("y_string_with_del_character", "[\"a\x7f" "a\"]"),
    Y("y_structure_lonely_false", "false"),
    Y("y_structure_lonely_int", "42"),
    Y("y_structure_lonely_negative_real", "-0.1"),
    Y("y_structure_lonely_null", "null"),
    Y("y_structure_lonely_string", "\"asd\""),
    Y("y_structure_lonely_true", "true"),
    Y("y_structure_string_empty", "\"\""),
    Y("y_structure_trailing_newline", "[\"a\"]\n"),
    Y("y_structure_true_in_array", "[true]"),
    Y("y_structure_whitespace_array", " [] "),
    Y("y_long_string_with_escapes", "\"0123456789abcdef0123456789abcdef\\n0123456789abcdef\\u00e9"
                                    "0123456789abcdef\xc3\xa9\""),
    Y("y_int64_max", "9223372036854775807"),
    Y("y_int64_min", "-9223372036854775808"),
};

static const json_case reject_cases[] = {
    Y("n_array_1_true_without_comma", "[1 true]"),
    Y("n_array_a_invalid_utf8", "[a\xe5]"),
    Y("n_array_colon_instead_of_comma", "[\"\": 1]"),
    Y("n_array_comma_after_close", "[\"\"],"),
    Y("n_array_comma_and_number", "[,1]"),
    Y("n_array_double_comma", "[1,,2]"),
    Y("n_array_double_extra_comma", "[\"x\",,]"),
    Y("n_array_extra_close", "[\"x\"]]"),
    Y("n_array_extra_comma", "[\"\",]"),
    Y("n_array_incomplete", "[\"x\""),
    Y("n_array_incomplete_invalid_value", "[x"),
    Y("n_array_inner_array_no_comma", "[3[4]]"),
    Y("n_array_invalid_utf8", "[\xff]"),
    Y("n_array_items_separated_by_semicolon", "[1:2]"),
    Y("n_array_just_comma", "[,]"),
    Y("n_array_just_minus", "[-]"),
    Y("n_array_missing_value", "[   , \"\"]"),
    Y("n_array_newlines_unclosed", "[\"a\",\n4\n,1,"),
    Y("n_array_number_and_comma", "[1,]"),
    Y("n_array_number_and_several_commas", "[1,,]"),
    Y("n_array_spaces_vertical_tab_formfeed", "[\"\x0b" "a\"\\f]"),
    Y("n_array_star_inside", "[*]"),
    Y("n_array_unclosed", "[\"\""),
    Y("n_array_unclosed_trailing_comma", "[1,"),
    Y("n_array_unclosed_with_new_lines", "[1,\n1\n,1"),
    Y("n_array_unclosed_with_object_inside", "[{}"),
    Y("n_incomplete_false", "[fals]"),
    Y("n_incomplete_null", "[nul]"),
    Y("n_incomplete_true", "[tru]"),
    Y("n_number_++", "[++1234]"),
    Y("n_number_+1", "[+1]"),
    Y("n_number_+Inf", "[+Inf]"),
    Y("n_number_-01", "[-01]"),
    Y("n_number_-1.0.", "[-1.0.]"),
    Y("n_number_-2.", "[-2.]"),
    Y("n_number_-NaN", "[-NaN]"),
    Y("n_number_.-1", "[.-1]"),
    Y("n_number_.2e-3", "[.2e-3]"),
    Y("n_number_0.1.2", "[0.1.2]"),
    Y("n_number_0.3e+", "[0.3e+]"),
    Y("n_number_0.3e", "[0.3e]"),
    Y("n_number_0.e1", "[0.e1]"),
    Y("n_number_0_capital_E+", "[0E+]"),
    Y("n_number_0_capital_E", "[0E]"),
    Y("n_number_0e+", "[0e+]"),
    Y("n_number_0e", "[0e]"),
    Y("n_number_1.0e+", "[1.0e+]"),
    Y("n_number_1.0e-", "[1.0e-]"),
    Y("n_number_1.0e", "[1.0e]"),
    Y("n_number_1_000", "[1 000.0]"),
    Y("n_number_1eE2", "[1eE2]"),
    Y("n_number_2.e+3", "[2.e+3]"),
    Y("n_number_9.e+", "[9.e+]"),
    Y("n_number_Inf", "[Inf]"),
    Y("n_number_NaN", "[NaN]"),
    Y("n_number_U+FF11_fullwidth_digit_one", "[\xef\xbc\x91]"),
    Y("n_number_expression", "[1+2]"),
    Y("n_number_hex_1_digit", "[0x1]"),
    Y("n_number_hex_2_digits", "[0x42]"),
    Y("n_number_infinity", "[Infinity]"),
    Y("n_number_invalid+-", "[0e+-1]"),
    Y("n_number_invalid-negative-real", "[-123.123foo]"),
    Y("n_number_minus_infinity", "[-Infinity]"),
    Y("n_number_minus_sign_with_trailing_garbage", "[-foo]"),
    Y("n_number_minus_space_1", "[- 1]"),
    Y("n_number_neg_int_starting_with_zero", "[-012]"),
    Y("n_number_neg_real_without_int_part", "[-.123]"),
    Y("n_number_neg_with_garbage_at_end", "[-1x]"),
    Y("n_number_real_garbage_after_e", "[1ea]"),
    Y("n_number_real_without_fractional_part", "[1.]"),
    Y("n_number_starting_with_dot", "[.123]"),
    Y("n_number_with_alpha", "[1.2a-3]"),
    Y("n_number_with_alpha_char", "[1.8011670033376514H-308]"),
    Y("n_number_with_leading_zero", "[012]"),
    Y("n_number_too_big_int", "[9223372036854775808]"),
    Y("n_number_too_big_neg_int", "[-9223372036854775809]"),
    Y("n_number_huge_int", "[100000000000000000000000000000]"),
    Y("n_number_real_overflow", "[1.5e999]"),
    Y("n_object_bad_value", "[\"x\", truth]"),
    Y("n_object_bracket_key", "{[: \"x\"}"),
    Y("n_object_comma_instead_of_colon", "{\"x\", null}"),
    Y("n_object_double_colon", "{\"x\"::\"b\"}"),
    Y("n_object_garbage_at_end", "{\"a\":\"a\" 123}"),
    Y("n_object_key_with_single_quotes", "{key: 'value'}"),
    Y("n_object_missing_colon", "{\"a\" b}"),
    Y("n_object_missing_key", "{:\"b\"}"),
    Y("n_object_missing_semicolon", "{\"a\" \"b\"}"),
    Y("n_object_missing_value", "{\"a\":"),
    Y("n_object_no-colon", "{\"a\""),
    Y("n_object_non_string_key", "{1:1}"),
    Y("n_object_repeated_null_null", "{null:null,null:null}"),
    Y("n_object_several_trailing_commas", "{\"id\":0,,,,,}"),
    Y("n_object_single_quote", "{'a':0}"),
    Y("n_object_trailing_comma", "{\"id\":0,}"),
    Y("n_object_trailing_comment", "{\"a\":\"b\"}/**/"),
    Y("n_object_two_commas_in_a_row", "{\"a\":\"b\",,\"c\":\"d\"}"),
    Y("n_object_unquoted_key", "{a: \"b\"}"),
    Y("n_object_with_single_string", "{ \"foo\" : \"bar\", \"a\" }"),
    Y("n_object_with_trailing_garbage", "{\"a\":\"b\"}#"),
    Y("n_single_space", " "),
    Y("n_string_1_surrogate_then_escape", "[\"\\uD800\\\"]"),
    Y("n_string_1_surrogate_then_escape_u", "[\"\\uD800\\u\"]"),
    Y("n_string_1_surrogate_then_escape_u1", "[\"\\uD800\\u1\"]"),
    Y("n_string_1_surrogate_then_escape_u1x", "[\"\\uD800\\u1x\"]"),
    Y("n_string_accentuated_char_no_quotes", "[\xc3\xa9]"),
    Y("n_string_backslash_00", "[\"\\\x00\"]"),
    Y("n_string_escape_x", "[\"\\x00\"]"),
    Y("n_string_escaped_backslash_bad", "[\"\\\\\\\"]"),
    Y("n_string_escaped_ctrl_char_tab", "[\"\\\t\"]"),
    Y("n_string_escaped_emoji", "[\"\\\xf0\x9f\x8c\x80\"]"),
    Y("n_string_incomplete_escape", "[\"\\\"]"),
    Y("n_string_incomplete_escaped_character", "[\"\\u00A\"]"),
    Y("n_string_incomplete_surrogate", "[\"\\uD834\\uDd\"]"),
    Y("n_string_incomplete_surrogate_escape_invalid", "[\"\\uD800\\uD800\\x\"]"),
    Y("n_string_invalid-utf-8-in-escape", "[\"\\u\xe5\"]"),
    Y("n_string_invalid_backslash_esc", "[\"\\a\"]"),
    Y("n_string_invalid_unicode_escape", "[\"\\uqqqq\"]"),
    Y("n_string_invalid_utf8_after_escape", "[\"\\\xe5\"]"),
    Y("n_string_leading_uescaped_thinspace", "[\\u0020\"asd\"]"),
    Y("n_string_no_quotes_with_bad_escape", "[\\n]"),
    Y("n_string_single_doublequote", "\""),
    Y("n_string_single_quote", "['single quote']"),
    Y("n_string_single_string_no_double_quotes", "abc"),
    Y("n_string_start_escape_unclosed", "[\"\\"),
    Y("n_string_unescaped_ctrl_char", "[\"a\x00" "a\"]"),
    Y("n_string_unescaped_newline", "[\"new\nline\"]"),
    Y("n_string_unescaped_tab", "[\"\t\"]"),
    Y("n_string_unicode_CapitalU", "\"\\UA66D\""),
    Y("n_string_with_trailing_garbage", "\"\"x"),
    Y("n_string_escaped_nul", "[\"\\u0000\"]"),
    Y("n_string_lone_high_surrogate", "[\"\\uD800\"]"),
    Y("n_string_lone_low_surrogate", "[\"\\uDC00\"]"),
    Y("n_string_high_then_high", "[\"\\uD800\\uD800\"]"),
    Y("n_string_utf8_overlong_2", "[\"\xc0\xaf\"]"),
    Y("n_string_utf8_overlong_3", "[\"\xe0\x80\xaf\"]"),
    Y("n_string_utf8_overlong_4", "[\"\xf0\x80\x80\xaf\"]"),
    Y("n_string_utf8_surrogate", "[\"\xed\xa0\x80\"]"),
    Y("n_string_utf8_above_10FFFF", "[\"\xf4\x90\x80\x80\"]"),
    Y("n_string_utf8_f5", "[\"\xf5\x80\x80\x80\"]"),
    Y("n_string_utf8_lone_continuation", "[\"\x80\"]"),
    Y("n_string_utf8_truncated", "[\"\xe2\x82\"]"),
    Y("n_string_utf8_truncated_at_end", "\"\xe2\x82"),
    Y("n_structure_angle_bracket_.", "<.>"),
    Y("n_structure_array_trailing_garbage", "[1]x"),
    Y("n_structure_array_with_extra_array_close", "[1]]"),
    Y("n_structure_ascii-unicode-identifier", "a\xc3\xa5"),
    Y("n_structure_capitalized_True", "[True]"),
    Y("n_structure_close_unopened_array", "1]"),
    Y("n_structure_comma_instead_of_closing_brace", "{\"x\": true,"),
    Y("n_structure_double_array", "[][]"),
    Y("n_structure_end_array", "]"),
    Y("n_structure_incomplete_UTF8_BOM", "\xef\xbb{}"),
    Y("n_structure_lone-open-bracket", "["),
    Y("n_structure_no_data", ""),
    Y("n_structure_null-byte-outside-string", "[\x00]"),
    Y("n_structure_number_with_trailing_garbage", "2@"),
    Y("n_structure_object_followed_by_closing_object", "{}}"),
    Y("n_structure_object_unclosed_no_value", "{\"\":"),
    Y("n_structure_object_with_comment", "{\"a\":/*comment*/\"b\"}"),
    Y("n_structure_object_with_trailing_garbage", "{\"a\": true} \"x\""),
    Y("n_structure_open_array_apostrophe", "['"),
    Y("n_structure_open_array_comma", "[,"),
    Y("n_structure_open_object", "{"),
    Y("n_structure_open_object_close_array", "{]"),
    Y("n_structure_open_object_comma", "{,"),
    Y("n_structure_open_object_open_array", "{["),
    Y("n_structure_open_object_string_with_apostrophes", "{'a'"),
    Y("n_structure_single_star", "*"),
    Y("n_structure_trailing_#", "{\"a\":\"b\"}#{}"),
    Y("n_structure_uescaped_LF_before_string", "[\\u000A\"\"]"),
    Y("n_structure_unclosed_array", "[1"),
    Y("n_structure_unclosed_object", "{\"asd\":\"asd\""),
    Y("n_structure_unicode-identifier", "\xc3\xa5"),
    Y("n_structure_UTF8_BOM_no_data", "\xef\xbb\xbf"),
    Y("n_structure_utf8_BOM_then_value", "\xef\xbb\xbf[]"),
    Y("n_structure_whitespace_formfeed", "[\f]"),
    Y("n_structure_whitespace_U+2060_word_joiner", "[\xe2\x81\xa0]"),
    Y("n_structure_nul_after_value", "[]\x00"),
};

static void test_conformance(void)
{
    for (size_t i = 0; i < sizeof accept_cases / sizeof *accept_cases; i++) {
        const json_case *c = &accept_cases[i];
        wc_json_error err;
        json_t *v = parse_exact(c->text, c->len, 0, &err);
        json_t *j = jansson_parse(c->text, c->len, 0);
        CHECK(v != NULL, "%s refused: %s (at %zu)", c->name, err.text, err.position);
        CHECK(j != NULL, "%s: jansson refuses it (test bug)", c->name);
        CHECK(!v || !j || same(v, j), "%s: differs from json_loadb", c->name);
        json_decref(v);
        json_decref(j);
    }
    for (size_t i = 0; i < sizeof reject_cases / sizeof *reject_cases; i++) {
        const json_case *c = &reject_cases[i];
        wc_json_error err;
        json_t *v = parse_exact(c->text, c->len, 0, &err);
        json_t *j = jansson_parse(c->text, c->len, 0);
        CHECK(v == NULL, "%s accepted", c->name);
        CHECK(j == NULL, "%s: jansson accepts it (test bug)", c->name);
        CHECK(!v && err.text[0] && err.position <= c->len && err.line >= 1 && err.column >= 1,
              "%s: no proper error (\"%s\" at %zu)", c->name, err.text, err.position);
        json_decref(v);
        json_decref(j);
    }
}

/* --- errors and their positions --- */

typedef struct {
    const char *text;
    size_t len; /* 0: strlen */
    unsigned flags;
    size_t position;
    int line, column;
    const char *message;
} error_case;

static const error_case error_cases[] = {
    {"", 0, 0, 0, 1, 1, "a value expected near end of input"},
    {"  \n ", 0, 0, 4, 2, 2, "a value expected near end of input"},
    {"[1,]", 0, 0, 3, 1, 4, "a value expected near ']'"},
    {"{\"a\":1,}", 0, 0, 7, 1, 8, "string (a key) expected near '}'"},
    {"{,}", 0, 0, 1, 1, 2, "string or '}' expected near ','"},
    {"{\"a\" 1}", 0, 0, 5, 1, 6, "':' expected near '1'"},
    {"[1 2]", 0, 0, 3, 1, 4, "',' or ']' expected near '2'"},
    {"{\"a\":1 \"b\":2}", 0, 0, 7, 1, 8, "',' or '}' expected near '\"b\"'"},
    {"tru", 0, 0, 0, 1, 1, "invalid literal near 'tru'"},
    {"[truex]", 0, 0, 1, 1, 2, "invalid literal near 'truex'"},
    {"nul", 0, 0, 0, 1, 1, "invalid literal near 'nul'"},
    {"[01]", 0, 0, 1, 1, 2, "invalid number near '01'"},
    {"1.", 0, 0, 0, 1, 1, "invalid number near '1.'"},
    {"-", 0, 0, 0, 1, 1, "invalid number near '-'"},
    {".5", 0, 0, 0, 1, 1, "a value expected near '.5'"},
    {"1e", 0, 0, 0, 1, 1, "invalid number near '1e'"},
    {"9223372036854775808", 0, 0, 0, 1, 1, "too big integer near '9223372036854775808'"},
    {"[-9223372036854775809]", 0, 0, 1, 1, 2,
     "too big negative integer near '-9223372036854775809'"},
    {"1e400", 0, 0, 0, 1, 1, "real number overflow near '1e400'"},
    {"\"abc", 0, 0, 0, 1, 1, "premature end of input in string near '\"abc'"},
    {"\"a\x01\"", 0, 0, 2, 1, 3, "control character 0x01 in string (it must be escaped) near "
                                 "'\\x01\"'"},
    {"[\"a\xff\"]", 0, 0, 3, 1, 4, "invalid UTF-8 byte 0xff in string near '\\xff\"'"},
    {"\"\\q\"", 0, 0, 1, 1, 2, "invalid escape near '\\q\"'"},
    {"\"\\u12\"", 0, 0, 1, 1, 2, "invalid \\u escape (4 hex digits expected) near '\\u12\"'"},
    {"\"\\u0000\"", 0, 0, 1, 1, 2, "\\u0000 is not allowed in a string near '\\u0000\"'"},
    {"\"\\ud800x\"", 0, 0, 1, 1, 2,
     "invalid Unicode escape: a high surrogate without a low one near '\\ud800x\"'"},
    {"\"\\udc00\"", 0, 0, 1, 1, 2,
     "invalid Unicode escape: a low surrogate without a high one near '\\udc00\"'"},
    {"[1] x", 0, 0, 4, 1, 5, "end of input expected after the value near 'x'"},
    {"{\"a\":1,\"a\":2}", 0, WC_JSON_REJECT_DUPLICATES, 7, 1, 8,
     "duplicate object key near '\"a\"'"},
    {"\n\n  ]", 0, 0, 4, 3, 3, "a value expected near ']'"},
    {"[\"ok\",\n \"\xc0\x80\"]", 0, 0, 9, 2, 3, "invalid UTF-8 byte 0xc0 in string near "
                                               "'\\xc0\\x80\"'"},
    {"[1,\x00]", 5, 0, 3, 1, 4, "a value expected near '\\x00'"},
    {"{\"k\":[1,2,{\"deep\":[true,falsy]}]}", 0, 0, 24, 1, 25, "invalid literal near 'falsy'"},
    {"\"0123456789012345678901234567890", 0, 0, 0, 1, 1,
     "premature end of input in string near '\"0123456789012345678...'"},
};

static void test_errors(void)
{
    for (size_t i = 0; i < sizeof error_cases / sizeof *error_cases; i++) {
        const error_case *c = &error_cases[i];
        size_t len = c->len ? c->len : strlen(c->text);
        wc_json_error err;
        json_t *v = parse_exact(c->text, len, c->flags, &err);
        CHECK(v == NULL, "error case %zu accepted", i);
        json_decref(v);
        if (v)
            continue;
        CHECK(strcmp(err.text, c->message) == 0, "error case %zu: message\n  got:  %s\n  want: %s", i,
              err.text, c->message);
        CHECK(err.position == c->position && err.line == c->line && err.column == c->column,
              "error case %zu (%s): at %zu (line %d, column %d), want %zu (%d, %d)", i, err.text,
              err.position, err.line, err.column, c->position, c->line, c->column);
    }
    /* err may be NULL */
    CHECK(wc_json_parse("[", 1, 0, NULL) == NULL, "'[' with err NULL accepted");
    /* an error message reaches a client as UTF-8 text: it stays ASCII */
    wc_json_error err;
    json_t *v = parse_exact("[\"\xe2\x82\xac\x01\"]", 7, 0, &err);
    bool ascii = true;
    for (const char *p = err.text; *p; p++)
        ascii = ascii && (unsigned char)*p < 0x80;
    CHECK(!v && ascii, "non-ASCII in error message: %s", err.text);
}

/* --- numbers --- */

static void test_integers(void)
{
    static const struct {
        const char *text;
        json_int_t value;
    } ints[] = {
        {"0", 0},
        {"-0", 0},
        {"7", 7},
        {"-7", -7},
        {"1234567890123456789", 1234567890123456789LL},
        {"9223372036854775807", INT64_MAX},
        {"-9223372036854775807", -INT64_MAX},
        {"-9223372036854775808", INT64_MIN},
        {"9999999999999999", 9999999999999999LL},
    };
    for (size_t i = 0; i < sizeof ints / sizeof *ints; i++) {
        wc_json_error err;
        json_t *v = parse_exact(ints[i].text, strlen(ints[i].text), 0, &err);
        CHECK(json_is_integer(v) && json_integer_value(v) == ints[i].value, "%s: got %s",
              ints[i].text, v ? "another value" : err.text);
        json_decref(v);
    }
    static const char *too_big[] = {
        "9223372036854775808", "-9223372036854775809", "18446744073709551615",
        "18446744073709551616", "99999999999999999999", "-100000000000000000000000",
    };
    for (size_t i = 0; i < sizeof too_big / sizeof *too_big; i++) {
        wc_json_error err;
        json_t *v = parse_exact(too_big[i], strlen(too_big[i]), 0, &err);
        CHECK(!v && strstr(err.text, "too big") && err.position == 0, "%s: %s", too_big[i],
              v ? "accepted" : err.text);
        json_decref(v);
    }
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

static size_t rnd_below(size_t n)
{
    return n ? (size_t)(rnd() % n) : 0;
}

/* Our real must be strtod's bit for bit (strtod: C locale, correct rounding). */
static void check_real(const char *text)
{
    size_t len = strlen(text);
    wc_json_error err;
    json_t *v = parse_exact(text, len, 0, &err);
    static locale_t c_locale;
    if (!c_locale)
        c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    double want = strtod_l(text, NULL, c_locale);
    if (isinf(want)) {
        CHECK(!v && strstr(err.text, "overflow"), "%s: want an overflow error", text);
    } else {
        double got = v && json_is_real(v) ? json_real_value(v) : NAN;
        CHECK(memcmp(&got, &want, sizeof got) == 0, "%s: got %.17g (%s), want %.17g", text, got,
              v ? "" : err.text, want);
    }
    json_decref(v);
}

static void test_reals(void)
{
    static const char *reals[] = {
        "0.0", "-0.0", "0e0", "-0e-5", "1.0", "0.1", "0.2", "0.3", "1e22", "1e23", "1e-22",
        "1e-23", "9007199254740993.0", "9007199254740992.5", "2.2250738585072011e-308",
        "2.2250738585072012e-308", "4.9e-324", "2.4703282292062327e-324",
        "2.4703282292062328e-324", "1.7976931348623157e308", "1.7976931348623158e308",
        "1.7976931348623159e308", "1e309", "-1e309", "123456789012345678901234567890.5",
        "0.000000000000000000000000000000000000000000001", "3.141592653589793238462643383279",
        "1e-400", "-1e-400", "5e-324", "1.5", "-2.5e-3", "6.02214076e23", "1E+2", "12.34e-1",
        "0.30000000000000004", "100000000000000000000000.0", "1.00000000000000011102230246251565",
        "1.00000000000000011102230246251566", "9999999999999999999.0", "18446744073709551616.0",
        "7.2057594037927933e16", "1e-0", "1e+0", "1.000000000000000000000000000000000001",
    };
    for (size_t i = 0; i < sizeof reals / sizeof *reals; i++)
        check_real(reals[i]);
    /* random decimal texts: up to 25 digits, a point somewhere, an exponent */
    for (int i = 0; i < 30000; i++) {
        char text[64];
        size_t n = 0;
        if (rnd() & 1)
            text[n++] = '-';
        size_t digits = 1 + rnd_below(25), point = rnd_below(digits);
        for (size_t d = 0; d < digits; d++) {
            text[n++] = (char)(d == 0 && digits > 1 && point > 0 ? '1' + rnd_below(9)
                                                                : '0' + rnd_below(10));
            if (d == point && d + 1 < digits)
                text[n++] = '.';
        }
        if (!memchr(text, '.', n) || rnd() % 3 == 0)
            n += (size_t)snprintf(text + n, sizeof text - n, "e%d",
                                  (int)rnd_below(700) - 350);
        text[n] = 0;
        check_real(text);
    }
    /* random doubles written as %.17g read back exactly */
    for (int i = 0; i < 20000; i++) {
        uint64_t bits = rnd();
        double d;
        memcpy(&d, &bits, sizeof d);
        if (!isfinite(d))
            continue;
        char text[40];
        snprintf(text, sizeof text, "%.17g", d);
        if (!strpbrk(text, ".e"))
            strcat(text, ".0");
        check_real(text);
    }
}

/* --- depth, duplicates, UTF-8 helper --- */

static void test_depth(void)
{
    const size_t max = WC_JSON_MAX_DEPTH;
    char *text = malloc(5 * (max + 1) + 16);
    for (int kind = 0; kind < 2; kind++) {
        /* max nested arrays, or objects {"":{"":...}} */
        for (size_t extra = 0; extra < 2; extra++) {
            size_t depth = max + extra, n = 0;
            for (size_t i = 0; i < depth; i++) {
                if (kind == 0) {
                    text[n++] = '[';
                } else {
                    memcpy(text + n, "{\"\":", 4);
                    n += 4;
                }
            }
            if (kind == 1) {
                memcpy(text + n, "1", 1);
                n += 1;
            }
            for (size_t i = 0; i < depth; i++)
                text[n++] = kind == 0 ? ']' : '}';
            wc_json_error err;
            json_t *v = parse_exact(text, n, 0, &err);
            json_t *j = jansson_parse(text, n, 0);
            if (extra == 0) {
                CHECK(v != NULL, "depth %zu refused: %s", depth, err.text);
                /* jansson counts the 1 in {"":{"":...1}} as a level too */
                CHECK(kind == 1 || j != NULL, "depth %zu: jansson refuses it", depth);
                size_t tl = 0;
                char *t = v ? text_of(v, &tl) : NULL;
                CHECK(t && tl == n && memcmp(t, text, n) == 0, "depth %zu: not written back",
                      depth);
                free(t);
            } else {
                size_t want = kind == 0 ? max : 4 * max;
                CHECK(!v && strstr(err.text, "maximum nesting depth (2048) exceeded") &&
                          err.position == want,
                      "depth %zu: %s at %zu", depth, v ? "accepted" : err.text,
                      v ? 0 : err.position);
                CHECK(j == NULL, "depth %zu: jansson accepts it", depth);
            }
            json_decref(v);
            json_decref(j);
        }
    }
    /* a part of a larger text (max_depth counts the levels around it), read
     * as a value followed by more: 5 levels taken with a limit of 5, 6 not,
     * by every mode that builds or checks */
    for (size_t depth = 5; depth <= 6; depth++) {
        size_t n = 0;
        for (size_t i = 0; i < depth; i++)
            text[n++] = '[';
        for (size_t i = 0; i < depth; i++)
            text[n++] = ']';
        memcpy(text + n, ",]", 2);
        for (int mode = 0; mode < 2; mode++) {
            size_t value_end = 0;
            wc_json_options o = {.max_depth = 5, .value_end = &value_end, .check_only = mode};
            wc_json_error err;
            json_t *v = wc_json_parse_with(text, n + 2, &o, &err);
            if (depth == 5)
                CHECK(v && value_end == n, "max_depth 5: %zu levels refused (%s)", depth,
                      v ? "" : err.text);
            else
                CHECK(!v && err.position == 5, "max_depth 5: %zu levels accepted", depth);
            if (v != json_true())
                json_decref(v);
        }
    }
    free(text);
    /* the writer refuses what the parser would refuse */
    json_t *root = json_array(), *inner = root;
    for (size_t i = 1; i < max; i++) {
        json_t *a = json_array();
        json_array_append_new(inner, a);
        inner = a;
    }
    wc_buf b;
    wc_buf_init(&b);
    CHECK(wc_json_text(root, &b) == 0, "writer refuses %zu nested arrays", max);
    json_array_append_new(inner, json_array());
    b.len = 0;
    CHECK(wc_json_text(root, &b) == WC_EINVAL, "writer accepts %zu nested arrays", max + 1);
    wc_buf_free(&b);
    json_decref(root);
}

static void test_duplicates(void)
{
    const char *text = "{\"a\":1,\"b\":[1],\"a\":{\"x\":2},\"b\":[3]}";
    wc_json_error err;
    json_t *v = parse_exact(text, strlen(text), 0, &err);
    json_t *j = jansson_parse(text, strlen(text), 0);
    CHECK(v && j && same(v, j), "duplicates: not as json_loadb");
    CHECK(v && json_object_size(v) == 2 &&
              json_integer_value(json_object_get(json_object_get(v, "a"), "x")) == 2 &&
              json_integer_value(json_array_get(json_object_get(v, "b"), 0)) == 3,
          "duplicates: the last one must win");
    /* and keeps the first one's place */
    void *it = v ? json_object_iter(v) : NULL;
    CHECK(it && strcmp(json_object_iter_key(it), "a") == 0, "duplicates: order changed");
    json_decref(v);
    json_decref(j);
    v = parse_exact(text, strlen(text), WC_JSON_REJECT_DUPLICATES, &err);
    CHECK(!v && strstr(err.text, "duplicate object key") && err.position == 15,
          "duplicates rejected: %s at %zu", v ? "accepted" : err.text, err.position);
    json_decref(v);
    /* the same key in different objects is no duplicate */
    const char *ok = "{\"a\":{\"a\":1},\"b\":{\"a\":2,\"b\":3}}";
    v = parse_exact(ok, strlen(ok), WC_JSON_REJECT_DUPLICATES, &err);
    CHECK(v != NULL, "no duplicates refused: %s", err.text);
    json_decref(v);
    /* escaped and raw spellings of one key are duplicates */
    const char *esc = "{\"ab\":1,\"a\\u0062\":2}";
    v = parse_exact(esc, strlen(esc), WC_JSON_REJECT_DUPLICATES, &err);
    CHECK(!v && err.position == 8, "escaped duplicate: %s", v ? "accepted" : err.text);
    json_decref(v);
}

static void test_utf8_prefix(void)
{
    static const struct {
        const char *s;
        size_t len, want;
    } cases[] = {
        {"", 0, 0},
        {"abc", 3, 3},
        {"\xc3\xa9t\xc3\xa9", 5, 5},
        {"a\xff", 2, 1},
        {"ab\xc3", 3, 2},
        {"\xe2\x82\xac\xf0\x9d\x84\x9e", 7, 7},
        {"x\xed\xa0\x80", 4, 1},
        {"\xf4\x90\x80\x80", 4, 0},
        {"ok\xc0\xaf", 4, 2},
        {"a\0b", 3, 3},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        size_t got = wc_json_utf8_valid_prefix(cases[i].s, cases[i].len);
        CHECK(got == cases[i].want, "utf8 prefix %zu: %zu, want %zu", i, got, cases[i].want);
    }
}

/* --- the writer --- */

static void test_writer(void)
{
    json_t *v = json_pack("{s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f,s:f}", "one", 1.0, "big", 1e20,
                          "small", 1.5e-7, "neg", -0.0, "tenth", 0.1, "max", 1.7976931348623157e308,
                          "min", 5e-324, "third", 1.0 / 3, "int", 123456789.0);
    check_text(v, "reals");
    /* the edges of the writer's fast path for reals */
    static const double edges[] = {
        0.5, 0.25, 21.5, 12.25, 0.0001220703125, 6.103515625e-05, 1e-4, 9.999e-5,
        9007199254740992.0, 9007199254740993.0, 72057594037927936.0, 99999999999999984.0,
        1e17, 144115188075855872.0, 0.1, 1e16 + 0.5, 123456.75, 1.0 / 1024, 1.0 / (1 << 30),
        -3.75, 4503599627370495.5, 2251799813685247.75, 0.30000000000000004, -0.0, 0.0,
        1e15 + 0.125, 1e14 + 0.0625, 98765.4321,
    };
    for (size_t i = 0; i < sizeof edges / sizeof *edges; i++) {
        json_t *r = json_real(edges[i]);
        char what[48];
        snprintf(what, sizeof what, "real %.17g", edges[i]);
        check_text(r, what);
        json_decref(r);
    }
    for (int i = 0; i < 100000; i++) {
        /* all magnitudes around the fixed-notation range 1e-4 .. 1e17 */
        uint64_t bits = (rnd() >> 12) | (uint64_t)(1023 - 16 + rnd_below(16 + 60)) << 52;
        double d;
        memcpy(&d, &bits, sizeof d);
        if (rnd() & 1)
            d = (double)(rnd() % 100000000) / pow(10, (double)rnd_below(12));
        json_t *r = json_real(rnd() & 1 ? d : -d);
        char what[48];
        snprintf(what, sizeof what, "real %.17g", d);
        check_text(r, what);
        json_decref(r);
    }
    for (int i = 0; i < 20000; i++) {
        /* dyadic values: integers over powers of two */
        double d = ldexp((double)(int64_t)(rnd() >> rnd_below(64)) * (rnd() & 1 ? 1 : -1),
                         -(int)rnd_below(70));
        json_t *r = json_real(d);
        char what[48];
        snprintf(what, sizeof what, "real %.17g", d);
        check_text(r, what);
        json_decref(r);
    }
    size_t n = 0;
    char *t = text_of(v, &n);
    CHECK(t && strstr(t, "\"one\":1.0,") && strstr(t, "\"big\":1e20,") &&
              strstr(t, "\"neg\":-0.0,") && strstr(t, "\"min\":4.9406564584124654e-324"),
          "real format: %s", t ? t : "(failed)");
    free(t);
    json_decref(v);

    v = json_pack("[s,s,s,s#,i,I,I,b,b,n,{},[]]", "", "a\"b\\c/d", "\x01\x1f\x7f\t\n\r\b\f",
                  "nul\0in", (int)6, -5, (json_int_t)INT64_MIN, (json_int_t)INT64_MAX, 1, 0);
    check_text(v, "scalars");
    json_decref(v);

    /* long strings take the 8-at-a-time path, escapes anywhere in them */
    char s[300];
    for (size_t i = 0; i < sizeof s - 1; i++)
        s[i] = "abcdefgh\xc3\xa9\"\\\n\x01xyz"[i % 15];
    s[sizeof s - 1] = 0;
    v = json_string(s);
    check_text(v, "long string");
    json_decref(v);

    /* appending: wc_json_text adds to what the buffer holds */
    wc_buf b;
    wc_buf_init(&b);
    wc_buf_str(&b, "x=");
    v = json_pack("{s:[i,s]}", "k", 1, "v");
    CHECK(wc_json_text(v, &b) == 0 && wc_buf_cstr(&b) && strcmp((char *)b.data, "x={\"k\":[1,\"v\"]}") == 0,
          "append: %s", b.data ? (char *)b.data : "(null)");
    wc_buf_free(&b);
    CHECK(wc_json_text(NULL, &b) == WC_EINVAL, "NULL value written");
    wc_buf_free(&b);

    /* a sink that cannot grow past 10 bytes fails, and says so */
    char small[10];
    wc_json_sink sink = {.data = small, .cap = sizeof small};
    CHECK(wc_json_write(&sink, v) == WC_ENOMEM && sink.failed && sink.len <= sizeof small,
          "full sink: rc ok, len %zu", sink.len);
    sink = (wc_json_sink){.data = small, .cap = sizeof small};
    CHECK(wc_json_write_string(&sink, "abc", 3) == 0 && sink.len == 5 &&
              memcmp(small, "\"abc\"", 5) == 0,
          "string into a small sink");
    json_decref(v);
}

/* --- random values --- */

static void rnd_utf8(wc_buf *b, size_t max)
{
    size_t n = rnd_below(max + 1);
    for (size_t i = 0; i < n; i++) {
        unsigned cp;
        switch (rnd_below(8)) {
        case 0: cp = (unsigned)rnd_below(0x20); break;                 /* control */
        case 1: cp = "\"\\/"[rnd_below(3)]; break;
        case 2: cp = 0x80 + (unsigned)rnd_below(0x780); break;         /* 2 bytes */
        case 3:
            cp = 0x800 + (unsigned)rnd_below(0xf800);                  /* 3 bytes */
            if (cp >= 0xd800 && cp <= 0xdfff)
                cp = 0xfffd;
            break;
        case 4: cp = 0x10000 + (unsigned)rnd_below(0x100000); break;   /* 4 bytes */
        default: cp = 0x20 + (unsigned)rnd_below(0x5f); break;         /* ASCII */
        }
        if (cp == 0)
            cp = 1;
        char out[4];
        size_t k;
        if (cp < 0x80)
            out[0] = (char)cp, k = 1;
        else if (cp < 0x800)
            out[0] = (char)(0xc0 | cp >> 6), out[1] = (char)(0x80 | (cp & 0x3f)), k = 2;
        else if (cp < 0x10000)
            out[0] = (char)(0xe0 | cp >> 12), out[1] = (char)(0x80 | (cp >> 6 & 0x3f)),
            out[2] = (char)(0x80 | (cp & 0x3f)), k = 3;
        else
            out[0] = (char)(0xf0 | cp >> 18), out[1] = (char)(0x80 | (cp >> 12 & 0x3f)),
            out[2] = (char)(0x80 | (cp >> 6 & 0x3f)), out[3] = (char)(0x80 | (cp & 0x3f)), k = 4;
        wc_buf_append(b, out, k);
    }
}

static json_t *rnd_value(int depth)
{
    size_t kind = rnd_below(depth > 5 ? 6 : 9);
    switch (kind) {
    case 0: return json_null();
    case 1: return json_boolean(rnd() & 1);
    case 2: {
        static const json_int_t edges[] = {0, 1, -1, INT64_MAX, INT64_MIN, 1000000007};
        json_int_t i = rnd() & 1 ? edges[rnd_below(6)] : (json_int_t)(rnd() >> rnd_below(64));
        return json_integer(rnd() & 1 && i != INT64_MIN ? -i : i);
    }
    case 3: {
        double d;
        if (rnd() & 1) {
            uint64_t bits = rnd();
            memcpy(&d, &bits, sizeof d);
            if (!isfinite(d))
                d = 1.5;
        } else {
            d = (double)(int64_t)(rnd() % 2000001 - 1000000) / (double)(1 + rnd_below(1000));
        }
        return json_real(d);
    }
    case 4:
    case 5: {
        wc_buf b;
        wc_buf_init(&b);
        rnd_utf8(&b, rnd() & 3 ? 12 : 80);
        json_t *s = json_stringn(b.len ? (char *)b.data : "", b.len);
        wc_buf_free(&b);
        return s;
    }
    case 6:
    case 7: {
        json_t *o = json_object();
        size_t n = rnd_below(6);
        for (size_t i = 0; i < n; i++) {
            wc_buf b;
            wc_buf_init(&b);
            rnd_utf8(&b, 8);
            json_object_setn_new(o, b.len ? (char *)b.data : "", b.len, rnd_value(depth + 1));
            wc_buf_free(&b);
        }
        return o;
    }
    default: {
        json_t *a = json_array();
        size_t n = rnd_below(6);
        for (size_t i = 0; i < n; i++)
            json_array_append_new(a, rnd_value(depth + 1));
        return a;
    }
    }
}

static void test_random_round_trips(void)
{
    for (int i = 0; i < 3000; i++) {
        json_t *v = rnd_value(0);
        char what[32];
        snprintf(what, sizeof what, "random value %d", i);
        check_text(v, what);
        json_decref(v);
    }
}

/* --- agreement with json_loadb --- */

static const char *corpus[] = {
    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"echo-echo\","
    "\"arguments\":{\"n\":1,\"text\":\"x\"}}}",
    "{\"jsonrpc\":\"2.0\",\"id\":\"abc-\\u00e9\",\"result\":{\"content\":[{\"type\":\"text\","
    "\"text\":\"line 1\\nline 2\\t\\\"quoted\\\" \xe2\x82\xac\"}],\"isError\":false}}",
    "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
    "\"2025-06-18\",\"capabilities\":{\"sampling\":{},\"roots\":{\"listChanged\":true}},"
    "\"clientInfo\":{\"name\":\"c\",\"version\":\"1.0.0\"}}}",
    "{\"structuredContent\":{\"temp\":21.5,\"ok\":true,\"list\":[1,2.5e-3,-7,null]},"
    "\"content\":[]}",
    "[1, -0, 0.5, -1.25e+10, 3E-5, 9223372036854775807, -9223372036854775808, 1e-400]",
    "  {\"a\" : [ {} , [ ] , \"\" , { \"b\" : { \"c\" : [ [ [ ] ] ] } } ] }  ",
    "\"\\ud83d\\ude00 \\u0041\\u00DF\\u6771 \\/\\b\\f\\n\\r\\t \xf0\x9f\x98\x80\"",
    "{\"content\":[{\"type\":\"text\",\"text\":\"x\"},{\"type\":\"image\",\"data\":\"AA==\"}],"
    "\"structuredContent\":{\"v\":[1,{\"w\":null}]},\"isError\":false,\"_meta\":{\"k\":[1.5,\"s\"]},"
    "\"n\":-2}",
    "[true,false,null,\"true\",{\"null\":null}]",
    "{\"a\":1,\"a\":2,\"b\":{\"a\":3}}",
    "123456.789e-2",
    "{\"k\\u0000\":1}",
    "[\"\\u0000\"]",
    " {\"result\":499, \"x\" : -1.5e-3,\"s\":\"\\u00e9\\n\xc3\xa9\",\"t\":true,\"f\":false,\"n\":null} ",
    "{\"a\":1,\"b\":\"two\",\"a\":3}",
    "-9223372036854775809",
    "\"plain \xe2\x82\xac text\"",
};

/* A copy of src in buf with 1..max_edits random edits (replace, insert or
 * delete a byte that matters to JSON, or cut the text); its length. */
static size_t mutate(char *buf, size_t cap, const char *src, int max_edits)
{
    static const char bytes[] = "{}[],:\"\\ 0123456789.eE+-tfnulrsa\x00\x01\x1f\x7f\x80\xbf\xc3"
                                "\xe2\xed\xf0\xf4\xff";
    size_t len = strlen(src);
    memcpy(buf, src, len);
    int edits = 1 + (int)rnd_below((size_t)max_edits);
    for (int e = 0; e < edits; e++) {
        size_t at = rnd_below(len + 1);
        char c = bytes[rnd_below(sizeof bytes - 1)];
        switch (rnd_below(4)) {
        case 0: /* replace */
            if (at < len)
                buf[at] = c;
            break;
        case 1: /* insert */
            if (len < cap - 1) {
                memmove(buf + at + 1, buf + at, len - at);
                buf[at] = c;
                len++;
            }
            break;
        case 2: /* delete */
            if (at < len) {
                memmove(buf + at, buf + at + 1, len - at - 1);
                len--;
            }
            break;
        default: /* cut */
            len = at;
        }
    }
    return len;
}

static void test_agreement(void)
{
    size_t ncorpus = sizeof corpus / sizeof *corpus;
    for (size_t i = 0; i < ncorpus; i++) {
        size_t len = strlen(corpus[i]);
        compare_with_jansson(corpus[i], len, 0, "corpus");
        compare_with_jansson(corpus[i], len, WC_JSON_REJECT_DUPLICATES, "corpus (no duplicates)");
        /* every truncation */
        for (size_t n = 0; n < len; n++)
            compare_with_jansson(corpus[i], n, 0, "truncation");
    }
    /* random mutations */
    char buf[512] = {0};
    for (int i = 0; i < 40000; i++) {
        size_t len = mutate(buf, sizeof buf, corpus[rnd_below(ncorpus)], 3);
        compare_with_jansson(buf, len, rnd() & 1 ? WC_JSON_REJECT_DUPLICATES : 0, "mutation");
    }
}

/* A skim that fails where duplicates were not looked for (too many open
 * objects) says so, as a successful one does: its error may not be the
 * first a full parse finds (found by fuzz_json: a duplicate key 40 objects
 * deep, then a syntax error, got the syntax error's message). */
static void test_skim_unchecked_on_failure(void)
{
    char text[1024];
    size_t n = (size_t)snprintf(text, sizeof text, "{\"result\":");
    for (int i = 0; i < 40; i++)
        n += (size_t)snprintf(text + n, sizeof text - n, "{\"k\":");
    n += (size_t)snprintf(text + n, sizeof text - n, "{\"a\":0,\"a\":1,x}");
    wc_json_error strict_err;
    json_t *strict = parse_exact(text, n, WC_JSON_REJECT_DUPLICATES, &strict_err);
    CHECK(!strict && strstr(strict_err.text, "duplicate"), "the full parse: %s",
          strict ? "accepts" : strict_err.text);
    static const char *const keep[] = {"structuredContent", NULL};
    for (int mode = 0; mode < 2; mode++) {
        bool unchecked = false;
        wc_json_options o = {.flags = WC_JSON_REJECT_DUPLICATES, .unchecked_duplicates = &unchecked};
        if (mode)
            o.check_only = true;
        else
            o.keep = keep;
        wc_json_error err;
        json_t *v = wc_json_parse_with(text, n, &o, &err);
        CHECK(!v && (unchecked || (err.position == strict_err.position &&
                                   strcmp(err.text, strict_err.text) == 0)),
              "%s: %s at %zu, unchecked %d; the full parse: %s at %zu",
              mode ? "check_only" : "skimming", v ? "accepted" : err.text, err.position,
              unchecked, strict_err.text, strict_err.position);
    }
    json_decref(strict);
}

/* --- JSON-RPC on top --- */

static void test_rpc_fast_path(void)
{
    static const char *requests[] = {
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"c\","
        "\"arguments\":{\"a\":1,\"b\":[2,{\"c\":\"d\"}],\"op\":\"*\"}}}",
        " { \"params\" : { \"arguments\" : { } , \"name\" : \"t\" , \"_meta\" : {\"progressToken\":5} } ,"
        " \"method\" : \"tools/call\" , \"id\" : \"x-\xc3\xa9\" , \"jsonrpc\" : \"2.0\" } \r\n",
        "{\"jsonrpc\":\"2.0\",\"id\":-12.5e3,\"method\":\"ping\",\"params\":{}}",
        "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/call\",\"params\":{\"name\":\"c\","
        "\"arguments\":{\"a\":-1.5,\"b\":\"x\\\"y\",\"op\":\"*\",\"t\":true,\"n\":null}}}",
        "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/call\",\"params\":{\"name\":\"c\","
        "\"arguments\":{\"a\":1,\"a\":2}}}",
        "{\"jsonrpc\":\"2.0\",\"id\":\"a\\\"b\",\"method\":\"m\\u0065\",\"params\":{\"x\":\"\\ud83d\\ude00\"}}",
        "{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"m\",\"params\":{}}",
        "{\"jsonrpc\":\"2.0\",\"id\":true,\"method\":\"m\",\"params\":{}}",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":[]}",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":{\"a\":1,\"a\":2}}",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"id\":2,\"method\":\"m\",\"params\":{}}",
        "{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"m\",\"params\":{}}",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":7,\"params\":{}}",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\"}",
        "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/x\",\"params\":{}}",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"result\":{}}",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":{},\"extra\":1}",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\x01\",\"params\":{}}",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\xc3\",\"params\":{}}",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"0123456789012345678901234567890123456789"
        "0123456789012345678901234\",\"params\":{}}",
        "{\"jsonrpc\":\"2.0\",\"id\":01,\"method\":\"m\",\"params\":{}}",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":{\"arguments\":[1]}}",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":{}} x",
        "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":{}}]",
        /* the method after params: a tool call's arguments are built */
        "{\"jsonrpc\":\"2.0\",\"params\":{\"name\":\"c\",\"arguments\":{\"a\":1,\"b\":[2]}},"
        "\"id\":3,\"method\":\"tools/call\"}",
        /* ids the envelope reads itself, and ones it leaves to the parser */
        "{\"jsonrpc\":\"2.0\",\"id\":1E+2,\"method\":\"m\",\"params\":{}}",
        "{\"jsonrpc\":\"2.0\",\"id\":-0,\"method\":\"m\",\"params\":{}}",
        "{\"jsonrpc\":\"2.0\",\"id\":9223372036854775807,\"method\":\"m\",\"params\":{}}",
        "{\"jsonrpc\":\"2.0\",\"id\":9223372036854775808,\"method\":\"m\",\"params\":{}}",
        "{\"jsonrpc\":\"2.0\",\"id\":1x,\"method\":\"m\",\"params\":{}}",
        "{\"jsonrpc\":\"2.0\",\"id\":0.,\"method\":\"m\",\"params\":{}}",
        "{\"jsonrpc\":\"2.0\",\"id\":\"\xe2\x82\xac\\u0041\",\"method\":\"m\",\"params\":{}}",
        "{\"jsonrpc\":\"2.0\",\"id\":\"a\x01\",\"method\":\"m\",\"params\":{}}",
        "{\"jsonrpc\":\"2.0\",\"id\":[1],\"method\":\"m\",\"params\":{}}",
        /* tool calls whose params are read without the parser, and near misses */
        "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":{ \"arguments\" :"
        " {\"x\":\"\\u00e9\",\"y\":-0.5e1} , \"name\" : \"t\" }}",
        "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"tools/call\",\"params\":{\"name\":\"t\","
        "\"arguments\":{}}}",
        "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{\"name\":\"t\\u0021\","
        "\"arguments\":{\"a\":1}}}",
        "{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"tools/call\",\"params\":{\"name\":\"t\","
        "\"name\":\"u\",\"arguments\":{\"a\":1}}}",
        "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/call\",\"params\":{\"name\":\"t\","
        "\"arguments\":{\"a\":1},\"arguments\":{\"a\":2}}}",
        "{\"jsonrpc\":\"2.0\",\"id\":10,\"method\":\"tools/call\",\"params\":{\"name\":7,"
        "\"arguments\":{\"a\":1}}}",
        "{\"jsonrpc\":\"2.0\",\"id\":11,\"method\":\"tools/call\",\"params\":{\"arguments\":"
        "{\"a\":1,\"b\":\"\xc3\xa9\"}}}",
        "{\"jsonrpc\":\"2.0\",\"id\":12,\"method\":\"tools/call\",\"params\":{\"name\":\"t\","
        "\"arguments\":{\"a\":01}}}",
        /* arguments that are an array: built as the tree parser builds them,
         * not given an empty [] stand-in (fuzz_jsonrpc) */
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"arguments\":"
        "[2,{\"c\":\"d\"}],\"op\":\"*\"}}",
    };
    size_t n = sizeof requests / sizeof *requests;
    static const size_t fast[] = {0, 1, 2, 24, 25, 26, 27, 31, 34, 35, 36, 39, 40};
    for (size_t f = 0; f < sizeof fast / sizeof *fast; f++) {
        size_t i = fast[f];
        wc_rpc_message m;
        wc_rpc_parse(requests[i], strlen(requests[i]), &m);
        CHECK(m.kind == WC_RPC_MSG_REQUEST && m.method == m.method_text,
              "request %zu did not take the fast path", i);
        wc_rpc_message_free(&m);
    }
    {
        wc_rpc_message m;
        wc_rpc_parse(requests[3], strlen(requests[3]), &m);
        json_t *args = json_object_get(m.params, "arguments");
        const char *want = "{\"a\":-1.5,\"b\":\"x\\\"y\",\"op\":\"*\",\"t\":true,\"n\":null}";
        CHECK(m.kind == WC_RPC_MSG_REQUEST && json_is_object(args) && json_object_size(args) == 0 &&
                  m.arguments_text && m.arguments_len == strlen(want) &&
                  memcmp(m.arguments_text, want, m.arguments_len) == 0,
              "flat tool arguments are left as text");
        wc_rpc_message_free(&m);
        /* arguments first: the same, and params' members in the text's order */
        wc_rpc_parse(requests[34], strlen(requests[34]), &m);
        args = json_object_get(m.params, "arguments");
        want = "{\"x\":\"\\u00e9\",\"y\":-0.5e1}";
        void *first = json_object_iter(m.params);
        CHECK(m.kind == WC_RPC_MSG_REQUEST && json_is_object(args) && json_object_size(args) == 0 &&
                  strcmp(json_string_value(json_object_get(m.params, "name")), "t") == 0 &&
                  first && strcmp(json_object_iter_key(first), "arguments") == 0 &&
                  m.arguments_text && m.arguments_len == strlen(want) &&
                  memcmp(m.arguments_text, want, m.arguments_len) == 0,
              "a tool call's params read without the parser");
        wc_rpc_message_free(&m);
    }
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(requests[i]);
        compare_rpc(requests[i], len, "request");
        for (size_t cut = 0; cut < len; cut++)
            compare_rpc(requests[i], cut, "truncation");
    }
    /* params nested to the depth limit, counting the envelope as a level:
     * 2046 arrays inside params are taken, 2047 refused, by both paths */
    for (int arrays = 2046; arrays <= 2047; arrays++) {
        char *deep = malloc(2 * (size_t)arrays + 128);
        if (!deep)
            abort();
        int at = sprintf(deep, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":{\"x\":");
        for (int d = 0; d < arrays; d++)
            deep[at++] = '[';
        for (int d = 0; d < arrays; d++)
            deep[at++] = ']';
        at += sprintf(deep + at, "}}");
        compare_rpc(deep, (size_t)at, "deep params");
        free(deep);
    }
    char buf[512];
    for (int i = 0; i < 40000; i++) {
        size_t len = mutate(buf, sizeof buf, requests[rnd_below(n)], 2);
        compare_rpc(buf, len, "mutation");
    }
}

static void test_jsonrpc(void)
{
    wc_rpc_message m;
    const char *req = "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":"
                      "{\"name\":\"x\",\"arguments\":{\"a\":[1,2]}}}";
    wc_rpc_parse(req, strlen(req), &m);
    CHECK(m.kind == WC_RPC_MSG_REQUEST && json_integer_value(m.id) == 7 && m.method &&
              strcmp(m.method, "tools/call") == 0 && json_is_object(m.params),
          "request not classified");
    wc_rpc_message_free(&m);

    const char *bad = "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"x\",}";
    wc_rpc_parse(bad, strlen(bad), &m);
    CHECK(m.kind == WC_RPC_MSG_INVALID && m.code == -32700 && !m.root &&
              strcmp(m.reason, "parse error: string (a key) expected near '}' (at byte 37)") == 0,
          "parse error reason: %s", m.reason);
    wc_rpc_message_free(&m);

    uint8_t block[WC_RPC_BLOCK];
    wc_buf out;
    wc_buf_init_on(&out, block, sizeof block);
    json_t *id = json_string("r\"1");
    json_t *result = json_pack("{s:[{s:s,s:s}],s:{s:f,s:i}}", "content", "type", "text", "text",
                               "h\xc3\xa9llo\n", "structuredContent", "x", 2.5, "n", 3);
    wc_rpc_write_result(&out, id, result);
    char *want_result = json_dumps(result, JSON_COMPACT);
    char want[512];
    snprintf(want, sizeof want, "{\"jsonrpc\":\"2.0\",\"id\":\"r\\\"1\",\"result\":%s}", want_result);
    CHECK(!out.failed && out.len == strlen(want) && memcmp(out.data, want, out.len) == 0,
          "result: %.*s", (int)out.len, (const char *)out.data);
    free(want_result);

    /* integer ids, written without the general writer, as it writes them */
    static const json_int_t int_ids[] = {0, 7, -1, 10, -10, 1234567890123, INT64_MAX, INT64_MIN};
    for (size_t i = 0; i < sizeof int_ids / sizeof *int_ids; i++) {
        json_t *int_id = json_integer(int_ids[i]);
        wc_rpc_write_result_text(&out, int_id, "{}");
        char want_int[96];
        snprintf(want_int, sizeof want_int, "{\"jsonrpc\":\"2.0\",\"id\":%" JSON_INTEGER_FORMAT
                 ",\"result\":{}}", int_ids[i]);
        CHECK(!out.failed && out.len == strlen(want_int) &&
                  memcmp(out.data, want_int, out.len) == 0,
              "integer id: %.*s", (int)out.len, (const char *)out.data);
        json_decref(int_id);
    }

    wc_rpc_write_error(&out, NULL, -32602, "bad \"arg\"\n", NULL);
    const char *want_err = "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32602,"
                           "\"message\":\"bad \\\"arg\\\"\\n\"}}";
    CHECK(!out.failed && out.len == strlen(want_err) && memcmp(out.data, want_err, out.len) == 0,
          "error: %.*s", (int)out.len, (const char *)out.data);
    wc_rpc_write_error(&out, id, 1, "bad \xff utf-8", result);
    CHECK(!out.failed && memmem(out.data, out.len, "not valid UTF-8", 15) &&
              memmem(out.data, out.len, "\"data\":{", 8),
          "error with invalid UTF-8: %.*s", (int)out.len, (const char *)out.data);

    /* a result larger than the inline buffer moves to the heap intact */
    json_t *big = json_array();
    for (int i = 0; i < 2000; i++)
        json_array_append_new(big, json_sprintf("item %d", i));
    wc_rpc_write_result(&out, id, big);
    json_t *back = out.failed ? NULL : wc_json_parse((const char *)out.data, out.len, 0, NULL);
    CHECK(back && same(json_object_get(back, "result"), big) && out.data != block,
          "big result");
    json_decref(back);
    json_decref(big);

    /* an unwritable value fails the message */
    json_t *deep = json_array(), *inner = deep;
    for (int i = 0; i < WC_JSON_MAX_DEPTH + 5; i++) {
        json_t *a = json_array();
        json_array_append_new(inner, a);
        inner = a;
    }
    wc_rpc_write_notification(&out, "notifications/x", deep);
    CHECK(out.failed, "too deep params written");
    json_decref(deep);
    json_t *params = json_pack("{s:s}", "k", "v");
    wc_rpc_write_request(&out, 42, "sampling/createMessage", params);
    const char *want_req = "{\"jsonrpc\":\"2.0\",\"id\":42,\"method\":\"sampling/createMessage\","
                           "\"params\":{\"k\":\"v\"}}";
    CHECK(!out.failed && out.len == strlen(want_req) && memcmp(out.data, want_req, out.len) == 0,
          "request: %.*s", (int)out.len, (const char *)out.data);
    json_decref(params);
    wc_buf_free(&out);
    json_decref(id);
    json_decref(result);
}

/* wc_rpc_peek_request scans strings 8 bytes at a time: escapes at every
 * offset, and no truncation of a request may look complete. */
static void test_peek(void)
{
    for (size_t len = 0; len < 40; len++) {
        for (size_t at = 0; at <= len; at++) {
            char s[64], text[256];
            for (size_t i = 0; i < len; i++)
                s[i] = (char)('a' + i % 26);
            s[len] = 0;
            /* an escaped quote (or backslash, or a closing brace) at `at` */
            const char *ins = at % 3 == 0 ? "\\\"}" : at % 3 == 1 ? "\\\\" : "}]\\\"";
            int n = snprintf(text, sizeof text,
                             "{\"jsonrpc\":\"2.0\",\"id\":\"%.*s%s%s\",\"method\":\"tools/call\","
                             "\"params\":{\"s\":\"%s%s\",\"a\":[{\"b\":\"%s\"}]}}",
                             (int)at, s, ins, s + at, "method", ins, s);
            char *exact = malloc((size_t)n);
            memcpy(exact, text, (size_t)n);
            CHECK(wc_rpc_peek_request(exact, (size_t)n), "peek refuses %s", text);
            json_t *v = wc_json_parse(exact, (size_t)n, 0, NULL);
            CHECK(v != NULL, "peek case does not parse: %s", text);
            json_decref(v);
            free(exact);
            for (size_t cut = 0; cut < (size_t)n; cut += 1 + (len & 3)) {
                exact = malloc(cut ? cut : 1);
                memcpy(exact, text, cut);
                CHECK(!wc_rpc_peek_request(exact, cut), "peek takes a truncation: %.*s", (int)cut,
                      text);
                free(exact);
            }
        }
    }
    /* An initialize must stay on the reading thread however its method is
     * written (found by fuzz_jsonrpc: a worker ran it after the calls that
     * followed, which were refused "before initialize"). */
    static const char *const initializes[] = {
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initi\\u0061lize\",\"params\":{}}",
        "{\"id\":1,\"method\":\"\\u0069nitialize\"}",
    };
    for (size_t i = 0; i < sizeof initializes / sizeof *initializes; i++) {
        size_t n = strlen(initializes[i]);
        char *exact = malloc(n);
        memcpy(exact, initializes[i], n);
        CHECK(!wc_rpc_peek_request(exact, n), "peek sends %s to a worker", initializes[i]);
        free(exact);
    }
    const char *plain = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{}}";
    CHECK(wc_rpc_peek_request(plain, strlen(plain)), "peek refuses a plain tools/call");
}

/* Where a container ends, read byte by byte: what wc_json_scan_value must
 * find 16 bytes at a time. */
static const char *container_end_reference(const char *p, const char *end)
{
    int depth = 0;
    bool in_string = false;
    while (p < end) {
        char c = *p++;
        if (in_string) {
            if (c == '\\') {
                if (p == end)
                    return NULL;
                p++;
            } else if (c == '"') {
                in_string = false;
            }
        } else if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            depth++;
        } else if ((c == '}' || c == ']') && --depth == 0) {
            return p;
        }
    }
    return NULL;
}

/* Texts of every length around the block size, quotes, escapes and
 * brackets anywhere (an escape on a block's last byte among them). */
static void test_scan_value(void)
{
    static const char bytes[] = "{}[]\"\"\\\\ab,:";
    for (int i = 0; i < 60000; i++) {
        size_t len = 1 + rnd_below(70);
        char *text = malloc(len);
        if (!text)
            abort();
        text[0] = rnd() & 1 ? '{' : '[';
        for (size_t k = 1; k < len; k++)
            text[k] = bytes[rnd_below(sizeof bytes - 1)];
        const char *want = container_end_reference(text, text + len);
        const char *got = wc_json_scan_value(text, text + len);
        CHECK(got == want, "scan_value: %td, want %td: %.*s", got ? got - text : -1,
              want ? want - text : -1, (int)len, text);
        free(text);
    }
}

/* Spans: where each container of the top levels was in the text. */
static void test_spans(void)
{
    const char *text = " {\"a\": [1, {\"b\": {}}], \"c\" : {\"d\":[[]]} } ";
    wc_json_span items[8];
    wc_json_spans spans = {.items = items, .cap = 8, .max_depth = 2};
    wc_json_options o = {.spans = &spans};
    json_t *v = wc_json_parse_with(text, strlen(text), &o, NULL);
    CHECK(v && spans.count == 3 && !spans.overflow, "spans: %zu", spans.count);
    const json_t *want[3] = {json_object_get(v, "a"), json_object_get(v, "c"), v};
    const char *texts[3] = {"[1, {\"b\": {}}]", "{\"d\":[[]]}",
                            "{\"a\": [1, {\"b\": {}}], \"c\" : {\"d\":[[]]} }"};
    for (int i = 0; i < 3; i++) {
        const wc_json_span *sp = wc_json_span_of(&spans, want[i]);
        CHECK(sp && sp->end - sp->start == strlen(texts[i]) &&
                  memcmp(text + sp->start, texts[i], strlen(texts[i])) == 0,
              "span %d", i);
    }
    CHECK(!wc_json_span_of(&spans, json_object_get(json_object_get(v, "c"), "d")),
          "a container deeper than max_depth has no span");
    json_decref(v);

    spans.cap = 1;
    v = wc_json_parse_with(text, strlen(text), &o, NULL);
    CHECK(v && spans.count == 1 && spans.overflow, "overflow: %zu", spans.count);
    json_decref(v);

    spans.cap = 8;
    CHECK(!wc_json_parse_with("[[1],", 5, &o, NULL) && spans.count == 0,
          "no spans after an error");

    /* a skimmed member: an empty stand-in, and the span of its text */
    static const char *const skim[] = {"arguments", NULL};
    const char *req = "{\"name\":\"x\",\"arguments\":{\"a\":[1,{\"b\":2}]},\"z\":{\"c\":[]}}";
    wc_json_options so = {.spans = &spans, .skim = skim};
    v = wc_json_parse_with(req, strlen(req), &so, NULL);
    json_t *args = json_object_get(v, "arguments");
    const wc_json_span *sp = args ? wc_json_span_of(&spans, args) : NULL;
    CHECK(json_is_object(args) && json_object_size(args) == 0 && sp &&
              sp->end - sp->start == strlen("{\"a\":[1,{\"b\":2}]}") &&
              memcmp(req + sp->start, "{\"a\":", 5) == 0 &&
              json_array_size(json_object_get(json_object_get(v, "z"), "c")) == 0 &&
              json_is_array(json_object_get(json_object_get(v, "z"), "c")),
          "skimmed arguments");
    json_decref(v);
}

int main(void)
{
    test_conformance();
    test_errors();
    test_integers();
    test_reals();
    test_depth();
    test_duplicates();
    test_utf8_prefix();
    test_writer();
    test_random_round_trips();
    test_agreement();
    test_skim_unchecked_on_failure();
    test_jsonrpc();
    test_peek();
    test_scan_value();
    test_spans();
    test_rpc_fast_path();
    /* a locale with a decimal comma changes nothing (when one is installed) */
    if (setlocale(LC_NUMERIC, "de_DE.UTF-8") || setlocale(LC_NUMERIC, "fr_FR.UTF-8")) {
        test_reals();
        test_writer();
        setlocale(LC_NUMERIC, "C");
    }
    if (failures) {
        fprintf(stderr, "%d of %d checks failed\n", failures, checks);
        return 1;
    }
    printf("test_json: %d checks passed\n", checks);
    return 0;
}
