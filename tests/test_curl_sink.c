/* test_curl_sink.c -- the capped curl body sink (util/curl_sink.h), fed as
 * libcurl feeds it: the write callback called with pieces of the body. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "util/curl_sink.h"

/* What libcurl does with one piece: a short count fails the transfer. */
static bool feed(wc_curl_sink *sink, const char *data, size_t n)
{
    return wc_curl_sink_write((char *)data, 1, n, sink) == n;
}

static void test_cap_exactly(void)
{
    wc_curl_sink s;
    wc_curl_sink_init(&s, 10);
    CHECK(feed(&s, "01234", 5) && feed(&s, "56789", 5), "10 bytes under a cap of 10");
    CHECK(!s.exceeded && s.body.len == 10 && memcmp(s.body.data, "0123456789", 10) == 0,
          "the body is whole");
    CHECK(feed(&s, "", 0) && !s.exceeded, "an empty piece at the cap is taken");
    wc_curl_sink_free(&s);

    wc_curl_sink_init(&s, 10);
    CHECK(feed(&s, "0123456789", 10) && !s.exceeded, "one piece of exactly the cap");
    wc_curl_sink_free(&s);
}

static void test_one_byte_over(void)
{
    wc_curl_sink s;
    wc_curl_sink_init(&s, 10);
    CHECK(feed(&s, "0123456789", 10), "up to the cap");
    CHECK(!feed(&s, "x", 1) && s.exceeded, "one byte over the cap is refused");
    CHECK(s.body.len == 10, "nothing of the refused piece is kept");
    wc_curl_sink_free(&s);

    wc_curl_sink_init(&s, 10);
    CHECK(!feed(&s, "0123456789A", 11) && s.exceeded && s.body.len == 0,
          "one piece of the cap plus one");
    wc_curl_sink_free(&s);

    wc_curl_sink_init(&s, 0);
    CHECK(!feed(&s, "x", 1) && s.exceeded, "a cap of 0 takes no byte");
    wc_curl_sink_free(&s);

    /* size * nmemb overflowing is refused, not wrapped */
    wc_curl_sink_init(&s, SIZE_MAX);
    CHECK(wc_curl_sink_write("ab", SIZE_MAX / 2 + 1, 2, &s) == 0 && s.exceeded,
          "an overflowing size * nmemb");
    wc_curl_sink_free(&s);
}

static void test_many_small_writes(void)
{
    enum { CAP = 100000 };
    wc_curl_sink s;
    wc_curl_sink_init(&s, CAP);
    size_t taken = 0;
    char piece[7];
    bool refused = false;
    for (size_t i = 0; i < CAP; i++) {
        for (size_t j = 0; j < sizeof piece; j++)
            piece[j] = (char)('a' + (i * sizeof piece + j) % 26);
        if (!feed(&s, piece, sizeof piece)) {
            refused = true;
            break;
        }
        taken += sizeof piece;
    }
    CHECK(refused && s.exceeded, "7-byte pieces stop at the cap");
    CHECK(taken == CAP / 7 * 7 && s.body.len == taken, "%zu bytes taken", taken);
    bool intact = true;
    for (size_t k = 0; k < s.body.len; k++)
        if (s.body.data[k] != (uint8_t)('a' + k % 26))
            intact = false;
    CHECK(intact, "the pieces are kept in order");

    wc_curl_sink_reset(&s);
    CHECK(!s.exceeded && s.body.len == 0 && s.charged == 0, "reset for the next transfer");
    CHECK(feed(&s, "again", 5) && s.body.len == 5, "takes a body again");
    wc_curl_sink_free(&s);
}

static void test_charged(void)
{
    wc_curl_sink s;
    wc_curl_sink_init(&s, 20);
    CHECK(wc_curl_sink_charge(&s, 8) && s.charged == 8, "headers charged");
    CHECK(feed(&s, "0123456789ab", 12) && !s.exceeded, "the body fills the rest of the cap");
    CHECK(!feed(&s, "x", 1) && s.exceeded, "then a byte more is refused");
    wc_curl_sink_free(&s);

    wc_curl_sink_init(&s, 20);
    CHECK(feed(&s, "0123456789", 10), "a body first");
    CHECK(wc_curl_sink_charge(&s, 10) && !s.exceeded, "a charge up to the cap");
    CHECK(!wc_curl_sink_charge(&s, 1) && s.exceeded && s.charged == 10,
          "a charge past the cap is refused and not counted");
    wc_curl_sink_free(&s);

    wc_curl_sink_init(&s, 5);
    CHECK(!wc_curl_sink_charge(&s, 6) && s.exceeded, "headers alone past the cap");
    wc_curl_sink_free(&s);
}

int main(void)
{
    test_cap_exactly();
    test_one_byte_over();
    test_many_small_writes();
    test_charged();
    if (failures)
        return 1;
    printf("test_curl_sink: all %d checks passed\n", checks);
    return 0;
}
