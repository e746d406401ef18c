/* kv.c -- the port's functions: every argument checked once, for every
 * store, then the store's operation.  Both stores therefore refuse the same
 * things with the same codes, and see only keys that fit the limits. */
#include "store/kv.h"

#include <string.h>

/* 0, or the code every store gives for ns with a key (or prefix) of
 * key_len bytes: WC_EINVAL for an empty namespace or a missing key,
 * WC_ETOOBIG when namespace + separator + key pass WC_KV_MAX_KEY. */
static int check_key(const char *ns, const void *key, size_t key_len)
{
    if (!ns || !*ns || (key_len && !key))
        return WC_EINVAL;
    size_t ns_len = strlen(ns);
    if (ns_len >= WC_KV_MAX_KEY || key_len > WC_KV_MAX_KEY - ns_len - 1)
        return WC_ETOOBIG;
    return 0;
}

void wc_kv_close(wc_kv *kv)
{
    if (kv)
        kv->ops->close(kv);
}

const char *wc_kv_kind(const wc_kv *kv)
{
    return kv->ops->kind;
}

int wc_kv_get(wc_kv *kv, const char *ns, const void *key, size_t key_len, wc_buf *out)
{
    int rc = check_key(ns, key, key_len);
    if (rc == 0 && !out)
        rc = WC_EINVAL;
    return rc ? rc : kv->ops->get(kv, ns, key, key_len, out);
}

int wc_kv_put_within(wc_kv *kv, const char *ns, uint64_t quota, const void *key, size_t key_len,
                     const void *value, size_t value_len, uint64_t *usage)
{
    int rc = check_key(ns, key, key_len);
    if (rc)
        return rc;
    if (value_len > WC_KV_MAX_VALUE)
        return WC_ETOOBIG;
    if (value_len && !value)
        return WC_EINVAL;
    return kv->ops->put_within(kv, ns, quota, key, key_len, value, value_len, usage);
}

int wc_kv_put(wc_kv *kv, const char *ns, const void *key, size_t key_len,
              const void *value, size_t value_len)
{
    return wc_kv_put_within(kv, ns, 0, key, key_len, value, value_len, NULL);
}

int wc_kv_usage(wc_kv *kv, const char *ns, uint64_t *usage)
{
    int rc = check_key(ns, NULL, 0);
    if (rc == 0 && !usage)
        rc = WC_EINVAL;
    return rc ? rc : kv->ops->usage(kv, ns, usage);
}

int wc_kv_delete(wc_kv *kv, const char *ns, const void *key, size_t key_len)
{
    int rc = check_key(ns, key, key_len);
    return rc ? rc : kv->ops->delete_key(kv, ns, key, key_len);
}

int wc_kv_list_page(wc_kv *kv, const char *ns, const void *prefix, size_t prefix_len,
                    const void *after, size_t after_len, size_t limit, wc_kv_page *page)
{
    memset(page, 0, sizeof *page);
    int rc = check_key(ns, prefix, prefix_len);
    if (rc == 0 && after_len)
        rc = after ? check_key(ns, after, after_len) : WC_EINVAL;
    if (rc)
        return rc;
    if (after_len) {
        size_t common = after_len < prefix_len ? after_len : prefix_len;
        int order = common ? memcmp(after, prefix, common) : 0;
        if (order < 0 || (order == 0 && after_len < prefix_len)) {
            after_len = 0; /* before the range: from its start */
        } else if (order > 0) {
            page->keys = json_array(); /* past the range: nothing left */
            return page->keys ? 0 : WC_ENOMEM;
        }
    }
    return kv->ops->list_page(kv, ns, prefix, prefix_len, after, after_len,
                              limit ? limit : WC_KV_LIST_LIMIT, page);
}

int wc_kv_list(wc_kv *kv, const char *ns, const void *prefix, size_t prefix_len,
               size_t limit, json_t **keys)
{
    wc_kv_page page;
    int rc = wc_kv_list_page(kv, ns, prefix, prefix_len, NULL, 0, limit, &page);
    *keys = rc == 0 ? page.keys : NULL;
    return rc;
}
