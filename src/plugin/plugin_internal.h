/* plugin_internal.h -- what plugin.c and the ABIs (abi.h) share.
 *
 * struct wc_plugin is everything computed at load; a `run` is one call's
 * instance and the host state around it, set up and torn down by
 * wc_run_begin / wc_run_end (plugin.c), driven by native.c or command.c.
 */
#ifndef WC_PLUGIN_PLUGIN_INTERNAL_H
#define WC_PLUGIN_PLUGIN_INTERNAL_H

#include <regex.h>
#include <stdatomic.h>

#include "host/wasi.h"
#include "host/wasi_nn.h"
#include "json/scan.h"
#include "plugin/abi.h"
#include "plugin/plugin.h"

/* What a file was when the plugin read it: a reload compares it with
 * the file now (an editor's rename-over save changes the inode, an
 * in-place write the size or times). */
typedef struct wc_file_identity {
    bool exists;
    unsigned long long dev, ino, size;
    long long mtime_ns, ctime_ns;
} wc_file_identity;

struct wc_plugin {
    /* Registries share a plugin a reload did not change; the last to let
     * go (a registry, while calls on it run) frees it. */
    atomic_int refs;
    wc_file_identity module_file, sidecar_file;
    wc_plugin_config config; /* deep copy; perms are what the host functions see */
    wc_engine *engine;
    wc_kv *kv;
    wc_module *module;
    wc_manifest manifest;
    const wc_plugin_abi *abi;
    void *abi_state; /* the ABI's own, from its load (freed by its unload) */
    int entry[WC_ENTRY_COUNT]; /* export index, or -1 */
    int alloc_index, init_index, start_index;
    /* One binding per import, in import order, so linking finds each at
     * once.  WASI ones get the call's wc_wasi as env: wasi_slots lists them. */
    wc_import_binding *bindings;
    size_t nbindings;
    uint32_t *wasi_slots;
    size_t nwasi;
    uint32_t *nn_slots; /* the wasi_ephemeral_nn ones: env is the call's wc_wasi_nn */
    size_t nnn;
    bool needs_wasi; /* imports anything from wasi_snapshot_preview1 */
    uint32_t max_pages, timeout_ms;
    uint64_t memory_limit;
    size_t max_output;
    json_t *log_fields; /* {"plugin": name}, read-only */
    regex_t *skip[WC_SKIP_KINDS]; /* the config's skip lists, compiled */
    size_t nskip[WC_SKIP_KINDS];
};

/* skip.c: compiles the config's skip lists (an error names the key), drops
 * what they match from the manifest, frees them. */
int wc_skip_compile(wc_plugin *p, wc_error *err);
void wc_skip_apply(wc_plugin *p);
void wc_skip_free(wc_plugin *p);
/* Whether a skip list hides name. */
bool wc_plugin_skips(const wc_plugin *p, wc_skip_kind kind, const char *name);

/* How a run failed. */
typedef enum wc_run_status {
    WC_RUN_OK = 0,
    WC_RUN_TRAP,      /* msg: the trap */
    WC_RUN_DEADLINE,
    WC_RUN_CANCELLED,
    WC_RUN_MEMORY,
    WC_RUN_OUTPUT,    /* msg: the size */
    WC_RUN_BADOUT,    /* msg: what was wrong */
    WC_RUN_INTERNAL,  /* msg: what failed */
} wc_run_status;

typedef struct wc_run {
    wc_plugin *p;
    wc_call *call;
    wc_call *own_call; /* created when the caller passed none */
    wc_wasi *wasi;
    wc_wasi_nn *nn; /* when the plugin imports WASI-NN */
    wc_wasmcap_host host;
    wc_instance *inst;
    wc_import_binding small[32]; /* bindings patched for this call's wasi */
    wc_import_binding *bindings;
    wc_run_status status;
    char msg[sizeof ((wc_error *)0)->msg]; /* what a wc_error holds */
    uint64_t deadline_ns; /* the instance's (0: none): checks of its result end by it too */
    /* When set, wc_native_invoke copies the result's text here if it is
     * one line (no CR or LF between its tokens). */
    wc_buf *keep_text;
    /* With keep_text: when the text was kept, build of the result only what
     * the checks read (wc_json_options.keep): the caller sends the text.
     * wc_native_invoke sets skim->text_result when it checked the text's
     * shape from its bytes and built nothing. */
    wc_result_shape *skim;
} wc_run;

/* Creates the instance (and its wasi when wcfg is not NULL) and makes the
 * call's cancellation interrupt it.  Returns 0, or the code of r->status
 * (wc_run_code) with r->status and r->msg set. */
int wc_run_begin(wc_run *r, wc_plugin *p, wc_call *call, const wc_wasi_config *wcfg);
/* Ends the interruption, logs the guest's stderr, frees everything. */
void wc_run_end(wc_run *r);
/* Sets r->status and r->msg from a trap of the running instance. */
void wc_run_trapped(wc_run *r, wc_trap trap);
/* The WC_E* code of a run's status: WC_ETRAP, WC_ETIMEDOUT, WC_ECANCELED,
 * WC_ETOOBIG (memory or output over its limit), WC_EPLUGIN (a bad result,
 * or the run could not start); WC_OK when it went well. */
int wc_run_code(wc_run_status status);
/* The trap a guest call ended with, as the run counts it: one that returned
 * (or exited) after WASI-NN stopped a compute at the deadline is
 * WC_TRAP_DEADLINE, as the guest got only runtime_error and went on. */
wc_trap wc_run_outcome(const wc_run *r, wc_trap trap);
/* A failure of `what` ("tool 'add'") as a sentence for a person in out,
 * with the code of the run's status (WC_ETRAP, WC_ETIMEDOUT, ...), which
 * it returns. */
int wc_run_describe(const wc_run *r, const char *what, wc_error *out);

/* native.c: whether text is a CallToolResult of the usual shape, checked
 * in one pass over its bytes with nothing built: valid JSON throughout
 * (duplicate keys refused), an object with keys written plainly, "content"
 * an array of flat content blocks that wc_content_flat_block_ok accepts
 * for protocol revision `revision`, "isError" absent or a boolean,
 * "structuredContent" absent or a flat object (wc_json_flat_members).
 * Then it fills *shape; false means only "not decided here": the parsed
 * path checks the text and words what is wrong. */
bool wc_result_text_shape(wc_result_shape *shape, const char *revision, const char *text,
                          size_t len);

/* content.c: whether every block of a result's content array is a content
 * block of the MCP schema of protocol revision `revision` (NULL or "": the
 * latest): an object, a "type" the revision has, that type's required
 * members; otherwise false with what is wrong in why ("content[2] ..."). */
bool wc_content_check(const json_t *content, const char *revision, wc_error *why);
/* content.c: the same for one flat block already split into its members
 * (wc_json_flat_object_checked): true only when it is surely valid; false
 * leaves the verdict to wc_content_check on the parsed value. */
bool wc_content_flat_block_ok(const wc_json_member *members, int count, const char *revision);

/* A text content block for bytes that may not be valid UTF-8. */
json_t *wc_text_block(const char *text, size_t len);

#endif
