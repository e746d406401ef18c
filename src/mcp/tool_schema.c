/* tool_schema.c -- a tool's inputSchema for a transport whose protocol
 * revision mirrors arguments in headers (Mcp-Param-*), so the transport
 * asks the protocol layer instead of the plugin registry. */
#include "mcp/server.h"

#include <string.h>

#include "plugin/registry.h"

json_t *wc_mcp_server_tool_input_schema(wc_mcp_server *server, const char *name)
{
    wc_registry *registry = wc_mcp_server_registry(server);
    if (!registry)
        return NULL;
    json_t *schema = NULL;
    const json_t *tool;
    size_t i;
    json_array_foreach(wc_registry_tools(registry), i, tool) {
        const char *tool_name = json_string_value(json_object_get(tool, "name"));
        if (tool_name && strcmp(tool_name, name) == 0) {
            schema = json_incref(json_object_get(tool, "inputSchema"));
            break;
        }
    }
    wc_registry_release(registry);
    return schema;
}
