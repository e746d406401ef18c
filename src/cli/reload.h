/* reload.h -- the reload worker: one thread that reloads the config and
 * the plugins when asked -- SIGHUP, a change the file watcher saw, an
 * admin tool -- so that fetching sources (seconds, over the network) and
 * compiling never run on an event loop's thread or the stdio reader.
 *
 * A reload builds a new registry beside the one served (wc_setup_reload:
 * unchanged plugins are shared, a plugin that fails keeps its old
 * version), then hands it to publish, which swaps it in for new calls;
 * calls already running finish on the registry they started with, which
 * is freed when the last of them ends.  Requests that arrive while a
 * reload runs coalesce into one more after it.  The config's files and
 * every local plugin's module and sidecar manifest are watched
 * (util/watch.h) when the config's reload.watch says so.
 */
#ifndef WC_CLI_RELOAD_H
#define WC_CLI_RELOAD_H

#include <jansson.h>
#include <stdbool.h>

#include "cli/setup.h"
#include "util/error.h"

/* Admin changes waiting for the worker at most; more are refused. */
#define WC_RELOAD_MAX_WAITING 16

typedef struct wc_reloader wc_reloader;

/* Serves the setup's registry from now on and returns which lists a
 * client sees changed (wc_mcp_server_update's bits); called on the reload
 * thread. */
typedef unsigned (*wc_reload_publish_fn)(void *ctx);

/* Starts the worker for setup (borrowed: only the worker changes it from
 * now on, swapping its registry and config under setup->lock).  Watches
 * files when setup's config says so.  fixed_log_level: --log-level was
 * given, so the config's server.log_level is not applied. */
int wc_reloader_new(wc_setup *setup, bool fixed_log_level, wc_reload_publish_fn publish,
                    void *ctx, wc_reloader **out, wc_error *err);
/* Asks for a reload and returns at once; why is logged ("SIGHUP").  Any
 * thread, but not a signal handler. */
void wc_reloader_request(wc_reloader *reloader, const char *why);
/* The admin tools: adds or replaces plugin `name` with entry (an object
 * as in the config's "plugins"; NULL: removes it), then reloads, and
 * waits up to timeout_ms for the outcome.  The change stays (across later
 * reloads of the file) only when the plugin loaded; otherwise the error
 * says why (the config reader's or the loader's message).  WC_EAGAIN when
 * WC_RELOAD_MAX_WAITING changes wait already; WC_ETIMEDOUT when the
 * reload did not end in time (it still runs, and applies). */
int wc_reloader_change(wc_reloader *reloader, const char *name, const json_t *entry,
                       int timeout_ms, wc_error *err);
/* Reloads finished so far (for tests and logs). */
unsigned long long wc_reloader_done(wc_reloader *reloader);
/* Stops the watcher and the worker (a reload running finishes first). */
void wc_reloader_free(wc_reloader *reloader);

#endif
