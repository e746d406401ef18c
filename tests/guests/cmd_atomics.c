/* cmd_atomics.c -- C11 <stdatomic.h> on one thread, built with clang
 * -matomics -mbulk-memory (tests/atomics_exec.sh): every kind of atomic
 * the compiler makes of it (loads, stores, fetch-add/sub/and/or/xor,
 * exchange, compare-exchange strong and weak, a test-and-set spin lock,
 * fences) on 8-, 16-, 32- and 64-bit objects, driven by a hash of the step
 * number, then a checksum of everything.  Prints what a native build
 * prints: `wasmcap exec cmd_atomics.wasm -- STEPS`. */
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define SLOTS 64

static _Atomic uint8_t a8[SLOTS];
static _Atomic uint16_t a16[SLOTS];
static _Atomic uint32_t a32[SLOTS];
static _Atomic uint64_t a64[SLOTS];
static atomic_flag lock = ATOMIC_FLAG_INIT;

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    return x ^ (x >> 33);
}

/* An atomic maximum: a compare-exchange loop. */
static void store_max(_Atomic uint64_t *slot, uint64_t value)
{
    uint64_t seen = atomic_load(slot);
    while (seen < value && !atomic_compare_exchange_weak(slot, &seen, value))
        ;
}

int main(int argc, char **argv)
{
    unsigned long steps = argc > 1 ? strtoul(argv[1], NULL, 10) : 100000;
    uint64_t seen = 0;
    for (unsigned long i = 0; i < steps; i++) {
        uint64_t r = mix(i + 1);
        unsigned k = (unsigned)(r % SLOTS);
        switch ((r >> 8) % 10) {
        case 0: seen += atomic_fetch_add(&a8[k], (uint8_t)(r >> 16)); break;
        case 1: seen += atomic_fetch_sub(&a16[k], (uint16_t)(r >> 16)); break;
        case 2: seen += atomic_fetch_and(&a32[k], (uint32_t)(r >> 16) | 0x80000001u); break;
        case 3: seen += atomic_fetch_or(&a64[k], r & 0x0101010101010101ull); break;
        case 4: seen += atomic_fetch_xor(&a32[k], (uint32_t)(r >> 20)); break;
        case 5: seen += atomic_exchange(&a64[k], r); break;
        case 6: {
            uint32_t expected = atomic_load(&a32[k]);
            if (r & 0x100000)
                expected ^= 1; /* a compare that fails */
            if (!atomic_compare_exchange_strong(&a32[k], &expected, expected * 3 + 1))
                seen += 1000;
            seen += expected;
            break;
        }
        case 7: {
            uint16_t expected = (uint16_t)r;
            seen += atomic_compare_exchange_strong(&a16[k], &expected, (uint16_t)(expected + 1)) ? 7 : expected;
            break;
        }
        case 8: store_max(&a64[k], r >> 3); break;
        default:
            while (atomic_flag_test_and_set(&lock))
                ;
            atomic_store(&a8[k], (uint8_t)(atomic_load(&a8[k]) + 7));
            atomic_flag_clear(&lock);
            atomic_thread_fence(memory_order_seq_cst);
            break;
        }
    }
    uint64_t sum = 0;
    for (unsigned k = 0; k < SLOTS; k++)
        sum = sum * 31 + atomic_load(&a8[k]) + atomic_load(&a16[k]) + atomic_load(&a32[k]) + atomic_load(&a64[k]);
    printf("%llu %llu\n", (unsigned long long)seen, (unsigned long long)sum);
    return 0;
}
