/* extism_fs.c -- a hyper-mcp v2 plugin that reads the directories it is
 * granted (runtime_config.allowed_paths) through WASI, as Extism plugins
 * built for wasm32-wasi do. */
#include <errno.h>
#include <stdio.h>

#include "extism_guest.h"

EXPORT("list_tools") int32_t list_tools(void)
{
    x_output("{\"tools\":[{\"name\":\"read_file\",\"inputSchema\":{\"type\":\"object\","
             "\"properties\":{\"path\":{\"type\":\"string\"}},\"required\":[\"path\"]}}]}");
    return 0;
}

static char text[BUF_MAX];

EXPORT("call_tool") int32_t call_tool(void)
{
    x_input();
    char name[64], path[512];
    if (!json_str(input_buf, "name", name, sizeof name) || strcmp(name, "read_file") ||
        !json_str(input_buf, "path", path, sizeof path)) {
        x_fail("call_tool: expected read_file with {\"path\": ...}");
        return 1;
    }
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(text, sizeof text, "errno=%d", errno);
        x_text_result(text, 1);
        return 0;
    }
    size_t n = fread(text, 1, sizeof text - 1, f);
    text[n] = 0;
    fclose(f);
    x_text_result(text, 0);
    return 0;
}
