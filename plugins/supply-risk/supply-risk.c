/* supply-risk.c -- the supply-risk plugin: a decision-ready answer to "will
 * this SKU run out?" from the stock kept in the host's kv store and a small
 * quantized model run next to it through WASI-NN.
 *
 *   days of cover  = stock / daily demand
 *   P(stock-out)   = the model "supply_risk" (model/fit.h: a logistic
 *                    regression of (days of cover, buffer days), int8),
 *                    opened with load_by_name, so the plugin needs
 *                    permissions.nn_models: ["supply_risk"]
 *   action         = the manifest's thresholds (HOLD_BELOW, EXPEDITE_FROM)
 * The answer is the ontology's ContextualRiskAssessment
 * (ontology/logistics.tsp), written through its generated C type
 * (../ontology.h): a field it does not have would not compile.
 * Daily demand is the SKU's depletion rate from the inventory service
 * (services/inventory, its endpoint inventory.depletion, asked over the bus
 * when the config grants permissions.bus.request), else the call's
 * daily_demand, else the stored "demand:<sku>", else 10; a second text
 * block of the result says which, and why the service was not used.
 * Stock is stored as "stock:<sku>" (a decimal number) by set_stock.
 */
#define WASMCAP_IMPLEMENTATION
#include "wasmcap.h"
#include "wasi_nn.h"
#include "ontology.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

WASMCAP_MANIFEST_FILE("manifest.json");

#define DEFAULT_DAILY_DEMAND 10.0
#define MODEL_NAME "supply_risk"
/* the model's input range (model/fit.h): quarter days from 0 to 63.75 */
#define MAX_MODEL_DAYS 63.75
/* the inventory service's endpoint, how long to wait for it (within the
 * call's own deadline) and the most of its reply to take */
#define INVENTORY_SUBJECT "inventory.depletion"
#define INVENTORY_TIMEOUT_MS 2000
#define INVENTORY_MAX_REPLY 4096
/* the thresholds the manifest documents */
#define HOLD_BELOW 0.25
#define EXPEDITE_FROM 0.60

/* ^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$, also checked here: a SKU becomes part of
 * a kv key. */
static int valid_sku(const char *sku)
{
    size_t n = strlen(sku);
    if (n < 1 || n > 64)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = sku[i];
        int alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (!alnum && (i == 0 || (c != '_' && c != '-')))
            return 0;
    }
    return 1;
}

/* "<kind>:<sku>": kinds are short words and a valid SKU has at most 64
 * characters (no printf: it costs more than the rest of a key's use). */
static void key_for(char key[96], const char *kind, const char *sku)
{
    size_t k = strlen(kind), n = strlen(sku);
    if (k + 1 + n >= 96)
        n = k + 1 < 96 ? 95 - (k + 1) : 0;
    memcpy(key, kind, k);
    key[k] = ':';
    memcpy(key + k + 1, sku, n);
    key[k + 1 + n] = 0;
}

/* Reads the number stored under "<kind>:<sku>".  Returns 0, or the host's
 * error (WASMCAP_ENOTFOUND when absent, WASMCAP_EINVAL when not a number). */
static int load_number(const char *kind, const char *sku, double *out)
{
    char key[96], *text;
    key_for(key, kind, sku);
    int rc = wasmcap_kv_get(key, &text, NULL);
    if (rc)
        return rc;
    char *end;
    double v = strtod(text, &end);
    rc = end == text || *end || !isfinite(v) || v < 0 ? WASMCAP_EINVAL : 0;
    if (rc)
        wasmcap_log(WASMCAP_WARNING, "kv %s holds '%.40s', not a number", key, text);
    free(text);
    *out = v;
    return rc;
}

static int store_number(const char *kind, const char *sku, double v)
{
    char key[96], text[32];
    key_for(key, kind, sku);
    size_t n = wasmcap_format_number(v, text);
    return wasmcap_kv_put(key, text, n);
}

/* The SKU's daily depletion rate from the inventory service.  Returns 1
 * with *rate, or 0 with the reason it could not be had in why (not
 * granted, no bus, nobody serving, an unknown SKU, a reply without it). */
static int depletion_from_service(const char *sku, double *rate, char *why, size_t why_size)
{
    char request[96], *reply = NULL;
    size_t len = 0;
    snprintf(request, sizeof request, "{\"sku\":\"%s\"}", sku); /* a valid SKU needs no escape */
    int rc = wasmcap_bus_request(INVENTORY_SUBJECT, request, strlen(request), INVENTORY_TIMEOUT_MS,
                                 INVENTORY_MAX_REPLY, &reply, &len);
    if (rc) {
        const char *error = wasmcap_last_error();
        size_t n = strlen(error) < why_size ? strlen(error) : why_size - 1;
        memcpy(why, error, n);
        why[n] = 0;
        return 0;
    }
    char err[128] = "";
    wasmcap_json *root = wasmcap_json_parse(reply, len, err, sizeof err);
    double v = wasmcap_json_number(wasmcap_json_get(root, "daily_depletion"), -1);
    wasmcap_json_free(root);
    free(reply);
    if (!(v > 0) || !isfinite(v)) {
        snprintf(why, why_size, "its reply to %s has no daily_depletion > 0%s%s", INVENTORY_SUBJECT,
                 err[0] ? ": " : "", err);
        return 0;
    }
    *rate = v;
    return 1;
}

static onto_RecommendedAction action_for(double p)
{
    if (p < HOLD_BELOW)
        return onto_RecommendedAction_Hold;
    if (p < EXPEDITE_FROM)
        return onto_RecommendedAction_RouteSecondary;
    return onto_RecommendedAction_Expedite;
}

/* Runs the model on (days of cover, buffer days); returns 0 or the WASI-NN
 * error, with the step that failed in *step. */
static int predict(double cover, double buffer_days, double *p, const char **step)
{
    float x[2] = {(float)fmin(cover, MAX_MODEL_DAYS), (float)fmin(buffer_days, MAX_MODEL_DAYS)};
    float y = 0;
    uint32_t dims[] = {1, 2};
    wasi_nn_tensor in = {dims, 2, WASI_NN_TYPE_F32, (const uint8_t *)x, sizeof x};
    int rc = wasi_nn_infer_by_name(MODEL_NAME, sizeof MODEL_NAME - 1, &in, (uint8_t *)&y,
                                   sizeof y, step);
    if (rc == 0 && !(y >= 0 && y <= 1)) {
        *step = "get_output";
        rc = WASI_NN_RUNTIME_ERROR;
    }
    *p = y;
    return rc;
}

static int assess(const wasmcap_json *args, wasmcap_result *out)
{
    const char *sku = wasmcap_json_string(wasmcap_json_get(args, "sku"), "");
    const wasmcap_json *buffer = wasmcap_json_get(args, "buffer_days");
    const wasmcap_json *demand_arg = wasmcap_json_get(args, "daily_demand");
    if (!valid_sku(sku))
        return wasmcap_error(out, "invalid sku '%s'", sku);
    if (!wasmcap_json_is_integer(buffer) || buffer->number < 0)
        return wasmcap_error(out, "buffer_days must be an integer >= 0");
    double demand = wasmcap_json_number(demand_arg, 0);
    if (demand_arg && !(demand > 0))
        return wasmcap_error(out, "daily_demand must be a number > 0");

    double stock;
    int rc = load_number("stock", sku, &stock);
    if (rc == WASMCAP_ENOTFOUND)
        return wasmcap_error(out, "unknown SKU '%s': record its stock with the set_stock tool first",
                             sku);
    if (rc)
        return wasmcap_error(out, "could not read the stock of '%s': %s", sku,
                             rc == WASMCAP_EINVAL ? "the stored value is not a number"
                                                  : wasmcap_last_error());
    char why[600];
    why[0] = 0;
    double rate;
    const char *from = NULL; /* NULL: the inventory service */
    if (depletion_from_service(sku, &rate, why, sizeof why)) {
        demand = rate;
    } else {
        from = "the call's daily_demand";
        if (!demand_arg) {
            rc = load_number("demand", sku, &demand);
            from = "the stored demand of the SKU";
            if (rc || !(demand > 0)) {
                demand = DEFAULT_DAILY_DEMAND;
                from = "the default";
            }
        }
    }

    double cover = stock / demand;
    double p;
    const char *step = "";
    rc = predict(cover, buffer->number, &p, &step);
    if (rc)
        return wasmcap_error(out, "the model '%s' %s (WASI-NN error %d in %s)", MODEL_NAME,
                             wasi_nn_infer_failure(rc, step), rc, step);
    p = round(p * 10000) / 10000; /* four decimals are plenty for a decision */
    onto_ContextualRiskAssessment answer = {
        .sku = sku,
        .current_stock = (long long)stock,
        .stockout_probability = p,
        .recommended_action = action_for(p),
    };

    wasmcap_buf days = {0};
    wasmcap_buf_printf(&days, "%.1f", cover);
    if (days.failed)
        return wasmcap_error(out, "out of memory");
    if (days.len > 2 && strcmp(days.data + days.len - 2, ".0") == 0)
        days.data[days.len - 2] = 0;
    wasmcap_text(out, "%s: %s days of cover, stockout risk %.0f%% -> %s", sku, days.data, p * 100,
                 onto_RecommendedAction_name(answer.recommended_action));
    wasmcap_buf_free(&days);
    if (from)
        wasmcap_text(out, "daily demand %g: %s (the inventory service was not used: %s)", demand,
                     from, why);
    else
        wasmcap_text(out, "daily demand %g: the inventory service's depletion rate (%s)", demand,
                     INVENTORY_SUBJECT);
    return onto_ContextualRiskAssessment_result(out, &answer);
}

static int set_stock(const wasmcap_json *args, wasmcap_result *out)
{
    const char *sku = wasmcap_json_string(wasmcap_json_get(args, "sku"), "");
    const wasmcap_json *quantity = wasmcap_json_get(args, "quantity");
    const wasmcap_json *demand = wasmcap_json_get(args, "daily_demand");
    if (!valid_sku(sku))
        return wasmcap_error(out, "invalid sku '%s'", sku);
    if (!wasmcap_json_is_integer(quantity) || quantity->number < 0)
        return wasmcap_error(out, "quantity must be an integer >= 0");
    if (demand && !(wasmcap_json_number(demand, 0) > 0))
        return wasmcap_error(out, "daily_demand must be a number > 0");
    if (store_number("stock", sku, quantity->number) ||
        (demand && store_number("demand", sku, demand->number)))
        return wasmcap_error(out, "could not store '%s': %s", sku, wasmcap_last_error());
    wasmcap_log(WASMCAP_INFO, "stock of %s set to %.0f", sku, quantity->number);
    if (demand)
        wasmcap_text(out, "%s: stock %.0f, daily demand %g", sku, quantity->number, demand->number);
    else
        wasmcap_text(out, "%s: stock %.0f", sku, quantity->number);
    wasmcap_jw *s = wasmcap_structured(out);
    wasmcap_jw_kv_string(s, "sku", sku);
    wasmcap_jw_kv_int(s, "quantity", (long long)quantity->number);
    if (demand)
        wasmcap_jw_kv_number(s, "daily_demand", demand->number);
    return 0;
}

WASMCAP_TOOLS({"assess", assess}, {"set_stock", set_stock});
