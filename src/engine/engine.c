/* engine.c -- engines and modules: decoding, tiers, the background build, the cache.
 *
 * A module starts on the fast tier (libtcc, milliseconds) unless the disk
 * cache already holds its optimized code; meanwhile one background thread per
 * engine builds the optimized tier with gcc -O2, stores it in the cache and
 * switches the module over (new instances pick it up; running ones finish on
 * the code they started with, which lives as long as the module).
 *
 * Cache entries (cache.c) are <key>.so plus <key>.hmac, authenticated under
 * a per-user key.  The key covers the module bytes and the whole toolchain
 * (wc_code_toolchain_id), so a stale entry is never looked up; a corrupt,
 * truncated or foreign one fails its MAC and is rebuilt.  Files are replaced
 * atomically, so processes sharing a cache directory never see half an
 * entry.
 */
#include "engine/internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/emit.h"
#include "util/fs.h"
#include "util/sha256.h"

void wc_engine_config_default(wc_engine_config *config)
{
    memset(config, 0, sizeof *config);
    config->tier = WC_TIER_AUTO;
    wc_decode_limits_default(&config->limits);
    config->memory_pool_size = 64;
}

static char *default_cache_dir(void)
{
    const char *xdg = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    char path[4096];
    if (xdg && *xdg)
        snprintf(path, sizeof path, "%s/wasmcap", xdg);
    else if (home && *home)
        snprintf(path, sizeof path, "%s/.cache/wasmcap", home);
    else
        return NULL;
    return strdup(path);
}

/* Fills zero fields of limits from the defaults. */
static void complete_limits(wc_decode_limits *limits)
{
    wc_decode_limits d;
    wc_decode_limits_default(&d);
#define FILL(field) if (!limits->field) limits->field = d.field
    FILL(max_module_bytes);
    FILL(max_types);
    FILL(max_functions);
    FILL(max_code_bytes);
    FILL(max_function_bytes);
    FILL(max_locals);
    FILL(max_memory_pages);
    FILL(max_table_elements);
    FILL(max_data_bytes);
    FILL(max_globals);
    FILL(max_imports);
    FILL(max_exports);
    FILL(max_segments);
    FILL(max_block_depth);
#undef FILL
}

int wc_engine_new(const wc_engine_config *config, wc_engine **out, wc_error *err)
{
    wc_engine_config defaults;
    if (!config) {
        wc_engine_config_default(&defaults);
        config = &defaults;
    }
    wc_engine *engine = calloc(1, sizeof *engine);
    if (!engine)
        return wc_error_set(err, WC_ENOMEM, "out of memory");
    engine->config = *config;
    complete_limits(&engine->config.limits);
    if (!config->cache_dir)
        engine->cache_dir = default_cache_dir();
    else if (*config->cache_dir)
        engine->cache_dir = strdup(config->cache_dir);
    engine->config.cache_dir = engine->cache_dir;
    engine->config.cache_key = NULL; /* the caller's string may not outlive the engine */
    if (wc_cache_init(&engine->cache, engine->cache_dir, config->cache_key) != 0) {
        wc_cache_destroy(&engine->cache);
        free(engine->cache_dir);
        free(engine);
        return wc_error_set(err, WC_ENOMEM, "out of memory");
    }
    pthread_mutex_init(&engine->lock, NULL);
    pthread_cond_init(&engine->cond, NULL);
    wc_cancel_init(&engine->cancel);
    pthread_mutex_init(&engine->orphans_lock, NULL);
    wc_watchdog_init(&engine->watchdog);
    wc_rt_global_init();
    wc_rt_pool_set_capacity(config->memory_pool_size ? config->memory_pool_size : 64);
    *out = engine;
    return 0;
}

void wc_engine_free(wc_engine *engine)
{
    if (!engine)
        return;
    while (engine->orphans) {
        wc_instance *inst = engine->orphans;
        engine->orphans = inst->next_orphan;
        wc_instance_free(inst);
    }
    pthread_mutex_destroy(&engine->orphans_lock);
    pthread_mutex_lock(&engine->lock);
    engine->stopping = true;
    pthread_cond_broadcast(&engine->cond);
    bool running = engine->worker_running;
    pthread_mutex_unlock(&engine->lock);
    /* A build still running is abandoned, not waited for: a short-lived
     * process should not linger for gcc (the next one builds it again). */
    wc_cancel_fire(&engine->cancel);
    if (running)
        pthread_join(engine->worker, NULL);
    /* Jobs that never ran hold module references. */
    while (engine->jobs_head) {
        wc_module *m = engine->jobs_head;
        engine->jobs_head = m->next_job;
        wc_module_release(m);
    }
    wc_watchdog_destroy(&engine->watchdog);
    wc_cancel_destroy(&engine->cancel);
    pthread_cond_destroy(&engine->cond);
    pthread_mutex_destroy(&engine->lock);
    wc_cache_destroy(&engine->cache);
    free(engine->cache_dir);
    free(engine);
}

size_t wc_engine_max_module_bytes(const wc_engine *engine)
{
    return engine->config.limits.max_module_bytes;
}

static void keep_source_for_debugging(const wc_module *m, const wc_buf *source, const char *suffix);

/* Builds, caches and loads the optimized tier: the unit for gcc is emitted
 * here (in the background thread, when the fast tier runs meanwhile). */
static int build_optimized(wc_module *m, wc_code **out, wc_error *err)
{
    wc_buf source;
    wc_buf_init(&source);
    int rc = wc_emit(m->info, m->engine->config.track_writes, &source, err);
    if (rc == 0 && !wc_buf_cstr(&source))
        rc = wc_error_set(err, WC_ENOMEM, "out of memory");
    if (rc) {
        wc_buf_free(&source);
        return rc;
    }
    keep_source_for_debugging(m, &source, "");
    uint8_t *so;
    size_t so_size;
    rc = wc_code_build_optimized((const char *)source.data, source.len, &so, &so_size,
                                 &m->engine->cancel, err);
    wc_buf_free(&source);
    if (rc)
        return rc;
    wc_cache_store(&m->engine->cache, m->key, so, so_size);
    rc = wc_code_load_optimized(so, so_size, out, err);
    free(so);
    return rc;
}

static void set_optimized(wc_module *m, wc_code *code, int rc, const wc_error *err)
{
    pthread_mutex_lock(&m->lock);
    if (rc == 0) {
        m->optimized = code;
        atomic_store(&m->current, code);
        m->optimized_state = OPTIMIZED_READY;
    } else {
        m->optimized_state = OPTIMIZED_FAILED;
        m->optimized_error = *err;
    }
    pthread_cond_broadcast(&m->cond);
    pthread_mutex_unlock(&m->lock);
}

static void *worker_main(void *arg)
{
    wc_engine *engine = arg;
    pthread_mutex_lock(&engine->lock);
    for (;;) {
        while (!engine->stopping && !engine->jobs_head)
            pthread_cond_wait(&engine->cond, &engine->lock);
        if (engine->stopping)
            break;
        wc_module *m = engine->jobs_head;
        engine->jobs_head = m->next_job;
        if (!engine->jobs_head)
            engine->jobs_tail = NULL;
        pthread_mutex_unlock(&engine->lock);

        wc_code *code = NULL;
        wc_error err = {0};
        int rc = build_optimized(m, &code, &err);
        set_optimized(m, code, rc, &err);
        wc_module_release(m);

        pthread_mutex_lock(&engine->lock);
    }
    pthread_mutex_unlock(&engine->lock);
    return NULL;
}

static int enqueue_optimized_build(wc_engine *engine, wc_module *m)
{
    pthread_mutex_lock(&engine->lock);
    if (!engine->worker_running) {
        int rc = pthread_create(&engine->worker, NULL, worker_main, engine);
        if (rc != 0) {
            pthread_mutex_unlock(&engine->lock);
            return -rc;
        }
        engine->worker_running = true;
    }
    wc_module_retain(m);
    m->next_job = NULL;
    if (engine->jobs_tail)
        engine->jobs_tail->next_job = m;
    else
        engine->jobs_head = m;
    engine->jobs_tail = m;
    pthread_cond_signal(&engine->cond);
    pthread_mutex_unlock(&engine->lock);
    return 0;
}

/* ---- modules ----------------------------------------------------------- */

static void module_destroy(wc_module *m)
{
    if (m->signatures && m->info) {
        for (uint32_t i = 0; i < m->info->ntypes; i++) {
            free(m->signatures[i].params);
            free(m->signatures[i].results);
        }
    }
    free(m->signatures);
    free(atomic_load(&m->link_hint));
    wc_code_free(m->fast);
    wc_code_free(m->optimized);
    wc_module_info_free(m->info);
    pthread_mutex_destroy(&m->lock);
    pthread_cond_destroy(&m->cond);
    free(m->bytes);
    free(m);
}

/* WASMCAP_KEEP_SOURCE=DIR keeps each translation unit as DIR/<digest>.c
 * (gcc's) and DIR/<digest>.tcc.c (libtcc's), to read or compile by hand
 * when generated code misbehaves. */
static void keep_source_for_debugging(const wc_module *m, const wc_buf *source, const char *suffix)
{
    const char *dir = getenv("WASMCAP_KEEP_SOURCE");
    if (!dir || !*dir || wc_mkdirs(dir) != 0)
        return;
    char path[4200];
    snprintf(path, sizeof path, "%s/%s%s.c", dir, m->digest, suffix);
    wc_write_file(path, source->data, source->len);
}

static char *letters(const uint8_t *types, uint32_t n)
{
    char *s = malloc(n + 1);
    if (s) {
        for (uint32_t i = 0; i < n; i++)
            s[i] = wc_type_letter(types[i]);
        s[n] = 0;
    }
    return s;
}

static int make_signatures(wc_module *m, wc_error *err)
{
    const wc_module_info *info = m->info;
    m->signatures = calloc(info->ntypes ? info->ntypes : 1, sizeof *m->signatures);
    if (!m->signatures)
        return wc_error_set(err, WC_ENOMEM, "out of memory");
    for (uint32_t i = 0; i < info->ntypes; i++) {
        m->signatures[i].params = letters(info->types[i].params, info->types[i].nparams);
        m->signatures[i].results = letters(info->types[i].results, info->types[i].nresults);
        if (!m->signatures[i].params || !m->signatures[i].results)
            return wc_error_set(err, WC_ENOMEM, "out of memory");
    }
    return 0;
}

int wc_module_new(wc_engine *engine, const uint8_t *bytes, size_t size, wc_module **out,
                  wc_error *err)
{
    *out = NULL;
    if (size > engine->config.limits.max_module_bytes)
        return wc_error_set(err, WC_ETOOBIG, "module is %zu bytes, more than the limit of %zu",
                            size, engine->config.limits.max_module_bytes);
    wc_module *m = calloc(1, sizeof *m);
    if (!m || !(m->bytes = malloc(size ? size : 1))) {
        free(m);
        return wc_error_set(err, WC_ENOMEM, "out of memory");
    }
    memcpy(m->bytes, bytes, size);
    m->size = size;
    m->engine = engine;
    atomic_init(&m->refs, 1);
    atomic_init(&m->current, NULL);
    pthread_mutex_init(&m->lock, NULL);
    pthread_cond_init(&m->cond, NULL);
    m->optimized_state = OPTIMIZED_NONE;

    int rc = wc_decode(m->bytes, size, &engine->config.limits, &m->info, err);
    if (rc)
        goto fail;
    rc = make_signatures(m, err);
    if (rc)
        goto fail;
    const void *parts[2] = {m->bytes, NULL};
    size_t sizes[2] = {size, 0};
    wc_sha256_hex(parts, sizes, 1, m->digest);

    wc_tier tier = engine->config.tier;
    if (tier != WC_TIER_FAST) {
        /* the same bytes translated with and without write marks are two
         * different objects */
        char toolchain[1100];
        snprintf(toolchain, sizeof toolchain, "%s; %s", wc_code_toolchain_id(),
                 engine->config.track_writes ? "writes tracked" : "writes not tracked");
        parts[1] = toolchain;
        sizes[1] = strlen(toolchain);
        wc_sha256_hex(parts, sizes, 2, m->key);
        if (wc_cache_load(&engine->cache, m->key, &m->optimized) == 0) {
            m->optimized_state = OPTIMIZED_READY;
            atomic_store(&m->current, m->optimized);
            *out = m;
            return 0;
        }
    }

    wc_error fast_refusal = {0};
    if (wc_emit_tcc_fits(m->info, &fast_refusal) != 0) {
        if (tier == WC_TIER_FAST) {
            rc = fast_refusal.code;
            if (err)
                *err = fast_refusal;
            goto fail;
        }
        tier = WC_TIER_OPTIMIZED; /* auto: wait for the tier that takes it */
    }

    if (tier == WC_TIER_OPTIMIZED) {
        m->optimized_state = OPTIMIZED_PENDING;
        wc_code *code = NULL;
        rc = build_optimized(m, &code, err);
        if (rc)
            goto fail;
        set_optimized(m, code, 0, NULL);
        *out = m;
        return 0;
    }

    wc_buf source;
    wc_buf_init(&source);
    rc = wc_emit_for_tcc(m->info, engine->config.track_writes, &source, err);
    if (rc == 0 && !wc_buf_cstr(&source))
        rc = wc_error_set(err, WC_ENOMEM, "out of memory");
    if (rc == 0) {
        keep_source_for_debugging(m, &source, ".tcc");
        rc = wc_code_compile_fast((const char *)source.data, source.len, &m->fast, err);
    }
    wc_buf_free(&source);
    if (rc)
        goto fail;
    atomic_store(&m->current, m->fast);
    if (tier == WC_TIER_AUTO) {
        m->optimized_state = OPTIMIZED_PENDING;
        int started = enqueue_optimized_build(engine, m);
        if (started != 0) {
            m->optimized_state = OPTIMIZED_FAILED;
            wc_error_set(&m->optimized_error, WC_ECOMPILE, "cannot start the background compiler: %s",
                         wc_strerror(started));
        }
    }
    *out = m;
    return 0;
fail:
    module_destroy(m);
    return rc;
}

wc_module *wc_module_retain(wc_module *module)
{
    atomic_fetch_add(&module->refs, 1);
    return module;
}

void wc_module_release(wc_module *module)
{
    if (module && atomic_fetch_sub(&module->refs, 1) == 1)
        module_destroy(module);
}

const wc_module_info *wc_module_get_info(const wc_module *module)
{
    return module->info;
}

wc_tier wc_module_tier(const wc_module *module)
{
    wc_code *code = atomic_load(&((wc_module *)module)->current);
    return code->tier;
}

int wc_module_wait_optimized(wc_module *m, int timeout_ms, wc_error *err)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    if (timeout_ms > 0) {
        until.tv_sec += timeout_ms / 1000;
        until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
    }
    pthread_mutex_lock(&m->lock);
    int rc = 0;
    while (m->optimized_state == OPTIMIZED_PENDING) {
        if (timeout_ms < 0) {
            pthread_cond_wait(&m->cond, &m->lock);
        } else if (timeout_ms == 0 || pthread_cond_timedwait(&m->cond, &m->lock, &until) == ETIMEDOUT) {
            if (m->optimized_state == OPTIMIZED_PENDING) {
                rc = wc_error_set(err, WC_ETIMEDOUT, "the optimized tier is not ready yet");
                break;
            }
        }
    }
    if (rc == 0 && m->optimized_state == OPTIMIZED_FAILED) {
        if (err)
            *err = m->optimized_error;
        rc = WC_ECOMPILE;
    } else if (rc == 0 && m->optimized_state == OPTIMIZED_NONE) {
        rc = wc_error_set(err, WC_ENOTSUP, "the engine builds no optimized tier (tier fast)");
    }
    pthread_mutex_unlock(&m->lock);
    return rc;
}

const char *wc_module_digest(const wc_module *module)
{
    return module->digest;
}
