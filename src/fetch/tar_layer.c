/* tar_layer.c -- a bounded gzip and tar reader for image layers (tar_layer.h). */
#include "fetch/tar_layer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define BLOCK 512

int wc_gunzip(const uint8_t *data, size_t len, size_t max_tar, uint8_t **out, size_t *out_len,
              wc_error *err)
{
    *out = NULL;
    z_stream z = {0};
    if (inflateInit2(&z, 15 + 16) != Z_OK) /* gzip framing only */
        return wc_error_set(err, WC_ENOMEM, "cannot start zlib");
    size_t cap = len * 4 > 4096 ? len * 4 : 4096;
    if (cap > max_tar)
        cap = max_tar;
    uint8_t *buf = malloc(cap + 1);
    size_t used = 0;
    int rc = buf ? 0 : wc_error_set(err, WC_ENOMEM, "out of memory");
    z.next_in = (Bytef *)data;
    size_t in_left = len;
    while (rc == 0) {
        if (z.avail_in == 0) {
            uInt chunk = in_left > (1u << 30) ? (1u << 30) : (uInt)in_left;
            z.avail_in = chunk;
            in_left -= chunk;
        }
        if (used == cap) {
            if (cap >= max_tar) {
                rc = wc_error_set(err, WC_ETOOBIG, "the layer decompresses to more than %zu bytes",
                                  max_tar);
                break;
            }
            size_t grown = cap * 2 < max_tar ? cap * 2 : max_tar;
            uint8_t *bigger = realloc(buf, grown + 1);
            if (!bigger) {
                rc = wc_error_set(err, WC_ENOMEM, "out of memory");
                break;
            }
            buf = bigger;
            cap = grown;
        }
        size_t room = cap - used;
        z.next_out = buf + used;
        z.avail_out = room > (1u << 30) ? (1u << 30) : (uInt)room;
        uInt before = z.avail_out;
        int zr = inflate(&z, Z_NO_FLUSH);
        used += before - z.avail_out;
        if (zr == Z_STREAM_END)
            break;
        if (zr == Z_BUF_ERROR && z.avail_in == 0 && in_left == 0) {
            rc = wc_error_set(err, WC_EINVAL, "the gzip layer is truncated");
            break;
        }
        if (zr != Z_OK && zr != Z_BUF_ERROR) {
            rc = wc_error_set(err, WC_EINVAL, "the gzip layer is corrupt: %s", z.msg ? z.msg : "error");
            break;
        }
    }
    inflateEnd(&z);
    if (rc != 0) {
        free(buf);
        return rc;
    }
    *out = buf;
    *out_len = used;
    return 0;
}

/* An octal field of a tar header: digits, then spaces or NULs. */
static bool octal(const uint8_t *f, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    size_t i = 0;
    while (i < n && f[i] == ' ')
        i++;
    bool any = false;
    for (; i < n && f[i] >= '0' && f[i] <= '7'; i++) {
        if (v >> 60)
            return false;
        v = v * 8 + (uint64_t)(f[i] - '0');
        any = true;
    }
    for (; i < n; i++)
        if (f[i] != ' ' && f[i] != 0)
            return false;
    *out = v;
    return any;
}

static bool zero_block(const uint8_t *b)
{
    for (size_t i = 0; i < BLOCK; i++)
        if (b[i])
            return false;
    return true;
}

/* The header's name: prefix "/" name (ustar), each NUL-bounded. */
static void header_name(const uint8_t *h, char *out, size_t size)
{
    char name[101], prefix[156];
    memcpy(name, h, 100);
    name[100] = 0;
    memcpy(prefix, h + 345, 155);
    prefix[155] = 0;
    if (memcmp(h + 257, "ustar", 5) == 0 && prefix[0])
        snprintf(out, size, "%s/%s", prefix, name);
    else
        snprintf(out, size, "%s", name);
}

static bool is_plugin_name(const char *name)
{
    if (name[0] == '/')
        name++;
    else if (name[0] == '.' && name[1] == '/')
        name += 2;
    return strcmp(name, "plugin.wasm") == 0;
}

int wc_tar_find_plugin(const uint8_t *data, size_t len, size_t max_file, uint8_t **file,
                       size_t *file_len, wc_error *err)
{
    *file = NULL;
    size_t off = 0;
    for (size_t entries = 0; off + BLOCK <= len; entries++) {
        if (entries >= WC_TAR_MAX_ENTRIES)
            return wc_error_set(err, WC_ETOOBIG, "the layer has more than %d entries", WC_TAR_MAX_ENTRIES);
        const uint8_t *h = data + off;
        if (zero_block(h))
            break; /* the end-of-archive marker */
        uint64_t size = 0, sum = 0;
        if (!octal(h + 124, 12, &size) || !octal(h + 148, 8, &sum))
            return wc_error_set(err, WC_EINVAL, "the layer is not a tar archive (bad header at byte %zu)", off);
        uint64_t computed = 0;
        for (size_t i = 0; i < BLOCK; i++)
            computed += (i >= 148 && i < 156) ? ' ' : h[i];
        if (computed != sum)
            return wc_error_set(err, WC_EINVAL, "the layer's tar header at byte %zu has a bad checksum", off);
        off += BLOCK;
        if (size > len - off)
            return wc_error_set(err, WC_EINVAL, "the layer's tar entry at byte %zu runs past its end",
                                off - BLOCK);
        char name[300];
        header_name(h, name, sizeof name);
        char type = (char)h[156];
        if ((type == '0' || type == 0) && is_plugin_name(name)) {
            if (size > max_file)
                return wc_error_set(err, WC_ETOOBIG, "plugin.wasm in the layer is %llu bytes, over the limit of %zu",
                                    (unsigned long long)size, max_file);
            uint8_t *copy = malloc((size_t)size + 1);
            if (!copy)
                return wc_error_set(err, WC_ENOMEM, "out of memory");
            memcpy(copy, data + off, (size_t)size);
            *file = copy;
            *file_len = (size_t)size;
            return 0;
        }
        uint64_t padded = (size + BLOCK - 1) / BLOCK * BLOCK;
        if (padded > len - off)
            break;
        off += (size_t)padded;
    }
    return wc_error_set(err, WC_ENOTFOUND, "the layer holds no regular file plugin.wasm");
}
