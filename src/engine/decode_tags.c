/* decode_tags.c -- the exception-handling proposal's tags in the binary
 * format: the tag section (id 13, between memory and global), tag imports
 * and tag exports (external kind 4).
 *
 * A tag is an attribute byte (0: an exception) and the index of a function
 * type whose parameters are the exception's payload; the legacy proposal
 * requires that type to have no results.  The number of tags is bounded by
 * max_tags before anything is allocated.
 */
#include <string.h>

#include "engine/validate.h"

#define TRY(x)                 \
    do {                       \
        int rc_ = (x);         \
        if (rc_)               \
            return rc_;        \
    } while (0)

int wc_dec_tag_type(wc_decoder *d, uint32_t *type)
{
    size_t at = d->pos;
    uint8_t attribute;
    TRY(wc_dec_byte(d, &attribute));
    if (attribute != 0)
        return wc_dec_malformed(d, at, "malformed tag attribute 0x%02x", attribute);
    size_t tat = d->pos;
    TRY(wc_dec_u32(d, type));
    if (*type >= d->info->ntypes)
        wc_dec_note_invalid(d, tat, "unknown type %u", *type);
    else if (d->info->types[*type].nresults != 0)
        wc_dec_note_invalid(d, tat, "non-empty tag result type");
    return 0;
}

int wc_dec_import_tag(wc_decoder *d, size_t at, uint32_t nimports, uint32_t *type)
{
    TRY(wc_dec_tag_limit(d, at, (uint64_t)d->info->nimported_tags + 1));
    if (!d->tag_types) {
        d->tag_types = wc_dec_alloc(d, (size_t)nimports * sizeof *d->tag_types);
        if (!d->tag_types)
            return wc_dec_nomem(d);
    }
    TRY(wc_dec_tag_type(d, type));
    d->tag_types[d->info->nimported_tags++] = *type;
    d->ntags_total = d->info->nimported_tags;
    d->info->tag_types = d->tag_types;
    return 0;
}

int wc_dec_tag_limit(wc_decoder *d, size_t at, uint64_t count)
{
    if (count > d->limits.max_tags)
        return wc_dec_limit(d, at, "number of tags %llu exceeds the limit of %u",
                            (unsigned long long)count, d->limits.max_tags);
    return 0;
}

int wc_dec_tag_section(wc_decoder *d)
{
    wc_module_info *info = d->info;
    size_t at = d->pos;
    uint32_t count;
    TRY(wc_dec_u32(d, &count));
    TRY(wc_dec_tag_limit(d, at, (uint64_t)info->nimported_tags + count));
    size_t total = (size_t)info->nimported_tags + count;
    uint32_t *all = wc_dec_alloc(d, (total ? total : 1) * sizeof *all);
    if (!all)
        return wc_dec_nomem(d);
    if (info->nimported_tags)
        memcpy(all, d->tag_types, info->nimported_tags * sizeof *all);
    d->tag_types = all;
    info->tag_types = all;
    for (uint32_t i = 0; i < count; i++) {
        TRY(wc_dec_tag_type(d, &all[info->nimported_tags + i]));
        info->ntags = i + 1;
        d->ntags_total = info->nimported_tags + info->ntags;
    }
    return 0;
}
