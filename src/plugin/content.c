/* content.c -- the content blocks of a tool's result, checked before they
 * reach a client: each an object with a known "type" and the members that
 * type requires (MCP schema: TextContent, ImageContent, AudioContent,
 * ResourceLink, EmbeddedResource).  Other members (annotations, _meta) are
 * passed on as they are. */
#include "plugin/plugin_internal.h"

#include <stdio.h>
#include <string.h>

typedef struct {
    const char *type;
    const char *required[2]; /* string members; NULL: none more */
    const char *since;       /* the first protocol revision that has it */
} block_kind;

static const block_kind kinds[] = {
    {"text", {"text", NULL}, "2024-11-05"},
    {"image", {"data", "mimeType"}, "2024-11-05"},
    {"audio", {"data", "mimeType"}, "2025-03-26"},
    {"resource_link", {"uri", "name"}, "2025-06-18"},
    {"resource", {NULL, NULL}, "2024-11-05"}, /* its "resource" object is checked below */
};

/* Revisions are dates: they compare as strings. */
static bool kind_in(const block_kind *kind, const char *revision)
{
    return !revision || !revision[0] || strcmp(kind->since, revision) <= 0;
}

#define KIND_COUNT (sizeof kinds / sizeof kinds[0])
#define TYPE_NAMES "text, image, audio, resource_link or resource"

static const block_kind *kind_named(const char *type, size_t len)
{
    for (size_t i = 0; i < KIND_COUNT; i++)
        if (strlen(kinds[i].type) == len && memcmp(kinds[i].type, type, len) == 0)
            return &kinds[i];
    return NULL;
}

/* An EmbeddedResource's "resource": {"uri", and "text" or "blob"}. */
static bool embedded_resource_ok(const json_t *resource)
{
    return json_is_object(resource) && json_is_string(json_object_get(resource, "uri")) &&
           (json_is_string(json_object_get(resource, "text")) ||
            json_is_string(json_object_get(resource, "blob")));
}

bool wc_content_check(const json_t *content, const char *revision, wc_error *why)
{
    size_t i;
    const json_t *block;
    json_array_foreach(content, i, block) {
        if (!json_is_object(block)) {
            wc_error_set(why, WC_EINVAL, "content[%zu] must be a content block object", i);
            return false;
        }
        const json_t *type = json_object_get(block, "type");
        const block_kind *kind =
            json_is_string(type) ? kind_named(json_string_value(type), json_string_length(type))
                                 : NULL;
        if (!kind) {
            wc_error_set(why, WC_EINVAL, "content[%zu] needs a \"type\" of " TYPE_NAMES, i);
            return false;
        }
        if (!kind_in(kind, revision)) {
            wc_error_set(why, WC_EINVAL, "content[%zu] is of type %s, which protocol revision %s "
                         "does not have (it came with %s)",
                         i, kind->type, revision, kind->since);
            return false;
        }
        for (int r = 0; r < 2 && kind->required[r]; r++) {
            if (!json_is_string(json_object_get(block, kind->required[r]))) {
                wc_error_set(why, WC_EINVAL, "content[%zu] of type %s needs a string \"%s\"", i,
                             kind->type, kind->required[r]);
                return false;
            }
        }
        if (strcmp(kind->type, "resource") == 0 &&
            !embedded_resource_ok(json_object_get(block, "resource"))) {
            wc_error_set(why, WC_EINVAL,
                         "content[%zu] of type resource needs a \"resource\" object "
                         "with a string \"uri\" and a string \"text\" or \"blob\"", i);
            return false;
        }
    }
    return true;
}

/* Whether a member's value token is a string written without escapes; its
 * bytes (without quotes) in *s. */
static bool plain_string(const wc_json_member *m, const char **s, size_t *len)
{
    if (m->value_len < 2 || m->value[0] != '"' || memchr(m->value, '\\', m->value_len))
        return false;
    *s = m->value + 1;
    *len = m->value_len - 2;
    return true;
}

static const wc_json_member *member_named(const wc_json_member *members, int count,
                                          const char *name)
{
    size_t len = strlen(name);
    for (int i = 0; i < count; i++)
        if (members[i].key_len == len && memcmp(members[i].key, name, len) == 0)
            return &members[i];
    return NULL;
}

bool wc_content_flat_block_ok(const wc_json_member *members, int count, const char *revision)
{
    const wc_json_member *type = member_named(members, count, "type");
    const char *name;
    size_t len;
    const block_kind *kind = type && plain_string(type, &name, &len) ? kind_named(name, len) : NULL;
    if (!kind || !kind->required[0] || !kind_in(kind, revision)) /* a resource is never flat */
        return false;
    for (int r = 0; r < 2 && kind->required[r]; r++) {
        const wc_json_member *m = member_named(members, count, kind->required[r]);
        if (!m || m->value_len == 0 || m->value[0] != '"')
            return false;
    }
    return true;
}
