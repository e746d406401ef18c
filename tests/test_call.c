/* test_call.c -- the parts of a plugin call: the cancellation token (its
 * reasons, and its hook, also when the cancel came first or from another
 * thread). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util/cancel_token.h"

#include "check.h"

static void count_interrupt(void *ctx)
{
    (*(int *)ctx)++;
}

static void test_token(void)
{
    wc_cancel_token t;
    wc_cancel_token_init(&t);
    CHECK(!wc_cancel_token_cancelled(&t), "a new token is cancelled");

    int interrupts = 0;
    wc_cancel_token_on_interrupt(&t, count_interrupt, &interrupts);
    CHECK(interrupts == 0, "the hook ran before any cancel");
    wc_cancel_token_cancel(&t, WC_CANCEL_RETRY);
    CHECK(interrupts == 1, "the hook ran %d times on a cancel", interrupts);
    CHECK(wc_cancel_token_cancelled(&t) && wc_cancel_token_stopped_for(&t, WC_CANCEL_RETRY) &&
              !wc_cancel_token_stopped_for(&t, WC_CANCEL_REQUESTED),
          "reasons after a retry");
    wc_cancel_token_cancel(&t, WC_CANCEL_REQUESTED);
    CHECK(wc_cancel_token_stopped_for(&t, WC_CANCEL_RETRY) &&
              wc_cancel_token_stopped_for(&t, WC_CANCEL_REQUESTED),
          "both reasons kept");
    CHECK(interrupts == 2, "a second cancel interrupts again: %d", interrupts);

    /* Cleared: a cancel reaches nothing. */
    wc_cancel_token_on_interrupt(&t, NULL, NULL);
    wc_cancel_token_cancel(&t, WC_CANCEL_REQUESTED);
    CHECK(interrupts == 2, "a cleared hook ran");

    /* Set on a cancelled token: the cancel found nothing to interrupt then,
     * so the hook runs at once. */
    wc_cancel_token_on_interrupt(&t, count_interrupt, &interrupts);
    CHECK(interrupts == 3, "a hook set after the cancel did not run at once: %d", interrupts);
    wc_cancel_token_on_interrupt(&t, NULL, NULL);
    wc_cancel_token_destroy(&t);
}

typedef struct spinner {
    wc_cancel_token token;
    atomic_int stop;
} spinner;

static void stop_spinner(void *ctx)
{
    atomic_store(&((spinner *)ctx)->stop, 1);
}

static void *cancel_soon(void *arg)
{
    struct timespec ts = {.tv_nsec = 20 * 1000000L};
    nanosleep(&ts, NULL);
    wc_cancel_token_cancel(arg, WC_CANCEL_REQUESTED);
    return NULL;
}

/* A cancel from another thread stops work that only the hook can reach. */
static void test_token_threads(void)
{
    spinner sp;
    wc_cancel_token_init(&sp.token);
    atomic_init(&sp.stop, 0);
    wc_cancel_token_on_interrupt(&sp.token, stop_spinner, &sp);
    pthread_t th;
    pthread_create(&th, NULL, cancel_soon, &sp.token);
    time_t give_up = time(NULL) + 10;
    while (!atomic_load(&sp.stop) && time(NULL) < give_up)
        ;
    pthread_join(th, NULL);
    CHECK(atomic_load(&sp.stop) && wc_cancel_token_cancelled(&sp.token),
          "the other thread's cancel did not stop the work");
    wc_cancel_token_on_interrupt(&sp.token, NULL, NULL);
    wc_cancel_token_destroy(&sp.token);
}

int main(void)
{
    test_token();
    test_token_threads();
    if (failures) {
        printf("test_call: %d of %d checks failed\n", failures, checks);
        return 1;
    }
    printf("test_call: all %d checks passed\n", checks);
    return 0;
}
