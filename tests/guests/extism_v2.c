/* extism_v2.c -- a hyper-mcp v2 plugin: tools, prompts, resources,
 * templates and completion, and hyper-mcp's host functions of
 * "extism:host/user". */
#include "extism_guest.h"

XUSER("create_message") uint64_t u_create_message(uint64_t req);
XUSER("create_elicitation") uint64_t u_create_elicitation(uint64_t req);
XUSER("list_roots") uint64_t u_list_roots(void);
XUSER("notify_logging_message") void u_notify_logging_message(uint64_t msg);
XUSER("notify_progress") void u_notify_progress(uint64_t msg);
XUSER("notify_tool_list_changed") void u_notify_tool_list_changed(void);
XUSER("notify_prompt_list_changed") void u_notify_prompt_list_changed(void);
XUSER("notify_resource_list_changed") void u_notify_resource_list_changed(void);
XUSER("notify_resource_updated") void u_notify_resource_updated(uint64_t msg);
XUSER("notify_url_elicitation_completed") void u_notify_url_elicitation_completed(uint64_t msg);

EXPORT("list_tools") int32_t list_tools(void)
{
    x_input();
    if (!strstr(input_buf, "\"context\":{\"id\":")) {
        x_fail("list_tools: no context in the input");
        return 1;
    }
    x_output("{\"tools\":["
             "{\"name\":\"greet\",\"inputSchema\":{\"type\":\"object\",\"properties\":"
             "{\"who\":{\"type\":\"string\"}},\"required\":[\"who\"]}},"
             "{\"name\":\"notify\",\"inputSchema\":{\"type\":\"object\"}},"
             "{\"name\":\"sample\",\"inputSchema\":{\"type\":\"object\"}},"
             "{\"name\":\"elicit\",\"inputSchema\":{\"type\":\"object\"}},"
             "{\"name\":\"roots\",\"inputSchema\":{\"type\":\"object\"}},"
             "{\"name\":\"bad_user_input\",\"inputSchema\":{\"type\":\"object\"}},"
             "{\"name\":\"url_done\",\"inputSchema\":{\"type\":\"object\"}}]}");
    return 0;
}

static char text[BUF_MAX];

static void copy_block(uint64_t a)
{
    x_load(a, text, sizeof text);
}

EXPORT("call_tool") int32_t call_tool(void)
{
    x_input();
    char name[64], who[64];
    if (!json_str(input_buf, "name", name, sizeof name) || !strstr(input_buf, "\"context\":")) {
        x_fail("call_tool: expected {\"request\": {\"name\": ...}, \"context\": ...}");
        return 1;
    }
    if (strcmp(name, "greet") == 0) {
        json_str(input_buf, "who", who, sizeof who);
        memcpy(text, "hello, ", 7);
        memcpy(text + 7, who, strlen(who) + 1);
        x_text_result(text, 0);
        return 0;
    }
    if (strcmp(name, "notify") == 0) {
        u_notify_progress(x_store_str("{\"progressToken\":1,\"progress\":1,\"total\":2,"
                                      "\"message\":\"half\"}"));
        u_notify_logging_message(x_store_str("{\"level\":\"warning\",\"logger\":\"v2\","
                                             "\"data\":\"careful\"}"));
        u_notify_tool_list_changed();
        u_notify_prompt_list_changed();
        u_notify_resource_list_changed();
        u_notify_resource_updated(x_store_str("{\"uri\":\"mem://v2/notes\"}"));
        x_text_result("notified", 0);
        return 0;
    }
    if (strcmp(name, "sample") == 0) {
        copy_block(u_create_message(x_store_str(
            "{\"messages\":[{\"role\":\"user\",\"content\":{\"type\":\"text\",\"text\":\"hi\"}}],"
            "\"maxTokens\":10}")));
        x_text_result(text, 0);
        return 0;
    }
    if (strcmp(name, "elicit") == 0) {
        copy_block(u_create_elicitation(x_store_str(
            "{\"message\":\"name?\",\"requestedSchema\":{\"type\":\"object\",\"properties\":"
            "{\"name\":{\"type\":\"string\"}}}}")));
        x_text_result(text, 0);
        return 0;
    }
    if (strcmp(name, "roots") == 0) {
        copy_block(u_list_roots());
        x_text_result(text, 0);
        return 0;
    }
    if (strcmp(name, "url_done") == 0) {
        u_notify_url_elicitation_completed(x_store_str("{\"elicitationId\":\"e1\"}"));
        x_text_result("told", 0);
        return 0;
    }
    if (strcmp(name, "bad_user_input") == 0) {
        u_notify_progress(x_store_str("not json"));
        x_text_result("unreachable", 0);
        return 0;
    }
    x_fail("unknown tool");
    return 1;
}

EXPORT("list_prompts") int32_t list_prompts(void)
{
    x_output("{\"prompts\":[{\"name\":\"haiku\",\"arguments\":[{\"name\":\"topic\","
             "\"required\":true}]}]}");
    return 0;
}

EXPORT("get_prompt") int32_t get_prompt(void)
{
    x_input();
    char topic[64];
    if (!json_str(input_buf, "topic", topic, sizeof topic)) {
        x_fail("get_prompt: no topic");
        return 1;
    }
    size_t n = 0;
    const char *head = "{\"messages\":[{\"role\":\"user\",\"content\":{\"type\":\"text\","
                       "\"text\":\"a haiku about ";
    memcpy(text, head, strlen(head));
    n = json_escape(text, strlen(head), sizeof text - 16, topic);
    memcpy(text + n, "\"}}]}", 6);
    x_output(text);
    return 0;
}

EXPORT("list_resources") int32_t list_resources(void)
{
    x_output("{\"resources\":[{\"uri\":\"mem://v2/notes\",\"name\":\"notes\"}]}");
    return 0;
}

EXPORT("list_resource_templates") int32_t list_resource_templates(void)
{
    x_output("{\"resourceTemplates\":[{\"uriTemplate\":\"mem://v2/items/{id}\",\"name\":\"item\"}]}");
    return 0;
}

EXPORT("read_resource") int32_t read_resource(void)
{
    x_input();
    char uri[256];
    if (!json_str(input_buf, "uri", uri, sizeof uri)) {
        x_fail("read_resource: no uri");
        return 1;
    }
    size_t n = 0;
    const char *head = "{\"contents\":[{\"uri\":\"";
    memcpy(text, head, strlen(head));
    n = json_escape(text, strlen(head), sizeof text - 64, uri);
    const char *mid = "\",\"text\":\"contents of ";
    memcpy(text + n, mid, strlen(mid));
    n = json_escape(text, n + strlen(mid), sizeof text - 16, uri);
    memcpy(text + n, "\"}]}", 5);
    x_output(text);
    return 0;
}

EXPORT("complete") int32_t complete(void)
{
    x_input();
    /* hyper-mcp strips "ref/" from the reference's type */
    if (!strstr(input_buf, "\"type\":\"prompt\"")) {
        x_fail("complete: expected a prompt reference");
        return 1;
    }
    x_output("{\"completion\":{\"values\":[\"autumn\",\"august\"],\"total\":2,\"hasMore\":false}}");
    return 0;
}
