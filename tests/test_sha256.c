/* test_sha256.c -- util/sha256.h: SHA-256 against FIPS 180-2's examples,
 * HMAC-SHA256 against RFC 4231's test cases, and both against OpenSSL's
 * EVP interface for random keys and messages cut into random parts (keys
 * shorter than, as long as and longer than a block). */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "util/hex.h"
#include "util/sha256.h"

static void check_digest(const char *text, const char *want)
{
    char hex[65];
    wc_sha256_hex((const void *const[]){text}, (const size_t[]){strlen(text)}, 1, hex);
    CHECK(strcmp(hex, want) == 0, "sha256(\"%s\") = %s, not %s", text, hex, want);
}

static void check_hmac(const void *key, size_t key_len, const char *text, const char *want)
{
    uint8_t mac[WC_SHA256_BYTES];
    char hex[65];
    wc_hmac_sha256(key, key_len, (const void *const[]){text}, (const size_t[]){strlen(text)}, 1,
                   mac);
    wc_hex_encode(mac, sizeof mac, hex);
    CHECK(strcmp(hex, want) == 0, "hmac(%zu-byte key, \"%s\") = %s, not %s", key_len, text, hex,
          want);
}

static void test_known_answers(void)
{
    check_digest("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    check_digest("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    check_digest("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                 "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    uint8_t key[131];
    memset(key, 0x0b, 20);
    check_hmac(key, 20, "Hi There",
               "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
    check_hmac("Jefe", 4, "what do ya want for nothing?",
               "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    memset(key, 0xaa, sizeof key);
    check_hmac(key, sizeof key, "Test Using Larger Than Block-Size Key - Hash Key First",
               "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

static void test_against_openssl(void)
{
    static uint8_t data[4096], key[200];
    srand(7);
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)rand();
    for (size_t i = 0; i < sizeof key; i++)
        key[i] = (uint8_t)rand();
    for (int round = 0; round < 300; round++) {
        size_t len = (size_t)rand() % sizeof data, cut = len ? (size_t)rand() % len : 0;
        size_t key_len = round < 200 ? (size_t)round : (size_t)rand() % sizeof key;
        const void *const parts[] = {data, data + cut};
        const size_t sizes[] = {cut, len - cut};

        uint8_t want[EVP_MAX_MD_SIZE], got[WC_SHA256_BYTES];
        unsigned want_len = 0;
        char hex[65], want_hex[65];
        EVP_Digest(data, len, want, &want_len, EVP_sha256(), NULL);
        wc_hex_encode(want, 32, want_hex);
        wc_sha256_hex(parts, sizes, 2, hex);
        CHECK(want_len == 32 && strcmp(hex, want_hex) == 0, "sha256 of %zu bytes cut at %zu",
              len, cut);

        HMAC(EVP_sha256(), key, (int)key_len, data, len, want, &want_len);
        wc_hmac_sha256(key, key_len, parts, sizes, 2, got);
        CHECK(want_len == 32 && memcmp(got, want, 32) == 0,
              "hmac of %zu bytes cut at %zu under a %zu-byte key", len, cut, key_len);
    }
}

int main(void)
{
    test_known_answers();
    test_against_openssl();
    printf("%s: %d checks, %d failures\n", failures ? "FAIL" : "ok", checks, failures);
    return failures != 0;
}
