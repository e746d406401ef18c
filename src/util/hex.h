/* hex.h -- the value of one hexadecimal digit, for the parsers that read
 * them (chunk sizes, percent-escapes, digests). */
#ifndef WC_UTIL_HEX_H
#define WC_UTIL_HEX_H

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

#endif
