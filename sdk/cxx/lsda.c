/* lsda.c -- finds the catch clause of a landing pad in clang's LSDA
 * (lsda.h); every read is checked against the table's bounds, and the
 * action chain is followed at most as many steps as it has bytes, so a
 * corrupt table is reported rather than read past or looped on. */
#include "lsda.h"

/* DWARF pointer encodings (the low nibble: the value's format) */
enum {
    DW_EH_PE_absptr = 0x00,
    DW_EH_PE_uleb128 = 0x01,
    DW_EH_PE_udata2 = 0x02,
    DW_EH_PE_udata4 = 0x03,
    DW_EH_PE_udata8 = 0x04,
    DW_EH_PE_sleb128 = 0x09,
    DW_EH_PE_sdata2 = 0x0a,
    DW_EH_PE_sdata4 = 0x0b,
    DW_EH_PE_sdata8 = 0x0c,
    DW_EH_PE_omit = 0xff,
};

/* a cursor over [at, end) */
struct reader {
    const uint8_t *at, *end;
    int bad; /* set by any read past the end or of an oversized number */
};

static uint8_t read_byte(struct reader *r)
{
    if (r->at >= r->end) {
        r->bad = 1;
        return 0;
    }
    return *r->at++;
}

/* A LEB128 number of at most 32 significant bits (all this table holds on
 * wasm32); signed ones are sign-extended from their last byte. */
static uint32_t read_leb(struct reader *r, int is_signed)
{
    uint32_t value = 0;
    unsigned shift = 0;
    uint8_t byte;
    do {
        byte = read_byte(r);
        if (r->bad || shift >= 35) {
            r->bad = 1;
            return 0;
        }
        if (shift == 28 && (byte & 0x70) && !(is_signed && (byte & 0x70) == 0x70))
            r->bad = 1; /* more than 32 bits */
        value |= (uint32_t)(byte & 0x7f) << shift;
        shift += 7;
    } while (byte & 0x80);
    if (is_signed && shift < 32 && (byte & 0x40))
        value |= ~(uint32_t)0 << shift;
    return value;
}

/* the size of a fixed-size encoded value, 0 for LEB128 and unknown formats */
static size_t encoded_size(uint8_t encoding)
{
    switch (encoding & 0x0f) {
    case DW_EH_PE_absptr: return 4; /* a wasm32 pointer */
    case DW_EH_PE_udata2:
    case DW_EH_PE_sdata2: return 2;
    case DW_EH_PE_udata4:
    case DW_EH_PE_sdata4: return 4;
    case DW_EH_PE_udata8:
    case DW_EH_PE_sdata8: return 8;
    default: return 0;
    }
}

/* Skips an encoded value whose meaning is not needed (the landing-pad base:
 * wasm's landing pads are indices, not addresses). */
static void skip_encoded(struct reader *r, uint8_t encoding)
{
    if ((encoding & 0x0f) == DW_EH_PE_uleb128 || (encoding & 0x0f) == DW_EH_PE_sleb128) {
        read_leb(r, 0);
        return;
    }
    size_t n = encoded_size(encoding);
    if (!n || (size_t)(r->end - r->at) < n)
        r->bad = 1;
    else
        r->at += n;
}

/* Type table entry `index` (>= 1), counted back from the type base: only
 * absolute (not pc-relative or indirect) values of 2, 4 or 8 bytes, of which
 * wasm32 addresses use the low 32 bits. */
static int type_entry(const uint8_t *types_floor, const uint8_t *type_base, uint8_t encoding,
                      uint32_t index, uint32_t *address)
{
    size_t n = encoded_size(encoding);
    if (!n || (encoding & 0x70) != 0 || (encoding & 0x80) != 0)
        return 0;
    if (index > (size_t)(type_base - types_floor) / n)
        return 0;
    const uint8_t *p = type_base - (size_t)index * n;
    uint32_t value = 0;
    for (size_t i = 0; i < n && i < 4; i++)
        value |= (uint32_t)p[i] << (8 * i); /* little-endian, as wasm's memory */
    *address = value;
    return 1;
}

enum wcx_lsda_result wcx_lsda_find_handler(const uint8_t *lsda, size_t size, uint32_t landing_pad,
                                           wcx_catch_test test, void *context, int32_t *selector,
                                           uint32_t *type_address)
{
    struct reader r = {lsda, lsda + size, 0};
    uint8_t landing_pad_base_encoding = read_byte(&r);
    if (landing_pad_base_encoding != DW_EH_PE_omit)
        skip_encoded(&r, landing_pad_base_encoding);
    uint8_t type_encoding = read_byte(&r);
    const uint8_t *type_base = NULL;
    if (type_encoding != DW_EH_PE_omit) {
        uint32_t offset = read_leb(&r, 0);
        if (r.bad || offset > (size_t)(r.end - r.at))
            return WCX_LSDA_MALFORMED;
        type_base = r.at + offset;
    }
    uint8_t call_site_encoding = read_byte(&r);
    uint32_t call_sites_size = read_leb(&r, 0);
    if (r.bad || call_site_encoding != DW_EH_PE_uleb128 ||
        call_sites_size > (size_t)(r.end - r.at))
        return WCX_LSDA_MALFORMED;
    const uint8_t *actions = r.at + call_sites_size;
    /* the action table lies between the call sites and the type table */
    const uint8_t *actions_end = type_base ? type_base : r.end;
    if (actions > actions_end)
        return WCX_LSDA_MALFORMED;

    /* the landing pad's record is the landing_pad'th (counting from 0) */
    struct reader sites = {r.at, actions, 0};
    uint32_t action = 0;
    for (uint32_t i = 0; i <= landing_pad; i++) {
        read_leb(&sites, 0); /* the landing pad's own index */
        action = read_leb(&sites, 0);
        if (sites.bad)
            return WCX_LSDA_MALFORMED;
    }
    if (action == 0)
        return WCX_LSDA_NO_HANDLER;

    /* Each action is at least two bytes, so a chain longer than half the
     * table has looped. */
    size_t steps_left = (size_t)(actions_end - actions) / 2 + 1;
    const uint8_t *record = actions + (action - 1);
    for (; steps_left > 0; steps_left--) {
        if (record < actions || record >= actions_end)
            return WCX_LSDA_MALFORMED;
        struct reader a = {record, actions_end, 0};
        int32_t type_index = (int32_t)read_leb(&a, 1);
        const uint8_t *next_field = a.at;
        int32_t next = (int32_t)read_leb(&a, 1);
        if (a.bad)
            return WCX_LSDA_MALFORMED;
        if (type_index < 0)
            return WCX_LSDA_FILTER;
        if (type_index > 0) {
            uint32_t address;
            if (!type_base ||
                !type_entry(actions, type_base, type_encoding, (uint32_t)type_index, &address))
                return WCX_LSDA_MALFORMED;
            if (test(context, address)) {
                *selector = type_index;
                *type_address = address;
                return WCX_LSDA_HANDLER;
            }
        }
        /* type index 0 is a cleanup: no catch here, go on down the chain */
        if (next == 0)
            return WCX_LSDA_NO_HANDLER;
        if ((next < 0 && (size_t)-(int64_t)next > (size_t)(next_field - actions)) ||
            (next > 0 && (size_t)next >= (size_t)(actions_end - next_field)))
            return WCX_LSDA_MALFORMED;
        record = next_field + next;
    }
    return WCX_LSDA_MALFORMED;
}
