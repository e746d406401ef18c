/* fast_engine.h -- the engine the plugin tests run their guests on: the
 * fast tier only (the guests are small, and no gcc runs beside the tests)
 * and no code cache. */
#ifndef WC_TESTS_FAST_ENGINE_H
#define WC_TESTS_FAST_ENGINE_H

#include <stdio.h>

#include "engine/engine.h"

/* An engine on one tier with no code cache (the engine tests run both
 * tiers); NULL (said on stdout) when it cannot be made. */
static inline wc_engine *test_tier_engine(wc_tier tier)
{
    wc_engine_config cfg;
    wc_engine_config_default(&cfg);
    cfg.tier = tier;
    cfg.cache_dir = "";
    wc_error err = {0};
    wc_engine *engine = NULL;
    if (wc_engine_new(&cfg, &engine, &err) != 0)
        printf("FAIL: engine: %s\n", err.msg);
    return engine;
}

static inline wc_engine *test_fast_engine(void)
{
    return test_tier_engine(WC_TIER_FAST);
}

#endif
