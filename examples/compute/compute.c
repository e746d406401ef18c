/* compute -- a deterministic CPU-bound workload for benchmarks.
 *
 * Counts the primes below 10 million with a sieve, then runs 50 million
 * rounds of a 64-bit mixing function over a small table, and prints a
 * checksum of both.  The output is the same on every platform, so the wasm
 * build and a native build (cc -O2 -o compute compute.c) can be compared.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SIEVE_LIMIT 10000000u
#define MIX_ROUNDS 50000000u
#define TABLE_SIZE 4096u

static unsigned count_primes(unsigned limit)
{
    uint8_t *composite = calloc(limit, 1);
    if (!composite)
        return 0;
    unsigned count = 0;
    for (unsigned i = 2; i < limit; i++) {
        if (composite[i])
            continue;
        count++;
        for (uint64_t j = (uint64_t)i * i; j < limit; j += i)
            composite[j] = 1;
    }
    free(composite);
    return count;
}

static uint64_t mix_rounds(unsigned rounds)
{
    static uint64_t table[TABLE_SIZE];
    for (unsigned i = 0; i < TABLE_SIZE; i++)
        table[i] = (uint64_t)i * UINT64_C(0x9e3779b97f4a7c15);
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (unsigned r = 0; r < rounds; r++) {
        uint64_t *slot = &table[h % TABLE_SIZE];
        h ^= *slot + r;
        h *= UINT64_C(0x100000001b3);
        h ^= h >> 29;
        *slot = h;
    }
    return h;
}

int main(int argc, char **argv)
{
    unsigned scale = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 1;
    if (scale == 0)
        scale = 1;
    unsigned primes = count_primes(SIEVE_LIMIT);
    uint64_t h = mix_rounds(MIX_ROUNDS / scale);
    printf("primes below %u: %u\n", SIEVE_LIMIT, primes);
    printf("checksum: %016" PRIx64 "\n", h ^ primes);
    return 0;
}
