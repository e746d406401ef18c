/* notes.c -- the notes plugin: short texts in the host's key-value store.
 *
 * Shows every entry point of the native ABI: tools (add, get, list,
 * delete), a static resource (notes://index), a resource template
 * (notes://{id}) with its instances listed dynamically, a prompt
 * (summarize) and completion of note ids; a change to a note notifies the
 * clients subscribed to it (resource_updated).  A note lives under the kv key
 * "note:<id>"; the config gives the plugin its own kv namespace, so the keys
 * never meet another plugin's.  A note is the ontology's type Note
 * (ontology/notes/Note.json), read and written through its generated C
 * type (../ontology.h).
 */
#define WASMCAP_IMPLEMENTATION
#include "wasmcap.h"
#include "ontology.h"

#include <stdlib.h>
#include <string.h>

WASMCAP_MANIFEST_FILE("manifest.json");

#define KEY_PREFIX "note:"
#define MAX_COMPLETIONS 100

/* ^[a-z0-9-]{1,64}$: the host checks tool inputs against the schema, but
 * resource URIs and prompt arguments reach us as they are. */
static int valid_id(const char *id)
{
    size_t n = strlen(id);
    if (n < 1 || n > 64)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((id[i] >= 'a' && id[i] <= 'z') || (id[i] >= '0' && id[i] <= '9') || id[i] == '-'))
            return 0;
    return 1;
}

static void note_key(char key[80], const char *id)
{
    snprintf(key, 80, KEY_PREFIX "%s", id);
}

/* The note's text (malloc'ed) or NULL; *rc is 0 or the host's error. */
static char *load(const char *id, int *rc)
{
    char key[80], *text;
    note_key(key, id);
    *rc = wasmcap_kv_get(key, &text, NULL);
    return *rc ? NULL : text;
}

/* The ids of all notes with this id prefix, parsed from kv_list (a JSON
 * array of keys).  Returns the array, or NULL with *rc set. */
static wasmcap_json *ids_with_prefix(const char *prefix, int *rc)
{
    char key[80], *json;
    size_t len;
    snprintf(key, sizeof key, KEY_PREFIX "%.64s", prefix);
    *rc = wasmcap_kv_list(key, &json, &len);
    if (*rc)
        return NULL;
    char err[96];
    wasmcap_json *keys = wasmcap_json_parse(json, len, err, sizeof err);
    free(json);
    if (!keys || keys->type != WASMCAP_JSON_ARRAY) {
        wasmcap_log(WASMCAP_ERROR, "kv_list returned no array: %s", keys ? "wrong type" : err);
        wasmcap_json_free(keys);
        *rc = WASMCAP_EFAILED;
        return NULL;
    }
    return keys;
}

/* The id of a key from kv_list, or NULL when it is not a note's key. */
static const char *key_id(const wasmcap_json *key)
{
    const char *s = wasmcap_json_string(key, NULL);
    if (!s || strncmp(s, KEY_PREFIX, strlen(KEY_PREFIX)) != 0)
        return NULL;
    return s + strlen(KEY_PREFIX);
}

/* Tells subscribers what a change touched: the note's own resource, the
 * index (it lists every id), and the resource list when a note came or went.
 * The server advertises resources/subscribe; without this a subscribed
 * client would never hear of a change. */
static void notify_changed(const char *id, int created_or_removed)
{
    char uri[80];
    snprintf(uri, sizeof uri, "notes://%s", id);
    wasmcap_resource_updated(uri);
    wasmcap_resource_updated("notes://index");
    if (created_or_removed)
        wasmcap_list_changed("resources");
}

/* ---- tools ------------------------------------------------------------- */

static int add(const wasmcap_json *args, wasmcap_result *out)
{
    onto_Note note;
    char err[256];
    if (onto_Note_read(args, &note, err, sizeof err))
        return wasmcap_error(out, "%s", err);
    const char *id = note.id;
    const wasmcap_json *text = wasmcap_json_get(args, "text"); /* its length: it may hold NULs */
    if (!valid_id(id))
        return wasmcap_error(out, "invalid id '%s': use 1-64 of a-z, 0-9 and '-'", id);
    char key[80], *old;
    note_key(key, id);
    int replaced = wasmcap_kv_get(key, &old, NULL) == 0;
    free(old);
    int rc = wasmcap_kv_put(key, text->string, text->len);
    if (rc)
        return wasmcap_error(out, "could not store note '%s': %s", id, wasmcap_last_error());
    notify_changed(id, !replaced);
    wasmcap_log(WASMCAP_INFO, "%s note '%s' (%zu bytes)", replaced ? "replaced" : "added", id,
                text->len);
    wasmcap_text(out, "%s note '%s' (%zu bytes)", replaced ? "Replaced" : "Added", id, text->len);
    wasmcap_jw *s = wasmcap_structured(out);
    wasmcap_jw_kv_string(s, "id", id);
    wasmcap_jw_kv_int(s, "bytes", (long long)text->len);
    wasmcap_jw_kv_bool(s, "replaced", replaced);
    return 0;
}

static int get(const wasmcap_json *args, wasmcap_result *out)
{
    const char *id = wasmcap_json_string(wasmcap_json_get(args, "id"), "");
    if (!valid_id(id))
        return wasmcap_error(out, "invalid id '%s': use 1-64 of a-z, 0-9 and '-'", id);
    int rc;
    char *text = load(id, &rc);
    if (rc == WASMCAP_ENOTFOUND)
        return wasmcap_error(out, "no note '%s'; the tool list shows the ids", id);
    if (rc)
        return wasmcap_error(out, "could not read note '%s': %s", id, wasmcap_last_error());
    wasmcap_text(out, "%s", text);
    onto_Note note = {.id = id, .text = text};
    rc = onto_Note_result(out, &note);
    free(text);
    return rc;
}

static int list(const wasmcap_json *args, wasmcap_result *out)
{
    (void)args;
    int rc;
    wasmcap_json *keys = ids_with_prefix("", &rc);
    if (!keys)
        return wasmcap_error(out, "could not list notes: %s", wasmcap_last_error());
    wasmcap_buf text = {0};
    wasmcap_jw *s = wasmcap_structured(out);
    wasmcap_jw_key(s, "ids");
    wasmcap_jw_begin_array(s);
    size_t i = 0;
    for (const wasmcap_json *k = keys->child; k; k = k->next, i++) {
        const char *id = key_id(k);
        if (!id)
            continue;
        wasmcap_jw_string(s, id);
        wasmcap_buf_printf(&text, "%s%s", text.len ? "\n" : "", id);
        wasmcap_progress((double)(i + 1), (double)keys->len, "listed %s", id);
    }
    wasmcap_jw_end_array(s);
    wasmcap_text(out, "%s", text.len ? text.data : "no notes yet; add one with the add tool");
    wasmcap_buf_free(&text);
    wasmcap_json_free(keys);
    return 0;
}

static int delete_note(const wasmcap_json *args, wasmcap_result *out)
{
    const char *id = wasmcap_json_string(wasmcap_json_get(args, "id"), "");
    if (!valid_id(id))
        return wasmcap_error(out, "invalid id '%s': use 1-64 of a-z, 0-9 and '-'", id);
    int rc;
    char *old = load(id, &rc);
    free(old);
    if (rc && rc != WASMCAP_ENOTFOUND)
        return wasmcap_error(out, "could not read note '%s': %s", id, wasmcap_last_error());
    int existed = rc == 0;
    char key[80];
    note_key(key, id);
    if (existed && wasmcap_kv_delete(key))
        return wasmcap_error(out, "could not delete note '%s': %s", id, wasmcap_last_error());
    if (existed) {
        notify_changed(id, 1);
        wasmcap_log(WASMCAP_INFO, "deleted note '%s'", id);
    }
    wasmcap_text(out, existed ? "Deleted note '%s'" : "There was no note '%s'", id);
    wasmcap_jw *s = wasmcap_structured(out);
    wasmcap_jw_kv_string(s, "id", id);
    wasmcap_jw_kv_bool(s, "deleted", existed);
    return 0;
}

WASMCAP_TOOLS({"add", add}, {"get", get}, {"list", list}, {"delete", delete_note});

/* ---- resources --------------------------------------------------------- */

static int read_resource(const char *uri, wasmcap_reply *out)
{
    int rc;
    if (strcmp(uri, "notes://index") == 0) {
        wasmcap_json *keys = ids_with_prefix("", &rc);
        if (!keys)
            return wasmcap_reply_error(out, "could not list notes: %s", wasmcap_last_error());
        wasmcap_jw ids = {0};
        wasmcap_jw_begin_array(&ids);
        for (const wasmcap_json *k = keys->child; k; k = k->next)
            if (key_id(k))
                wasmcap_jw_string(&ids, key_id(k));
        wasmcap_jw_end_array(&ids);
        wasmcap_json_free(keys);
        if (ids.buf.failed)
            return wasmcap_reply_error(out, "out of memory");
        wasmcap_resource_text(out, uri, "application/json", ids.buf.data);
        wasmcap_buf_free(&ids.buf);
        return 0;
    }
    const char *id = strncmp(uri, "notes://", 8) == 0 ? uri + 8 : "";
    if (!valid_id(id))
        return wasmcap_reply_error(out, "no note at '%s'", uri);
    char *text = load(id, &rc);
    if (rc == WASMCAP_ENOTFOUND)
        return wasmcap_reply_error(out, "no note '%s'", id);
    if (rc)
        return wasmcap_reply_error(out, "could not read note '%s': %s", id, wasmcap_last_error());
    wasmcap_resource_text(out, uri, "text/plain", text);
    free(text);
    return 0;
}

static int list_resources(wasmcap_reply *out)
{
    int rc;
    wasmcap_json *keys = ids_with_prefix("", &rc);
    if (!keys)
        return wasmcap_reply_error(out, "could not list notes: %s", wasmcap_last_error());
    wasmcap_jw_key(&out->w, "resources");
    wasmcap_jw_begin_array(&out->w);
    for (const wasmcap_json *k = keys->child; k; k = k->next) {
        const char *id = key_id(k);
        if (!id)
            continue;
        wasmcap_jw_begin_object(&out->w);
        wasmcap_jw_key(&out->w, "uri");
        wasmcap_jw_stringf(&out->w, "notes://%s", id);
        wasmcap_jw_kv_string(&out->w, "name", id);
        wasmcap_jw_kv_string(&out->w, "mimeType", "text/plain");
        wasmcap_jw_end_object(&out->w);
    }
    wasmcap_jw_end_array(&out->w);
    wasmcap_json_free(keys);
    return 0;
}

WASMCAP_READ_RESOURCE(read_resource);
WASMCAP_LIST_RESOURCES(list_resources);

/* ---- prompt and completion --------------------------------------------- */

static int summarize(const wasmcap_json *args, wasmcap_reply *out)
{
    const char *id = wasmcap_json_string(wasmcap_json_get(args, "id"), NULL);
    if (!id)
        return wasmcap_reply_error(out, "argument 'id' is required");
    if (!valid_id(id))
        return wasmcap_reply_error(out, "invalid id '%s': use 1-64 of a-z, 0-9 and '-'", id);
    int rc;
    char *text = load(id, &rc);
    if (rc == WASMCAP_ENOTFOUND)
        return wasmcap_reply_error(out, "no note '%s'", id);
    if (rc)
        return wasmcap_reply_error(out, "could not read note '%s': %s", id, wasmcap_last_error());
    wasmcap_buf msg = {0};
    wasmcap_buf_printf(&msg, "Summarize the note '%s' in at most three short bullet points.\n\n%s",
                       id, text);
    free(text);
    if (msg.failed)
        return wasmcap_reply_error(out, "out of memory");
    wasmcap_jw_kv_string(&out->w, "description", "Summarize a note");
    wasmcap_jw_key(&out->w, "messages");
    wasmcap_jw_begin_array(&out->w);
    wasmcap_jw_message(&out->w, "user", msg.data);
    wasmcap_jw_end_array(&out->w);
    wasmcap_buf_free(&msg);
    return 0;
}

WASMCAP_PROMPTS({"summarize", summarize});

/* Completes the id of the summarize prompt and of notes://{id}. */
static int complete(const wasmcap_json *params, wasmcap_reply *out)
{
    const wasmcap_json *argument = wasmcap_json_get(params, "argument");
    const char *name = wasmcap_json_string(wasmcap_json_get(argument, "name"), "");
    const char *value = wasmcap_json_string(wasmcap_json_get(argument, "value"), "");
    wasmcap_jw_key(&out->w, "values");
    wasmcap_jw_begin_array(&out->w);
    /* a prefix that no id can have completes to nothing */
    if (strcmp(name, "id") == 0 && (!*value || valid_id(value))) {
        int rc;
        wasmcap_json *keys = ids_with_prefix(value, &rc);
        if (!keys)
            return wasmcap_reply_error(out, "could not list notes: %s", wasmcap_last_error());
        size_t n = 0;
        for (const wasmcap_json *k = keys->child; k && n < MAX_COMPLETIONS; k = k->next)
            if (key_id(k)) {
                wasmcap_jw_string(&out->w, key_id(k));
                n++;
            }
        wasmcap_json_free(keys);
    }
    wasmcap_jw_end_array(&out->w);
    return 0;
}

WASMCAP_COMPLETE(complete);
