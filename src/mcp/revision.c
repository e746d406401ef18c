/* revision.c -- results as protocol revision 2025-03-26 has them.
 *
 * Later revisions added members and content that a 2025-03-26 client does
 * not know and may refuse (its SDK checks a tool result's content against
 * the kinds it knows): title on tools, prompts, resources and their
 * arguments, a tool's outputSchema, a result's structuredContent, and
 * resource_link content.  A copy of the result is trimmed to that
 * revision; the result the server keeps (a list cached in the registry)
 * stays as it is.  Only such sessions pay for the copy.
 */
#include "mcp/internal.h"

#include <stdlib.h>
#include <string.h>

/* Members of list items the revision lacks (icons came with 2025-11-25). */
static void trim_items(json_t *items)
{
    size_t i;
    json_t *item;
    json_array_foreach(items, i, item) {
        json_object_del(item, "title");
        json_object_del(item, "icons");
        json_object_del(item, "outputSchema");
        json_object_del(item, "execution");
        size_t k;
        json_t *arg;
        json_array_foreach(json_object_get(item, "arguments"), k, arg)
            json_object_del(arg, "title");
    }
}

/* A resource_link becomes the text of its URI, the one thing of it an
 * older client can show; structuredContent goes, and its JSON becomes a
 * text block when the content would otherwise be empty (the later
 * revisions ask tools to send both anyway). */
static void trim_tool_result(json_t *result)
{
    json_t *content = json_object_get(result, "content");
    size_t i;
    json_t *block;
    json_array_foreach(content, i, block) {
        const char *type = json_string_value(json_object_get(block, "type"));
        if (!type || strcmp(type, "resource_link") != 0)
            continue;
        const char *uri = json_string_value(json_object_get(block, "uri"));
        json_array_set_new(content, i, json_pack("{s:s,s:s}", "type", "text", "text",
                                                 uri ? uri : ""));
    }
    json_t *structured = json_object_get(result, "structuredContent");
    if (!structured)
        return;
    if (json_is_array(content) && json_array_size(content) == 0) {
        char *text = json_dumps(structured, JSON_COMPACT | JSON_ENCODE_ANY);
        if (text)
            json_array_append_new(content, json_pack("{s:s,s:s}", "type", "text", "text", text));
        free(text);
    }
    json_object_del(result, "structuredContent");
}

json_t *wc_mcp_revision_2025_03_26(const char *method, const json_t *result)
{
    json_t *copy = json_deep_copy(result);
    if (!copy)
        return NULL;
    if (strcmp(method, "tools/call") == 0)
        trim_tool_result(copy);
    else if (strcmp(method, "tools/list") == 0)
        trim_items(json_object_get(copy, "tools"));
    else if (strcmp(method, "prompts/list") == 0)
        trim_items(json_object_get(copy, "prompts"));
    else if (strcmp(method, "resources/list") == 0)
        trim_items(json_object_get(copy, "resources"));
    else if (strcmp(method, "resources/templates/list") == 0)
        trim_items(json_object_get(copy, "resourceTemplates"));
    return copy;
}
