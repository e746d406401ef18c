/* world.h -- what the protocol tests serve: the plugins of a config text
 * loaded on the fast tier without a cache, and an MCP server over them.
 * Shared by test_mcp.c and the HTTP tests (through http_server.h).
 */
#ifndef WC_TESTS_WORLD_H
#define WC_TESTS_WORLD_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/config.h"
#include "mcp/server.h"
#include "plugin/registry.h"

typedef struct test_world {
    wc_config config;
    wc_engine *engine;
    wc_registry *registry;
    wc_mcp_server *mcp;
} test_world;

/* config_text: a config file's JSON (absolute paths), NULL for the default
 * config; options: NULL for the defaults.  -1, said on stdout, on failure:
 * the caller still calls test_world_close. */
static inline int test_world_open(test_world *w, const char *config_text,
                                  const wc_mcp_options *options)
{
    wc_error err;
    memset(w, 0, sizeof *w);
    int rc = config_text ? wc_config_parse(config_text, "/", &w->config, &err)
                         : wc_config_default(&w->config, &err);
    if (rc != 0) {
        printf("config: %s\n", err.msg);
        return -1;
    }
    wc_engine_config ec;
    wc_engine_config_default(&ec);
    ec.tier = WC_TIER_FAST;
    ec.cache_dir = "";
    wc_error e = {0};
    if (wc_engine_new(&ec, &w->engine, &e) != 0) {
        printf("engine: %s\n", e.msg);
        return -1;
    }
    if (wc_registry_new(w->config.plugins, w->config.nplugins, w->engine, NULL, &w->registry, &err) != 0) {
        printf("registry: %s\n", err.msg);
        w->registry = NULL;
        return -1;
    }
    if (wc_mcp_server_new(options, w->registry, &w->mcp, &err) != 0) {
        printf("mcp server: %s\n", err.msg);
        w->mcp = NULL;
        return -1;
    }
    return 0;
}

static inline void test_world_close(test_world *w)
{
    if (w->mcp)
        wc_mcp_server_free(w->mcp);
    if (w->registry)
        wc_registry_release(w->registry);
    if (w->engine)
        wc_engine_free(w->engine);
    wc_config_free(&w->config);
    memset(w, 0, sizeof *w);
}

/* The value on the line "name value" of the server's /metrics text; -1:
 * no such line. */
static inline long long test_world_metric(wc_mcp_server *mcp, const char *name)
{
    wc_buf out;
    wc_buf_init(&out);
    wc_mcp_server_render_metrics(mcp, &out);
    char key[128];
    snprintf(key, sizeof key, "\n%s ", name);
    const char *text = wc_buf_cstr(&out);
    const char *at = text ? strstr(text, key) : NULL;
    long long v = at ? atoll(at + strlen(key)) : -1;
    wc_buf_free(&out);
    return v;
}

#endif
