/* test_watchdog.c -- the deadline thread: a watch fires at its deadline and
 * not before, a disarmed one never fires, an earlier deadline armed while
 * the thread sleeps until a later one wakes it, and many threads arming
 * and disarming at once (more threads than shards) lose no deadline. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "engine/watchdog.h"

#include "check.h"

static uint64_t ms_since(uint64_t start_ns)
{
    return (wc_monotonic_ns() - start_ns) / 1000000ull;
}

/* Waits up to limit_ms for *flag to become value; returns the ms taken, or
 * UINT64_MAX when it never did. */
static uint64_t wait_flag(volatile uint32_t *flag, uint32_t value, uint64_t start_ns,
                          uint64_t limit_ms)
{
    while (ms_since(start_ns) < limit_ms) {
        if (*flag == value)
            return ms_since(start_ns);
        usleep(1000);
    }
    return *flag == value ? ms_since(start_ns) : UINT64_MAX;
}

static void test_fires_at_deadline(void)
{
    wc_watchdog wd;
    wc_watchdog_init(&wd);
    volatile uint32_t flag = 0;
    wc_watch w = {0};
    uint64_t start = wc_monotonic_ns();
    CHECK(wc_watchdog_arm(&wd, &w, &flag, 7, 60) == 0, "arm");
    usleep(30 * 1000);
    CHECK(flag == 0, "fired early: %u after %llu ms", flag, (unsigned long long)ms_since(start));
    uint64_t took = wait_flag(&flag, 7, start, 2000);
    CHECK(took != UINT64_MAX && took >= 60, "fired after %llu ms (deadline 60)",
          (unsigned long long)took);
    wc_watchdog_disarm(&wd, &w); /* after it fired: harmless */
    wc_watchdog_destroy(&wd);
}

static void test_disarmed_never_fires(void)
{
    wc_watchdog wd;
    wc_watchdog_init(&wd);
    volatile uint32_t flag = 0;
    wc_watch w = {0};
    CHECK(wc_watchdog_arm(&wd, &w, &flag, 1, 40) == 0, "arm");
    wc_watchdog_disarm(&wd, &w);
    usleep(100 * 1000);
    CHECK(flag == 0, "a disarmed watch fired");
    wc_watchdog_destroy(&wd);
}

/* The thread sleeps until a watch 5 s away; one of 50 ms armed after that
 * must wake it. */
static void test_earlier_deadline_wakes(void)
{
    wc_watchdog wd;
    wc_watchdog_init(&wd);
    volatile uint32_t late = 0, soon = 0;
    wc_watch wl = {0}, ws = {0};
    CHECK(wc_watchdog_arm(&wd, &wl, &late, 1, 5000) == 0, "arm late");
    usleep(20 * 1000); /* the thread now sleeps until the late deadline */
    uint64_t start = wc_monotonic_ns();
    CHECK(wc_watchdog_arm(&wd, &ws, &soon, 2, 50) == 0, "arm soon");
    uint64_t took = wait_flag(&soon, 2, start, 2000);
    CHECK(took != UINT64_MAX && took >= 50 && took < 1000,
          "the earlier deadline fired after %llu ms", (unsigned long long)took);
    CHECK(late == 0, "the late watch fired");
    wc_watchdog_disarm(&wd, &wl);
    wc_watchdog_destroy(&wd);
}

/* Deadlines out of order in one shard: each fires at its own time. */
static void test_out_of_order(void)
{
    wc_watchdog wd;
    wc_watchdog_init(&wd);
    static const uint32_t timeouts[] = {120, 30, 90, 60, 10};
    volatile uint32_t flags[5] = {0};
    wc_watch ws[5] = {{0}};
    uint64_t start = wc_monotonic_ns();
    for (int i = 0; i < 5; i++)
        CHECK(wc_watchdog_arm(&wd, &ws[i], &flags[i], 1, timeouts[i]) == 0, "arm %d", i);
    for (int i = 0; i < 5; i++) {
        uint64_t took = wait_flag(&flags[i], 1, start, 3000);
        CHECK(took != UINT64_MAX && took >= timeouts[i], "watch %d (%u ms) fired after %llu ms",
              i, timeouts[i], (unsigned long long)took);
    }
    wc_watchdog_destroy(&wd);
}

/* --- many threads --- */

#define THREADS 24 /* more than WC_WATCHDOG_SHARDS: shards are shared */
#define ROUNDS 2000

typedef struct churn {
    wc_watchdog *wd;
    int index;
    atomic_int *fired_wrongly;
    volatile uint32_t last_flag; /* an expiring watch at the end */
    uint64_t last_armed_ns;
} churn;

static void *churn_main(void *arg)
{
    churn *c = arg;
    for (int r = 0; r < ROUNDS; r++) {
        /* A watch that must not fire: armed for 10 s, disarmed at once. */
        volatile uint32_t flag = 0;
        wc_watch w = {0};
        if (wc_watchdog_arm(c->wd, &w, &flag, 1, 10000) != 0)
            atomic_fetch_add(c->fired_wrongly, 1);
        if (r % 97 == 0)
            usleep(100);
        wc_watchdog_disarm(c->wd, &w);
        if (flag != 0)
            atomic_fetch_add(c->fired_wrongly, 1);
    }
    /* Then one that must fire, 20 to 43 ms from now. */
    wc_watch last = {0};
    c->last_armed_ns = wc_monotonic_ns();
    wc_watchdog_arm(c->wd, &last, &c->last_flag, 9, 20 + (uint32_t)c->index);
    uint64_t took = wait_flag(&c->last_flag, 9, c->last_armed_ns, 3000);
    if (took == UINT64_MAX || took < 20 + (uint64_t)c->index)
        atomic_fetch_add(c->fired_wrongly, 1);
    wc_watchdog_disarm(c->wd, &last); /* waits for the thread to be done with it */
    return NULL;
}

static void test_many_threads(void)
{
    wc_watchdog wd;
    wc_watchdog_init(&wd);
    atomic_int wrong = 0;
    churn cs[THREADS];
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++) {
        cs[i] = (churn){.wd = &wd, .index = i, .fired_wrongly = &wrong};
        pthread_create(&t[i], NULL, churn_main, &cs[i]);
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    CHECK(atomic_load(&wrong) == 0, "%d watches fired when they should not, or not in time",
          atomic_load(&wrong));
    for (int i = 0; i < WC_WATCHDOG_SHARDS; i++)
        CHECK(wd.shards[i].head == NULL && wd.shards[i].tail == NULL, "shard %d not empty", i);
    wc_watchdog_destroy(&wd);
}

int main(void)
{
    test_fires_at_deadline();
    test_disarmed_never_fires();
    test_earlier_deadline_wakes();
    test_out_of_order();
    test_many_threads();
    printf("test_watchdog: %d checks, %d failures\n", checks, failures);
    return failures != 0;
}
