/* serve.c -- `wasmcap serve`: the MCP server on stdin and stdout, on
 * HTTP (Streamable HTTP and legacy SSE), or both.
 *
 * Wires the pieces together: config, engine, key-value store (opened only
 * when a plugin is granted a namespace), registry, server, stdio transport.
 * Signals reach the serving thread through a self-pipe: SIGHUP asks the
 * reload worker (cli/reload.h) to reload the config and swap the registry
 * (a config or plugin that fails keeps the old one serving), SIGTERM and
 * SIGINT stop reading, let the calls in flight finish, and exit 0.  stdout carries protocol messages only; logs
 * are JSON lines on stderr.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth/auth.h"
#include "bus/config.h"
#include "cli/bus_backplane.h"
#include "cli/commands.h"
#include "cli/admin_tools.h"
#include "cli/options.h"
#include "cli/reload.h"
#include "cli/setup.h"
#include "mcp/server.h"
#include "plugin/registry.h"
#include "plugin/services.h"
#include "transport/http.h"
#include "transport/http_config.h"
#include "transport/stdio.h"
#include "util/log.h"

#define EXIT_FAILURE_START 1
#define EXIT_USAGE WC_EXIT_USAGE

static const char usage_text[] =
    "usage: wasmcap serve [--config FILE] [--http ADDRESS [--stdio]] [--log-level LEVEL]\n"
    "\n"
    "Serves the configured plugins' tools, resources and prompts over MCP on\n"
    "stdin and stdout (newline-delimited JSON-RPC), or over HTTP: Streamable\n"
    "HTTP on /mcp (protocol revisions 2025-11-25, 2025-06-18 and 2025-03-26\n"
    "with sessions, and the stateless 2026-07-28, chosen by how a client opens) and\n"
    "the legacy HTTP+SSE transport on /sse (2024-11-05), with /healthz,\n"
    "/readyz and /metrics.  The config's \"http\" section sets the address,\n"
    "TLS, allowed origins and limits, its \"auth\" section bearer and JWT\n"
    "authorization (docs/CONFIG.md, docs/AUTH.md), its \"bus\" section the event\n"
    "bus behind the server (in-process by default, or a NATS server; a NATS\n"
    "server that is down is retried in the background while the tools serve;\n"
    "its \"services\" member backend services whose endpoints become tools,\n"
    "docs/SERVICES.md), and its \"cluster\" section lets several HTTP nodes on\n"
    "one NATS bus continue each other's sessions (docs/CONFIG.md, \"cluster\").\n"
    "Logs go to stderr as JSON lines.\n"
    "\n"
    "options:\n"
    "  --config FILE       the config (default: $WASMCAP_CONFIG, else ./wasmcap.json\n"
    "                      if it exists, else no plugins and every default); a\n"
    "                      hyper-mcp config is read as the wasmcap.json it means\n"
    "                      (see wasmcap convert)\n"
    "  --http ADDRESS      serve HTTP on ADDRESS (host:port, [v6]:port or port;\n"
    "                      default: the config's http.listen); stdio is then off\n"
    "  --stdio             with HTTP, serve stdin/stdout too (end of input stops both)\n"
    "  --log-level LEVEL   debug, info, notice, warning, error, critical, alert or\n"
    "                      emergency (default: the config's server.log_level, info)\n"
    "  -h, --help          show this help\n"
    "\n"
    "reload: the config file and every local plugin's .wasm and manifest are\n"
    "watched (the config's reload.watch, default on): a change, or SIGHUP, reloads\n"
    "on a thread of its own.  Changed plugins load beside the old ones and serve\n"
    "new calls; calls running finish on the old.  A plugin that fails to load\n"
    "keeps its old version serving (logged); clients are told which lists changed.\n"
    "\n"
    "signals: SIGHUP reloads the config and plugins (on failure the old ones keep\n"
    "serving); SIGTERM and SIGINT finish the calls in flight and exit.\n"
    "\n"
    "examples:\n"
    "  wasmcap serve --config wasmcap.json\n"
    "  wasmcap serve --http 127.0.0.1:8080\n"
    "  echo '{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}' | wasmcap serve\n"
    "\n"
    "exit status: 0 after end of input or SIGTERM/SIGINT; 1 if the config or a\n"
    "plugin cannot be loaded; 2 on bad usage.\n";

static int usage_error(const char *fmt, const char *arg)
{
    return wc_cli_usage_error("serve", usage_text, fmt, arg);
}

/* The self-pipe: the handler writes the signal number, the serving thread
 * reads it in on_wake. */
static int signal_pipe[2] = {-1, -1};

static void on_signal(int sig)
{
    int saved = errno;
    unsigned char b = (unsigned char)sig;
    ssize_t rc = write(signal_pipe[1], &b, 1);
    (void)rc;
    errno = saved;
}

typedef struct serve_state {
    const char *config_path; /* as given or found; NULL: defaults */
    int log_level;           /* from --log-level; -1: the config's */
    wc_setup setup;
    wc_mcp_server *server;
    wc_http_server *http;
    wc_bus *bus;
    wc_services *services;      /* backend services as tools; NULL: none */
    wc_reloader *reloader;      /* SIGHUP, file changes, admin tools */
    wc_admin_tools admin;       /* admin.tools: load_plugin, unload_plugin, list_plugins */
    pthread_mutex_t serve_lock; /* one registry swap at a time */
    bool stopping;              /* no more swaps: the services are stopping */
} serve_state;

/* Serves the plugins of the setup with the tools of the services found
 * now: at start, after a reload, and whenever discovery finds a change
 * (the swap tells the clients the list changed). */
static unsigned serve_current(serve_state *st)
{
    pthread_mutex_lock(&st->serve_lock);
    if (st->stopping) {
        pthread_mutex_unlock(&st->serve_lock);
        return 0;
    }
    wc_registry *registry = st->setup.registry;
    wc_registry *with = NULL;
    if (st->services) {
        wc_service_set *set = wc_services_current(st->services);
        wc_error err;
        if (wc_registry_with_services(registry, set, st->bus, st->services, &with, &err) != 0)
            wc_log(WC_LOG_ERROR, "serve", "services: %s", err.msg);
        wc_service_set_release(set);
    }
    unsigned changed = wc_mcp_server_update(st->server, with ? with : registry);
    wc_registry_release(with);
    pthread_mutex_unlock(&st->serve_lock);
    return changed;
}

/* The registry without services first: the one served must not outlive
 * the discovery its metrics read. */
static void stop_services(serve_state *st)
{
    if (!st->services)
        return;
    pthread_mutex_lock(&st->serve_lock);
    st->stopping = true;
    wc_mcp_server_swap(st->server, st->setup.registry);
    pthread_mutex_unlock(&st->serve_lock);
    wc_services_stop(st->services);
    st->services = NULL;
}

static void on_services_changed(void *ctx)
{
    serve_current(ctx);
}

/* Discovery of backend services (bus.services), which start serving
 * their endpoints as tools. */
static int start_services(serve_state *st, wc_error *err)
{
    wc_services_settings s;
    wc_error why;
    const json_t *section = json_object_get(st->setup.config.bus, "services");
    if (wc_services_settings_parse(section, &s, &why) != 0)
        return wc_error_set(err, why.code, "%s", why.msg);
    int rc = wc_services_start(&s, st->bus, on_services_changed, st, &st->services, err);
    wc_services_settings_free(&s);
    if (rc == 0)
        serve_current(st);
    return rc;
}

static unsigned publish_reload(void *ctx)
{
    return serve_current(ctx);
}

static bool on_wake(void *ctx)
{
    serve_state *st = ctx;
    unsigned char sigs[64];
    ssize_t n = read(signal_pipe[0], sigs, sizeof sigs);
    bool stop = false, hup = false;
    for (ssize_t i = 0; i < n; i++) {
        if (sigs[i] == SIGHUP)
            hup = true;
        else
            stop = true;
    }
    if (stop) {
        wc_log(WC_LOG_INFO, "serve", "stopping: finishing the calls in flight");
        return true;
    }
    if (hup) {
        wc_log(WC_LOG_INFO, "serve", "SIGHUP: reloading %s",
               st->config_path ? st->config_path : "the default config");
        wc_reloader_request(st->reloader, "SIGHUP");
    }
    return false;
}

/* The authorizer of the config's auth section (already "${VAR}"-expanded);
 * relative paths in it are taken from the config file's directory. */
/* With the admin tools on, the auth section as if its tool_scopes gave
 * each of them the admin scope (unless it names them itself). */
static json_t *auth_with_admin(const wc_config *config)
{
    json_t *auth = json_deep_copy(config->auth);
    if (!auth || !config->admin_tools)
        return auth;
    json_t *scopes = json_object_get(auth, "tool_scopes");
    if (!json_is_object(scopes)) {
        if (scopes)
            return auth; /* the reader names the fault */
        scopes = json_object();
        json_object_set_new(auth, "tool_scopes", scopes);
    }
    static const char *const names[] = {"load_plugin", "unload_plugin", "list_plugins"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (!json_object_get(scopes, names[i]))
            json_object_set_new(scopes, names[i], json_string(config->admin_scope));
    return auth;
}

static int open_auth(const wc_config *config, wc_auth **out, wc_error *err)
{
    char dir[4096];
    wc_config_dir(config, dir, sizeof dir);
    wc_auth_options ao;
    wc_error why;
    const char *file = config->path ? config->path : "wasmcap.json";
    json_t *section = auth_with_admin(config);
    if (!section)
        return wc_error_set(err, WC_ENOMEM, "out of memory");
    int rc = wc_auth_options_parse(section, dir, NULL, NULL, &ao, &why);
    json_decref(section);
    if (rc != 0)
        return wc_error_set(err, rc, "%s: %s", file, why.msg);
    rc = wc_auth_new(&ao, out, &why);
    wc_auth_options_free(&ao);
    if (rc != 0)
        return wc_error_set(err, rc, "%s: %s", file, why.msg);
    return 0;
}

/* What the bus still holds goes out before it closes. */
static void close_bus(wc_bus *bus)
{
    if (bus && wc_bus_drain(bus, 2000) != 0)
        wc_log(WC_LOG_WARNING, "serve", "bus: not drained within 2 s");
    wc_bus_close(bus);
}

static void *run_http(void *arg)
{
    wc_http_server_run(arg);
    return NULL;
}

static int install_signals(void)
{
    if (pipe(signal_pipe) != 0)
        return -1;
    for (int i = 0; i < 2; i++) {
        fcntl(signal_pipe[i], F_SETFD, FD_CLOEXEC);
        fcntl(signal_pipe[i], F_SETFL, O_NONBLOCK);
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    return 0;
}

static void restore_signals(void)
{
    signal(SIGHUP, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGINT, SIG_DFL);
    for (int i = 0; i < 2; i++) {
        if (signal_pipe[i] >= 0)
            close(signal_pipe[i]);
        signal_pipe[i] = -1;
    }
}

int wc_cmd_serve(int argc, char **argv)
{
    serve_state st = {.log_level = -1, .serve_lock = PTHREAD_MUTEX_INITIALIZER};
    const char *config_arg = NULL, *http_arg = NULL;
    bool with_stdio = false;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            fputs(usage_text, stdout);
            return 0;
        }
        if (strcmp(arg, "--stdio") == 0) {
            with_stdio = true;
            continue;
        }
        static const char *const with_value[] = {"--config", "--log-level", "--http"};
        const char *name = NULL, *value = NULL;
        int found = wc_cli_option(argc, argv, &i, with_value, 3, &name, &value);
        if (found < 0)
            return usage_error("%s needs a value", name);
        if (!found)
            return usage_error(arg[0] == '-' ? "unknown option '%s'" : "unexpected argument '%s'",
                               arg);
        if (strcmp(name, "--config") == 0) {
            config_arg = value;
        } else if (strcmp(name, "--http") == 0) {
            http_arg = value;
        } else {
            st.log_level = wc_log_level_parse(value);
            if (st.log_level < 0)
                return usage_error("--log-level: '%s' is not one of debug, info, notice, "
                                   "warning, error, critical, alert, emergency",
                                   value);
        }
    }
    if (st.log_level >= 0)
        wc_log_set_level((wc_log_level)st.log_level);

    wc_error err;
    st.config_path = wc_setup_find_config(config_arg);
    if (wc_setup_open(&st.setup, st.config_path, &err) != 0) {
        fprintf(stderr, "wasmcap serve: %s\n", err.msg);
        return EXIT_FAILURE_START;
    }
    if (st.log_level < 0)
        wc_log_set_level((wc_log_level)st.setup.config.log_level);

    if (st.setup.config.admin_tools) {
        wc_admin_tools_init(&st.admin, &st.setup);
        st.setup.host_tools = st.admin.tools;
        st.setup.n_host_tools = WC_ADMIN_TOOLS;
        if (wc_registry_add_host_tools(st.setup.registry, st.admin.tools, WC_ADMIN_TOOLS,
                                       &err) != 0) {
            fprintf(stderr, "wasmcap serve: %s\n", err.msg);
            wc_setup_close(&st.setup);
            return EXIT_FAILURE_START;
        }
    }
    wc_bus *bus = NULL;
    if (wc_setup_open_bus(&st.setup.config, &bus, &err) != 0) {
        fprintf(stderr, "wasmcap serve: %s\n", err.msg);
        wc_setup_close(&st.setup);
        return EXIT_FAILURE_START;
    }
    wc_mcp_options mo;
    wc_mcp_options_default(&mo);
    wc_bus_backplane backplane;
    wc_bus_backplane_init(&backplane, bus);
    mo.backplane = &backplane.port;
    if (st.setup.config.cluster_enabled) {
        const wc_config *c = &st.setup.config;
        wc_bus_cluster_config cc = {
            .sessions = {.bucket = c->cluster_bucket,
                         .max_bytes = c->cluster_max_bytes,
                         .ttl_ms = c->cluster_session_ttl_ms},
            .log_stream = c->cluster_log_stream,
            .log_events = c->cluster_log_events,
            .log_max_age_ms = c->cluster_log_max_age_ms,
            .log_max_bytes = c->cluster_log_max_bytes,
            .event_max_age_ms = c->cluster_event_max_age_ms,
        };
        if (wc_bus_backplane_cluster(&backplane, &cc, &err) != 0) {
            fprintf(stderr, "wasmcap serve: cluster.%s\n", err.msg);
            wc_bus_close(bus);
            wc_setup_close(&st.setup);
            return EXIT_FAILURE_START;
        }
        wc_log(WC_LOG_INFO, "serve", "cluster: sessions shared in bucket %s, their logs in "
               "stream %s, on the %s bus", c->cluster_bucket, c->cluster_log_stream,
               wc_bus_kind(bus));
    }
    /* in-process, nobody outside the process could read audit events:
     * they are off unless the config asks for them */
    bool nats = strcmp(wc_bus_kind(bus), "nats") == 0;
    mo.audit = st.setup.config.audit;
    mo.audit.stream = st.setup.config.audit_stream;
    if (st.setup.config.audit_enabled_default)
        mo.audit.enabled = nats;
    if (st.setup.config.audit_stream_default && nats)
        mo.audit.stream = "WASMCAP_AUDIT";
    mo.name = st.setup.config.server_name;
    mo.version = WASMCAP_VERSION;
    mo.workers = st.setup.config.workers;
    mo.max_message_bytes = st.setup.config.max_message_bytes;
    mo.page_size = st.setup.config.page_size;
    mo.state_secret = st.setup.config.state_secret;
    if (wc_mcp_server_new(&mo, st.setup.registry, &st.server, &err) != 0) {
        fprintf(stderr, "wasmcap serve: %s\n", err.msg);
        wc_bus_close(bus);
        wc_setup_close(&st.setup);
        return EXIT_FAILURE_START;
    }
    st.bus = bus;
    if (start_services(&st, &err) != 0) {
        fprintf(stderr, "wasmcap serve: %s\n", err.msg);
        wc_mcp_server_free(st.server);
        wc_bus_close(bus);
        wc_setup_close(&st.setup);
        return EXIT_FAILURE_START;
    }
    st.setup.lock = &st.serve_lock;
    if (wc_reloader_new(&st.setup, st.log_level >= 0, publish_reload, &st, &st.reloader,
                        &err) != 0) {
        stop_services(&st);
        fprintf(stderr, "wasmcap serve: %s\n", err.msg);
        wc_mcp_server_free(st.server);
        wc_bus_close(bus);
        wc_setup_close(&st.setup);
        return EXIT_FAILURE_START;
    }
    st.admin.reloader = st.reloader;
    if (install_signals() != 0) {
        wc_reloader_free(st.reloader);
        stop_services(&st);
        fprintf(stderr, "wasmcap serve: pipe: %s\n", strerror(errno));
        wc_mcp_server_free(st.server);
        wc_bus_close(bus);
        wc_setup_close(&st.setup);
        return EXIT_FAILURE_START;
    }
    int status = 0;
    wc_auth *auth = NULL;
    wc_http_config hc;
    if (wc_http_config_parse(st.setup.config.http, &hc, &err) != 0 ||
        (http_arg && wc_http_parse_listen(http_arg, hc.host, sizeof hc.host, hc.port,
                                          sizeof hc.port, &err) != 0)) {
        fprintf(stderr, "wasmcap serve: %s%s\n",
                http_arg && !strchr(err.msg, ':') ? "--http " : "", err.msg);
        status = http_arg ? EXIT_USAGE : EXIT_FAILURE_START;
        goto out;
    }
    if (http_arg) {
        hc.options.host = hc.host;
        hc.options.port = hc.port;
        hc.enabled = true;
    }
    if (with_stdio && !hc.enabled) {
        fprintf(stderr, "wasmcap serve: --stdio goes with --http (stdio alone is the default)\n");
        status = EXIT_USAGE;
        goto out_http_config;
    }
    if (hc.enabled && st.setup.config.admin_tools && !st.setup.config.auth) {
        /* Loading code into the server is not for whoever reaches the port. */
        fprintf(stderr, "wasmcap serve: admin.tools over HTTP needs an auth section: the admin "
                "tools require the scope '%s' (docs/AUTH.md)\n", st.setup.config.admin_scope);
        status = EXIT_FAILURE_START;
        goto out_http_config;
    }
    if (hc.enabled && st.setup.config.auth) {
        if (open_auth(&st.setup.config, &auth, &err) != 0) {
            fprintf(stderr, "wasmcap serve: %s\n", err.msg);
            status = EXIT_FAILURE_START;
            goto out_http_config;
        }
        hc.options.auth = auth;
    } else if (st.setup.config.auth) {
        wc_log(WC_LOG_NOTICE, "serve", "the auth section applies to HTTP only: stdio has no "
               "authorization");
    }
    if (hc.enabled) {
        if (wc_http_server_new(&hc.options, st.server, &st.http, &err) != 0) {
            fprintf(stderr, "wasmcap serve: %s\n", err.msg);
            status = EXIT_FAILURE_START;
            goto out_http_config;
        }
        wc_log(WC_LOG_INFO, "serve", "serving %zu plugin(s) on http://%s:%d%s%s (%u workers, "
               "config %s)", st.setup.config.nplugins, hc.options.host,
               wc_http_server_port(st.http), hc.options.endpoint ? hc.options.endpoint : "/mcp",
               with_stdio ? " and stdio" : "", wc_mcp_server_options(st.server)->workers,
               st.config_path ? st.config_path : "defaults");
    } else {
        wc_log(WC_LOG_INFO, "serve", "serving %zu plugin(s) on stdio (%u workers, config %s)",
               st.setup.config.nplugins, wc_mcp_server_options(st.server)->workers,
               st.config_path ? st.config_path : "defaults");
    }

    if (st.http && !with_stdio) {
        wc_http_server_watch(st.http, signal_pipe[0], on_wake, &st);
        wc_http_server_run(st.http);
    } else {
        pthread_t http_thread;
        bool http_running = st.http && pthread_create(&http_thread, NULL, run_http, st.http) == 0;
        if (st.http && !http_running) {
            wc_log(WC_LOG_ERROR, "serve", "cannot start the HTTP thread");
            status = EXIT_FAILURE_START;
        } else {
            wc_stdio_options so;
            wc_stdio_options_default(&so);
            so.wake_fd = signal_pipe[0];
            so.max_queued_bytes = st.setup.config.stdio_max_queued_bytes;
            so.on_wake = on_wake;
            so.wake_ctx = &st;
            if (wc_stdio_serve(st.server, &so, &err) != 0) {
                wc_log(WC_LOG_ERROR, "serve", "%s", err.msg);
                status = EXIT_FAILURE_START;
            }
        }
        if (http_running) {
            wc_http_server_stop(st.http);
            pthread_join(http_thread, NULL);
        }
    }
    wc_http_server_free(st.http);
out_http_config:
    wc_auth_free(auth);
    wc_http_config_free(&hc);
out:
    wc_reloader_free(st.reloader);
    stop_services(&st);
    wc_mcp_server_free(st.server);
    close_bus(bus);
    restore_signals();
    wc_setup_close(&st.setup);
    wc_log(WC_LOG_INFO, "serve", "stopped");
    return status;
}
