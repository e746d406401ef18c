/* runner.c -- interprets the commands of one converted test script.
 *
 * The script's state is what the .wast format defines: the modules it
 * instantiated (the last one is "current", named ones can be referred to by
 * name) and the names under which instances were registered for later
 * modules to import from.  Every command is counted once: passed, failed or
 * skipped.
 */
#include "spectest/spectest.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "util/grow.h"

/* Wall-clock limit per call so that a broken test cannot hang CI. */
enum { CALL_TIMEOUT_MS = 10000 };

typedef enum slot_state {
    SLOT_READY,   /* instantiated */
    SLOT_FAILED,  /* failed to load or instantiate: a failure was counted */
    SLOT_SKIPPED, /* refused as unsupported (a proposal): commands on it are skipped */
} slot_state;

/* A module command's outcome. */
typedef struct module_slot {
    char *name; /* "$M" from the script, or NULL */
    wc_module *module;
    wc_instance *instance; /* non-NULL only when READY */
    slot_state state;
} module_slot;

typedef struct registration {
    char *as; /* the import module name other modules use */
    size_t slot;
} registration;

typedef enum skip_reason {
    SKIP_UNSUPPORTED,
    SKIP_TEXT,
    SKIP_OUTDATED,
} skip_reason;

typedef struct runner {
    const char *display_name;
    const spectest_options *options;
    spectest_counts *counts;
    FILE *report;
    char dir[PATH_MAX]; /* where the JSON and the .wasm files are */

    wc_engine *engine;
    spectest_host host;
    wc_instance_config instance_config;

    module_slot *slots;
    size_t nslots, slots_capacity;
    registration *registrations;
    size_t nregistrations, registrations_capacity;
    bool has_current;
    size_t current; /* slot of the last module command */

    /* The command being run, for messages. */
    int line;
    char what[512];
} runner;

/* ---- outcomes ----------------------------------------------------------- */

static void pass(runner *r)
{
    r->counts->passed++;
}

static void fail(runner *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(runner *r, const char *fmt, ...)
{
    r->counts->failed++;
    fprintf(r->report, "FAIL %s:%d: %s: ", r->display_name, r->line, r->what);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(r->report, fmt, ap);
    va_end(ap);
    fputc('\n', r->report);
    fflush(r->report); /* keep it if the process dies later */
}

static void skip(runner *r, skip_reason reason, const char *why)
{
    r->counts->skipped++;
    if (reason == SKIP_TEXT)
        r->counts->skipped_text++;
    else if (reason == SKIP_OUTDATED)
        r->counts->skipped_outdated++;
    else
        r->counts->skipped_unsupported++;
    if (r->options->verbose)
        fprintf(r->report, "SKIP %s:%d: %s: %s\n", r->display_name, r->line, r->what, why);
}

/* ---- describing commands ------------------------------------------------ */

/* Appends to buf (always NUL-terminated, truncating). */
static void append(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void append(char *buf, size_t size, const char *fmt, ...)
{
    size_t used = strlen(buf);
    if (used + 1 >= size)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + used, size - used, fmt, ap);
    va_end(ap);
}

/* A JSON string as a quoted name, control characters escaped. */
static void append_name(char *buf, size_t size, const json_t *string)
{
    const char *text = json_string_value(string);
    size_t length = json_string_length(string);
    append(buf, size, "\"");
    for (size_t i = 0; text && i < length; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c < 0x20 || c == 0x7f || c == '"' || c == '\\')
            append(buf, size, "\\%02x", c);
        else
            append(buf, size, "%c", c);
    }
    append(buf, size, "\"");
}

/* `invoke $M."name"(i32:1, f32:0x3f800000 (1))` or `get "name"`. */
static void append_action(char *buf, size_t size, const json_t *action)
{
    const char *type = json_string_value(json_object_get(action, "type"));
    const char *module = json_string_value(json_object_get(action, "module"));
    append(buf, size, "%s ", type ? type : "?");
    if (module)
        append(buf, size, "%s.", module);
    append_name(buf, size, json_object_get(action, "field"));
    const json_t *args = json_object_get(action, "args");
    if (!json_is_array(args))
        return;
    append(buf, size, "(");
    size_t i;
    const json_t *arg;
    json_array_foreach(args, i, arg) {
        spectest_value value;
        char why[128], text[96];
        if (spectest_parse_value(arg, false, &value, why, sizeof why) == SPECTEST_PARSE_OK)
            spectest_format_value(value.type, &value.value, text, sizeof text);
        else
            snprintf(text, sizeof text, "?");
        append(buf, size, "%s%s", i > 0 ? ", " : "", text);
    }
    append(buf, size, ")");
}

static void describe_command(runner *r, const char *type, const json_t *command)
{
    r->what[0] = '\0';
    append(r->what, sizeof r->what, "%s", type);
    const json_t *action = json_object_get(command, "action");
    if (action) {
        append(r->what, sizeof r->what, " ");
        append_action(r->what, sizeof r->what, action);
    }
    const char *filename = json_string_value(json_object_get(command, "filename"));
    if (filename)
        append(r->what, sizeof r->what, " %s", filename);
    const char *name = json_string_value(json_object_get(command, "name"));
    if (name)
        append(r->what, sizeof r->what, " %s", name);
    const char *as = json_string_value(json_object_get(command, "as"));
    if (as)
        append(r->what, sizeof r->what, " as \"%s\"", as);
    const char *text = json_string_value(json_object_get(command, "text"));
    if (text && !action)
        append(r->what, sizeof r->what, " \"%s\"", text);
}

/* ---- modules and instances ---------------------------------------------- */

static char *copy_string(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* Reads dir/filename and compiles it. */
static int load_module(runner *r, const char *filename, wc_module **module, wc_error *err)
{
    *module = NULL;
    char path[PATH_MAX];
    if ((size_t)snprintf(path, sizeof path, "%s/%s", r->dir, filename) >= sizeof path)
        return wc_error_set(err, WC_EIO, "path too long: %s/%s", r->dir, filename);
    uint8_t *bytes;
    size_t size;
    if (spectest_read_file(path, &bytes, &size) != 0)
        return wc_error_set(err, WC_EIO, "cannot read %s: %s", path, strerror(errno));
    int rc = wc_module_new(r->engine, bytes, size, module, err);
    free(bytes);
    return rc;
}

/* The spectest module plus the exports of every registered instance.  The
 * newest registration of a name comes first and hides older ones. */
static int build_bindings(runner *r, wc_import_binding **out, size_t *count)
{
    size_t capacity = r->host.nbindings;
    for (size_t i = 0; i < r->nregistrations; i++) {
        const wc_instance *instance = r->slots[r->registrations[i].slot].instance;
        capacity += wc_module_get_info(wc_instance_module(instance))->nexports;
    }
    wc_import_binding *bindings = calloc(capacity ? capacity : 1, sizeof *bindings);
    if (!bindings)
        return WC_ENOMEM;

    size_t n = 0;
    for (size_t i = r->nregistrations; i-- > 0;) {
        const registration *reg = &r->registrations[i];
        bool hidden = false;
        for (size_t j = i + 1; j < r->nregistrations && !hidden; j++)
            hidden = strcmp(r->registrations[j].as, reg->as) == 0;
        if (hidden)
            continue;
        wc_instance *instance = r->slots[reg->slot].instance;
        const wc_module_info *info = wc_module_get_info(wc_instance_module(instance));
        for (uint32_t e = 0; e < info->nexports; e++) {
            wc_extern ext;
            if (wc_instance_export(instance, info->exports[e].name, &ext) != 0)
                continue;
            bindings[n++] = (wc_import_binding){
                .module = reg->as, .name = info->exports[e].name, .ext = ext};
        }
    }
    memcpy(bindings + n, r->host.bindings, r->host.nbindings * sizeof *bindings);
    n += r->host.nbindings;

    *out = bindings;
    *count = n;
    return 0;
}

static int instantiate(runner *r, wc_module *module, wc_instance **instance,
                       wc_trap *trap, wc_error *err)
{
    *instance = NULL;
    *trap = WC_TRAP_NONE;
    wc_import_binding *bindings;
    size_t nbindings;
    if (build_bindings(r, &bindings, &nbindings) != 0)
        return wc_error_set(err, WC_ENOMEM, "out of memory for import bindings");
    int rc = wc_instance_new(module, &r->instance_config, bindings, nbindings, instance,
                             trap, err);
    free(bindings);
    return rc;
}

/* Looks up the module an action or register names, NULL (after counting
 * the command) when it cannot be used. */
static module_slot *find_slot(runner *r, const char *name)
{
    module_slot *slot = NULL;
    if (name) {
        for (size_t i = r->nslots; i-- > 0 && !slot;)
            if (r->slots[i].name && strcmp(r->slots[i].name, name) == 0)
                slot = &r->slots[i];
        if (!slot) {
            fail(r, "no module named %s", name);
            return NULL;
        }
    } else {
        if (!r->has_current) {
            fail(r, "no module defined before this command");
            return NULL;
        }
        slot = &r->slots[r->current];
    }
    switch (slot->state) {
    case SLOT_READY:
        return slot;
    case SLOT_SKIPPED:
        skip(r, SKIP_UNSUPPORTED, "its module was skipped (unsupported)");
        return NULL;
    case SLOT_FAILED:
        fail(r, "its module failed to load (see the FAIL above)");
        return NULL;
    }
    return NULL;
}

/* ---- traps -------------------------------------------------------------- */

/* Whether a trap is the one the script's message names.  The engine's trap
 * kinds are coarser than the reference interpreter's messages for table
 * elements, so those accept either table trap. */
static bool trap_matches_text(wc_trap trap, const char *text)
{
    static const struct {
        const char *prefix;
        wc_trap kinds[2];
    } known[] = {
        {"unreachable", {WC_TRAP_UNREACHABLE, WC_TRAP_UNREACHABLE}},
        {"out of bounds memory access", {WC_TRAP_OOB_MEMORY, WC_TRAP_OOB_MEMORY}},
        {"out of bounds table access", {WC_TRAP_OOB_TABLE, WC_TRAP_OOB_TABLE}},
        {"undefined element", {WC_TRAP_OOB_TABLE, WC_TRAP_INDIRECT_CALL}},
        {"uninitialized element", {WC_TRAP_INDIRECT_CALL, WC_TRAP_OOB_TABLE}},
        {"indirect call type mismatch", {WC_TRAP_INDIRECT_CALL, WC_TRAP_INDIRECT_CALL}},
        {"integer overflow", {WC_TRAP_INT_OVERFLOW, WC_TRAP_INT_OVERFLOW}},
        {"integer divide by zero", {WC_TRAP_DIV_BY_ZERO, WC_TRAP_DIV_BY_ZERO}},
        {"invalid conversion to integer", {WC_TRAP_INVALID_CONVERSION, WC_TRAP_INVALID_CONVERSION}},
        {"call stack exhausted", {WC_TRAP_STACK_EXHAUSTED, WC_TRAP_STACK_EXHAUSTED}},
        {"unaligned atomic", {WC_TRAP_UNALIGNED_ATOMIC, WC_TRAP_UNALIGNED_ATOMIC}},
        {"expected shared memory", {WC_TRAP_UNSHARED_WAIT, WC_TRAP_UNSHARED_WAIT}},
    };
    if (!text)
        text = "";
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
        if (strncmp(text, known[i].prefix, strlen(known[i].prefix)) == 0)
            return trap == known[i].kinds[0] || trap == known[i].kinds[1];
    }
    /* A message this table does not know: any trap the program itself
     * caused will do, but not running out of time. */
    return trap != WC_TRAP_NONE && trap != WC_TRAP_DEADLINE && trap != WC_TRAP_INTERRUPTED;
}

/* ---- actions ------------------------------------------------------------ */

typedef enum action_status {
    ACTION_RETURNED,
    ACTION_TRAPPED,
    ACTION_NOT_RUN, /* failed or skipped: already counted */
} action_status;

typedef struct action_result {
    action_status status;
    wc_trap trap;
    char trap_message[256];
    uint32_t nresults;
    const uint8_t *result_types;
    wc_value *results;
    uint8_t global_type; /* result_types of a get */
} action_result;

static void action_result_free(action_result *result)
{
    free(result->results);
    result->results = NULL;
}

/* The export name and its length (names may contain NUL), or NULL after
 * counting a failure. */
static const char *action_field(runner *r, const json_t *action, size_t *len)
{
    const json_t *field = json_object_get(action, "field");
    const char *name = json_string_value(field);
    if (!name) {
        fail(r, "action without a \"field\"");
        return NULL;
    }
    *len = json_string_length(field);
    return name;
}

static void run_get(runner *r, wc_instance *instance, const char *name, size_t len,
                    action_result *result)
{
    if (strlen(name) != len) {
        fail(r, "get of a global whose name contains a NUL byte is not supported");
        return;
    }
    wc_extern ext;
    if (wc_instance_export(instance, name, &ext) != 0) {
        fail(r, "no export named \"%s\"", name);
        return;
    }
    if (ext.kind != WC_EXTERN_GLOBAL) {
        fail(r, "export \"%s\" is a %s, not a global", name, wc_extern_kind_name(ext.kind));
        return;
    }
    result->results = calloc(1, sizeof *result->results);
    if (!result->results) {
        fail(r, "out of memory");
        return;
    }
    result->global_type = ext.u.global.valtype;
    result->result_types = &result->global_type;
    result->nresults = 1;
    /* The engine stores a global in its type's width (and alignment), not
     * as a whole wc_value: copy only the bytes of the type. */
    size_t width;
    switch (ext.u.global.valtype) {
    case WC_VT_I32:
    case WC_VT_F32: width = sizeof(uint32_t); break;
    case WC_VT_I64:
    case WC_VT_F64: width = sizeof(uint64_t); break;
    case WC_VT_FUNCREF: width = sizeof(wc_funcref); break;
    case WC_VT_EXTERNREF: width = sizeof(void *); break;
    default:
        fail(r, "global \"%s\" has type %s", name, wc_valtype_name(ext.u.global.valtype));
        return;
    }
    memcpy(&result->results[0], ext.u.global.value, width);
    result->status = ACTION_RETURNED;
}

static void run_invoke(runner *r, wc_instance *instance, const char *name, size_t len,
                       const json_t *args_json, action_result *result)
{
    int index = wc_instance_export_index(instance, name, len);
    const wc_module_info *info = wc_module_get_info(wc_instance_module(instance));
    if (index < 0 || info->exports[index].kind != WC_EXTERN_FUNC) {
        fail(r, "no exported function named \"%s\"", name);
        return;
    }
    const wc_functype *type = wc_module_func_type(info, info->exports[index].index);
    size_t nargs = json_array_size(args_json);
    if (nargs != type->nparams) {
        fail(r, "the script passes %zu arguments, the function takes %u", nargs,
             (unsigned)type->nparams);
        return;
    }
    wc_value *args = calloc(nargs ? nargs : 1, sizeof *args);
    result->results = calloc(type->nresults ? type->nresults : 1, sizeof *result->results);
    if (!args || !result->results) {
        free(args);
        fail(r, "out of memory");
        return;
    }
    for (size_t i = 0; i < nargs; i++) {
        spectest_value value;
        char why[256];
        switch (spectest_parse_value(json_array_get(args_json, i), false, &value, why, sizeof why)) {
        case SPECTEST_PARSE_OK:
            break;
        case SPECTEST_PARSE_UNSUPPORTED:
            skip(r, SKIP_UNSUPPORTED, why);
            free(args);
            return;
        case SPECTEST_PARSE_ERROR:
            fail(r, "argument %zu: %s", i, why);
            free(args);
            return;
        }
        if (value.type != type->params[i]) {
            fail(r, "argument %zu is %s, the function takes %s", i,
                 wc_valtype_name(value.type), wc_valtype_name(type->params[i]));
            free(args);
            return;
        }
        args[i] = value.value;
    }

    wc_error err = {0};
    wc_trap trap = wc_instance_call_index(instance, (uint32_t)index, args, result->results, &err);
    free(args);
    if (trap == WC_TRAP_HOST && err.code == WC_ENOTFOUND) {
        fail(r, "cannot call \"%s\": %s", name, err.msg);
        return;
    }
    result->nresults = type->nresults;
    result->result_types = type->results;
    if (trap == WC_TRAP_NONE) {
        result->status = ACTION_RETURNED;
    } else {
        result->status = ACTION_TRAPPED;
        result->trap = trap;
        const char *message = wc_instance_trap_message(instance);
        snprintf(result->trap_message, sizeof result->trap_message, "%s",
                 message ? message : wc_trap_name(trap));
    }
}

/* Runs an invoke or get.  Unless the result is RETURNED or TRAPPED the
 * command has been counted already. */
static void run_action(runner *r, const json_t *action, action_result *result)
{
    memset(result, 0, sizeof *result);
    result->status = ACTION_NOT_RUN;
    if (!json_is_object(action)) {
        fail(r, "command without an \"action\"");
        return;
    }
    const char *type = json_string_value(json_object_get(action, "type"));
    module_slot *slot = find_slot(r, json_string_value(json_object_get(action, "module")));
    if (!slot)
        return;
    size_t len;
    const char *name = action_field(r, action, &len);
    if (!name)
        return;
    if (type && strcmp(type, "invoke") == 0)
        run_invoke(r, slot->instance, name, len, json_object_get(action, "args"), result);
    else if (type && strcmp(type, "get") == 0)
        run_get(r, slot->instance, name, len, result);
    else
        fail(r, "unknown action type \"%s\"", type ? type : "(none)");
}

/* "(i32:1, f32:0x00000000 (0))" */
static void format_results(const action_result *result, char *buf, size_t size)
{
    buf[0] = '\0';
    append(buf, size, "(");
    for (uint32_t i = 0; i < result->nresults; i++) {
        char text[96];
        spectest_format_value(result->result_types[i], &result->results[i], text, sizeof text);
        append(buf, size, "%s%s", i > 0 ? ", " : "", text);
    }
    append(buf, size, ")");
}

/* ---- commands ----------------------------------------------------------- */

static void command_module(runner *r, const json_t *command)
{
    const char *filename = json_string_value(json_object_get(command, "filename"));
    if (!wc_grow((void **)&r->slots, &r->slots_capacity, r->nslots + 1, sizeof *r->slots)) {
        fail(r, "out of memory");
        return;
    }
    module_slot *slot = &r->slots[r->nslots];
    memset(slot, 0, sizeof *slot);
    slot->state = SLOT_FAILED;
    slot->name = copy_string(json_string_value(json_object_get(command, "name")));
    r->current = r->nslots++;
    r->has_current = true;

    if (!filename) {
        fail(r, "module command without a \"filename\"");
        return;
    }
    wc_error err = {0};
    int rc = load_module(r, filename, &slot->module, &err);
    if (rc == WC_ENOTSUP) {
        slot->state = SLOT_SKIPPED;
        skip(r, SKIP_UNSUPPORTED, err.msg);
        return;
    }
    if (rc != 0) {
        fail(r, "expected the module to load, got %s: %s", wc_strerror(rc), err.msg);
        return;
    }
    wc_trap trap;
    rc = instantiate(r, slot->module, &slot->instance, &trap, &err);
    if (rc != 0) {
        fail(r, "expected the module to instantiate, got %s: %s", wc_strerror(rc),
             err.msg);
        return;
    }
    slot->state = SLOT_READY;
    pass(r);
}

static void command_register(runner *r, const json_t *command)
{
    const char *as = json_string_value(json_object_get(command, "as"));
    if (!as) {
        fail(r, "register without \"as\"");
        return;
    }
    module_slot *slot = find_slot(r, json_string_value(json_object_get(command, "name")));
    if (!slot)
        return;
    if (!wc_grow((void **)&r->registrations, &r->registrations_capacity,
                 r->nregistrations + 1, sizeof *r->registrations)) {
        fail(r, "out of memory");
        return;
    }
    char *as_copy = strdup(as);
    if (!as_copy) {
        fail(r, "out of memory");
        return;
    }
    r->registrations[r->nregistrations++] = (registration){
        .as = as_copy, .slot = (size_t)(slot - r->slots)};
    pass(r);
}

static void command_action(runner *r, const json_t *command)
{
    action_result result;
    run_action(r, json_object_get(command, "action"), &result);
    if (result.status == ACTION_RETURNED)
        pass(r);
    else if (result.status == ACTION_TRAPPED)
        fail(r, "expected no trap, got trap \"%s\"", result.trap_message);
    action_result_free(&result);
}

/* Does the action's result match the expected values, or (either) one of
 * the alternatives, each a single value (relaxed SIMD's choices)? */
static bool results_match(const action_result *result, const spectest_value *expected, size_t n,
                          bool either)
{
    if (either) {
        for (size_t i = 0; result->nresults == 1 && i < n; i++)
            if (result->result_types[0] == expected[i].type &&
                spectest_value_matches(&expected[i], &result->results[0]))
                return true;
        return false;
    }
    bool ok = result->nresults == n;
    for (size_t i = 0; ok && i < n; i++)
        ok = result->result_types[i] == expected[i].type &&
             spectest_value_matches(&expected[i], &result->results[i]);
    return ok;
}

static void command_assert_return(runner *r, const json_t *command)
{
    const json_t *either = json_object_get(command, "either");
    const json_t *expected_json = either ? either : json_object_get(command, "expected");
    size_t nexpected = json_array_size(expected_json);
    spectest_value *expected = calloc(nexpected ? nexpected : 1, sizeof *expected);
    if (!expected) {
        fail(r, "out of memory");
        return;
    }
    for (size_t i = 0; i < nexpected; i++) {
        char why[256];
        switch (spectest_parse_value(json_array_get(expected_json, i), true, &expected[i],
                                     why, sizeof why)) {
        case SPECTEST_PARSE_OK:
            break;
        case SPECTEST_PARSE_UNSUPPORTED:
            skip(r, SKIP_UNSUPPORTED, why);
            free(expected);
            return;
        case SPECTEST_PARSE_ERROR:
            fail(r, "expected result %zu: %s", i, why);
            free(expected);
            return;
        }
    }

    char expected_text[1024] = "(";
    for (size_t i = 0; i < nexpected; i++) {
        char text[256];
        spectest_format_expected(&expected[i], text, sizeof text);
        append(expected_text, sizeof expected_text, "%s%s", i == 0 ? "" : either ? " or " : ", ", text);
    }
    append(expected_text, sizeof expected_text, ")");

    action_result result;
    run_action(r, json_object_get(command, "action"), &result);
    if (result.status == ACTION_TRAPPED) {
        fail(r, "expected %s, got trap \"%s\"", expected_text, result.trap_message);
    } else if (result.status == ACTION_RETURNED) {
        if (results_match(&result, expected, nexpected, either != NULL)) {
            pass(r);
        } else {
            char actual_text[1024];
            format_results(&result, actual_text, sizeof actual_text);
            fail(r, "expected %s, got %s", expected_text, actual_text);
        }
    }
    action_result_free(&result);
    free(expected);
}

/* assert_trap, assert_exhaustion and assert_exception on an action: the
 * trap its text names, "call stack exhausted", or an exception that no
 * handler took (the trap "uncaught exception" at the host). */
static void expect_action_trap(runner *r, const json_t *command, const char *text,
                               wc_trap expected)
{
    action_result result;
    run_action(r, json_object_get(command, "action"), &result);
    if (result.status == ACTION_RETURNED) {
        char actual_text[1024];
        format_results(&result, actual_text, sizeof actual_text);
        fail(r, "expected trap \"%s\", got %s", text, actual_text);
    } else if (result.status == ACTION_TRAPPED) {
        bool ok = expected != WC_TRAP_NONE ? result.trap == expected
                                           : trap_matches_text(result.trap, text);
        if (ok)
            pass(r);
        else
            fail(r, "expected trap \"%s\", got trap \"%s\" (%s)", text,
                 wc_trap_name(result.trap), result.trap_message);
    }
    action_result_free(&result);
}

/* assert_trap on a module, assert_uninstantiable, assert_unlinkable: the
 * module compiles and instantiating it fails with expected_code. */
static void expect_instantiation_failure(runner *r, const json_t *command, const char *text,
                                         int expected_code)
{
    const char *filename = json_string_value(json_object_get(command, "filename"));
    if (!filename) {
        fail(r, "command without a \"filename\"");
        return;
    }
    wc_error err = {0};
    wc_module *module;
    int rc = load_module(r, filename, &module, &err);
    if (rc == WC_ENOTSUP) {
        skip(r, SKIP_UNSUPPORTED, err.msg);
        return;
    }
    if (rc != 0) {
        fail(r, "expected %s \"%s\" at instantiation, got %s when loading: %s",
             wc_strerror(expected_code), text, wc_strerror(rc), err.msg);
        return;
    }
    wc_instance *instance;
    wc_trap trap;
    rc = instantiate(r, module, &instance, &trap, &err);
    if (rc == 0) {
        fail(r, "expected %s \"%s\", got a working instance", wc_strerror(expected_code),
             text);
        wc_instance_free(instance);
    } else if (rc != expected_code) {
        fail(r, "expected %s \"%s\", got %s: %s", wc_strerror(expected_code), text,
             wc_strerror(rc), err.msg);
    } else if (expected_code == WC_ETRAP && !trap_matches_text(trap, text)) {
        fail(r, "expected trap \"%s\", got trap \"%s\" (%s)", text, wc_trap_name(trap), err.msg);
    } else {
        pass(r);
    }
    wc_module_release(module);
}

/* assert_invalid and assert_malformed: decoding (or else compiling) fails
 * with expected_code. */
static void expect_rejection(runner *r, const json_t *command, const char *text,
                             int expected_code)
{
    const char *module_type = json_string_value(json_object_get(command, "module_type"));
    if (module_type && strcmp(module_type, "binary") != 0) {
        skip(r, SKIP_TEXT, "a text-format module needs a text parser, which the engine has not");
        return;
    }
    const char *filename = json_string_value(json_object_get(command, "filename"));
    if (!filename) {
        fail(r, "command without a \"filename\"");
        return;
    }
    char path[PATH_MAX];
    uint8_t *bytes;
    size_t size;
    if ((size_t)snprintf(path, sizeof path, "%s/%s", r->dir, filename) >= sizeof path ||
        spectest_read_file(path, &bytes, &size) != 0) {
        fail(r, "cannot read %s: %s", path, strerror(errno));
        return;
    }

    /* The decoder alone decides in all but odd cases; compiling (slow, in the
     * optimized tier) is only the fallback when it accepts the module. */
    wc_error err = {0};
    wc_module_info *info = NULL;
    /* with the proposals the engine has on: the core suite asserts what
     * some of them relax */
    wc_decode_limits limits = {.disabled_features = r->options->disabled_features};
    int rc = wc_decode(bytes, size, &limits, &info, &err);
    if (rc == 0) {
        wc_module_info_free(info);
        wc_module *module = NULL;
        rc = wc_module_new(r->engine, bytes, size, &module, &err);
        if (module)
            wc_module_release(module);
    }
    free(bytes);

    if (rc == expected_code)
        pass(r);
    else if (rc == WC_ENOTSUP)
        skip(r, SKIP_UNSUPPORTED, err.msg);
    else if (rc == WC_EBADMODULE && strcmp(text, "zero flag expected") == 0 &&
             strstr(err.msg, "unknown table"))
        /* proposals/memory64/binary.wast predates reference types */
        skip(r, SKIP_OUTDATED, "the MVP's reserved byte of call_indirect is a table index since 2.0");
    else if (rc == 0 && strcmp(text, "multiple tables") == 0)
        /* proposals/threads/imports.wast predates reference types */
        skip(r, SKIP_OUTDATED, "2.0 (reference types) allows several tables");
    else if (rc == 0)
        fail(r, "expected %s \"%s\", got a valid module", wc_strerror(expected_code), text);
    else
        fail(r, "expected %s \"%s\", got %s: %s", wc_strerror(expected_code), text,
             wc_strerror(rc), err.msg);
}

static void run_command(runner *r, const json_t *command)
{
    const char *type = json_string_value(json_object_get(command, "type"));
    const char *text = json_string_value(json_object_get(command, "text"));
    if (!text)
        text = "";
    r->line = (int)json_integer_value(json_object_get(command, "line"));
    r->counts->running_line = r->line;
    describe_command(r, type ? type : "(no type)", command);

    if (!type)
        fail(r, "command without a \"type\"");
    else if (strcmp(type, "module") == 0)
        command_module(r, command);
    else if (strcmp(type, "register") == 0)
        command_register(r, command);
    else if (strcmp(type, "action") == 0)
        command_action(r, command);
    else if (strcmp(type, "assert_return") == 0)
        command_assert_return(r, command);
    else if (strcmp(type, "assert_trap") == 0 && json_object_get(command, "action"))
        expect_action_trap(r, command, text, WC_TRAP_NONE);
    else if (strcmp(type, "assert_trap") == 0) /* the module form */
        expect_instantiation_failure(r, command, text, WC_ETRAP);
    else if (strcmp(type, "assert_exhaustion") == 0)
        expect_action_trap(r, command, text, WC_TRAP_STACK_EXHAUSTED);
    else if (strcmp(type, "assert_exception") == 0)
        expect_action_trap(r, command, "uncaught exception", WC_TRAP_UNCAUGHT_EXCEPTION);
    else if (strcmp(type, "assert_invalid") == 0)
        expect_rejection(r, command, text, WC_EBADMODULE);
    else if (strcmp(type, "assert_malformed") == 0)
        expect_rejection(r, command, text, WC_EMALFORMED);
    else if (strcmp(type, "assert_unlinkable") == 0)
        expect_instantiation_failure(r, command, text, WC_ELINK);
    else if (strcmp(type, "assert_uninstantiable") == 0)
        expect_instantiation_failure(r, command, text, WC_ETRAP);
    else
        fail(r, "unknown command type");
}

/* ---- one script --------------------------------------------------------- */

static void runner_free(runner *r)
{
    /* Newest first: later instances may use what earlier ones export. */
    for (size_t i = r->nslots; i-- > 0;) {
        if (r->slots[i].instance)
            wc_instance_free(r->slots[i].instance);
    }
    for (size_t i = r->nslots; i-- > 0;) {
        if (r->slots[i].module)
            wc_module_release(r->slots[i].module);
        free(r->slots[i].name);
    }
    free(r->slots);
    for (size_t i = 0; i < r->nregistrations; i++)
        free(r->registrations[i].as);
    free(r->registrations);
    spectest_host_free(&r->host);
    if (r->engine)
        wc_engine_free(r->engine);
}

int spectest_run_script(const char *display_name, const char *json_path,
                        const spectest_options *options, spectest_counts *counts,
                        FILE *report)
{
    runner r = {
        .display_name = display_name,
        .options = options,
        .counts = counts,
        .report = report,
        .instance_config = {.timeout_ms = CALL_TIMEOUT_MS},
    };

    /* The .wasm files are beside the JSON. */
    const char *slash = strrchr(json_path, '/');
    if (!slash)
        snprintf(r.dir, sizeof r.dir, ".");
    else
        snprintf(r.dir, sizeof r.dir, "%.*s", (int)(slash - json_path), json_path);

    json_t *root = spectest_load_json(json_path, report);
    if (!root) {
        counts->failed++;
        return -1;
    }
    const json_t *commands = json_object_get(root, "commands");

    wc_engine_config config;
    wc_engine_config_default(&config);
    config.tier = options->tier;
    config.limits.disabled_features = options->disabled_features;
    config.track_writes = true; /* the code plugins run: with its write marks */
    if (options->cache_dir)
        config.cache_dir = options->cache_dir;
    wc_error err = {0};
    int rc = wc_engine_new(&config, &r.engine, &err);
    if (rc == 0)
        rc = spectest_host_init(&r.host, r.engine, options->verbose ? report : NULL, &err);
    if (rc != 0) {
        fprintf(report, "FAIL %s: cannot set up the engine: %s\n", display_name, err.msg);
        counts->failed++;
        runner_free(&r);
        json_decref(root);
        return -1;
    }

    size_t i;
    const json_t *command;
    json_array_foreach(commands, i, command) {
        run_command(&r, command);
    }

    runner_free(&r);
    json_decref(root);
    return 0;
}
