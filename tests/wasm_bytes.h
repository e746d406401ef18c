/* wasm_bytes.h -- the tests' writers of WebAssembly binary pieces, for
 * modules built in code (shapes too large or too many to spell as bytes). */
#ifndef WC_TESTS_WASM_BYTES_H
#define WC_TESTS_WASM_BYTES_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* An unsigned LEB128 at out[*n]; *n moves past it. */
static inline void put_u32(uint8_t *out, size_t *n, uint32_t v)
{
    do {
        uint8_t byte = v & 0x7f;
        v >>= 7;
        out[(*n)++] = byte | (v ? 0x80 : 0);
    } while (v);
}

/* A section: its id, its size, then payload[0..size). */
static inline void put_section(uint8_t *out, size_t *n, uint8_t id, const uint8_t *payload, size_t size)
{
    out[(*n)++] = id;
    put_u32(out, n, (uint32_t)size);
    memcpy(out + *n, payload, size);
    *n += size;
}

#endif
