/* test_error.c -- the one error space (util/error.h): every code has a value
 * and a text of its own, codes it does not name read as the system words
 * them or as a generic text, and the wc_error carrier formats, truncates
 * and falls back safely. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "util/error.h"

#include "check.h"

#define CODE(c) {c, #c}
static const struct {
    int code;
    const char *name;
} codes[] = {
    CODE(WC_EPERM),     CODE(WC_ENOENT),    CODE(WC_EIO),           CODE(WC_EAGAIN),
    CODE(WC_ENOMEM),    CODE(WC_EACCES),    CODE(WC_EISDIR),
    CODE(WC_EINVAL),    CODE(WC_ETOOBIG),   CODE(WC_ENOSPC),        CODE(WC_ENAMETOOLONG),
    CODE(WC_ENOTSUP),   CODE(WC_ETIMEDOUT), CODE(WC_EQUOTA),        CODE(WC_ECANCELED),
    CODE(WC_EMALFORMED), CODE(WC_EBADMODULE), CODE(WC_ELINK),       CODE(WC_ETRAP),
    CODE(WC_ECOMPILE),  CODE(WC_ENOTFOUND), CODE(WC_ENOTREG),     CODE(WC_EPLUGIN),
    CODE(WC_EREFUSED),  CODE(WC_ENOTCONN),  CODE(WC_ENORESPONDERS),
    CODE(WC_EDIGEST),   CODE(WC_ESIGNATURE), CODE(WC_EREMOTE), CODE(WC_ECONFLICT),
};
#define NCODES (sizeof codes / sizeof codes[0])

static const char *const generic = "unknown error";

static void test_codes_are_distinct(void)
{
    for (size_t i = 0; i < NCODES; i++) {
        const char *text = wc_strerror(codes[i].code);
        CHECK(codes[i].code < 0, "%s is %d, not negative", codes[i].name, codes[i].code);
        CHECK(text && text[0], "%s has no text", codes[i].name);
        CHECK(text && strcmp(text, generic) != 0, "%s reads as the generic text", codes[i].name);
        for (size_t j = 0; j < i; j++) {
            CHECK(codes[i].code != codes[j].code, "%s and %s share the value %d", codes[i].name,
                  codes[j].name, codes[i].code);
            CHECK(strcmp(text, wc_strerror(codes[j].code)) != 0, "%s and %s both read \"%s\"",
                  codes[i].name, codes[j].name, text);
        }
    }
    CHECK(strcmp(wc_strerror(WC_OK), "success") == 0, "WC_OK: %s", wc_strerror(WC_OK));
    /* the reason for one space: -1 has one meaning */
    CHECK(WC_EPERM == -1, "WC_EPERM is %d", WC_EPERM);
}

/* Every code util/error.h defines is in the table above, so a new code
 * cannot go without its own text. */
static void test_table_is_complete(void)
{
    FILE *f = fopen(WC_SOURCE_DIR "/src/util/error.h", "r");
    CHECK(f != NULL, "cannot read util/error.h");
    if (!f)
        return;
    char line[256];
    int defined = 0;
    while (fgets(line, sizeof line, f)) {
        char name[64];
        if (sscanf(line, " %63[A-Z_] =", name) != 1 || strncmp(name, "WC_E", 4) != 0)
            continue;
        defined++;
        bool listed = false;
        for (size_t i = 0; i < NCODES && !listed; i++)
            listed = strcmp(codes[i].name, name) == 0;
        CHECK(listed, "%s is defined in util/error.h but not checked here", name);
    }
    fclose(f);
    CHECK(defined == (int)NCODES, "util/error.h defines %d codes, the table has %zu", defined,
          NCODES);
}

static void test_system_codes(void)
{
    /* a helper's -errno is in the space and keeps the system's words */
    CHECK(WC_ENOENT == -ENOENT && WC_ENOMEM == -ENOMEM && WC_EINVAL == -EINVAL, "errno values");
    CHECK(strcmp(wc_strerror(-ENOENT), "No such file or directory") == 0, "ENOENT: %s",
          wc_strerror(-ENOENT));
    CHECK(strcmp(wc_strerror(-EBADF), strerror(EBADF)) == 0, "an errno the space does not name: %s",
          wc_strerror(-EBADF));
    /* where wasmcap gives an errno its own meaning, its own words */
    CHECK(strcmp(wc_strerror(WC_ETOOBIG), "larger than the limit") == 0, "ETOOBIG: %s",
          wc_strerror(WC_ETOOBIG));
    CHECK(strcmp(wc_strerror(WC_ENOTREG), "not a regular file") == 0, "ENOTREG: %s",
          wc_strerror(WC_ENOTREG));
    CHECK(strcmp(wc_strerror(WC_EMALFORMED), "malformed module") == 0, "EMALFORMED: %s",
          wc_strerror(WC_EMALFORMED));
    CHECK(strcmp(wc_strerror(WC_EPLUGIN), "plugin call failed") == 0, "EPLUGIN: %s",
          wc_strerror(WC_EPLUGIN));
    CHECK(strcmp(wc_strerror(WC_EREFUSED), "refused by the plugin") == 0, "EREFUSED: %s",
          wc_strerror(WC_EREFUSED));
    CHECK(strcmp(wc_strerror(WC_ENORESPONDERS), "no responders") == 0, "ENORESPONDERS: %s",
          wc_strerror(WC_ENORESPONDERS));
}

static void test_unknown_codes(void)
{
    static const int unknown[] = {1, 42, INT_MAX, -2999, -3000, -3999, -4095, -4096, -100000, INT_MIN};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++)
        CHECK(strcmp(wc_strerror(unknown[i]), generic) == 0, "%d reads \"%s\"", unknown[i],
              wc_strerror(unknown[i]));
}

static int set_through_va_list(wc_error *err, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int rc = wc_error_setv(err, code, fmt, ap);
    va_end(ap);
    return rc;
}

static void test_carrier(void)
{
    wc_error err = {0};
    CHECK(wc_error_set(&err, WC_ELINK, "unknown import: %s.%s", "env", "f") == WC_ELINK, "returns the code");
    CHECK(err.code == WC_ELINK && strcmp(err.msg, "unknown import: env.f") == 0, "%d %s", err.code, err.msg);
    CHECK(strcmp(wc_error_message(&err), "unknown import: env.f") == 0, "message: %s", wc_error_message(&err));

    /* no carrier: the code still comes back */
    CHECK(wc_error_set(NULL, WC_ENOMEM, "out of memory") == WC_ENOMEM, "NULL carrier");
    CHECK(set_through_va_list(NULL, WC_EIO, "%d", 1) == WC_EIO, "NULL carrier, va_list");

    /* '%' in an argument is text, not a format */
    CHECK(set_through_va_list(&err, WC_EINVAL, "bad '%s' at %d", "100%s", 7) == WC_EINVAL &&
              strcmp(err.msg, "bad '100%s' at 7") == 0,
          "%s", err.msg);

    /* longer than the buffer: truncated and terminated, the start kept */
    char long_text[2000];
    memset(long_text, 'x', sizeof long_text - 1);
    long_text[sizeof long_text - 1] = 0;
    memset(&err, 0x7f, sizeof err);
    wc_error_set(&err, WC_ETOOBIG, "start %s", long_text);
    CHECK(err.code == WC_ETOOBIG, "code %d", err.code);
    CHECK(strlen(err.msg) == sizeof err.msg - 1, "length %zu", strnlen(err.msg, sizeof err.msg));
    CHECK(strncmp(err.msg, "start xxx", 9) == 0, "start kept");

    /* nothing said: the code's own text */
    wc_error bare = {.code = WC_ETIMEDOUT};
    CHECK(strcmp(wc_error_message(&bare), "timed out") == 0, "bare: %s", wc_error_message(&bare));
    wc_error_set(&bare, WC_ENOTFOUND, "%s", "");
    CHECK(strcmp(wc_error_message(&bare), "not found") == 0, "empty message: %s", wc_error_message(&bare));
}

int main(void)
{
    test_codes_are_distinct();
    test_table_is_complete();
    test_system_codes();
    test_unknown_codes();
    test_carrier();
    if (failures) {
        printf("%d failures\n", failures);
        return 1;
    }
    printf("test_error: all passed (%d checks)\n", checks);
    return 0;
}
