/* size.c -- parse human-written byte sizes. */
#include "util/size.h"

#include <ctype.h>
#include <strings.h>

int wc_parse_size(const char *s, uint64_t *out)
{
    if (!s || !isdigit((unsigned char)*s))
        return WC_EINVAL; /* also refuses a sign or leading space, which strtoull allows */
    uint64_t value = 0;
    for (; isdigit((unsigned char)*s); s++) {
        unsigned digit = (unsigned)(*s - '0');
        if (value > (UINT64_MAX - digit) / 10)
            return WC_ETOOBIG;
        value = value * 10 + digit;
    }
    static const struct {
        const char *suffix;
        unsigned shift;
    } units[] = {
        {"", 0},    {"b", 0},    {"k", 10},   {"kb", 10}, {"kib", 10},
        {"m", 20},  {"mb", 20},  {"mib", 20}, {"g", 30},  {"gb", 30},
        {"gib", 30}, {"t", 40},  {"tb", 40},  {"tib", 40},
    };
    for (unsigned i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strcasecmp(s, units[i].suffix) != 0)
            continue;
        if (value > (UINT64_MAX >> units[i].shift))
            return WC_ETOOBIG;
        *out = value << units[i].shift;
        return 0;
    }
    return WC_EINVAL;
}
