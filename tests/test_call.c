/* test_call.c -- the three parts of a plugin call: the cancellation token
 * (its reasons, and its hook, also when the cancel came first or from
 * another thread), the client port's notifications, and the call record
 * (its I/O copied in, its result text its own). */
#include <jansson.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "host/client_port.h"
#include "plugin/call.h"
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

static void record_notify(void *ctx, const char *method, json_t *params)
{
    json_array_append_new(ctx, json_pack("{s:s,s:o}", "method", method, "params", params));
}

static void test_client_port(void)
{
    /* No client: nothing is sent, the context is {}. */
    wc_client_progress(&wc_no_client, 1, 2, "half");
    wc_client_log(&wc_no_client, 7, "x", "emergency");
    json_t *context = wc_client_request_context(&wc_no_client);
    CHECK(json_is_object(context) && json_object_size(context) == 0, "no client's context");
    json_decref(context);

    json_t *sent = json_array();
    json_t *token = json_integer(7);
    wc_client_port port = {.ctx = sent, .notify = record_notify, .min_log_level = 4};
    wc_client_progress(&port, 1, 2, NULL);
    CHECK(json_array_size(sent) == 0, "progress without a token was sent");
    port.progress_token = token;
    wc_client_progress(&port, 1, 0, "step");
    json_t *p = json_object_get(json_array_get(sent, 0), "params");
    CHECK(p && json_equal(json_object_get(p, "progressToken"), token) &&
              !json_object_get(p, "total") &&
              strcmp(json_string_value(json_object_get(p, "message")), "step") == 0,
          "progress params");
    wc_client_log(&port, 3, "plugin", "below the level");
    wc_client_log(&port, 4, "plugin", "at the level");
    CHECK(json_array_size(sent) == 2, "%zu notifications", json_array_size(sent));
    p = json_object_get(json_array_get(sent, 1), "params");
    CHECK(p && strcmp(json_string_value(json_object_get(p, "data")), "at the level") == 0 &&
              strcmp(json_string_value(json_object_get(p, "logger")), "plugin") == 0,
          "log params");
    json_decref(token);
    json_decref(sent);
}

static void test_call_record(void)
{
    char args[] = "{\"a\":1}";
    wc_client_port port = {.min_log_level = 2, .protocol_version = "2025-06-18"};
    wc_call_io io = {.arguments_text = args, .arguments_len = strlen(args),
                     .prefer_result_text = true, .inline_budget_ms = 5,
                     .result_text = (char *)"not the call's", .result_len = 14};
    wc_call *call = wc_call_new(&port, &io);
    CHECK(call, "out of memory");
    if (!call)
        return;
    CHECK(call->client.min_log_level == 2 && strcmp(call->client.protocol_version, "2025-06-18") == 0,
          "the port was not copied");
    CHECK(call->io.arguments_text == args && call->io.arguments_len == 7 &&
              call->io.prefer_result_text && call->io.inline_budget_ms == 5,
          "the I/O was not copied");
    CHECK(!call->io.result_text && call->io.result_len == 0, "a new call has a result text");
    call->io.result_text = strdup("{\"content\":[]}"); /* freed with the call */
    CHECK(!wc_call_cancelled(call) && !wc_call_attempt_aborted(call), "stopped at birth");
    wc_call_abort_attempt(call);
    CHECK(wc_call_cancelled(call) && wc_call_attempt_aborted(call), "an aborted attempt stops");
    wc_call_free(call);

    call = wc_call_new(NULL, NULL);
    CHECK(call && call->client.min_log_level == 8 && !call->client.notify &&
              !call->io.arguments_text && !call->io.inline_budget_ms,
          "a call with no client and no I/O");
    if (call) {
        wc_call_cancel(call);
        CHECK(wc_call_cancelled(call) && !wc_call_attempt_aborted(call),
              "a cancel is not an aborted attempt");
    }
    wc_call_free(call);
}

int main(void)
{
    test_token();
    test_token_threads();
    test_client_port();
    test_call_record();
    if (failures) {
        printf("test_call: %d of %d checks failed\n", failures, checks);
        return 1;
    }
    printf("test_call: all %d checks passed\n", checks);
    return 0;
}
