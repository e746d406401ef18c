/* check.h -- the tests' one assertion: CHECK(cond, fmt, ...) prints what
 * failed and where, counts it in `failures`, and goes on, so one run shows
 * every failure.  A test's main returns non-zero when failures > 0; checks
 * counts every CHECK, for tests that report how many ran. */
#ifndef WC_TESTS_CHECK_H
#define WC_TESTS_CHECK_H

#include <stdio.h>

static int failures, checks;

#define CHECK(cond, ...)                                                      \
    do {                                                                      \
        checks++;                                                             \
        if (!(cond)) {                                                        \
            failures++;                                                       \
            printf("FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);            \
            printf(__VA_ARGS__);                                              \
            putchar('\n');                                                    \
        }                                                                     \
    } while (0)

/* A test's last line and exit status: how many checks failed, or ran. */
static inline int check_report(void)
{
    if (failures) {
        printf("%d of %d checks failed\n", failures, checks);
        return 1;
    }
    printf("ok (%d checks)\n", checks);
    return 0;
}

#endif
