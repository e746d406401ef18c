/* config.h -- what wasmcap.json says about each plugin: where it is, the
 * names it is exposed under and the permissions it is granted.
 *
 * The front end reads the rest of the file (cli/config.h) and hands the
 * "plugins" object here, on a reader that expands "${VAR}" and resolves
 * relative paths (docs/CONFIG.md documents the keys).
 */
#ifndef WC_PLUGIN_CONFIG_H
#define WC_PLUGIN_CONFIG_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "host/wasmcap.h"
#include "json/reader.h"
#include "json/schema_ref.h"

/* What a plugin's skip_* lists hide (hyper-mcp's filters). */
typedef enum wc_skip_kind {
    WC_SKIP_TOOLS,              /* by tool name */
    WC_SKIP_PROMPTS,            /* by prompt name */
    WC_SKIP_RESOURCES,          /* by resource URI */
    WC_SKIP_RESOURCE_TEMPLATES, /* by URI template */
    WC_SKIP_KINDS
} wc_skip_kind;

/* Patterns of one skip list at most, and characters of one pattern. */
#define WC_SKIP_MAX_PATTERNS 256
#define WC_SKIP_MAX_PATTERN 1024

typedef struct wc_plugin_config {
    char *name;            /* the key in "plugins" */
    char *path;            /* absolute or relative to the working directory; NULL
                            * until the front end resolves a source */
    bool has_source;       /* the entry gives "source" instead of "path" */
    char *prefix;          /* tool name prefix; "" for none; default: name */
    json_t *tool_names;    /* object: manifest tool name -> exposed name; may be NULL */
    wc_permissions perms;
    /* skip_tools, skip_prompts, ...: POSIX extended regular expressions
     * matched against whole names (^(pattern)$); what they match is
     * neither listed nor served.  Owned strings. */
    char **skip[WC_SKIP_KINDS];
    size_t n_skip[WC_SKIP_KINDS];
    /* The ontology's schema documents its tool schemas may "$ref" (one
     * reference held; NULL: none).  Set by the front end from the config's
     * "ontology". */
    wc_schema_docs *schema_docs;
    /* What the config says of this plugin, as one text: the entry as
     * written (and the front end's sections it depends on).  A reload
     * keeps a loaded plugin whose fingerprint, path and files did not
     * change.  NULL: always load afresh. */
    char *fingerprint;
} wc_plugin_config;

/* Reads the "plugins" object ("name": {"path": ..., ...}) into a new array
 * ("source" is marked known and left to the front end: has_source)
 * of *count entries (none when absent).  Unknown keys are refused.  False
 * when the reader failed (the entries read so far are freed). */
bool wc_plugin_configs_read(const wc_rnode *plugins, wc_plugin_config **out, size_t *count);
/* Frees what one entry holds (its fields, not the entry). */
void wc_plugin_config_free(wc_plugin_config *plugin);
void wc_plugin_configs_free(wc_plugin_config *plugins, size_t count);

/* The config key of a skip list ("skip_tools"). */
const char *wc_skip_key(wc_skip_kind kind);
/* Whether pattern compiles as a skip pattern (anchored POSIX ERE); false
 * with regerror's reason in why. */
bool wc_skip_pattern_ok(const char *pattern, char *why, size_t why_size);

/* Deep copies and frees of permissions.allowed_paths (owned paths). */
int wc_preopens_copy(const wc_wasi_preopen *src, size_t count, wc_wasi_preopen **out);
void wc_preopens_free(wc_wasi_preopen *preopens, size_t count);

#endif
