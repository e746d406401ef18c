/* spectest.h -- pieces of wasmcap-spectest shared between its source files.
 *
 * wasmcap-spectest runs the official WebAssembly core test suite (.wast
 * scripts) against the engine: each script is converted by wabt's wast2json
 * into a JSON command list plus binary modules, and the commands are
 * interpreted in order against the engine API.
 *
 *   main.c     command line, one worker process per file, the summary
 *   convert.c  running wast2json, loading its JSON, temporary directories
 *   values.c   parsing, comparing and printing Wasm values (NaN patterns too)
 *   host.c     the `spectest` host module the scripts import from
 *   runner.c   the command interpreter for one converted script
 */
#ifndef WC_SPECTEST_SPECTEST_H
#define WC_SPECTEST_SPECTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <jansson.h>

#include "engine/engine.h"

/* ---- results ------------------------------------------------------------ */

/* Outcome counts of one script or of the whole run.  A worker process updates
 * them as it goes (they live in shared memory), so a worker that crashes still
 * leaves what it counted so far. */
typedef struct spectest_counts {
    uint64_t passed, failed, skipped;
    /* Why commands were skipped; these add up to `skipped`. */
    uint64_t skipped_text; /* assert_malformed given as text: no text parser here */
    uint64_t skipped_unsupported; /* modules refused as unsupported (a proposal off) */
    uint64_t skipped_outdated; /* a proposal's assertion that 2.0 has since changed */
    /* The script line of the command being run, to tell where a crash was. */
    int running_line;
} spectest_counts;

typedef struct spectest_options {
    wc_tier tier;
    const char *cache_dir; /* NULL: the engine's default cache */
    bool verbose;          /* spectest.print* write to the report */
    uint32_t disabled_features; /* WC_FEATURE_* bits turned off (--features) */
} spectest_options;

/* ---- convert.c ---------------------------------------------------------- */

/* Runs `wast2json --enable-all wast_path -o out_dir/<name>.json` and returns
 * 0, or -1 after writing what went wrong (with wast2json's output) to report.
 * json_path receives the JSON file's path. */
int spectest_convert(const char *wast_path, const char *out_dir, const char *name,
                     char *json_path, size_t json_path_size, FILE *report);

/* Loads wast2json's output: the object with the "commands" array, or NULL
 * after writing why to report. */
json_t *spectest_load_json(const char *json_path, FILE *report);

/* Reads a whole file; returns 0 or -1 with errno set. */
int spectest_read_file(const char *path, uint8_t **bytes, size_t *size);

/* Deletes a directory and everything below it; returns 0 or -1. */
int spectest_remove_tree(const char *dir);

/* ---- values.c ----------------------------------------------------------- */

/* How an expected result is compared with the actual one. */
typedef enum spectest_match {
    SPECTEST_MATCH_EXACT,          /* same bits (floats: same bit pattern) */
    SPECTEST_MATCH_NAN_CANONICAL,  /* a NaN with only the top mantissa bit set */
    SPECTEST_MATCH_NAN_ARITHMETIC, /* a NaN with the top mantissa bit set */
    SPECTEST_MATCH_NONNULL_REF,    /* any non-null reference */
} spectest_match;

/* An argument or an expected result from the JSON. */
typedef struct spectest_value {
    uint8_t type; /* WC_VT_* */
    spectest_match match;
    wc_value value;
    /* v128: the script's lane shape (WC_VT_I32 for i32x4, ...; i8 and i16
     * lanes are WC_VT_I32 with lane_bytes 1 and 2), and how each lane is
     * compared (a float lane may be a NaN pattern). */
    uint8_t lane_type, lane_bytes, nlanes;
    spectest_match lane_match[16];
} spectest_value;

typedef enum spectest_parse_status {
    SPECTEST_PARSE_OK,
    SPECTEST_PARSE_UNSUPPORTED, /* a value the runner cannot pass */
    SPECTEST_PARSE_ERROR,       /* a JSON shape this program does not know */
} spectest_parse_status;

/* Parses {"type": ..., "value": ...}; `expected` allows the NaN patterns and a
 * missing value (any non-null reference).  why gets the reason on failure. */
spectest_parse_status spectest_parse_value(const json_t *json, bool expected,
                                           spectest_value *out, char *why,
                                           size_t why_size);

/* The externref the scripts call `ref.extern n`: never NULL, even for n = 0. */
void *spectest_externref(uint64_t n);

bool spectest_value_matches(const spectest_value *expected, const wc_value *actual);

/* "i32:42", "f32:0x3f800000 (1)", "externref:7", "funcref:null", ... */
void spectest_format_value(uint8_t type, const wc_value *value, char *buf, size_t size);
void spectest_format_expected(const spectest_value *expected, char *buf, size_t size);

/* Sets *type from "i32", "f64", "externref", ...; false for a name this
 * program does not know. */
bool spectest_type_from_name(const char *name, uint8_t *type);

/* ---- host.c ------------------------------------------------------------- */

enum { SPECTEST_HOST_BINDINGS = 16 };

/* The `spectest` module: print functions, four globals, a table, a memory
 * and a shared memory (threads).
 * One per script, so no state leaks from one script into the next. */
typedef struct spectest_host {
    wc_memory *memory;
    wc_memory *shared_memory; /* threads: shared, one page (max 2) */
    wc_table *table;
    wc_value global_i32, global_i64, global_f32, global_f64;
    wc_import_binding bindings[SPECTEST_HOST_BINDINGS];
    size_t nbindings;
} spectest_host;

/* print_out: where the print functions write, NULL to stay silent. */
int spectest_host_init(spectest_host *host, wc_engine *engine, FILE *print_out,
                       wc_error *err);
void spectest_host_free(spectest_host *host);

/* ---- runner.c ----------------------------------------------------------- */

/* Runs every command of one converted script.  display_name names the script
 * in messages ("i32.wast"); json_path is wast2json's output.  Failures are
 * written to report as "FAIL display_name:LINE: ..." lines; counts are
 * updated command by command.  Returns 0, or -1 if the script could not be
 * run at all (then counted as one failure). */
int spectest_run_script(const char *display_name, const char *json_path,
                        const spectest_options *options, spectest_counts *counts,
                        FILE *report);

#endif
