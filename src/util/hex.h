/* hex.h -- the value of one hexadecimal digit, for the parsers that read
 * them (chunk sizes, percent-escapes, digests), and bytes written as hex. */
#ifndef WC_UTIL_HEX_H
#define WC_UTIL_HEX_H

#include <stddef.h>

/* 0..15, or -1 when c is not a hexadecimal digit. */
static inline int wc_hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* The 2 * size lowercase hex digits of bytes, and a NUL, into hex. */
static inline void wc_hex_encode(const unsigned char *bytes, size_t size, char *hex)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < size; i++) {
        hex[2 * i] = digits[bytes[i] >> 4];
        hex[2 * i + 1] = digits[bytes[i] & 15];
    }
    hex[2 * size] = 0;
}

#endif
